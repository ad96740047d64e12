//! The HTTP server: connections are accepted here and served by hyper with a deadline on each
//! request's headers. (poem's own server sets none, so a client sending its headers a byte at
//! a time could hold a connection, and a task, for as long as it liked.)

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

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
use tokio::net::TcpListener;

/// How long a client has to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish once shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish
/// (for a while).
pub async fn serve<E>(
    listener: TcpListener,
    app: E,
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
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
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
                    let response = app.get_response(request).await;
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

fn socket(addr: SocketAddr) -> poem::Addr {
    poem::Addr::SocketAddr(addr)
}
