//! Access tokens (short-lived JWTs, HS256 only) and opaque tokens (refresh, invitation), which
//! are stored only as SHA-256 digests.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    config::Secret,
    graphql::error::{ApiError, ApiResult},
};

const ISSUER: &str = "partner-network";
const AUDIENCE: &str = "partner-network-api";
const ALGORITHM: Algorithm = Algorithm::HS256;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    sid: i64,
    iat: i64,
    exp: i64,
}

/// What a valid access token says: whose it is and which sign-in it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct AccessClaims {
    pub user_id: i64,
    pub session_id: i64,
    pub expires_at: DateTime<Utc>,
}

pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl AccessTokens {
    pub fn new(secret: &Secret, ttl: Duration) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the application's clock, which tests can move.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
            ttl,
        }
    }

    pub fn issue(
        &self,
        user_id: i64,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> ApiResult<(String, DateTime<Utc>)> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user_id.to_string(),
            sid: session_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, expires_at))
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> ApiResult<AccessClaims> {
        let invalid = ApiError::Unauthenticated("the access token is not valid");
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| invalid)?
            .claims;
        if claims.exp <= now.timestamp() {
            return Err(ApiError::Unauthenticated("the access token has expired"));
        }
        let user_id = claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthenticated("the access token is not valid"))?;
        Ok(AccessClaims {
            user_id,
            session_id: claims.sid,
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(now),
        })
    }
}

/// A new random token to hand to a person once: 256 bits, URL-safe.
pub fn new_opaque_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The digest under which an opaque token is stored and looked up. The token carries 256 bits
/// of randomness, so a fast hash is enough, and lookups go by digest, never by comparing secrets.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
