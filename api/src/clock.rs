//! The source of "now". Every rule that compares times asks the clock instead of the system, so
//! tests can move time forward (token expiry, invitation expiry, throttling windows).

use chrono::{DateTime, SubsecRound, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock, truncated to microseconds so a time read back from either database equals
/// the one written.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
