//! The tokens in emailed links (a subscriber's, a signatory's): `<id>.<mac>`, or
//! `<id>.<expiry>.<mac>` for links that expire, where the MAC (HMAC-SHA-256) covers the
//! purpose, the id, the holder's current salt and the expiry. They need no storage, so an
//! email can be written when it is sent, and replacing the salt voids them all.
//!
//! Each purpose has its own key, derived with HKDF from LINK_SECRET alone: rotating
//! JWT_SECRET (to end every session) leaves emailed links working, and a token made for one
//! purpose is worth nothing for another.

use chrono::{DateTime, Utc};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms a subscription (and expires with the confirmation).
    Confirm,
    /// Opens preferences and unsubscribes: long-lived, as RFC 8058 expects of unsubscribe links.
    Manage,
    /// Shows or erases everything held about the subscriber: sent on request to the address
    /// itself, and valid for an hour.
    Data,
    /// Lets an organisation outside the network manage its signature of the Early Action
    /// principles and assess itself against them.
    Signatory,
    /// Confirms or cancels a public training booking.
    TrainingBooking,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Confirm => b"subscriber link: confirm",
            Self::Manage => b"subscriber link: manage",
            Self::Data => b"subscriber link: data",
            Self::Signatory => b"signatory link: manage",
            Self::TrainingBooking => b"training booking link",
        }
    }
}

/// One key per purpose.
pub struct LinkKeys {
    confirm: [u8; 32],
    manage: [u8; 32],
    data: [u8; 32],
    signatory: [u8; 32],
    training_booking: [u8; 32],
}

impl LinkKeys {
    pub fn derive(secret: &Secret) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"partner-network email links"), secret.expose());
        let key = |purpose: Purpose| {
            let mut key = [0u8; 32];
            // 32 bytes is far below HKDF-SHA-256's limit of 8,160: expansion cannot fail.
            if hkdf.expand(purpose.label(), &mut key).is_err() {
                unreachable!("HKDF-SHA-256 expands to 32 bytes");
            }
            key
        };
        Self {
            confirm: key(Purpose::Confirm),
            manage: key(Purpose::Manage),
            data: key(Purpose::Data),
            signatory: key(Purpose::Signatory),
            training_booking: key(Purpose::TrainingBooking),
        }
    }

    fn key(&self, purpose: Purpose) -> &[u8] {
        match purpose {
            Purpose::Confirm => &self.confirm,
            Purpose::Manage => &self.manage,
            Purpose::Data => &self.data,
            Purpose::Signatory => &self.signatory,
            Purpose::TrainingBooking => &self.training_booking,
        }
    }

    fn mac(&self, purpose: Purpose, id: i64, salt: &str, expires: Option<i64>) -> HmacSha256 {
        // HMAC accepts keys of any length; the error case cannot arise.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.key(purpose))
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        let expires = expires.map(|at| at.to_string()).unwrap_or_default();
        mac.update(format!("{id}:{salt}:{expires}").as_bytes());
        mac
    }

    /// A token for `purpose`; links that expire carry `expires`.
    pub fn make(
        &self,
        purpose: Purpose,
        id: i64,
        salt: &str,
        expires: Option<DateTime<Utc>>,
    ) -> String {
        let expires = expires.map(|at| at.timestamp());
        let tag = hex::encode(self.mac(purpose, id, salt, expires).finalize().into_bytes());
        match expires {
            Some(at) => format!("{id}.{at}.{tag}"),
            None => format!("{id}.{tag}"),
        }
    }

    /// Whether `token` is right for this subscriber and purpose, compared in constant time;
    /// a token that expires must not have expired by `now`.
    pub fn verify(&self, purpose: Purpose, token: &Token, salt: &str, now: DateTime<Utc>) -> bool {
        let expired = token.expires.is_some_and(|at| at <= now.timestamp());
        let expiring = purpose == Purpose::Data;
        !expired
            && token.expires.is_some() == expiring
            && self
                .mac(purpose, token.id, salt, token.expires)
                .verify_slice(&token.tag)
                .is_ok()
    }
}

/// A token's parts, once its shape is right.
pub struct Token {
    pub id: i64,
    expires: Option<i64>,
    tag: Vec<u8>,
}

impl Token {
    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.trim().split('.');
        let id = parts.next()?.parse().ok()?;
        let (expires, tag) = match (parts.next()?, parts.next(), parts.next()) {
            (tag, None, None) => (None, tag),
            (expires, Some(tag), None) => (Some(expires.parse().ok()?), tag),
            _ => return None,
        };
        Some(Self {
            id,
            expires,
            tag: hex::decode(tag).ok()?,
        })
    }
}
