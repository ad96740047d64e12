//! What operators scrape: `GET /metrics` in Prometheus' text format, behind `METRICS_TOKEN`
//! or on its own address (`METRICS_ADDR`). Counters and histograms are recorded where things
//! happen; the pool and the mail queue are read when scraped.

use std::{
    collections::HashSet,
    sync::{LazyLock, Mutex, OnceLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use entities::{enums::MailStatus, outbox};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseConnectionType, EntityTrait, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// Latency buckets in seconds, 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Operation names kept as label values; names beyond these are counted as `other`, so that
/// clients choosing names cannot grow the number of series without end.
const MAX_OPERATION_NAMES: usize = 200;

/// How often histograms are compacted when nobody scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(10);

/// The process's recorder, installed the first time an instance with metrics starts: metrics
/// are process-wide, as Prometheus scrapes a process.
pub fn recorder() -> Option<PrometheusHandle> {
    static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    RECORDER
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".to_owned()),
                    LATENCY_BUCKETS,
                )
                .ok()?;
            builder
                .install_recorder()
                .map_err(|error| tracing::warn!(%error, "metrics could not be recorded"))
                .ok()
        })
        .clone()
}

/// One GraphQL request over HTTP: its operation, its outcome (`ok` or the first error's code)
/// and how long it took.
pub fn graphql_request(operation: Option<&str>, outcome: &str, took: Duration) {
    let operation = operation_label(operation);
    metrics::counter!("graphql_requests_total", "operation" => operation.clone(), "outcome" => outcome.to_owned())
        .increment(1);
    metrics::histogram!("graphql_request_duration_seconds", "operation" => operation)
        .record(took.as_secs_f64());
}

/// One HTTP request of any kind, by status code.
pub fn http_request(status: u16, took: Duration) {
    metrics::counter!("http_requests_total", "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds").record(took.as_secs_f64());
}

fn operation_label(operation: Option<&str>) -> String {
    static SEEN: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);
    let Some(name) = operation.filter(|name| is_graphql_name(name)) else {
        return "anonymous".to_owned();
    };
    let Ok(mut seen) = SEEN.lock() else {
        return "other".to_owned();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES && seen.insert(name.to_owned()) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// A name as GraphQL spells one, at most 100 characters.
fn is_graphql_name(name: &str) -> bool {
    let mut characters = name.chars();
    name.len() <= 100
        && characters
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
}

/// A websocket opened; the returned guard counts it closed when dropped.
pub fn websocket_opened() -> OpenWebsocket {
    metrics::gauge!("websocket_connections").increment(1.0);
    OpenWebsocket
}

pub struct OpenWebsocket;

impl Drop for OpenWebsocket {
    fn drop(&mut self) {
        metrics::gauge!("websocket_connections").decrement(1.0);
    }
}

/// A background worker finished a round.
pub fn worker_ran(worker: &'static str, at: DateTime<Utc>) {
    metrics::gauge!("worker_last_run_timestamp_seconds", "worker" => worker)
        .set(at.timestamp() as f64);
}

/// Emails handed to the relay, given up for now, or given up for good.
pub fn emails(outcome: &'static str, count: u64) {
    metrics::counter!("emails_total", "outcome" => outcome).increment(count);
}

/// `GET /metrics`: the current figures, for a caller with the metrics token (when one is set).
#[handler]
pub async fn scrape(request: &Request, Data(state): Data<&AppState>) -> Response {
    let Some(handle) = state.metrics.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(token) = &state.config.metrics_token
        && !presents(request, token.expose())
    {
        return StatusCode::UNAUTHORIZED
            .with_header(header::WWW_AUTHENTICATE, "Bearer")
            .into_response();
    }
    // The gauges read here are process-wide: one scrape at a time, so each answer shows the
    // figures it read itself.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    read_pool(&state.db);
    if let Err(error) = read_mail_queue(state).await {
        tracing::warn!(%error, "the mail queue could not be read for metrics");
    }
    handle
        .render()
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        .into_response()
}

/// Whether the request carries `Authorization: Bearer <token>`, compared in constant time (the
/// digests have one length whatever was sent).
fn presents(request: &Request, token: &[u8]) -> bool {
    let sent = request
        .header(header::AUTHORIZATION)
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(sent.as_bytes())
        .ct_eq(&Sha256::digest(token))
        .into()
}

fn read_pool(db: &DatabaseConnection) {
    let (size, idle, max) = match &db.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let in_use = f64::from(size) - idle as f64;
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(in_use);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("db_pool_max_connections").set(f64::from(max));
}

async fn read_mail_queue(state: &AppState) -> Result<(), sea_orm::DbErr> {
    let (waiting, oldest): (i64, Option<DateTime<Utc>>) = outbox::Entity::find()
        .select_only()
        .column_as(outbox::Column::Id.count(), "waiting")
        .column_as(outbox::Column::CreatedAt.min(), "oldest")
        .filter(outbox::Column::Status.eq(MailStatus::Pending))
        .into_tuple()
        .one(&state.db)
        .await?
        .unwrap_or_default();
    let age = oldest.map_or(0.0, |oldest| {
        (state.now() - oldest).num_milliseconds().max(0) as f64 / 1000.0
    });
    metrics::gauge!("emails_queued").set(waiting as f64);
    metrics::gauge!("emails_oldest_queued_age_seconds").set(age);
    Ok(())
}
