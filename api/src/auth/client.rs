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
        forwarded_for: &[&str],
        user_agent: Option<&str>,
        trusted: &[IpNet],
    ) -> Self {
        let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        let ip = if is_trusted(&peer) {
            forwarded_for
                .iter()
                .rev()
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

/// Clients remembered before those whose limit has fully recovered are forgotten.
const REMEMBERED_CLIENTS: usize = 10_000;

impl AttemptRate {
    pub fn per_minute(attempts: NonZeroU32) -> Self {
        Self(Arc::new(RateLimiter::hashmap(Quota::per_minute(attempts))))
    }

    pub fn per_hour(attempts: NonZeroU32) -> Self {
        Self(Arc::new(RateLimiter::hashmap(Quota::per_hour(attempts))))
    }

    /// Counts one attempt from `ip`'s network, or refuses it with RATE_LIMITED and the time
    /// the next attempt will be let through.
    pub fn check(&self, ip: IpAddr, now: DateTime<Utc>) -> ApiResult<()> {
        if self.0.len() > REMEMBERED_CLIENTS {
            self.0.retain_recent();
            self.0.shrink_to_fit();
        }
        self.0.check_key(&network_of(ip)).map_err(|not_until| {
            let wait =
                not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
            ApiError::RateLimited {
                retry_at: now + chrono::Duration::from_std(wait).unwrap_or_default(),
                now,
            }
        })
    }
}

/// What limits count a client as: its IPv4 address, or its IPv6 /64 (one household or
/// server is given a whole /64, so single IPv6 addresses cost an attacker nothing).
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::{Client, network_of};

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        assert_eq!(
            network_of(ip("2001:db8:1:2:aa:bb:cc:dd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(network_of(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(network_of(ip("198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn every_forwarded_line_is_read_right_to_left() {
        let proxies = ["10.0.0.0/8".parse().unwrap_or_default()];
        let client = Client::resolve(
            Some(ip("10.0.0.1")),
            &["6.6.6.6", "198.51.100.7, 10.0.0.2"],
            None,
            &proxies,
        );
        assert_eq!(client.ip, ip("198.51.100.7"));
    }
}
