//! Demonstration petitions, from fixtures of our own (no network): the Chechnya petition of the
//! 2015–2017 Parliament (closed early by the 2017 election, with a government response), and
//! an open petition with a month of history. Demo petitions are not polled: the open one is not
//! on the real site.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use entities::{enums::Role, petition, petition_watch, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::{apply_document, document, milestones, record_constituencies, record_counts};
use crate::{db, state::AppState};

fn archived_fixture() -> Value {
    json!({"data": {"type": "archived-petition", "id": 195146, "attributes": {
        "action": "Publicly confirm that gay men from Chechnya can seek asylum in the UK",
        "background": "Reports say gay men in Chechnya are being detained and mistreated. The UK should say publicly that they can seek asylum here.",
        "state": "closed", "signature_count": 20460,
        "opened_at": "2017-04-13T10:00:00.000Z", "closed_at": "2017-05-03T00:01:00.000Z",
        "response_threshold_reached_at": "2017-04-21T15:12:00.000Z",
        "government_response_at": "2017-05-02T16:40:00.000Z",
        "government_response": {"responded_on": "2017-05-02",
            "summary": "The UK considers every asylum claim on its merits, including claims based on sexual orientation.",
            "details": "Claims are decided carefully in line with our international obligations."},
        "signatures_by_country": [{"name": "United Kingdom", "code": "GB", "signature_count": 19870},
                                  {"name": "Germany", "code": "DE", "signature_count": 590}],
        "signatures_by_region": [{"name": "London", "ons_code": "H", "signature_count": 5120},
                                 {"name": "North West", "ons_code": "B", "signature_count": 2210},
                                 {"name": "West Midlands", "ons_code": "F", "signature_count": 1480},
                                 {"name": "Wales", "ons_code": "L", "signature_count": 820},
                                 {"name": "South East", "ons_code": "J", "signature_count": 3900}],
        "signatures_by_constituency": [{"name": "Bethnal Green and Bow", "ons_code": "E14000555", "signature_count": 410},
                                       {"name": "Manchester Central", "ons_code": "E14000807", "signature_count": 260}]},
        "parliament": {"period": "2015-2017", "government": "Conservative",
            "dissolution_at": "2017-05-03T01:01:00+01:00",
            "response_threshold": 10000, "debate_threshold": 100000}}})
}

fn open_fixture(now: DateTime<Utc>) -> Value {
    let opened = now - Duration::days(30);
    json!({"data": {"type": "petition", "id": 700001, "attributes": {
        "action": "Give people seeking asylum the right to work after six months",
        "background": "People wait months or years for a decision and may not work while they wait.",
        "state": "open", "signature_count": 12840,
        "opened_at": opened.to_rfc3339(),
        "closing_date": (opened + Duration::days(182)).date_naive().to_string(),
        "response_threshold_reached_at": (now - Duration::days(6)).to_rfc3339(),
        "signatures_by_country": [{"name": "United Kingdom", "code": "GB", "signature_count": 12610},
                                  {"name": "Ireland", "code": "IE", "signature_count": 230}],
        "signatures_by_region": [{"name": "West Midlands", "ons_code": "F", "signature_count": 2950},
                                 {"name": "North West", "ons_code": "B", "signature_count": 1880},
                                 {"name": "Yorkshire and The Humber", "ons_code": "D", "signature_count": 1310},
                                 {"name": "North East", "ons_code": "A", "signature_count": 640},
                                 {"name": "Wales", "ons_code": "L", "signature_count": 900},
                                 {"name": "London", "ons_code": "H", "signature_count": 2700},
                                 {"name": "Scotland", "ons_code": "M", "signature_count": 1100}],
        "signatures_by_constituency": [{"name": "Birmingham Ladywood", "ons_code": "E14000560", "signature_count": 421},
                                       {"name": "Manchester Central", "ons_code": "E14000807", "signature_count": 310},
                                       {"name": "Cardiff Central", "ons_code": "W07000050", "signature_count": 205}]}}})
}

/// Adds the demo petitions once; how many were added.
pub async fn seed(state: &AppState) -> anyhow::Result<u64> {
    if petition::Entity::find().count(&state.db).await? > 0 {
        return Ok(0);
    }
    let Some(tracker) = user::Entity::find()
        .filter(user::Column::Role.is_in([Role::Staff, Role::Admin]))
        .order_by_asc(user::Column::Id)
        .one(&state.db)
        .await?
    else {
        return Ok(0);
    };
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    for (fixture, external_id) in [(archived_fixture(), 195146), (open_fixture(now), 700001)] {
        let document = document::parse_document(fixture.to_string().as_bytes(), external_id)?;
        let mut row = petition::ActiveModel {
            external_id: Set(external_id),
            region_id: Set(None),
            created_by: Set(tracker.id),
            created_at: Set(now),
            failures: Set(0),
            next_poll_at: Set(None),
            last_checked_at: Set(Some(now)),
            lease_until: Set(None),
            lease_token: Set(None),
            count_etag: Set(None),
            count_last_modified: Set(None),
            ..Default::default()
        };
        apply_document(&mut row, &document, &Default::default(), now);
        let created = petition::Entity::insert(row)
            .exec_with_returning(&txn)
            .await?;
        record_counts(&txn, &history(&created, now)).await?;
        record_constituencies(&txn, &[(created.id, now, &document.by_constituency)]).await?;
        let watched = BTreeSet::from([1_000, 5_000, 50_000]);
        let watches = watched.iter().map(|count| petition_watch::ActiveModel {
            petition_id: Set(created.id),
            count: Set(*count),
        });
        petition_watch::Entity::insert_many(watches)
            .exec_without_returning(&txn)
            .await?;
        milestones::record_passed(&txn, &created, &watched, now).await?;
    }
    txn.commit().await?;
    Ok(2)
}

/// A month of daily counts up to now (or to its close) rising to the current one, with one dip where the site removed
/// signatures.
fn history(petition: &petition::Model, now: DateTime<Utc>) -> Vec<(i64, DateTime<Utc>, i64)> {
    let days = 30;
    let end = petition
        .closed_at
        .filter(|_| petition.archived)
        .unwrap_or(now);
    (0..=days)
        .map(|day| {
            let progress = petition.signature_count * day / days;
            let dip = if day == days - 3 { -150 } else { 0 };
            (
                petition.id,
                end - Duration::days(days - day),
                (progress + dip).max(0),
            )
        })
        .collect()
}
