//! The command-line tool, run as a separate process against this test's database.

use std::{
    io::Write,
    process::{Command, Stdio},
    sync::OnceLock,
};

use tests::TestApp;

/// The `api` binary, built once for this test run.
pub(crate) fn binary() -> &'static std::path::Path {
    static BUILT: OnceLock<std::path::PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        // The variables Cargo set for this test process describe the `tests` package; passed
        // on, build scripts that watch them would see a change and rebuild half the tree.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_TARGET_TMPDIR",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
                || name == "CARGO_PRIMARY_PACKAGE"
            {
                cargo.env_remove(name.as_ref());
            }
        }
        let status = cargo
            // The whole workspace's features, as the test build has them: otherwise this
            // build and the next test build would each recompile what the other changed.
            .args(["build", "--quiet", "--workspace", "--bin", "api"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the api binary builds");
        let mut path = std::env::current_exe().expect("test binary path");
        path.pop();
        if path.ends_with("deps") {
            path.pop();
        }
        path.join("api")
    })
}

pub(crate) fn cli(app: &TestApp, args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env("DATA_DIR", app.dir.path())
        .env("DATABASE_URL", app.database_url())
        .env(
            "JWT_SECRET",
            "test signing secret that is long enough to use",
        )
        .env_remove("ADMIN_PASSWORD")
        .env("RUST_LOG", "warn");
    command
}

#[tokio::test]
async fn create_admin_takes_the_password_from_the_environment() {
    let app = TestApp::spawn().await;
    let output = cli(
        &app,
        &[
            "create-admin",
            "--email",
            "first@charity.example.org",
            "--name",
            "First Admin",
        ],
    )
    .env("ADMIN_PASSWORD", "a long enough password")
    .output()
    .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("first@charity.example.org"));
    app.login("first@charity.example.org", "a long enough password")
        .await;
}

#[tokio::test]
async fn create_admin_reads_the_password_from_standard_input() {
    let app = TestApp::spawn().await;
    let mut child = cli(
        &app,
        &[
            "create-admin",
            "--email",
            "piped@charity.example.org",
            "--name",
            "Piped",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"piped in password\n")
        .expect("write");
    let output = child.wait_with_output().expect("finishes");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    app.login("piped@charity.example.org", "piped in password")
        .await;
}

#[tokio::test]
async fn create_admin_refuses_a_short_password_and_a_taken_address() {
    let app = TestApp::spawn().await;
    let short = cli(
        &app,
        &[
            "create-admin",
            "--email",
            "a@charity.example.org",
            "--name",
            "A",
        ],
    )
    .env("ADMIN_PASSWORD", "too short")
    .output()
    .expect("runs");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    app.admin().await;
    let taken = cli(
        &app,
        &[
            "create-admin",
            "--email",
            tests::ADMIN_EMAIL,
            "--name",
            "Again",
        ],
    )
    .env("ADMIN_PASSWORD", "a long enough password")
    .output()
    .expect("runs");
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already exists"));
}

#[tokio::test]
async fn export_schema_prints_the_served_schema() {
    let app = TestApp::spawn().await;
    let output = cli(&app, &["export-schema"]).output().expect("runs");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), api::graphql::sdl());
}

#[tokio::test]
async fn seed_demo_fills_the_directory_once() {
    let app = TestApp::spawn().await;
    let first = cli(&app, &["seed-demo"]).output().expect("runs");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let admin = app.admin().await;
    let count =
        |data: &serde_json::Value| data["partners"]["totalCount"].as_u64().unwrap_or_default();
    let query = "{ partners { totalCount } users { totalCount } observations { totalCount }
        partnershipEnquiries { totalCount } signatories { totalCount }
        principlesReport { assessed { count } compared { count } }
        trainingSessions(filter: { from: \"2020-01-01T00:00:00Z\" }) { totalCount edges { node { title status seatsLeft waitlistLength } } }
        evidenceReport(filter: { from: \"2020-01-01\", to: \"2029-12-31\" }) { series { points { suppressed } } }
        petitions { edges { node { signatureCount closedEarlyByElection history { signatureCount }
            signaturesByRegion { signatureCount } milestones { kind } } } } }";
    let after_first = app
        .ok(Some(&admin.access_token), query, serde_json::json!({}))
        .await;
    assert!(count(&after_first) >= 10, "{after_first}");
    assert!(
        after_first["observations"]["totalCount"].as_u64() >= Some(100),
        "a year of observations: {after_first}"
    );
    assert_eq!(after_first["partnershipEnquiries"]["totalCount"], 3);
    assert_eq!(
        after_first["signatories"]["totalCount"], 10,
        "listed and unlisted signatories, one waiting and one rejected"
    );
    assert_eq!(
        after_first["principlesReport"]["compared"]["count"], 8,
        "the approved signatories assessed themselves two years running"
    );
    let sessions = &after_first["trainingSessions"];
    assert_eq!(
        sessions["totalCount"], 5,
        "past, upcoming and external sessions: {sessions}"
    );
    assert_eq!(sessions["edges"][0]["node"]["status"], "COMPLETED");
    assert_eq!(
        sessions["edges"][2]["node"],
        serde_json::json!({ "title": "Planning a local campaign", "status": "PUBLISHED",
            "seatsLeft": 0, "waitlistLength": 2 }),
        "an upcoming session is full, with a waitlist"
    );
    assert!(
        after_first["evidenceReport"]["series"]
            .as_array()
            .is_some_and(|series| !series.is_empty()),
        "the report has something to show"
    );

    let petitions = after_first["petitions"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(petitions.len(), 2, "two tracked petitions: {petitions:?}");
    let archived = &petitions[1]["node"];
    assert_eq!(archived["signatureCount"], 20_460);
    assert_eq!(archived["closedEarlyByElection"], true);
    for petition in &petitions {
        let node = &petition["node"];
        assert!(
            node["history"]
                .as_array()
                .is_some_and(|points| points.len() > 20),
            "{node}"
        );
        assert_eq!(
            node["signaturesByRegion"].as_array().map(Vec::len),
            Some(7),
            "{node}"
        );
        assert!(
            node["milestones"].as_array().is_some_and(|m| !m.is_empty()),
            "{node}"
        );
    }

    let second = cli(&app, &["seed-demo"]).output().expect("runs");
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains(
        "Added 0 partner organisations, 0 accounts, 0 campaigns, 0 policy updates, 0 \
         subscribers, 0 partnership enquiries, 0 observations, 0 Early Action signatories, 0 \
         training sessions and 0 tracked petitions"
    ));
    let after_second = app
        .ok(Some(&admin.access_token), query, serde_json::json!({}))
        .await;
    assert_eq!(after_first, after_second);

    let public = app
        .ok(None, r#"{ partners(filter: { search: "cardiff" }) { edges { node { name region { slug } } } } }"#, serde_json::json!({}))
        .await;
    assert_eq!(
        public["partners"]["edges"][0]["node"]["region"]["slug"],
        "wales"
    );

    let campaigns = app
        .ok(
            None,
            "{ campaigns { edges { node { title status
            jointActions { edges { node { title optInCount } } }
            positions { edges { node { ownership attribution } } } } } } }",
            serde_json::json!({}),
        )
        .await;
    let work = &campaigns["campaigns"]["edges"]
        .as_array()
        .and_then(|edges| {
            edges.iter().find(|e| {
                e["node"]["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Lift the ban"))
            })
        })
        .cloned()
        .unwrap_or_default()["node"];
    assert_eq!(work["status"], "ACTIVE", "{campaigns}");
    assert_eq!(work["jointActions"]["edges"][0]["node"]["optInCount"], 3);
    assert_eq!(
        work["positions"]["edges"][0]["node"]["attribution"],
        "Backed by partners: Balsall Heath Welcome Table, Irwell Migrant Law Project."
    );
    assert_eq!(
        campaigns["campaigns"]["edges"]
            .as_array()
            .map_or(0, Vec::len),
        2,
        "the public does not see the draft"
    );

    // The tool ran on the real clock, a moment ahead of this server's frozen test clock.
    app.clock.advance(chrono::Duration::minutes(5));
    let updates = app
        .ok(
            None,
            "{ policyUpdates { edges { node { title audience topics campaigns { title } } } } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        updates["policyUpdates"]["edges"][0]["node"]["topics"],
        serde_json::json!(["asylum-support", "poverty"]),
        "the public sees the national update, not the partners' briefing: {updates}"
    );
    assert_eq!(
        updates["policyUpdates"]["edges"]
            .as_array()
            .map_or(0, Vec::len),
        1
    );
    let counts = app
        .ok(
            Some(&admin.access_token),
            "{ subscriberCounts { total } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(counts["subscriberCounts"]["total"], 3);
}

#[tokio::test]
async fn migrate_applies_the_schema_and_exits() {
    let app = TestApp::spawn().await;
    let output = cli(&app, &["migrate"]).output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn mail_concurrency_outside_its_range_is_refused_before_anything_runs() {
    let app = TestApp::spawn().await;
    for refused in ["0", "65", "many"] {
        let output = cli(&app, &["migrate"])
            .env("MAIL_CONCURRENCY", refused)
            .output()
            .expect("runs");
        assert!(!output.status.success(), "MAIL_CONCURRENCY={refused}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("mail-concurrency"), "{said}");
    }
    let accepted = cli(&app, &["migrate"])
        .env("MAIL_CONCURRENCY", "24")
        .output()
        .expect("runs");
    assert!(accepted.status.success(), "MAIL_CONCURRENCY=24");
}
