//! The pages the links in mailing-list emails open. Following a link changes nothing: each
//! page asks for a button press (a POST), so mail scanners that fetch links confirm or
//! unsubscribe nobody. The unsubscribe address also takes the RFC 8058 one-click POST.

use askama::Template;
use entities::enums::Frequency;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Query},
};
use serde::Deserialize;

use super::pages::{
    TokenForm, TokenQuery, button_page, message, message_with_link, missing_token, refusal, render,
};
use crate::{
    mailing::{self, Interests, tokens::Purpose},
    state::AppState,
};

/// `GET /subscriptions/confirm?token=…`: a button that confirms.
#[handler]
pub async fn confirm_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(
        query.token.as_deref(),
        "Confirm your subscription",
        mailing::CONSENT_WORDING,
        "Confirm my subscription",
    )
}

#[handler]
pub async fn confirm(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match mailing::confirm(state, &form.token, "confirmation page").await {
        Ok(subscriber) => {
            let preferences = state.config.link(
                "/subscriptions/preferences",
                &[(
                    "token",
                    &mailing::link_token(state, &subscriber, Purpose::Manage),
                )],
            );
            message_with_link(
                "Subscription confirmed",
                "Thank you: your subscription is confirmed. Every email we send has links to change what you receive or to leave.",
                (&preferences, "Choose what you receive"),
            )
        }
        Err(error) => refusal(&error),
    }
}

/// `GET /subscriptions/unsubscribe?token=…`: a button that unsubscribes.
#[handler]
pub async fn unsubscribe_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(
        query.token.as_deref(),
        "Unsubscribe",
        "Press the button to stop every email from us.",
        "Unsubscribe",
    )
}

/// `POST /subscriptions/unsubscribe`: from the page's button (token in the form) or a mail
/// client's one-click request (token in the address, `List-Unsubscribe=One-Click` as body).
#[handler]
pub async fn unsubscribe(
    request: &Request,
    Data(state): Data<&AppState>,
    body: poem::Body,
) -> Response {
    let from_address = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned())
    });
    let from_form = match body.into_bytes_limit(4096).await {
        Ok(bytes) => url::form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned()),
        Err(_) => None,
    };
    let Some(token) = from_form.or(from_address) else {
        return missing_token();
    };
    match mailing::unsubscribe(state, &token).await {
        Ok(_) => message(
            "You are unsubscribed",
            "We will send you no more emails.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}

#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesPage<'a> {
    token: &'a str,
    notice: Option<&'a str>,
    frequencies: Vec<(&'static str, &'static str)>,
    frequency: &'static str,
    regions: Vec<(i64, String)>,
    region: Option<i64>,
    topics: String,
    unsubscribe: String,
    data_link: String,
}

fn frequency_value(frequency: Frequency) -> &'static str {
    match frequency {
        Frequency::Immediate => "IMMEDIATE",
        Frequency::Daily => "DAILY",
        Frequency::Weekly => "WEEKLY",
    }
}

async fn preferences(state: &AppState, token: &str, notice: Option<&str>) -> Response {
    let found = match mailing::subscription(state, token).await {
        Ok(found) => found,
        Err(error) => return refusal(&error),
    };
    render(
        &PreferencesPage {
            token,
            notice,
            frequencies: vec![
                ("IMMEDIATE", "Each update as it is published"),
                ("DAILY", "A daily digest"),
                ("WEEKLY", "A weekly digest"),
            ],
            frequency: frequency_value(found.subscriber.frequency),
            regions: state
                .regions
                .iter()
                .map(|r| (r.id, r.name.clone()))
                .collect(),
            region: found.subscriber.region_id,
            topics: found.topics.join(", "),
            unsubscribe: state
                .config
                .link("/subscriptions/unsubscribe", &[("token", token)]),
            data_link: state.config.link("/subscriptions/data-link", &[]),
        },
        StatusCode::OK,
    )
}

/// `GET /subscriptions/preferences?token=…`
#[handler]
pub async fn preferences_page(
    Data(state): Data<&AppState>,
    Query(query): Query<TokenQuery>,
) -> Response {
    match query.token.filter(|token| !token.is_empty()) {
        Some(token) => preferences(state, &token, None).await,
        None => missing_token(),
    }
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    token: String,
    frequency: String,
    region: Option<String>,
    topics: Option<String>,
}

#[handler]
pub async fn save_preferences(
    Data(state): Data<&AppState>,
    Form(form): Form<PreferencesForm>,
) -> Response {
    let frequency = match form.frequency.as_str() {
        "DAILY" => Frequency::Daily,
        "WEEKLY" => Frequency::Weekly,
        _ => Frequency::Immediate,
    };
    let region_id = form
        .region
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| state.regions.iter().any(|region| region.id == *id));
    let topics = form
        .topics
        .unwrap_or_default()
        .split(',')
        .filter_map(crate::policy_updates::normalise_topic)
        .filter(|topic| topic.chars().count() <= crate::policy_updates::MAX_TOPIC_LEN)
        .take(20)
        .collect();
    // The page edits frequency, region and topics; name and campaigns stay as they were.
    let current = match mailing::subscription(state, &form.token).await {
        Ok(current) => current,
        Err(error) => return refusal(&error),
    };
    let interests = Interests {
        name: current.subscriber.name,
        region_id,
        campaign_ids: current.campaign_ids.into_iter().collect(),
        topics,
        frequency,
    };
    match mailing::update_interests(state, &form.token, interests).await {
        Ok(_) => preferences(state, &form.token, Some("Your preferences are saved.")).await,
        Err(error) => refusal(&error),
    }
}

/// `POST /subscriptions/data-link`: from the preferences page, emails a link to the data.
#[handler]
pub async fn send_data_link(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match mailing::request_data_link(state, &form.token).await {
        Ok(()) => message(
            "Check your inbox",
            "We have emailed this address a link to see or erase your data. It works for an hour.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}

#[derive(Template)]
#[template(path = "subscriber_data.html")]
struct DataPage<'a> {
    token: &'a str,
    export: String,
    erase: String,
}

/// `GET /subscriptions/data?token=…`: buttons to download or erase one's data.
#[handler]
pub async fn data_page(Data(state): Data<&AppState>, Query(query): Query<TokenQuery>) -> Response {
    let Some(token) = query.token.filter(|token| !token.is_empty()) else {
        return missing_token();
    };
    render(
        &DataPage {
            token: &token,
            export: state.config.link("/subscriptions/data/export", &[]),
            erase: state.config.link("/subscriptions/data/erase", &[]),
        },
        StatusCode::OK,
    )
}

/// `POST /subscriptions/data/export`: everything held about the subscriber, as a JSON file.
#[handler]
pub async fn export_data(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match mailing::export(state, &form.token).await {
        Ok(data) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/json")
            .header(
                "content-disposition",
                "attachment; filename=\"my-subscriber-data.json\"",
            )
            .body(data.to_string()),
        Err(error) => refusal(&error),
    }
}

/// `POST /subscriptions/data/erase`
#[handler]
pub async fn erase_data(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match mailing::erase(state, &form.token).await {
        Ok(()) => message(
            "You are erased",
            "We hold nothing about you now but a one-way hash of the address, so that we never email it again unless you subscribe afresh.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}
