//! Signing in, refreshing, signing out, and recognising the holder of an access token.
//!
//! A sign-in opens a session. Each refresh token is used once: using it marks it used and
//! issues the next one in the same session. Presenting a used token again means it was copied,
//! so the whole session is revoked.

use chrono::{DateTime, Utc};
use entities::{refresh_token, session, user};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, IntoCondition},
};
use serde_json::json;

use super::{Actor, Client, passwords, throttle, tokens};
use crate::{
    audit::{self, Change},
    db,
    events::SessionsEnded,
    graphql::error::{ApiError, ApiResult},
    input::EmailAddress,
    state::AppState,
};

/// The tokens handed to someone who has just signed in or refreshed.
pub struct SignedIn {
    pub user: user::Model,
    pub session_id: i64,
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
}

const WRONG_CREDENTIALS: &str = "the email address or password is not right";

pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    client: &Client,
) -> ApiResult<SignedIn> {
    let email = EmailAddress::parse("email", email)?;
    let now = state.now();
    state.attempt_rate.check(client.ip, now)?;
    let keys = throttle::Keys::new(tokens::digest(email.as_str()), client.ip);
    let admitted = throttle::admit(&state.db, &keys, now).await?;

    let account = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await?
        .filter(|account| account.active);
    let stored_hash = account
        .as_ref()
        .map(|account| account.password_hash.clone());
    let verdict = match passwords::verify_and_upgrade(&state.hashing, password, stored_hash).await {
        Ok(verdict) => verdict,
        Err(error) => {
            throttle::not_checked(&state.db, &keys, admitted, now).await?;
            return Err(error);
        }
    };
    let account = match (verdict.matches, account) {
        (true, Some(account)) => account,
        _ => return Err(ApiError::Unauthenticated(WRONG_CREDENTIALS)),
    };
    throttle::succeeded(&state.db, &keys, admitted, now).await?;

    let txn = db::begin_write(&state.db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .filter(user::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    if let Some(rehashed) = verdict.rehashed {
        upgrade_hash(&txn, &account, rehashed).await?;
    }
    let signed_in = open_session(&txn, state, account, now).await?;
    audit::record(
        &txn,
        signed_in.user.id,
        now,
        Change::new("auth.login", "user", signed_in.user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(signed_in)
}

/// Stores a hash of the same password made with today's settings, unless the password was
/// changed while this sign-in was checking it.
async fn upgrade_hash(
    conn: &impl ConnectionTrait,
    account: &user::Model,
    rehashed: String,
) -> ApiResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(rehashed))
        .filter(user::Column::Id.eq(account.id))
        .filter(user::Column::PasswordHash.eq(account.password_hash.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Opens a session for `account` and issues its first tokens.
pub async fn open_session(
    conn: &impl ConnectionTrait,
    state: &AppState,
    account: user::Model,
    now: DateTime<Utc>,
) -> ApiResult<SignedIn> {
    let session = session::Entity::insert(session::ActiveModel {
        user_id: Set(account.id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    issue_tokens(conn, state, account, session.last_insert_id, now).await
}

async fn issue_tokens(
    conn: &impl ConnectionTrait,
    state: &AppState,
    account: user::Model,
    session_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<SignedIn> {
    let refresh_token = tokens::new_opaque_token();
    let refresh_token_expires_at = now + state.config.refresh_token_ttl;
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        session_id: Set(session_id),
        token_hash: Set(tokens::digest(&refresh_token)),
        created_at: Set(now),
        expires_at: Set(refresh_token_expires_at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    let (access_token, access_token_expires_at) =
        state.access_tokens.issue(account.id, session_id, now)?;
    Ok(SignedIn {
        user: account,
        session_id,
        access_token,
        access_token_expires_at,
        refresh_token,
        refresh_token_expires_at,
    })
}

pub async fn refresh(state: &AppState, presented: &str) -> ApiResult<SignedIn> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let (token, session) = find_refresh_token(&txn, presented)
        .await?
        .ok_or(ApiError::Unauthenticated("the refresh token is not valid"))?;
    if session.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated(
            "this session has ended; sign in again",
        ));
    }
    let marked_used = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !marked_used {
        revoke_session(&txn, session.id, "refresh token reused", now).await?;
        state
            .commit_ending(txn, SessionsEnded::one(session.user_id, session.id))
            .await?;
        return Err(ApiError::Unauthenticated(
            "this refresh token was already used, so the session has been ended; sign in again",
        ));
    }
    if token.expires_at <= now {
        return Err(ApiError::Unauthenticated(
            "the refresh token has expired; sign in again",
        ));
    }
    let account = user::Entity::find_by_id(session.user_id)
        .one(&txn)
        .await?
        .filter(|account| account.active)
        .ok_or(ApiError::Unauthenticated("this account is not active"))?;
    let signed_in = issue_tokens(&txn, state, account, session.id, now).await?;
    txn.commit().await?;
    Ok(signed_in)
}

/// Ends the session the refresh token belongs to. Unknown tokens end nothing and are not an
/// error: signing out twice is harmless.
pub async fn logout(state: &AppState, presented: &str) -> ApiResult<()> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let Some((_, session)) = find_refresh_token(&txn, presented).await? else {
        return Ok(());
    };
    if session.revoked_at.is_some() {
        return Ok(());
    }
    revoke_session(&txn, session.id, "signed out", now).await?;
    audit::record(
        &txn,
        session.user_id,
        now,
        Change::new("auth.logout", "user", session.user_id),
    )
    .await?;
    state
        .commit_ending(txn, SessionsEnded::one(session.user_id, session.id))
        .await
}

/// Finds a refresh token and its session, locking both until the transaction ends.
async fn find_refresh_token(
    conn: &impl ConnectionTrait,
    presented: &str,
) -> ApiResult<Option<(refresh_token::Model, session::Model)>> {
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(tokens::digest(presented)))
        .lock_exclusive()
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let session = session::Entity::find_by_id(token.session_id)
        .lock_exclusive()
        .one(conn)
        .await?;
    Ok(session.map(|session| (token, session)))
}

pub async fn revoke_session(
    conn: &impl ConnectionTrait,
    session_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    revoke_where(conn, session::Column::Id.eq(session_id), reason, now).await
}

/// Revokes every open session of an account (used when it is deactivated).
pub async fn revoke_all_sessions(
    conn: &impl ConnectionTrait,
    user_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    revoke_where(conn, session::Column::UserId.eq(user_id), reason, now).await
}

async fn revoke_where(
    conn: &impl ConnectionTrait,
    sessions: impl IntoCondition,
    reason: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(sessions)
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// The person an access token belongs to, if the token is valid, its session still open and
/// the account still active: one query, unless the session was checked moments ago.
pub async fn authenticate(state: &AppState, access_token: &str) -> ApiResult<Actor> {
    Ok(authenticate_until(state, access_token).await?.0)
}

/// The person an access token belongs to, and when the token expires.
pub async fn authenticate_until(
    state: &AppState,
    access_token: &str,
) -> ApiResult<(Actor, DateTime<Utc>)> {
    let claims = state.access_tokens.verify(access_token, state.now())?;
    let actor = open_session_of(state, claims.session_id, claims.user_id).await?;
    Ok((actor, claims.expires_at))
}

/// Whether an actor's session is still open and their account still active.
pub async fn check_open(state: &AppState, actor: &Actor) -> ApiResult<()> {
    open_session_of(state, actor.session_id, actor.user_id)
        .await
        .map(drop)
}

async fn open_session_of(state: &AppState, session_id: i64, user_id: i64) -> ApiResult<Actor> {
    let cache = state.events.sessions();
    let ticket = match cache.lookup(session_id, user_id) {
        Ok(actor) => return Ok(actor),
        Err(ticket) => ticket,
    };
    let found = session::Entity::find_by_id(session_id)
        .find_also_related(user::Entity)
        .one(&state.db)
        .await?;
    let (session, account) = match found {
        Some((session, Some(account))) if account.id == user_id => (session, account),
        _ => return Err(ApiError::Unauthenticated("the access token is not valid")),
    };
    if session.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated(
            "this session has ended; sign in again",
        ));
    }
    if !account.active {
        return Err(ApiError::Unauthenticated("this account is not active"));
    }
    let actor = actor_of(&account, session.id);
    cache.keep(ticket, &actor);
    Ok(actor)
}

pub fn actor_of(account: &user::Model, session_id: i64) -> Actor {
    Actor {
        user_id: account.id,
        session_id,
        role: account.role,
        region_id: account.region_id,
        partner_id: account.partner_id,
    }
}

/// Changes an account's password (the holder, knowing the current one), ending every other
/// session of the account.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    client: &Client,
    current: String,
    new_password: crate::input::Password,
) -> ApiResult<()> {
    let (db, now) = (&state.db, state.now());
    state.attempt_rate.check(client.ip, now)?;
    let account = user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    // Guesses at the current password (with a stolen session, say) count against the account
    // as sign-in guesses do, on every instance and from every network.
    let keys = throttle::Keys::new(tokens::digest(&account.email), client.ip);
    let admitted = throttle::admit(db, &keys, now).await?;
    let right =
        match passwords::verify(&state.hashing, current, Some(account.password_hash.clone())).await
        {
            Ok(right) => right,
            Err(error) => {
                throttle::not_checked(db, &keys, admitted, now).await?;
                return Err(error);
            }
        };
    if !right {
        return Err(ApiError::bad_input(
            "currentPassword",
            "the current password is not right",
        ));
    }
    throttle::succeeded(db, &keys, admitted, now).await?;
    let new_hash = passwords::hash(&state.hashing, new_password).await?;
    let txn = db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(new_hash))
        .filter(user::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(
            session::Column::RevokedReason,
            Expr::value("password changed"),
        )
        .filter(session::Column::UserId.eq(account.id))
        .filter(session::Column::Id.ne(actor.session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("auth.change_password", "user", actor.user_id)
            .with_detail(json!({ "otherSessionsEnded": true })),
    )
    .await?;
    state
        .commit_ending(txn, SessionsEnded::all_but(actor.user_id, actor.session_id))
        .await
}
