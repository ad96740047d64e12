//! Campaigns towards the eight long-term goals.
//!
//! Who may do what, in one place:
//! - ADMIN runs any campaign; STAFF run campaigns led by their region (and lead new ones only
//!   for their region);
//! - who sees a campaign and its prioritisation: [`CampaignAccess`];
//! - status moves only DRAFT → ACTIVE ⇄ PAUSED, and from ACTIVE or PAUSED to WON or CLOSED.

pub mod graphql;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entities::{
    advocacy_goal, campaign, campaign_goal, campaign_region, enums::CampaignStatus, region,
};
use sea_orm::{
    ActiveEnum,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query},
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    graphql::error::{ApiError, ApiResult},
};

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_SUMMARY_LEN: usize = 500;
pub const MAX_BODY_LEN: usize = 20_000;
pub const MAX_NOTE_LEN: usize = 2_000;
pub const MAX_GOALS: usize = 8;

/// The eight long-term goals, in their agreed order.
pub async fn goals(db: &impl ConnectionTrait) -> ApiResult<Vec<advocacy_goal::Model>> {
    Ok(advocacy_goal::Entity::find()
        .order_by_asc(advocacy_goal::Column::Position)
        .all(db)
        .await?)
}

/// A campaign with its goals' ids, in one statement (the campaign page's first read).
pub async fn with_goal_ids(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<Option<(campaign::Model, Vec<i64>)>> {
    let found = campaign::Entity::find_by_id(id)
        .find_with_related(campaign_goal::Entity)
        .all(db)
        .await?;
    Ok(found.into_iter().next().map(|(campaign, links)| {
        let mut goal_ids: Vec<i64> = links.into_iter().map(|link| link.goal_id).collect();
        goal_ids.sort_unstable();
        (campaign, goal_ids)
    }))
}

pub fn can_create_campaign(actor: &Actor, lead_region_id: Option<i64>) -> bool {
    actor.is_admin() || actor.is_staff_of(lead_region_id)
}

pub fn can_manage_campaign(actor: &Actor, campaign: &campaign::Model) -> bool {
    actor.is_admin() || actor.is_staff_of(campaign.lead_region_id)
}

/// Who may see a campaign, and its prioritisation.
pub struct CampaignAccess;

#[derive(Debug, Clone, Copy)]
pub struct CampaignGrant {
    /// How the campaign was weighed: staff and admins only.
    pub prioritisation: bool,
}

impl AccessRule for CampaignAccess {
    type Row = campaign::Model;
    type Facts = ();
    type Grant = CampaignGrant;

    /// Drafts are for staff and admins; everyone sees campaigns once they are active, paused,
    /// won or closed.
    fn grant(viewer: &Viewer, campaign: &campaign::Model, _: &()) -> Option<CampaignGrant> {
        let team = is_team(viewer);
        (campaign.status != CampaignStatus::Draft || team).then_some(CampaignGrant {
            prioritisation: team,
        })
    }
}

fn is_team(viewer: &Viewer) -> bool {
    viewer.signed_in().is_some_and(Actor::is_team)
}

/// The statuses a campaign may move to `target` from.
fn allowed_predecessors(target: CampaignStatus) -> &'static [CampaignStatus] {
    use CampaignStatus::*;
    match target {
        Draft => &[],
        Active => &[Draft, Paused],
        Paused => &[Active],
        Won | Closed => &[Active, Paused],
    }
}

/// One prioritisation criterion: a score from 1 to 5 and a note.
#[derive(Debug, Clone, Default)]
pub struct Criterion {
    pub score: Option<i16>,
    pub note: Option<String>,
}

/// The staff's weighing of a campaign against the four criteria.
#[derive(Debug, Clone, Default)]
pub struct Prioritisation {
    pub impact: Criterion,
    pub relevance: Criterion,
    pub opportunity: Criterion,
    pub added_value: Criterion,
    pub long_shot: bool,
}

pub struct NewCampaign {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub goal_ids: BTreeSet<i64>,
    /// Empty: a national campaign.
    pub region_ids: BTreeSet<i64>,
    /// None: led by the national team (admins only), or the staff member's own region.
    pub lead_region_id: Option<i64>,
    pub prioritisation: Prioritisation,
}

#[derive(Default)]
pub struct CampaignChanges {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub goal_ids: Option<BTreeSet<i64>>,
    pub region_ids: Option<BTreeSet<i64>>,
    pub lead_region_id: Option<Option<i64>>,
    pub prioritisation: Option<Prioritisation>,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    mut new: NewCampaign,
) -> ApiResult<campaign::Model> {
    if new.lead_region_id.is_none() && actor.is_staff() {
        new.lead_region_id = actor.region_id;
    }
    check_references(db, &new.goal_ids, &new.region_ids, new.lead_region_id).await?;
    if !can_create_campaign(actor, new.lead_region_id) {
        return Err(ApiError::Forbidden(
            "staff lead campaigns for their own region; admins for any",
        ));
    }
    let txn = db::begin_write(db).await?;
    let mut row = campaign::ActiveModel {
        title: Set(new.title),
        summary: Set(new.summary),
        body: Set(new.body),
        status: Set(CampaignStatus::Draft),
        lead_region_id: Set(new.lead_region_id),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_prioritisation(&mut row, new.prioritisation);
    let created = campaign::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    replace_links(&txn, created.id, Some(&new.goal_ids), Some(&new.region_ids)).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("campaign.create", "campaign", created.id)
            .with_detail(json!({ "title": created.title })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: CampaignChanges,
) -> ApiResult<campaign::Model> {
    let no_ids = BTreeSet::new();
    check_references(
        db,
        changes.goal_ids.as_ref().unwrap_or(&no_ids),
        changes.region_ids.as_ref().unwrap_or(&no_ids),
        changes.lead_region_id.flatten(),
    )
    .await?;
    let txn = db::begin_write(db).await?;
    let current = lock(&txn, id).await?;
    if !can_manage_campaign(actor, &current) {
        return Err(ApiError::Forbidden("you cannot change this campaign"));
    }
    if let Some(lead) = changes.lead_region_id
        && !can_create_campaign(actor, lead)
    {
        return Err(ApiError::Forbidden(
            "staff cannot hand a campaign to another region",
        ));
    }
    let fields = changed_fields(&changes);
    let mut row: campaign::ActiveModel = current.into();
    if let Some(title) = changes.title {
        row.title = Set(title);
    }
    if let Some(summary) = changes.summary {
        row.summary = Set(summary);
    }
    if let Some(body) = changes.body {
        row.body = Set(body);
    }
    if let Some(lead) = changes.lead_region_id {
        row.lead_region_id = Set(lead);
    }
    if let Some(prioritisation) = changes.prioritisation {
        set_prioritisation(&mut row, prioritisation);
    }
    row.updated_at = Set(now);
    let updated = campaign::Entity::update(row).exec(&txn).await?;
    replace_links(
        &txn,
        id,
        changes.goal_ids.as_ref(),
        changes.region_ids.as_ref(),
    )
    .await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("campaign.update", "campaign", id).with_detail(json!({ "fields": fields })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

fn changed_fields(changes: &CampaignChanges) -> Vec<&'static str> {
    [
        ("title", changes.title.is_some()),
        ("summary", changes.summary.is_some()),
        ("body", changes.body.is_some()),
        ("goalIds", changes.goal_ids.is_some()),
        ("regionIds", changes.region_ids.is_some()),
        ("leadRegionId", changes.lead_region_id.is_some()),
        ("prioritisation", changes.prioritisation.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, touched)| touched.then_some(field))
    .collect()
}

/// Moves a campaign to `target`, if the move is allowed from where it is now. The move is a
/// conditional update, so two people moving it at once cannot both succeed from the same state.
pub async fn set_status(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    target: CampaignStatus,
) -> ApiResult<campaign::Model> {
    let txn = db::begin_write(db).await?;
    let current = lock(&txn, id).await?;
    if !can_manage_campaign(actor, &current) {
        return Err(ApiError::Forbidden("you cannot change this campaign"));
    }
    let moved = campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value(target))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(id))
        .filter(campaign::Column::Status.is_in(allowed_predecessors(target).iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 0 {
        return Err(ApiError::Conflict(format!(
            "a campaign that is {} cannot become {}",
            current.status.to_value(),
            target.to_value()
        )));
    }
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("campaign.set_status", "campaign", id)
            .with_detail(json!({ "from": current.status, "to": target })),
    )
    .await?;
    let updated = lock(&txn, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The campaign, locked until the transaction ends.
pub async fn lock(conn: &impl ConnectionTrait, id: i64) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("campaign"))
}

fn set_prioritisation(row: &mut campaign::ActiveModel, prioritisation: Prioritisation) {
    row.impact_score = Set(prioritisation.impact.score);
    row.impact_note = Set(prioritisation.impact.note);
    row.relevance_score = Set(prioritisation.relevance.score);
    row.relevance_note = Set(prioritisation.relevance.note);
    row.opportunity_score = Set(prioritisation.opportunity.score);
    row.opportunity_note = Set(prioritisation.opportunity.note);
    row.added_value_score = Set(prioritisation.added_value.score);
    row.added_value_note = Set(prioritisation.added_value.note);
    row.long_shot = Set(prioritisation.long_shot);
}

/// Refuses goal ids that do not exist, naming `field`.
pub async fn check_goals(
    db: &impl ConnectionTrait,
    field: &str,
    goal_ids: &BTreeSet<i64>,
) -> ApiResult<()> {
    let goals = advocacy_goal::Entity::find()
        .filter(advocacy_goal::Column::Id.is_in(goal_ids.iter().copied()))
        .count(db)
        .await?;
    if goals != goal_ids.len() as u64 {
        return Err(ApiError::bad_input(
            field,
            "names a goal that does not exist",
        ));
    }
    Ok(())
}

/// Refuses campaign ids that do not exist, naming the field.
pub async fn check_campaigns(
    db: &impl ConnectionTrait,
    field: &str,
    campaign_ids: &BTreeSet<i64>,
) -> ApiResult<()> {
    if campaign_ids.is_empty() {
        return Ok(());
    }
    let found = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids.iter().copied()))
        .count(db)
        .await?;
    if found != campaign_ids.len() as u64 {
        return Err(ApiError::bad_input(field, "names an unknown campaign"));
    }
    Ok(())
}

/// Refuses goal and region ids that do not exist, naming the field.
async fn check_references(
    db: &DatabaseConnection,
    goal_ids: &BTreeSet<i64>,
    region_ids: &BTreeSet<i64>,
    lead_region_id: Option<i64>,
) -> ApiResult<()> {
    check_goals(db, "goalIds", goal_ids).await?;
    let regions = region::Entity::find()
        .filter(region::Column::Id.is_in(region_ids.iter().copied()))
        .count(db)
        .await?;
    if regions != region_ids.len() as u64 {
        return Err(ApiError::bad_input(
            "regionIds",
            "names a region that does not exist",
        ));
    }
    if let Some(lead) = lead_region_id {
        crate::regions::existing(db, "leadRegionId", lead).await?;
    }
    Ok(())
}

async fn replace_links(
    conn: &impl ConnectionTrait,
    campaign_id: i64,
    goal_ids: Option<&BTreeSet<i64>>,
    region_ids: Option<&BTreeSet<i64>>,
) -> ApiResult<()> {
    if let Some(goal_ids) = goal_ids {
        let rows = goal_ids.iter().map(|goal_id| campaign_goal::ActiveModel {
            campaign_id: Set(campaign_id),
            goal_id: Set(*goal_id),
        });
        db::replace_links(conn, campaign_goal::Column::CampaignId, campaign_id, rows).await?;
    }
    if let Some(region_ids) = region_ids {
        let rows = region_ids
            .iter()
            .map(|region_id| campaign_region::ActiveModel {
                campaign_id: Set(campaign_id),
                region_id: Set(*region_id),
            });
        db::replace_links(conn, campaign_region::Column::CampaignId, campaign_id, rows).await?;
    }
    Ok(())
}

#[derive(Default, Clone)]
pub struct ListFilter {
    pub status: Option<CampaignStatus>,
    /// Campaigns led by this region or covering it.
    pub region_id: Option<i64>,
    pub goal_id: Option<i64>,
    pub search: Option<String>,
}

/// The campaigns a viewer may see that match the filter (not yet ordered or paged).
pub fn visible(viewer: &Viewer, filter: &ListFilter) -> Select<campaign::Entity> {
    let mut query = campaign::Entity::find();
    if !is_team(viewer) {
        query = query.filter(campaign::Column::Status.ne(CampaignStatus::Draft));
    }
    if let Some(status) = filter.status {
        query = query.filter(campaign::Column::Status.eq(status));
    }
    if let Some(region_id) = filter.region_id {
        let covering = Query::select()
            .column(campaign_region::Column::CampaignId)
            .from(campaign_region::Entity)
            .and_where(campaign_region::Column::RegionId.eq(region_id))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(campaign::Column::LeadRegionId.eq(region_id))
                .add(campaign::Column::Id.in_subquery(covering)),
        );
    }
    if let Some(goal_id) = filter.goal_id {
        let with_goal = Query::select()
            .column(campaign_goal::Column::CampaignId)
            .from(campaign_goal::Entity)
            .and_where(campaign_goal::Column::GoalId.eq(goal_id))
            .to_owned();
        query = query.filter(campaign::Column::Id.in_subquery(with_goal));
    }
    if let Some(search) = &filter.search {
        let pattern = crate::input::contains_pattern(search);
        let like = |column: campaign::Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(campaign::Column::Title))
                .add(like(campaign::Column::Summary)),
        );
    }
    query
}
