//! A real browser (headless Chromium, driven through ChromeDriver) opens the confirmation
//! link from the email, sees a button, presses it and sees the subscription confirmed; a
//! plain visit to the link confirms nothing.
//!
//! Chromium and ChromeDriver come from Debian (`chromium`, `chromium-driver`); `.ci/run`
//! installs them and sets `REQUIRE_BROWSER=1`, so there the test cannot be skipped. On a
//! machine without them the test says so and does nothing.

use std::{process::Stdio, time::Duration};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use tests::TestApp;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// ChromeDriver on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but {CHROMEDRIVER} is missing"
        );
        eprintln!("skipped: install chromium and chromium-driver to run the browser test");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    // From here the driver is stopped (killed and waited for) whenever it is dropped.
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..50 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer");
}

/// A headless Chromium that can reach this machine only: every other host is unknown to it,
/// and anything it would still try to fetch goes to a proxy that does not exist.
async fn open_browser(driver: &Driver) -> fantoccini::Client {
    // Two TLS backends are linked in (the database driver's and the WebDriver client's), so
    // the process must be told which one to use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({ "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--no-first-run", "--disable-sync",
                         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                         "--proxy-server=http://127.0.0.1:9"] }),
    );
    ClientBuilder::rustls()
        .expect("a TLS setup")
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// The confirmation link in the first email to `address`, read as the raw `.eml` file.
async fn confirmation_link(app: &TestApp, address: &str) -> String {
    for _ in 0..100 {
        let files = std::fs::read_dir(app.dir.path().join("mail"))
            .map(|entries| entries.filter_map(Result::ok).collect::<Vec<_>>())
            .unwrap_or_default();
        for file in files {
            let raw = std::fs::read(file.path()).unwrap_or_default();
            let Some(message) = mail_parser::MessageParser::default().parse(&raw[..]) else {
                continue;
            };
            let to_address = message
                .to()
                .and_then(|to| to.first())
                .and_then(|to| to.address())
                .unwrap_or_default()
                .to_owned();
            let text = message.body_text(0).unwrap_or_default().into_owned();
            if to_address == address
                && let Some(link) = text
                    .split_whitespace()
                    .find(|word| word.contains("/subscriptions/confirm?token="))
            {
                return link.to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no confirmation email to {address}");
}

#[tokio::test]
async fn a_browser_confirms_by_pressing_the_button_and_a_plain_visit_does_not() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.ok(
        None,
        "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }",
        json!({ "i": { "email": "browser@example.org" } }),
    )
    .await;
    let link = confirmation_link(&app, "browser@example.org").await;

    let browser = open_browser(&driver).await;
    browser.goto(&link).await.expect("the page opens");
    let heading = browser
        .find(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .expect("its text");
    assert_eq!(heading, "Confirm your subscription");
    assert_eq!(
        pending_count(&app).await,
        1,
        "opening the link confirmed nothing"
    );

    browser
        .find(Locator::Css("button#go"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("pressed");
    // The answer page replaces the form; its heading is read once the navigation is done.
    let mut confirmed = String::new();
    for _ in 0..100 {
        if let Ok(heading) = browser.find(Locator::Css("h1")).await
            && let Ok(text) = heading.text().await
        {
            confirmed = text;
            if confirmed != "Confirm your subscription" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(confirmed, "Subscription confirmed");
    assert_eq!(pending_count(&app).await, 0);
    browser.close().await.expect("closed");
}

/// How many subscribers still wait for confirmation (read from the database: nothing in the
/// API tells an anonymous visitor about other people's subscriptions).
async fn pending_count(app: &TestApp) -> u64 {
    use entities::{enums::SubscriberStatus, subscriber};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    subscriber::Entity::find()
        .filter(subscriber::Column::Status.eq(SubscriberStatus::Pending))
        .count(&app.state.db)
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn the_explorer_runs_a_query_with_nothing_but_the_server_reachable() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let browser = open_browser(&driver).await;
    browser
        .goto(&app.url("/graphql"))
        .await
        .expect("the page opens");
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".graphiql-query-editor .CodeMirror"))
        .await
        .expect("GraphiQL's editor appears");

    browser
        .execute(
            "document.querySelector('.graphiql-query-editor .CodeMirror')\
               .CodeMirror.setValue('{ regions { name } }');",
            vec![],
        )
        .await
        .expect("the query is typed in");
    browser
        .find(Locator::Css(".graphiql-execute-button"))
        .await
        .expect("the run button")
        .click()
        .await
        .expect("pressed");
    let mut answer = String::new();
    for _ in 0..100 {
        answer = browser
            .execute(
                "const view = document.querySelector('.graphiql-response .CodeMirror');\
                 return view ? view.CodeMirror.getValue() : '';",
                vec![],
            )
            .await
            .expect("the answer pane is read")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if answer.contains("Wales") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("the answer is JSON");
    let names = answer["data"]["regions"].as_array().expect("regions").len();
    assert_eq!(names, 6, "the six nations and regions are listed: {answer}");

    let origin = app.url("/");
    let loaded = browser
        .execute(
            "return performance.getEntriesByType('resource').map(entry => entry.name);",
            vec![],
        )
        .await
        .expect("the page's requests are read");
    let loaded: Vec<String> = serde_json::from_value(loaded).expect("a list of addresses");
    assert!(
        loaded
            .iter()
            .any(|address| address.ends_with("/graphiql.min.js")),
        "GraphiQL came from the server: {loaded:?}"
    );
    let elsewhere: Vec<&String> = loaded
        .iter()
        .filter(|address| !address.starts_with(&origin))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests left the server: {elsewhere:?}"
    );

    // GraphiQL runs subscriptions over /graphql/ws: the page's policy lets it open one.
    let socket = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             try {\
               const socket = new WebSocket(\
                 location.origin.replace('http', 'ws') + '/graphql/ws', 'graphql-transport-ws');\
               socket.onopen = () => { socket.close(); done('open'); };\
               socket.onerror = () => done('refused');\
             } catch (error) { done('blocked: ' + error); }",
            vec![],
        )
        .await
        .expect("the socket is tried");
    assert_eq!(socket, json!("open"), "the explorer may open its websocket");
    browser.close().await.expect("closed");
}
