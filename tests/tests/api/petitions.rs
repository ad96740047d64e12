//! Petitions: staff paste a petition's address once and the server follows it on the petitions
//! site (here a local fake of it): counts over time, where the signatures come from, milestones
//! recorded once, pushed live and drafted as updates, and polling that is polite and survives
//! whatever the site sends.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use tests::{
    Session, TestApp, error_code, error_field, next,
    petition_site::{
        PetitionSite, Reply, chechnya_petition, count_document, open_petition, rejected_petition,
    },
};

use crate::world::{World, world};

pub const TRACK: &str = "mutation($i: TrackPetitionInput!) { trackPetition(input: $i) {
    id externalId signatureCount campaigns { title } } }";
const REFRESH: &str = "mutation($id: ID!) { refreshPetition(id: $id) {
    signatureCount state lastError nextCheckAt } }";
const READ: &str = "query($id: ID!) { petition(id: $id) {
    externalId url action background state signatureCount openedAt closingDate closedAt
    responseThreshold debateThreshold closedEarlyByElection lastCheckedAt lastError nextCheckAt
    governmentResponse { respondedOn summary details }
    parliament { period dissolutionAt }
    campaigns { title } watchedCounts
    signaturesByRegion { region { slug } signatureCount share }
    topConstituencies(first: 2) { name signatureCount }
    signaturesByCountry { code signatureCount }
    milestones { kind count reachedAt announced } } }";
const MILESTONES: &str = "query($id: ID!) { petition(id: $id) {
    signatureCount milestones { kind count reachedAt announced } } }";
const HISTORY: &str = "query($id: ID!, $every: HistoryStep) { petition(id: $id) {
    history(every: $every) { at signatureCount } } }";
const DRAFTS: &str = "query($c: ID) { policyUpdates(filter: { status: DRAFT, campaignId: $c }) {
    totalCount edges { node { title body campaigns { title } } } } }";
const OPEN: &str = "/petitions/700001.json";
const OPEN_COUNT: &str = "/petitions/700001/count.json";

/// A server whose PETITIONS_BASE_URL is the fake site; the poller runs unless `polling` is
/// false.
pub async fn app_on(site: &PetitionSite, polling: bool) -> TestApp {
    let url = site.url.clone();
    TestApp::spawn_with(move |settings| {
        settings.petitions_base_url = url.parse().expect("the fake site's address");
        settings.petitions_poll = polling;
    })
    .await
}

/// Tracks petition `number` as `who`, for the North West, linked to `campaigns`; its id.
pub async fn track(
    app: &TestApp,
    who: &Session,
    w: &World,
    number: i64,
    campaigns: &[&str],
) -> String {
    let tracked = app
        .ok(
            Some(&who.access_token),
            TRACK,
            json!({ "i": {
                "url": format!("https://petition.parliament.uk/petitions/{number}"),
                "regionId": w.north_west,
                "campaignIds": campaigns,
            } }),
        )
        .await;
    tracked["trackPetition"]["id"]
        .as_str()
        .expect("a petition id")
        .to_owned()
}

/// The fake site serving open petition 700001 with 100 signatures, a server on it (polling or
/// not), the world, and the petition tracked by the North West staff.
async fn tracked_open_petition(polling: bool) -> (PetitionSite, TestApp, World, String) {
    let site = PetitionSite::start().await;
    site.serve(
        OPEN,
        Reply::json(&open_petition(
            700001,
            "Let people seeking asylum work",
            100,
        )),
    );
    let app = app_on(&site, polling).await;
    let w = world(&app).await;
    let id = track(&app, &w.staff, &w, 700001, &[]).await;
    (site, app, w, id)
}

fn kinds(petition: &Value) -> BTreeSet<String> {
    petition["milestones"]
        .as_array()
        .expect("milestones")
        .iter()
        .map(|m| format!("{} {}", m["kind"].as_str().unwrap_or_default(), m["count"]))
        .collect()
}

async fn read(app: &TestApp, who: Option<&Session>, id: &str) -> Value {
    app.ok(
        who.map(|s| s.access_token.as_str()),
        READ,
        json!({ "id": id }),
    )
    .await["petition"]
        .clone()
}

async fn refresh(app: &TestApp, who: &Session, id: &str) -> Value {
    app.ok(Some(&who.access_token), REFRESH, json!({ "id": id }))
        .await["refreshPetition"]
        .clone()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

#[tokio::test]
async fn staff_paste_any_form_of_an_address_and_everyone_reads_the_petition() {
    let site = PetitionSite::start().await;
    site.serve(
        OPEN,
        Reply::json(&open_petition(
            700001,
            "Let people seeking asylum work",
            9_990,
        )),
    );
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let tracked = app
        .ok(
            Some(&w.staff.access_token),
            TRACK,
            json!({ "i": {
                "url": "https://petition.parliament.uk/petitions/700001?utm_source=email",
                "regionId": w.north_west,
                "campaignIds": [campaign],
                "milestones": [1000, 5000, 50000],
            } }),
        )
        .await["trackPetition"]
        .clone();
    let id = tracked["id"].as_str().expect("an id").to_owned();

    // The public sees everything the site publishes, mapped onto the charity's regions.
    let petition = read(&app, None, &id).await;
    assert_eq!(petition["externalId"], "700001");
    assert_eq!(petition["url"], format!("{}/petitions/700001", site.url));
    assert_eq!(petition["action"], "Let people seeking asylum work");
    assert_eq!(petition["state"], "OPEN");
    assert_eq!(petition["signatureCount"], 9_990);
    assert_eq!(petition["closingDate"], "2027-03-01");
    assert_eq!(
        instant(&petition["openedAt"]),
        instant(&json!("2026-09-01T12:30:00Z"))
    );
    assert_eq!(petition["responseThreshold"], 10_000);
    assert_eq!(petition["debateThreshold"], 100_000);
    assert_eq!(petition["closedEarlyByElection"], false);
    assert_eq!(petition["governmentResponse"], Value::Null);
    assert_eq!(petition["parliament"], Value::Null);
    assert_eq!(petition["campaigns"], json!([{ "title": "Lift the ban" }]));
    assert_eq!(petition["watchedCounts"], json!([1000, 5000, 50000]));
    let regions: Vec<(Value, i64)> = petition["signaturesByRegion"]
        .as_array()
        .expect("regions")
        .iter()
        .map(|row| {
            (
                row["region"]["slug"].clone(),
                row["signatureCount"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        regions,
        vec![
            (json!("west-midlands"), 1000),
            (json!("north-west"), 2000),
            (json!("yorkshire-and-humber"), 0),
            (json!("north-east"), 0),
            (json!("wales"), 500),
            (json!("london"), 1500),
            // Scotland, the South East, abroad and whatever the site has not placed.
            (Value::Null, 4_990),
        ]
    );
    let north_west_share = petition["signaturesByRegion"][1]["share"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(
        (north_west_share - 2000.0 / 9990.0).abs() < 1e-9,
        "{north_west_share}"
    );
    assert_eq!(
        petition["topConstituencies"],
        json!([
            { "name": "Manchester Central", "signatureCount": 500 },
            { "name": "Birmingham Ladywood", "signatureCount": 300 },
        ])
    );
    assert_eq!(
        petition["signaturesByCountry"][0],
        json!({ "code": "GB", "signatureCount": 9_950 })
    );
    // Counts passed before tracking are recorded, quietly; the thresholds are still ahead.
    assert_eq!(
        kinds(&petition),
        BTreeSet::from([
            "WATCHED_COUNT 1000".to_owned(),
            "WATCHED_COUNT 5000".to_owned()
        ])
    );
    assert!(
        petition["milestones"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|m| m["announced"] == false)
    );
    let drafts = app.ok(Some(&w.staff.access_token), DRAFTS, json!({})).await;
    assert_eq!(drafts["policyUpdates"]["totalCount"], 0);

    // The site was asked once, by a client that names itself.
    let asked = site.seen_on(OPEN);
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0]
            .user_agent
            .as_deref()
            .is_some_and(|agent| agent.starts_with("PartnerNetwork/")),
        "{:?}",
        asked[0].user_agent
    );

    // The same petition pasted again (another form, on the configured host) is the same one,
    // now serving a second campaign too; London's staff cannot take over a North West one.
    let second = w.active_campaign(&app, "Right to work").await;
    let again = app
        .ok(
            Some(&w.admin.access_token),
            TRACK,
            json!({ "i": { "url": format!("{}/petitions/700001.json/", site.url),
                           "regionId": w.north_west, "campaignIds": [second] } }),
        )
        .await["trackPetition"]
        .clone();
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["campaigns"].as_array().map(Vec::len), Some(2));
    let london = app
        .gql(
            Some(&w.london_staff.access_token),
            TRACK,
            json!({ "i": { "url": "https://petition.parliament.uk/petitions/700001" } }),
        )
        .await;
    assert_eq!(error_code(&london), "FORBIDDEN", "{london}");
    let listed = app
        .ok(None, "{ petitions { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["petitions"]["totalCount"], 1);
}

#[tokio::test]
async fn addresses_that_cannot_be_tracked_are_refused_with_the_reason() {
    let site = PetitionSite::start().await;
    site.serve(
        "/petitions/700002.json",
        Reply::redirect("/petitions/700002"),
    );
    site.serve("/petitions/700003.json", Reply::status(410));
    // The same server under another name: another origin, which a client must not follow.
    let elsewhere_url = site.url.replace("127.0.0.1", "localhost") + "/p.json";
    site.serve("/petitions/700004.json", Reply::redirect(&elsewhere_url));
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let attempt = |url: String| {
        let (app, token) = (&app, w.staff.access_token.clone());
        async move {
            app.gql(Some(&token), TRACK, json!({ "i": { "url": url } }))
                .await
        }
    };

    let foreign = attempt("https://evil.example.org/petitions/700001".to_owned()).await;
    assert_eq!(error_code(&foreign), "BAD_USER_INPUT", "{foreign}");
    assert_eq!(error_field(&foreign), "input.url");
    let not_a_petition = attempt("https://petition.parliament.uk/help".to_owned()).await;
    assert_eq!(error_code(&not_a_petition), "BAD_USER_INPUT");

    let unknown = attempt("https://petition.parliament.uk/petitions/799999".to_owned()).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");

    let moderated = attempt("https://petition.parliament.uk/petitions/700002".to_owned()).await;
    assert_eq!(error_code(&moderated), "BAD_USER_INPUT", "{moderated}");
    assert!(
        moderated["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("petitions committee")),
        "{moderated}"
    );
    let removed = attempt("https://petition.parliament.uk/petitions/700003".to_owned()).await;
    assert_eq!(error_code(&removed), "BAD_USER_INPUT", "{removed}");
    let elsewhere = attempt("https://petition.parliament.uk/petitions/700004".to_owned()).await;
    assert_eq!(error_code(&elsewhere), "CONFLICT", "{elsewhere}");
    assert!(
        elsewhere["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("another host")),
        "{elsewhere}"
    );
    assert!(site.seen().iter().all(|seen| seen.path != "/p.json"));

    let listed = app
        .ok(None, "{ petitions { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["petitions"]["totalCount"], 0, "nothing half-tracked");
}

#[tokio::test]
async fn an_archived_petition_closed_by_the_2017_election_says_so() {
    let site = PetitionSite::start().await;
    site.serve(
        "/petitions/195146.json",
        Reply::redirect("/archived/petitions/195146.json"),
    );
    site.serve(
        "/archived/petitions/195146.json",
        Reply::json(&chechnya_petition()),
    );
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let id = track(&app, &w.staff, &w, 195146, &[]).await;

    let petition = read(&app, None, &id).await;
    assert_eq!(petition["state"], "CLOSED");
    assert_eq!(petition["signatureCount"], 20_460);
    assert_eq!(
        petition["url"],
        format!("{}/archived/petitions/195146", site.url)
    );
    // Closed at 23:01 UTC, dissolved at 00:01 BST: the same instant.
    assert_eq!(petition["closedEarlyByElection"], true);
    assert_eq!(petition["parliament"]["period"], "2015-2017");
    assert_eq!(
        instant(&petition["parliament"]["dissolutionAt"]),
        instant(&petition["closedAt"])
    );
    assert_eq!(petition["governmentResponse"]["respondedOn"], "2017-04-28");
    assert_eq!(
        petition["governmentResponse"]["summary"],
        "The UK has a proud record of granting asylum to those who need it."
    );
    assert_eq!(
        petition["nextCheckAt"],
        Value::Null,
        "archived petitions are not polled again"
    );
    assert_eq!(
        kinds(&petition),
        BTreeSet::from([
            "RESPONSE_THRESHOLD 10000".to_owned(),
            "GOVERNMENT_RESPONSE null".to_owned(),
            "CLOSED null".to_owned(),
            "CLOSED_EARLY_BY_ELECTION null".to_owned(),
        ])
    );
    let threshold = petition["milestones"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["kind"] == "RESPONSE_THRESHOLD")
        .expect("the response threshold");
    assert_eq!(
        instant(&threshold["reachedAt"]),
        instant(&json!("2017-04-14T11:20:00Z"))
    );

    // A refresh reads it again and records nothing twice.
    let refreshed = refresh(&app, &w.staff, &id).await;
    assert_eq!(refreshed["state"], "CLOSED");
    assert_eq!(kinds(&read(&app, None, &id).await).len(), 4);
    let drafts = app.ok(Some(&w.staff.access_token), DRAFTS, json!({})).await;
    assert_eq!(drafts["policyUpdates"]["totalCount"], 0);
}

#[tokio::test]
async fn a_rejected_petition_is_kept_without_breakdowns_and_not_polled() {
    let site = PetitionSite::start().await;
    site.serve(
        "/petitions/700005.json",
        Reply::json(&rejected_petition(700005)),
    );
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let id = track(&app, &w.staff, &w, 700005, &[]).await;
    let petition = read(&app, None, &id).await;
    assert_eq!(petition["state"], "REJECTED");
    assert_eq!(petition["signaturesByRegion"], json!([]));
    assert_eq!(petition["nextCheckAt"], Value::Null);
    let rejected = app
        .ok(
            None,
            "{ petitions(filter: { state: REJECTED }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(rejected["petitions"]["totalCount"], 1);
}

#[tokio::test]
async fn milestones_are_recorded_once_pushed_live_and_drafted_for_staff() {
    let site = PetitionSite::start().await;
    site.serve(
        OPEN,
        Reply::json(&open_petition(
            700001,
            "Let people seeking asylum work",
            9_990,
        )),
    );
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let other = w.active_campaign(&app, "Another campaign").await;
    let id = app
        .ok(
            Some(&w.staff.access_token),
            TRACK,
            json!({ "i": { "url": "https://petition.parliament.uk/petitions/700001",
                           "regionId": w.north_west, "campaignIds": [campaign],
                           "milestones": [10020] } }),
        )
        .await["trackPetition"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let subscription =
        "subscription($c: ID) { petitionMilestoneReached(filter: { campaignId: $c }) {
        petition { id signatureCount } milestone { kind count announced } } }";
    let listening = app.state.events.listeners();
    let mut watching = app
        .subscribe(None, subscription, json!({ "c": campaign }))
        .await;
    let mut elsewhere = app
        .subscribe(None, subscription, json!({ "c": other }))
        .await;
    // Each socket listens for the end of its session, each subscription for milestones.
    app.wait_for_listeners(listening + 4).await;

    // The count crosses 10,000 and the watched 10,020 between polls.
    let mut counts = vec![9_990];
    for count in [10_050, 9_980, 10_100] {
        app.clock.advance(Duration::minutes(1));
        site.serve(OPEN_COUNT, Reply::json(&count_document(count)));
        assert_eq!(refresh(&app, &w.staff, &id).await["signatureCount"], count);
        counts.push(count);
    }

    let mut pushed = BTreeSet::new();
    for _ in 0..2 {
        let event = next(&mut watching).await;
        let reached = &event["payload"]["data"]["petitionMilestoneReached"];
        assert_eq!(reached["petition"]["id"], id.as_str());
        assert_eq!(reached["milestone"]["announced"], true);
        pushed.insert(format!(
            "{} {}",
            reached["milestone"]["kind"].as_str().unwrap_or_default(),
            reached["milestone"]["count"]
        ));
    }
    assert_eq!(
        pushed,
        BTreeSet::from([
            "RESPONSE_THRESHOLD 10000".to_owned(),
            "WATCHED_COUNT 10020".to_owned()
        ])
    );
    // The dip and the rise again recorded nothing twice.
    let petition = app.ok(None, MILESTONES, json!({ "id": id })).await["petition"].clone();
    assert_eq!(
        petition["milestones"].as_array().map(Vec::len),
        Some(2),
        "{petition}"
    );
    // A subscriber to another campaign's petitions heard nothing.
    let quiet =
        tokio::time::timeout(std::time::Duration::from_millis(300), next(&mut elsewhere)).await;
    assert!(quiet.is_err(), "{quiet:?}");

    // Each milestone is one draft for staff, linked to the petition's campaign.
    let drafts = app
        .ok(
            Some(&w.staff.access_token),
            DRAFTS,
            json!({ "c": campaign }),
        )
        .await;
    assert_eq!(drafts["policyUpdates"]["totalCount"], 2, "{drafts}");
    let titles: BTreeSet<String> = drafts["policyUpdates"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|edge| {
            edge["node"]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("10,000") && t.contains("government will respond")),
        "{titles:?}"
    );
    assert!(titles.iter().any(|t| t.contains("10,020")), "{titles:?}");
    let body = drafts["policyUpdates"]["edges"][0]["node"]["body"]
        .as_str()
        .unwrap_or_default();
    assert!(
        body.contains(&format!("{}/petitions/700001", site.url)),
        "{body}"
    );
    let public = app
        .ok(None, "{ policyUpdates { totalCount } }", json!({}))
        .await;
    assert_eq!(
        public["policyUpdates"]["totalCount"], 0,
        "nothing reaches the public unpublished"
    );

    // The history shows every change, the fall included, and the last count of each day.
    let history = app.ok(None, HISTORY, json!({ "id": id })).await["petition"]["history"].clone();
    let seen: Vec<i64> = history
        .as_array()
        .into_iter()
        .flatten()
        .map(|point| point["signatureCount"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(seen, counts);
    let days: BTreeSet<_> = history
        .as_array()
        .into_iter()
        .flatten()
        .map(|point| instant(&point["at"]).date_naive())
        .collect();
    let daily = app
        .ok(None, HISTORY, json!({ "id": id, "every": "DAY" }))
        .await["petition"]["history"]
        .clone();
    assert_eq!(daily.as_array().map(Vec::len), Some(days.len()));
    assert_eq!(daily[days.len() - 1]["signatureCount"], 10_100);
}

#[tokio::test]
async fn the_poller_follows_open_petitions_politely() {
    let (site, app, _, id) = tracked_open_petition(true).await;
    site.serve(OPEN_COUNT, Reply::json(&count_document(150)));

    // Five minutes on, the cheap count is read.
    app.clock.advance(Duration::minutes(5));
    let asked = site.wait_for(OPEN_COUNT, 1).await;
    assert_eq!(asked[0].if_none_match, None);
    assert!(
        asked[0]
            .user_agent
            .as_deref()
            .is_some_and(|a| a.starts_with("PartnerNetwork/"))
    );
    wait_for_count(&app, &id, 150).await;

    // Five minutes more: the same validators come back, the site says 304, nothing is added.
    app.clock.advance(Duration::minutes(5));
    let asked = site.wait_for(OPEN_COUNT, 2).await;
    assert!(asked[1].if_none_match.is_some(), "{asked:?}");
    assert_eq!(
        asked[1].if_modified_since.as_deref(),
        Some("Mon, 01 Dec 2025 10:00:00 GMT")
    );
    assert_eq!(asked[1].status, 304);

    // After an hour the whole document is read again, for the breakdowns.
    site.serve(
        OPEN,
        Reply::json(&open_petition(
            700001,
            "Let people seeking asylum work",
            180,
        )),
    );
    app.clock.advance(Duration::minutes(55));
    let documents = site.wait_for(OPEN, 2).await;
    assert!(
        documents[1].if_none_match.is_some(),
        "the document's own validators"
    );
    wait_for_count(&app, &id, 180).await;
    let history = app.ok(None, HISTORY, json!({ "id": id })).await;
    let points: Vec<i64> = history["petition"]["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|point| point["signatureCount"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(points, vec![100, 150, 180]);
}

async fn wait_for_count(app: &TestApp, id: &str, count: i64) {
    for _ in 0..200 {
        let petition = app.ok(None, MILESTONES, json!({ "id": id })).await;
        if petition["petition"]["signatureCount"] == count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the petition never showed {count} signatures");
}

#[tokio::test]
async fn whatever_the_site_sends_the_last_good_copy_and_its_history_stay() {
    let (site, app, w, id) = tracked_open_petition(false).await;
    let now = app.state.now();

    let failures: Vec<(Reply, &str)> = vec![
        (Reply::status(500), "500"),
        (
            Reply::raw("{\"signature_count\": \"lots\"}"),
            "not the JSON expected",
        ),
        (
            Reply::raw("{\"signature_count\": 12"),
            "not the JSON expected",
        ),
        (Reply::raw("{}"), "not the JSON expected"),
        (Reply::raw(vec![b' '; 6 * 1024 * 1024]), "over 5 MB"),
        (
            Reply::redirect("https://elsewhere.example.org/count.json"),
            "another host",
        ),
        (Reply::status(418), "unexpected answer (418)"),
    ];
    for (reply, reason) in failures {
        site.serve(OPEN_COUNT, reply);
        let refreshed = refresh(&app, &w.staff, &id).await;
        assert_eq!(refreshed["signatureCount"], 100, "{reason}");
        assert_eq!(refreshed["state"], "OPEN");
        let error = refreshed["lastError"].as_str().unwrap_or_default();
        assert!(error.contains(reason), "{reason}: {error}");
        // Backed off: later than the regular five minutes.
        assert!(
            instant(&refreshed["nextCheckAt"]) > now + Duration::minutes(6),
            "{refreshed}"
        );
    }
    // Only the team sees what went wrong.
    assert_eq!(read(&app, None, &id).await["lastError"], Value::Null);
    assert_eq!(
        read(&app, Some(&w.members[0]), &id).await["lastError"],
        Value::Null
    );

    // A 429 asking for an hour's pause gets it.
    site.serve(
        OPEN_COUNT,
        Reply::status(429).with_header("retry-after", "3600"),
    );
    let slowed = refresh(&app, &w.staff, &id).await;
    assert!(
        instant(&slowed["nextCheckAt"]) >= now + Duration::minutes(60),
        "{slowed}"
    );

    // A good answer clears the error and the backoff.
    app.clock.advance(Duration::minutes(1));
    site.serve(OPEN_COUNT, Reply::json(&count_document(120)));
    let good = refresh(&app, &w.staff, &id).await;
    assert_eq!(good["lastError"], Value::Null);
    assert_eq!(good["signatureCount"], 120);

    // Gone: removed, recorded as a milestone, never polled again; the history stays.
    site.serve(OPEN_COUNT, Reply::status(410));
    let removed = refresh(&app, &w.staff, &id).await;
    assert_eq!(removed["state"], "REMOVED");
    assert_eq!(removed["nextCheckAt"], Value::Null);
    let petition = read(&app, None, &id).await;
    assert!(kinds(&petition).contains("REMOVED null"), "{petition}");
    let history = app.ok(None, HISTORY, json!({ "id": id })).await;
    assert_eq!(
        history["petition"]["history"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn partners_say_they_promote_a_petition_and_their_page_shows_it() {
    let (_site, app, w, id) = tracked_open_petition(false).await;
    let member = &w.members[0];
    let promoted = app
        .ok(
            Some(&member.access_token),
            "mutation($id: ID!) { promotePetition(id: $id) { promotedBy { name } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        promoted["promotePetition"]["promotedBy"],
        json!([{ "name": "Bolton Welcome Hub" }])
    );
    let page = app
        .ok(
            None,
            "query($p: ID!) { partner(id: $p) { petitions { action } } }",
            json!({ "p": w.partners[0] }),
        )
        .await;
    assert_eq!(
        page["partner"]["petitions"],
        json!([{ "action": "Let people seeking asylum work" }])
    );
    let engagement = app
        .ok(
            Some(&w.staff.access_token),
            "query($p: ID!) { partner(id: $p) { engagement { petitionsPromoted lastActiveAt } } }",
            json!({ "p": w.partners[0] }),
        )
        .await;
    assert_eq!(engagement["partner"]["engagement"]["petitionsPromoted"], 1);
    assert!(engagement["partner"]["engagement"]["lastActiveAt"].is_string());

    let stopped = app
        .ok(
            Some(&member.access_token),
            "mutation($id: ID!) { stopPromotingPetition(id: $id) { promotedBy { name } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(stopped["stopPromotingPetition"]["promotedBy"], json!([]));
}

#[tokio::test]
async fn petitions_are_listed_by_campaign_state_and_words_and_untracked() {
    let site = PetitionSite::start().await;
    site.serve(
        OPEN,
        Reply::json(&open_petition(
            700001,
            "Let people seeking asylum work",
            100,
        )),
    );
    site.serve(
        "/petitions/700006.json",
        Reply::json(&open_petition(700006, "End indefinite detention", 50)),
    );
    site.serve(
        "/petitions/700005.json",
        Reply::json(&rejected_petition(700005)),
    );
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let work = track(&app, &w.staff, &w, 700001, &[&campaign]).await;
    let detention = track(&app, &w.staff, &w, 700006, &[]).await;
    track(&app, &w.staff, &w, 700005, &[]).await;
    let list = "query($f: PetitionFilter, $first: Int, $after: String) {
        petitions(filter: $f, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id action } } } }";
    let actions = |page: &Value| -> Vec<String> {
        page["petitions"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|edge| {
                edge["node"]["action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let by_campaign = app
        .ok(None, list, json!({ "f": { "campaignId": campaign } }))
        .await;
    assert_eq!(
        actions(&by_campaign),
        vec!["Let people seeking asylum work"]
    );
    let open = app
        .ok(None, list, json!({ "f": { "state": "OPEN" } }))
        .await;
    assert_eq!(open["petitions"]["totalCount"], 2);
    let words = app
        .ok(None, list, json!({ "f": { "search": "DETENTION" } }))
        .await;
    assert_eq!(actions(&words), vec!["End indefinite detention"]);
    let first = app.ok(None, list, json!({ "first": 2 })).await;
    assert_eq!(first["petitions"]["pageInfo"]["hasNextPage"], true);
    let rest = app
        .ok(
            None,
            list,
            json!({ "first": 2, "after": first["petitions"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        actions(&rest),
        vec!["Let people seeking asylum work"],
        "newest tracked first"
    );

    app.ok(
        Some(&w.staff.access_token),
        "mutation($id: ID!) { untrackPetition(id: $id) }",
        json!({ "id": detention }),
    )
    .await;
    let gone = app.gql(None, READ, json!({ "id": detention })).await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let remaining = app.ok(None, list, json!({})).await;
    assert_eq!(remaining["petitions"]["totalCount"], 2);
    let unlinked = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($p: ID!, $c: ID!) { unlinkPetitionFromCampaign(petitionId: $p, campaignId: $c) { campaigns { title } } }",
            json!({ "p": work, "c": campaign }),
        )
        .await;
    assert_eq!(
        unlinked["unlinkPetitionFromCampaign"]["campaigns"],
        json!([])
    );
}

/// A petition of this Parliament that has closed with 150,000 signatures and a response, its
/// debate scheduled; `debated` adds the debate's outcome.
fn closed_petition(debated: bool) -> Value {
    let mut document = open_petition(700007, "Stop detaining children", 150_000);
    let attributes = &mut document["data"]["attributes"];
    attributes["state"] = json!("closed");
    attributes["closing_date"] = Value::Null;
    attributes["closed_at"] = json!("2026-11-01T23:59:59.000Z");
    attributes["response_threshold_reached_at"] = json!("2026-09-10T08:00:00.000Z");
    attributes["debate_threshold_reached_at"] = json!("2026-10-01T08:00:00.000Z");
    attributes["government_response_at"] = json!("2026-10-05T12:00:00.000Z");
    attributes["government_response"] = json!({ "responded_on": "2026-10-05",
        "summary": "We will review the guidance.", "details": "In full." });
    attributes["scheduled_debate_date"] = json!("2026-12-10");
    if debated {
        attributes["debate_outcome_at"] = json!("2026-12-10T19:00:00.000Z");
        attributes["debate"] = json!({ "debated_on": "2026-12-10",
            "overview": "MPs debated detention.", "transcript_url": "https://hansard.example.org/1",
            "video_url": "javascript:alert(1)" });
    }
    document
}

#[tokio::test]
async fn a_closed_petition_is_read_daily_until_its_response_and_debate_are_settled() {
    let site = PetitionSite::start().await;
    site.serve(
        "/petitions/700007.json",
        Reply::json(&closed_petition(false)),
    );
    let app = app_on(&site, false).await;
    let w = world(&app).await;
    let id = track(&app, &w.staff, &w, 700007, &[]).await;
    let petition = read(&app, None, &id).await;
    assert_eq!(petition["state"], "CLOSED");
    assert_eq!(petition["closedEarlyByElection"], false);
    assert_eq!(
        instant(&petition["nextCheckAt"]),
        app.state.now() + Duration::days(1),
        "the debate is still to come"
    );
    assert_eq!(
        kinds(&petition),
        BTreeSet::from([
            "RESPONSE_THRESHOLD 10000".to_owned(),
            "DEBATE_THRESHOLD 100000".to_owned(),
            "GOVERNMENT_RESPONSE null".to_owned(),
            "DEBATE_SCHEDULED null".to_owned(),
            "CLOSED null".to_owned(),
        ])
    );

    site.serve(
        "/petitions/700007.json",
        Reply::json(&closed_petition(true)),
    );
    let refreshed = refresh(&app, &w.staff, &id).await;
    assert_eq!(
        refreshed["nextCheckAt"],
        Value::Null,
        "settled: never polled again"
    );
    let debate = app
        .ok(
            None,
            "query($id: ID!) { petition(id: $id) { debate { scheduledFor debatedOn overview transcriptUrl videoUrl } milestones { kind announced } } }",
            json!({ "id": id }),
        )
        .await["petition"]
        .clone();
    assert_eq!(
        debate["debate"],
        json!({ "scheduledFor": "2026-12-10", "debatedOn": "2026-12-10",
            "overview": "MPs debated detention.", "transcriptUrl": "https://hansard.example.org/1",
            "videoUrl": null })
    );
    let debated: Vec<&Value> = debate["milestones"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["kind"] == "DEBATED")
        .collect();
    assert_eq!(
        debated,
        vec![&json!({ "kind": "DEBATED", "announced": true })]
    );
}

#[tokio::test]
async fn two_instances_poll_each_petition_once_between_them() {
    let site = PetitionSite::start().await;
    let numbers: Vec<i64> = (700_200..700_225).collect();
    for number in &numbers {
        site.serve(
            &format!("/petitions/{number}.json"),
            Reply::json(&open_petition(
                *number,
                "Let people seeking asylum work",
                100,
            )),
        );
        site.serve(
            &format!("/petitions/{number}/count.json"),
            Reply::json(&count_document(150)),
        );
    }
    let app = app_on(&site, true).await;
    let url = site.url.clone();
    let other = app
        .another_instance(move |settings| {
            settings.petitions_base_url = url.parse().expect("the fake site's address");
        })
        .await;
    let w = world(&app).await;
    for number in &numbers {
        track(&app, &w.staff, &w, *number, &[]).await;
    }
    app.clock.advance(Duration::minutes(5));
    for number in &numbers {
        site.wait_for(&format!("/petitions/{number}/count.json"), 1)
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let counts = site
        .seen()
        .into_iter()
        .filter(|seen| seen.path.ends_with("/count.json"))
        .count();
    assert_eq!(
        counts,
        numbers.len(),
        "each petition polled once, by one instance"
    );
    other.stop().await;
}

#[tokio::test]
async fn a_petition_closed_early_is_followed_into_the_archive_where_the_election_shows() {
    let site = PetitionSite::start().await;
    site.serve(
        OPEN,
        Reply::json(&open_petition(
            700001,
            "Let people seeking asylum work",
            100,
        )),
    );
    let app = app_on(&site, false).await;
    let mut w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let id = track(&app, &w.staff, &w, 700001, &[&campaign]).await;

    // Parliament is dissolved: the petition closes months before its closing date.
    let mut closed = open_petition(700001, "Let people seeking asylum work", 100);
    closed["data"]["attributes"]["state"] = json!("closed");
    closed["data"]["attributes"]["closing_date"] = Value::Null;
    closed["data"]["attributes"]["closed_at"] = json!("2026-11-20T00:01:00.000Z");
    site.serve(OPEN, Reply::json(&closed));
    app.clock.advance(Duration::hours(2));
    w.sign_everyone_in_again(&app).await;
    let refreshed = refresh(&app, &w.staff, &id).await;
    assert_eq!(refreshed["state"], "CLOSED");
    assert!(
        refreshed["nextCheckAt"].is_string(),
        "still followed, below both thresholds, until it reaches the archive: {refreshed}"
    );

    // Later it moves to the archive, whose copy gives the dissolution.
    let mut archived = closed.clone();
    archived["data"]["type"] = json!("archived-petition");
    archived["data"]["parliament"] = json!({ "period": "2024-2026",
        "dissolution_at": "2026-11-20T00:01:00+00:00" });
    site.serve(OPEN, Reply::redirect("/archived/petitions/700001.json"));
    site.serve("/archived/petitions/700001.json", Reply::json(&archived));
    app.clock.advance(Duration::days(1));
    w.sign_everyone_in_again(&app).await;
    let final_copy = refresh(&app, &w.staff, &id).await;
    assert_eq!(final_copy["nextCheckAt"], Value::Null);
    let petition = read(&app, None, &id).await;
    assert_eq!(petition["closedEarlyByElection"], true);
    assert_eq!(
        petition["url"],
        format!("{}/archived/petitions/700001", site.url)
    );
    let election = petition["milestones"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["kind"] == "CLOSED_EARLY_BY_ELECTION")
        .cloned();
    assert_eq!(election.map(|m| m["announced"].clone()), Some(json!(true)));
}
