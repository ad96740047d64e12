//! Training outside the API: the public calendar feed, and the pages the links in a public
//! booking's emails open (each asks for a button press, so link scanners book and cancel
//! nothing).

use chrono::Duration;
use entities::{enums::TrainingStatus, training_session};
use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Form, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::pages::{TokenForm, TokenQuery, button_page, message, refusal};
use crate::{state::AppState, training};

/// Sessions in the feed at most.
const FEED_SESSIONS: u64 = 500;

#[derive(Deserialize)]
pub struct CalendarQuery {
    region: Option<String>,
    topic: Option<String>,
}

/// `GET /feeds/training.ics[?region=slug][&topic=t]`: published sessions of both audiences,
/// from a month ago on, for calendar apps to subscribe to. No joining links, no attendees.
#[handler]
pub async fn training_feed(
    Query(query): Query<CalendarQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let mut sessions = training_session::Entity::find()
        .filter(training_session::Column::Status.eq(TrainingStatus::Published))
        .filter(training_session::Column::EndsAt.gte(state.now() - Duration::days(31)));
    if let Some(slug) = query.region.as_deref() {
        match state.regions.iter().find(|region| region.slug == slug) {
            Some(region) => {
                sessions = sessions.filter(training_session::Column::RegionId.eq(region.id));
            }
            None => return (StatusCode::NOT_FOUND, "no region has that slug").into_response(),
        }
    }
    if let Some(topic) = query.topic.as_deref() {
        let wanted = topic.trim().to_uppercase().replace([' ', '-'], "_");
        match sea_orm::ActiveEnum::try_from_value(&wanted) {
            Ok(topic) => {
                let topic: entities::enums::TrainingTopic = topic;
                sessions = sessions.filter(training_session::Column::Topic.eq(topic));
            }
            Err(_) => return (StatusCode::NOT_FOUND, "no such topic").into_response(),
        }
    }
    let rows = sessions
        .order_by_asc(training_session::Column::StartsAt)
        .limit(FEED_SESSIONS)
        .all(&state.db)
        .await;
    match rows {
        Ok(rows) => training::calendar::feed(state, &rows)
            .with_content_type("text/calendar; charset=utf-8")
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "could not read sessions for the calendar feed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /training/confirm?token=…`
#[handler]
pub async fn confirm_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(
        query.token.as_deref(),
        "Hold your training seat",
        "Press the button to hold your seat (or your place on the waitlist, if the session is full).",
        "Hold my seat",
    )
}

#[handler]
pub async fn confirm(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match training::booking::confirm(state, &form.token).await {
        Ok(_) => message(
            "Thank you",
            "Your booking is made. We have emailed you whether your seat is confirmed or you are \
             on the waitlist.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}

/// `GET /training/cancel?token=…`
#[handler]
pub async fn cancel_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(
        query.token.as_deref(),
        "Cancel your training booking",
        "Press the button to give up your seat (or your place on the waitlist).",
        "Cancel my booking",
    )
}

#[handler]
pub async fn cancel(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match training::booking::cancel(state, None, None, Some(&form.token)).await {
        Ok(_) => message(
            "Your booking is cancelled",
            "Thank you for letting us know: your seat goes to the next person waiting.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}
