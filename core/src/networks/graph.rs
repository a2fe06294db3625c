//! What Facebook Pages, Instagram, Threads and WhatsApp share: Meta's Graph API. Its error body
//! (`{"error": {"message", "type", "code", "error_subcode", "is_transient", "error_user_msg"}}`)
//! sorted into the failure kinds of DESIGN.md by the table in PLATFORMS.md; the usage headers
//! (`X-App-Usage`, `X-Business-Use-Case-Usage`) read into a pause for the account; and one way to
//! call it, with the token in the `Authorization` header so it never sits in a URL.
//! `token_expiry` reads a token's expiry from `debug_token` when an account is linked or checked.
//!
//! The Graph API has no idempotency key. A publish whose answer is unclear (codes 1 and 2, a 5xx,
//! "duplicate post") is therefore never simply repeated: it becomes `OutcomeUnknown`, and the
//! worker reconciles it with the platform before anything is published again.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{excerpt, publish_transport_failure, transport_failure};
use crate::clock::Timestamp;
use crate::model::{Failure, FailureKind};
use crate::secrets::Secret;

/// The Graph API version Fanout speaks (released 2026-07-29); part of every account's endpoint.
pub const VERSION: &str = "v26.0";
/// Meta's Graph API root for Facebook and Instagram.
pub const FACEBOOK_ROOT: &str = "https://graph.facebook.com";

/// A throttle without a time to wait: Meta's usage windows are an hour long, so a quarter of one.
const DEFAULT_THROTTLE: Duration = Duration::from_secs(15 * 60);
/// From this share of a usage limit on, the account slows down before Meta stops it.
const NEAR_LIMIT_PERCENT: u64 = 90;
/// How long an account near its limit waits before its next delivery.
const NEAR_LIMIT_PAUSE: Duration = Duration::from_secs(5 * 60);

/// A Graph API error body, as far as Fanout reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub message: String,
    pub code: i64,
    pub subcode: Option<i64>,
    pub is_transient: bool,
    /// The text Meta words for end users, where it gives one.
    pub user_message: Option<String>,
}

impl GraphError {
    pub fn parse(body: &[u8]) -> Option<GraphError> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let error = value.get("error")?;
        Some(GraphError {
            message: error.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned(),
            code: error.get("code").and_then(Value::as_i64)?,
            subcode: error.get("error_subcode").and_then(Value::as_i64),
            is_transient: error.get("is_transient").and_then(Value::as_bool).unwrap_or(false),
            user_message: error
                .get("error_user_msg")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
        })
    }

    /// "Meta's text (code 100/2207009)".
    fn describe(&self) -> String {
        let text = excerpt(self.user_message.as_deref().unwrap_or(&self.message), 240);
        match self.subcode {
            Some(sub) => format!("{text} (Graph error {}/{sub})", self.code),
            None => format!("{text} (Graph error {})", self.code),
        }
    }
}

fn is_throttle(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 613 | 341 | 80_001..=80_014)
}

/// What the usage headers say about this account's budget: the wait Meta names
/// (`estimated_time_to_regain_access`, minutes), or a short pause when a share is near its limit.
pub fn usage_pause(headers: &HeaderMap) -> Option<Duration> {
    let mut wait_minutes = 0u64;
    let mut highest = 0u64;
    let mut note = |object: &Value| {
        for key in ["call_count", "total_cputime", "total_time", "acc_id_util_pct"] {
            highest = highest.max(object.get(key).and_then(Value::as_f64).map_or(0, |p| p.max(0.0) as u64));
        }
        if let Some(minutes) = object.get("estimated_time_to_regain_access").and_then(Value::as_u64) {
            wait_minutes = wait_minutes.max(minutes);
        }
    };
    for name in ["x-app-usage", "x-page-usage", "x-ad-account-usage"] {
        if let Some(value) = header_json(headers, name) {
            note(&value);
        }
    }
    if let Some(Value::Object(per_business)) = header_json(headers, "x-business-use-case-usage") {
        for entries in per_business.values() {
            for entry in entries.as_array().into_iter().flatten() {
                note(entry);
            }
        }
    }
    if wait_minutes > 0 {
        Some(Duration::from_secs(wait_minutes * 60))
    } else if highest >= 100 {
        Some(DEFAULT_THROTTLE)
    } else if highest >= NEAR_LIMIT_PERCENT {
        Some(NEAR_LIMIT_PAUSE)
    } else {
        None
    }
}

fn header_json(headers: &HeaderMap, name: &str) -> Option<Value> {
    serde_json::from_str(headers.get(name)?.to_str().ok()?).ok()
}

/// Sorts a Graph API error answer into a failure kind. `publishing` says the request could have
/// made a post: then an unclear answer is `OutcomeUnknown`, to be reconciled, never repeated.
pub fn classify(
    network: &str,
    step: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    publishing: bool,
) -> Failure {
    let unclear = |what: String| {
        if publishing {
            Failure::new(FailureKind::OutcomeUnknown, format!("{step}: {what} — the post may or may not be live"))
        } else {
            Failure::transient(format!("{step}: {what}"))
        }
    };
    let Some(error) = GraphError::parse(body) else {
        let code = status.as_u16();
        let text = excerpt(&String::from_utf8_lossy(body), 160);
        return match code {
            408 | 425 | 500..=599 => unclear(format!("{network} answered HTTP {code}")),
            429 => Failure::new(FailureKind::RateLimited, format!("{step}: {network} is throttling (HTTP 429)"))
                .with_retry_after(usage_pause(headers).or(Some(DEFAULT_THROTTLE))),
            _ => Failure::rejected(format!("{step}: unexpected answer from {network}, HTTP {code}: {text}")),
        };
    };
    let what = error.describe();
    match (error.code, error.subcode) {
        (190, sub) => {
            let why = match sub {
                Some(463 | 467) => "the access token has expired",
                Some(460) => "the password was changed since the account was linked",
                Some(458) => "Fanout's Meta app was removed from the account",
                Some(459) => "the account is checkpointed by Meta; log in on the web first",
                Some(464) => "the account is not confirmed",
                _ => "the access token is no longer valid",
            };
            Failure::new(FailureKind::Unauthorized, format!("{network}: {why} ({what}); reconnect the account"))
        }
        (code, _) if is_throttle(code) => Failure::new(
            FailureKind::RateLimited,
            format!("{step}: {network} is throttling this account ({what}); it waits until Meta allows it again"),
        )
        .with_retry_after(usage_pause(headers).or(Some(DEFAULT_THROTTLE))),
        (10 | 200..=299, _) => Failure::new(
            FailureKind::Unauthorized,
            format!(
                "{network}: a permission is missing ({what}); reconnect the account and allow every permission asked"
            ),
        ),
        (368, _) => Failure::rejected(format!(
            "{step}: {network} blocked this for violating its policies ({what}); check the account's notifications on {network}"
        )),
        (506, _) if publishing => Failure::new(
            FailureKind::OutcomeUnknown,
            format!(
                "{step}: {network} says this is a duplicate of a recent post ({what}) — it is probably live already"
            ),
        ),
        (_, Some(2_207_051 | 2_207_052)) if publishing => unclear(what),
        (_, Some(2_207_042)) => Failure::new(
            FailureKind::RateLimited,
            format!("{step}: Instagram's daily publishing limit is reached ({what}); the post waits"),
        )
        .with_retry_after(Some(Duration::from_secs(3600))),
        (_, Some(2_207_001)) => Failure::rejected(format!(
            "{step}: Instagram flagged this as spam ({what}); change the post before trying again"
        )),
        (_, Some(2_207_004)) => {
            Failure::rejected(format!("{step}: the file is larger than Instagram accepts ({what})"))
        }
        (_, Some(2_207_005)) => {
            Failure::rejected(format!("{step}: Instagram does not accept this file's format ({what})"))
        }
        (_, Some(2_207_009)) => Failure::rejected(format!(
            "{step}: Instagram refuses this aspect ratio ({what}); crop the image to between 4:5 and 1.91:1"
        )),
        (_, Some(2_207_026)) => Failure::rejected(format!(
            "{step}: Instagram refuses this video ({what}); it needs MP4/MOV with H.264 and AAC"
        )),
        (1 | 2, _) => unclear(what),
        _ if error.is_transient || status.is_server_error() => unclear(what),
        (100, _) => Failure::rejected(format!("{step}: {network} refused a value ({what})")),
        _ => Failure::rejected(format!("{step}: {network} refused it ({what})")),
    }
}

/// Calls to one Graph API root with one token. Remembers the longest pause any answer's usage
/// headers asked for, so the network can slow the account down after the delivery.
#[derive(Debug)]
pub struct Graph<'a> {
    pub network: &'static str,
    pub http: &'a reqwest::Client,
    pub root: &'a str,
    pub token: &'a Secret,
    pause: Mutex<Option<Duration>>,
}

/// Runs a Meta network's delivery steps with the account's Graph client (`|job, g| steps`), then
/// holds the account's next deliveries back for as long as Meta's usage headers asked, whatever
/// the outcome.
macro_rules! metered {
    ($network:expr, $job:ident, |$g:ident| $steps:expr) => {{
        let $g = $crate::networks::graph::Graph::new($network, $job.http, &$job.account.endpoint, $job.secret);
        let result = $steps.await;
        if let Some(wait) = $g.pause() {
            $job.slow_down(wait);
        }
        result
    }};
}
pub(crate) use metered;

impl<'a> Graph<'a> {
    pub fn new(network: &'static str, http: &'a reqwest::Client, root: &'a str, token: &'a Secret) -> Self {
        Self { network, http, root: root.trim_end_matches('/'), token, pause: Mutex::new(None) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.root, path.trim_start_matches('/'))
    }

    /// The longest pause the usage headers asked for so far.
    pub fn pause(&self) -> Option<Duration> {
        *self.pause.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn note_usage(&self, headers: &HeaderMap) {
        if let Some(wait) = usage_pause(headers) {
            let mut pause = self.pause.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *pause = Some(pause.map_or(wait, |p| p.max(wait)));
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(self.token.expose())
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(self.token.expose())
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(self.token.expose())
    }

    /// Sends a request that publishes nothing and reads its JSON answer.
    pub async fn call(&self, step: &str, request: reqwest::RequestBuilder) -> Result<Value, Failure> {
        let response = request.send().await.map_err(|e| transport_failure(step, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
            .await
            .map_err(|e| transport_failure(step, &e))?;
        self.note_usage(&headers);
        self.read(step, status, &headers, &body, false)
    }

    /// Reads an answer: its JSON on success, the classified failure otherwise (a 200 carrying an
    /// `error` object included).
    pub fn read(
        &self,
        step: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        publishing: bool,
    ) -> Result<Value, Failure> {
        if !status.is_success() || GraphError::parse(body).is_some() {
            return Err(classify(self.network, step, status, headers, body, publishing));
        }
        serde_json::from_slice(body).map_err(|_| {
            if publishing {
                Failure::new(
                    FailureKind::OutcomeUnknown,
                    format!(
                        "{step}: {} answered with something unreadable — the post may or may not be live",
                        self.network
                    ),
                )
            } else {
                Failure::transient(format!("{step}: {}'s answer was not valid JSON", self.network))
            }
        })
    }

    /// Reads a publish answer handed back by `Job::read_publish`.
    pub fn read_publish(&self, step: &str, answer: super::Answer) -> Result<Value, Failure> {
        self.note_usage(&answer.headers);
        let body = answer.body.map_err(|e| publish_transport_failure(self.network, &e))?;
        self.read(step, answer.status, &answer.headers, &body, true)
    }
}

/// When this token expires, in seconds since 1970, from `debug_token` (a token inspects itself);
/// `None` when it never does or Meta would not say. Best effort: linking never fails on it.
pub async fn token_expiry(g: &Graph<'_>, _now: Timestamp) -> Option<i64> {
    let token: String = url::form_urlencoded::byte_serialize(g.token.expose().as_bytes()).collect();
    let request = g.get(&format!("debug_token?input_token={token}"));
    match g.call("reading the token's expiry", request).await {
        Ok(answer) => answer.get("data").and_then(|d| d.get("expires_at")).and_then(Value::as_i64).filter(|&at| at > 0),
        Err(e) => {
            tracing::debug!(network = g.network, error = %e, "token expiry unknown");
            None
        }
    }
}

/// A Graph id from a field that may be a string or a number.
pub fn id_of(value: &Value, field: &str) -> Option<String> {
    match value.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Graph times look like `2026-11-22T03:04:05+0000`.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let fixed = match text.len().checked_sub(5).map(|i| text.split_at(i)) {
        Some((head, zone)) if (zone.starts_with('+') || zone.starts_with('-')) && !zone.contains(':') => {
            format!("{head}{}:{}", &zone[..3], &zone[3..])
        }
        _ => text.to_owned(),
    };
    Timestamp::parse_rfc3339(&fixed)
}

/// Whitespace-insensitive text, for finding a post by its message.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Graph API root with its version (`https://graph.facebook.com/v26.0`); a root given without
/// a version gets the one Fanout speaks.
pub fn endpoint(root: Option<&str>) -> crate::error::Result<String> {
    let url = super::link::parse_base("the Graph API address", root.unwrap_or(FACEBOOK_ROOT))?;
    let path = url.path().trim_end_matches('/');
    let versioned = path.rsplit('/').next().is_some_and(|last| {
        last.strip_prefix('v').is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    });
    let path = if versioned { path.to_owned() } else { format!("{path}/{}", VERSION) };
    Ok(format!("{}{path}", super::link::origin(&url)))
}

/// A Facebook Page id: digits only (the number in the Page's About → Page transparency).
/// A Graph object id the user typed: digits only.
pub fn numeric_id(what: &str, input: &str) -> crate::error::Result<String> {
    let id = input.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(crate::error::Error::invalid(format!(
            "'{id}' is not a {what}: it is a number, shown in WhatsApp Manager and the app dashboard's API setup"
        )));
    }
    Ok(id.to_owned())
}

pub fn page_id(input: &str) -> crate::error::Result<String> {
    let id = input.trim();
    if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(crate::error::Error::invalid(format!(
            "'{id}' is not a Facebook Page id: it is a number, shown under the Page's About → Page transparency"
        )));
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn body(code: i64, subcode: Option<i64>, transient: bool) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"error": {
            "message": "msg", "type": "OAuthException", "code": code, "error_subcode": subcode,
            "is_transient": transient, "fbtrace_id": "A1"
        }}))
        .expect("JSON")
    }

    fn kind(code: i64, subcode: Option<i64>, publishing: bool) -> FailureKind {
        classify(
            "Facebook",
            "step",
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            &body(code, subcode, false),
            publishing,
        )
        .kind
    }

    #[test]
    fn the_error_table_of_platforms_md() {
        assert_eq!(kind(190, Some(463), false), FailureKind::Unauthorized);
        for code in [4, 17, 32, 613, 80_001, 80_014] {
            assert_eq!(kind(code, None, true), FailureKind::RateLimited, "code {code}");
        }
        assert_eq!(kind(10, None, false), FailureKind::Unauthorized);
        assert_eq!(kind(200, None, false), FailureKind::Unauthorized);
        assert_eq!(kind(368, None, true), FailureKind::Rejected);
        assert_eq!(kind(100, None, true), FailureKind::Rejected);
        assert_eq!(kind(506, None, true), FailureKind::OutcomeUnknown);
        assert_eq!(kind(1, None, true), FailureKind::OutcomeUnknown, "unclear publish: reconcile");
        assert_eq!(kind(2, None, false), FailureKind::Transient, "nothing published: retry");
        assert_eq!(kind(-1, Some(2_207_051), true), FailureKind::OutcomeUnknown);
        assert_eq!(kind(36_003, Some(2_207_009), true), FailureKind::Rejected);
        let transient = classify("X", "s", StatusCode::BAD_REQUEST, &HeaderMap::new(), &body(9007, None, true), false);
        assert_eq!(transient.kind, FailureKind::Transient);
    }

    #[test]
    fn expired_tokens_say_so_and_messages_carry_the_code() {
        let f =
            classify("Facebook", "s", StatusCode::BAD_REQUEST, &HeaderMap::new(), &body(190, Some(463), false), false);
        assert!(f.message.contains("expired") && f.message.contains("190/463"), "{}", f.message);
    }

    #[test]
    fn usage_headers_become_a_pause() {
        let mut headers = HeaderMap::new();
        assert_eq!(usage_pause(&headers), None);
        headers
            .insert("x-app-usage", HeaderValue::from_static(r#"{"call_count":12,"total_cputime":3,"total_time":4}"#));
        assert_eq!(usage_pause(&headers), None);
        headers
            .insert("x-app-usage", HeaderValue::from_static(r#"{"call_count":93,"total_cputime":3,"total_time":4}"#));
        assert_eq!(usage_pause(&headers), Some(NEAR_LIMIT_PAUSE));
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1234":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":7}]}"#,
            ),
        );
        assert_eq!(usage_pause(&headers), Some(Duration::from_secs(7 * 60)));
        let throttled = classify("Facebook", "s", StatusCode::BAD_REQUEST, &headers, &body(80_001, None, false), true);
        assert_eq!(throttled.retry_after, Some(Duration::from_secs(7 * 60)));
    }

    #[test]
    fn graph_times_parse() {
        let t = parse_time("2026-11-22T03:04:05+0000").expect("parses");
        assert_eq!(t, Timestamp::parse_rfc3339("2026-11-22T03:04:05Z").expect("parses"));
        assert!(parse_time("2026-11-22T03:04:05Z").is_some());
    }
}
