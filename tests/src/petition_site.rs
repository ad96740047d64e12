//! A small stand-in for the UK Parliament petitions site: it serves the replies a test sets for
//! each path (documents built from the format the reference describes, redirects, errors),
//! answers conditional requests with 304 like the real site, and remembers every request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use poem::{EndpointExt, Request, Response, Server, http::StatusCode, listener::TcpAcceptor};
use serde_json::{Value, json};

/// What the site answers on one path.
#[derive(Clone)]
pub struct Reply {
    status: u16,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON document with validators and `max-age=60`, as the site sends.
    pub fn json(document: &Value) -> Self {
        let body = document.to_string().into_bytes();
        let etag = format!("W/\"{:x}\"", fnv(&body));
        Self {
            status: 200,
            body,
            headers: vec![
                ("etag", etag),
                ("last-modified", "Mon, 01 Dec 2025 10:00:00 GMT".to_owned()),
                ("cache-control", "max-age=60, public".to_owned()),
                ("content-type", "application/json".to_owned()),
            ],
        }
    }

    /// Raw bytes with status 200, and no validators.
    pub fn raw(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            headers: vec![("content-type", "application/json".to_owned())],
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            body: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn redirect(location: &str) -> Self {
        Self {
            status: 302,
            body: Vec::new(),
            headers: vec![("location", location.to_owned())],
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn etag(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| *name == "etag")
            .map(|(_, value)| value.as_str())
    }
}

/// A request the site received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct Pages {
    replies: HashMap<String, Reply>,
    seen: Vec<Seen>,
}

pub struct PetitionSite {
    /// Scheme, host and port, for PETITIONS_BASE_URL.
    pub url: String,
    pages: Arc<Mutex<Pages>>,
}

impl PetitionSite {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        listener.set_nonblocking(true).expect("non-blocking");
        let pages = Arc::new(Mutex::new(Pages::default()));
        let app = poem::endpoint::make({
            let pages = pages.clone();
            move |request: Request| {
                let pages = pages.clone();
                async move { answer(&pages, &request) }
            }
        });
        let acceptor = TcpAcceptor::from_std(listener).expect("an acceptor");
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app.map_to_response()));
        Self {
            url: format!("http://{address}"),
            pages,
        }
    }

    /// Sets what `path` answers from now on.
    pub fn serve(&self, path: &str, reply: Reply) {
        self.pages().replies.insert(path.to_owned(), reply);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.pages().seen.clone()
    }

    /// Requests so far for `path`.
    pub fn seen_on(&self, path: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|seen| seen.path == path)
            .collect()
    }

    /// Waits up to ten seconds until `path` has had `count` requests.
    pub async fn wait_for(&self, path: &str, count: usize) -> Vec<Seen> {
        for _ in 0..200 {
            let seen = self.seen_on(path);
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "{path} was asked for {} times, not {count}",
            self.seen_on(path).len()
        );
    }

    fn pages(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn answer(pages: &Mutex<Pages>, request: &Request) -> Response {
    let mut pages = pages
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let path = request.uri().path().to_owned();
    let reply = pages
        .replies
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Reply::status(404));
    let unchanged = reply.status == 200
        && reply.etag().is_some()
        && header("if-none-match").as_deref() == reply.etag();
    let status = if unchanged { 304 } else { reply.status };
    pages.seen.push(Seen {
        path,
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        user_agent: header("user-agent"),
        status,
    });
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &reply.headers {
        response = response.header(*name, value.as_str());
    }
    if unchanged {
        response.finish()
    } else {
        response.body(reply.body)
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x100000001b3)
    })
}

/// An open petition of the current Parliament, with every breakdown.
pub fn open_petition(id: i64, action: &str, count: i64) -> Value {
    json!({
        "links": {"self": format!("https://petition.parliament.uk/petitions/{id}.json")},
        "data": {
            "type": "petition",
            "id": id,
            "attributes": {
                "action": action,
                "background": "People wait months for a decision.",
                "additional_details": null,
                "committee_note": null,
                "state": "open",
                "signature_count": count,
                "closing_date": "2027-03-01",
                "created_at": "2026-08-20T09:00:00.000Z",
                "updated_at": "2026-11-30T10:00:00.000Z",
                "rejected_at": null,
                "opened_at": "2026-09-01T12:30:00.000Z",
                "closed_at": null,
                "moderation_threshold_reached_at": "2026-08-21T10:00:00.000Z",
                "response_threshold_reached_at": null,
                "government_response_at": null,
                "debate_threshold_reached_at": null,
                "debate_scheduled_on": null,
                "scheduled_debate_date": null,
                "debate_outcome_at": null,
                "creator_name": null,
                "rejection": null,
                "government_response": null,
                "debate": null,
                "departments": [{"acronym": "HO", "name": "Home Office", "url": "https://www.gov.uk/government/organisations/home-office"}],
                "topics": ["immigration"],
                "signatures_by_country": [
                    {"name": "United Kingdom", "code": "GB", "signature_count": count - 40},
                    {"name": "France", "code": "FR", "signature_count": 40}
                ],
                "signatures_by_constituency": [
                    {"name": "Birmingham Ladywood", "ons_code": "E14000560", "mp": "Shabana Mahmood MP", "signature_count": 300},
                    {"name": "Manchester Central", "ons_code": "E14000807", "mp": null, "signature_count": 500},
                    {"name": "Cardiff Central", "ons_code": "W07000050", "mp": "Jo Stevens MP", "signature_count": 120}
                ],
                "signatures_by_region": [
                    {"name": "West Midlands", "ons_code": "F", "signature_count": 1000},
                    {"name": "North West", "ons_code": "B", "signature_count": 2000},
                    {"name": "Wales", "ons_code": "L", "signature_count": 500},
                    {"name": "London", "ons_code": "H", "signature_count": 1500},
                    {"name": "Scotland", "ons_code": "M", "signature_count": 700},
                    {"name": "South East", "ons_code": "J", "signature_count": 300}
                ],
                "other_parliamentary_business": []
            }
        }
    })
}

/// `count.json` for an open petition.
pub fn count_document(count: i64) -> Value {
    json!({
        "signature_count": count,
        "response_threshold_reached_at": null,
        "government_response_at": null,
        "debate_threshold_reached_at": null,
        "scheduled_debate_date": null,
        "debate_outcome_at": null,
        "debated": false
    })
}

/// Petition 195146 of the 2015–2017 Parliament: a government response, then closed at the
/// instant Parliament was dissolved (written with different offsets, as the site does).
pub fn chechnya_petition() -> Value {
    json!({
        "links": {"self": "https://petition.parliament.uk/archived/petitions/195146.json"},
        "data": {
            "type": "archived-petition",
            "id": 195146,
            "attributes": {
                "action": "Publicly confirm that gay men from Chechnya can seek asylum in the UK",
                "background": "Gay men in Chechnya are reported to be detained and abused.",
                "additional_details": "",
                "state": "closed",
                "signature_count": 20460,
                "opened_at": "2017-04-12T15:45:00.000Z",
                "closed_at": "2017-05-02T23:01:00.000Z",
                "created_at": "2017-04-10T09:00:00.000Z",
                "updated_at": "2017-05-03T00:00:00.000Z",
                "response_threshold_reached_at": "2017-04-14T11:20:00.000Z",
                "government_response_at": "2017-04-28T16:30:00.000Z",
                "debate_threshold_reached_at": null,
                "scheduled_debate_date": null,
                "debate_outcome_at": null,
                "government_response": {
                    "responded_on": "2017-04-28",
                    "summary": "The UK has a proud record of granting asylum to those who need it.",
                    "details": "Each claim is considered on its individual merits.",
                    "created_at": "2017-04-28T16:30:00.000Z",
                    "updated_at": "2017-04-28T16:30:00.000Z"
                },
                "debate": null,
                "signatures_by_country": [{"name": "United Kingdom", "code": "GB", "signature_count": 19900}],
                "signatures_by_constituency": [],
                "signatures_by_region": [{"name": "London", "ons_code": "H", "signature_count": 6000}]
            },
            "parliament": {
                "period": "2015-2017",
                "government": "Conservative",
                "dissolution_at": "2017-05-03T00:01:00+01:00",
                "response_threshold": 10000,
                "debate_threshold": 100000
            }
        }
    })
}

/// A rejected petition: no breakdowns.
pub fn rejected_petition(id: i64) -> Value {
    json!({"data": {"type": "petition", "id": id, "attributes": {
        "action": "Abolish the Home Office by Friday",
        "background": "",
        "state": "rejected",
        "signature_count": 4,
        "rejected_at": "2026-10-01T10:00:00.000Z",
        "rejection": {"code": "irrelevant", "details": null}
    }}})
}
