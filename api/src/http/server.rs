//! The HTTP server: connections are accepted here and served by hyper with deadlines on each
//! request's headers and on the whole request, and a cap on connections served at once.
//! (poem's own server sets none of these, so a client sending its headers or body a byte at a
//! time, or opening connections without end, could hold tasks for as long as it liked.)

use std::{
    convert::Infallible, future::Future, net::SocketAddr, num::NonZeroU32, sync::Arc,
    time::Duration,
};

use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Request,
    http::uri::Scheme,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{net::TcpListener, sync::Semaphore};

/// How long a client has to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How much longer than the request timeout the connection loop waits before answering 408
/// itself.
const BACKSTOP_SLACK: Duration = Duration::from_secs(1);
/// How long requests in flight may take to finish once shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// HTTP/2 connections are pinged this often when quiet, and dropped when a ping goes
/// unanswered this long: a peer that vanished does not hold its connection.
const PING_EVERY: Duration = Duration::from_secs(20);
const PING_ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// How much the server takes on at once.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub max_connections: NonZeroU32,
    pub request_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish
/// (for a while).
pub async fn serve<E>(
    listener: TcpListener,
    app: E,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let app = Arc::new(app.into_endpoint().map_to_response().boxed());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(PING_EVERY)
        .keep_alive_timeout(PING_ANSWER_WITHIN);
    let slots = Arc::new(Semaphore::new(limits.max_connections.get() as usize));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A connection is accepted only with a free slot; until then the kernel's backlog
        // holds the rest.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let local = stream.local_addr().unwrap_or(remote);
        let service = hyper::service::service_fn({
            let app = app.clone();
            move |request: poem::http::Request<Incoming>| {
                let app = app.clone();
                async move {
                    let request = Request::from((
                        request,
                        LocalAddr(socket(local)),
                        RemoteAddr(socket(remote)),
                        Scheme::HTTP,
                    ));
                    // The API answers 408 itself (and logs it); this is the backstop for
                    // anything served without that.
                    let response = tokio::time::timeout(
                        limits.request_timeout + BACKSTOP_SLACK,
                        app.get_response(request),
                    )
                    .await
                    .unwrap_or_else(|_| too_slow());
                    Ok::<_, Infallible>(poem::http::Response::from(response))
                }
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("requests still running at shutdown were cut off");
        }
    }
    Ok(())
}

/// The answer to a request that took longer than the server allows.
pub(super) fn too_slow() -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::REQUEST_TIMEOUT)
        .header("connection", "close")
        .body("the request took too long")
}

fn socket(addr: SocketAddr) -> poem::Addr {
    poem::Addr::SocketAddr(addr)
}
