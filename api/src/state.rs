//! What every request shares: the database, the settings, the clock and the token keys.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{auth::tokens::AccessTokens, clock::Clock, config::Config, events::Events};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub access_tokens: Arc<AccessTokens>,
    pub events: Events,
}

impl AppState {
    pub fn new(config: Config, db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
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
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
