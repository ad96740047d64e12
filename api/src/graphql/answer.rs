//! Runs operations with the checks around them: a document is measured before it runs, every
//! error in the answer is labelled with a code, its fields are put in the query's order, and
//! over a websocket the session is checked
//! before each operation and watched while it runs.
//!
//! These wrap the schema instead of being async-graphql extensions: with any extension
//! registered, async-graphql sends every field of every answer through the extension chain,
//! which cost a sizeable share of the CPU on a long page, though none of these checks looks at
//! a single field.

use std::{any::TypeId, sync::Arc};

use async_graphql::{
    Data, Executor, Request, Response,
    futures_util::stream::{self, BoxStream, StreamExt},
    parser::types::ExecutableDocument,
};

use super::{AppSchema, error::with_codes, limits, order};
use crate::{
    auth::live::{LiveSession, guarded},
    state::AppState,
};

/// Runs one request to its answer.
pub async fn answer(schema: &AppSchema, mut request: Request) -> Response {
    let ordering = match measured(&mut request) {
        Ok(ordering) => ordering,
        Err(refused) => return *refused,
    };
    let mut response = with_codes(schema.execute(request).await);
    ordering.apply(&mut response);
    response
}

/// What puts an answer's fields in the query's order.
#[derive(Clone)]
struct Ordering {
    document: Arc<ExecutableDocument>,
    operation: Option<String>,
}

impl Ordering {
    fn apply(&self, response: &mut Response) {
        order::in_query_order(
            &mut response.data,
            &self.document,
            self.operation.as_deref(),
        );
    }
}

/// Measures the request's document, or answers with the refusal.
fn measured(request: &mut Request) -> Result<Ordering, Box<Response>> {
    let refused = |error| Box::new(with_codes(Response::from_errors(vec![error])));
    limits::measure(request).map_err(refused)?;
    let operation = request.operation_name.clone();
    let document = request.parsed_query().map_err(refused)?;
    Ok(Ordering {
        document: Arc::new(document.clone()),
        operation,
    })
}

/// The schema as a websocket runs it.
#[derive(Clone)]
pub struct OverSocket(pub AppSchema);

impl Executor for OverSocket {
    async fn execute(&self, request: Request) -> Response {
        answer(&self.0, request).await
    }

    /// Every operation sent over a websocket (queries and mutations too) comes through here.
    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let ordering = match measured(&mut request) {
            Ok(ordering) => ordering,
            Err(refused) => return stream::once(async move { *refused }).boxed(),
        };
        let live = session_data.as_deref().and_then(live_session);
        let answers = self
            .0
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |answer| {
                let mut answer = with_codes(answer);
                ordering.apply(&mut answer);
                answer
            });
        match (live, self.0.data::<AppState>()) {
            (Some(live), Some(state)) => guarded(answers.boxed(), live, state.clone()).boxed(),
            _ => answers.boxed(),
        }
    }
}

/// The session a signed-in websocket carries.
fn live_session(data: &Data) -> Option<LiveSession> {
    data.get(&TypeId::of::<LiveSession>())
        .and_then(|value| value.downcast_ref::<LiveSession>())
        .cloned()
}
