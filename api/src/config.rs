//! Typed settings, read from the environment (or the matching command-line flags). Each one is
//! documented in the README.

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use clap::{Args, ValueEnum};
use ipnet::IpNet;
use rand::RngExt;
use url::Url;

/// The files in `DATA_DIR` that keep development secrets between runs.
const GENERATED_SECRET_FILE: &str = "jwt-secret";
const GENERATED_LINK_SECRET_FILE: &str = "link-secret";
const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Settings as given, before defaults that depend on each other are worked out.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address and port the server listens on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind_addr: SocketAddr,
    /// Folder for the embedded database, the development signing secret and outgoing mail.
    #[arg(long, env = "DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Database to use: `postgres://…` in production; an SQLite file in DATA_DIR when unset.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// The address people reach the server at, used in links (invitations, emails).
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<Url>,
    /// Secret for signing access tokens (at least 32 bytes). Required in production.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// Secret for the links in emails (at least 32 bytes), kept apart from JWT_SECRET so that
    /// rotating that one leaves emailed links working. Required in production.
    #[arg(long, env = "LINK_SECRET", hide_env_values = true, global = true)]
    pub link_secret: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed: IP addresses or networks, separated by
    /// commas (e.g. `10.0.0.0/8,127.0.0.1`). Empty: the connecting peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = proxy, global = true)]
    pub trusted_proxies: Vec<IpNet>,
    /// Password attempts (signing in, accepting an invitation, changing a password) one client
    /// IP may make per minute on one instance.
    #[arg(long, env = "PASSWORD_ATTEMPTS_PER_MINUTE", default_value_t = NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN), global = true)]
    pub password_attempts_per_minute: NonZeroU32,
    /// Partnership enquiries one client IP may send per hour on one instance.
    #[arg(long, env = "ENQUIRIES_PER_HOUR", default_value_t = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN), global = true)]
    pub enquiries_per_hour: NonZeroU32,
    /// Training bookings one account may make per hour (each emails the people it names).
    #[arg(long, env = "BOOKINGS_PER_HOUR", default_value = "60", global = true)]
    pub bookings_per_hour: NonZeroU32,
    /// `development` or `production`; production refuses to start without JWT_SECRET.
    #[arg(
        long,
        env = "APP_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub app_env: Environment,
    /// Lifetime of an access token, in seconds.
    #[arg(
        long,
        env = "ACCESS_TOKEN_TTL_SECONDS",
        default_value_t = 900,
        global = true
    )]
    pub access_token_ttl_seconds: u32,
    /// Lifetime of a refresh token, in seconds (each use issues a new one).
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECONDS", default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_ttl_seconds: u32,
    /// Lifetime of an invitation link, in seconds.
    #[arg(long, env = "INVITATION_TTL_SECONDS", default_value_t = 7 * 24 * 3600, global = true)]
    pub invitation_ttl_seconds: u32,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "MAX_CONNECTIONS", default_value = "1024", global = true)]
    pub max_connections: NonZeroU32,
    /// How long a request (its body included) may take before it is answered 408.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECONDS",
        default_value = "30",
        global = true
    )]
    pub request_timeout_seconds: NonZeroU32,
    /// Where email goes: `smtp://host:port` (plain, to a local relay),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`. When unset, each email is written as an `.eml` file
    /// under DATA_DIR/mail instead.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// The sender of every email.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Partner network <updates@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// Whether this instance sends queued email (`false` for web-only instances).
    #[arg(long, env = "MAIL_WORKER", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub mail_worker: bool,
    /// How many emails one instance sends at once, each over its own SMTP connection. Relays
    /// often cap connections per client; raise it only as far as yours allows.
    #[arg(long, env = "MAIL_CONCURRENCY", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=64), global = true)]
    pub mail_concurrency: u16,
    /// The petitions site: scheme, host and port (the paths are the site's own). The only host
    /// the server fetches petitions from, whatever address staff paste.
    #[arg(
        long,
        env = "PETITIONS_BASE_URL",
        default_value = "https://petition.parliament.uk",
        global = true
    )]
    pub petitions_base_url: Url,
    /// How often an open petition's signature count is read, in seconds (its whole document,
    /// with the breakdowns, hourly).
    #[arg(
        long,
        env = "PETITIONS_POLL_SECONDS",
        default_value = "300",
        global = true
    )]
    pub petitions_poll_seconds: NonZeroU32,
    /// Whether this instance polls tracked petitions.
    #[arg(long, env = "PETITIONS_POLL", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub petitions_poll: bool,
    /// Requests per second one instance may send the petitions site.
    #[arg(long, env = "PETITIONS_MAX_RPS", default_value = "1", global = true)]
    pub petitions_max_rps: NonZeroU32,
    /// The bearer token (at least 32 bytes) `GET /metrics` asks for. Metrics are served when this or METRICS_ADDR
    /// is set; with METRICS_ADDR too, that address asks for it as well.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,
    /// A separate address serving only `GET /metrics` (for example a private interface),
    /// instead of the API's address.
    #[arg(long, env = "METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,
    /// `text` for people, `json` for one JSON object per line.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret setting (the signing secret, the SMTP URL with its password); never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as text; secrets read from the environment are always UTF-8.
    pub fn expose_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub public_url: Url,
    pub jwt_secret: Secret,
    pub link_secret: Secret,
    pub trusted_proxies: Vec<IpNet>,
    pub password_attempts_per_minute: NonZeroU32,
    pub enquiries_per_hour: NonZeroU32,
    pub bookings_per_hour: NonZeroU32,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub invitation_ttl: Duration,
    pub max_body_bytes: usize,
    pub max_connections: NonZeroU32,
    pub request_timeout: std::time::Duration,
    /// May hold the relay's password.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub mail_worker: bool,
    pub mail_concurrency: usize,
    pub petitions_base_url: Url,
    pub petitions_poll_interval: Duration,
    pub petitions_poll: bool,
    pub petitions_max_rps: NonZeroU32,
    pub metrics_token: Option<Secret>,
    pub metrics_addr: Option<SocketAddr>,
}

impl Config {
    /// Works out the final settings: the default database lives in DATA_DIR, links point at the
    /// bind address unless PUBLIC_URL says otherwise, and a development signing secret is
    /// generated once and kept in DATA_DIR.
    pub fn resolve(settings: Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating DATA_DIR {}", settings.data_dir.display()))?;
        let database_url = match settings.database_url {
            Some(url) => url,
            None => sqlite_url(&settings.data_dir.join("network.sqlite3")),
        };
        let public_url = match settings.public_url {
            Some(url) => url,
            None => Url::parse(&format!("http://{}/", settings.bind_addr))?,
        };
        let production = settings.app_env == Environment::Production;
        let jwt_secret = secret(
            "JWT_SECRET",
            settings.jwt_secret,
            production,
            &settings.data_dir.join(GENERATED_SECRET_FILE),
        )?;
        let link_secret = secret(
            "LINK_SECRET",
            settings.link_secret,
            production,
            &settings.data_dir.join(GENERATED_LINK_SECRET_FILE),
        )?;
        Ok(Self {
            bind_addr: settings.bind_addr,
            data_dir: settings.data_dir,
            database_url,
            public_url,
            jwt_secret,
            link_secret,
            trusted_proxies: settings.trusted_proxies,
            password_attempts_per_minute: settings.password_attempts_per_minute,
            enquiries_per_hour: settings.enquiries_per_hour,
            bookings_per_hour: settings.bookings_per_hour,
            access_token_ttl: Duration::seconds(settings.access_token_ttl_seconds.into()),
            refresh_token_ttl: Duration::seconds(settings.refresh_token_ttl_seconds.into()),
            invitation_ttl: Duration::seconds(settings.invitation_ttl_seconds.into()),
            max_body_bytes: settings.max_body_bytes,
            max_connections: settings.max_connections,
            request_timeout: std::time::Duration::from_secs(
                settings.request_timeout_seconds.get().into(),
            ),
            smtp_url: settings.smtp_url.map(|url| Secret(url.into_bytes())),
            metrics_token: settings.metrics_token.map(metrics_token).transpose()?,
            metrics_addr: settings.metrics_addr,
            mail_from: settings.mail_from,
            mail_worker: settings.mail_worker,
            mail_concurrency: settings.mail_concurrency.into(),
            petitions_base_url: petitions_site(settings.petitions_base_url)?,
            petitions_poll_interval: Duration::seconds(
                settings.petitions_poll_seconds.get().into(),
            ),
            petitions_poll: settings.petitions_poll,
            petitions_max_rps: settings.petitions_max_rps,
        })
    }

    /// A link to a path on this server, with query parameters.
    pub fn link(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = self.public_url.clone();
        url.set_path(&format!("{}{}", url.path().trim_end_matches('/'), path));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.into()
    }

    /// Metrics are recorded and served when the operator has said where or to whom.
    pub fn serves_metrics(&self) -> bool {
        self.metrics_token.is_some() || self.metrics_addr.is_some()
    }
}

/// The petitions site's origin: an http(s) address with a host and nothing after it.
fn petitions_site(url: Url) -> anyhow::Result<Url> {
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        bail!(
            "PETITIONS_BASE_URL must be a scheme, host and port only, like https://petition.parliament.uk"
        );
    }
    Ok(url)
}

/// A trusted proxy: a network (`10.0.0.0/8`) or one address (`127.0.0.1`).
fn proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an IP address or network"))
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A secret setting: as given, else (in development only) generated once and kept in
/// `DATA_DIR` so that it lasts across restarts.
fn secret(
    name: &str,
    given: Option<String>,
    production: bool,
    kept_at: &std::path::Path,
) -> anyhow::Result<Secret> {
    let secret = match given {
        Some(secret) => Secret(secret.into_bytes()),
        None if production => bail!("{name} must be set when APP_ENV=production"),
        None => development_secret(name, kept_at)?,
    };
    if secret.expose().len() < MIN_SECRET_BYTES {
        bail!("{name} must be at least {MIN_SECRET_BYTES} bytes long");
    }
    Ok(secret)
}

/// The metrics token is a secret like the others: long enough not to be guessed.
fn metrics_token(token: String) -> anyhow::Result<Secret> {
    if token.len() < MIN_SECRET_BYTES {
        bail!("METRICS_TOKEN must be at least {MIN_SECRET_BYTES} bytes long");
    }
    Ok(Secret(token.into_bytes()))
}

fn development_secret(name: &str, path: &std::path::Path) -> anyhow::Result<Secret> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(Secret(existing.trim().as_bytes().to_vec()));
    }
    let bytes: [u8; 48] = rand::rng().random();
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private_file(path, &secret)?;
    tracing::warn!(
        path = %path.display(),
        "{name} is not set: generated a development secret and kept it in DATA_DIR; \
         set {name} in production"
    );
    Ok(Secret(secret.into_bytes()))
}

fn write_private_file(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
