//! What hostile clients found and what the server does now: documents that expand
//! exponentially, aliases that multiply counts, requests errors that must carry no `data`,
//! bodies and headers sent forever.

use std::time::Duration as StdDuration;

use serde_json::{Value, json};
use tests::{TestApp, error_code};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `fragment F1 on Query {...F0 ...F0} … fragment Fk on Query {...F(k-1) ...F(k-1)}
/// query {...Fk}`: a few hundred bytes that expand to 2^k fields.
pub fn doubling_fragments(k: usize) -> String {
    let mut document = String::from("fragment F0 on Query { __typename } ");
    for i in 1..=k {
        document.push_str(&format!(
            "fragment F{i} on Query {{ ...F{p} ...F{p} }} ",
            p = i - 1
        ));
    }
    document.push_str(&format!("query {{ ...F{k} }}"));
    document
}

async fn raw_post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_document_whose_fragments_double_is_refused_before_it_runs() {
    let app = TestApp::spawn().await;
    let bomb = doubling_fragments(25);
    assert!(bomb.len() < 1_500, "the document is small: {}", bomb.len());
    let started = app.statements();
    let (status, body) = raw_post(&app, json!({ "query": bomb })).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(body.get("data").is_none(), "nothing ran: {body}");
    assert_eq!(app.statements(), started, "no statement ran for it");
    let health = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn counts_cost_something_whatever_first_says() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..4_000)
        .map(|i| format!("p{i}: partners(first: 0) {{ totalCount }} "))
        .collect();
    let started = app.statements();
    let (status, body) = raw_post(&app, json!({ "query": format!("{{ {aliases} }}") })).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert_eq!(app.statements(), started, "no COUNT ran");

    // Under the alias limit, `first: 0` is still charged for the rows it would nest.
    let nested: String = (0..60)
        .map(|i| {
            format!(
                "p{i}: partners(first: 0) {{ totalCount edges {{ node {{
                    jointActionHistory(first: 100) {{ edges {{ node {{ note partner {{ name }} }} }} }} }} }} }} "
            )
        })
        .collect();
    let (_, body) = raw_post(&app, json!({ "query": format!("{{ {nested} }}") })).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("complex")),
        "{body}"
    );
}

#[tokio::test]
async fn request_errors_carry_no_data_key() {
    let app = TestApp::spawn().await;
    let (status, parse) = raw_post(&app, json!({ "query": "{ regions { slug " })).await;
    assert_eq!((status, error_code(&parse)), (400, "GRAPHQL_PARSE_FAILED"));
    assert!(parse.get("data").is_none(), "{parse}");

    let (status, invalid) = raw_post(&app, json!({ "query": "{ noSuchField }" })).await;
    assert_eq!(
        (status, error_code(&invalid)),
        (400, "GRAPHQL_VALIDATION_FAILED")
    );
    assert!(invalid.get("data").is_none(), "{invalid}");

    let over_get = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { logout(refreshToken: \"x\") }")])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .expect("answer");
    assert_eq!(over_get.status(), 405);
    let over_get: Value = over_get.json().await.expect("JSON");
    assert!(over_get.get("data").is_none(), "{over_get}");
    assert_eq!(error_code(&over_get), "BAD_USER_INPUT");

    let refused = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth("forged")
        .json(&json!({ "query": "{ regions { slug } }" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 401);
    let refused: Value = refused.json().await.expect("JSON");
    assert!(refused.get("data").is_none(), "{refused}");
    assert_eq!(error_code(&refused), "UNAUTHENTICATED");

    let (_, executed) = raw_post(&app, json!({ "query": "{ me { name } }" })).await;
    assert!(
        executed.get("data").is_some(),
        "a field error is not a request error: {executed}"
    );
}

#[tokio::test]
async fn errors_are_short_and_rightly_labelled() {
    let app = TestApp::spawn().await;
    let query = "{ regions { slug } secretWordThatMustNotBeEchoed(";
    let (_, body) = raw_post(&app, json!({ "query": query })).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");
    assert!(
        !message.contains("secretWordThatMustNotBeEchoed"),
        "the query is not echoed: {message}"
    );
    assert!(!message.contains('\n'), "one line: {message}");

    let deep = format!("{}{}", "{ regions ".repeat(40), "}".repeat(40));
    let (_, body) = raw_post(&app, json!({ "query": deep })).await;
    assert_eq!(
        error_code(&body),
        "GRAPHQL_VALIDATION_FAILED",
        "too deep is a limit, not a syntax error: {body}"
    );
}

#[tokio::test]
async fn a_request_may_check_one_password_at_most() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let aliased: String = (0..3)
        .map(|i| {
            format!(
                "a{i}: login(email: \"{}\", password: \"{}\") {{ accessToken }} ",
                tests::ADMIN_EMAIL,
                tests::PASSWORD
            )
        })
        .collect();
    let (status, body) = raw_post(
        &app,
        json!({ "query": format!("mutation {{ {aliased} }}") }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );

    let through_fragments = "fragment Twice on Mutation { a: acceptInvitation(token: \"t\", name: \"n\", password: \"a long enough password\") { accessToken }
        b: login(email: \"x@example.org\", password: \"a long enough password\") { accessToken } }
        mutation { ...Twice }";
    let (_, body) = raw_post(&app, json!({ "query": through_fragments })).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    let one = format!(
        "mutation {{ login(email: \"{}\", password: \"{}\") {{ accessToken }} }}",
        tests::ADMIN_EMAIL,
        tests::PASSWORD
    );
    let (status, body) = raw_post(&app, json!({ "query": one })).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn form_pages_read_no_more_than_the_body_limit() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(1024 * 1024);
    for path in [
        "/invitations/accept",
        "/subscriptions/confirm",
        "/subscriptions/preferences",
    ] {
        let answer = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={huge}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status(), 413, "{path}");
    }
}

#[tokio::test]
async fn a_client_that_dawdles_over_its_headers_is_cut_off() {
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: example.org\r\n")
        .await
        .expect("write");
    let dawdling = async {
        for _ in 0..30 {
            tokio::time::sleep(StdDuration::from_secs(1)).await;
            if stream.write_all(b"X-Slow: a\r\n").await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(StdDuration::from_secs(20), dawdling).await;
    let mut answer = Vec::new();
    let read =
        tokio::time::timeout(StdDuration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server closed the connection instead of waiting for the headers forever"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains("\"ok\""),
        "the request was never served"
    );
}

#[tokio::test]
async fn a_request_whose_body_never_arrives_gets_408() {
    let app = TestApp::spawn_with(|settings| {
        settings.request_timeout_seconds = std::num::NonZeroU32::MIN;
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.address)
        .await
        .expect("connect");
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: example.org\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\":",
        )
        .await
        .expect("write");
    let mut answer = Vec::new();
    let read =
        tokio::time::timeout(StdDuration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server gave up waiting for the body");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let app = TestApp::spawn_with(|settings| {
        settings.max_connections = std::num::NonZeroU32::new(2).expect("not zero");
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(app.address)
            .await
            .expect("connect");
        // A request served keeps its connection open (and its slot taken) for the next.
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: example.org\r\n\r\n")
            .await
            .expect("write");
        let mut first = [0u8; 12];
        stream.read_exact(&mut first).await.expect("an answer");
        assert_eq!(&first, b"HTTP/1.1 200");
        idle.push(stream);
    }
    let client = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(1))
        .build()
        .expect("a client");
    let waiting = client.get(app.url("/health")).send().await;
    assert!(
        waiting.is_err(),
        "a third connection is not served while two hold the slots"
    );
    idle.clear();
    let served = client
        .get(app.url("/health"))
        .timeout(StdDuration::from_secs(5))
        .send()
        .await
        .expect("served once a slot is free");
    assert_eq!(served.status(), 200);
}
