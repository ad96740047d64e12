//! Partnership enquiries: organisations that want to work with the charity ask here, instead of
//! writing loose emails to whoever they can find.
//!
//! An enquiry reaches staff only once its contact has confirmed their address from the emailed
//! link; it then goes to the staff of its region, or to the national team (admins) when it has
//! no region or its region has no staff. Staff accept it (which makes the partner organisation
//! and invites the contact to act for it) or decline it with a reason (which the contact is
//! told, kindly). An enquiry that looks like an organisation already known (the same website,
//! or the same name and town, as a partner or another open enquiry) is flagged, not refused.
//!
//! Who may do what, in one place:
//! - anyone may ask, a few times an hour per address and per client IP; the answer is the same
//!   whatever happened, so it never tells whether the organisation is known;
//! - whoever holds the emailed link confirms it;
//! - who reads and decides an enquiry: [`EnquiryAccess`] and [`can_decide`].

pub mod demo;
pub mod graphql;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::{EnquiryStatus, PartnerKind, PartnerStatus, Role},
    partnership_enquiry as enquiry, partnership_enquiry_goal as enquiry_goal, user,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;

use crate::{
    accounts::{self, Membership},
    audit::{self, Change},
    auth::{Actor, Client, Viewer, tokens, visible::AccessRule},
    db,
    graphql::error::{ApiError, ApiResult},
    input::EmailAddress,
    mailing::outbox,
    partners::{self, NewPartner},
    state::AppState,
};

pub const MAX_MESSAGE_LEN: usize = 5_000;
/// Enquiries one address may start in [`ADDRESS_WINDOW`]; more are quietly dropped.
const PER_ADDRESS: u64 = 3;
const ADDRESS_WINDOW: Duration = Duration::hours(1);
/// How long a confirmation link works.
const CONFIRMATION_TTL: Duration = Duration::days(7);

/// What was asked, checked.
pub struct NewEnquiry {
    pub organisation_name: String,
    pub kind: PartnerKind,
    pub town: Option<String>,
    pub region_id: Option<i64>,
    pub website: Option<String>,
    pub description: String,
    pub contact_name: String,
    pub contact_email: EmailAddress,
    pub goal_ids: BTreeSet<i64>,
    pub message: String,
}

/// The staff of an enquiry's region decide it; admins decide any (and are the only ones for
/// enquiries with no region, or whose region has no staff).
pub fn can_decide(actor: &Actor, row: &enquiry::Model) -> bool {
    actor.is_admin() || actor.is_staff_of(row.region_id)
}

/// Who may read an enquiry: those who decide it, once its contact has confirmed it.
pub struct EnquiryAccess;

impl AccessRule for EnquiryAccess {
    type Row = enquiry::Model;
    type Facts = ();
    type Grant = ();

    fn grant(viewer: &Viewer, row: &enquiry::Model, _: &()) -> Option<()> {
        let actor = viewer.signed_in()?;
        (row.status != EnquiryStatus::Unconfirmed && can_decide(actor, row)).then_some(())
    }
}

/// Records an enquiry and emails its contact a link to confirm it. Too many from one address
/// are dropped without a word; too many from one client IP are refused.
pub async fn request(state: &AppState, new: NewEnquiry, client: &Client) -> ApiResult<()> {
    let now = state.now();
    state.enquiry_rate.check(client.ip, now)?;
    crate::campaigns::check_goals(&state.db, "goalIds", &new.goal_ids).await?;
    if let Some(region_id) = new.region_id {
        crate::regions::existing(&state.db, "regionId", region_id).await?;
    }
    let txn = db::begin_write(&state.db).await?;
    db::take_turns(&txn, &format!("enquiry {}", new.contact_email.as_str())).await?;
    let recent = enquiry::Entity::find()
        .filter(enquiry::Column::ContactEmail.eq(new.contact_email.as_str()))
        .filter(enquiry::Column::CreatedAt.gt(now - ADDRESS_WINDOW))
        .count(&txn)
        .await?;
    if recent >= PER_ADDRESS {
        return Ok(());
    }
    let token = tokens::new_opaque_token();
    let created = enquiry::Entity::insert(enquiry::ActiveModel {
        name_key: Set(crate::input::name_key(&new.organisation_name)),
        organisation_name: Set(new.organisation_name),
        kind: Set(new.kind),
        town: Set(new.town),
        region_id: Set(new.region_id),
        website: Set(new.website),
        description: Set(new.description),
        contact_name: Set(new.contact_name),
        contact_email: Set(new.contact_email.as_str().to_owned()),
        message: Set(new.message),
        status: Set(EnquiryStatus::Unconfirmed),
        token_hash: Set(tokens::digest(&token)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let goals = new
        .goal_ids
        .iter()
        .map(|goal_id| enquiry_goal::ActiveModel {
            enquiry_id: Set(created.id),
            goal_id: Set(*goal_id),
        });
    enquiry_goal::Entity::insert_many(goals)
        .exec_without_returning(&txn)
        .await?;
    let link = state
        .config
        .link("/enquiries/confirm", &[("token", &token)]);
    // Only our own words: anyone can ask on behalf of any address, so nothing they typed is
    // sent to an address that has not confirmed it wants our mail.
    let letter = format!(
        "Thank you for asking to work with us.\n\n\
         To send your enquiry to our team, open this link and press the button (it works for \
         {} days):\n{link}\n\n\
         If you did not ask, ignore this email: nothing more will happen.",
        CONFIRMATION_TTL.num_days()
    );
    outbox::enqueue_written_kind(
        &txn,
        &created.contact_email,
        "Please confirm your partnership enquiry",
        letter,
        now,
    )
    .await?;
    txn.commit().await?;
    state.mail_queued().await;
    Ok(())
}

/// Confirms an enquiry from its emailed link; it then reaches the staff who decide it, who are
/// told by email.
pub async fn confirm(state: &AppState, token: &str) -> ApiResult<enquiry::Model> {
    let now = state.now();
    let invalid = || ApiError::bad_input("token", "this link is not valid");
    let txn = db::begin_write(&state.db).await?;
    let found = enquiry::Entity::find()
        .filter(enquiry::Column::TokenHash.eq(tokens::digest(token.trim())))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    match found.status {
        EnquiryStatus::Unconfirmed if found.created_at + CONFIRMATION_TTL < now => {
            return Err(ApiError::bad_input(
                "token",
                "this link has expired; please send your enquiry again",
            ));
        }
        EnquiryStatus::Unconfirmed => {}
        _ => {
            return Err(ApiError::Conflict(
                "this enquiry is already confirmed".to_owned(),
            ));
        }
    }
    let mut row: enquiry::ActiveModel = found.into();
    row.status = Set(EnquiryStatus::Open);
    row.confirmed_at = Set(Some(now));
    let confirmed = enquiry::Entity::update(row).exec(&txn).await?;
    tell_deciders(&txn, &confirmed, now).await?;
    txn.commit().await?;
    state.mail_queued().await;
    Ok(confirmed)
}

/// Emails the staff of the enquiry's region, or the admins when there are none.
async fn tell_deciders(
    conn: &impl ConnectionTrait,
    row: &enquiry::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let active = || user::Entity::find().filter(user::Column::Active.eq(true));
    let mut recipients: Vec<String> = match row.region_id {
        Some(region_id) => {
            active()
                .select_only()
                .column(user::Column::Email)
                .filter(user::Column::Role.eq(Role::Staff))
                .filter(user::Column::RegionId.eq(region_id))
                .into_tuple()
                .all(conn)
                .await?
        }
        None => Vec::new(),
    };
    if recipients.is_empty() {
        recipients = active()
            .select_only()
            .column(user::Column::Email)
            .filter(user::Column::Role.eq(Role::Admin))
            .into_tuple()
            .all(conn)
            .await?;
    }
    let letter = format!(
        "{} ({}) asks to work with the charity.\n\n{}\n\n\
         Sign in and look at partnershipEnquiries to accept or decline it.",
        row.organisation_name,
        row.town.as_deref().unwrap_or("no town given"),
        row.message
    );
    for recipient in recipients {
        outbox::enqueue_written_kind(
            conn,
            &recipient,
            "A new partnership enquiry",
            letter.clone(),
            now,
        )
        .await?;
    }
    Ok(())
}

/// The enquiry, locked, if `actor` decides it (those who do not cannot see it either) and it
/// is open.
async fn lock_open(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> ApiResult<enquiry::Model> {
    let viewer = Viewer(Some(actor.clone()));
    let found = enquiry::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .filter(|row| EnquiryAccess::grant(&viewer, row, &()).is_some())
        .ok_or(ApiError::NotFound("partnership enquiry"))?;
    if found.status != EnquiryStatus::Open {
        return Err(ApiError::Conflict(
            "this enquiry has already been decided".to_owned(),
        ));
    }
    Ok(found)
}

/// Accepts an enquiry: makes the partner organisation (with the status staff choose) from its
/// details, and emails the contact an invitation to act for it (unless they already have an
/// account, which staff then link by hand).
pub async fn accept(
    state: &AppState,
    actor: &Actor,
    id: i64,
    status: PartnerStatus,
) -> ApiResult<enquiry::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = lock_open(&txn, actor, id).await?;
    let contact = EmailAddress::parse("contactEmail", &found.contact_email)?;
    let partner = partners::insert(
        &txn,
        actor,
        now,
        NewPartner {
            name: found.organisation_name.clone(),
            kind: found.kind,
            region_id: found.region_id,
            town: found.town.clone(),
            website: found.website.clone(),
            description: found.description.clone(),
            status,
            contact_name: Some(found.contact_name.clone()),
            contact_email: Some(found.contact_email.clone()),
            contact_phone: None,
        },
    )
    .await?;
    let invited = !accounts::has_account(&txn, &contact).await?;
    if invited {
        let membership = Membership::Partner {
            partner_id: partner.id,
        };
        accounts::invitation_in(&txn, state, actor, &contact, membership).await?;
    }
    let mut row: enquiry::ActiveModel = found.into();
    row.status = Set(EnquiryStatus::Accepted);
    row.decided_by = Set(Some(actor.user_id));
    row.decided_at = Set(Some(now));
    row.partner_id = Set(Some(partner.id));
    let accepted = enquiry::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("enquiry.accept", "partnership_enquiry", id).with_detail(json!({
            "partnerId": partner.id,
            "status": status,
            "contactInvited": invited,
        })),
    )
    .await?;
    txn.commit().await?;
    state.mail_queued().await;
    Ok(accepted)
}

/// Declines an enquiry, telling the contact why.
pub async fn decline(
    state: &AppState,
    actor: &Actor,
    id: i64,
    reason: String,
) -> ApiResult<enquiry::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = lock_open(&txn, actor, id).await?;
    let letter = format!(
        "Dear {},\n\nThank you for asking to work with us as {}. We are not able to take this \
         further now, and we wanted to tell you why:\n\n{reason}\n\n\
         Our updates and campaign actions stay open to you; we hope to hear from you again.",
        found.contact_name, found.organisation_name
    );
    outbox::enqueue_written_kind(
        &txn,
        &found.contact_email,
        "Your partnership enquiry",
        letter,
        now,
    )
    .await?;
    let mut row: enquiry::ActiveModel = found.into();
    row.status = Set(EnquiryStatus::Declined);
    row.decided_by = Set(Some(actor.user_id));
    row.decided_at = Set(Some(now));
    row.decision_reason = Set(Some(reason));
    let declined = enquiry::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("enquiry.decline", "partnership_enquiry", id),
    )
    .await?;
    txn.commit().await?;
    state.mail_queued().await;
    Ok(declined)
}

/// The enquiries an actor decides, as a query (not yet ordered or paged).
pub fn decided_by(actor: &Actor) -> ApiResult<sea_orm::Select<enquiry::Entity>> {
    let query =
        enquiry::Entity::find().filter(enquiry::Column::Status.ne(EnquiryStatus::Unconfirmed));
    if actor.is_admin() {
        return Ok(query);
    }
    match (actor.is_staff(), actor.region_id) {
        (true, Some(region_id)) => Ok(query.filter(enquiry::Column::RegionId.eq(region_id))),
        _ => Err(ApiError::Forbidden(
            "partnership enquiries are for staff and admins",
        )),
    }
}
