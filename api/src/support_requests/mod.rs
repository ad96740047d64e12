//! Partners asking the charity to support their own campaign, or suggesting a priority issue.
//!
//! Who may do what, in one place:
//! - PARTNER members submit requests for their own organisation and follow their outcome;
//! - the staff of the partner's region triage them; for partners outside the regions, the
//!   national team (admins); admins may triage any;
//! - who reads them: [`SupportRequestAccess`];
//! - a request moves SUBMITTED → ACCEPTED or DECLINED (with a reason), and ACCEPTED → DONE.

pub mod graphql;

use chrono::{DateTime, Utc};
use entities::{
    campaign,
    enums::{CampaignStatus, SupportKind, SupportStatus},
    partner, support_request,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Select,
    sea_query::Query,
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    graphql::error::{ApiError, ApiResult},
};

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 10_000;
pub const MAX_REASON_LEN: usize = 2_000;

pub fn can_triage(actor: &Actor, partner: &partner::Model) -> bool {
    actor.is_admin() || actor.is_staff_of(partner.region_id)
}

/// Who may read a support request: the organisation's own members, the staff of its region,
/// and admins (the same people [`visible_to`] lists them for).
pub struct SupportRequestAccess;

impl AccessRule for SupportRequestAccess {
    type Row = support_request::Model;
    /// The region of the organisation that asked.
    type Facts = Option<i64>;
    type Grant = ();

    fn grant(viewer: &Viewer, row: &support_request::Model, region: &Option<i64>) -> Option<()> {
        let actor = viewer.signed_in()?;
        (actor.is_admin() || actor.is_member_of(row.partner_id) || actor.is_staff_of(*region))
            .then_some(())
    }
}

/// The statuses a request may move to `target` from.
fn allowed_predecessor(target: SupportStatus) -> Option<SupportStatus> {
    match target {
        SupportStatus::Submitted => None,
        SupportStatus::Accepted | SupportStatus::Declined => Some(SupportStatus::Submitted),
        SupportStatus::Done => Some(SupportStatus::Accepted),
    }
}

pub struct NewRequest {
    pub kind: SupportKind,
    pub title: String,
    pub description: String,
    pub campaign_id: Option<i64>,
}

pub async fn submit(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewRequest,
) -> ApiResult<support_request::Model> {
    let partner_id = actor.acting_for().ok_or(ApiError::Forbidden(
        "support requests come from partner organisations' members",
    ))?;
    if let Some(campaign_id) = new.campaign_id {
        let visible = campaign::Entity::find_by_id(campaign_id)
            .one(db)
            .await?
            .is_some_and(|campaign| campaign.status != CampaignStatus::Draft);
        if !visible {
            return Err(ApiError::bad_input("campaignId", "no campaign has this id"));
        }
    }
    let txn = db::begin_write(db).await?;
    let created = support_request::Entity::insert(support_request::ActiveModel {
        partner_id: Set(partner_id),
        campaign_id: Set(new.campaign_id),
        kind: Set(new.kind),
        title: Set(new.title),
        description: Set(new.description),
        status: Set(SupportStatus::Submitted),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("support_request.submit", "support_request", created.id)
            .with_detail(json!({ "partnerId": partner_id, "kind": new.kind })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Moves a request on. DECLINED needs a reason, which the partner sees.
pub async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    target: SupportStatus,
    reason: Option<String>,
) -> ApiResult<support_request::Model> {
    if target == SupportStatus::Declined && reason.is_none() {
        return Err(ApiError::bad_input(
            "reason",
            "say why the request is declined",
        ));
    }
    let txn = db::begin_write(db).await?;
    let found = support_request::Entity::find_by_id(id)
        .find_also_related(partner::Entity)
        .one(&txn)
        .await?;
    let (current, partner) = match found {
        Some((request, Some(partner))) => (request, partner),
        _ => return Err(ApiError::NotFound("support request")),
    };
    if !can_triage(actor, &partner) {
        return Err(ApiError::Forbidden(
            "requests are answered by the staff of the partner's region, or the national team",
        ));
    }
    let Some(from) = allowed_predecessor(target) else {
        return Err(ApiError::bad_input(
            "status",
            "a request cannot go back to SUBMITTED",
        ));
    };
    let mut changes = support_request::Entity::update_many()
        .col_expr(support_request::Column::Status, target.into())
        .col_expr(support_request::Column::UpdatedAt, now.into())
        .col_expr(support_request::Column::DecidedBy, actor.user_id.into())
        .col_expr(support_request::Column::DecidedAt, now.into());
    if reason.is_some() {
        changes = changes.col_expr(support_request::Column::DecisionReason, reason.into());
    }
    let moved = changes
        .filter(support_request::Column::Id.eq(id))
        .filter(support_request::Column::Status.eq(from))
        .exec(&txn)
        .await?
        .rows_affected;
    if moved == 0 {
        return Err(ApiError::Conflict(format!(
            "only a {} request can become {}",
            sea_orm::ActiveEnum::to_value(&from),
            sea_orm::ActiveEnum::to_value(&target)
        )));
    }
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("support_request.decide", "support_request", id)
            .with_detail(json!({ "from": current.status, "to": target })),
    )
    .await?;
    let updated = support_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("support request"))?;
    txn.commit().await?;
    Ok(updated)
}

/// The requests an actor may read: their organisation's for members; their region's partners'
/// for staff; all for admins.
pub fn visible_to(actor: &Actor) -> Select<support_request::Entity> {
    let query = support_request::Entity::find();
    if actor.is_admin() {
        return query;
    }
    if let Some(partner_id) = actor.acting_for() {
        return query.filter(support_request::Column::PartnerId.eq(partner_id));
    }
    let regional_partners = Query::select()
        .column(partner::Column::Id)
        .from(partner::Entity)
        .and_where(partner::Column::RegionId.eq(actor.region_id.unwrap_or_default()))
        .to_owned();
    query.filter(support_request::Column::PartnerId.in_subquery(regional_partners))
}

/// Engagement: the requests for support each partner in `ids` made in `period`.
pub async fn engagement(
    conn: &impl sea_orm::ConnectionTrait,
    ids: &[i64],
    period: crate::engagement::Period,
) -> ApiResult<std::collections::HashMap<i64, crate::engagement::Tally>> {
    let asked = support_request::Entity::find()
        .filter(support_request::Column::PartnerId.is_in(ids.iter().copied()));
    crate::engagement::tally(
        conn,
        period.apply(asked, support_request::Column::CreatedAt),
        support_request::Column::PartnerId,
        support_request::Column::CreatedAt,
    )
    .await
}
