//! Positions: statements attached to campaigns, either the charity's own or backed by partners.
//!
//! A partner's approval is for the exact text it saw. Every revision makes a new numbered
//! version; approvals are asked for and given per version, and a published partner-backed
//! position names as backers exactly the partners that approved the published version. The
//! position row is locked while it is revised, answered or published, so these never interleave.
//!
//! Publishing records the partners that approved the published version as its backers. A
//! backer that later takes its approval back is kept, with the date it withdrew, and the
//! position is flagged for staff: a published partner-backed position never silently loses the
//! partners it was published with.
//!
//! Who may do what, in one place:
//! - the people who run the campaign (`campaigns::can_manage_campaign`) write, revise, put to
//!   partners and publish its positions;
//! - a partner's members answer for their organisation, only on a version it was asked about;
//! - who sees a position, and a partner's answers: [`PositionAccess`], [`ApprovalAccess`].

pub mod graphql;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entities::{
    campaign,
    enums::{ApprovalDecision, CampaignStatus, Ownership},
    partner, position, position_approval, position_backer, position_version,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    campaigns::{self, CampaignAccess},
    db,
    graphql::{
        children::Audience,
        error::{ApiError, ApiResult},
    },
};

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_BODY_LEN: usize = 20_000;
pub const MAX_COMMENT_LEN: usize = 2_000;
pub const MAX_PARTNERS_PER_REQUEST: usize = 200;

/// Who may see a position.
pub struct PositionAccess;

/// What the position rule needs beyond the row.
pub struct PositionFacts {
    /// The position's campaign: a position is hidden wherever its campaign is.
    pub campaign: campaign::Model,
    /// Whether the viewer's organisation was asked to approve any version of it.
    pub asked: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct PositionGrant {
    /// Every version, the flag, all answers of the campaign: staff and admins.
    pub team: bool,
}

impl AccessRule for PositionAccess {
    type Row = position::Model;
    type Facts = PositionFacts;
    type Grant = PositionGrant;

    /// Everyone who can see the campaign sees its published positions; staff and admins see
    /// every position; members also see those their organisation was asked about.
    fn grant(
        viewer: &Viewer,
        row: &position::Model,
        facts: &PositionFacts,
    ) -> Option<PositionGrant> {
        if row.campaign_id != facts.campaign.id {
            return None;
        }
        CampaignAccess::grant(viewer, &facts.campaign, &())?;
        let actor = viewer.signed_in();
        let team = actor.is_some_and(Actor::is_team);
        let member_asked = facts.asked && actor.and_then(Actor::acting_for).is_some();
        (team || row.published_version.is_some() || member_asked).then_some(PositionGrant { team })
    }
}

/// Who may see a partner's answer on a position.
pub struct ApprovalAccess;

/// What the answer rule needs beyond the row.
pub struct ApprovalFacts {
    /// The region of the partner that was asked.
    pub partner_region: Option<i64>,
    /// The region that leads the position's campaign.
    pub lead_region: Option<i64>,
}

impl AccessRule for ApprovalAccess {
    type Row = position_approval::Model;
    type Facts = ApprovalFacts;
    type Grant = ();

    /// An answer is seen by the organisation that gave it, by the people who asked for it (the
    /// campaign's region's staff), by the staff of the organisation's region, and by admins.
    fn grant(viewer: &Viewer, row: &position_approval::Model, facts: &ApprovalFacts) -> Option<()> {
        let actor = viewer.signed_in()?;
        (actor.is_admin()
            || actor.is_member_of(row.partner_id)
            || actor.is_staff_of(facts.partner_region)
            || actor.is_staff_of(facts.lead_region))
        .then_some(())
    }
}

pub struct NewPosition {
    pub campaign_id: i64,
    pub title: String,
    pub ownership: Ownership,
    pub body: String,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewPosition,
) -> ApiResult<position::Model> {
    let txn = db::begin_write(db).await?;
    let campaign = campaigns::lock(&txn, new.campaign_id).await?;
    if !campaigns::can_manage_campaign(actor, &campaign) {
        return Err(ApiError::Forbidden(
            "you cannot add positions to this campaign",
        ));
    }
    let created = position::Entity::insert(position::ActiveModel {
        campaign_id: Set(new.campaign_id),
        title: Set(new.title),
        ownership: Set(new.ownership),
        current_version: Set(1),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    add_version(&txn, actor, now, created.id, 1, new.body).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("position.create", "position", created.id)
            .with_detail(json!({ "campaignId": new.campaign_id, "ownership": new.ownership })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

async fn add_version(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    position_id: i64,
    number: i32,
    body: String,
) -> ApiResult<()> {
    position_version::Entity::insert(position_version::ActiveModel {
        position_id: Set(position_id),
        number: Set(number),
        body: Set(body),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The position and its campaign's permission for `actor`, with the position locked.
async fn lock_for_manager(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> ApiResult<position::Model> {
    let position = lock(conn, id).await?;
    let campaign = campaigns::lock(conn, position.campaign_id).await?;
    if !campaigns::can_manage_campaign(actor, &campaign) {
        return Err(ApiError::Forbidden(
            "you cannot change this campaign's positions",
        ));
    }
    Ok(position)
}

async fn lock(conn: &impl ConnectionTrait, id: i64) -> ApiResult<position::Model> {
    position::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("position"))
}

pub async fn current_version(
    conn: &impl ConnectionTrait,
    position: &position::Model,
) -> ApiResult<position_version::Model> {
    version_numbered(conn, position, position.current_version).await
}

async fn version_numbered(
    conn: &impl ConnectionTrait,
    position: &position::Model,
    number: i32,
) -> ApiResult<position_version::Model> {
    position_version::Entity::find()
        .filter(position_version::Column::PositionId.eq(position.id))
        .filter(position_version::Column::Number.eq(number))
        .one(conn)
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "position {} has no version {number}",
                position.id
            ))
        })
}

/// Makes `body` the new current version. The same text again changes nothing.
pub async fn revise(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    body: String,
) -> ApiResult<position::Model> {
    let txn = db::begin_write(db).await?;
    let current = lock_for_manager(&txn, actor, id).await?;
    if current_version(&txn, &current).await?.body == body {
        return Ok(current);
    }
    let number = current.current_version + 1;
    add_version(&txn, actor, now, id, number, body).await?;
    let mut row: position::ActiveModel = current.into();
    row.current_version = Set(number);
    row.updated_at = Set(now);
    let revised = position::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("position.revise", "position", id).with_detail(json!({ "version": number })),
    )
    .await?;
    txn.commit().await?;
    Ok(revised)
}

/// Asks partners to approve the current version.
pub async fn request_approval(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    partner_ids: BTreeSet<i64>,
) -> ApiResult<position::Model> {
    let txn = db::begin_write(db).await?;
    let current = lock_for_manager(&txn, actor, id).await?;
    if current.ownership == Ownership::Own {
        return Err(ApiError::Conflict(
            "the charity's own positions are not put to partners for approval".to_owned(),
        ));
    }
    let known = partner::Entity::find()
        .filter(partner::Column::Id.is_in(partner_ids.iter().copied()))
        .count(&txn)
        .await?;
    if known != partner_ids.len() as u64 {
        return Err(ApiError::bad_input(
            "partnerIds",
            "names a partner that does not exist",
        ));
    }
    let version = current_version(&txn, &current).await?;
    let requests = partner_ids
        .iter()
        .map(|partner_id| position_approval::ActiveModel {
            version_id: Set(version.id),
            partner_id: Set(*partner_id),
            requested_by: Set(actor.user_id),
            requested_at: Set(now),
            ..Default::default()
        });
    position_approval::Entity::insert_many(requests)
        .on_conflict(
            OnConflict::columns([
                position_approval::Column::VersionId,
                position_approval::Column::PartnerId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("position.request_approval", "position", id).with_detail(json!({
            "version": version.number,
            "partnerIds": partner_ids,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

/// A partner member's answer on the current version. `version` is the number of the text the
/// member read; it must still be the current one, so nobody approves a text they have not
/// read. Declining the published text after approving it withdraws the organisation's backing:
/// the withdrawal is kept with its date and the position is flagged for staff.
pub async fn respond(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    decision: ApprovalDecision,
    comment: Option<String>,
    version: i32,
) -> ApiResult<(position_approval::Model, position_version::Model)> {
    let partner_id = actor.acting_for().ok_or(ApiError::Forbidden(
        "only a partner organisation's own members answer for it",
    ))?;
    let txn = db::begin_write(db).await?;
    let current = lock(&txn, id).await?;
    let campaign = campaigns::lock(&txn, current.campaign_id).await?;
    if campaign.status == CampaignStatus::Draft {
        return Err(ApiError::NotFound("position"));
    }
    // The current text is answered; while a revision waits, a backer of the published text
    // may still decline (withdraw from) that one.
    let withdrawing_from_published = version != current.current_version
        && decision == ApprovalDecision::Decline
        && current.published_version == Some(version);
    if version != current.current_version && !withdrawing_from_published {
        return Err(ApiError::Conflict(format!(
            "the text has changed since version {version}; read version {} before answering",
            current.current_version
        )));
    }
    let version = version_numbered(&txn, &current, version).await?;
    let request = position_approval::Entity::find()
        .filter(position_approval::Column::VersionId.eq(version.id))
        .filter(position_approval::Column::PartnerId.eq(partner_id))
        .one(&txn)
        .await?
        .ok_or(ApiError::Forbidden(
            "your organisation has not been asked to approve this text",
        ))?;
    let mut row: position_approval::ActiveModel = request.into();
    row.decision = Set(Some(decision));
    row.comment = Set(comment.clone());
    row.responded_by = Set(Some(actor.user_id));
    row.responded_at = Set(Some(now));
    let answered = position_approval::Entity::update(row).exec(&txn).await?;
    let published_now = current.published_version == Some(version.number);
    if published_now && decision == ApprovalDecision::Decline {
        withdraw_backing(&txn, &current, partner_id, comment, now).await?;
    }
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("position.respond", "position", id).with_detail(json!({
            "version": version.number,
            "partnerId": partner_id,
            "decision": decision,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok((answered, version))
}

/// Marks a backer of the published text as withdrawn, and flags the position for staff.
async fn withdraw_backing(
    conn: &impl ConnectionTrait,
    position: &position::Model,
    partner_id: i64,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let withdrawn = position_backer::Entity::update_many()
        .col_expr(position_backer::Column::WithdrawnAt, Expr::value(now))
        .col_expr(
            position_backer::Column::WithdrawalComment,
            Expr::value(comment),
        )
        .filter(position_backer::Column::PositionId.eq(position.id))
        .filter(position_backer::Column::PartnerId.eq(partner_id))
        .filter(position_backer::Column::WithdrawnAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    if withdrawn == 0 {
        return Ok(());
    }
    let name = partner::Entity::find_by_id(partner_id)
        .one(conn)
        .await?
        .map_or_else(|| "a partner".to_owned(), |partner| partner.name);
    position::Entity::update_many()
        .col_expr(position::Column::FlaggedAt, Expr::value(now))
        .col_expr(
            position::Column::FlagReason,
            Expr::value(format!(
                "{name} withdrew its backing of the published text on {}",
                now.format("%-d %B %Y")
            )),
        )
        .filter(position::Column::Id.eq(position.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Publishes the current version. A partner-backed position needs at least one partner that
/// approved this very version; those partners, as they stand now, become its backers (a later
/// approval does not add one, a later withdrawal is recorded against it).
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<position::Model> {
    let txn = db::begin_write(db).await?;
    let current = lock_for_manager(&txn, actor, id).await?;
    position_backer::Entity::delete_many()
        .filter(position_backer::Column::PositionId.eq(id))
        .exec(&txn)
        .await?;
    if current.ownership == Ownership::PartnerBacked {
        let version = current_version(&txn, &current).await?;
        let approvals = position_approval::Entity::find()
            .filter(position_approval::Column::VersionId.eq(version.id))
            .filter(position_approval::Column::Decision.eq(ApprovalDecision::Approve))
            .all(&txn)
            .await?;
        if approvals.is_empty() {
            return Err(ApiError::Conflict(format!(
                "no partner has approved version {} yet, so it cannot be published as partner-backed",
                version.number
            )));
        }
        let backers = approvals
            .iter()
            .map(|approval| position_backer::ActiveModel {
                position_id: Set(id),
                version: Set(version.number),
                partner_id: Set(approval.partner_id),
                approved_at: Set(approval.responded_at.unwrap_or(now)),
                ..Default::default()
            });
        position_backer::Entity::insert_many(backers)
            .exec_without_returning(&txn)
            .await?;
    }
    let version = current.current_version;
    let mut row: position::ActiveModel = current.into();
    row.published_version = Set(Some(version));
    row.published_at = Set(Some(now));
    row.flagged_at = Set(None);
    row.flag_reason = Set(None);
    row.updated_at = Set(now);
    let published = position::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("position.publish", "position", id).with_detail(json!({ "version": version })),
    )
    .await?;
    txn.commit().await?;
    Ok(published)
}

/// Which positions an audience sees: all for the team; published ones for everyone else, and
/// for members also those their organisation was asked about.
pub fn visible_to(audience: &Audience) -> Condition {
    let published = position::Column::PublishedVersion.is_not_null();
    match audience {
        Audience::Team => Condition::all(),
        Audience::Everyone => Condition::all().add(published),
        Audience::Partner(partner_id) => Condition::any()
            .add(published)
            .add(position::Column::Id.in_subquery(asked_positions(*partner_id))),
    }
}

/// The positions a partner was asked about, in any version.
fn asked_positions(partner_id: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((
            position_version::Entity,
            position_version::Column::PositionId,
        ))
        .from(position_version::Entity)
        .inner_join(
            position_approval::Entity,
            Expr::col((
                position_approval::Entity,
                position_approval::Column::VersionId,
            ))
            .equals((position_version::Entity, position_version::Column::Id)),
        )
        .and_where(
            Expr::col((
                position_approval::Entity,
                position_approval::Column::PartnerId,
            ))
            .eq(partner_id),
        )
        .to_owned()
}

/// Whether a member's organisation was asked about any version of the position.
pub async fn was_asked(
    conn: &impl ConnectionTrait,
    position_id: i64,
    partner_id: i64,
) -> ApiResult<bool> {
    let asked = position::Entity::find()
        .filter(position::Column::Id.eq(position_id))
        .filter(position::Column::Id.in_subquery(asked_positions(partner_id)))
        .select_only()
        .column(position::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    Ok(asked.is_some())
}

/// Engagement: the positions each partner in `ids` backed, and those it declined, answering
/// in `period`.
pub async fn engagement(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    period: crate::engagement::Period,
) -> ApiResult<(
    std::collections::HashMap<i64, crate::engagement::Tally>,
    std::collections::HashMap<i64, crate::engagement::Tally>,
)> {
    let answered = |decision: ApprovalDecision| {
        let query = position_approval::Entity::find()
            .filter(position_approval::Column::PartnerId.is_in(ids.iter().copied()))
            .filter(position_approval::Column::Decision.eq(decision));
        period.apply(query, position_approval::Column::RespondedAt)
    };
    let backed = crate::engagement::tally(
        conn,
        answered(ApprovalDecision::Approve),
        position_approval::Column::PartnerId,
        position_approval::Column::RespondedAt,
    )
    .await?;
    let declined = crate::engagement::tally(
        conn,
        answered(ApprovalDecision::Decline),
        position_approval::Column::PartnerId,
        position_approval::Column::RespondedAt,
    )
    .await?;
    Ok((backed, declined))
}
