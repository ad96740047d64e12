//! Sessions behind open websockets. A websocket is signed in once, at `connection_init`, and
//! may stay open for hours; the session behind it can end meanwhile (sign-out, deactivation, a
//! password change, token expiry). So every operation sent over the socket first checks the
//! session (against the database, or a check made moments ago that no ending has reached
//! since), and every event a running subscription delivers checks it has not ended: the first operation or event after the end gets UNAUTHENTICATED instead, and
//! the socket is then closed (see `http::socket`).

use async_graphql::{
    Response,
    futures_util::stream::{self, BoxStream, StreamExt},
};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{Actor, sessions};
use crate::{graphql::error::ApiError, state::AppState};

/// The session a websocket signed in with.
#[derive(Clone)]
pub struct LiveSession {
    pub actor: Actor,
    /// When the access token it signed in with expires.
    pub expires_at: DateTime<Utc>,
    /// Cancelled when the session ends; the socket closes.
    pub ended: CancellationToken,
}

impl LiveSession {
    /// Still usable, as far as this instance knows without asking the database.
    fn current(&self, now: DateTime<Utc>) -> bool {
        !self.ended.is_cancelled() && self.expires_at > now
    }

    /// Checks the session in the database; ends it here if it has ended there.
    async fn check(&self, state: &AppState) -> Result<(), ApiError> {
        let outcome = if self.current(state.now()) {
            sessions::check_open(state, &self.actor).await
        } else {
            Err(ApiError::Unauthenticated(
                "this session has ended; sign in again",
            ))
        };
        if outcome.is_err() {
            self.ended.cancel();
        }
        outcome
    }
}

enum Phase {
    Starting,
    Running,
    Over,
}

/// `inner`, refused if the session has ended before it starts, and cut off with an error the
/// moment the session ends while it runs. Every operation sent over a signed-in websocket
/// runs through here.
pub fn guarded<'s>(
    inner: BoxStream<'s, Response>,
    live: LiveSession,
    state: AppState,
) -> impl async_graphql::futures_util::Stream<Item = Response> + 's {
    stream::unfold(
        (inner, live, state, Phase::Starting),
        |(mut inner, live, state, phase)| async move {
            match phase {
                Phase::Over => return None,
                Phase::Starting => {
                    if let Err(error) = live.check(&state).await {
                        return Some((refusal(error), (inner, live, state, Phase::Over)));
                    }
                }
                Phase::Running => {}
            }
            let item = tokio::select! {
                biased;
                _ = live.ended.cancelled() => None,
                item = inner.next() => Some(item?),
            };
            match item {
                Some(response) if live.current(state.now()) => {
                    Some((response, (inner, live, state, Phase::Running)))
                }
                _ => {
                    live.ended.cancel();
                    let error = ApiError::Unauthenticated("this session has ended; sign in again");
                    Some((refusal(error), (inner, live, state, Phase::Over)))
                }
            }
        },
    )
}

fn refusal(error: ApiError) -> Response {
    Response::from_errors(vec![error.into_server_error()])
}
