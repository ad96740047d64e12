//! Benchmark of the petition poller: one round over `PETITIONS` tracked petitions (500 unless
//! set) served by the local fake petitions site, each with a new count. It prints how long the
//! round took, the request rate against the PETITIONS_MAX_RPS limit it must stay under, and the
//! statements it wrote (the history goes in one statement per batch, not one per petition).
//!
//! `cargo run --release -p tests --bin petition_bench` (SQLite), or with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL.
//! `PETITIONS` and `PETITIONS_MAX_RPS` (50 unless set) change the sizes.

use std::{
    collections::BTreeMap,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::Instant,
};

use entities::{enums::PetitionState, petition, petition_count};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use tests::{
    TestApp,
    petition_site::{PetitionSite, Reply, count_document},
};

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Statements of background work, by their first words.
type Tally = Arc<Mutex<BTreeMap<String, u64>>>;

#[tokio::main]
async fn main() {
    let petitions = setting("PETITIONS", 500);
    let max_rps = NonZeroU32::new(setting("PETITIONS_MAX_RPS", 50)).unwrap_or(NonZeroU32::MIN);
    let site = PetitionSite::start().await;
    let url = site.url.clone();
    let app = TestApp::spawn_with(move |settings| {
        settings.petitions_base_url = url.parse().expect("the fake site's address");
        settings.petitions_poll = false;
    })
    .await;
    let backend = format!("{:?}", app.state.db.get_database_backend());
    let owner = app.admin().await;
    let owner_id = owner.user_id.parse().expect("a user id");
    fill(&app, &site, petitions, owner_id).await;

    let statements: Tally = Arc::default();
    let counted = statements.clone();
    let mut config = (*app.state.config).clone();
    config.petitions_max_rps = max_rps;
    let poller_state = api::prepare(
        config,
        Arc::new(api::clock::SystemClock),
        Some(Arc::new(move |sql: &str, _| {
            let kind = statement_kind(sql);
            if let Ok(mut tally) = counted.lock() {
                *tally.entry(kind).or_default() += 1;
            }
        })),
    )
    .await
    .expect("database ready");

    let started = Instant::now();
    api::petitions::poller::run_due(&poller_state)
        .await
        .expect("a round of polling");
    let elapsed = started.elapsed();
    let requests = site.seen().len();
    let points = petition_count::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap_or_default();
    let rate = requests as f64 / elapsed.as_secs_f64();
    println!(
        "{backend}: polled {petitions} petitions in {:.2} s: {requests} requests, {rate:.1} per \
         second (limit {max_rps}); {points} history points written",
        elapsed.as_secs_f64()
    );
    println!(
        "batches of {}: statements {:?}",
        api::petitions::poller::BATCH,
        statements
            .lock()
            .map(|tally| tally.clone())
            .unwrap_or_default()
    );
}

/// Tracked open petitions, due now, last read in full a moment ago (so the round reads the
/// cheap counts); the site serves each a new count.
async fn fill(app: &TestApp, site: &PetitionSite, petitions: u32, owner: i64) {
    let now = app.state.now();
    let rows: Vec<petition::ActiveModel> = (0..i64::from(petitions))
        .map(|i| {
            let external_id = 900_000 + i;
            site.serve(
                &format!("/petitions/{external_id}/count.json"),
                Reply::json(&count_document(1_000 + i)),
            );
            petition::ActiveModel {
                external_id: Set(external_id),
                archived: Set(false),
                region_id: Set(None),
                action: Set(format!("Benchmark petition {i}")),
                background: Set(String::new()),
                additional_details: Set(None),
                state: Set(PetitionState::Open),
                signature_count: Set(500),
                response_threshold: Set(10_000),
                debate_threshold: Set(100_000),
                debated: Set(false),
                by_country: Set("[]".to_owned()),
                by_region: Set("[]".to_owned()),
                by_constituency: Set("[]".to_owned()),
                created_by: Set(owner),
                created_at: Set(now),
                full_fetched_at: Set(Some(now)),
                next_poll_at: Set(Some(now)),
                failures: Set(0),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(100) {
        petition::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.state.db)
            .await
            .expect("benchmark petitions");
    }
}

fn statement_kind(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(3).collect();
    match words.as_slice() {
        ["INSERT", "INTO", table] | ["UPDATE", table, ..] | ["DELETE", "FROM", table] => {
            format!("{} {}", words[0], table.trim_matches('"').trim_matches('`'))
        }
        [first, ..] => first.to_string(),
        [] => String::new(),
    }
}
