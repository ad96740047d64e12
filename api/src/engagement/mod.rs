//! Partner engagement at a glance: what each organisation took part in over a period, so staff
//! see who is active and who has gone quiet. Each slice counts its own column with one grouped
//! query over all the partners asked about ([`Tally`] per partner); this module only puts the
//! columns side by side. A new kind of engagement adds a column here and a counting function
//! in its own slice.

pub mod graphql;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{enums::PartnerStatus, partner};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::{
    auth::Actor,
    graphql::error::{ApiError, ApiResult},
};

/// The time counted: `[from, to)`, either end open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Period {
    /// Restricts `query` to rows whose `at` (a column of the entity or of a joined one) falls
    /// in the period.
    pub fn apply<E: EntityTrait>(&self, query: Select<E>, at: impl ColumnTrait) -> Select<E> {
        let query = match self.from {
            Some(from) => query.filter(at.gte(from)),
            None => query,
        };
        match self.to {
            Some(to) => query.filter(at.lt(to)),
            None => query,
        }
    }
}

/// How many times a partner did something, and when it last did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: i64,
    pub last_at: Option<DateTime<Utc>>,
}

/// Counts `query`'s rows per partner (`partner` column) with the latest `at`, in one grouped
/// query.
pub async fn tally<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    query: Select<E>,
    partner: E::Column,
    at: E::Column,
) -> ApiResult<HashMap<i64, Tally>> {
    let rows: Vec<(i64, i64, Option<DateTime<Utc>>)> = query
        .select_only()
        .column(partner)
        .column_as(partner.count(), "count")
        .column_as(at.max(), "last_at")
        .group_by(partner)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, count, last_at)| (id, Tally { count, last_at }))
        .collect())
}

/// One partner's engagement over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Engagement {
    pub joint_actions_joined: Tally,
    pub positions_backed: Tally,
    pub positions_declined: Tally,
    pub support_requests: Tally,
    pub training_attended: Tally,
    pub principles_signed: Tally,
    pub petitions_promoted: Tally,
}

impl Engagement {
    /// When the partner last did any of it.
    pub fn last_active_at(&self) -> Option<DateTime<Utc>> {
        [
            self.joint_actions_joined,
            self.positions_backed,
            self.positions_declined,
            self.support_requests,
            self.training_attended,
            self.principles_signed,
            self.petitions_promoted,
        ]
        .iter()
        .filter_map(|tally| tally.last_at)
        .max()
    }
}

/// The engagement of each partner in `ids` over `period`: one statement per column.
pub async fn of_partners(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    period: Period,
) -> ApiResult<HashMap<i64, Engagement>> {
    let joined = crate::joint_actions::engagement(conn, ids, period).await?;
    let (backed, declined) = crate::positions::engagement(conn, ids, period).await?;
    let requests = crate::support_requests::engagement(conn, ids, period).await?;
    let trained = crate::training::report::engagement(conn, ids, period).await?;
    let signed = crate::principles::engagement(conn, ids, period).await?;
    let promoted = crate::petitions::engagement(conn, ids, period).await?;
    let of = |tallies: &HashMap<i64, Tally>, id: &i64| tallies.get(id).copied().unwrap_or_default();
    Ok(ids
        .iter()
        .map(|id| {
            let engagement = Engagement {
                joint_actions_joined: of(&joined, id),
                positions_backed: of(&backed, id),
                positions_declined: of(&declined, id),
                support_requests: of(&requests, id),
                training_attended: of(&trained, id),
                principles_signed: of(&signed, id),
                petitions_promoted: of(&promoted, id),
            };
            (*id, engagement)
        })
        .collect())
}

/// The active partners of a region (`None`: of every region, and none), by name: those a
/// report covers. Staff see their own region's; admins any.
pub async fn partners_reported(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    region_id: Option<i64>,
) -> ApiResult<Vec<partner::Model>> {
    let allowed = actor.is_admin() || (region_id.is_some() && actor.is_staff_of(region_id));
    if !allowed {
        return Err(ApiError::Forbidden(
            "staff see their own region's engagement report; admins any",
        ));
    }
    let mut query =
        partner::Entity::find().filter(partner::Column::Status.eq(PartnerStatus::Active));
    if let Some(region_id) = region_id {
        query = query.filter(partner::Column::RegionId.eq(region_id));
    }
    Ok(query
        .order_by_asc(partner::Column::NameKey)
        .limit(MAX_REPORTED)
        .all(conn)
        .await?)
}

/// Partners in one report at most.
pub const MAX_REPORTED: u64 = 2_000;
