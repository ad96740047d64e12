//! The source of "now". Every rule that compares times asks the clock instead of the system, so
//! tests can move time forward (token expiry, invitation expiry, throttling windows), and
//! background work waits on the clock too, so moving it wakes what has come due.

use std::{future::Future, pin::Pin};

use chrono::{DateTime, SubsecRound, Utc};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

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

/// How a background worker rests between rounds: until `next` (if anything is due later), until
/// `woken` (work arrived), or until `stopping`. True when it is to stop; a stop that comes at the
/// same time as anything else wins, so no round starts after shutdown was asked for.
pub async fn idle_until(
    state: &AppState,
    next: Option<DateTime<Utc>>,
    woken: impl Future,
    stopping: &CancellationToken,
) -> bool {
    let due = async {
        match next {
            Some(at) => state.clock.sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        _ = stopping.cancelled() => true,
        _ = woken => false,
        _ = due => false,
    }
}
