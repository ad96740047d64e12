//! Argon2id password hashes. Hashing is deliberately slow, so it runs off the async workers,
//! on a pool no larger than the machine's cores: a burst of sign-ins waits its turn briefly,
//! and beyond that is refused with RATE_LIMITED instead of piling up work.

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, Version,
    password_hash::{PasswordHasher, PasswordVerifier},
};

use crate::{
    graphql::error::{ApiError, ApiResult},
    input::Password,
};

/// Argon2id at m = 7 MiB, t = 5, p = 1: one of OWASP's settings of equal strength to the
/// crate's default (m = 19 MiB, t = 2) at about the same CPU time. Each hash in flight holds
/// its memory, so the smaller setting keeps the server's peak memory down.
const PARAMS: Params = match Params::new(7 * 1024, 5, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("the Argon2 parameters are out of range"),
};

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

/// A hash of a password nobody knows, checked when an address has no account, so that a
/// sign-in takes as long whether or not the address is known.
static DECOY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    argon2()
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
        argon2()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| ApiError::internal(anyhow::anyhow!("hashing a password: {error}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// What checking a password found.
pub struct Verdict {
    pub matches: bool,
    /// When the password matched a hash made with other settings: a new hash with today's,
    /// to store in its place.
    pub rehashed: Option<String>,
}

/// Whether `password` matches `stored`; with no stored hash, spends the same effort and says no.
pub async fn verify(
    pool: &HashingPool,
    password: String,
    stored: Option<String>,
) -> ApiResult<bool> {
    let verdict = check(pool, password, stored, Rehash::Never).await?;
    Ok(verdict.matches)
}

/// As [`verify`], and when the password matches a hash made with older settings, hashes it
/// again with today's, so that stored hashes move to the current settings as people sign in.
pub async fn verify_and_upgrade(
    pool: &HashingPool,
    password: String,
    stored: Option<String>,
) -> ApiResult<Verdict> {
    check(pool, password, stored, Rehash::WhenOutdated).await
}

#[derive(Clone, Copy, PartialEq)]
enum Rehash {
    Never,
    WhenOutdated,
}

async fn check(
    pool: &HashingPool,
    password: String,
    stored: Option<String>,
    rehash: Rehash,
) -> ApiResult<Verdict> {
    let permit = pool.turn().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let no = Verdict {
            matches: false,
            rehashed: None,
        };
        let (hash, is_real) = match stored {
            Some(hash) => (hash, true),
            None => match DECOY_HASH.clone() {
                Some(decoy) => (decoy, false),
                None => return no,
            },
        };
        let Ok(parsed) = PasswordHash::new(hash.as_str()) else {
            return no;
        };
        let matches = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        if !(matches && is_real) {
            return no;
        }
        let rehashed = (rehash == Rehash::WhenOutdated && has_older_settings(&parsed))
            .then(|| argon2().hash_password(password.as_bytes()).ok())
            .flatten()
            .map(|hash| hash.to_string());
        Verdict {
            matches: true,
            rehashed,
        }
    })
    .await
    .map_err(ApiError::internal)
}

fn has_older_settings(hash: &PasswordHash) -> bool {
    let same_params = Params::try_from(hash).is_ok_and(|params| {
        (params.m_cost(), params.t_cost(), params.p_cost())
            == (PARAMS.m_cost(), PARAMS.t_cost(), PARAMS.p_cost())
    });
    !(same_params && hash.algorithm == Algorithm::Argon2id.ident())
}
