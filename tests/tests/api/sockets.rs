//! Websockets hold the line HTTP holds: the session a socket signed in with is checked for
//! every operation and event, and its end (sign-out, deactivation, expiry) reaches the open
//! socket; messages are size-limited; a socket that never says `connection_init` is closed;
//! an operation that cannot run is an `error`.

use chrono::Duration;
use serde_json::{Value, json};
use tests::{Frame, Session, Socket, TestApp, next_frame, send};

use crate::world::world;

const LIVE_UPDATES: &str = "subscription { policyUpdatePublished { title } }";

/// A signed-in socket with a running subscription (id `live`) to policy updates.
async fn watching(app: &TestApp, session: &Session) -> Socket {
    let listening = app.state.events.listeners();
    let mut socket = app
        .socket(json!({ "authorization": format!("Bearer {}", session.access_token) }))
        .await;
    assert_eq!(message(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "live", "type": "subscribe", "payload": { "query": LIVE_UPDATES } }),
    )
    .await;
    // The socket listens for the end of its session, the subscription for updates.
    app.wait_for_listeners(listening + 2).await;
    socket
}

async fn message(socket: &mut Socket) -> Value {
    match next_frame(socket, 10).await {
        Frame::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The running subscription ends with UNAUTHENTICATED, then the socket closes with 4403.
async fn assert_cut_off(socket: &mut Socket) {
    let ended = message(socket).await;
    assert_eq!(ended["type"], "error", "{ended}");
    assert_eq!(ended["id"], "live");
    assert_eq!(ended["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(next_frame(socket, 10).await, Frame::Closed(Some(4403)));
}

#[tokio::test]
async fn deactivating_an_account_ends_its_open_sockets() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut socket = watching(&app, &w.staff).await;
    app.ok(
        Some(&w.admin.access_token),
        "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
        json!({ "id": w.staff.user_id }),
    )
    .await;
    assert_cut_off(&mut socket).await;
}

#[tokio::test]
async fn signing_out_ends_the_sessions_open_socket_and_no_other() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut signed_out = watching(&app, &w.staff).await;
    let mut other = watching(&app, &w.london_staff).await;
    app.ok(
        None,
        "mutation($r: String!) { logout(refreshToken: $r) }",
        json!({ "r": w.staff.refresh_token }),
    )
    .await;
    assert_cut_off(&mut signed_out).await;
    send(
        &mut other,
        json!({ "id": "me", "type": "subscribe", "payload": { "query": "{ me { name } }" } }),
    )
    .await;
    let answer = message(&mut other).await;
    assert_eq!(
        (answer["type"].as_str(), answer["id"].as_str()),
        (Some("next"), Some("me")),
        "another person's socket carries on: {answer}"
    );
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_sockets() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut elsewhere = watching(&app, &w.staff).await;
    let here = app.login("ben@charity.example.org", tests::PASSWORD).await;
    app.ok(
        Some(&here.access_token),
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
        json!({ "c": tests::PASSWORD, "n": "an even longer new password" }),
    )
    .await;
    assert_cut_off(&mut elsewhere).await;
}

#[tokio::test]
async fn after_the_token_expires_operations_are_refused_and_the_socket_closes() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut socket = watching(&app, &w.staff).await;
    send(
        &mut socket,
        json!({ "id": "before", "type": "subscribe", "payload": { "query": "{ me { name } }" } }),
    )
    .await;
    assert_eq!(
        message(&mut socket).await["payload"]["data"]["me"]["name"],
        "Sam Staff"
    );
    assert_eq!(message(&mut socket).await["type"], "complete");

    app.clock.advance(Duration::minutes(16));
    send(
        &mut socket,
        json!({ "id": "after", "type": "subscribe", "payload": { "query": "{ me { name } }" } }),
    )
    .await;
    let mut refusals = Vec::new();
    loop {
        match next_frame(&mut socket, 10).await {
            Frame::Message(message) => refusals.push(message),
            Frame::Closed(code) => {
                assert_eq!(code, Some(4403));
                break;
            }
            Frame::Silence => panic!("the socket stayed open: {refusals:?}"),
        }
    }
    let refused: Vec<(&str, &str)> = refusals
        .iter()
        .map(|message| {
            (
                message["id"].as_str().unwrap_or_default(),
                message["payload"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        refused.contains(&("after", "UNAUTHENTICATED")),
        "the query after expiry is refused: {refusals:?}"
    );
    assert!(
        refusals.iter().all(|message| message["type"] == "error"),
        "nothing runs after expiry: {refusals:?}"
    );
}

#[tokio::test]
async fn a_subscription_that_does_not_validate_is_an_error_not_an_empty_next() {
    let app = TestApp::spawn().await;
    let mut socket = app.socket(json!({})).await;
    assert_eq!(message(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "bad", "type": "subscribe",
                "payload": { "query": "subscription { policyUpdatePublished { noSuchField } }" } }),
    )
    .await;
    let answer = message(&mut socket).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["id"], "bad");
    assert_eq!(
        answer["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(
        next_frame(&mut socket, 1).await,
        Frame::Silence,
        "no `complete` follows an `error`"
    );
}

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed_with_4408() {
    let app = TestApp::spawn().await;
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{}/graphql/ws",
            app.address
        ))
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    assert_eq!(next_frame(&mut socket, 10).await, Frame::Closed(Some(4408)));
}

#[tokio::test]
async fn a_websocket_message_over_the_body_limit_is_refused() {
    let app = TestApp::spawn().await;
    let mut socket = app.socket(json!({})).await;
    assert_eq!(message(&mut socket).await["type"], "connection_ack");
    let aliases = "a: __typename ".repeat(30_000);
    send(
        &mut socket,
        json!({ "id": "huge", "type": "subscribe", "payload": { "query": format!("{{ {aliases} }}") } }),
    )
    .await;
    match next_frame(&mut socket, 10).await {
        Frame::Closed(_) => {}
        other => panic!("a 420 KB message closes the socket, got {other:?}"),
    }
}

#[tokio::test]
async fn doubling_fragments_are_refused_over_the_websocket_too() {
    let app = TestApp::spawn().await;
    let mut socket = app.socket(json!({})).await;
    assert_eq!(message(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "bomb", "type": "subscribe", "payload": { "query": crate::limits::doubling_fragments(25) } }),
    )
    .await;
    let answer = message(&mut socket).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(
        answer["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

#[tokio::test]
async fn a_burst_of_subscriptions_neither_jams_the_socket_nor_runs_without_limit() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut socket = watching(&app, &w.staff).await;
    for n in 0..60 {
        send(
            &mut socket,
            json!({ "id": format!("s{n}"), "type": "subscribe", "payload": { "query": LIVE_UPDATES } }),
        )
        .await;
    }
    let beyond_the_limit = 60 + 1 - api::http::socket::MAX_OPERATIONS;
    for _ in 0..beyond_the_limit {
        let refused = message(&mut socket).await;
        assert_eq!(refused["type"], "error", "{refused}");
        assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    }
    app.ok(
        None,
        "mutation($r: String!) { logout(refreshToken: $r) }",
        json!({ "r": w.staff.refresh_token }),
    )
    .await;
    let mut ended = 0;
    loop {
        match next_frame(&mut socket, 10).await {
            Frame::Message(message) => {
                assert_eq!(
                    message["payload"][0]["extensions"]["code"],
                    "UNAUTHENTICATED"
                );
                ended += 1;
            }
            Frame::Closed(code) => {
                assert_eq!(code, Some(4403), "signing out still closes the socket");
                break;
            }
            Frame::Silence => panic!("the socket jammed and never closed"),
        }
    }
    assert_eq!(
        ended,
        api::http::socket::MAX_OPERATIONS,
        "each running subscription is told the session ended"
    );
}
