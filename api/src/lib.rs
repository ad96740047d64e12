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
pub mod logging;
pub mod mailing;
pub mod monitoring;
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
use poem::EndpointExt;
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
    let reference = (regions::all(&db).await?, campaigns::goals(&db).await?);
    let petition_site = petitions::site::Site::new(&config)?;
    Ok(AppState::new(config, db, clock, reference, petition_site))
}

/// A server bound to its address (and to METRICS_ADDR, when set) and ready to run.
pub struct Started {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: AppState,
}

/// Binds the addresses in the settings.
pub async fn start(state: AppState) -> std::io::Result<Started> {
    let listener = TcpListener::bind(state.config.bind_addr).await?;
    start_with(state, listener).await
}

/// Serves on a socket bound already (tests bind port 0 first, to know the address).
pub async fn start_on(
    state: AppState,
    listener: std::net::TcpListener,
) -> std::io::Result<Started> {
    listener.set_nonblocking(true)?;
    start_with(state, TcpListener::from_std(listener)?).await
}

async fn start_with(state: AppState, listener: TcpListener) -> std::io::Result<Started> {
    let metrics_listener = match state.config.metrics_addr {
        Some(address) => Some(TcpListener::bind(address).await?),
        None => None,
    };
    Ok(Started {
        listener,
        metrics_listener,
        state,
    })
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
            "policy_update_announcer",
            |event| matches!(event, events::Event::UpdateScheduled),
            |state| async move { policy_updates::announce_due(&state).await },
        ));
        let reminders = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "reassessment_reminders",
            |event| matches!(event, events::Event::ReassessmentScheduled),
            |state| async move { principles::reminders::invite_due(&state).await },
        ));
        let training_reminders = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "training_reminders",
            |event| matches!(event, events::Event::TrainingScheduled),
            |state| async move { training::reminders::run_due(&state).await },
        ));
        let retention = tokio::spawn(run_when_due(
            self.state.clone(),
            stopping.clone(),
            "retention",
            |_| false,
            |state| async move { retention::forget_unconfirmed(&state).await },
        ));
        let petition_poller = self.state.config.petitions_poll.then(|| {
            tokio::spawn(run_when_due(
                self.state.clone(),
                stopping.clone(),
                "petition_poller",
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
        let metrics = tokio::spawn(metrics_server(
            self.state.clone(),
            self.metrics_listener,
            stopping.clone(),
        ));
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
        let _ = metrics.await;
        if let Some(poller) = petition_poller {
            let _ = poller.await;
        }
        if let Some(postman) = postman {
            let _ = postman.await;
        }
        served
    }
}

/// Keeps the metrics recorder compact and, with METRICS_ADDR, serves `/metrics` there, until
/// `stopping`.
async fn metrics_server(
    state: AppState,
    listener: Option<TcpListener>,
    stopping: CancellationToken,
) -> std::io::Result<()> {
    let Some(handle) = state.metrics.clone() else {
        return Ok(());
    };
    let upkeep = async {
        loop {
            tokio::time::sleep(monitoring::UPKEEP_EVERY).await;
            handle.run_upkeep();
        }
    };
    let serving = async {
        match listener {
            Some(listener) => {
                let limits = http::ServerLimits {
                    max_connections: state.config.max_connections,
                    request_timeout: state.config.request_timeout,
                };
                let app = poem::Route::new()
                    .at("/metrics", poem::get(monitoring::scrape))
                    .data(state.clone());
                http::serve(listener, app, limits, stopping.cancelled()).await
            }
            None => {
                stopping.cancelled().await;
                Ok(())
            }
        }
    };
    tokio::select! {
        () = upkeep => Ok(()),
        served = serving => served,
    }
}

/// A background job (named `job` in logs and metrics) that does what is due, then rests until the next thing falls due (the time
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
        let next = match round(state.clone()).await {
            Ok(next) => {
                monitoring::worker_ran(job, state.now());
                next
            }
            Err(error) => {
                tracing::warn!(%error, job, "a background round failed; retrying soon");
                Some(state.now() + chrono::Duration::seconds(5))
            }
        };
        if clock::idle_until(&state, next, woken.next(), &stopping).await {
            return;
        }
    }
}
