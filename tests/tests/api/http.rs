use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tests::{TestApp, error_code};
use tokio_tungstenite::tungstenite::Message;

/// The introspection query GraphiQL sends on start-up (nine levels of `ofType`).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (u16, Option<String>, Value) {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        content_type,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let health: Value = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    let ready = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .expect("answer");
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.expect("json")["status"],
        "ready"
    );
}

#[tokio::test]
async fn queries_work_over_get_and_mutations_do_not() {
    let app = TestApp::spawn().await;
    let query = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ regions { slug } }")])
        .send()
        .await
        .expect("answer");
    assert_eq!(query.status(), 200);
    assert_eq!(
        query.json::<Value>().await.expect("json")["data"]["regions"][0]["slug"],
        "west-midlands"
    );

    let mutation = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { logout(refreshToken: \"x\") }")])
        .send()
        .await
        .expect("answer");
    assert_eq!(mutation.status(), 405);
    assert_eq!(
        mutation
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );

    let named = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query Q { regions { slug } } mutation M { logout(refreshToken: \"x\") }",
            ),
            ("operationName", "M"),
        ])
        .send()
        .await
        .expect("answer");
    let status = named.status();
    let body = named.text().await.unwrap_or_default();
    assert_eq!(status, 405, "the named operation decides: {body}");

    let named_query = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "mutation M { logout(refreshToken: \"x\") } query Q { regions { slug } }",
            ),
            ("operationName", "Q"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(named_query.status(), 200);
    assert_eq!(
        named_query.json::<Value>().await.expect("json")["data"]["regions"][5]["slug"],
        "london",
        "the named query runs, though a mutation comes first"
    );
}

#[tokio::test]
async fn the_answer_format_follows_the_accept_header() {
    let app = TestApp::spawn().await;
    let ok = json!({ "query": "{ regions { slug } }" });
    let (_, content_type, _) =
        post(&app, Some("application/graphql-response+json"), ok.clone()).await;
    assert_eq!(
        content_type.as_deref(),
        Some("application/graphql-response+json")
    );
    let (_, content_type, _) = post(&app, Some("application/json"), ok.clone()).await;
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let (_, content_type, _) = post(&app, Some("*/*"), ok.clone()).await;
    assert_eq!(
        content_type.as_deref(),
        Some("application/graphql-response+json")
    );
    let (status, _, _) = post(&app, Some("text/plain"), ok).await;
    assert_eq!(status, 406);
}

#[tokio::test]
async fn documents_that_do_not_parse_or_validate_are_client_errors() {
    let app = TestApp::spawn().await;
    let graphql_response = Some("application/graphql-response+json");
    let (status, _, body) = post(&app, graphql_response, json!({ "query": "{ regions { " })).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");
    let (status, _, body) = post(
        &app,
        graphql_response,
        json!({ "query": "{ regions { nope } }" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    // The older application/json convention answers 200 with the errors.
    let (status, _, body) = post(
        &app,
        Some("application/json"),
        json!({ "query": "{ regions { nope } }" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    // A field error is not a request error.
    let (status, _, body) = post(&app, graphql_response, json!({ "query": "{ me { id } }" })).await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn bodies_that_are_not_graphql_requests_are_refused() {
    let app = TestApp::spawn().await;
    let not_json = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{ this is not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(not_json.status(), 400);
    let wrong_type = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{ regions { slug } }")
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong_type.status(), 415);
    let too_big = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!("{{ regions {{ slug }} }} # {}", "x".repeat(300 * 1024)) }))
        .send()
        .await
        .expect("answer");
    assert_eq!(too_big.status(), 413);
}

#[tokio::test]
async fn browsers_get_graphiql_from_the_server_itself() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("data-subscriptions=\"/graphql/ws\""));
    let files: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("/explorer/"))
        .collect();
    assert_eq!(files.len(), 6, "two stylesheets and four scripts: {html}");
    assert!(
        !html.contains("//cdn") && !html.contains("https://"),
        "no outside address"
    );
    for file in files {
        let answer = app.client.get(app.url(file)).send().await.expect("a file");
        assert_eq!(answer.status(), 200, "{file}");
        assert_eq!(
            answer.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{file} is kept by its hash"
        );
        let old_copy = file.replacen("/explorer/", "/explorer/0", 1);
        let stale = app
            .client
            .get(app.url(&old_copy))
            .send()
            .await
            .expect("answer");
        assert_eq!(
            stale.status(),
            404,
            "another hash is not this file: {old_copy}"
        );
    }
}

#[tokio::test]
async fn graphiqls_introspection_passes_the_limits() {
    let app = TestApp::spawn().await;
    let (status, _, body) = post(
        &app,
        Some("application/graphql-response+json"),
        json!({ "query": INTROSPECTION }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn queries_that_are_too_deep_or_too_costly_are_refused() {
    let app = TestApp::spawn().await;
    let mut deep = String::from("name");
    for _ in 0..6 {
        deep = format!("partners(first: 1) {{ edges {{ node {{ region {{ {deep} }} }} }} }}");
    }
    let (status, _, body) = post(
        &app,
        Some("application/graphql-response+json"),
        json!({ "query": format!("{{ {deep} }}") }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deep"),
        "{body}"
    );

    let costly = "{ partners(first: 100) { edges { node { region { partners(first: 100) {
        edges { node { region { partners(first: 100) { edges { node { name } } } } } } } } } } } }";
    let (status, _, body) = post(
        &app,
        Some("application/graphql-response+json"),
        json!({ "query": costly }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("complex"),
        "{body}"
    );
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": "{ regions { slug } }" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
}

async fn next_json(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<Value> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .ok()??
        {
            Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn websocket_clients_sign_in_with_connection_init() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut socket = app
        .socket(json!({ "authorization": format!("Bearer {}", admin.access_token) }))
        .await;
    assert_eq!(
        next_json(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ me { email } }" } })
                .to_string(),
        ))
        .await
        .expect("send");
    let next = next_json(&mut socket).await.expect("result");
    assert_eq!(next["type"], "next");
    assert_eq!(next["payload"]["data"]["me"]["email"], tests::ADMIN_EMAIL);
}

#[tokio::test]
async fn websocket_clients_without_a_token_are_anonymous() {
    let app = TestApp::spawn().await;
    let mut socket = app.socket(json!({})).await;
    assert_eq!(
        next_json(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ me { email } }" } })
                .to_string(),
        ))
        .await
        .expect("send");
    let next = next_json(&mut socket).await.expect("result");
    assert_eq!(
        next["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn websocket_clients_with_a_bad_token_are_turned_away() {
    let app = TestApp::spawn().await;
    let mut socket = app
        .socket(json!({ "authorization": "Bearer forged" }))
        .await;
    let answer = next_json(&mut socket).await;
    assert!(
        answer
            .as_ref()
            .is_none_or(|message| message["type"] != "connection_ack"),
        "no acknowledgement: {answer:?}"
    );
}

#[tokio::test]
async fn pages_load_nothing_foreign_and_keep_their_tokens_to_themselves() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/training/confirm?token=a-secret-token"))
        .send()
        .await
        .expect("the page");
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let policy = header("content-security-policy");
    for rule in [
        "default-src 'none'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(rule), "{rule} in {policy}");
    }
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(
        header("cache-control"),
        "no-store",
        "an address with a token is not kept by caches"
    );
    let html = page.text().await.expect("a body");
    assert!(
        !html.contains("<style") && !html.contains("<script"),
        "nothing inline for the policy to refuse"
    );
    assert!(html.contains("href=\"/assets/page.css\""));
    let css = app
        .client
        .get(app.url("/assets/page.css"))
        .send()
        .await
        .expect("the stylesheet");
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .is_ok_and(|kind| kind.starts_with("text/css"))
    );
    let explorer = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GraphiQL");
    let policy = explorer.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    for rule in [
        "default-src 'none'",
        "script-src 'self';",
        "connect-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(
            policy.contains(rule),
            "the explorer's policy has {rule}: {policy}"
        );
    }
    assert_eq!(explorer.headers()["referrer-policy"], "no-referrer");
    let html = explorer.text().await.expect("the page");
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "the explorer has no inline script or style either"
    );
}
