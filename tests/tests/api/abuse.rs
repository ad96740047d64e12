//! Sign-in throttling that cannot be raced or turned against its target, mail that cannot be
//! used to flood an address, and races that the database decides.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, PASSWORD, TestApp, error_code};

use crate::world::world;

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";

/// A sign-in from `client` (the address a trusted proxy says it forwarded for).
async fn login_from(app: &TestApp, client: &str, password: &str) -> Value {
    app.client
        .post(app.url("/graphql"))
        .header("x-forwarded-for", client)
        .json(&json!({ "query": LOGIN, "variables": { "e": ADMIN_EMAIL, "p": password } }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn simultaneous_wrong_guesses_are_all_counted_and_the_owner_still_gets_in() {
    let app = TestApp::spawn_with(|settings| {
        settings.trusted_proxies = vec!["127.0.0.1/32".parse().expect("a network")];
    })
    .await;
    app.admin().await;
    let wrong: Vec<String> = (0..12).map(|i| format!("wrong guess {i:02}")).collect();
    let guesses = wrong
        .iter()
        .map(|guess| login_from(&app, "198.51.100.9", guess));
    let answers = join_all(guesses).await;
    let codes: Vec<&str> = answers.iter().map(error_code).collect();
    let wrong = codes
        .iter()
        .filter(|code| **code == "UNAUTHENTICATED")
        .count();
    let limited = codes.iter().filter(|code| **code == "RATE_LIMITED").count();
    assert_eq!(
        (wrong, limited),
        (5, 7),
        "five guesses are checked, the rest refused unchecked: {codes:?}"
    );
    assert_eq!(
        error_code(&login_from(&app, "198.51.100.9", PASSWORD).await),
        "RATE_LIMITED",
        "the guesser's address stays locked out, even with the right password"
    );
    let owner = login_from(&app, "203.0.113.20", PASSWORD).await;
    assert!(
        owner["data"]["login"]["accessToken"].is_string(),
        "the right password from an address with no failures gets through the lock: {owner}"
    );
    assert_eq!(
        error_code(&login_from(&app, "203.0.113.21", "one more wrong guess").await),
        "UNAUTHENTICATED",
        "a new address may try once"
    );
    assert_eq!(
        error_code(&login_from(&app, "203.0.113.21", PASSWORD).await),
        "RATE_LIMITED",
        "and is then treated as a guesser"
    );
}

/// A sign-in through a proxy that added its own `X-Forwarded-For` line after the client's.
async fn login_through(app: &TestApp, lines: [&str; 2], password: &str) -> Value {
    app.client
        .post(app.url("/graphql"))
        .header("x-forwarded-for", lines[0])
        .header("x-forwarded-for", lines[1])
        .json(&json!({ "query": LOGIN, "variables": { "e": ADMIN_EMAIL, "p": password } }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

fn behind_a_proxy() -> impl FnOnce(&mut api::config::Settings) {
    |settings| settings.trusted_proxies = vec!["127.0.0.1/32".parse().expect("a network")]
}

#[tokio::test]
async fn a_guesser_with_many_networks_gets_a_few_passes_through_a_lock_then_none() {
    let app = TestApp::spawn_with(behind_a_proxy()).await;
    app.admin().await;
    for _ in 0..5 {
        login_from(&app, "198.51.100.9", "wrong guess").await;
    }
    for n in 1..=5 {
        assert_eq!(
            error_code(&login_from(&app, &format!("203.0.113.{n}"), "wrong guess").await),
            "UNAUTHENTICATED",
            "a network with no failures may try once through the lock"
        );
    }
    assert_eq!(
        error_code(&login_from(&app, "203.0.113.6", "wrong guess").await),
        "RATE_LIMITED",
        "after five passes in the window the lock holds for every network"
    );
}

#[tokio::test]
async fn every_address_in_one_ipv6_network_counts_as_one_client() {
    let app = TestApp::spawn_with(behind_a_proxy()).await;
    app.admin().await;
    for n in 1..=5 {
        login_from(&app, &format!("2001:db8:1:2::{n}"), "wrong guess").await;
    }
    assert_eq!(
        error_code(&login_from(&app, "2001:db8:1:2::99", PASSWORD).await),
        "RATE_LIMITED",
        "a fresh address in the guesser's /64 is the guesser"
    );
    let owner = login_from(&app, "2001:db8:1:3::1", PASSWORD).await;
    assert!(
        owner["data"]["login"]["accessToken"].is_string(),
        "another network gets through the lock: {owner}"
    );
}

#[tokio::test]
async fn a_client_cannot_choose_its_address_in_a_header_line_of_its_own() {
    let app = TestApp::spawn_with(behind_a_proxy()).await;
    app.admin().await;
    for n in 1..=5 {
        let spoofed = format!("192.0.2.{n}");
        login_through(&app, [&spoofed, "198.51.100.7"], "wrong guess").await;
    }
    assert_eq!(
        error_code(&login_through(&app, ["192.0.2.77", "198.51.100.7"], PASSWORD).await),
        "RATE_LIMITED",
        "every guess came from the address the proxy saw, whatever the client wrote"
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let app = TestApp::spawn().await;
    app.admin().await;
    for i in 0..5 {
        login_from(&app, &format!("198.51.100.{i}"), "wrong guess").await;
    }
    assert_eq!(
        error_code(&login_from(&app, "203.0.113.99", PASSWORD).await),
        "RATE_LIMITED",
        "with no trusted proxy the header is ignored: every guess came from one address"
    );
}

#[tokio::test]
async fn one_address_may_try_passwords_only_so_often() {
    let app = TestApp::spawn_with(|settings| {
        settings.password_attempts_per_minute = std::num::NonZeroU32::new(3).expect("not zero");
    })
    .await;
    app.admin().await;
    for _ in 0..2 {
        app.login(ADMIN_EMAIL, PASSWORD).await;
    }
    let fourth = app
        .gql(None, LOGIN, json!({ "e": ADMIN_EMAIL, "p": PASSWORD }))
        .await;
    assert_eq!(error_code(&fourth), "RATE_LIMITED", "{fourth}");
    assert!(fourth["errors"][0]["extensions"]["retryAfterSeconds"].is_number());
}

#[tokio::test]
async fn subscribing_a_confirmed_address_again_mails_it_once_a_day_at_most() {
    let app = TestApp::spawn().await;
    crate::mailing::confirmed(&app, "known@example.org", json!({})).await;
    let before = app.mail_to("known@example.org").len();
    let mut answers = BTreeSet::new();
    for _ in 0..4 {
        let answer = crate::mailing::subscribe(&app, json!({ "email": "known@example.org" })).await;
        answers.insert(answer.to_string());
    }
    let fresh = crate::mailing::subscribe(&app, json!({ "email": "fresh@example.org" })).await;
    answers.insert(fresh.to_string());
    assert_eq!(answers.len(), 1, "the answer never says which case applied");
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("known@example.org").len(),
        before + 1,
        "one 'already subscribed' notice, however often it is asked for"
    );
    app.clock.advance(chrono::Duration::hours(25));
    crate::mailing::subscribe(&app, json!({ "email": "known@example.org" })).await;
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("known@example.org").len(),
        before + 2,
        "a day later, one more"
    );
}

#[tokio::test]
async fn simultaneous_subscriptions_of_one_address_make_one_subscriber() {
    let app = TestApp::spawn().await;
    let attempts =
        (0..10).map(|_| crate::mailing::subscribe(&app, json!({ "email": "twice@example.org" })));
    for answer in join_all(attempts).await {
        assert!(answer["errors"].is_null(), "{answer}");
    }
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("twice@example.org").len(),
        1,
        "one confirmation request"
    );
}

#[tokio::test]
async fn simultaneous_invitations_to_one_address_leave_one_waiting() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let invitations = (0..6).map(|_| {
        app.gql(
            Some(&admin.access_token),
            "mutation { inviteUser(input: { email: \"race@charity.example.org\", role: ADMIN }) { id } }",
            json!({}),
        )
    });
    for answer in join_all(invitations).await {
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let listed = app
        .ok(
            Some(&admin.access_token),
            "{ invitations(first: 20) { edges { node { email status } } } }",
            json!({}),
        )
        .await;
    let waiting = listed["invitations"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|edge| edge["node"]["status"] == "PENDING")
        .count();
    assert_eq!(waiting, 1, "{listed}");
}

#[tokio::test]
async fn simultaneous_opt_ins_are_announced_with_every_count_once() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let listening = app.state.events.listeners();
    let mut socket = app
        .subscribe(
            Some(&w.staff.access_token),
            "subscription($a: ID!) { jointActionOptInsChanged(actionId: $a) { optInCount } }",
            json!({ "a": action }),
        )
        .await;
    app.wait_for_listeners(listening + 2).await;
    let opt_ins = (0..5).map(|member| w.opt_in(&app, member, &action, None));
    join_all(opt_ins).await;
    let mut counts = Vec::new();
    for _ in 0..5 {
        let event = tests::next(&mut socket).await;
        counts.push(event["payload"]["data"]["jointActionOptInsChanged"]["optInCount"].clone());
    }
    counts.sort_by_key(|count| count.as_u64());
    assert_eq!(counts, [1, 2, 3, 4, 5].map(Value::from));
}

#[tokio::test]
async fn simultaneous_enquiries_from_one_address_are_held_to_three_an_hour() {
    let app = TestApp::spawn().await;
    let asks = (0..6).map(|n| {
        app.gql(
            None,
            "mutation($i: RequestPartnershipInput!) { requestPartnership(input: $i) { message } }",
            json!({ "i": { "organisationName": format!("Group {n}"), "contactName": "Ann",
                           "contactEmail": "ann@flood.example.org", "message": "May we join?" } }),
        )
    });
    for answer in join_all(asks).await {
        assert!(
            answer["errors"].is_null(),
            "the answer never tells: {answer}"
        );
    }
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("ann@flood.example.org").len(),
        3,
        "an address is sent at most three confirmation requests an hour, however they arrive"
    );
}
