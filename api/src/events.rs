//! Live events behind the GraphQL subscriptions. On PostgreSQL every server instance hears every
//! event through `LISTEN/NOTIFY`, so a client sees a change whichever instance made it; on
//! SQLite (a single process) events go straight to the local subscribers.

use std::{sync::Arc, time::Duration};

use async_graphql::futures_util::{Stream, stream};
use chrono::{DateTime, Utc};
use entities::enums::OptInChange;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::auth::session_cache::SessionCache;

const CHANNEL: &str = "partner_network_events";
/// Events a slow subscriber may fall behind by before it skips ahead.
const BUFFER: usize = 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    #[serde(rename_all = "camelCase")]
    OptInsChanged {
        action_id: i64,
        partner_id: i64,
        change: OptInChange,
        opt_in_count: u64,
        at: DateTime<Utc>,
    },
    /// A policy update went live (now, or at its scheduled time).
    #[serde(rename_all = "camelCase")]
    PolicyUpdatePublished {
        update_id: i64,
        region_id: Option<i64>,
        topics: Vec<String>,
        at: DateTime<Utc>,
    },
    /// Sessions ended (sign-out, deactivation, a password change, a copied refresh token): open
    /// websockets of those sessions are closed.
    SessionsEnded(SessionsEnded),
    /// Email was queued: mail workers wake up.
    MailQueued,
    /// A policy update was scheduled for later: the announcers wake up to note its time.
    UpdateScheduled,
    /// Seats were taken or freed in a training session.
    #[serde(rename_all = "camelCase")]
    TrainingSeatsChanged {
        session_id: i64,
        seats_left: i64,
        waitlisted: i64,
    },
    /// A training session was published: the reminder workers wake up to note its time.
    TrainingScheduled,
    /// A signatory's next invitation to reassess was set: the reminders wake up to note it.
    ReassessmentScheduled,
    /// A petition is newly tracked: the pollers wake up to note when it is due.
    PetitionsTracked,
    /// A poll saw a petition reach a milestone for the first time.
    #[serde(rename_all = "camelCase")]
    PetitionMilestoneReached { petition_id: i64, milestone_id: i64 },
}

/// Which sessions of an account have just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionsEnded {
    pub user_id: i64,
    /// Only this session.
    pub only: Option<i64>,
    /// Every session but this one.
    pub except: Option<i64>,
}

impl SessionsEnded {
    pub fn all_of(user_id: i64) -> Self {
        Self {
            user_id,
            only: None,
            except: None,
        }
    }

    pub fn one(user_id: i64, session_id: i64) -> Self {
        Self {
            user_id,
            only: Some(session_id),
            except: None,
        }
    }

    pub fn all_but(user_id: i64, session_id: i64) -> Self {
        Self {
            user_id,
            only: None,
            except: Some(session_id),
        }
    }

    /// Whether the session `session_id` of `user_id` is among those that ended.
    pub fn covers(&self, user_id: i64, session_id: i64) -> bool {
        self.user_id == user_id
            && self.only.is_none_or(|only| only == session_id)
            && self.except != Some(session_id)
    }
}

#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Event>,
    db: DatabaseConnection,
    /// Sessions recently checked, dropped here as endings are announced and heard.
    sessions: Arc<SessionCache>,
}

impl Events {
    pub fn new(db: DatabaseConnection) -> Self {
        let (local, _) = broadcast::channel(BUFFER);
        let sessions = Arc::new(SessionCache::new(
            db.get_database_backend() != DbBackend::Postgres,
        ));
        Self {
            local,
            db,
            sessions,
        }
    }

    /// The sessions this instance checked recently and has heard no ending of.
    pub fn sessions(&self) -> &SessionCache {
        &self.sessions
    }

    fn shared_through_database(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Announces an event that has been committed. Live delivery is best effort: a failure is
    /// logged and the change itself stands. Session endings go through [`Self::commit_ending`]
    /// instead, where the announcement is part of the change.
    pub async fn publish(&self, event: Event) {
        if !self.shared_through_database() {
            return self.heard_here(event);
        }
        let announced = match notification(&event) {
            Ok(notify) => self.db.execute_raw(notify).await.map(drop),
            Err(error) => Err(error),
        };
        if let Err(error) = announced {
            tracing::warn!(%error, "could not announce an event");
        }
    }

    /// Commits `txn`, which ended sessions, together with the announcement of the ending: on
    /// PostgreSQL the notification is sent inside the transaction, so every instance hears of
    /// the ending exactly when it is committed, and an ending that cannot be announced is not
    /// committed (instances would otherwise keep a cached check of the session for a while).
    pub async fn commit_ending(
        &self,
        txn: DatabaseTransaction,
        ended: SessionsEnded,
    ) -> Result<(), DbErr> {
        if !self.shared_through_database() {
            txn.commit().await?;
            self.heard_here(Event::SessionsEnded(ended));
            return Ok(());
        }
        let notify = notification(&Event::SessionsEnded(ended))?;
        txn.execute_raw(notify).await?;
        txn.commit().await?;
        // This instance's relay hears the notification too; its own cache is dropped at once.
        self.sessions.forget(&ended);
        Ok(())
    }

    /// Delivers an event to this instance alone (SQLite: a single process).
    fn heard_here(&self, event: Event) {
        if let Event::SessionsEnded(ended) = &event {
            self.sessions.forget(ended);
        }
        let _ = self.local.send(event);
    }

    /// How many streams listen to this instance's events (live subscriptions, open sockets,
    /// the workers).
    pub fn listeners(&self) -> usize {
        self.local.receiver_count()
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> impl Stream<Item = Event> + Send + use<> {
        stream::unfold(self.local.subscribe(), |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a live subscriber fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// On PostgreSQL, relays notifications from every instance to this one's subscribers until
    /// `shutdown`. Does nothing on SQLite.
    pub async fn relay(self, shutdown: CancellationToken) {
        if !self.shared_through_database() {
            return;
        }
        while !shutdown.is_cancelled() {
            let relayed = self.relay_until_error(&shutdown).await;
            self.sessions.deaf_to_endings();
            if let Err(error) = relayed {
                tracing::warn!(%error, "lost the event listener; reconnecting");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }

    async fn relay_until_error(
        &self,
        shutdown: &CancellationToken,
    ) -> Result<(), sea_orm::sqlx::Error> {
        let pool = self.db.get_postgres_connection_pool();
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.sessions.hearing_all_endings();
        loop {
            let notification = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                notification = listener.recv() => notification?,
            };
            match serde_json::from_str::<Event>(notification.payload()) {
                Ok(event) => {
                    if let Event::SessionsEnded(ended) = &event {
                        self.sessions.forget(ended);
                    }
                    let _ = self.local.send(event);
                }
                Err(error) => tracing::warn!(%error, "ignored an event this version does not know"),
            }
        }
    }
}

/// The statement that announces `event` to every instance listening on PostgreSQL.
fn notification(event: &Event) -> Result<Statement, DbErr> {
    let payload = serde_json::to_string(event)
        .map_err(|error| DbErr::Custom(format!("encoding an event: {error}")))?;
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
}
