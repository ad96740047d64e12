use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, Enum, ID, Object, SimpleObject,
    dataloader::{DataLoader, Loader},
};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use super::{Engagement, Period, of_partners, partners_reported};
use crate::{
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::batching,
    },
    input,
    partners::graphql::Partner,
};

/// Each partner's engagement over all time, batched.
pub struct EngagementLoaders {
    all_time: DataLoader<AllTime>,
}

impl EngagementLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            all_time: batching(AllTime(db.clone())),
        }
    }
}

pub struct AllTime(DatabaseConnection);

impl Loader<i64> for AllTime {
    type Value = Engagement;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Engagement>, Self::Error> {
        of_partners(&self.0, keys, Period::default())
            .await
            .map_err(|error| Arc::new(DbErr::Custom(error.to_string())))
    }
}

/// What a partner organisation took part in.
#[derive(SimpleObject)]
pub struct PartnerEngagement {
    pub joint_actions_joined: i64,
    pub positions_backed: i64,
    pub positions_declined: i64,
    pub support_requests: i64,
    /// People from the organisation who attended training.
    pub training_attended: i64,
    /// Petitions it says it promotes.
    pub petitions_promoted: i64,
    /// Whether it has signed the Early Action principles (and the signature stands).
    pub signed_principles: bool,
    /// Null: nothing yet.
    pub last_active_at: Option<DateTime<Utc>>,
}

impl From<Engagement> for PartnerEngagement {
    fn from(engagement: Engagement) -> Self {
        Self {
            joint_actions_joined: engagement.joint_actions_joined.count,
            positions_backed: engagement.positions_backed.count,
            positions_declined: engagement.positions_declined.count,
            support_requests: engagement.support_requests.count,
            training_attended: engagement.training_attended.count,
            petitions_promoted: engagement.petitions_promoted.count,
            signed_principles: engagement.principles_signed.count > 0,
            last_active_at: engagement.last_active_at(),
        }
    }
}

/// A partner's engagement over all time (the caller has checked the viewer may see it).
pub async fn partner_engagement(
    ctx: &Context<'_>,
    partner_id: i64,
) -> ApiResult<PartnerEngagement> {
    Ok(
        load_one(&ctx.loader::<EngagementLoaders>().all_time, partner_id)
            .await?
            .unwrap_or_default()
            .into(),
    )
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum EngagementOrder {
    /// Most recently active first; those never active last.
    LastActive,
    /// Least recently active first: who has gone quiet.
    LeastRecentlyActive,
    JointActionsJoined,
    PositionsBacked,
    SupportRequests,
    TrainingAttended,
    PetitionsPromoted,
    Name,
}

/// One partner's line in the report.
#[derive(SimpleObject)]
pub struct EngagementLine {
    pub partner: Partner,
    pub engagement: PartnerEngagement,
}

#[derive(Default)]
pub struct EngagementQuery;

#[Object]
impl EngagementQuery {
    /// What each active partner organisation of a region (all of them, with no region: admins
    /// only) took part in between `from` and `to` (either end open), sorted. Staff see their
    /// own region's; admins any.
    async fn engagement_report(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "LAST_ACTIVE when not given.")] order_by: Option<EngagementOrder>,
    ) -> ApiResult<Vec<EngagementLine>> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            return Err(ApiError::bad_input("to", "must be after from"));
        }
        let db = &ctx.state().db;
        let partners = partners_reported(db, actor, region_id).await?;
        let ids: Vec<i64> = partners.iter().map(|partner| partner.id).collect();
        let mut engagement = of_partners(db, &ids, Period { from, to }).await?;
        let viewer = ctx.viewer();
        let mut lines: Vec<(String, Engagement, Partner)> = partners
            .into_iter()
            .filter_map(|row| {
                let line = engagement.remove(&row.id).unwrap_or_default();
                let name = row.name_key.clone();
                Partner::shown(viewer, row).map(|partner| (name, line, partner))
            })
            .collect();
        sort(&mut lines, order_by.unwrap_or(EngagementOrder::LastActive));
        Ok(lines
            .into_iter()
            .map(|(_, engagement, partner)| EngagementLine {
                partner,
                engagement: engagement.into(),
            })
            .collect())
    }
}

/// Sorts report lines; ties go by name.
fn sort(lines: &mut [(String, Engagement, Partner)], order: EngagementOrder) {
    let count = |e: &Engagement| match order {
        EngagementOrder::JointActionsJoined => e.joint_actions_joined.count,
        EngagementOrder::PositionsBacked => e.positions_backed.count,
        EngagementOrder::SupportRequests => e.support_requests.count,
        EngagementOrder::TrainingAttended => e.training_attended.count,
        EngagementOrder::PetitionsPromoted => e.petitions_promoted.count,
        _ => 0,
    };
    lines.sort_by(|(a_name, a, _), (b_name, b, _)| {
        let by = match order {
            EngagementOrder::Name => std::cmp::Ordering::Equal,
            // `None` sorts before any time: those never active come last, or first.
            EngagementOrder::LastActive => b.last_active_at().cmp(&a.last_active_at()),
            EngagementOrder::LeastRecentlyActive => a.last_active_at().cmp(&b.last_active_at()),
            _ => count(b).cmp(&count(a)),
        };
        by.then_with(|| a_name.cmp(b_name))
    });
}
