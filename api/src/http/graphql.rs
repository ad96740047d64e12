//! GraphQL over HTTP (POST, and GET for queries only) and over websocket
//! (graphql-transport-ws), with the caller recognised from their access token.

use async_graphql::{
    ServerError, Value,
    http::ALL_WEBSOCKET_PROTOCOLS,
    parser::types::{DocumentOperations, OperationType},
};
use async_graphql_poem::GraphQLProtocol;
use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{Method, StatusCode, header},
    web::websocket::{WebSocket, WebSocketConfig},
};

use crate::{
    auth::{Client, Viewer, sessions},
    graphql::{AppSchema, error::ApiError, limits::syntax_error},
    state::AppState,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of the answer, chosen from the client's `Accept` header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `application/graphql-response+json`: status codes tell request errors apart.
    GraphqlResponse,
    /// `application/json`: the older convention, 200 for every well-formed request.
    Json,
}

impl Format {
    fn negotiate(accept: Option<&str>) -> Option<Self> {
        let Some(accept) = accept else {
            return Some(Self::Json);
        };
        let acceptable: Vec<String> = accept
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let media = pieces.next()?.trim().to_ascii_lowercase();
                let refused = pieces.any(|param| {
                    param
                        .trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        == Some(0.0)
                });
                (!refused).then_some(media)
            })
            .collect();
        let accepts = |media: &str| acceptable.iter().any(|candidate| candidate == media);
        if accepts(GRAPHQL_RESPONSE_JSON) || accepts("*/*") || accepts("application/*") {
            Some(Self::GraphqlResponse)
        } else if accepts(JSON) {
            Some(Self::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            Self::Json => JSON,
        }
    }
}

#[handler]
pub async fn query(
    request: &Request,
    body: Body,
    poem::web::Data(schema): poem::web::Data<&AppSchema>,
    poem::web::Data(state): poem::web::Data<&AppState>,
) -> Response {
    crate::db::for_request(answer(request, body, schema, state)).await
}

async fn answer(request: &Request, body: Body, schema: &AppSchema, state: &AppState) -> Response {
    if wants_graphiql(request) {
        return super::explorer::page();
    }
    let Some(format) = Format::negotiate(request.header(header::ACCEPT)) else {
        return plain_error(
            StatusCode::NOT_ACCEPTABLE,
            "answers are application/graphql-response+json or application/json",
        );
    };
    let mut graphql_request = match read_request(request, body, state.config.max_body_bytes).await {
        Ok(graphql_request) => graphql_request,
        Err(refusal) => return refusal,
    };
    if request.method() == Method::GET {
        match operation_type(&mut graphql_request) {
            Ok(OperationType::Query) => {}
            Ok(_) => {
                let mut response = respond(
                    format,
                    StatusCode::METHOD_NOT_ALLOWED,
                    async_graphql::Response::from_errors(vec![
                        ApiError::bad_input(
                            "method",
                            "mutations and subscriptions must be sent with POST",
                        )
                        .into_server_error(),
                    ]),
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
                return response;
            }
            Err(error) => {
                let response = async_graphql::Response::from_errors(vec![syntax_error(error)]);
                return respond(format, StatusCode::BAD_REQUEST, response);
            }
        }
    }
    let viewer = match viewer_from_header(request, state).await {
        Ok(viewer) => viewer,
        Err(error) => return refuse_credentials(format, error),
    };
    let graphql_request = graphql_request.data(viewer).data(client_of(request, state));
    let operation = graphql_request.operation_name.clone();
    let started = std::time::Instant::now();
    let response = crate::graphql::answer::answer(schema, graphql_request).await;
    if state.metrics.is_some() {
        // A request that never ran (its operation name may be anything) does not name a series.
        let operation = operation.filter(|_| !is_request_error(&response));
        crate::monitoring::graphql_request(
            operation.as_deref(),
            outcome(&response),
            started.elapsed(),
        );
    }
    let status = if format == Format::GraphqlResponse && is_request_error(&response) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    respond(format, status, response)
}

fn wants_graphiql(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .uri()
            .query()
            .is_none_or(|params| !params.contains("query="))
        && request
            .header(header::ACCEPT)
            .is_some_and(|accept| accept.contains("text/html"))
}

/// Reads a GraphQL request from the query string (GET) or a JSON body (POST).
async fn read_request(
    request: &Request,
    body: Body,
    max_body_bytes: usize,
) -> Result<async_graphql::Request, Response> {
    if request.method() == Method::GET {
        return from_query_string(request.uri().query().unwrap_or_default())
            .map_err(|error| plain_error(StatusCode::BAD_REQUEST, &error));
    }
    let is_json = request
        .header(header::CONTENT_TYPE)
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON));
    if !is_json {
        return Err(plain_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as application/json",
        ));
    }
    let bytes = body.into_bytes_limit(max_body_bytes).await.map_err(|_| {
        plain_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {max_body_bytes} bytes"),
        )
    })?;
    serde_json::from_slice::<async_graphql::Request>(&bytes).map_err(|error| {
        plain_error(
            StatusCode::BAD_REQUEST,
            &format!("the body is not a GraphQL request: {error}"),
        )
    })
}

/// A GET request's parameters as GraphQL over HTTP names them: `query`, `operationName`, and
/// `variables` and `extensions` as JSON. (async-graphql's own parser expects `operation_name`.)
fn from_query_string(query_string: &str) -> Result<async_graphql::Request, String> {
    let mut document = None;
    let mut operation_name = None;
    let mut variables = None;
    let mut extensions = None;
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        let slot = match key.as_ref() {
            "query" => &mut document,
            "operationName" => &mut operation_name,
            "variables" => &mut variables,
            "extensions" => &mut extensions,
            _ => continue,
        };
        *slot = Some(value.into_owned());
    }
    let mut request =
        async_graphql::Request::new(document.ok_or("the `query` parameter is missing")?);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = variables {
        let json = serde_json::from_str(&variables)
            .map_err(|error| format!("`variables` is not JSON: {error}"))?;
        request = request.variables(async_graphql::Variables::from_json(json));
    }
    if let Some(extensions) = extensions {
        request.extensions = serde_json::from_str(&extensions)
            .map_err(|error| format!("`extensions` is not a JSON object: {error}"))?;
    }
    Ok(request)
}

/// The type of the operation the request will run (parsing the document once, for reuse).
fn operation_type(request: &mut async_graphql::Request) -> Result<OperationType, ServerError> {
    let name = request.operation_name.clone();
    let document = request.parsed_query()?;
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name.as_str()),
        (DocumentOperations::Multiple(operations), None) => operations.values().next(),
    };
    Ok(operation.map_or(OperationType::Query, |operation| operation.node.ty))
}

/// Nobody (no header), someone (a valid bearer token), or a refusal (anything else).
async fn viewer_from_header(request: &Request, state: &AppState) -> Result<Viewer, ApiError> {
    let Some(value) = request.header(header::AUTHORIZATION) else {
        return Ok(Viewer(None));
    };
    let token = bearer_token(value).ok_or(ApiError::Unauthenticated(
        "send the access token as `Authorization: Bearer <token>`",
    ))?;
    Ok(Viewer(Some(sessions::authenticate(state, token).await?)))
}

pub(super) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

fn refuse_credentials(format: Format, error: ApiError) -> Response {
    let status = match error {
        ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = respond(
        format,
        status,
        async_graphql::Response::from_errors(vec![error.into_server_error()]),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

/// `ok`, or the code of the first error (codes are the API's own short list).
fn outcome(response: &async_graphql::Response) -> &str {
    response.errors.first().map_or("ok", |error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .unwrap_or("error")
    })
}

/// A request error (the document did not parse or validate, or a limit was hit): nothing ran.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The answer as JSON, written straight from the response (its objects keep the query's field
/// order). A request error has no `data` key at all (GraphQL over HTTP: nothing was
/// executed), where async-graphql would write `"data": null`.
fn respond(format: Format, status: StatusCode, response: async_graphql::Response) -> Response {
    let body = if is_request_error(&response) {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    match body {
        Ok(body) => Response::builder()
            .status(status)
            .content_type(format.content_type())
            .body(body),
        Err(error) => {
            tracing::error!(%error, "could not encode a GraphQL response");
            plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// An error for a request that never reached GraphQL execution.
fn plain_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message }] });
    Response::builder()
        .status(status)
        .content_type(JSON)
        .body(body.to_string())
}

/// GraphQL over websocket (see `socket`), with messages no larger than a request body.
#[handler]
pub async fn websocket(
    request: &Request,
    poem::web::Data(schema): poem::web::Data<&AppSchema>,
    poem::web::Data(state): poem::web::Data<&AppState>,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
) -> impl IntoResponse {
    let (schema, state) = (schema.clone(), state.clone());
    let client = client_of(request, &state);
    let mut limits = WebSocketConfig::default();
    limits.max_message_size = Some(state.config.max_body_bytes);
    limits.max_frame_size = Some(state.config.max_body_bytes);
    websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .config(limits)
        .on_upgrade(move |stream| async move {
            let _open = crate::monitoring::websocket_opened();
            crate::db::for_request(super::socket::serve(
                stream, schema, state, protocol.0, client,
            ))
            .await
        })
}

/// The client of an HTTP request.
pub fn client_of(request: &Request, state: &AppState) -> Client {
    // A proxy may add its own header line rather than append to the client's, so every line
    // is read, in order.
    let forwarded_for: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        // A line that is not text ends the trusted part of the chain.
        .map(|value| value.to_str().unwrap_or_default())
        .collect();
    Client::resolve(
        request.remote_addr().as_socket_addr().map(|addr| addr.ip()),
        &forwarded_for,
        request.header(header::USER_AGENT),
        &state.config.trusted_proxies,
    )
}
