//! What every request shares: the database, the settings, the clock and the token keys.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entities::region;
use sea_orm::DatabaseConnection;

use crate::{auth::tokens::AccessTokens, clock::Clock, config::Config, events::Events};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub access_tokens: Arc<AccessTokens>,
    pub events: Events,
    /// The six regions, read once at start: they are seeded by migration and never change
    /// while the server runs, so no request needs to ask the database for them.
    pub regions: Arc<Vec<region::Model>>,
}

impl AppState {
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        regions: Vec<region::Model>,
    ) -> Self {
        let access_tokens = Arc::new(AccessTokens::new(
            &config.jwt_secret,
            config.access_token_ttl,
        ));
        Self {
            events: Events::new(db.clone()),
            db,
            config: Arc::new(config),
            clock,
            access_tokens,
            regions: Arc::new(regions),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
