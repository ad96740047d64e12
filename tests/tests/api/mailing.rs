//! The mailing list, end to end: subscribing, the confirmation email and its page, updates by
//! email with one-click unsubscribe, digests, data export and erasure, and the outbox's
//! retries. With no SMTP_URL the server writes each email as an `.eml` file in DATA_DIR/mail,
//! which these tests read as a mailbox.

use std::time::Duration as StdDuration;

use chrono::Duration;
use entities::{enums::MailStatus, outbox};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use tests::{TestApp, error_code, error_field};

use crate::world::{World, world};

const SUBSCRIBE: &str = "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }";

fn mailbox(app: &TestApp) -> Vec<String> {
    app.mailbox()
}

/// The emails to `address` so far, oldest first.
fn mail_to(app: &TestApp, address: &str) -> Vec<String> {
    app.mail_to(address)
}

pub(crate) async fn wait_for_mail(app: &TestApp, address: &str, count: usize) -> Vec<String> {
    app.wait_for_mail(address, count).await
}

/// Moves the test clock to one minute past the next `hour`:00 UTC.
fn advance_past_hour(app: &TestApp, hour: u32) {
    let now = app.state.now();
    let today = now
        .date_naive()
        .and_hms_opt(hour, 1, 0)
        .expect("a valid hour")
        .and_utc();
    let target = if today > now {
        today
    } else {
        today + Duration::days(1)
    };
    app.clock.advance(target - now);
}

/// Waits until the worker has sent everything it would send now.
async fn settle(app: &TestApp) {
    app.wait_for_outbox_idle().await;
}

fn to(mail: &[String], address: &str) -> Vec<String> {
    mail.iter()
        .filter(|text| text.contains(&format!("To: {address}")))
        .cloned()
        .collect()
}

pub(crate) use tests::link;

pub(crate) fn token_of(url: &str) -> String {
    tests::token_from_url(url)
}

pub(crate) async fn subscribe(app: &TestApp, input: Value) -> Value {
    app.gql(None, SUBSCRIBE, json!({ "i": input })).await
}

/// Subscribes and confirms through the API; the confirmed address's manage token comes with
/// the first update it receives, so this returns nothing.
pub(crate) async fn confirmed(app: &TestApp, email: &str, extra: Value) {
    let before = mail_to(app, email).len();
    let mut input = json!({ "email": email });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    subscribe(app, input).await;
    let mail = wait_for_mail(app, email, before + 1).await;
    let confirmation = mail.last().expect("a confirmation");
    let token = token_of(&link(confirmation, "/subscriptions/confirm"));
    app.ok(
        None,
        "mutation($t: String!) { confirmSubscription(token: $t) { status } }",
        json!({ "t": token }),
    )
    .await;
}

pub(crate) async fn publish_update(app: &TestApp, w: &World, input: Value) {
    let mut full = json!({ "title": "Support rates frozen", "summary": "No rise this year.",
        "body": "The weekly allowance stays the same.", "kind": "POLICY_DEVELOPMENT" });
    if let (Some(full), Some(input)) = (full.as_object_mut(), input.as_object()) {
        full.extend(input.clone());
    }
    let token = Some(w.admin.access_token.as_str());
    let created = app
        .ok(
            token,
            "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            json!({ "i": full }),
        )
        .await;
    app.ok(
        token,
        "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
        json!({ "id": created["createPolicyUpdate"]["id"] }),
    )
    .await;
}

#[tokio::test]
async fn subscribing_asks_for_a_confirmation_that_only_a_button_gives() {
    let app = TestApp::spawn().await;
    let first = subscribe(
        &app,
        json!({ "email": "amina@example.org", "name": "Amina" }),
    )
    .await;
    let again = subscribe(&app, json!({ "email": "Amina@Example.org" })).await;
    assert_eq!(
        first, again,
        "the answer does not tell whether the address was known"
    );
    let mail = wait_for_mail(&app, "amina@example.org", 1).await;
    let confirmation = &mail[0];
    assert!(confirmation.contains("Subject: Please confirm your subscription"));
    let url = link(confirmation, "/subscriptions/confirm");
    assert!(url.contains("confirm") && url.contains("?token="), "{url}");

    let page = app.client.get(&url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("<form method=\"post\">")
    );
    let pressed = app
        .client
        .post(app.url("/subscriptions/confirm"))
        .form(&[("token", token_of(&url))])
        .send()
        .await
        .expect("answer");
    assert_eq!(pressed.status(), 200);
    let answer = pressed.text().await.unwrap_or_default();
    assert!(answer.contains("Subscription confirmed"), "{answer}");
    let preferences = answer
        .split('"')
        .find(|part| part.contains("/subscriptions/preferences?token="))
        .unwrap_or_else(|| panic!("a link to the preferences in {answer}"));
    let page = app
        .client
        .get(preferences)
        .send()
        .await
        .expect("preferences");
    assert_eq!(
        page.status(),
        200,
        "the link opens the subscriber's preferences"
    );
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Save my preferences")
    );
    let reused = app
        .gql(
            None,
            "mutation($t: String!) { confirmSubscription(token: $t) { status } }",
            json!({ "t": token_of(&url) }),
        )
        .await;
    assert_eq!(error_code(&reused), "CONFLICT", "a link confirms once");
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "amina@example.org").len(),
        1,
        "the second subscribe sent nothing new so soon"
    );
}

#[tokio::test]
async fn a_plain_visit_to_the_link_confirms_nobody() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    subscribe(&app, json!({ "email": "scanner@example.org" })).await;
    let mail = wait_for_mail(&app, "scanner@example.org", 1).await;
    let url = link(&mail[0], "/subscriptions/confirm");
    for _ in 0..2 {
        app.client.get(&url).send().await.expect("page");
    }
    publish_update(&app, &w, json!({})).await;
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "scanner@example.org").len(),
        1,
        "only the confirmation: following the link confirmed nothing"
    );
}

#[tokio::test]
async fn updates_reach_confirmed_subscribers_and_one_click_unsubscribes() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    confirmed(&app, "nia@example.org", json!({})).await;
    subscribe(&app, json!({ "email": "pending@example.org" })).await;
    wait_for_mail(&app, "pending@example.org", 1).await;

    publish_update(&app, &w, json!({ "title": "National news" })).await;
    let mail = wait_for_mail(&app, "nia@example.org", 2).await;
    let update = mail
        .into_iter()
        .find(|text| text.contains("Subject: National news"))
        .expect("the update");
    assert!(
        update.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{update}"
    );
    let header = update
        .lines()
        .find(|line| line.starts_with("List-Unsubscribe: "))
        .expect("List-Unsubscribe");
    let unsubscribe = link(header, "/subscriptions/unsubscribe");
    assert!(update.contains("/subscriptions/preferences?token="));
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "pending@example.org").len(),
        1,
        "unconfirmed: nothing more"
    );

    let one_click = app
        .client
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("answer");
    assert_eq!(one_click.status(), 200);
    publish_update(&app, &w, json!({ "title": "More news" })).await;
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "nia@example.org").len(),
        2,
        "nothing after unsubscribing"
    );
}

#[tokio::test]
async fn regional_updates_go_to_the_region_and_to_those_following_their_topic() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    confirmed(&app, "nw@example.org", json!({ "regionId": w.north_west })).await;
    confirmed(&app, "london@example.org", json!({ "regionId": w.london })).await;
    confirmed(
        &app,
        "follower@example.org",
        json!({ "regionId": w.london, "topics": ["Detention"] }),
    )
    .await;
    publish_update(
        &app,
        &w,
        json!({ "title": "North West detention news",
        "regionId": w.north_west, "topics": ["detention"] }),
    )
    .await;
    wait_for_mail(&app, "nw@example.org", 2).await;
    wait_for_mail(&app, "follower@example.org", 2).await;
    settle(&app).await;
    let mail = mailbox(&app);
    let news = |address: &str| {
        to(&mail, address)
            .iter()
            .filter(|text| text.contains("North West detention news"))
            .count()
    };
    assert_eq!(
        (
            news("nw@example.org"),
            news("follower@example.org"),
            news("london@example.org")
        ),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn daily_subscribers_get_one_digest_at_seven() {
    let app = TestApp::spawn().await;
    // The test clock starts at the real time; noon keeps the publishing well away from 07:00.
    advance_past_hour(&app, 12);
    let mut w = world(&app).await;
    confirmed(&app, "daily@example.org", json!({ "frequency": "DAILY" })).await;
    publish_update(&app, &w, json!({ "title": "First" })).await;
    publish_update(&app, &w, json!({ "title": "Second" })).await;
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "daily@example.org").len(),
        1,
        "only the confirmation before the digest time"
    );

    advance_past_hour(&app, 7);
    w.sign_everyone_in_again(&app).await;
    let mail = wait_for_mail(&app, "daily@example.org", 2).await;
    let digest = mail.last().expect("a digest");
    assert!(digest.contains("digest (2 new)"), "{digest}");
    assert!(digest.contains("First") && digest.contains("Second"));
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "daily@example.org").len(),
        2,
        "one email for both"
    );
}

#[tokio::test]
async fn a_subscriber_exports_and_erases_their_data_from_a_fresh_link_sent_to_them() {
    let app = TestApp::spawn().await;
    let mut w = world(&app).await;
    confirmed(
        &app,
        "leave@example.org",
        json!({ "name": "Leila", "topics": ["housing"] }),
    )
    .await;
    publish_update(&app, &w, json!({})).await;
    let mail = wait_for_mail(&app, "leave@example.org", 2).await;
    let update = mail.last().expect("an update");
    let manage = token_of(&link(update, "/subscriptions/preferences"));

    let forwarded = app.gql(None, EXPORT_MINE, json!({ "t": manage })).await;
    assert_eq!(
        (error_code(&forwarded), error_field(&forwarded)),
        ("BAD_USER_INPUT", "token"),
        "a link in an email (which may have been forwarded) does not open the data"
    );
    let data_link = data_token(&app, &manage, "leave@example.org").await;
    let exported = app.ok(None, EXPORT_MINE, json!({ "t": data_link })).await;
    let data = &exported["exportMySubscriberData"];
    assert_eq!(data["email"], "leave@example.org");
    assert_eq!(data["topics"], json!(["housing"]));
    assert!(
        data["consent"]["wording"]
            .as_str()
            .is_some_and(|w| w.contains("unsubscribe"))
    );
    assert_eq!(data["emails"].as_array().map_or(0, Vec::len), 3);

    app.clock.advance(Duration::minutes(61));
    w.sign_everyone_in_again(&app).await;
    let expired = app.gql(None, EXPORT_MINE, json!({ "t": data_link })).await;
    assert_eq!(
        error_code(&expired),
        "BAD_USER_INPUT",
        "a data link lasts an hour"
    );
    let data_link = data_token(&app, &manage, "leave@example.org").await;
    app.ok(
        None,
        "mutation($t: String!) { eraseSubscriber(token: $t) }",
        json!({ "t": data_link }),
    )
    .await;
    let gone = app.gql(None, EXPORT_MINE, json!({ "t": data_link })).await;
    assert_eq!(
        (error_code(&gone), error_field(&gone)),
        ("BAD_USER_INPUT", "token")
    );
    assert_eq!(
        mail_to(&app, "leave@example.org").len(),
        0,
        "the emails kept as files for the address are erased too"
    );
    publish_update(&app, &w, json!({ "title": "After erasure" })).await;
    settle(&app).await;
    assert_eq!(
        mail_to(&app, "leave@example.org").len(),
        0,
        "an erased address gets nothing"
    );

    subscribe(&app, json!({ "email": "leave@example.org" })).await;
    wait_for_mail(&app, "leave@example.org", 1).await;
}

const EXPORT_MINE: &str = "mutation($t: String!) { exportMySubscriberData(token: $t) }";

/// Asks for a data link with the manage token, and returns the token of the link emailed to
/// `address`.
pub(crate) async fn data_token(app: &TestApp, manage: &str, address: &str) -> String {
    let before = mail_to(app, address).len();
    app.ok(
        None,
        "mutation($t: String!) { requestSubscriberDataLink(token: $t) }",
        json!({ "t": manage }),
    )
    .await;
    let mail = wait_for_mail(app, address, before + 1).await;
    let letter = mail.last().expect("the data link");
    assert!(
        letter.contains("Subject: Your link to see or erase your data"),
        "{letter}"
    );
    token_of(&link(letter, "/subscriptions/data"))
}

#[tokio::test]
async fn bad_mailing_input_is_refused_and_links_expire() {
    let app = TestApp::spawn().await;
    let refused = subscribe(&app, json!({ "email": "not an address" })).await;
    assert_eq!(
        (error_code(&refused), error_field(&refused)),
        ("BAD_USER_INPUT", "email")
    );
    let refused = subscribe(
        &app,
        json!({ "email": "a@example.org", "campaignIds": ["999"] }),
    )
    .await;
    assert_eq!(error_field(&refused), "campaignIds");
    for token in ["nonsense", "1.abcd", "999.00"] {
        let unknown = app
            .gql(
                None,
                "mutation($t: String!) { unsubscribe(token: $t) { status } }",
                json!({ "t": token }),
            )
            .await;
        assert_eq!(
            (error_code(&unknown), error_field(&unknown)),
            ("BAD_USER_INPUT", "token")
        );
    }
    subscribe(&app, json!({ "email": "slow@example.org" })).await;
    let mail = wait_for_mail(&app, "slow@example.org", 1).await;
    let token = token_of(&link(&mail[0], "/subscriptions/confirm"));
    app.clock.advance(Duration::days(8));
    let expired = app
        .gql(
            None,
            "mutation($t: String!) { confirmSubscription(token: $t) { status } }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(
        (error_code(&expired), error_field(&expired)),
        ("BAD_USER_INPUT", "token")
    );
}

#[tokio::test]
async fn undeliverable_mail_is_retried_with_backoff_then_given_up() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    subscribe(&app, json!({ "email": "nobody@example.org" })).await;
    // The test clock stands still between the jumps below, so each retry's wait is its
    // next attempt time minus the clock.
    let mut waits = Vec::new();
    let mut last = None;
    for attempt in 1..=api::mailing::outbox::MAX_ATTEMPTS {
        let row = wait_for_attempt(&app, attempt).await;
        if row.status == MailStatus::Pending {
            waits.push((row.next_attempt_at - app.state.now()).num_seconds());
        }
        app.clock.advance(Duration::hours(3));
        last = Some(row);
    }
    assert_eq!(
        waits,
        [30, 60, 120, 240, 480],
        "each retry waits twice as long as the one before"
    );
    let row = last.expect("attempts");
    assert_eq!(row.status, MailStatus::Dead);
    assert!(row.last_error.is_some());
}

/// The outbox row once it has been tried `attempts` times and put back (or given up).
async fn wait_for_attempt(app: &TestApp, attempts: i32) -> outbox::Model {
    for _ in 0..100 {
        let rows = outbox::Entity::find()
            .order_by_asc(outbox::Column::Id)
            .all(&app.state.db)
            .await
            .unwrap_or_default();
        if let Some(row) = rows.into_iter().next()
            && row.attempts >= attempts
            && row.locked_until.is_none()
        {
            return row;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("no attempt {attempts}");
}

#[tokio::test]
async fn only_staff_see_subscriber_counts() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    confirmed(
        &app,
        "counted@example.org",
        json!({ "regionId": w.north_west, "topics": ["housing"], "campaignIds": [campaign] }),
    )
    .await;
    subscribe(
        &app,
        json!({ "email": "pending@example.org", "regionId": w.north_west,
                "topics": ["housing"], "campaignIds": [campaign] }),
    )
    .await;
    let query =
        "{ subscriberCounts { total byRegion { region { slug } count } byTopic { topic count }
           byCampaign { campaign { title } count } } }";
    let counts = app.ok(Some(&w.staff.access_token), query, json!({})).await;
    assert_eq!(
        counts["subscriberCounts"],
        json!({ "total": 1, "byRegion": [{ "region": { "slug": "north-west" }, "count": 1 }],
                "byTopic": [{ "topic": "housing", "count": 1 }],
                "byCampaign": [{ "campaign": { "title": "Lift the ban" }, "count": 1 }] }),
        "the pending subscriber is not counted"
    );
    assert_eq!(
        error_code(
            &app.gql(Some(&w.members[0].access_token), query, json!({}))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.gql(None, query, json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn an_invitation_is_emailed_with_its_link_and_the_link_is_nowhere_else() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let wales = app.region_id("wales").await;
    let invited = app
        .ok(
            Some(&admin.access_token),
            "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id emailedTo } }",
            json!({ "i": { "email": "nia@charity.example.org", "role": "STAFF", "regionId": wales } }),
        )
        .await;
    assert_eq!(
        invited["inviteUser"]["emailedTo"],
        "nia@charity.example.org"
    );
    assert!(
        !invited.to_string().contains("/invitations/accept"),
        "the inviter never sees the link: {invited}"
    );
    let mail = wait_for_mail(&app, "nia@charity.example.org", 1).await;
    let letter = &mail[0];
    assert!(letter.contains("Subject: Your invitation to the partner network"));
    let url = link(letter, "/invitations/accept");
    assert!(
        url.starts_with(&app.url("/invitations/accept?token=")),
        "{url}"
    );
}

#[tokio::test]
async fn a_subscriber_changes_what_they_receive_on_the_page_and_over_the_api() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    confirmed(
        &app,
        "prefs@example.org",
        json!({ "name": "Priya", "topics": ["housing"] }),
    )
    .await;
    publish_update(&app, &w, json!({})).await;
    let mail = wait_for_mail(&app, "prefs@example.org", 2).await;
    let page_link = link(
        mail.last().expect("an update"),
        "/subscriptions/preferences",
    );
    let token = token_of(&page_link);

    let page = app.client.get(&page_link).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("value=\"housing\"")
    );
    let region = w.north_west.clone();
    let saved = app
        .client
        .post(app.url("/subscriptions/preferences"))
        .form(&[
            ("token", token.as_str()),
            ("frequency", "WEEKLY"),
            ("region", region.as_str()),
            ("topics", "Detention, right to work"),
        ])
        .send()
        .await
        .expect("answer");
    assert!(
        saved
            .text()
            .await
            .unwrap_or_default()
            .contains("Your preferences are saved.")
    );
    let data_link = data_token(&app, &token, "prefs@example.org").await;
    let data = app.ok(None, EXPORT_MINE, json!({ "t": data_link })).await;
    let held = &data["exportMySubscriberData"];
    assert_eq!(held["frequency"], "WEEKLY");
    assert_eq!(held["topics"], json!(["detention", "right-to-work"]));
    assert_eq!(held["name"], "Priya", "the page leaves the name alone");

    let changed = app
        .ok(
            None,
            "mutation($t: String!) { updateSubscription(token: $t, input: { frequency: DAILY, topics: [\"Housing\"] }) { frequency topics region { slug } } }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(
        changed["updateSubscription"],
        json!({ "frequency": "DAILY", "topics": ["housing"], "region": null })
    );
    let refused = app
        .gql(
            None,
            "mutation($t: String!) { updateSubscription(token: $t, input: { frequency: DAILY, topics: [\"!!\"] }) { frequency } }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(
        (error_code(&refused), error_field(&refused)),
        ("BAD_USER_INPUT", "topics")
    );
}

const EXPORT: &str =
    "mutation($r: ID) { exportSubscribersCsv(regionId: $r) { filename csv rowCount } }";

/// The rows of an exported CSV, keyed by its header.
fn csv_rows(export: &Value) -> Vec<std::collections::HashMap<String, String>> {
    let text = export["exportSubscribersCsv"]["csv"]
        .as_str()
        .unwrap_or_default();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a CSV record");
            header
                .iter()
                .zip(record.iter())
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_regions_staff_export_its_confirmed_subscribers_as_csv() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    confirmed(
        &app,
        "amina@example.org",
        json!({ "name": "Amina", "regionId": w.north_west, "topics": ["Housing", "detention"],
                "campaignIds": [campaign], "frequency": "WEEKLY" }),
    )
    .await;
    confirmed(
        &app,
        "formula@example.org",
        json!({ "name": "=HYPERLINK(\"http://evil.example\")", "regionId": w.north_west }),
    )
    .await;
    confirmed(&app, "london@example.org", json!({ "regionId": w.london })).await;
    confirmed(&app, "everywhere@example.org", json!({})).await;
    subscribe(
        &app,
        json!({ "email": "pending@example.org", "regionId": w.north_west }),
    )
    .await;

    let export = app
        .ok(
            Some(&w.staff.access_token),
            EXPORT,
            json!({ "r": w.north_west }),
        )
        .await;
    let file = &export["exportSubscribersCsv"];
    assert_eq!(file["rowCount"], 2, "confirmed North West subscribers only");
    let today = app.state.now().format("%Y-%m-%d");
    assert_eq!(
        file["filename"],
        format!("subscribers-north-west-{today}.csv")
    );
    let rows = csv_rows(&export);
    let cell = |row: usize, column: &str| rows[row][column].clone();
    assert_eq!(
        (
            cell(0, "email"),
            cell(0, "name"),
            cell(0, "region"),
            cell(0, "frequency")
        ),
        (
            "amina@example.org".to_owned(),
            "Amina".to_owned(),
            "north-west".to_owned(),
            "WEEKLY".to_owned()
        )
    );
    assert_eq!(
        (
            cell(0, "topics"),
            cell(0, "campaigns"),
            cell(0, "consent_source")
        ),
        (
            "detention; housing".to_owned(),
            "Lift the ban".to_owned(),
            "api".to_owned()
        )
    );
    assert!(!cell(0, "consent_at").is_empty(), "when consent was given");
    assert_eq!(
        (cell(1, "email"), cell(1, "name")),
        (
            "formula@example.org".to_owned(),
            "'=HYPERLINK(\"http://evil.example\")".to_owned()
        ),
        "a name that a spreadsheet would run as a formula is defused"
    );

    let refused = app
        .gql(
            Some(&w.london_staff.access_token),
            EXPORT,
            json!({ "r": w.north_west }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "another region's staff");
    let national = app
        .gql(Some(&w.staff.access_token), EXPORT, json!({ "r": null }))
        .await;
    assert_eq!(
        error_code(&national),
        "FORBIDDEN",
        "no region is the admins' list"
    );
    let national = app
        .ok(Some(&w.admin.access_token), EXPORT, json!({ "r": null }))
        .await;
    let emails: Vec<String> = csv_rows(&national)
        .iter()
        .map(|row| row["email"].clone())
        .collect();
    assert_eq!(emails, ["everywhere@example.org"]);
    let unknown = app
        .gql(
            Some(&w.admin.access_token),
            EXPORT,
            json!({ "r": "999999" }),
        )
        .await;
    assert_eq!(
        (error_code(&unknown), error_field(&unknown)),
        ("BAD_USER_INPUT", "regionId")
    );

    let log = app
        .ok(
            Some(&w.admin.access_token),
            "{ auditLog(first: 5) { edges { node { action targetId detail actor { email } } } } }",
            json!({}),
        )
        .await;
    let exports: Vec<&Value> = log["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| &edge["node"])
        .filter(|node| node["action"] == "subscribers.export")
        .collect();
    assert_eq!(exports.len(), 2, "each export is in the audit log");
    assert_eq!(exports[1]["targetId"], w.north_west);
    assert_eq!(exports[1]["actor"]["email"], "ben@charity.example.org");
}

async fn publish_north_west_briefing(app: &TestApp, w: &World) {
    publish_update(
        app,
        w,
        json!({ "title": "Briefing for North West partners", "audience": "PARTNERS",
                "regionId": w.north_west }),
    )
    .await;
}

#[tokio::test]
async fn partner_members_receive_partners_only_updates_of_their_region_and_national_ones() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    confirmed(
        &app,
        "public@example.org",
        json!({ "regionId": w.north_west }),
    )
    .await;
    publish_north_west_briefing(&app, &w).await;
    publish_update(
        &app,
        &w,
        json!({ "title": "Briefing for every partner", "audience": "PARTNERS" }),
    )
    .await;
    // Each member's first email is their invitation.
    wait_for_mail(&app, "member0@partners.example.org", 3).await;
    wait_for_mail(&app, "member3@partners.example.org", 2).await;
    wait_for_mail(&app, "member4@partners.example.org", 2).await;
    settle(&app).await;
    let titles = |address: &str| -> Vec<&str> {
        let mail = mail_to(&app, address);
        [
            "Briefing for North West partners",
            "Briefing for every partner",
        ]
        .into_iter()
        .filter(|title| mail.iter().any(|text| text.contains(title)))
        .collect()
    };
    assert_eq!(
        titles("member0@partners.example.org"),
        [
            "Briefing for North West partners",
            "Briefing for every partner"
        ]
    );
    assert_eq!(
        titles("member3@partners.example.org"),
        ["Briefing for every partner"]
    );
    assert_eq!(
        titles("member4@partners.example.org"),
        ["Briefing for every partner"]
    );
    assert_eq!(
        ["member0", "member3", "member4"].map(|member| mail_to(
            &app,
            &format!("{member}@partners.example.org")
        )
        .len()),
        [3, 2, 2],
        "one email per update, nothing else"
    );
    assert!(
        titles("public@example.org").is_empty(),
        "the public mailing list does not get partners-only updates"
    );
}

#[tokio::test]
async fn an_erased_address_gets_no_partners_only_updates_either() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let member = "member1@partners.example.org";
    confirmed(&app, member, json!({})).await;
    publish_update(&app, &w, json!({ "title": "For everyone" })).await;
    // The invitation, the confirmation, then the update with the manage links.
    let mail = wait_for_mail(&app, member, 3).await;
    let token = token_of(&link(&mail[2], "/subscriptions/unsubscribe"));
    let data_link = data_token(&app, &token, member).await;
    app.ok(
        None,
        "mutation($t: String!) { eraseSubscriber(token: $t) }",
        json!({ "t": data_link }),
    )
    .await;
    publish_north_west_briefing(&app, &w).await;
    wait_for_mail(&app, "member0@partners.example.org", 2).await;
    settle(&app).await;
    let briefings = mail_to(&app, member)
        .iter()
        .filter(|text| text.contains("Briefing for North West partners"))
        .count();
    assert_eq!(briefings, 0, "the erased address is never mailed again");
}
