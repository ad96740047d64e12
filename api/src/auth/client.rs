//! Who is at the other end of a request: the client's IP (the connecting peer, or what a proxy
//! we trust says it forwarded for) and the user agent it names, and how often one IP may try a
//! password.

use std::{
    net::{IpAddr, Ipv4Addr},
    num::NonZeroU32,
    sync::Arc,
};

use chrono::{DateTime, Utc};
use governor::{
    Quota, RateLimiter, clock::DefaultClock, middleware::NoOpMiddleware,
    state::keyed::HashMapStateStore,
};
use ipnet::IpNet;

use crate::graphql::error::{ApiError, ApiResult};

/// The client of one request.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

impl Default for Client {
    /// A request that did not come over the network (the command line).
    fn default() -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            user_agent: None,
        }
    }
}

/// The longest user agent kept (in the audit log).
const MAX_USER_AGENT: usize = 300;

impl Client {
    /// The client behind `peer`: when `peer` is a trusted proxy, the right-most address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it
    /// saw, so entries further left could have been written by anyone).
    pub fn resolve(
        peer: Option<IpAddr>,
        forwarded_for: Option<&str>,
        user_agent: Option<&str>,
        trusted: &[IpNet],
    ) -> Self {
        let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        let ip = if is_trusted(&peer) {
            forwarded_for
                .into_iter()
                .flat_map(|header| header.rsplit(','))
                .map_while(|entry| entry.trim().parse::<IpAddr>().ok())
                .find(|ip| !is_trusted(ip))
                .unwrap_or(peer)
        } else {
            peer
        };
        Self {
            ip,
            user_agent: user_agent.map(|agent| agent.chars().take(MAX_USER_AGENT).collect()),
        }
    }
}

/// How many attempts at something (password checks, partnership enquiries) one IP may make
/// in a period on this instance, with a burst of as many.
#[derive(Clone)]
pub struct AttemptRate(Arc<Limiter>);

type Limiter = RateLimiter<IpAddr, HashMapStateStore<IpAddr>, DefaultClock, NoOpMiddleware>;

impl AttemptRate {
    pub fn per_minute(attempts: NonZeroU32) -> Self {
        Self(Arc::new(RateLimiter::hashmap(Quota::per_minute(attempts))))
    }

    pub fn per_hour(attempts: NonZeroU32) -> Self {
        Self(Arc::new(RateLimiter::hashmap(Quota::per_hour(attempts))))
    }

    /// Counts one attempt from `ip`, or refuses it with RATE_LIMITED.
    pub fn check(&self, ip: IpAddr, now: DateTime<Utc>) -> ApiResult<()> {
        self.0.check_key(&ip).map_err(|_| ApiError::RateLimited {
            retry_at: now + chrono::Duration::seconds(60),
            now,
        })
    }
}
