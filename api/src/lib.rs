//! The partner network's GraphQL server: configuration → database → schema → routes.
//! `main.rs` and the integration tests both start it through [`start`].

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod engagement;
pub mod enquiries;
pub mod events;
pub mod evidence;
pub mod graphql;
pub mod http;
pub mod input;
pub mod joint_actions;
pub mod mailing;
pub mod partners;
pub mod petitions;
pub mod policy_updates;
pub mod positions;
pub mod principles;
pub mod regions;
pub mod retention;
pub mod spreadsheet;
pub mod state;
pub mod support_requests;
pub mod training;

use std::{future::Future, sync::Arc};

use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{clock::Clock, config::Config, db::StatementObserver, state::AppState};

/// Connects to the database, applies any pending migrations, and prepares the shared state.
pub async fn prepare(
    config: Config,
    clock: Arc<dyn Clock>,
    observer: Option<StatementObserver>,
) -> anyhow::Result<AppState> {
    let db = db::connect(&config.database_url, observer).await?;
    db::migrate(&db).await?;
    let regions = regions::all(&db).await?;
    let petition_site = petitions::site::Site::new(&config)?;
    Ok(AppState::new(config, db, clock, regions, petition_site))
}

/// A server bound to its address and ready to run.
pub struct Started {
    listener: TcpListener,
    state: AppState,
}

/// Binds the address in the settings.
pub async fn start(state: AppState) -> std::io::Result<Started> {
    let listener = TcpListener::bind(state.config.bind_addr).await?;
    Ok(Started { listener, state })
}

/// Serves on a socket bound already (tests bind port 0 first, to know the address).
pub fn start_on(state: AppState, listener: std::net::TcpListener) -> std::io::Result<Started> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    Ok(Started { listener, state })
}

impl Started {
    /// The address actually bound.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish and stops the
    /// background work.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stopping = CancellationToken::new();
        let relay = tokio::spawn(self.state.events.clone().relay(stopping.clone()));
        let announcer = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "announcing scheduled policy updates",
            |event| matches!(event, events::Event::UpdateScheduled),
            |state| async move { policy_updates::announce_due(&state).await },
        ));
        let reminders = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "inviting signatories to reassess",
            |event| matches!(event, events::Event::ReassessmentScheduled),
            |state| async move { principles::reminders::invite_due(&state).await },
        ));
        let training_reminders = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "reminding attendees of tomorrow's training and completing ended sessions",
            |event| matches!(event, events::Event::TrainingScheduled),
            |state| async move { training::reminders::run_due(&state).await },
        ));
        let retention = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "deleting unconfirmed requests",
            |_| false,
            |state| async move { retention::forget_unconfirmed(&state).await },
        ));
        let petition_poller = self.state.config.petitions_poll.then(|| {
            tokio::spawn(run_when_due(
                self.state.clone(),
                stopping.clone(),
                "polling tracked petitions",
                |event| matches!(event, events::Event::PetitionsTracked),
                |state| async move { petitions::poller::run_due(&state).await },
            ))
        });
        let mailer = mailing::outbox::Mailer::from_config(&self.state.config)
            .map_err(std::io::Error::other)?;
        let postman = self.state.config.mail_worker.then(|| {
            tokio::spawn(mailing::outbox::run_worker(
                self.state.clone(),
                mailer,
                stopping.clone(),
            ))
        });
        let schema = graphql::build_schema(self.state.clone());
        let limits = http::ServerLimits {
            max_connections: self.state.config.max_connections,
            request_timeout: self.state.config.request_timeout,
        };
        let app = http::routes(self.state, schema);
        // Background work stops taking new jobs as soon as shutdown is asked for, while open
        // requests are still being answered: mail already taken is sent and marked first.
        let stop_background = stopping.clone();
        let shutdown = async move {
            shutdown.await;
            stop_background.cancel();
        };
        let served = http::serve(self.listener, app, limits, shutdown).await;
        stopping.cancel();
        let _ = relay.await;
        let _ = announcer.await;
        let _ = reminders.await;
        let _ = training_reminders.await;
        let _ = retention.await;
        if let Some(poller) = petition_poller {
            let _ = poller.await;
        }
        if let Some(postman) = postman {
            let _ = postman.await;
        }
        served
    }
}

/// A background job that does what is due, then rests until the next thing falls due (the time
/// each round returns), until `wakes_it` matches an event from any instance (new work was
/// scheduled), or until `stopping`.
async fn run_when_due<F, Fut>(
    state: AppState,
    stopping: CancellationToken,
    job: &'static str,
    wakes_it: fn(&events::Event) -> bool,
    round: F,
) where
    F: Fn(AppState) -> Fut,
    Fut: Future<Output = graphql::error::ApiResult<Option<chrono::DateTime<chrono::Utc>>>>,
{
    let mut woken = Box::pin(
        state
            .events
            .subscribe()
            .filter(move |event| std::future::ready(wakes_it(event))),
    );
    loop {
        let next = round(state.clone()).await.unwrap_or_else(|error| {
            tracing::warn!(%error, job, "a background round failed; retrying soon");
            Some(state.now() + chrono::Duration::seconds(5))
        });
        if clock::idle_until(&state, next, woken.next(), &stopping).await {
            return;
        }
    }
}
