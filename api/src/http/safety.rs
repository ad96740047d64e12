//! Headers every response carries so a page cannot be framed, sniffed into another type, or
//! leak the token in its address: pages load nothing but their own stylesheet, send no
//! `Referer`, and a page whose address holds a token is never stored by a cache.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response, handler,
    http::{HeaderValue, header},
};

/// The pages' one stylesheet, served from the binary.
const PAGE_CSS: &str = include_str!("../../assets/page.css");

/// What a page may load: its own stylesheet and form posts to its own origin, nothing else.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; form-action 'self'; \
                           base-uri 'none'; frame-ancestors 'none'";

/// `GET /assets/page.css`
#[handler]
pub fn page_css() -> Response {
    PAGE_CSS
        .with_content_type("text/css; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "public, max-age=3600")
        .into_response()
}

/// Adds the safety headers to whatever `endpoint` answers.
pub async fn with_safety_headers<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let carries_token = request
        .uri()
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair.starts_with("token=")));
    let explorer = request.uri().path() == "/graphql";
    let mut response = endpoint.get_response(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if html {
        let policy = if explorer {
            super::explorer::EXPLORER_POLICY
        } else {
            PAGE_POLICY
        };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
    if carries_token {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
