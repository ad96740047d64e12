//! Argon2id password hashes. Hashing is deliberately slow, so it runs off the async workers.

use std::sync::LazyLock;

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

pub async fn hash(password: Password) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| ApiError::internal(anyhow::anyhow!("hashing a password: {error}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Whether `password` matches `stored`; with no stored hash, spends the same effort and says no.
pub async fn verify(password: String, stored: Option<String>) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || {
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
