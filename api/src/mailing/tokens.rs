//! The tokens in a subscriber's links: `<id>.<mac>`, where the MAC (HMAC-SHA-256 under the
//! server's secret) covers the purpose, the id and the subscriber's current salt. They need no
//! storage, so an email can be written when it is sent, and replacing the salt voids them all.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone, Copy)]
pub enum Purpose {
    /// Confirms a subscription (and expires).
    Confirm,
    /// Opens preferences, unsubscribes, exports or erases.
    Manage,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Manage => "manage",
        }
    }
}

fn mac(key: &[u8], purpose: Purpose, id: i64, salt: &str) -> HmacSha256 {
    // A key of any length is accepted by HMAC; the error case cannot arise.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("subscriber:{}:{id}:{salt}", purpose.label()).as_bytes());
    mac
}

pub fn make(key: &[u8], purpose: Purpose, id: i64, salt: &str) -> String {
    let tag = mac(key, purpose, id, salt).finalize().into_bytes();
    format!("{id}.{}", hex::encode(tag))
}

/// The subscriber id a token names, and its tag, if it has the right shape.
pub fn parse(token: &str) -> Option<(i64, Vec<u8>)> {
    let (id, tag) = token.trim().split_once('.')?;
    Some((id.parse().ok()?, hex::decode(tag).ok()?))
}

/// Whether `tag` is right for this subscriber, compared in constant time.
pub fn verify(key: &[u8], purpose: Purpose, id: i64, salt: &str, tag: &[u8]) -> bool {
    mac(key, purpose, id, salt).verify_slice(tag).is_ok()
}
