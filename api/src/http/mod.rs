//! HTTP routes: the GraphQL endpoint and its websocket, health checks, and the small pages that
//! links in messages open.

mod explorer;
mod feeds;
mod graphql;
mod pages;
mod safety;
mod server;
pub mod socket;
mod subscriptions;
mod training;

pub use server::{ServerLimits, serve};

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use ipnet::IpNet;
use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route,
    error::ReadBodyError,
    get, handler,
    http::{HeaderValue, StatusCode},
    post,
    web::{Data, Json},
};
use rand::RngExt;
use serde_json::json;
use tracing::Instrument;

use crate::{graphql::AppSchema, state::AppState};

pub fn routes(state: AppState, schema: AppSchema) -> impl Endpoint {
    let max_body_bytes = state.config.max_body_bytes;
    let logging = RequestLog {
        trusted_proxies: Arc::new(state.config.trusted_proxies.clone()),
        timeout: state.config.request_timeout,
    };
    let mut route = Route::new()
        .at("/graphql", get(graphql::query).post(graphql::query))
        .at("/graphql/ws", get(graphql::websocket))
        .at("/health", get(health))
        .at("/feeds/updates.atom", get(feeds::updates_feed))
        .at("/updates/:id", get(feeds::update_page))
        .at(
            "/subscriptions/confirm",
            get(subscriptions::confirm_page).post(subscriptions::confirm),
        )
        .at(
            "/subscriptions/unsubscribe",
            get(subscriptions::unsubscribe_page).post(subscriptions::unsubscribe),
        )
        .at(
            "/subscriptions/preferences",
            get(subscriptions::preferences_page).post(subscriptions::save_preferences),
        )
        .at(
            "/subscriptions/data-link",
            post(subscriptions::send_data_link),
        )
        .at("/subscriptions/data", get(subscriptions::data_page))
        .at(
            "/subscriptions/data/export",
            post(subscriptions::export_data),
        )
        .at("/subscriptions/data/erase", post(subscriptions::erase_data))
        .at(
            "/enquiries/confirm",
            get(pages::enquiry_confirm_page).post(pages::confirm_enquiry),
        )
        .at(
            "/principles/confirm",
            get(pages::signature_confirm_page).post(pages::confirm_signature),
        )
        .at("/principles/manage", get(pages::signature_manage_page))
        .at(
            "/principles/manage/listing",
            post(pages::change_signature_listing),
        )
        .at(
            "/principles/manage/withdraw",
            post(pages::withdraw_signature),
        )
        .at("/feeds/training.ics", get(training::training_feed))
        .at(
            "/training/confirm",
            get(training::confirm_page).post(training::confirm),
        )
        .at(
            "/training/cancel",
            get(training::cancel_page).post(training::cancel),
        )
        .at("/ready", get(ready))
        .at("/assets/page.css", get(safety::page_css))
        .at("/explorer/:hash/:name", get(explorer::file))
        .at(
            "/invitations/accept",
            get(pages::invitation_form).post(pages::accept_invitation),
        );
    // With METRICS_ADDR, metrics are served there only.
    if state.config.metrics_addr.is_none() {
        route = route.at("/metrics", get(crate::monitoring::scrape));
    }
    route
        .data(schema)
        .data(state)
        .around(move |endpoint, request| limit_body(endpoint, request, max_body_bytes))
        .around(safety::with_safety_headers)
        .around(move |endpoint, request| log_request(endpoint, request, logging.clone()))
}

/// What [`log_request`] needs from the settings.
#[derive(Clone)]
struct RequestLog {
    /// Proxies whose `x-request-id` is kept.
    trusted_proxies: Arc<Vec<IpNet>>,
    /// How long a request may take (then 408, logged like any other answer).
    timeout: Duration,
}

/// The header carrying a request's id, in the response (and accepted from a proxy in front).
const REQUEST_ID: &str = "x-request-id";

/// Logs each request (its path only: query strings may carry tokens) under an id that every
/// log line of the request carries and the response returns in `x-request-id`. A request not
/// answered in time gets 408 here, so it is logged and counted too.
async fn log_request<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
    settings: RequestLog,
) -> poem::Result<Response> {
    let from_proxy = request.remote_addr().as_socket_addr().is_some_and(|peer| {
        settings
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.contains(&peer.ip()))
    });
    let id = request
        .header(REQUEST_ID)
        .filter(|id| from_proxy && is_plain_id(id))
        .map_or_else(new_request_id, str::to_owned);
    let (method, path, started) = (
        request.method().clone(),
        request.uri().path().to_owned(),
        Instant::now(),
    );
    let span = tracing::info_span!("request", request_id = %id);
    let answer = endpoint.get_response(request).instrument(span);
    let mut response = tokio::time::timeout(settings.timeout, answer)
        .await
        .unwrap_or_else(|_| server::too_slow());
    let status = response.status().as_u16();
    tracing::info!(
        request_id = %id,
        %method,
        %path,
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    crate::monitoring::http_request(status, started.elapsed());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// An id from a proxy is kept only when it is short and plain, so it cannot forge log lines.
fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn new_request_id() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    hex::encode(bytes)
}

/// Every route reads at most `max` bytes of body (the form pages too, not only GraphQL):
/// a larger body is refused with 413 before any handler sees it.
async fn limit_body<E: Endpoint>(
    endpoint: Arc<E>,
    mut request: Request,
    max: usize,
) -> poem::Result<Response> {
    let body = request.take_body();
    match body.into_bytes_limit(max).await {
        Ok(bytes) => {
            request.set_body(bytes);
            Ok(endpoint.get_response(request).await)
        }
        Err(ReadBodyError::PayloadTooLarge) => Ok(StatusCode::PAYLOAD_TOO_LARGE
            .with_body(format!("the request body is larger than {max} bytes"))
            .into_response()),
        Err(_) => Ok(StatusCode::BAD_REQUEST
            .with_body("the request body could not be read")
            .into_response()),
    }
}

/// The process is up.
#[handler]
async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers; load balancers send traffic only when this says so.
#[handler]
async fn ready(Data(state): Data<&AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "database is not reachable");
            Json(json!({ "status": "database unreachable" }))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
