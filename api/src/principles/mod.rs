//! Asylum Early Action: the six principles, the organisations that sign them, and the
//! self-assessments that show whether their practice is changing.
//!
//! A partner organisation signs through one of its members and is signed at once. An
//! organisation outside the network signs from the public form: it confirms its address from
//! the emailed link, then the staff of its region (the national team when it has none) approve
//! or reject it, and it is told either way; an approved outside signatory gets a manage link,
//! which stands in for an account for everything below.
//!
//! Who may do what, in one place:
//! - ADMIN edits the principles' wording (each edit begins a new edition);
//! - a partner's members sign for it, change its listing, withdraw it, and assess it; for an
//!   outside organisation, whoever holds its manage link;
//! - the staff of a signatory's region, and admins, approve, reject and withdraw it;
//! - who sees a signatory, and how much: [`SignatoryAccess`]; the public list shows only
//!   approved signatories that chose to be listed, and never a person's name or address.

pub mod assessments;
pub mod demo;
pub mod export;
pub mod graphql;
pub mod reminders;
pub mod report;

use chrono::{DateTime, Utc};
use entities::{
    enums::SignatoryStatus, partner, principle, principle_edition, principle_indicator, signatory,
    user,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Client, Viewer, tokens, visible::AccessRule},
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult, conflict_on_unique},
    input::EmailAddress,
    mailing::{outbox, tokens::Purpose},
    state::AppState,
};

pub const MAX_ROLE_LEN: usize = 200;
pub const MAX_REASON_LEN: usize = 2_000;
const ALREADY_SIGNED: &str = "this organisation has already signed; withdraw first to sign again";

/// Who may see a signatory, and how much of it.
pub struct SignatoryAccess;

#[derive(Debug, Clone, Copy)]
pub struct SignatoryGrant {
    /// Who signed, their address, the status and its history: staff, admins and the
    /// organisation itself.
    pub contact: bool,
    /// Its self-assessments and progress: the organisation itself (its members, the holder of
    /// its manage link) and nobody else, so no one is singled out; the sector sees only the
    /// report.
    pub own: bool,
}

impl AccessRule for SignatoryAccess {
    type Row = signatory::Model;
    /// Whether the viewer holds the signatory's manage link.
    type Facts = bool;
    type Grant = SignatoryGrant;

    fn grant(viewer: &Viewer, row: &signatory::Model, holds_link: &bool) -> Option<SignatoryGrant> {
        let actor = viewer.signed_in();
        let own = *holds_link
            || row
                .partner_id
                .is_some_and(|id| actor.is_some_and(|a| a.is_member_of(id)));
        let contact = own || actor.is_some_and(Actor::is_team);
        (contact || is_listed(row)).then_some(SignatoryGrant { contact, own })
    }
}

/// Whether the public list shows it: approved, and it chose to be listed.
pub fn is_listed(row: &signatory::Model) -> bool {
    row.status == SignatoryStatus::Approved && row.list_publicly
}

/// How long after approval, or its last assessment, a signatory is invited to assess again.
pub fn reassess_after() -> chrono::Duration {
    chrono::Duration::days(365)
}

/// Who acts on a signatory: one of its members, the holder of its manage link, or (for
/// approving, rejecting and withdrawing) the staff of its region and admins.
#[derive(Clone, Copy)]
pub enum Signer<'a> {
    Member(&'a Actor),
    LinkHolder,
    Team(&'a Actor),
}

/// Who speaks for a signatory, given the actor (if any) and whether they hold its link.
pub fn signer<'a>(
    actor: Option<&'a Actor>,
    row: &signatory::Model,
    holds_link: bool,
) -> Option<Signer<'a>> {
    match actor {
        Some(actor) if row.partner_id.is_some_and(|id| actor.is_member_of(id)) => {
            Some(Signer::Member(actor))
        }
        _ if holds_link => Some(Signer::LinkHolder),
        Some(actor) if actor.is_admin() || actor.is_staff_of(row.region_id) => {
            Some(Signer::Team(actor))
        }
        _ => None,
    }
}

/// The staff of its region decide an outside signature; admins decide any.
pub fn can_decide(actor: &Actor, row: &signatory::Model) -> bool {
    actor.is_admin() || actor.is_staff_of(row.region_id)
}

/// A signature, checked.
pub struct NewSignature {
    pub signatory_name: String,
    pub signatory_role: String,
    pub list_publicly: bool,
    pub who: Signing,
}

/// Who is signing.
pub enum Signing {
    /// A partner organisation, through one of its members.
    Partner { partner_id: i64 },
    /// An organisation outside the network, from the public form.
    Outside {
        organisation_name: String,
        website: Option<String>,
        town: Option<String>,
        region_id: Option<i64>,
        email: EmailAddress,
    },
}

/// The current edition of the principles.
pub async fn current_edition(conn: &impl ConnectionTrait) -> ApiResult<i32> {
    let newest: Option<i32> = principle_edition::Entity::find()
        .select_only()
        .column_as(principle_edition::Column::Number.max(), "number")
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    Ok(newest.unwrap_or(1))
}

/// Signs the principles. A partner organisation is signed at once; an outside one is asked to
/// confirm its address first.
pub async fn sign(
    state: &AppState,
    actor: Option<&Actor>,
    client: &Client,
    new: NewSignature,
) -> ApiResult<signatory::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let edition = current_edition(&txn).await?;
    let token = tokens::new_opaque_token();
    let base = signatory::ActiveModel {
        signatory_name: Set(new.signatory_name),
        signatory_role: Set(new.signatory_role),
        list_publicly: Set(new.list_publicly),
        edition: Set(edition),
        token_hash: Set(tokens::digest(&token)),
        manage_salt: Set(tokens::new_opaque_token()),
        signed_by: Set(actor.map(|actor| actor.user_id)),
        signed_at: Set(now),
        ..Default::default()
    };
    let created = match new.who {
        Signing::Partner { partner_id } => {
            let actor = actor.ok_or(ApiError::Unauthenticated(
                "sign in to sign for your organisation",
            ))?;
            if !actor.is_member_of(partner_id) {
                return Err(ApiError::Forbidden(
                    "a partner organisation signs through one of its own members",
                ));
            }
            signed_by_partner(&txn, actor, partner_id, base, now).await?
        }
        Signing::Outside {
            organisation_name,
            website,
            town,
            region_id,
            email,
        } => {
            state.enquiry_rate.check(client.ip, now)?;
            if let Some(region_id) = region_id {
                crate::regions::existing(&txn, "regionId", region_id).await?;
            }
            let row = signatory::ActiveModel {
                name_key: Set(crate::input::name_key(&organisation_name)),
                organisation_name: Set(organisation_name),
                website: Set(website),
                town: Set(town),
                region_id: Set(region_id),
                email: Set(email.into_string()),
                status: Set(SignatoryStatus::Unconfirmed),
                ..base
            };
            let created = signatory::Entity::insert(row)
                .exec_with_returning(&txn)
                .await?;
            let link = state
                .config
                .link("/principles/confirm", &[("token", &token)]);
            // Only our own words: anyone can sign on behalf of any address.
            let letter = format!(
                "Thank you for signing the Asylum Early Action principles.\n\n\
                 To confirm your signature, open this link and press the button:\n{link}\n\n\
                 Our team then looks at it and writes to you. If you did not sign, ignore this \
                 email."
            );
            outbox::enqueue_written_kind(
                &txn,
                &created.email,
                "Please confirm your signature of the Early Action principles",
                letter,
                now,
            )
            .await?;
            created
        }
    };
    txn.commit().await?;
    state.mail_queued().await;
    if created.status == SignatoryStatus::Approved {
        state.events.publish(Event::ReassessmentScheduled).await;
    }
    Ok(created)
}

async fn signed_by_partner(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    partner_id: i64,
    base: signatory::ActiveModel,
    now: DateTime<Utc>,
) -> ApiResult<signatory::Model> {
    let organisation = partner::Entity::find_by_id(partner_id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::bad_input("partnerId", "no partner has this id"))?;
    let email: String = user::Entity::find_by_id(actor.user_id)
        .select_only()
        .column(user::Column::Email)
        .into_tuple()
        .one(conn)
        .await?
        .ok_or(ApiError::Unauthenticated("this account no longer exists"))?;
    let row = signatory::ActiveModel {
        partner_id: Set(Some(partner_id)),
        name_key: Set(organisation.name_key.clone()),
        organisation_name: Set(organisation.name.clone()),
        website: Set(organisation.website.clone()),
        town: Set(organisation.town.clone()),
        region_id: Set(organisation.region_id),
        email: Set(email),
        status: Set(SignatoryStatus::Approved),
        confirmed_at: Set(Some(now)),
        decided_at: Set(Some(now)),
        reassess_due_at: Set(Some(now + reassess_after())),
        ..base
    };
    let created = signatory::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|error| conflict_on_unique(error, ALREADY_SIGNED))?;
    audit::record(
        conn,
        actor.user_id,
        now,
        Change::new("principles.sign", "signatory", created.id)
            .with_detail(json!({ "partnerId": partner_id, "edition": created.edition })),
    )
    .await?;
    Ok(created)
}

/// Confirms an outside signature from its emailed link; it then waits for staff, who are told.
pub async fn confirm(state: &AppState, token: &str) -> ApiResult<signatory::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = signatory::Entity::find()
        .filter(signatory::Column::TokenHash.eq(tokens::digest(token.trim())))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::bad_input("token", "this link is not valid"))?;
    if found.status != SignatoryStatus::Unconfirmed {
        return Err(ApiError::Conflict(
            "this signature is already confirmed".to_owned(),
        ));
    }
    let mut row: signatory::ActiveModel = found.into();
    row.status = Set(SignatoryStatus::Pending);
    row.confirmed_at = Set(Some(now));
    let confirmed = signatory::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    Ok(confirmed)
}

/// The signatory, locked.
async fn lock(conn: &impl ConnectionTrait, id: i64) -> ApiResult<signatory::Model> {
    signatory::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("signatory"))
}

/// Approves or rejects a confirmed outside signature, and tells the organisation.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: i64,
    rejection: Option<String>,
) -> ApiResult<signatory::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = lock(&txn, id).await?;
    if !can_decide(actor, &found) {
        return Err(refused(
            Some(actor),
            &found,
            false,
            "signatures are approved by the staff of the organisation's region, or the national team",
        ));
    }
    if found.status != SignatoryStatus::Pending {
        return Err(ApiError::Conflict(
            "only a confirmed signature waiting for approval can be decided".to_owned(),
        ));
    }
    let (status, subject, letter) = match &rejection {
        None => (
            SignatoryStatus::Approved,
            "Your signature of the Early Action principles is approved",
            format!(
                "{} is now a signatory of the Asylum Early Action principles.\n\n\
                 This link lets you change how you are listed, withdraw, and assess your \
                 practice against the principles each year. Keep it safe:\n{}\n",
                found.organisation_name,
                manage_link(state, &found)
            ),
        ),
        Some(reason) => (
            SignatoryStatus::Rejected,
            "Your signature of the Early Action principles",
            format!(
                "Thank you for signing the Asylum Early Action principles for {}. We are not \
                 able to list it, and we wanted to tell you why:\n\n{reason}\n",
                found.organisation_name
            ),
        ),
    };
    outbox::enqueue_written_kind(&txn, &found.email, subject, letter, now).await?;
    let mut row: signatory::ActiveModel = found.into();
    row.status = Set(status);
    row.decided_by = Set(Some(actor.user_id));
    row.decided_at = Set(Some(now));
    row.rejection_reason = Set(rejection);
    if status == SignatoryStatus::Approved {
        row.reassess_due_at = Set(Some(now + reassess_after()));
    }
    let decided = signatory::Entity::update(row).exec(&txn).await?;
    let verb = match status {
        SignatoryStatus::Approved => "principles.approve",
        _ => "principles.reject",
    };
    audit::record(&txn, actor.user_id, now, Change::new(verb, "signatory", id)).await?;
    txn.commit().await?;
    state.mail_queued().await;
    state.events.publish(Event::ReassessmentScheduled).await;
    Ok(decided)
}

/// The address of an outside signatory's manage page, carrying its token.
pub fn manage_link(state: &AppState, row: &signatory::Model) -> String {
    state.config.link(
        "/principles/manage",
        &[("token", &manage_token(state, row))],
    )
}

pub fn manage_token(state: &AppState, row: &signatory::Model) -> String {
    state
        .link_keys
        .make(Purpose::Signatory, row.id, &row.manage_salt, None)
}

/// Whether `token` is this signatory's manage link.
pub fn holds_link(state: &AppState, row: &signatory::Model, token: Option<&str>) -> bool {
    let Some(token) = token.and_then(crate::mailing::tokens::Token::parse) else {
        return false;
    };
    token.id == row.id
        && state
            .link_keys
            .verify(Purpose::Signatory, &token, &row.manage_salt, state.now())
}

/// The signatory whose manage link carries `token`, if the link is valid.
pub async fn by_manage_token(state: &AppState, token: &str) -> ApiResult<Option<signatory::Model>> {
    let Some(id) = crate::mailing::tokens::Token::parse(token).map(|token| token.id) else {
        return Ok(None);
    };
    let found = signatory::Entity::find_by_id(id).one(&state.db).await?;
    Ok(found.filter(|row| holds_link(state, row, Some(token))))
}

/// Where a signature stands, in a sentence for its organisation.
pub fn standing(row: &signatory::Model) -> String {
    let since =
        |at: Option<DateTime<Utc>>| at.unwrap_or(row.signed_at).format("%-d %B %Y").to_string();
    match row.status {
        SignatoryStatus::Unconfirmed => {
            "Your signature is waiting for you to confirm it.".to_owned()
        }
        SignatoryStatus::Pending => "Your signature is with our team for approval.".to_owned(),
        SignatoryStatus::Approved => format!(
            "You have been a signatory of the Asylum Early Action principles since {}.",
            since(row.decided_at)
        ),
        SignatoryStatus::Rejected => "Your signature was not approved.".to_owned(),
        SignatoryStatus::Withdrawn => format!(
            "You withdrew your signature on {}. You are welcome to sign again.",
            since(row.withdrawn_at)
        ),
    }
}

/// How a signatory is listed, changed by those who speak for it.
pub struct ListingChanges {
    pub list_publicly: Option<bool>,
    pub website: Option<Option<String>>,
    pub town: Option<Option<String>>,
}

/// The signatory, locked, if whoever asks speaks for it (its members, its link's holder, its
/// region's staff and admins).
async fn lock_for_signer(
    conn: &impl ConnectionTrait,
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    token: Option<&str>,
) -> ApiResult<signatory::Model> {
    let found = lock(conn, id).await?;
    let holds = holds_link(state, &found, token);
    if signer(actor, &found, holds).is_none() {
        return Err(refused(
            actor,
            &found,
            holds,
            "you cannot change this signature",
        ));
    }
    Ok(found)
}

/// Why someone may not act on a signatory: FORBIDDEN if they can see it, NOT_FOUND if not.
pub fn refused(
    actor: Option<&Actor>,
    row: &signatory::Model,
    holds_link: bool,
    why: &'static str,
) -> ApiError {
    let viewer = Viewer(actor.cloned());
    match SignatoryAccess::grant(&viewer, row, &holds_link) {
        Some(_) => ApiError::Forbidden(why),
        None => ApiError::NotFound("signatory"),
    }
}

pub async fn update_listing(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    token: Option<&str>,
    changes: ListingChanges,
) -> ApiResult<signatory::Model> {
    let txn = db::begin_write(&state.db).await?;
    let found = lock_for_signer(&txn, state, actor, id, token).await?;
    if found.partner_id.is_some() && (changes.website.is_some() || changes.town.is_some()) {
        return Err(ApiError::bad_input(
            "input",
            "a partner's website and town are changed on the partner",
        ));
    }
    let mut row: signatory::ActiveModel = found.into();
    if let Some(listed) = changes.list_publicly {
        row.list_publicly = Set(listed);
    }
    if let Some(website) = changes.website {
        row.website = Set(website);
    }
    if let Some(town) = changes.town {
        row.town = Set(town);
    }
    let updated = signatory::Entity::update(row).exec(&txn).await?;
    if let Some(actor) = actor {
        audit::record(
            &txn,
            actor.user_id,
            state.now(),
            Change::new("principles.update_listing", "signatory", id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Withdraws a signature: off the public list at once; history keeps that it had signed.
pub async fn withdraw(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    token: Option<&str>,
    reason: Option<String>,
) -> ApiResult<signatory::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = lock_for_signer(&txn, state, actor, id, token).await?;
    if !matches!(
        found.status,
        SignatoryStatus::Approved | SignatoryStatus::Pending | SignatoryStatus::Unconfirmed
    ) {
        return Err(ApiError::Conflict(
            "this signature is not standing, so there is nothing to withdraw".to_owned(),
        ));
    }
    let mut row: signatory::ActiveModel = found.into();
    row.status = Set(SignatoryStatus::Withdrawn);
    row.withdrawn_at = Set(Some(now));
    row.withdrawal_reason = Set(reason);
    row.reassess_due_at = Set(None);
    let withdrawn = signatory::Entity::update(row).exec(&txn).await?;
    if let Some(actor) = actor {
        audit::record(
            &txn,
            actor.user_id,
            now,
            Change::new("principles.withdraw", "signatory", id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(withdrawn)
}

/// The principles in order, and their indicators of the current edition.
pub async fn current(
    conn: &impl ConnectionTrait,
) -> ApiResult<Vec<(principle::Model, Vec<principle_indicator::Model>)>> {
    let principles = principle::Entity::find()
        .order_by_asc(principle::Column::Number)
        .all(conn)
        .await?;
    let indicators = principle_indicator::Entity::find()
        .filter(principle_indicator::Column::RetiredIn.is_null())
        .order_by_asc(principle_indicator::Column::Position)
        .all(conn)
        .await?;
    Ok(principles
        .into_iter()
        .map(|principle| {
            let own = indicators
                .iter()
                .filter(|indicator| indicator.principle_id == principle.id)
                .cloned()
                .collect();
            (principle, own)
        })
        .collect())
}

/// What an admin changes in the principles' wording.
pub enum WordingChange {
    Principle {
        id: i64,
        title: String,
        description: String,
    },
    Indicator {
        id: i64,
        text: String,
    },
}

/// Changes the wording; the change begins a new edition. An indicator's new wording is a new
/// row, and the old one is retired, so answers keep the wording they answered. Returns the
/// principle changed.
pub async fn reword(state: &AppState, actor: &Actor, change: WordingChange) -> ApiResult<i64> {
    if !actor.is_admin() {
        return Err(ApiError::Forbidden("only admins edit the principles"));
    }
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let edition = current_edition(&txn).await? + 1;
    principle_edition::Entity::insert(principle_edition::ActiveModel {
        number: Set(edition),
        created_at: Set(now),
        created_by: Set(Some(actor.user_id)),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|error| conflict_on_unique(error, "someone else edited the principles just now"))?;
    let target = match change {
        WordingChange::Principle {
            id,
            title,
            description,
        } => {
            let changed = principle::Entity::update_many()
                .col_expr(principle::Column::Title, Expr::value(title))
                .col_expr(principle::Column::Description, Expr::value(description))
                .filter(principle::Column::Id.eq(id))
                .exec(&txn)
                .await?
                .rows_affected;
            if changed == 0 {
                return Err(ApiError::NotFound("principle"));
            }
            (id, "principle", id)
        }
        WordingChange::Indicator { id, text } => {
            let old = principle_indicator::Entity::find_by_id(id)
                .filter(principle_indicator::Column::RetiredIn.is_null())
                .one(&txn)
                .await?
                .ok_or(ApiError::NotFound("indicator"))?;
            principle_indicator::Entity::update_many()
                .col_expr(principle_indicator::Column::RetiredIn, Expr::value(edition))
                .filter(principle_indicator::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            let new = principle_indicator::Entity::insert(principle_indicator::ActiveModel {
                principle_id: Set(old.principle_id),
                position: Set(old.position),
                text: Set(text),
                introduced_in: Set(edition),
                ..Default::default()
            })
            .exec_with_returning(&txn)
            .await?;
            (old.principle_id, "indicator", new.id)
        }
    };
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("principles.reword", target.1, target.2)
            .with_detail(json!({ "edition": edition })),
    )
    .await?;
    txn.commit().await?;
    Ok(target.0)
}

/// Which signatories a list shows.
#[derive(Default)]
pub struct ListFilter {
    pub region_id: Option<i64>,
    pub search: Option<String>,
    /// Staff and admins: only this status.
    pub status: Option<SignatoryStatus>,
}

/// The signatories a viewer may list: the public sees the approved ones that chose to be
/// listed; a partner's members also see their own organisation's signatures; staff and admins
/// see every confirmed signature (unconfirmed ones only when they ask for that status).
pub fn listed_for(viewer: &Viewer, filter: &ListFilter) -> ApiResult<Select<signatory::Entity>> {
    let actor = viewer.signed_in();
    let team = actor.is_some_and(Actor::is_team);
    let listed = Condition::all()
        .add(signatory::Column::Status.eq(SignatoryStatus::Approved))
        .add(signatory::Column::ListPublicly.eq(true));
    let mut query = signatory::Entity::find();
    query = match (team, actor.and_then(Actor::acting_for)) {
        (true, _) => match filter.status {
            Some(status) => query.filter(signatory::Column::Status.eq(status)),
            None => query.filter(signatory::Column::Status.ne(SignatoryStatus::Unconfirmed)),
        },
        (false, _) if filter.status.is_some() => {
            return Err(ApiError::Forbidden(
                "only staff and admins list signatories by status",
            ));
        }
        (false, Some(own)) => query.filter(
            Condition::any()
                .add(listed)
                .add(signatory::Column::PartnerId.eq(own)),
        ),
        (false, None) => query.filter(listed),
    };
    if let Some(region_id) = filter.region_id {
        query = query.filter(signatory::Column::RegionId.eq(region_id));
    }
    if let Some(search) = &filter.search {
        let pattern = crate::input::contains_pattern(search);
        query = query.filter(
            Condition::any()
                .add(
                    Expr::col(signatory::Column::NameKey)
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(signatory::Column::Town)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    Ok(query)
}

/// Rows after the cursor `(name_key, id)`, by name.
pub fn after_cursor(
    query: Select<signatory::Entity>,
    after: Option<&(String, i64)>,
) -> Select<signatory::Entity> {
    let query = match after {
        Some((name_key, id)) => query.filter(
            Condition::any()
                .add(signatory::Column::NameKey.gt(name_key.as_str()))
                .add(
                    Condition::all()
                        .add(signatory::Column::NameKey.eq(name_key.as_str()))
                        .add(signatory::Column::Id.gt(*id)),
                ),
        ),
        None => query,
    };
    query
        .order_by_asc(signatory::Column::NameKey)
        .order_by_asc(signatory::Column::Id)
}

/// Engagement: each partner in `ids` whose signature of the principles (approved, not
/// withdrawn) was made in `period`.
pub async fn engagement(
    conn: &impl sea_orm::ConnectionTrait,
    ids: &[i64],
    period: crate::engagement::Period,
) -> ApiResult<std::collections::HashMap<i64, crate::engagement::Tally>> {
    let signed = signatory::Entity::find()
        .filter(signatory::Column::PartnerId.is_in(ids.iter().copied()))
        .filter(signatory::Column::Status.eq(SignatoryStatus::Approved));
    crate::engagement::tally(
        conn,
        period.apply(signed, signatory::Column::SignedAt),
        signatory::Column::PartnerId,
        signatory::Column::SignedAt,
    )
    .await
}
