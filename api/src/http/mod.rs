//! HTTP routes: the GraphQL endpoint and its websocket, health checks, and the small pages that
//! links in messages open.

mod feeds;
mod graphql;
mod pages;
mod safety;
mod server;
pub mod socket;
mod subscriptions;
mod training;

pub use server::{ServerLimits, serve};

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route,
    error::ReadBodyError,
    get, handler,
    http::StatusCode,
    post,
    web::{Data, Json},
};
use serde_json::json;

use crate::{graphql::AppSchema, state::AppState};

pub fn routes(state: AppState, schema: AppSchema) -> impl Endpoint {
    let max_body_bytes = state.config.max_body_bytes;
    Route::new()
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
        .at(
            "/invitations/accept",
            get(pages::invitation_form).post(pages::accept_invitation),
        )
        .data(schema)
        .data(state)
        .around(move |endpoint, request| limit_body(endpoint, request, max_body_bytes))
        .around(safety::with_safety_headers)
        .around(|endpoint, request| async move {
            // Logs the path only: query strings may carry tokens.
            let (method, path, started) = (
                request.method().clone(),
                request.uri().path().to_owned(),
                Instant::now(),
            );
            let response = endpoint.get_response(request).await;
            tracing::info!(
                %method,
                %path,
                status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "request"
            );
            Ok(response)
        })
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
