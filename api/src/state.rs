//! What every request shares: the database, the settings, the clock and the token keys.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entities::{advocacy_goal, region};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::{
    auth::{client::AttemptRate, passwords::HashingPool, tokens::AccessTokens},
    clock::Clock,
    config::Config,
    events::{Event, Events, SessionsEnded},
    graphql::error::ApiResult,
    mailing::tokens::LinkKeys,
    petitions::site::Site,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub access_tokens: Arc<AccessTokens>,
    /// The keys of the links in emails, one per purpose, derived from LINK_SECRET.
    pub link_keys: Arc<LinkKeys>,
    pub hashing: HashingPool,
    pub attempt_rate: AttemptRate,
    /// How many partnership enquiries one client IP may send.
    pub enquiry_rate: AttemptRate,
    pub events: Events,
    /// The six regions, read once at start: they are seeded by migration and never change
    /// while the server runs, so no request needs to ask the database for them.
    pub regions: Arc<Vec<region::Model>>,
    /// The eight advocacy goals, in their agreed order: seeded by migration and never changed,
    /// so read once at start too.
    pub goals: Arc<Vec<advocacy_goal::Model>>,
    /// The petitions site, paced for this instance.
    pub petition_site: Arc<Site>,
    /// Where metrics are recorded, when the operator asked for them.
    pub metrics: Option<PrometheusHandle>,
}

impl AppState {
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        (regions, goals): (Vec<region::Model>, Vec<advocacy_goal::Model>),
        petition_site: Site,
    ) -> Self {
        let access_tokens = Arc::new(AccessTokens::new(
            &config.jwt_secret,
            config.access_token_ttl,
        ));
        let metrics = config
            .serves_metrics()
            .then(crate::monitoring::recorder)
            .flatten();
        Self {
            events: Events::new(db.clone()),
            link_keys: Arc::new(LinkKeys::derive(&config.link_secret)),
            hashing: HashingPool::sized_to_cores(),
            attempt_rate: AttemptRate::per_minute(config.password_attempts_per_minute),
            enquiry_rate: AttemptRate::per_hour(config.enquiries_per_hour),
            db,
            config: Arc::new(config),
            clock,
            access_tokens,
            regions: Arc::new(regions),
            goals: Arc::new(goals),
            petition_site: Arc::new(petition_site),
            metrics,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Wakes the mail workers of every instance: email was queued and committed.
    pub async fn mail_queued(&self) {
        self.events.publish(Event::MailQueued).await;
    }

    /// Commits `txn`, which ended sessions, and tells every instance, so their open websockets
    /// close and their cached checks of those sessions are dropped.
    pub async fn commit_ending(
        &self,
        txn: DatabaseTransaction,
        ended: SessionsEnded,
    ) -> ApiResult<()> {
        Ok(self.events.commit_ending(txn, ended).await?)
    }
}
