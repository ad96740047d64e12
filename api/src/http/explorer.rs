//! GraphiQL, served from the binary so that `/graphql` works in a browser with no internet
//! access. Each file's address carries a hash of its contents, so browsers may keep it for a
//! year and a new build can never be answered with an old file.

use std::sync::LazyLock;

use poem::{
    IntoResponse, Response, handler,
    http::{StatusCode, header},
    web::{Html, Path},
};
use sha2::{Digest, Sha256};

/// The page's policy: its own scripts and styles only, fonts from the stylesheet's data
/// addresses, and requests (including the websocket) to its own origin.
pub const EXPLORER_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                                   font-src data:; img-src 'self' data:; connect-src 'self'; \
                                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const STYLESHEET: &str = "text/css; charset=utf-8";

/// One file from `api/assets/graphiql/`.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name)),
        }
    };
}

/// In the order the page loads them: GraphiQL needs React, and `explorer.js` needs GraphiQL.
const ASSETS: [Asset; 6] = [
    asset!("graphiql.min.css", STYLESHEET),
    asset!("explorer.css", STYLESHEET),
    asset!("react.production.min.js", JAVASCRIPT),
    asset!("react-dom.production.min.js", JAVASCRIPT),
    asset!("graphiql.min.js", JAVASCRIPT),
    asset!("explorer.js", JAVASCRIPT),
];

/// Each asset's content hash, in `ASSETS` order (hashed once, on first use).
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| hex::encode(&Sha256::digest(asset.bytes)[..8]))
        .collect()
});

static PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut styles = String::new();
    let mut scripts = String::new();
    for (asset, hash) in ASSETS.iter().zip(HASHES.iter()) {
        let address = format!("/explorer/{hash}/{}", asset.name);
        if asset.content_type == STYLESHEET {
            styles.push_str(&format!("<link rel=\"stylesheet\" href=\"{address}\">\n"));
        } else {
            scripts.push_str(&format!("<script src=\"{address}\"></script>\n"));
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Partner network API</title>\n{styles}</head>\n<body>\n\
         <div id=\"explorer\" data-endpoint=\"/graphql\" data-subscriptions=\"/graphql/ws\">\
         Loading the explorer…</div>\n{scripts}</body>\n</html>\n"
    )
});

/// The explorer page (`GET /graphql` from a browser).
pub fn page() -> Response {
    Html(PAGE.as_str()).into_response()
}

/// `GET /explorer/:hash/:name`: one of the page's files, if the hash is the current one.
#[handler]
pub fn file(Path((hash, name)): Path<(String, String)>) -> Response {
    let found = ASSETS
        .iter()
        .zip(HASHES.iter())
        .find(|(asset, current)| asset.name == name && **current == hash);
    match found {
        Some((asset, _)) => asset
            .bytes
            .with_content_type(asset.content_type)
            .with_header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
