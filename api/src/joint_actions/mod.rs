//! Joint actions inside campaigns, and partners opting in to them.
//!
//! Partners are invited, never assumed: a partner counts as supporting an action only while its
//! own members have opted it in. Who may do what, in one place:
//! - the people who run the campaign (`campaigns::can_manage_campaign`) create and edit its
//!   actions;
//! - only PARTNER members opt in or withdraw, and only for their own organisation;
//! - who sees an action, who opted in and the history of answers: [`JointActionAccess`],
//!   [`OptInAccess`], [`OptInEventAccess`]; the counts are for everyone who can see the
//!   campaign; staff also see which partners of their region have not answered.

pub mod graphql;

use chrono::{DateTime, Utc};
use entities::{
    campaign,
    enums::{ActionKind, CampaignStatus, OptInChange, PartnerStatus},
    joint_action, opt_in, opt_in_event, partner,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    campaigns::{self, CampaignAccess},
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult},
};

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 10_000;
pub const MAX_NOTE_LEN: usize = 1_000;

/// An action is seen by whoever sees its campaign.
pub struct JointActionAccess;

impl AccessRule for JointActionAccess {
    type Row = joint_action::Model;
    /// The action's campaign.
    type Facts = campaign::Model;
    type Grant = ();

    fn grant(
        viewer: &Viewer,
        action: &joint_action::Model,
        campaign: &campaign::Model,
    ) -> Option<()> {
        (action.campaign_id == campaign.id)
            .then(|| CampaignAccess::grant(viewer, campaign, &()))
            .flatten()
            .map(drop)
    }
}

/// Which partners opted in, and what they said, is for people signed in; the public sees
/// the counts.
pub struct OptInAccess;

impl AccessRule for OptInAccess {
    type Row = opt_in::Model;
    type Facts = ();
    type Grant = ();

    fn grant(viewer: &Viewer, _: &opt_in::Model, _: &()) -> Option<()> {
        viewer.signed_in().map(drop)
    }
}

/// Each opt-in and withdrawal as it happened: all of them for staff and admins, their own
/// organisation's for partner members, none for the public.
pub struct OptInEventAccess;

impl AccessRule for OptInEventAccess {
    type Row = opt_in_event::Model;
    type Facts = ();
    type Grant = ();

    fn grant(viewer: &Viewer, event: &opt_in_event::Model, _: &()) -> Option<()> {
        viewer
            .signed_in()
            .filter(|actor| actor.is_team() || actor.is_member_of(event.partner_id))
            .map(drop)
    }
}

/// The organisation a member acts for, or FORBIDDEN for anyone else.
pub fn acting_partner(actor: &Actor) -> ApiResult<i64> {
    actor.acting_for().ok_or(ApiError::Forbidden(
        "only a partner organisation's own members opt it in or out",
    ))
}

/// Whether partners may join an action now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    NotYetOpen,
    Open,
    Closed,
}

pub fn window(action: &joint_action::Model, now: DateTime<Utc>) -> Window {
    if action.opens_at.is_some_and(|opens| opens > now) {
        Window::NotYetOpen
    } else if action.closes_at.is_some_and(|closes| closes <= now) {
        Window::Closed
    } else {
        Window::Open
    }
}

pub struct NewAction {
    pub title: String,
    pub description: String,
    pub kind: ActionKind,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ActionChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<ActionKind>,
    pub opens_at: Option<Option<DateTime<Utc>>>,
    pub closes_at: Option<Option<DateTime<Utc>>>,
}

fn check_dates(opens_at: Option<DateTime<Utc>>, closes_at: Option<DateTime<Utc>>) -> ApiResult<()> {
    match (opens_at, closes_at) {
        (Some(opens), Some(closes)) if opens >= closes => {
            Err(ApiError::bad_input("closesAt", "must be after opensAt"))
        }
        _ => Ok(()),
    }
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    campaign_id: i64,
    new: NewAction,
) -> ApiResult<joint_action::Model> {
    check_dates(new.opens_at, new.closes_at)?;
    let txn = db::begin_write(db).await?;
    let campaign = campaigns::lock(&txn, campaign_id).await?;
    if !campaigns::can_manage_campaign(actor, &campaign) {
        return Err(ApiError::Forbidden(
            "you cannot add actions to this campaign",
        ));
    }
    if matches!(
        campaign.status,
        CampaignStatus::Won | CampaignStatus::Closed
    ) {
        return Err(ApiError::Conflict("this campaign has ended".to_owned()));
    }
    let created = joint_action::Entity::insert(joint_action::ActiveModel {
        campaign_id: Set(campaign_id),
        title: Set(new.title),
        description: Set(new.description),
        kind: Set(new.kind),
        opens_at: Set(new.opens_at),
        closes_at: Set(new.closes_at),
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
        Change::new("joint_action.create", "joint_action", created.id)
            .with_detail(json!({ "campaignId": campaign_id })),
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
    changes: ActionChanges,
) -> ApiResult<joint_action::Model> {
    let txn = db::begin_write(db).await?;
    let current = joint_action::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("joint action"))?;
    let campaign = campaigns::lock(&txn, current.campaign_id).await?;
    if !campaigns::can_manage_campaign(actor, &campaign) {
        return Err(ApiError::Forbidden(
            "you cannot change this campaign's actions",
        ));
    }
    check_dates(
        changes.opens_at.unwrap_or(current.opens_at),
        changes.closes_at.unwrap_or(current.closes_at),
    )?;
    let mut row: joint_action::ActiveModel = current.into();
    if let Some(title) = changes.title {
        row.title = Set(title);
    }
    if let Some(description) = changes.description {
        row.description = Set(description);
    }
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    if let Some(opens_at) = changes.opens_at {
        row.opens_at = Set(opens_at);
    }
    if let Some(closes_at) = changes.closes_at {
        row.closes_at = Set(closes_at);
    }
    row.updated_at = Set(now);
    let updated = joint_action::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("joint_action.update", "joint_action", id),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// What an opt-in or withdrawal did.
pub struct Answer {
    pub action: joint_action::Model,
    /// False when the partner was already in the state asked for.
    pub changed: bool,
    pub event: Event,
}

/// Opts the actor's organisation in. Opting in again changes nothing but the note.
pub async fn opt_in(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    action_id: i64,
    note: Option<String>,
) -> ApiResult<Answer> {
    let partner_id = acting_partner(actor)?;
    let txn = db::begin_write(db).await?;
    let action = open_action(&txn, action_id, now).await?;
    let inserted = opt_in::Entity::insert(opt_in::ActiveModel {
        action_id: Set(action_id),
        partner_id: Set(partner_id),
        active: Set(true),
        note: Set(note.clone()),
        opted_in_at: Set(now),
        opted_in_by: Set(actor.user_id),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([opt_in::Column::ActionId, opt_in::Column::PartnerId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let rejoined = inserted == 0
        && opt_in::Entity::update_many()
            .col_expr(opt_in::Column::Active, Expr::value(true))
            .col_expr(opt_in::Column::OptedInAt, Expr::value(now))
            .col_expr(opt_in::Column::OptedInBy, Expr::value(actor.user_id))
            .col_expr(
                opt_in::Column::WithdrawnAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                opt_in::Column::WithdrawnBy,
                Expr::value(Option::<i64>::None),
            )
            .filter(opt_in::Column::ActionId.eq(action_id))
            .filter(opt_in::Column::PartnerId.eq(partner_id))
            .filter(opt_in::Column::Active.eq(false))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
    let changed = inserted == 1 || rejoined;
    if note.is_some() {
        opt_in::Entity::update_many()
            .col_expr(opt_in::Column::Note, Expr::value(note.clone()))
            .filter(opt_in::Column::ActionId.eq(action_id))
            .filter(opt_in::Column::PartnerId.eq(partner_id))
            .exec(&txn)
            .await?;
    }
    let answer = record_answer(
        &txn,
        actor,
        now,
        AnswerMade {
            action,
            partner_id,
            change: OptInChange::OptedIn,
            note,
            changed,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(answer)
}

/// Withdraws the actor's organisation. Withdrawing when not opted in changes nothing.
pub async fn withdraw(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    action_id: i64,
) -> ApiResult<Answer> {
    let partner_id = acting_partner(actor)?;
    let txn = db::begin_write(db).await?;
    let (action, _) = lock_visible_action(&txn, action_id).await?;
    if window(&action, now) == Window::Closed {
        return Err(ApiError::Conflict(
            "this action has closed; its list of partners is final".to_owned(),
        ));
    }
    let changed = opt_in::Entity::update_many()
        .col_expr(opt_in::Column::Active, Expr::value(false))
        .col_expr(opt_in::Column::WithdrawnAt, Expr::value(now))
        .col_expr(opt_in::Column::WithdrawnBy, Expr::value(actor.user_id))
        .filter(opt_in::Column::ActionId.eq(action_id))
        .filter(opt_in::Column::PartnerId.eq(partner_id))
        .filter(opt_in::Column::Active.eq(true))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let answer = record_answer(
        &txn,
        actor,
        now,
        AnswerMade {
            action,
            partner_id,
            change: OptInChange::Withdrawn,
            note: None,
            changed,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(answer)
}

/// A partner's answer to an action, as just written.
struct AnswerMade {
    action: joint_action::Model,
    partner_id: i64,
    change: OptInChange,
    note: Option<String>,
    /// False when the partner was already in the state asked for.
    changed: bool,
}

/// Keeps the history, the audit log and the live count in step with an answer that changed
/// something.
async fn record_answer(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    made: AnswerMade,
) -> ApiResult<Answer> {
    let AnswerMade {
        action,
        partner_id,
        change,
        note,
        changed,
    } = made;
    if changed {
        opt_in_event::Entity::insert(opt_in_event::ActiveModel {
            action_id: Set(action.id),
            partner_id: Set(partner_id),
            change: Set(change),
            note: Set(note),
            actor_id: Set(actor.user_id),
            at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(conn)
        .await?;
        let verb = match change {
            OptInChange::OptedIn => "joint_action.opt_in",
            OptInChange::Withdrawn => "joint_action.withdraw",
        };
        audit::record(
            conn,
            actor.user_id,
            now,
            Change::new(verb, "joint_action", action.id)
                .with_detail(json!({ "partnerId": partner_id })),
        )
        .await?;
    }
    let opt_in_count = opt_in::Entity::find()
        .filter(opt_in::Column::ActionId.eq(action.id))
        .filter(opt_in::Column::Active.eq(true))
        .count(conn)
        .await?;
    let event = Event::OptInsChanged {
        action_id: action.id,
        partner_id,
        change,
        opt_in_count,
        at: now,
    };
    Ok(Answer {
        action,
        changed,
        event,
    })
}

/// The action, if partners may see it (its campaign is not a draft), with its campaign. The
/// action's row stays locked until the transaction ends, so answers to one action are counted
/// one after another and each live count is a different number.
async fn lock_visible_action(
    conn: &impl ConnectionTrait,
    action_id: i64,
) -> ApiResult<(joint_action::Model, campaign::Model)> {
    let not_found = || ApiError::NotFound("joint action");
    let action = joint_action::Entity::find_by_id(action_id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let campaign = campaign::Entity::find_by_id(action.campaign_id)
        .one(conn)
        .await?
        .filter(|campaign| campaign.status != CampaignStatus::Draft)
        .ok_or_else(not_found)?;
    Ok((action, campaign))
}

/// The action, if partners may join it now: its campaign is active and it is open.
async fn open_action(
    conn: &impl ConnectionTrait,
    action_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<joint_action::Model> {
    let (action, campaign) = lock_visible_action(conn, action_id).await?;
    if campaign.status != CampaignStatus::Active {
        return Err(ApiError::Conflict(
            "this action's campaign is not active, so it is not taking part now".to_owned(),
        ));
    }
    match window(&action, now) {
        Window::Open => Ok(action),
        Window::NotYetOpen => Err(ApiError::Conflict(
            "this action has not opened yet".to_owned(),
        )),
        Window::Closed => Err(ApiError::Conflict("this action has closed".to_owned())),
    }
}

/// Active partners that have never answered the action, in the viewer's remit: their own
/// region for staff, everywhere (or `region_id`) for admins.
pub fn not_responded(
    actor: &Actor,
    action_id: i64,
    region_id: Option<i64>,
) -> ApiResult<Select<partner::Entity>> {
    let region_id = if actor.is_admin() {
        region_id
    } else if actor.is_staff() {
        actor.region_id
    } else {
        return Err(ApiError::Forbidden(
            "only staff and admins follow up on answers",
        ));
    };
    let answered = Query::select()
        .column(opt_in::Column::PartnerId)
        .from(opt_in::Entity)
        .and_where(opt_in::Column::ActionId.eq(action_id))
        .to_owned();
    let query = partner::Entity::find()
        .filter(partner::Column::Status.eq(PartnerStatus::Active))
        .filter(partner::Column::Id.not_in_subquery(answered));
    Ok(match region_id {
        Some(region_id) => query.filter(partner::Column::RegionId.eq(region_id)),
        None => query,
    })
}

/// Whose answers a viewer may read in an action's history (as [`OptInEventAccess`] says): all
/// for the team, their own organisation's for members.
pub fn history_visible_to(viewer: &Viewer) -> ApiResult<Option<i64>> {
    match viewer.actor()? {
        actor if actor.is_team() => Ok(None),
        actor => actor
            .partner_id
            .map(Some)
            .ok_or(ApiError::Forbidden("you cannot read this history")),
    }
}

/// Engagement: the joint actions each partner in `ids` joined in `period`.
pub async fn engagement(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    period: crate::engagement::Period,
) -> ApiResult<std::collections::HashMap<i64, crate::engagement::Tally>> {
    let joined =
        opt_in::Entity::find().filter(opt_in::Column::PartnerId.is_in(ids.iter().copied()));
    crate::engagement::tally(
        conn,
        period.apply(joined, opt_in::Column::OptedInAt),
        opt_in::Column::PartnerId,
        opt_in::Column::OptedInAt,
    )
    .await
}
