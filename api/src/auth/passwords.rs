//! Argon2id password hashes. Hashing is deliberately slow, so it runs off the async workers,
//! on a pool no larger than the machine's cores: a burst of sign-ins waits its turn briefly,
//! and beyond that is refused with RATE_LIMITED instead of piling up work.

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier},
};

use crate::{
    graphql::error::{ApiError, ApiResult},
    input::Password,
};

/// A hash of a password nobody knows, checked when an address has no account, so that a
/// sign-in takes as long whether or not the address is known.
static DECOY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"decoy password that matches no account")
        .ok()
        .map(|hash| hash.to_string())
});

/// How long a hashing request waits for a free core before it is refused.
const QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Password hashing, at most one per core at a time.
#[derive(Clone)]
pub struct HashingPool(Arc<Semaphore>);

impl HashingPool {
    pub fn sized_to_cores() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self(Arc::new(Semaphore::new(cores)))
    }

    async fn turn(&self) -> ApiResult<OwnedSemaphorePermit> {
        match tokio::time::timeout(QUEUE_WAIT, self.0.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal(closed)),
            Err(_) => {
                let now = chrono::Utc::now();
                Err(ApiError::RateLimited {
                    retry_at: now + chrono::Duration::seconds(1),
                    now,
                })
            }
        }
    }
}

pub async fn hash(pool: &HashingPool, password: Password) -> ApiResult<String> {
    let permit = pool.turn().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| ApiError::internal(anyhow::anyhow!("hashing a password: {error}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Whether `password` matches `stored`; with no stored hash, spends the same effort and says no.
pub async fn verify(
    pool: &HashingPool,
    password: String,
    stored: Option<String>,
) -> ApiResult<bool> {
    let permit = pool.turn().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let (hash, is_real) = match stored {
            Some(hash) => (hash, true),
            None => match DECOY_HASH.clone() {
                Some(decoy) => (decoy, false),
                None => return false,
            },
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        matches && is_real
    })
    .await
    .map_err(ApiError::internal)
}
