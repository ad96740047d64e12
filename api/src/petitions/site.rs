//! The petitions site, fetched politely: only from PETITIONS_BASE_URL, at most
//! PETITIONS_MAX_RPS requests a second from this instance, conditional requests, a product
//! `User-Agent`, a size limit on what is read, and no redirect followed off the site.

use std::{num::NonZeroU32, time::Duration};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::{StatusCode, header};
use url::Url;

use crate::config::Config;

/// Documents larger than this are refused rather than read.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The validators of the last copy read, sent back so an unchanged document costs the site a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What the site answered.
#[derive(Debug)]
pub enum Answer {
    Fresh {
        body: Vec<u8>,
        validators: Validators,
        /// `Cache-Control: max-age`: not worth asking again sooner.
        max_age: Option<Duration>,
        /// The site moved the petition to its archived address.
        archived: bool,
    },
    NotModified {
        max_age: Option<Duration>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the petitions site has no such petition")]
    NotFound,
    #[error(
        "the petition is not published yet: the petitions committee is still checking it, so \
         it can be tracked once it opens for signatures"
    )]
    InModeration,
    #[error("the petition was removed from the petitions site")]
    Gone,
    /// Worth retrying later, after a pause that grows (and at least `retry_after`).
    #[error("the petitions site is unavailable: {reason}")]
    Unavailable {
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("the petitions site sent something unusable: {0}")]
    Unusable(String),
}

impl FetchError {
    fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason.into(),
            retry_after: None,
        }
    }
}

pub struct Site {
    client: reqwest::Client,
    base: Url,
    pace: DefaultDirectRateLimiter,
    /// After the site asks us to slow down (429 or 5xx with `Retry-After`), no request from
    /// this instance goes before this time, whichever petition it is for.
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Site {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(format!(
                "PartnerNetwork/{} (petition tracker; +{})",
                env!("CARGO_PKG_VERSION"),
                config.public_url
            ))
            .build()?;
        Ok(Self {
            client,
            base: config.petitions_base_url.clone(),
            // Evenly spaced, without a burst at the start: never more than the limit in any
            // one second.
            paused_until: std::sync::Mutex::new(None),
            pace: RateLimiter::direct(
                Quota::per_second(config.petitions_max_rps).allow_burst(NonZeroU32::MIN),
            ),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Fetches `path` on the site, following the site's own move of a petition to its archived
    /// address (once), and nothing else.
    pub async fn fetch(&self, path: &str, validators: &Validators) -> Result<Answer, FetchError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|error| FetchError::Unusable(error.to_string()))?;
        let mut archived = false;
        for _ in 0..2 {
            match self.request(&url, validators, archived).await? {
                Step::Answered(answer) => return Ok(answer),
                Step::MovedTo(target) => {
                    url = target;
                    archived = true;
                }
            }
        }
        Err(FetchError::Unusable("redirected more than once".to_owned()))
    }

    async fn request(
        &self,
        url: &Url,
        validators: &Validators,
        archived: bool,
    ) -> Result<Step, FetchError> {
        let paused = self.paused_until.lock().ok().and_then(|until| *until);
        if let Some(until) = paused {
            tokio::time::sleep_until(until).await;
        }
        self.pace.until_ready().await;
        let mut request = self
            .client
            .get(url.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, last_modified);
        }
        let response = request.send().await.map_err(|error| {
            FetchError::unavailable(if error.is_timeout() {
                "no answer in time".to_owned()
            } else {
                format!("could not reach it ({})", error_kind(&error))
            })
        })?;
        let status = response.status();
        match status {
            StatusCode::OK => Ok(Step::Answered(fresh(response, archived).await?)),
            StatusCode::NOT_MODIFIED => Ok(Step::Answered(Answer::NotModified {
                max_age: max_age(response.headers()),
            })),
            StatusCode::NOT_FOUND => Err(FetchError::NotFound),
            StatusCode::GONE => Err(FetchError::Gone),
            StatusCode::TOO_MANY_REQUESTS => Err(FetchError::Unavailable {
                reason: "it asked us to slow down (429)".to_owned(),
                retry_after: self.pause(response.headers()),
            }),
            status if status.is_redirection() => self.redirect(url, response.headers(), archived),
            status if status.is_server_error() => Err(FetchError::Unavailable {
                reason: format!("it answered {}", status.as_u16()),
                retry_after: self.pause(response.headers()),
            }),
            status => Err(FetchError::Unusable(format!(
                "an unexpected answer ({})",
                status.as_u16()
            ))),
        }
    }

    /// Holds every request of this instance back for as long as the site asked (at most ten
    /// seconds here, so staff tracking a petition are not kept waiting; the petition that was
    /// refused waits the whole time through its backoff).
    fn pause(&self, headers: &header::HeaderMap) -> Option<Duration> {
        let asked = retry_after(headers)?;
        let until = tokio::time::Instant::now() + asked.min(Duration::from_secs(10));
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |current| current.max(until)));
        }
        Some(asked)
    }

    /// The site moves a petition from an earlier Parliament to its archived JSON address, and
    /// sends one still in moderation to an HTML page; any other host is refused.
    fn redirect(
        &self,
        from: &Url,
        headers: &header::HeaderMap,
        already_moved: bool,
    ) -> Result<Step, FetchError> {
        let target = headers
            .get(header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| from.join(location).ok())
            .ok_or_else(|| FetchError::Unusable("a redirect without a usable address".into()))?;
        if target.origin() != self.base.origin() {
            return Err(FetchError::Unusable(
                "a redirect to another host, which is not followed".to_owned(),
            ));
        }
        let to_archive =
            target.path().starts_with("/archived/petitions/") && target.path().ends_with(".json");
        if to_archive && !already_moved {
            Ok(Step::MovedTo(target))
        } else {
            Err(FetchError::InModeration)
        }
    }
}

enum Step {
    Answered(Answer),
    MovedTo(Url),
}

async fn fresh(mut response: reqwest::Response, archived: bool) -> Result<Answer, FetchError> {
    let too_large = || FetchError::Unusable(format!("over {} MB", MAX_DOCUMENT_BYTES >> 20));
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| FetchError::unavailable("the answer was cut off"))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer::Fresh {
        body,
        validators: Validators {
            etag: text_header(&headers, header::ETAG),
            last_modified: text_header(&headers, header::LAST_MODIFIED),
        },
        max_age: max_age(&headers),
        archived,
    })
}

fn text_header(headers: &header::HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.len() <= 200)
        .map(str::to_owned)
}

/// `Cache-Control: max-age=N`, capped at a day so a strange header cannot stop the polling.
fn max_age(headers: &header::HeaderMap) -> Option<Duration> {
    let control = headers.get(header::CACHE_CONTROL)?.to_str().ok()?;
    control
        .split(',')
        .filter_map(|directive| directive.trim().strip_prefix("max-age="))
        .find_map(|seconds| seconds.trim().parse::<u64>().ok())
        .map(|seconds| Duration::from_secs(seconds.min(24 * 3600)))
}

/// `Retry-After` in seconds (the site does not send dates), capped at a day.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|seconds| Duration::from_secs(seconds.min(24 * 3600)))
}

/// What went wrong reaching the site, without the address (which says nothing new).
fn error_kind(error: &reqwest::Error) -> &'static str {
    if error.is_connect() {
        "connection refused or failed"
    } else if error.is_request() {
        "the request failed"
    } else {
        "the connection broke"
    }
}
