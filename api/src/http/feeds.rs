//! The public face of policy updates outside the API: an Atom feed for feed readers and a
//! page for each update, which feed entries and emails link to.

use askama::Template;
use atom_syndication::{Content, Entry, Feed, Link, Text};
use chrono::{DateTime, FixedOffset, Utc};
use entities::{
    enums::{Audience, UpdateStatus},
    policy_update,
};
use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
use serde::Deserialize;

use crate::{
    auth::{Viewer, visible::Visible},
    policy_updates::{self, ListFilter, PolicyUpdateAccess},
    state::AppState,
};

/// Entries in the feed: the newest ones.
const FEED_ENTRIES: u64 = 50;

#[derive(Deserialize)]
pub struct FeedQuery {
    region: Option<String>,
    topic: Option<String>,
}

/// `GET /feeds/updates.atom[?region=slug][&topic=t]`: public updates, newest first.
#[handler]
pub async fn updates_feed(
    Query(query): Query<FeedQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let region_id = match query.region.as_deref() {
        Some(slug) => match state.regions.iter().find(|region| region.slug == slug) {
            Some(region) => Some(Some(region.id)),
            None => return (StatusCode::NOT_FOUND, "no region has that slug").into_response(),
        },
        None => None,
    };
    let filter = ListFilter {
        region_id,
        topic: query
            .topic
            .as_deref()
            .and_then(policy_updates::normalise_topic),
        ..ListFilter::default()
    };
    let now = state.now();
    let rows =
        policy_updates::visible(state.db.get_database_backend(), &Viewer(None), now, &filter)
            .order_by_desc(policy_update::Column::PublishedAt)
            .order_by_desc(policy_update::Column::Id)
            .limit(FEED_ENTRIES)
            .all(&state.db)
            .await;
    match rows {
        Ok(rows) => {
            let self_link = state.config.link(
                "/feeds/updates.atom",
                &[
                    query.region.as_deref().map(|r| ("region", r)),
                    query.topic.as_deref().map(|t| ("topic", t)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
            );
            let feed = feed(state, &rows, self_link);
            feed.to_string()
                .with_content_type("application/atom+xml; charset=utf-8")
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "could not read updates for the feed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn fixed(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.fixed_offset()
}

/// When an update last changed, as readers see it: its correction, or its publishing.
fn changed_at(row: &policy_update::Model) -> DateTime<Utc> {
    row.corrected_at
        .or(row.published_at)
        .unwrap_or(row.created_at)
}

fn feed(state: &AppState, rows: &[policy_update::Model], self_link: String) -> Feed {
    let entries: Vec<Entry> = rows.iter().map(|row| entry(state, row)).collect();
    let updated = rows
        .iter()
        .map(changed_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Feed {
        id: self_link.clone(),
        title: Text::plain("Policy updates"),
        updated: fixed(updated),
        links: vec![Link {
            href: self_link,
            rel: "self".to_owned(),
            mime_type: Some("application/atom+xml".to_owned()),
            ..Link::default()
        }],
        entries,
        ..Feed::default()
    }
}

fn entry(state: &AppState, row: &policy_update::Model) -> Entry {
    let page = state.config.link(&format!("/updates/{}", row.id), &[]);
    Entry {
        id: page.clone(),
        title: Text::plain(row.title.clone()),
        updated: fixed(changed_at(row)),
        published: row.published_at.map(fixed),
        summary: Some(Text::plain(row.summary.clone())),
        content: Some(Content {
            value: Some(row.body_html.clone()),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        links: vec![Link {
            href: page,
            rel: "alternate".to_owned(),
            mime_type: Some("text/html".to_owned()),
            ..Link::default()
        }],
        ..Entry::default()
    }
}

#[derive(Template)]
#[template(path = "policy_update.html")]
struct UpdatePage<'a> {
    title: &'a str,
    summary: &'a str,
    body_html: &'a str,
    published: String,
    corrected: Option<String>,
}

/// `GET /updates/{id}`: a live public update as a page.
#[handler]
pub async fn update_page(Path(id): Path<i64>, Data(state): Data<&AppState>) -> Response {
    let found = policy_update::Entity::find_by_id(id).one(&state.db).await;
    let row = match found {
        Ok(Some(row))
            if row.audience == Audience::Public
                && row.status != UpdateStatus::Draft
                && Visible::<PolicyUpdateAccess>::check(
                    &Viewer(None),
                    row.clone(),
                    &state.now(),
                )
                .is_some() =>
        {
            row
        }
        Ok(_) => return super::pages::not_found(),
        Err(error) => {
            tracing::error!(%error, "could not read an update");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let day = |at: DateTime<Utc>| at.format("%-d %B %Y").to_string();
    super::pages::render(
        &UpdatePage {
            title: &row.title,
            summary: &row.summary,
            body_html: &row.body_html,
            published: row.published_at.map(day).unwrap_or_default(),
            corrected: row.corrected_at.map(day),
        },
        StatusCode::OK,
    )
}
