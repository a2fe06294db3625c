//! The one HTTP client every network call goes through, and the helpers that turn transport
//! errors and rate-limit headers into facts the networks classify.
//!
//! rustls; a connect timeout, a read timeout and a total timeout, so a hung server can never hold
//! a delivery; redirects off, since an API that redirects a POST is misconfigured and following it
//! could replay a publish or carry a bearer token elsewhere. Error texts never include the URL: a
//! Discord webhook URL is itself a secret. Every answer is read with a cap: `read_body` refuses one
//! past its limit (`ANSWER_LIMIT`, 4 MB, for an API's answers), as declared or as it streams.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// The longest silence while reading an answer.
    pub read_timeout: Duration,
    /// The longest any one request may take, uploads included.
    pub total_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(120),
        }
    }
}

impl HttpConfig {
    /// All three timeouts bounded by `total` (tests use a short one).
    pub fn with_total_timeout(total: Duration) -> Self {
        let base = Self::default();
        Self {
            connect_timeout: base.connect_timeout.min(total),
            read_timeout: base.read_timeout.min(total),
            total_timeout: total,
        }
    }
}

pub fn client(config: &HttpConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("Fanout/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .timeout(config.total_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Network(format!("cannot set up HTTP: {}", describe(&e))))
}

/// Whether a failed request could have reached the server and been acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The connection was never made: nothing was sent.
    NotSent,
    /// It may have been received (timeout, connection dropped mid-way, unreadable answer).
    MaybeReceived,
}

pub fn reach(e: &reqwest::Error) -> Reach {
    if e.is_connect() || e.is_builder() { Reach::NotSent } else { Reach::MaybeReceived }
}

/// A transport error in words, without the URL.
pub fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out waiting for the server"
    } else if e.is_connect() {
        "could not connect to the server"
    } else if e.is_body() || e.is_decode() {
        "the server's answer was cut off or unreadable"
    } else if e.is_request() {
        "the connection broke before the server answered"
    } else if e.is_redirect() {
        "the server answered with a redirect, which Fanout does not follow for API calls"
    } else {
        "HTTP error"
    };
    // Only the innermost cause is added: reqwest's own Display carries the URL.
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut innermost = None;
    while let Some(s) = source {
        innermost = Some(s.to_string());
        source = s.source();
    }
    match innermost {
        Some(cause) if !cause.contains("://") => format!("{what} ({cause})"),
        _ => what.to_owned(),
    }
}

/// The most an API's answer may hold: every JSON answer Fanout reads is far smaller, and a server
/// streaming without end must not fill the memory.
pub const ANSWER_LIMIT: usize = 4 * 1024 * 1024;

/// Reading an answer's body failed: the transport broke, or it grew past the limit.
#[derive(Debug)]
pub enum ReadError {
    Transport(reqwest::Error),
    TooLarge { limit: usize },
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        Self::Transport(e)
    }
}

/// What a failed request or read means for the step that made it.
pub trait TransportError {
    fn reach(&self) -> Reach;
    fn describe(&self) -> String;
}

impl TransportError for reqwest::Error {
    fn reach(&self) -> Reach {
        reach(self)
    }
    fn describe(&self) -> String {
        describe(self)
    }
}

impl TransportError for ReadError {
    fn reach(&self) -> Reach {
        match self {
            Self::Transport(e) => reach(e),
            // The request arrived and was answered: whatever it asked for may have been done.
            Self::TooLarge { .. } => Reach::MaybeReceived,
        }
    }
    fn describe(&self) -> String {
        match self {
            Self::Transport(e) => describe(e),
            Self::TooLarge { limit } => {
                format!("the server's answer was larger than the {} MB an answer may be; it was not read", limit >> 20)
            }
        }
    }
}

/// Reads an answer's body, refusing one over `limit` bytes (as declared, or as it streams).
pub async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The wait a 429/503 answer asks for: `Retry-After` in seconds or as an HTTP date, else a
/// `X-RateLimit-Reset` timestamp (Mastodon sends an ISO 8601 time there).
pub fn retry_after(headers: &reqwest::header::HeaderMap, now: Timestamp) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(value) = text("retry-after") {
        if let Ok(secs) = value.parse::<f64>() {
            return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(value) {
            return Some(now.until(Timestamp(at.timestamp_millis())));
        }
    }
    if let Some(value) = text("x-ratelimit-reset")
        && let Some(at) = Timestamp::parse_rfc3339(value)
    {
        return Some(now.until(at));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_reads_seconds_dates_and_rate_limit_resets() {
        let now = Timestamp::parse_rfc3339("2026-11-21T10:00:00Z").expect("valid");
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None, "no header, no hint");
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
        h.insert("retry-after", HeaderValue::from_static("Sat, 21 Nov 2026 10:00:30 GMT"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_static("2026-11-21T10:05:00.000Z"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(300)));
    }
}
