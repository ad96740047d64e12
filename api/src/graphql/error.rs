//! The one error type rules and resolvers return. `with_codes` turns each error in a response
//! into a GraphQL error whose `extensions.code` tells the client what happened; internal details
//! go to the log only.

use std::sync::Arc;

use async_graphql::{ErrorExtensionValues, Response, ServerError};
use chrono::{DateTime, Utc};
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again later")]
    RateLimited {
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// Details are logged, never shown.
    #[error("internal error")]
    Internal(Arc<anyhow::Error>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Arc::new(error.into()))
    }

    /// What went wrong, in full, for the log (never for the client).
    pub fn cause(&self) -> String {
        match self {
            Self::Internal(source) => format!("{source:#}"),
            other => other.to_string(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    fn describe(&self, extensions: &mut ErrorExtensionValues) {
        extensions.set("code", self.code());
        match self {
            Self::BadInput { field, .. } => extensions.set("field", field.as_str()),
            Self::RateLimited { retry_at, now } => {
                extensions.set("retryAt", retry_at.to_rfc3339());
                extensions.set("retryAfterSeconds", (*retry_at - *now).num_seconds().max(1));
            }
            Self::Internal(source) => {
                tracing::error!(error = ?source, "internal error while answering a request");
            }
            _ => {}
        }
    }

    /// This error as a GraphQL error outside any resolver (for example, a bad access token).
    pub fn into_server_error(self) -> ServerError {
        let mut error = ServerError::new(self.to_string(), None);
        let mut extensions = ErrorExtensionValues::default();
        self.describe(&mut extensions);
        error.extensions = Some(extensions);
        error
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        Self::internal(error)
    }
}

/// Errors from the batching loaders, which share one error between every waiting resolver.
impl From<Arc<DbErr>> for ApiError {
    fn from(error: Arc<DbErr>) -> Self {
        Self::internal(anyhow::anyhow!("{error}"))
    }
}

/// Maps a unique-constraint violation to a CONFLICT with the given message, anything else to
/// an internal error.
pub fn conflict_on_unique(error: DbErr, message: &str) -> ApiError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(message.to_owned()),
        _ => ApiError::from(error),
    }
}

/// Gives every error in a response an `extensions.code`, once the response is made.
pub fn with_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        annotate(error);
    }
    response
}

/// Errors raised by our rules carry an `ApiError`. Errors async-graphql raises itself carry
/// nothing: while running a field (coercing its arguments) they have a path and describe the
/// caller's input; before running anything (a wrong operation name aside) they come from its
/// nesting check or its validation. Anything else is unexpected, and its message (which might
/// name SQL or files) is replaced before it reaches the client.
fn annotate(error: &mut ServerError) {
    if error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some())
    {
        return;
    }
    if error.source.is_none() && error.path.is_empty() && !names_no_operation(&error.message) {
        return label_before_running(error);
    }
    let extensions = error.extensions.get_or_insert_with(Default::default);
    match error.source.as_deref() {
        Some(source) => match source.downcast_ref::<ApiError>() {
            Some(api_error) => api_error.describe(extensions),
            None => {
                tracing::error!(message = %error.message, "unexpected error while answering a request");
                error.message = "internal error".to_owned();
                extensions.set("code", "INTERNAL");
            }
        },
        None => extensions.set("code", "BAD_USER_INPUT"),
    }
}

/// async-graphql's refusals of the operation name the request gave (or left out).
fn names_no_operation(message: &str) -> bool {
    message.starts_with("Unknown operation named") || message.starts_with("Operation name required")
}

/// A document was parsed and measured before it was run (see `limits`); what async-graphql
/// refuses before running it is its nesting check, or a validation rule.
fn label_before_running(error: &mut ServerError) {
    if error.message.contains("recursion limit") {
        error.message = "the query nests too deeply".to_owned();
    }
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "GRAPHQL_VALIDATION_FAILED");
}
