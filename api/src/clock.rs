//! The source of "now". Every rule that compares times asks the clock instead of the system, so
//! tests can move time forward (token expiry, invitation expiry, throttling windows), and
//! background work waits on the clock too, so moving it wakes what has come due.

use std::{future::Future, pin::Pin};

use chrono::{DateTime, SubsecRound, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once the clock reads `at` or later.
    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let left = (at - self.now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(left))
    }
}

/// The real clock, truncated to microseconds so a time read back from either database equals
/// the one written.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
