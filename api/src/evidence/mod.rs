//! Evidence of trends, never cases. Partner members and staff record observations: what they
//! see among the people they work with, as a count over a period ("in March, 14 people we
//! support were refused emergency accommodation"). There is no field for a person, text that
//! looks like it identifies one is refused (see [`detectors`]), and a count below three is
//! refused too. Observations are summed into series per goal, region and month or quarter;
//! a figure drawn from fewer than three organisations is withheld from everyone but admins.
//!
//! Who may do what, in one place:
//! - partner members record for their organisation; staff for the charity, in their region;
//!   admins anywhere;
//! - an observation is corrected (its earlier wording kept) or deleted (really) by its
//!   organisation's members, or for the charity's own by the staff of its region and admins;
//! - who reads an observation: [`ObservationAccess`]; the report is for people signed in, with
//!   small figures withheld; the public sees only reports staff attach to a policy update.

pub mod demo;
pub mod detectors;
pub mod graphql;
pub mod report;

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{observation, observation_goal, observation_revision};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Select,
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

/// The fewest people an observation may count: one or two people are a case.
pub const MIN_PEOPLE: i32 = 3;
/// Figures drawn from fewer organisations than this are withheld.
pub const MIN_ORGANISATIONS: i64 = 3;
pub const MAX_SUMMARY_LEN: usize = 2_000;

/// An observation as recorded, checked (the text holds nothing personal).
pub struct NewObservation {
    pub goal_ids: BTreeSet<i64>,
    pub topic: String,
    pub region_id: Option<i64>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub people_affected: i32,
    pub summary: String,
}

/// Who reads an observation: its organisation's members, the staff of its region, admins.
pub struct ObservationAccess;

#[derive(Debug, Clone, Copy)]
pub struct ObservationGrant {
    /// May correct or delete it.
    pub edit: bool,
}

impl AccessRule for ObservationAccess {
    type Row = observation::Model;
    type Facts = ();
    type Grant = ObservationGrant;

    fn grant(viewer: &Viewer, row: &observation::Model, _: &()) -> Option<ObservationGrant> {
        let actor = viewer.signed_in()?;
        let reads = actor.is_admin()
            || actor.is_staff_of(row.region_id)
            || row.partner_id.is_some_and(|id| actor.is_member_of(id));
        reads.then(|| ObservationGrant {
            edit: can_edit(actor, row),
        })
    }
}

/// The organisation that recorded it corrects or deletes it; for the charity's own, its
/// region's staff and admins.
pub fn can_edit(actor: &Actor, row: &observation::Model) -> bool {
    match row.partner_id {
        Some(partner_id) => actor.is_member_of(partner_id),
        None => actor.is_admin() || actor.is_staff_of(row.region_id),
    }
}

/// The observations an actor may read, as a query.
pub fn readable_by(actor: &Actor) -> Select<observation::Entity> {
    let query = observation::Entity::find();
    if actor.is_admin() {
        return query;
    }
    let mut readable = Condition::any();
    if let Some(partner_id) = actor.acting_for() {
        readable = readable.add(observation::Column::PartnerId.eq(partner_id));
    }
    if actor.is_staff()
        && let Some(region_id) = actor.region_id
    {
        readable = readable.add(observation::Column::RegionId.eq(region_id));
    }
    if readable.is_empty() {
        // Signed in, but neither a member nor staff with a region: nothing to read.
        query.filter(observation::Column::Id.eq(-1))
    } else {
        query.filter(readable)
    }
}

/// Records an observation: for a member, for their organisation (in its region unless another
/// is given); for staff, for the charity in their own region; for admins, anywhere.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    partner_region: Option<i64>,
    mut new: NewObservation,
) -> ApiResult<observation::Model> {
    let now = state.now();
    if actor.is_staff() {
        match new.region_id {
            None => new.region_id = actor.region_id,
            Some(_) if !actor.is_staff_of(new.region_id) => {
                return Err(ApiError::Forbidden(
                    "staff record observations for their own region",
                ));
            }
            Some(_) => {}
        }
    } else if actor.acting_for().is_some() && new.region_id.is_none() {
        new.region_id = partner_region;
    }
    check_references(&state.db, &new).await?;
    let txn = db::begin_write(&state.db).await?;
    let created = observation::Entity::insert(observation::ActiveModel {
        partner_id: Set(actor.acting_for()),
        region_id: Set(new.region_id),
        topic: Set(new.topic.clone()),
        period_start: Set(new.period_start),
        period_end: Set(new.period_end),
        people_affected: Set(new.people_affected),
        summary: Set(new.summary.clone()),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    link_goals(&txn, created.id, &new.goal_ids).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("observation.record", "observation", created.id)
            .with_detail(json!({ "partnerId": created.partner_id, "regionId": created.region_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

async fn check_references(db: &impl ConnectionTrait, new: &NewObservation) -> ApiResult<()> {
    crate::campaigns::check_goals(db, "goalIds", &new.goal_ids).await?;
    if let Some(region_id) = new.region_id {
        crate::regions::existing(db, "regionId", region_id).await?;
    }
    Ok(())
}

async fn link_goals(
    conn: &impl ConnectionTrait,
    observation_id: i64,
    goal_ids: &BTreeSet<i64>,
) -> ApiResult<()> {
    let rows = goal_ids
        .iter()
        .map(|goal_id| observation_goal::ActiveModel {
            observation_id: Set(observation_id),
            goal_id: Set(*goal_id),
        });
    db::replace_links(
        conn,
        observation_goal::Column::ObservationId,
        observation_id,
        rows,
    )
    .await?;
    Ok(())
}

/// The observation, locked, if `actor` may correct or delete it.
async fn lock_editable(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> ApiResult<observation::Model> {
    let found = observation::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .filter(|row| ObservationAccess::grant(&Viewer(Some(actor.clone())), row, &()).is_some())
        .ok_or(ApiError::NotFound("observation"))?;
    if !can_edit(actor, &found) {
        return Err(ApiError::Forbidden(
            "an observation is corrected by the organisation that recorded it",
        ));
    }
    Ok(found)
}

/// Corrects an observation, keeping how it read before.
pub async fn correct(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mut corrected: NewObservation,
) -> ApiResult<observation::Model> {
    let now = state.now();
    check_references(&state.db, &corrected).await?;
    let txn = db::begin_write(&state.db).await?;
    let current = lock_editable(&txn, actor, id).await?;
    // Left out, the region stays as it was (as recording fills it in when left out).
    if corrected.region_id.is_none() {
        corrected.region_id = current.region_id;
    }
    if corrected.region_id != current.region_id && !actor.is_admin() && actor.is_staff() {
        return Err(ApiError::Forbidden(
            "staff keep observations within their own region",
        ));
    }
    observation_revision::Entity::insert(observation_revision::ActiveModel {
        observation_id: Set(current.id),
        topic: Set(current.topic.clone()),
        period_start: Set(current.period_start),
        period_end: Set(current.period_end),
        people_affected: Set(current.people_affected),
        summary: Set(current.summary.clone()),
        replaced_by: Set(actor.user_id),
        replaced_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let mut row: observation::ActiveModel = current.into();
    row.region_id = Set(corrected.region_id);
    row.topic = Set(corrected.topic);
    row.period_start = Set(corrected.period_start);
    row.period_end = Set(corrected.period_end);
    row.people_affected = Set(corrected.people_affected);
    row.summary = Set(corrected.summary);
    row.updated_at = Set(now);
    let updated = observation::Entity::update(row).exec(&txn).await?;
    link_goals(&txn, id, &corrected.goal_ids).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("observation.correct", "observation", id),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes an observation and its history, for good.
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> ApiResult<()> {
    let now: DateTime<Utc> = state.now();
    let txn = db::begin_write(&state.db).await?;
    lock_editable(&txn, actor, id).await?;
    observation::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("observation.delete", "observation", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
