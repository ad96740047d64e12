//! Repeated failed sign-ins for one address lock that address out for a while. The counters
//! live in the database so the limit holds across server instances.

use chrono::{DateTime, Duration, Utc};
use entities::login_throttle;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect, sea_query::OnConflict};

use crate::{
    db,
    graphql::error::{ApiError, ApiResult},
};

/// Failures allowed within one window before the address is locked.
pub const MAX_FAILURES: i32 = 5;
/// Failures older than this are forgotten.
pub const WINDOW_MINUTES: i64 = 15;
/// How long a locked address must wait.
pub const LOCKOUT_MINUTES: i64 = 15;

/// Refuses with RATE_LIMITED while the address is locked.
pub async fn ensure_allowed(
    db: &impl ConnectionTrait,
    email_key: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let entry = login_throttle::Entity::find_by_id(email_key.to_owned())
        .one(db)
        .await?;
    match entry.and_then(|entry| entry.locked_until) {
        Some(retry_at) if retry_at > now => Err(ApiError::RateLimited { retry_at, now }),
        _ => Ok(()),
    }
}

/// Counts one failure; locks the address when the count reaches the limit. The row is locked
/// while it is counted, so simultaneous failures are all counted.
pub async fn record_failure(
    db: &sea_orm::DatabaseConnection,
    email_key: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let txn = db::begin_write(db).await?;
    let fresh = login_throttle::ActiveModel {
        email_key: Set(email_key.to_owned()),
        failures: Set(0),
        window_started_at: Set(now),
        locked_until: Set(None),
    };
    login_throttle::Entity::insert(fresh)
        .on_conflict(
            OnConflict::column(login_throttle::Column::EmailKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let entry = login_throttle::Entity::find_by_id(email_key.to_owned())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("throttle row vanished")))?;
    let window_expired = entry.window_started_at + Duration::minutes(WINDOW_MINUTES) <= now;
    let (failures, window_started_at) = if window_expired {
        (1, now)
    } else {
        (entry.failures + 1, entry.window_started_at)
    };
    let locked_until = (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCKOUT_MINUTES));
    login_throttle::Entity::update(login_throttle::ActiveModel {
        email_key: Set(entry.email_key),
        failures: Set(if locked_until.is_some() { 0 } else { failures }),
        window_started_at: Set(window_started_at),
        locked_until: Set(locked_until.or(entry.locked_until)),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Forgets the failures of an address after a successful sign-in.
pub async fn clear(db: &impl ConnectionTrait, email_key: &str) -> ApiResult<()> {
    login_throttle::Entity::delete_by_id(email_key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
