//! Sessions checked in the last few seconds, kept in memory so that a signed-in request does
//! not cost a database read.
//!
//! An entry is dropped the moment its session ends: on the instance that ended it before the
//! answer goes out (`Events::publish`), on every other instance when the notification arrives
//! (`Events::relay`). While an instance is not listening to the others (PostgreSQL, before the
//! listener connects or after it is lost) the cache is not used at all, since an ending could
//! pass unheard. A database read that overlapped an ending is not kept: each ending moves the
//! generation on, and a read is kept only if the generation it started in is still current.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use super::Actor;
use crate::events::SessionsEnded;

/// How long a checked session is trusted without asking the database again: a backstop only,
/// since endings are heard at once.
const LIFETIME: Duration = Duration::from_secs(10);
/// Entries kept at most; past it, expired entries go first and then everything.
const CAPACITY: usize = 10_000;

pub struct SessionCache {
    inner: Mutex<Inner>,
}

struct Inner {
    entries: HashMap<i64, Entry>,
    generation: u64,
    /// Whether every ending on any instance reaches this one.
    hears_all_endings: bool,
}

struct Entry {
    actor: Actor,
    until: Instant,
}

/// The cache's generation before a database read, to keep its result only if nothing ended
/// meanwhile.
pub struct Ticket(Option<u64>);

impl SessionCache {
    /// `hears_all_endings`: whether this instance learns of every ending from the start (one
    /// process on SQLite), rather than once a listener connects.
    pub fn new(hears_all_endings: bool) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                generation: 0,
                hears_all_endings,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The actor of an open session checked moments ago, or a ticket to keep a fresh check.
    pub fn lookup(&self, session_id: i64, user_id: i64) -> Result<Actor, Ticket> {
        let inner = self.lock();
        if !inner.hears_all_endings {
            return Err(Ticket(None));
        }
        match inner.entries.get(&session_id) {
            Some(entry) if entry.actor.user_id == user_id && entry.until > Instant::now() => {
                Ok(entry.actor.clone())
            }
            _ => Err(Ticket(Some(inner.generation))),
        }
    }

    /// Keeps a session just found open, unless something ended since the ticket was taken.
    pub fn keep(&self, ticket: Ticket, actor: &Actor) {
        let mut inner = self.lock();
        if ticket.0 != Some(inner.generation) || !inner.hears_all_endings {
            return;
        }
        let now = Instant::now();
        if inner.entries.len() >= CAPACITY {
            inner.entries.retain(|_, entry| entry.until > now);
            if inner.entries.len() >= CAPACITY {
                inner.entries.clear();
            }
        }
        let entry = Entry {
            actor: actor.clone(),
            until: now + LIFETIME,
        };
        inner.entries.insert(actor.session_id, entry);
    }

    /// Drops the sessions that ended.
    pub fn forget(&self, ended: &SessionsEnded) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner
            .entries
            .retain(|session_id, entry| !ended.covers(entry.actor.user_id, *session_id));
    }

    /// From now on every ending reaches this instance (its listener is connected).
    pub fn hearing_all_endings(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.hears_all_endings = true;
    }

    /// Endings may pass unheard (the listener was lost): nothing is trusted until it is back.
    pub fn deaf_to_endings(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.hears_all_endings = false;
    }
}

#[cfg(test)]
mod tests {
    use entities::enums::Role;

    use super::*;

    fn actor(user_id: i64, session_id: i64) -> Actor {
        Actor {
            user_id,
            session_id,
            role: Role::Staff,
            region_id: Some(1),
            partner_id: None,
        }
    }

    fn cached(cache: &SessionCache, user_id: i64, session_id: i64) -> bool {
        cache.lookup(session_id, user_id).is_ok()
    }

    #[test]
    fn an_ended_session_is_forgotten_and_a_read_overlapping_the_end_is_not_kept() {
        let cache = SessionCache::new(true);
        let ticket = cache.lookup(7, 1).err().map(|ticket| ticket.0);
        assert_eq!(ticket, Some(Some(0)), "nothing is cached at first");
        cache.keep(Ticket(Some(0)), &actor(1, 7));
        cache.keep(Ticket(Some(0)), &actor(1, 8));
        assert!(cached(&cache, 1, 7) && cached(&cache, 1, 8));
        assert!(
            !cached(&cache, 2, 7),
            "a session answers only for its own account"
        );

        let Err(stale) = cache.lookup(9, 1) else {
            panic!("session 9 was never kept");
        };
        cache.forget(&SessionsEnded::one(1, 7));
        assert!(!cached(&cache, 1, 7), "the ended session is gone");
        assert!(cached(&cache, 1, 8), "the account's other session stays");
        cache.keep(stale, &actor(1, 9));
        assert!(
            !cached(&cache, 1, 9),
            "a read from before the ending is not kept"
        );
    }

    #[test]
    fn nothing_is_trusted_while_endings_may_pass_unheard() {
        let cache = SessionCache::new(false);
        let Err(ticket) = cache.lookup(7, 1) else {
            panic!("a deaf cache holds nothing");
        };
        cache.keep(ticket, &actor(1, 7));
        assert!(!cached(&cache, 1, 7));
        cache.hearing_all_endings();
        cache.keep(
            Ticket(cache.lookup(7, 1).err().and_then(|t| t.0)),
            &actor(1, 7),
        );
        assert!(cached(&cache, 1, 7));
        cache.deaf_to_endings();
        assert!(
            !cached(&cache, 1, 7),
            "losing the listener drops every entry"
        );
    }
}
