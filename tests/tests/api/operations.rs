//! What operators see: `/metrics` in Prometheus' text format (behind its token, or on its own
//! address), and log lines as JSON that carry each request's id and no personal data.

use std::{
    io::Read,
    net::SocketAddr,
    process::{Child, Stdio},
    time::Duration,
};

use serde_json::{Value, json};
use tests::{PASSWORD, TestApp};

const METRICS_TOKEN: &str = "a metrics token that operators keep to themselves";

async fn scrape(app: &TestApp, address: SocketAddr, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("http://{address}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("an answer")
}

/// The value of the first sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_answer_only_the_token() {
    let app = TestApp::spawn_with(|settings| {
        settings.metrics_token = Some(METRICS_TOKEN.to_owned());
    })
    .await;
    let without = scrape(&app, app.address, None).await;
    assert_eq!(without.status(), 401);
    assert_eq!(without.headers()["www-authenticate"], "Bearer");
    let wrong = scrape(&app, app.address, Some("a guess")).await;
    assert_eq!(wrong.status(), 401);
    let right = scrape(&app, app.address, Some(METRICS_TOKEN)).await;
    assert_eq!(right.status(), 200);
    assert!(
        right.headers()["content-type"]
            .to_str()
            .is_ok_and(|kind| kind.starts_with("text/plain; version=0.0.4"))
    );
}

/// Sends `query` under `operationName`, as GraphiQL and most client libraries do.
async fn named(app: &TestApp, operation: &str, query: &str) -> Value {
    app.client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "operationName": operation }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn metrics_count_requests_mail_sockets_and_workers() {
    let app = TestApp::spawn_with(|settings| {
        settings.metrics_token = Some(METRICS_TOKEN.to_owned());
    })
    .await;
    for _ in 0..3 {
        let probe = named(
            &app,
            "MetricsProbe",
            "query MetricsProbe { regions { name } }",
        )
        .await;
        assert!(probe["errors"].is_null(), "{probe}");
    }
    let refused = named(
        &app,
        "MetricsRefused",
        "query MetricsRefused { auditLog(first: 1) { edges { cursor } } }",
    )
    .await;
    let code = refused["errors"][0]["extensions"]["code"]
        .as_str()
        .expect("an error code")
        .to_owned();
    app.ok(
        None,
        "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }",
        json!({ "i": { "email": "metrics@example.org" } }),
    )
    .await;
    app.wait_for_mail("metrics@example.org", 1).await;
    let _socket = app.socket(json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let text = scrape(&app, app.address, Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .expect("the figures");
    let count =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} in\n{text}"));
    assert!(count(r#"graphql_requests_total{operation="MetricsProbe",outcome="ok"}"#) >= 3.0);
    assert!(
        count(&format!(
            r#"graphql_requests_total{{operation="MetricsRefused",outcome="{code}"}}"#
        )) >= 1.0
    );
    assert!(count(r#"graphql_request_duration_seconds_count{operation="MetricsProbe"}"#) >= 3.0);
    assert!(
        text.contains(
            r#"graphql_request_duration_seconds_bucket{operation="MetricsProbe",le="0.005"}"#
        ),
        "latency is a histogram with buckets"
    );
    assert!(count(r#"http_requests_total{status="200"}"#) >= 4.0);
    assert!(count(r#"emails_total{outcome="sent"}"#) >= 1.0);
    assert!(count("emails_queued ") >= 0.0);
    assert!(count("emails_oldest_queued_age_seconds ") >= 0.0);
    assert!(count("websocket_connections ") >= 1.0, "our socket is open");
    assert!(count(r#"db_pool_connections{state="in_use"}"#) >= 0.0);
    assert!(count(r#"db_pool_connections{state="idle"}"#) >= 0.0);
    assert_eq!(count("db_pool_max_connections "), 16.0);
    let sent_at = count(r#"worker_last_run_timestamp_seconds{worker="mail_sender"}"#);
    assert!(
        sent_at >= app.state.now().timestamp() as f64 - 60.0,
        "the mail worker ran just now"
    );
    assert!(count(r#"worker_last_run_timestamp_seconds{worker="retention"}"#) > 0.0);
}

#[tokio::test]
async fn a_waiting_email_shows_its_age() {
    let app = TestApp::spawn_with(|settings| {
        settings.metrics_token = Some(METRICS_TOKEN.to_owned());
        settings.mail_worker = false;
    })
    .await;
    app.ok(
        None,
        "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }",
        json!({ "i": { "email": "waiting@example.org" } }),
    )
    .await;
    app.clock.advance(chrono::Duration::minutes(7));
    let text = scrape(&app, app.address, Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .expect("the figures");
    // Other tests in this process share the recorder, but only this one stops its worker and
    // scrapes: the gauges are this instance's database as read just now.
    assert_eq!(sample(&text, "emails_queued "), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "emails_oldest_queued_age_seconds "),
        Some(420.0)
    );
}

#[tokio::test]
async fn without_a_token_or_an_address_there_are_no_metrics() {
    let app = TestApp::spawn().await;
    assert_eq!(scrape(&app, app.address, None).await.status(), 404);
}

#[tokio::test]
async fn metrics_addr_serves_them_apart_from_the_api() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let app = TestApp::spawn_with(|settings| {
        settings.metrics_addr = Some(port);
        settings.metrics_token = Some(METRICS_TOKEN.to_owned());
    })
    .await;
    assert_eq!(
        scrape(&app, app.address, Some(METRICS_TOKEN))
            .await
            .status(),
        404,
        "not on the API's address"
    );
    assert_eq!(
        scrape(&app, port, None).await.status(),
        401,
        "the token still counts"
    );
    let answer = scrape(&app, port, Some(METRICS_TOKEN)).await;
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .text()
            .await
            .expect("figures")
            .contains("db_pool_max_connections")
    );
}

/// The server as its own process, logging JSON; what it writes is read as it comes (a full
/// pipe would stop the server), and it is killed when dropped.
struct LoggingServer {
    child: Child,
    address: SocketAddr,
    readers: Vec<std::thread::JoinHandle<String>>,
}

impl Drop for LoggingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

impl LoggingServer {
    async fn start(app: &TestApp) -> Self {
        let address = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let mut child = crate::cli::cli(app, &["serve"])
            .env("BIND_ADDR", address.to_string())
            .env("PUBLIC_URL", format!("http://{address}/"))
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            // The test stands in for a proxy in front, whose request ids are kept.
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let readers = [
            child.stdout.take().map(read_all),
            child.stderr.take().map(read_all),
        ]
        .into_iter()
        .flatten()
        .collect();
        let server = Self {
            child,
            address,
            readers,
        };
        for _ in 0..100 {
            if app
                .client
                .get(format!("http://{address}/health"))
                .send()
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not come up");
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::take(&mut self.readers)
            .into_iter()
            .map(|reader| reader.join().unwrap_or_default())
            .collect()
    }
}

#[tokio::test]
async fn a_request_id_from_a_client_that_is_not_a_trusted_proxy_is_replaced() {
    let app = TestApp::spawn().await;
    let answer = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "chosen-by-the-client")
        .send()
        .await
        .expect("an answer");
    let id = answer.headers()["x-request-id"].to_str().expect("an id");
    assert_ne!(id, "chosen-by-the-client");
    assert_eq!(id.len(), 24);
}

#[tokio::test]
async fn json_logs_carry_request_ids_and_no_personal_data() {
    let app = TestApp::spawn().await;
    let admin_email = "logs.admin@charity.example.org";
    app.admin_with_email(admin_email).await;
    let server = LoggingServer::start(&app).await;
    let at = server.address;

    let signed_in = app
        .gql_at(
            at,
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
                accessToken refreshToken } }",
            json!({ "e": admin_email, "p": PASSWORD }),
        )
        .await;
    let access = signed_in["data"]["login"]["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let refresh = signed_in["data"]["login"]["refreshToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let wrong_password = "not the password at all";
    let refused = app
        .gql_at(
            at,
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": admin_email, "p": wrong_password }),
        )
        .await;
    assert!(refused["errors"].is_array());
    let yorkshire = app.region_id("yorkshire-and-humber").await;
    let phone = "+44 113 496 0777";
    let partner_email = "contact@logs-partner.example.org";
    let created = app
        .gql_at(
            at,
            Some(&access),
            "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
            json!({ "i": { "name": "Logs Partner", "kind": "CHARITY", "regionId": yorkshire,
                           "town": "Leeds", "contactName": "Lee Logs",
                           "contactEmail": partner_email, "contactPhone": phone } }),
        )
        .await;
    assert!(created["errors"].is_null(), "{created}");
    let invited_email = "invited.staff@charity.example.org";
    let invited = app
        .gql_at(
            at,
            Some(&access),
            "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            json!({ "i": { "email": invited_email, "role": "STAFF", "regionId": yorkshire } }),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");
    let subscriber_email = "reader@logs.example.org";
    app.gql_at(
        at,
        None,
        "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }",
        json!({ "i": { "email": subscriber_email } }),
    )
    .await;
    app.gql_at(at, Some("not-a-real-token"), "{ me { id } }", json!({}))
        .await;
    app.gql_at(
        at,
        None,
        "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
        json!({ "t": refresh }),
    )
    .await;
    let traced = app
        .client
        .get(format!("http://{at}/health"))
        .header("x-request-id", "trace-me-7")
        .send()
        .await
        .expect("an answer");
    assert_eq!(traced.headers()["x-request-id"], "trace-me-7");
    let fresh = app
        .client
        .get(format!("http://{at}/health"))
        .send()
        .await
        .expect("an answer");
    let fresh_id = fresh.headers()["x-request-id"]
        .to_str()
        .expect("an id")
        .to_owned();
    assert_eq!(
        fresh_id.len(),
        24,
        "a new id for a request that brings none"
    );
    let forged = app
        .client
        .get(format!("http://{at}/health"))
        .header("x-request-id", "a\"b")
        .send()
        .await
        .expect("an answer");
    assert_ne!(
        forged.headers()["x-request-id"],
        "a\"b",
        "an unsafe id is replaced"
    );
    // The mail worker has had time to write its emails (and log about it).
    tokio::time::sleep(Duration::from_millis(500)).await;

    let logged = server.stop();
    let lines: Vec<Value> = logged
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "request")
        .collect();
    assert!(requests.len() >= 10, "each request has its line: {logged}");
    assert!(
        requests
            .iter()
            .all(|line| line["request_id"].as_str().is_some_and(|id| !id.is_empty())),
        "every request line has its id"
    );
    assert!(
        requests
            .iter()
            .any(|line| line["request_id"] == "trace-me-7")
    );
    assert!(
        requests
            .iter()
            .any(|line| line["request_id"] == fresh_id.as_str())
    );
    for secret in [
        admin_email,
        PASSWORD,
        wrong_password,
        &access,
        &refresh,
        partner_email,
        phone,
        "496 0777",
        invited_email,
        subscriber_email,
        "not-a-real-token",
    ] {
        assert!(
            !logged.contains(secret),
            "the logs hold {secret}:\n{logged}"
        );
    }
}
