//! GraphQL over websocket (graphql-transport-ws, and the older graphql-ws). async-graphql runs
//! the protocol; this loop stands between it and the socket to hold the line the HTTP endpoint
//! holds:
//! - messages over the body limit are refused (the socket closes with 1009);
//! - a socket that sends no `connection_init` in time is closed with 4408;
//! - the session it signed in with is watched: when it ends (sign-out, deactivation, a password
//!   change, expiry), running operations end with an `error` message and the socket closes
//!   with 4403;
//! - an operation that fails before it runs (it does not validate, or a subscription cannot
//!   start) is answered with the protocol's `error` message, not `next` with `data: null`;
//! - at most [`MAX_OPERATIONS`] run at once; another is answered with `error`;
//! - the client's messages are read only as fast as async-graphql takes them, so a burst
//!   waits in the socket (TCP pushes back) while the loop goes on watching the session.

use std::{
    collections::HashSet,
    sync::{Arc, OnceLock},
    time::Duration,
};

use async_graphql::{
    Data,
    http::{WebSocket as GraphqlWebSocket, WebSocketProtocols, WsMessage},
};
use futures_util::{SinkExt, StreamExt, future::Either};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{Client, Viewer, live::LiveSession, sessions},
    events::Event,
    graphql::{AppSchema, answer::OverSocket},
    state::AppState,
};

/// How long a new socket has to send `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long running operations have to deliver their `error` once the session has ended.
const CLOSING_GRACE: Duration = Duration::from_secs(1);

/// Operations one socket may run at once (each subscription holds a stream and does work on
/// every matching event).
pub const MAX_OPERATIONS: usize = 50;
/// Client messages waiting for async-graphql to take them.
const QUEUED_MESSAGES: usize = 16;

const FORBIDDEN: u16 = 4403;
const INIT_TIMED_OUT: u16 = 4408;

/// Serves one websocket until either side closes it.
pub async fn serve(
    socket: WebSocketStream,
    schema: AppSchema,
    state: AppState,
    protocol: WebSocketProtocols,
    client: Client,
) {
    let (mut sink, mut source) = socket.split();
    let (to_graphql, from_client) = mpsc::channel::<Vec<u8>>(QUEUED_MESSAGES);
    let signed_in: Arc<OnceLock<LiveSession>> = Arc::new(OnceLock::new());
    let ended = CancellationToken::new();
    let init = {
        let (state, signed_in, ended) = (state.clone(), signed_in.clone(), ended.clone());
        move |payload| connection_init(state, payload, client, signed_in, ended)
    };
    let mut graphql =
        GraphqlWebSocket::new(OverSocket(schema), tokio_stream_of(from_client), protocol)
            .on_connection_init(init);
    let mut events = Box::pin(state.events.subscribe());
    let mut operations = Operations::default();
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let mut closing: Option<tokio::time::Instant> = None;
    let mut waiting: Option<Vec<u8>> = None;

    let close = loop {
        let expiry = expiry_sleep(&state, signed_in.get());
        tokio::select! {
            biased;
            // One message at a time waits to be passed on; the next is read once it has been.
            message = source.next(), if waiting.is_none() => {
                let bytes = match message {
                    Some(Ok(Message::Text(text))) => text.into_bytes(),
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Err(_)) => break Some((1009, "message too big or malformed")),
                };
                match operations.note_client_message(&bytes) {
                    Admit::Pass => waiting = Some(bytes),
                    Admit::Refuse(answer) => {
                        if sink.send(Message::Text(answer)).await.is_err() {
                            break None;
                        }
                    }
                }
            }
            room = to_graphql.reserve(), if waiting.is_some() => match (room, waiting.take()) {
                (Ok(room), Some(bytes)) => room.send(bytes),
                _ => break None,
            },
            outgoing = graphql.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    if let Some(text) = operations.relay_server_message(text)
                        && sink.send(Message::Text(text)).await.is_err()
                    {
                        break None;
                    }
                    if closing.is_some() && operations.running.is_empty() {
                        break Some((FORBIDDEN, "the session has ended"));
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let _ = sink.send(Message::Close(Some((CloseCode::from(code), reason)))).await;
                    return;
                }
                None => break None,
            },
            _ = &mut init_deadline, if !operations.initialised => {
                break Some((INIT_TIMED_OUT, "Connection initialisation timeout"));
            }
            event = events.next() => {
                if let (Some(Event::SessionsEnded(gone)), Some(live)) = (event, signed_in.get())
                    && gone.covers(live.actor.user_id, live.actor.session_id)
                {
                    live.ended.cancel();
                }
            }
            _ = expiry => ended.cancel(),
            _ = ended.cancelled(), if closing.is_none() => {
                if operations.running.is_empty() {
                    break Some((FORBIDDEN, "the session has ended"));
                }
                closing = Some(tokio::time::Instant::now() + CLOSING_GRACE);
            }
            _ = sleep_until(closing), if closing.is_some() => {
                break Some((FORBIDDEN, "the session has ended"));
            }
        }
    };
    if let Some((code, reason)) = close {
        let _ = sink
            .send(Message::Close(Some((
                CloseCode::from(code),
                reason.to_owned(),
            ))))
            .await;
    }
    let _ = sink.close().await;
}

/// The client's messages, as async-graphql reads them.
fn tokio_stream_of(
    mut receiver: mpsc::Receiver<Vec<u8>>,
) -> impl futures_util::Stream<Item = Vec<u8>> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

/// Resolves when the access token the socket signed in with expires.
fn expiry_sleep(
    state: &AppState,
    live: Option<&LiveSession>,
) -> Either<tokio::time::Sleep, std::future::Pending<()>> {
    match live {
        Some(live) => {
            let left = (live.expires_at - state.now()).to_std().unwrap_or_default();
            Either::Left(tokio::time::sleep(left))
        }
        None => Either::Right(std::future::pending()),
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The token comes in `connection_init`'s payload as `{"authorization": "Bearer <token>"}`
/// (or `{"accessToken": "<token>"}`); without one the connection is anonymous; a bad one is
/// refused.
async fn connection_init(
    state: AppState,
    payload: Value,
    client: Client,
    signed_in: Arc<OnceLock<LiveSession>>,
    ended: CancellationToken,
) -> async_graphql::Result<Data> {
    let field = |name: &str| payload.get(name).and_then(Value::as_str);
    let token = field("authorization")
        .or_else(|| field("Authorization"))
        .map(|value| super::graphql::bearer_token(value).unwrap_or(value))
        .or_else(|| field("accessToken"));
    let mut data = Data::default();
    data.insert(client);
    let Some(token) = token else {
        data.insert(Viewer(None));
        return Ok(data);
    };
    let (actor, expires_at) = sessions::authenticate_until(&state, token)
        .await
        .map_err(|error| async_graphql::Error::new(error.to_string()))?;
    let live = LiveSession {
        actor: actor.clone(),
        expires_at,
        ended,
    };
    let _ = signed_in.set(live.clone());
    data.insert(Viewer(Some(actor)));
    data.insert(live);
    Ok(data)
}

/// What the loop knows of the protocol: whether the client has said `connection_init`, which
/// operations are running (and which of them are subscriptions), and which ended with `error`
/// (whose `complete` must not follow).
#[derive(Default)]
struct Operations {
    initialised: bool,
    running: HashSet<String>,
    subscriptions: HashSet<String>,
    failed: HashSet<String>,
}

/// What becomes of a client's message.
enum Admit {
    /// On to async-graphql.
    Pass,
    /// Answered here with this message instead.
    Refuse(String),
}

impl Operations {
    fn note_client_message(&mut self, bytes: &[u8]) -> Admit {
        let Ok(message) = serde_json::from_slice::<Value>(bytes) else {
            return Admit::Pass;
        };
        let id = message["id"].as_str().map(str::to_owned);
        match (message["type"].as_str(), id) {
            (Some("connection_init"), _) => self.initialised = true,
            (Some("subscribe" | "start"), Some(id))
                if self.running.len() >= MAX_OPERATIONS && !self.running.contains(&id) =>
            {
                return Admit::Refuse(too_many_operations(&id));
            }
            (Some("subscribe" | "start"), Some(id)) => {
                if is_subscription(&message["payload"]) {
                    self.subscriptions.insert(id.clone());
                }
                self.running.insert(id);
            }
            (Some("complete" | "stop"), Some(id)) => {
                self.running.remove(&id);
            }
            _ => {}
        }
        Admit::Pass
    }

    /// The message to send for one from async-graphql, if any.
    fn relay_server_message(&mut self, text: String) -> Option<String> {
        let Ok(mut message) = serde_json::from_str::<Value>(&text) else {
            return Some(text);
        };
        let id = message["id"].as_str().map(str::to_owned);
        match (message["type"].as_str(), id) {
            (Some("next" | "data"), Some(id))
                if nothing_ran(&message["payload"], self.subscriptions.contains(&id)) =>
            {
                self.running.remove(&id);
                self.subscriptions.remove(&id);
                self.failed.insert(id);
                message["type"] = Value::from("error");
                message["payload"] = message["payload"]["errors"].take();
                Some(message.to_string())
            }
            (Some("complete"), Some(id)) => {
                self.running.remove(&id);
                self.subscriptions.remove(&id);
                (!self.failed.remove(&id)).then_some(text)
            }
            _ => Some(text),
        }
    }
}

fn too_many_operations(id: &str) -> String {
    serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": format!("at most {MAX_OPERATIONS} operations run at once on one socket"),
            "extensions": { "code": "RATE_LIMITED" },
        }],
    })
    .to_string()
}

/// Nothing ran: no data, and every error is about the request itself, or (for a
/// subscription) about its root field, whose event stream could not be started.
fn nothing_ran(payload: &Value, subscription: bool) -> bool {
    let Some(errors) = payload["errors"].as_array() else {
        return false;
    };
    let depth = |error: &Value| error["path"].as_array().map_or(0, Vec::len);
    let allowed = usize::from(subscription);
    payload["data"].is_null()
        && !errors.is_empty()
        && errors.iter().all(|error| depth(error) <= allowed)
}

/// Whether a `subscribe` payload asks for a subscription (its selected operation).
fn is_subscription(payload: &Value) -> bool {
    let Some(query) = payload["query"].as_str() else {
        return false;
    };
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let name = payload["operationName"].as_str();
    document
        .operations
        .iter()
        .find(|(operation, _)| name.is_none() || operation.map(|n| n.as_str()) == name)
        .is_some_and(|(_, operation)| {
            operation.node.ty == async_graphql::parser::types::OperationType::Subscription
        })
}
