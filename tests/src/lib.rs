//! Test harness: each test starts the real server on a free port with a database of its own
//! (an SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set, dropped
//! afterwards), and talks to it over HTTP and websocket like any client.

pub mod petition_site;
pub mod smtp;

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use api::{
    clock::Clock,
    config::{Config, Environment, LogFormat, Settings},
    state::AppState,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "director@charity.example.org";
pub const PASSWORD: &str = "a long enough password";

/// A clock the test moves by hand; moving it wakes whatever waits on it. It stands still
/// unless made to run (for tests of leases that must run out in real time).
pub struct TestClock {
    /// Where it stands (`None`: it runs with the system clock), and how far it was moved.
    reading: Mutex<(Option<DateTime<Utc>>, Duration)>,
    moved: tokio::sync::Notify,
}

impl TestClock {
    fn standing() -> Self {
        Self {
            reading: Mutex::new((Some(Utc::now().trunc_subsecs(6)), Duration::zero())),
            moved: tokio::sync::Notify::new(),
        }
    }

    fn running() -> Self {
        Self {
            reading: Mutex::new((None, Duration::zero())),
            moved: tokio::sync::Notify::new(),
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut reading) = self.reading.lock() {
            reading.1 += by;
        }
        self.moved.notify_waiters();
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let (standing, moved) = self
            .reading
            .lock()
            .map(|reading| *reading)
            .unwrap_or((None, Duration::zero()));
        standing.unwrap_or_else(|| Utc::now().trunc_subsecs(6)) + moved
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            loop {
                let moved = self.moved.notified();
                let left = at - self.now();
                if left <= Duration::zero() {
                    return;
                }
                let running = self.reading.lock().is_ok_and(|reading| reading.0.is_none());
                if running {
                    tokio::select! {
                        () = moved => {}
                        () = tokio::time::sleep(left.to_std().unwrap_or_default()) => {}
                    }
                } else {
                    moved.await;
                }
            }
        })
    }
}

/// Where the test's data lives; a PostgreSQL database is dropped when the test ends.
enum TestDatabase {
    Sqlite,
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    async fn create(dir: &std::path::Path) -> (Self, String) {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                static COUNTER: AtomicU64 = AtomicU64::new(0);
                let name = format!(
                    "pn_test_{}_{}_{}",
                    std::process::id(),
                    Utc::now().timestamp_micros(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                (Self::Postgres { admin_url, name }, url.into())
            }
            _ => (
                Self::Sqlite,
                api::config::sqlite_url(&dir.join("test.sqlite3")),
            ),
        }
    }

    pub fn url_for_cli(&self, dir: &std::path::Path) -> String {
        match self {
            Self::Sqlite => api::config::sqlite_url(&dir.join("test.sqlite3")),
            Self::Postgres { admin_url, name } => {
                let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(name);
                url.into()
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Self::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, database) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot block on async work: use a
        // thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url)
                    .await
                    .map_err(std::io::Error::other)?;
                admin
                    .execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                    ))
                    .await
                    .map_err(std::io::Error::other)?;
                admin.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {name}");
        }
    }
}

/// A signed-in person, as a client holds them.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<TestClock>,
    pub state: AppState,
    statements: Arc<AtomicU64>,
    all_statements: Arc<AtomicU64>,
    shutdown: Option<oneshot::Sender<()>>,
    database: TestDatabase,
    pub dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A benchmark's size or duration from the environment variable `name`, or `default`.
pub fn bench_setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

pub fn default_settings(dir: &std::path::Path) -> Settings {
    Settings {
        bind_addr: "127.0.0.1:0".parse().expect("an address"),
        data_dir: dir.to_path_buf(),
        database_url: None,
        public_url: None,
        jwt_secret: Some("test signing secret that is long enough to use".to_owned()),
        link_secret: Some("test link secret that is also long enough to use".to_owned()),
        trusted_proxies: Vec::new(),
        // Tests sign many people in from one address; the limit has a test of its own.
        password_attempts_per_minute: std::num::NonZeroU32::new(10_000).expect("not zero"),
        enquiries_per_hour: std::num::NonZeroU32::new(10_000).expect("not zero"),
        bookings_per_hour: std::num::NonZeroU32::new(10_000).expect("not zero"),
        app_env: Environment::Development,
        access_token_ttl_seconds: 900,
        refresh_token_ttl_seconds: 30 * 24 * 3600,
        invitation_ttl_seconds: 7 * 24 * 3600,
        max_body_bytes: 256 * 1024,
        max_connections: std::num::NonZeroU32::new(1024).expect("not zero"),
        request_timeout_seconds: std::num::NonZeroU32::new(30).expect("not zero"),
        smtp_url: None,
        mail_from: "Partner network <updates@charity.example.org>".to_owned(),
        mail_worker: true,
        mail_concurrency: 8,
        // Nothing listens there: a test that tracks petitions starts its own fake site.
        petitions_base_url: "http://127.0.0.1:9".parse().expect("a URL"),
        petitions_poll_seconds: std::num::NonZeroU32::new(300).expect("not zero"),
        petitions_poll: true,
        petitions_max_rps: std::num::NonZeroU32::new(1_000).expect("not zero"),
        metrics_token: None,
        metrics_addr: None,
        log_format: LogFormat::Text,
    }
}

/// Where every test server's log lines go, as JSON: one file per test process under
/// `TEST_LOG_DIR` (by default `target/test-logs`). `.ci/run` searches them for personal data
/// once the whole suite has run.
fn capture_logs() {
    static CAPTURED: std::sync::Once = std::sync::Once::new();
    CAPTURED.call_once(|| {
        let folder = std::env::var_os("TEST_LOG_DIR").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-logs"),
            std::path::PathBuf::from,
        );
        let file = std::fs::create_dir_all(&folder).and_then(|()| {
            std::fs::File::create(folder.join(format!("{}.jsonl", std::process::id())))
        });
        match file {
            Ok(file) => api::logging::init(LogFormat::Json, std::sync::Mutex::new(file), false),
            Err(error) => eprintln!("test logs are not kept: {error}"),
        }
    });
}

/// A further server instance started by [`TestApp::another_instance`].
pub struct Instance {
    pub address: SocketAddr,
    stop: oneshot::Sender<()>,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Instance {
    /// Shuts the instance down and waits until its background work has stopped.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.running.await;
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server whose settings the test may adjust first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_on_clock(TestClock::standing(), adjust).await
    }

    /// Starts a server whose clock runs with real time (it can still be moved on).
    pub async fn spawn_real_time(adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_on_clock(TestClock::running(), adjust).await
    }

    async fn spawn_on_clock(clock: TestClock, adjust: impl FnOnce(&mut Settings)) -> Self {
        capture_logs();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (database, database_url) = TestDatabase::create(dir.path()).await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        let mut settings = default_settings(dir.path());
        settings.database_url = Some(database_url);
        settings.public_url = Some(format!("http://{address}/").parse().expect("a URL"));
        adjust(&mut settings);
        let config = Config::resolve(settings).expect("valid settings");
        let clock = Arc::new(clock);
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        let all_statements = Arc::new(AtomicU64::new(0));
        let all_counter = all_statements.clone();
        let state = api::prepare(
            config,
            clock.clone(),
            Some(Arc::new(move |sql: &str, origin| {
                all_counter.fetch_add(1, Ordering::Relaxed);
                // Only the requests' own statements: background work keeps its own count.
                if origin == api::db::Origin::Request {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                if std::env::var_os("TEST_PRINT_SQL").is_some() {
                    eprintln!("SQL: {sql}");
                }
            })),
        )
        .await
        .expect("database ready");
        let started = api::start_on(state.clone(), listener)
            .await
            .expect("server bound");
        let (shutdown, signal) = oneshot::channel::<()>();
        tokio::spawn(started.run(async move {
            let _ = signal.await;
        }));
        Self {
            address,
            client: reqwest::Client::new(),
            clock,
            state,
            statements,
            all_statements,
            shutdown: Some(shutdown),
            database,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Starts one more server on this test's database and clock, as a second instance of a
    /// deployment would run.
    pub async fn another_instance(&self, adjust: impl FnOnce(&mut Settings)) -> Instance {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        let mut settings = default_settings(self.dir.path());
        settings.database_url = Some(self.state.config.database_url.clone());
        adjust(&mut settings);
        let config = Config::resolve(settings).expect("valid settings");
        let mut state = api::prepare(config, self.clock.clone(), None)
            .await
            .expect("database ready");
        // On PostgreSQL instances hear each other through NOTIFY. On SQLite a deployment is
        // one process; instances sharing a file in a test share the process's event bus.
        if self.state.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            state.events = self.state.events.clone();
        }
        let started = api::start_on(state, listener).await.expect("server bound");
        let (stop, signal) = oneshot::channel::<()>();
        let running = tokio::spawn(started.run(async move {
            let _ = signal.await;
        }));
        Instance {
            address,
            stop,
            running,
        }
    }

    /// The database URL, for running the command-line tool against this test's data.
    pub fn database_url(&self) -> String {
        self.database.url_for_cli(self.dir.path())
    }

    /// Every SQL statement this instance has run, background work included.
    pub fn all_statements(&self) -> u64 {
        self.all_statements.load(Ordering::Relaxed)
    }

    /// SQL statements run so far in answering requests (not by background work).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Sends a GraphQL request as JSON and returns the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_at(self.address, token, query, variables).await
    }

    /// Like `gql`, to the instance at `address`.
    pub async fn gql_at(
        &self,
        address: SocketAddr,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self
            .client
            .post(format!("http://{address}/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        response.json().await.expect("a JSON body")
    }

    /// Like `gql`, but fails the test unless the answer has data and no errors.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "expected success for {query}, got {body:#}"
        );
        body["data"].clone()
    }

    /// Creates an admin the way the command line does, and signs them in.
    pub async fn admin(&self) -> Session {
        self.admin_with_email(ADMIN_EMAIL).await
    }

    pub async fn admin_with_email(&self, email: &str) -> Session {
        api::accounts::create_admin(
            &self.state.db,
            &self.state.hashing,
            self.state.now(),
            api::input::EmailAddress::parse("email", email).expect("valid email"),
            "Dana Director".to_owned(),
            api::input::Password::parse("password", PASSWORD.to_owned()).expect("valid password"),
        )
        .await
        .expect("admin created");
        self.login(email, PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let data = self
            .ok(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
                    accessToken refreshToken user { id } } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        session_from(&data["login"])
    }

    /// The id of a region by slug.
    pub async fn region_id(&self, slug: &str) -> String {
        let data = self
            .ok(
                None,
                "query($s: String) { region(slug: $s) { id } }",
                json!({ "s": slug }),
            )
            .await;
        data["region"]["id"].as_str().expect("region id").to_owned()
    }

    /// The link emailed for the invitation `id`: the invitations to one address are emailed
    /// in turn, so the n-th invitation's link is in the n-th email to the address.
    pub async fn invitation_link(&self, id: &str) -> String {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let id: i64 = id.parse().expect("an invitation id");
        let invitation = entities::invitation::Entity::find_by_id(id)
            .one(&self.state.db)
            .await
            .expect("the invitations read")
            .expect("the invitation");
        let rank = entities::invitation::Entity::find()
            .filter(entities::invitation::Column::Email.eq(invitation.email.as_str()))
            .filter(entities::invitation::Column::Id.lte(id))
            .order_by_asc(entities::invitation::Column::Id)
            .all(&self.state.db)
            .await
            .expect("the invitations read")
            .len();
        let mail = self.wait_for_mail(&invitation.email, rank).await;
        link(&mail[rank - 1], "/invitations/accept")
    }

    /// Invites someone and returns the link emailed to them.
    pub async fn invite(&self, inviter: &Session, input: Value) -> String {
        let invited = self
            .ok(
                Some(&inviter.access_token),
                "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        self.invitation_link(invited["inviteUser"]["id"].as_str().expect("an id"))
            .await
    }

    /// Invites someone and accepts the invitation from the email; returns their session.
    pub async fn invite_and_accept(&self, inviter: &Session, input: Value, name: &str) -> Session {
        let token = token_from_url(&self.invite(inviter, input).await);
        let data = self
            .ok(
                None,
                "mutation($t: String!, $n: String!, $p: String!) {
                    acceptInvitation(token: $t, name: $n, password: $p) {
                        accessToken refreshToken user { id } } }",
                json!({ "t": token, "n": name, "p": PASSWORD }),
            )
            .await;
        session_from(&data["acceptInvitation"])
    }

    pub async fn staff(&self, admin: &Session, region_slug: &str, email: &str) -> Session {
        let region_id = self.region_id(region_slug).await;
        self.invite_and_accept(
            admin,
            json!({ "email": email, "role": "STAFF", "regionId": region_id }),
            "Sam Staff",
        )
        .await
    }

    pub async fn member(&self, inviter: &Session, partner_id: &str, email: &str) -> Session {
        self.invite_and_accept(
            inviter,
            json!({ "email": email, "role": "PARTNER", "partnerId": partner_id }),
            "Pat Partner",
        )
        .await
    }

    /// Creates a partner and returns its id.
    pub async fn partner(&self, token: &Session, input: Value) -> String {
        let data = self
            .ok(
                Some(&token.access_token),
                "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        data["createPartner"]["id"]
            .as_str()
            .expect("partner id")
            .to_owned()
    }
}

impl TestApp {
    /// The emails written so far (without SMTP_URL, each is an `.eml` file in
    /// `DATA_DIR/mail`), oldest first, each as a reader sees it.
    pub fn mailbox(&self) -> Vec<String> {
        let folder = self.dir.path().join("mail");
        let mut files: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
                    .filter_map(|entry| {
                        let modified = entry.metadata().and_then(|m| m.modified()).ok()?;
                        Some((modified, readable(&std::fs::read(entry.path()).ok()?)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, text)| text).collect()
    }

    /// The emails to `address` so far, oldest first.
    pub fn mail_to(&self, address: &str) -> Vec<String> {
        self.mailbox()
            .into_iter()
            .filter(|text| text.contains(&format!("To: {address}")))
            .collect()
    }

    /// Waits until `count` emails to `address` have been written, and returns them.
    pub async fn wait_for_mail(&self, address: &str, count: usize) -> Vec<String> {
        for _ in 0..100 {
            let mail = self.mail_to(address);
            if mail.len() >= count {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} emails to {address}, found {}",
            self.mail_to(address).len()
        );
    }
}

/// An email as a reader sees it: the header section as sent, then the decoded text.
fn readable(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let headers = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .replace("\r\n", "\n");
    let body = mail_parser::MessageParser::default()
        .parse(raw)
        .and_then(|message| message.body_text(0).map(|body| body.into_owned()))
        .unwrap_or_default();
    format!("{headers}\n\n{body}")
}

/// The first link in an email that contains `path`.
pub fn link(email: &str, path: &str) -> String {
    email
        .split_whitespace()
        .find(|word| word.contains(path))
        .map(|word| word.trim_matches(|c| c == '<' || c == '>').to_owned())
        .unwrap_or_else(|| panic!("no {path} link in {email}"))
}

pub fn session_from(payload: &Value) -> Session {
    Session {
        user_id: payload["user"]["id"].as_str().expect("user id").to_owned(),
        access_token: payload["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh_token: payload["refreshToken"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// The `token` query parameter of a link.
pub fn token_from_url(link: &str) -> String {
    let url = url::Url::parse(link).expect("a URL");
    url.query_pairs()
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned())
        .expect("a token in the link")
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no error>")
}

/// The `extensions.field` of the first error.
pub fn error_field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or("<no field>")
}

/// A graphql-transport-ws connection to the server.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl TestApp {
    /// Opens a websocket, signs in with `token` (if any) and starts one subscription (id
    /// `live`).
    pub async fn subscribe(&self, token: Option<&str>, query: &str, variables: Value) -> Socket {
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        let mut socket = self.socket(payload).await;
        assert_eq!(next(&mut socket).await["type"], "connection_ack");
        send(
            &mut socket,
            json!({ "id": "live", "type": "subscribe", "payload": { "query": query, "variables": variables } }),
        )
        .await;
        socket
    }
}

impl TestApp {
    /// Waits until the outbox holds nothing this instance would send now: every due email has
    /// been sent, given up, or rescheduled.
    pub async fn wait_for_outbox_idle(&self) {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        for _ in 0..300 {
            let due = entities::outbox::Entity::find()
                .filter(entities::outbox::Column::Status.eq(entities::enums::MailStatus::Pending))
                .filter(entities::outbox::Column::NextAttemptAt.lte(self.state.now()))
                .count(&self.state.db)
                .await
                .expect("the outbox read");
            if due == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the outbox never went idle");
    }

    /// Waits until `count` live subscriptions listen for events on this instance (a
    /// subscription starts listening once the server has set it up).
    pub async fn wait_for_listeners(&self, count: usize) {
        for _ in 0..200 {
            if self.state.events.listeners() >= count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{count} subscriptions never started listening");
    }
}

impl TestApp {
    /// Opens a graphql-transport-ws websocket and sends `connection_init` with `payload`.
    pub async fn socket(&self, payload: Value) -> Socket {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::{
            Message, client::IntoClientRequest, http::HeaderValue,
        };
        let mut request = format!("ws://{}/graphql/ws", self.address)
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket");
        socket
            .send(Message::text(
                json!({ "type": "connection_init", "payload": payload }).to_string(),
            ))
            .await
            .expect("send");
        socket
    }
}

/// Sends a message on a websocket.
pub async fn send(socket: &mut Socket, message: Value) {
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            message.to_string(),
        ))
        .await
        .expect("send");
}

/// What came next on a socket (waiting at most `seconds`): a message, the close code, or
/// nothing in time.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Message(Value),
    Closed(Option<u16>),
    Silence,
}

pub async fn next_frame(socket: &mut Socket, seconds: u64) -> Frame {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = std::time::Duration::from_secs(seconds);
    loop {
        let Ok(message) = tokio::time::timeout(deadline, socket.next()).await else {
            return Frame::Silence;
        };
        match message {
            Some(Ok(Message::Text(text))) => {
                return Frame::Message(serde_json::from_str(&text).expect("json"));
            }
            Some(Ok(Message::Close(frame))) => {
                return Frame::Closed(frame.map(|frame| u16::from(frame.code)));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Frame::Closed(None),
        }
    }
}

/// The next text message on the socket, as JSON (waiting at most ten seconds).
pub async fn next(socket: &mut Socket) -> Value {
    use futures_util::StreamExt;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 seconds")
            .expect("the socket is open")
            .expect("a message");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).expect("json");
        }
    }
}
