//! Sign-in throttling that guessers cannot race and cannot turn against the people they
//! target.
//!
//! Each attempt is counted *before* its password is checked, under a row lock, against both
//! the address and the client's IP (an IPv6 client by its /64): twenty guesses sent at once
//! are counted one after another, and those past the limits are refused without a check. An
//! address that reached its limit is locked; a correct password still gets through the lock
//! from an IP with no failures, so a guesser cannot keep an admin out from one network, while
//! the guesser's own IP stays refused. Those passes are counted too: after
//! [`MAX_LOCKED_PASSES`] in a window (a guesser with many networks) the lock holds for
//! everyone. A correct password, or a check that could not be made, takes back its own
//! provisional counts. The counters live in the database so the limits hold across server
//! instances.

use chrono::{DateTime, Duration, Utc};
use entities::login_throttle;
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait, QuerySelect,
    sea_query::OnConflict,
};

use crate::{
    db,
    graphql::error::{ApiError, ApiResult},
};

/// Failures allowed for one address within one window before it is locked.
pub const MAX_FAILURES: i32 = 5;
/// Failures allowed from one IP (over every address) within one window before it is locked.
pub const MAX_IP_FAILURES: i32 = 20;
/// Attempts let through an address's lock from clean networks within one window.
pub const MAX_LOCKED_PASSES: i32 = 5;
/// Failures older than this are forgotten.
pub const WINDOW_MINUTES: i64 = 15;
/// How long a locked address or IP must wait.
pub const LOCKOUT_MINUTES: i64 = 15;

/// The counters one attempt is charged to.
pub struct Keys {
    address: String,
    ip: String,
    /// Attempts let through the address's lock.
    passes: String,
}

impl Keys {
    /// `address_digest` and `ip` identify the account asked for and the client asking; only
    /// digests are stored.
    pub fn new(address_digest: String, ip: std::net::IpAddr) -> Self {
        let network = super::client::network_of(ip);
        // Digests like the address's (same length), of texts no address can be.
        Self {
            ip: super::tokens::digest(&format!("ip {network}")),
            passes: super::tokens::digest(&format!("passes {address_digest}")),
            address: address_digest,
        }
    }
}

/// An attempt let through, counted provisionally as a failure.
pub struct Admitted {
    /// False when the attempt passed an address lock from a clean IP (and so was not counted
    /// against the address).
    counted_on_address: bool,
}

/// Counts the attempt, or refuses it with RATE_LIMITED.
pub async fn admit(
    db: &DatabaseConnection,
    keys: &Keys,
    now: DateTime<Utc>,
) -> ApiResult<Admitted> {
    let txn = db::begin_write(db).await?;
    let mut address = lock_counter(&txn, &keys.address, now).await?;
    let mut ip = lock_counter(&txn, &keys.ip, now).await?;
    if let Some(retry_at) = ip.locked_until.filter(|until| *until > now) {
        return Err(ApiError::RateLimited { retry_at, now });
    }
    let address_locked = match address.locked_until {
        Some(until) if until > now => Some(until),
        _ if address.failures >= MAX_FAILURES => {
            let until = now + Duration::minutes(LOCKOUT_MINUTES);
            address.failures = 0;
            address.locked_until = Some(until);
            Some(until)
        }
        _ => None,
    };
    let mut passes = lock_counter(&txn, &keys.passes, now).await?;
    if let Some(retry_at) = address_locked
        && (ip.failures > 0 || passes.failures >= MAX_LOCKED_PASSES)
    {
        save(&txn, &address).await?;
        txn.commit().await?;
        return Err(ApiError::RateLimited { retry_at, now });
    }
    let counted_on_address = address_locked.is_none();
    if counted_on_address {
        address.failures += 1;
    } else {
        passes.failures += 1;
        save(&txn, &passes).await?;
    }
    ip.failures += 1;
    if ip.failures >= MAX_IP_FAILURES {
        ip.locked_until = Some(now + Duration::minutes(LOCKOUT_MINUTES));
    }
    save(&txn, &address).await?;
    save(&txn, &ip).await?;
    txn.commit().await?;
    Ok(Admitted { counted_on_address })
}

/// The password was right: its provisional counts are taken back, and an address that is not
/// locked forgets its failures. A lock stays: it was earned by somebody else.
pub async fn succeeded(
    db: &DatabaseConnection,
    keys: &Keys,
    admitted: Admitted,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    take_back(db, keys, admitted, now, true).await
}

/// The password could not be checked (the server was too busy): the attempt was no guess,
/// so its provisional counts are taken back, and a flood that keeps the server busy cannot
/// lock the real person out.
pub async fn not_checked(
    db: &DatabaseConnection,
    keys: &Keys,
    admitted: Admitted,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    take_back(db, keys, admitted, now, false).await
}

async fn take_back(
    db: &DatabaseConnection,
    keys: &Keys,
    admitted: Admitted,
    now: DateTime<Utc>,
    password_right: bool,
) -> ApiResult<()> {
    let txn = db::begin_write(db).await?;
    let mut address = lock_counter(&txn, &keys.address, now).await?;
    let mut ip = lock_counter(&txn, &keys.ip, now).await?;
    let mut passes = lock_counter(&txn, &keys.passes, now).await?;
    let unlocked = address.locked_until.is_none_or(|until| until <= now);
    if admitted.counted_on_address && unlocked {
        address.failures = match password_right {
            true => 0,
            false => (address.failures - 1).max(0),
        };
        address.locked_until = None;
    }
    if !admitted.counted_on_address {
        passes.failures = (passes.failures - 1).max(0);
    }
    ip.failures = (ip.failures - 1).max(0);
    for counter in [&address, &ip, &passes] {
        save(&txn, counter).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The counter for `key`, created if missing and locked until the transaction ends; a window
/// that has run out starts afresh.
async fn lock_counter(
    txn: &DatabaseTransaction,
    key: &str,
    now: DateTime<Utc>,
) -> ApiResult<login_throttle::Model> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        email_key: Set(key.to_owned()),
        failures: Set(0),
        window_started_at: Set(now),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::EmailKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let mut counter = login_throttle::Entity::find_by_id(key.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("throttle row vanished")))?;
    if counter.window_started_at + Duration::minutes(WINDOW_MINUTES) <= now {
        counter.failures = 0;
        counter.window_started_at = now;
    }
    Ok(counter)
}

async fn save(txn: &DatabaseTransaction, counter: &login_throttle::Model) -> ApiResult<()> {
    login_throttle::Entity::update(login_throttle::ActiveModel {
        email_key: Set(counter.email_key.clone()),
        failures: Set(counter.failures),
        window_started_at: Set(counter.window_started_at),
        locked_until: Set(counter.locked_until),
    })
    .exec(txn)
    .await?;
    Ok(())
}
