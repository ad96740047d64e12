//! People's accounts and the invitations that create them.
//!
//! Who may do what, in one place:
//! - ADMIN invites anyone: admins, staff for a region, members for any partner;
//! - STAFF invite members for partners of their own region;
//! - PARTNER members invite no one;
//! - only ADMIN deactivates or reactivates accounts (never their own);
//! - who sees an account and its email address: [`UserAccess`].

pub mod graphql;

use chrono::{DateTime, Utc};
use entities::{enums::Role, invitation, partner, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, sea_query::Expr,
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Client, Viewer, passwords, sessions, tokens, visible::AccessRule},
    db,
    events::SessionsEnded,
    graphql::error::{ApiError, ApiResult, conflict_on_unique},
    input::{EmailAddress, Password},
    regions,
    state::AppState,
};

pub const MAX_PERSON_NAME_LEN: usize = 100;

/// Where an invited person will belong.
#[derive(Debug, Clone, Copy)]
pub enum Membership {
    Admin,
    Staff { region_id: i64 },
    Partner { partner_id: i64 },
}

impl Membership {
    fn role(self) -> Role {
        match self {
            Self::Admin => Role::Admin,
            Self::Staff { .. } => Role::Staff,
            Self::Partner { .. } => Role::Partner,
        }
    }

    fn region_id(self) -> Option<i64> {
        match self {
            Self::Staff { region_id } => Some(region_id),
            _ => None,
        }
    }

    fn partner_id(self) -> Option<i64> {
        match self {
            Self::Partner { partner_id } => Some(partner_id),
            _ => None,
        }
    }
}

/// `partner` is the organisation a PARTNER invitation is for.
pub fn can_invite(actor: &Actor, membership: Membership, partner: Option<&partner::Model>) -> bool {
    match membership {
        _ if actor.is_admin() => true,
        Membership::Partner { .. } => partner.is_some_and(|p| actor.is_staff_of(p.region_id)),
        Membership::Admin | Membership::Staff { .. } => false,
    }
}

pub fn can_manage_accounts(actor: &Actor) -> bool {
    actor.is_admin()
}

/// Who may see a person's account, and their email address.
pub struct UserAccess;

#[derive(Debug, Clone, Copy)]
pub struct UserGrant {
    pub email: bool,
}

impl AccessRule for UserAccess {
    type Row = user::Model;
    /// For a partner member: the region of their organisation.
    type Facts = Option<i64>;
    type Grant = UserGrant;

    /// Accounts are shown to people signed in. The email address is shown to the person, to
    /// admins, to everyone signed in when the account belongs to the charity's team (staff are
    /// the network's contacts), to staff for members of partners in their region, and to
    /// colleagues in the same organisation.
    fn grant(
        viewer: &Viewer,
        account: &user::Model,
        partner_region: &Option<i64>,
    ) -> Option<UserGrant> {
        let actor = viewer.signed_in()?;
        let email = actor.user_id == account.id
            || actor.is_admin()
            || account.role != Role::Partner
            || actor.is_staff_of(*partner_region)
            || account
                .partner_id
                .is_some_and(|partner_id| actor.is_member_of(partner_id));
        Some(UserGrant { email })
    }
}

/// How many times an invitation racing another to the same address is tried.
const INVITE_ATTEMPTS: usize = 3;
/// The conflict a second simultaneous invitation to one address meets.
const RACED: &str = "another invitation to this address was sent at the same time";

pub async fn invite(
    state: &AppState,
    actor: &Actor,
    email: EmailAddress,
    membership: Membership,
) -> ApiResult<invitation::Model> {
    let db = &state.db;
    let partner = match membership {
        Membership::Staff { region_id } => {
            regions::existing(db, "regionId", region_id).await?;
            None
        }
        Membership::Partner { partner_id } => Some(
            partner::Entity::find_by_id(partner_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::bad_input("partnerId", "no partner has this id"))?,
        ),
        Membership::Admin => None,
    };
    if !can_invite(actor, membership, partner.as_ref()) {
        return Err(ApiError::Forbidden(
            "admins invite anyone; staff invite members of partners in their own region",
        ));
    }
    // Two invitations to one address at once: the database lets one be waiting at a time, so
    // the later one finds the other committed on its next try and replaces it.
    let mut tries = 0;
    loop {
        tries += 1;
        match write_invitation(state, actor, &email, membership).await {
            Err(ApiError::Conflict(message)) if message == RACED && tries < INVITE_ATTEMPTS => {
                continue;
            }
            outcome => return outcome,
        }
    }
}

async fn write_invitation(
    state: &AppState,
    actor: &Actor,
    email: &EmailAddress,
    membership: Membership,
) -> ApiResult<invitation::Model> {
    let txn = db::begin_write(&state.db).await?;
    let created = invitation_in(&txn, state, actor, email, membership).await?;
    txn.commit().await?;
    state.mail_queued().await;
    Ok(created)
}

/// A newer invitation to the same address replaces any still waiting, but only those the
/// inviter could have sent (and so could withdraw): staff cannot cancel an admin's.
async fn replace_waiting(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    db::take_turns(txn, &format!("invitation {}", email.as_str())).await?;
    let waiting = invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .all(txn)
        .await?;
    for existing in &waiting {
        let partner = match existing.partner_id {
            Some(id) => partner::Entity::find_by_id(id).one(txn).await?,
            None => None,
        };
        if !can_invite(actor, membership_of(existing)?, partner.as_ref()) {
            return Err(ApiError::Conflict(
                "another invitation to this address is waiting, and only whoever sent it (or \
                 an admin) can replace it"
                    .to_owned(),
            ));
        }
    }
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Id.is_in(waiting.iter().map(|row| row.id)))
        .exec(txn)
        .await?;
    Ok(())
}

/// Writes an invitation (permission already checked) and queues its email, inside the caller's
/// transaction; the caller wakes the mail workers once it commits.
pub async fn invitation_in(
    txn: &impl ConnectionTrait,
    state: &AppState,
    actor: &Actor,
    email: &EmailAddress,
    membership: Membership,
) -> ApiResult<invitation::Model> {
    let now = state.now();
    ensure_no_account(txn, email).await?;
    replace_waiting(txn, actor, email, now).await?;
    let token = tokens::new_opaque_token();
    let created = invitation::Entity::insert(invitation::ActiveModel {
        email: Set(email.as_str().to_owned()),
        role: Set(membership.role()),
        region_id: Set(membership.region_id()),
        partner_id: Set(membership.partner_id()),
        token_hash: Set(tokens::digest(&token)),
        invited_by: Set(actor.user_id),
        created_at: Set(now),
        expires_at: Set(now + state.config.invitation_ttl),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await
    .map_err(|error| conflict_on_unique(error, RACED))?;
    audit::record(
        txn,
        actor.user_id,
        now,
        Change::new("invitation.create", "invitation", created.id).with_detail(json!({
            "role": membership.role(),
            "regionId": created.region_id,
            "partnerId": created.partner_id,
        })),
    )
    .await?;
    let letter = format!(
        "You have been invited to join the partner network.\n\n\
         Open this link to choose your name and password (it works once, for {} days):\n{}\n",
        state.config.invitation_ttl.num_days(),
        accept_url(state, &token)
    );
    crate::mailing::outbox::enqueue_written(
        txn,
        &created.email,
        "Your invitation to the partner network",
        letter,
        now,
    )
    .await?;
    Ok(created)
}

/// Whether someone has an account with this address.
pub async fn has_account(conn: &impl ConnectionTrait, email: &EmailAddress) -> ApiResult<bool> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .count(conn)
        .await?
        > 0)
}

async fn ensure_no_account(conn: &impl ConnectionTrait, email: &EmailAddress) -> ApiResult<()> {
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?;
    match existing {
        Some(_) => Err(ApiError::Conflict(
            "an account with this email address already exists".to_owned(),
        )),
        None => Ok(()),
    }
}

fn accept_url(state: &AppState, token: &str) -> String {
    state
        .config
        .link("/invitations/accept", &[("token", token)])
}

/// Opens the invited person's account and signs them in. Each invitation works once, before it
/// expires, unless it was revoked or replaced. The link is checked before the password is
/// hashed, so a made-up link costs one indexed read and no hashing.
pub async fn accept(
    state: &AppState,
    token: &str,
    name: String,
    password: Password,
    client: &Client,
) -> ApiResult<sessions::SignedIn> {
    state.attempt_rate.check(client.ip, state.now())?;
    let digest = tokens::digest(token);
    let waiting = find_invitation(&state.db, &digest, false).await?;
    check_still_open(&waiting, state.now())?;
    let password_hash = passwords::hash(&state.hashing, password).await?;
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let invitation = find_invitation(&txn, &digest, true).await?;
    check_still_open(&invitation, now)?;
    let account = user::Entity::insert(user::ActiveModel {
        email: Set(invitation.email.clone()),
        name: Set(name),
        password_hash: Set(password_hash),
        role: Set(invitation.role),
        region_id: Set(invitation.region_id),
        partner_id: Set(invitation.partner_id),
        active: Set(true),
        created_at: Set(now),
        last_login_at: Set(Some(now)),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|error| {
        conflict_on_unique(error, "an account with this email address already exists")
    })?;
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::AcceptedUserId, Expr::value(account.id))
        .filter(invitation::Column::Id.eq(invitation.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if claimed != 1 {
        return Err(ApiError::bad_input(
            "token",
            "this invitation has already been used",
        ));
    }
    audit::record(
        &txn,
        account.id,
        now,
        Change::new("invitation.accept", "invitation", invitation.id).with_detail(json!({
            "ip": client.ip.to_string(),
            "userAgent": client.user_agent,
        })),
    )
    .await?;
    let signed_in = sessions::open_session(&txn, state, account, now).await?;
    txn.commit().await?;
    Ok(signed_in)
}

async fn find_invitation(
    conn: &impl ConnectionTrait,
    digest: &str,
    lock: bool,
) -> ApiResult<invitation::Model> {
    let mut query = invitation::Entity::find().filter(invitation::Column::TokenHash.eq(digest));
    if lock {
        query = query.lock_exclusive();
    }
    query
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::bad_input("token", "this invitation link is not valid"))
}

fn check_still_open(invitation: &invitation::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let refuse = |message: &str| Err(ApiError::bad_input("token", message));
    if invitation.accepted_at.is_some() {
        refuse("this invitation has already been used")
    } else if invitation.revoked_at.is_some() {
        refuse("this invitation was withdrawn or replaced by a newer one")
    } else if invitation.expires_at <= now {
        refuse("this invitation has expired; ask for a new one")
    } else {
        Ok(())
    }
}

/// Withdraws an invitation that has not been accepted; the same people who could send it may.
pub async fn revoke_invitation(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ApiResult<invitation::Model> {
    let db = &state.db;
    let now = state.now();
    let txn = db::begin_write(db).await?;
    let found = invitation::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("invitation"))?;
    let membership = membership_of(&found)?;
    let partner = match found.partner_id {
        Some(partner_id) => partner::Entity::find_by_id(partner_id).one(&txn).await?,
        None => None,
    };
    if !can_invite(actor, membership, partner.as_ref()) {
        return Err(ApiError::Forbidden("you cannot withdraw this invitation"));
    }
    if found.accepted_at.is_some() {
        return Err(ApiError::Conflict(
            "this invitation has already been accepted".to_owned(),
        ));
    }
    let mut row: invitation::ActiveModel = found.into();
    row.revoked_at = Set(Some(now));
    let revoked = invitation::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("invitation.revoke", "invitation", id),
    )
    .await?;
    txn.commit().await?;
    Ok(revoked)
}

pub fn membership_of(invitation: &invitation::Model) -> ApiResult<Membership> {
    match (invitation.role, invitation.region_id, invitation.partner_id) {
        (Role::Admin, _, _) => Ok(Membership::Admin),
        (Role::Staff, Some(region_id), _) => Ok(Membership::Staff { region_id }),
        (Role::Partner, _, Some(partner_id)) => Ok(Membership::Partner { partner_id }),
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "invitation {} has an inconsistent role binding",
            invitation.id
        ))),
    }
}

/// Deactivates or reactivates an account. Deactivating ends its sessions at once.
pub async fn set_active(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    active: bool,
) -> ApiResult<user::Model> {
    if !can_manage_accounts(actor) {
        return Err(ApiError::Forbidden(
            "only admins can deactivate or reactivate accounts",
        ));
    }
    if actor.user_id == user_id {
        return Err(ApiError::bad_input(
            "id",
            "you cannot deactivate your own account",
        ));
    }
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    let mut row: user::ActiveModel = found.into();
    row.active = Set(active);
    row.deactivated_at = Set((!active).then_some(now));
    let updated = user::Entity::update(row).exec(&txn).await?;
    if !active {
        sessions::revoke_all_sessions(&txn, user_id, "account deactivated", now).await?;
    }
    let action = if active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new(action, "user", user_id),
    )
    .await?;
    if active {
        txn.commit().await?;
    } else {
        state
            .commit_ending(txn, SessionsEnded::all_of(user_id))
            .await?;
    }
    Ok(updated)
}

/// Creates an admin account from the command line (the first one, or a replacement).
pub async fn create_admin(
    db: &DatabaseConnection,
    hashing: &passwords::HashingPool,
    now: DateTime<Utc>,
    email: EmailAddress,
    name: String,
    password: Password,
) -> ApiResult<user::Model> {
    let password_hash = passwords::hash(hashing, password).await?;
    let txn = db::begin_write(db).await?;
    ensure_no_account(&txn, &email).await?;
    let created = user::Entity::insert(user::ActiveModel {
        email: Set(email.into_string()),
        name: Set(name),
        password_hash: Set(password_hash),
        role: Set(Role::Admin),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        created.id,
        now,
        Change::new("user.create_admin", "user", created.id)
            .with_detail(json!({ "via": "command line" })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}
