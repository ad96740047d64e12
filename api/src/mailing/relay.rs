//! Connections to the SMTP relay named by SMTP_URL, pooled and kept open between messages.
//!
//! lettre's own pool connects its sockets itself and leaves Nagle's algorithm on. lettre writes a
//! message's body and the closing `.` in separate writes, so the small second write waited for
//! the relay's delayed ACK, about 40 ms per message. Here each socket is connected by us with
//! `TCP_NODELAY` and handed to lettre, which speaks SMTP over it (STARTTLS and AUTH included).

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use lettre::transport::smtp::{
    Error as SmtpError,
    authentication::{Credentials, Mechanism},
    client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters},
    extension::ClientId,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{
    TlsConnector,
    client::TlsStream,
    rustls::{ClientConfig, RootCertStore, pki_types::ServerName},
};

const FORMS: &str = "SMTP_URL must look like smtp://host:port (plain, to a local relay), \
    smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host:465";

/// How long connecting, or one message's exchange, may take before the relay is given up on.
const RELAY_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections idle for longer are replaced rather than found closed by the relay.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// A local relay, in the clear.
    Plain,
    /// STARTTLS, which must be offered (`tls=required`) or is used when offered
    /// (`tls=opportunistic`).
    StartTls { required: bool },
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// Opens connections to the relay.
pub struct RelayConnector {
    host: String,
    port: u16,
    security: Security,
    /// For implicit TLS: made once, used for every connection.
    tls: TlsConnector,
    credentials: Option<Credentials>,
    hello: ClientId,
}

impl RelayConnector {
    /// Reads SMTP_URL. The URL may carry the relay's password, so errors never repeat it, and
    /// a password is only ever sent over TLS.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).map_err(|_| anyhow::anyhow!(FORMS))?;
        let tls = parsed
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { required: false }, 587),
            ("smtps", _) => (Security::Implicit, 465),
            _ => anyhow::bail!(FORMS),
        };
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| anyhow::anyhow!(FORMS))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decoded(parsed.username())?,
                decoded(password)?,
            )),
            None => None,
        };
        let encrypted = matches!(
            security,
            Security::Implicit | Security::StartTls { required: true }
        );
        if credentials.is_some() && !encrypted {
            anyhow::bail!("SMTP_URL has a password but no TLS: use ?tls=required or smtps://");
        }
        let path = parsed.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(Self {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            tls: tls_connector()?,
            credentials,
            hello,
        })
    }

    /// A pool of at most `size` connections, opened as they are needed. A connection that
    /// cannot be opened fails the message at once (to be retried later) rather than waiting.
    pub fn pool(self, size: usize) -> anyhow::Result<RelayPool> {
        Ok(RelayPool::builder(self)
            .max_size(size)
            .runtime(deadpool::Runtime::Tokio1)
            .create_timeout(Some(RELAY_TIMEOUT))
            .build()?)
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, RelayError> {
        let socket = TcpStream::connect((self.host.as_str(), self.port)).await?;
        socket.set_nodelay(true)?;
        let stream: Box<dyn AsyncTokioStream> = match self.security {
            Security::Implicit => Box::new(self.wrap_in_tls(socket).await?),
            _ => Box::new(socket),
        };
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
        if let Security::StartTls { required } = self.security
            && (required || connection.can_starttls())
        {
            let parameters = TlsParameters::new(self.host.clone())?;
            connection.starttls(parameters, &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(connection)
    }

    async fn wrap_in_tls(&self, socket: TcpStream) -> Result<Tls, RelayError> {
        let name = ServerName::try_from(self.host.clone()).map_err(io::Error::other)?;
        Ok(Tls(self.tls.connect(name, socket).await?))
    }
}

/// TLS that trusts the usual public certificate authorities. The provider is named: the
/// build links more than one, so rustls would not pick a default itself.
fn tls_connector() -> anyhow::Result<TlsConnector> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn decoded(part: &str) -> anyhow::Result<String> {
    percent_encoding::percent_decode_str(part)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| anyhow::anyhow!(FORMS))
}

/// Pooled connections to the relay.
pub type RelayPool = deadpool::managed::Pool<RelayConnector>;

impl deadpool::managed::Manager for RelayConnector {
    type Type = AsyncSmtpConnection;
    type Error = RelayError;

    async fn create(&self) -> Result<Self::Type, Self::Error> {
        self.open().await
    }

    /// A connection is reused unless it failed, or sat idle long enough that the relay may
    /// have closed it.
    async fn recycle(
        &self,
        connection: &mut Self::Type,
        metrics: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<Self::Error> {
        if connection.has_broken() {
            return Err(deadpool::managed::RecycleError::message("it failed"));
        }
        if metrics.last_used() > IDLE_TIMEOUT {
            return Err(deadpool::managed::RecycleError::message("it sat idle"));
        }
        Ok(())
    }
}

/// Why a connection to the relay could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("could not reach the relay: {0}")]
    Network(#[from] io::Error),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error("the relay did not answer in time")]
    Timeout,
}

/// A TLS stream as lettre takes one.
#[derive(Debug)]
struct Tls(TlsStream<TcpStream>);

impl AsyncTokioStream for Tls {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for Tls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Sends one message over a pooled connection; a connection that failed is not reused.
pub async fn send(
    pool: &RelayPool,
    envelope: &lettre::address::Envelope,
    message: &[u8],
) -> Result<(), String> {
    let mut connection = pool.get().await.map_err(|error| error.to_string())?;
    let sent = tokio::time::timeout(RELAY_TIMEOUT, connection.send(envelope, message)).await;
    match sent {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => {
            connection.abort().await;
            Err(error.to_string())
        }
        Err(_) => {
            // `abort` marks the connection broken before it says QUIT, so it is not reused
            // even if the relay does not answer that either.
            let _ = tokio::time::timeout(Duration::from_secs(1), connection.abort()).await;
            Err(RelayError::Timeout.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security_and_port(url: &str) -> (Security, u16) {
        let relay = RelayConnector::from_url(url).unwrap_or_else(|error| panic!("{url}: {error}"));
        (relay.security, relay.port)
    }

    #[test]
    fn the_url_names_how_the_relay_is_reached() {
        assert_eq!(
            security_and_port("smtp://127.0.0.1:2525"),
            (Security::Plain, 2525)
        );
        assert_eq!(
            security_and_port("smtp://user:secret@mail.example.org?tls=required"),
            (Security::StartTls { required: true }, 587)
        );
        assert_eq!(
            security_and_port("smtp://mail.example.org?tls=opportunistic"),
            (Security::StartTls { required: false }, 587)
        );
        assert_eq!(
            security_and_port("smtps://user:p%40ss@mail.example.org"),
            (Security::Implicit, 465)
        );
    }

    #[test]
    fn passwords_go_only_over_tls_and_errors_do_not_repeat_them() {
        for refused in [
            "smtp://user:s3cret@mail.example.org",
            "smtp://user:s3cret@mail.example.org?tls=opportunistic",
            "http://user:s3cret@mail.example.org",
            "smtp://user:s3cret@mail.example.org?tls=sometimes",
        ] {
            let Err(error) = RelayConnector::from_url(refused) else {
                panic!("{refused} was accepted");
            };
            assert!(!error.to_string().contains("s3cret"), "{error}");
        }
    }
}
