//! Load benchmark of the campaign page, the page partners and the public open most.
//!
//! It loads a network of the size the charity works with (6 regions, 400 partners, 20
//! campaigns with 8 goals between them, 120 joint actions with 40 opt-ins each, 40
//! partner-backed positions with their backers), starts the server in this process on that
//! data, signs in as an admin, and reads the campaign page from `CONNECTIONS` connections at
//! once for `LOAD_SECONDS` seconds. It prints requests per second, the median and 99th-percentile
//! latency, and the SQL statements each request cost (counted as the server runs them).
//!
//! `cargo run --release -p tests --bin load_bench` (SQLite), or with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL.
//! The load generator shares the machine (and this process) with the server, as autocannon
//! does in the side-by-side kit.

use std::time::{Duration, Instant};

use chrono::Utc;
use entities::{
    campaign, campaign_goal,
    enums::{ActionKind, CampaignStatus, Ownership, PartnerKind, PartnerStatus},
    joint_action, opt_in, partner, position, position_backer, position_version,
};
use futures_util::future::join_all;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use tests::{TestApp, bench_setting as setting};

const PARTNERS: i64 = 400;
const CAMPAIGNS: i64 = 20;
const ACTIONS_PER_CAMPAIGN: i64 = 6;
const OPT_INS_PER_ACTION: i64 = 40;
const POSITIONS_PER_CAMPAIGN: i64 = 2;
const BACKERS_PER_POSITION: i64 = 12;

const CAMPAIGN_PAGE: &str = "query($id: ID!) { campaign(id: $id) { id title status
    goals { nodes { slug title } }
    jointActions { totalCount nodes { id title
        optIns(first: 100) { totalCount nodes { partner { name region { slug name } } } } } }
    positions { nodes { id ownership backers { name } } } } }";

#[tokio::main]
async fn main() {
    let connections = setting("CONNECTIONS", 16);
    let window = Duration::from_secs(setting("LOAD_SECONDS", 20));
    let app = TestApp::spawn().await;
    let backend = format!("{:?}", app.state.db.get_database_backend());
    let admin = app.admin().await;
    let admin_id: i64 = admin.user_id.parse().expect("a numeric user id");
    load_network(&app.state.db, admin_id).await;

    let first = app
        .ok(
            Some(&admin.access_token),
            CAMPAIGN_PAGE,
            json!({ "id": "1" }),
        )
        .await;
    let actions = &first["campaign"]["jointActions"];
    println!(
        "{backend}: campaign 1 shows {} actions with {} opt-ins on the first",
        actions["totalCount"], actions["nodes"][0]["optIns"]["totalCount"]
    );

    let statements_before = app.statements();
    let started = Instant::now();
    let deadline = started + window;
    let readers = (0..connections).map(|reader| {
        let client = reqwest::Client::new();
        let url = app.url("/graphql");
        let token = admin.access_token.clone();
        async move { read_until(&client, &url, &token, reader, deadline).await }
    });
    let mut latencies: Vec<Duration> = join_all(readers).await.into_iter().flatten().collect();
    let seconds = started.elapsed().as_secs_f64();
    let statements = app.statements() - statements_before;
    latencies.sort_unstable();
    let requests = latencies.len();
    println!(
        "{backend}: campaign page, {connections} connections for {seconds:.0} s: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, {:.2} statements per request ({requests} requests)",
        requests as f64 / seconds,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        statements as f64 / requests.max(1) as f64,
    );
}

/// Reads the campaign pages in turn until `deadline`; each request's latency.
async fn read_until(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    reader: u64,
    deadline: Instant,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut next = reader;
    while Instant::now() < deadline {
        let id = next % CAMPAIGNS as u64 + 1;
        next += 1;
        let sent = Instant::now();
        let body: Value = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": CAMPAIGN_PAGE, "variables": { "id": id.to_string() } }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON answer");
        assert!(body.get("errors").is_none(), "the page failed: {body}");
        latencies.push(sent.elapsed());
    }
    latencies
}

/// The latency at quantile `q` of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let index = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted
        .get(index)
        .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
}

/// Writes the network straight into the database, in batches.
async fn load_network(db: &DatabaseConnection, admin: i64) {
    let now = Utc::now();
    insert(
        db,
        (1..=PARTNERS).map(|id| partner::ActiveModel {
            id: Set(id),
            name: Set(format!("Partner {id:03}")),
            name_key: Set(format!("partner {id:03}")),
            kind: Set(PartnerKind::CommunityGroup),
            region_id: Set((id % 7 != 0).then_some(id % 6 + 1)),
            town: Set(Some("Leeds".to_owned())),
            website: Set(None),
            description: Set("A local group welcoming people seeking sanctuary.".to_owned()),
            status: Set(PartnerStatus::Active),
            contact_name: Set(None),
            contact_email: Set(Some(format!("partner{id}@example.org"))),
            contact_phone: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }),
    )
    .await;
    insert(
        db,
        (1..=CAMPAIGNS).map(|id| campaign::ActiveModel {
            id: Set(id),
            title: Set(format!("Campaign {id}")),
            summary: Set("Change that people seeking asylum need.".to_owned()),
            body: Set(String::new()),
            status: Set(CampaignStatus::Active),
            lead_region_id: Set(Some(id % 6 + 1)),
            long_shot: Set(false),
            impact_score: Set(None),
            impact_note: Set(None),
            relevance_score: Set(None),
            relevance_note: Set(None),
            opportunity_score: Set(None),
            opportunity_note: Set(None),
            added_value_score: Set(None),
            added_value_note: Set(None),
            created_by: Set(admin),
            created_at: Set(now),
            updated_at: Set(now),
        }),
    )
    .await;
    insert(
        db,
        (1..=CAMPAIGNS).flat_map(|campaign| {
            [campaign % 8 + 1, (campaign + 3) % 8 + 1].map(|goal| campaign_goal::ActiveModel {
                campaign_id: Set(campaign),
                goal_id: Set(goal),
            })
        }),
    )
    .await;
    let actions = CAMPAIGNS * ACTIONS_PER_CAMPAIGN;
    insert(
        db,
        (1..=actions).map(|id| joint_action::ActiveModel {
            id: Set(id),
            campaign_id: Set((id - 1) / ACTIONS_PER_CAMPAIGN + 1),
            title: Set(format!("Action {id}")),
            description: Set(String::new()),
            kind: Set(ActionKind::LetterToMp),
            opens_at: Set(None),
            closes_at: Set(None),
            created_by: Set(admin),
            created_at: Set(now),
            updated_at: Set(now),
        }),
    )
    .await;
    insert(
        db,
        (1..=actions).flat_map(|action| {
            (0..OPT_INS_PER_ACTION).map(move |n| opt_in::ActiveModel {
                action_id: Set(action),
                partner_id: Set((action * 7 + n * 9) % PARTNERS + 1),
                active: Set(true),
                note: Set(None),
                opted_in_at: Set(now),
                opted_in_by: Set(admin),
                withdrawn_at: Set(None),
                withdrawn_by: Set(None),
                ..Default::default()
            })
        }),
    )
    .await;
    load_positions(db, admin).await;
}

/// Published partner-backed positions with their text and backers.
async fn load_positions(db: &DatabaseConnection, admin: i64) {
    let now = Utc::now();
    let positions = CAMPAIGNS * POSITIONS_PER_CAMPAIGN;
    insert(
        db,
        (1..=positions).map(|id| position::ActiveModel {
            id: Set(id),
            campaign_id: Set((id - 1) / POSITIONS_PER_CAMPAIGN + 1),
            title: Set(format!("Position {id}")),
            ownership: Set(Ownership::PartnerBacked),
            current_version: Set(1),
            published_version: Set(Some(1)),
            published_at: Set(Some(now)),
            flagged_at: Set(None),
            flag_reason: Set(None),
            created_by: Set(admin),
            created_at: Set(now),
            updated_at: Set(now),
        }),
    )
    .await;
    insert(
        db,
        (1..=positions).map(|id| position_version::ActiveModel {
            position_id: Set(id),
            number: Set(1),
            body: Set("People seeking asylum should have the right to work.".to_owned()),
            created_by: Set(admin),
            created_at: Set(now),
            ..Default::default()
        }),
    )
    .await;
    insert(
        db,
        (1..=positions).flat_map(|position| {
            (0..BACKERS_PER_POSITION).map(move |n| position_backer::ActiveModel {
                position_id: Set(position),
                version: Set(1),
                partner_id: Set((position * 11 + n * 13) % PARTNERS + 1),
                approved_at: Set(now),
                withdrawn_at: Set(None),
                withdrawal_comment: Set(None),
                ..Default::default()
            })
        }),
    )
    .await;
}

async fn insert<A>(db: &DatabaseConnection, rows: impl Iterator<Item = A>)
where
    A: sea_orm::ActiveModelTrait + Clone,
{
    let rows: Vec<A> = rows.collect();
    for batch in rows.chunks(500) {
        A::Entity::insert_many(batch.to_vec())
            .exec_without_returning(db)
            .await
            .unwrap_or_else(|error| panic!("the network was not written: {error}"));
    }
}
