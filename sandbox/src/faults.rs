//! The fault plan — per route: a latency and a queue of faults consumed in order, then normal
//! behaviour — and the middleware that applies it to every network request (it also writes the
//! request log, because both need the buffered body and the matched route). Control endpoints
//! never pass through here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::log::{RequestRecord, redact_path};
use crate::service::ErrorShape;
use crate::{BODY_LIMIT, ConnectionKill, SandboxError, Shared, lock};

/// Route template (`"POST /api/v1/statuses"`, or `"*"` for every route without its own entry)
/// → what happens to requests on it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    #[serde(default)]
    pub routes: BTreeMap<String, RouteFaults>,
}

impl FaultPlan {
    /// Reads a plan from JSON, rejecting unknown fields, unknown routes and faults that do not
    /// say exactly one thing, so a typo in a test's plan fails loudly instead of silently
    /// testing nothing.
    pub fn from_json(text: &str) -> Result<FaultPlan, SandboxError> {
        let plan: FaultPlan = serde_json::from_str(text).map_err(|e| SandboxError::InvalidFaultPlan(e.to_string()))?;
        validate(&plan)?;
        Ok(plan)
    }

    /// The same plan with `route` set to `faults`.
    pub fn with_route(mut self, route: impl Into<String>, faults: RouteFaults) -> FaultPlan {
        self.routes.insert(route.into(), faults);
        self
    }
}

/// Latency and faults for one route.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteFaults {
    /// Every request on the route waits this long before anything else happens.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub latency_ms: u64,
    /// Consumed in order; when all are used up the route behaves normally.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
}

/// One fault. Exactly one of `status`, `hang`, `close`, `truncate`, `malformed`, `pass` is set.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Answer this status, shaped like the network's real error, without touching state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Seconds, sent as `Retry-After` (and in Discord's 429 body; for the Graph API, as the
    /// usage headers' `estimated_time_to_regain_access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<f64>,
    /// Graph API only: the error `code` (and `error_subcode`) of the answer, with `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<i64>,
    /// Never answer (until shutdown).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hang: bool,
    /// Drop the connection without a response, before or after handling the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<CloseWhen>,
    /// Handle the request, send headers and part of the body, then drop the connection.
    #[serde(default, skip_serializing_if = "is_false")]
    pub truncate: bool,
    /// Handle the request, then answer 200 with a body that is not JSON.
    #[serde(default, skip_serializing_if = "is_false")]
    pub malformed: bool,
    /// Let the request through untouched (so a later fault hits, say, the third upload).
    #[serde(default, skip_serializing_if = "is_false")]
    pub pass: bool,
    /// How many requests this fault applies to before the next one takes over.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub times: u32,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CloseWhen {
    /// Nothing is handled: state is unchanged.
    Before,
    /// The request is handled (state changes) but the answer is lost.
    After,
}

impl Default for Fault {
    fn default() -> Self {
        Fault {
            status: None,
            retry_after: None,
            code: None,
            subcode: None,
            hang: false,
            close: None,
            truncate: false,
            malformed: false,
            pass: false,
            times: 1,
        }
    }
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault { status: Some(status), ..Fault::default() }
    }
    pub fn hang() -> Fault {
        Fault { hang: true, ..Fault::default() }
    }
    pub fn close(when: CloseWhen) -> Fault {
        Fault { close: Some(when), ..Fault::default() }
    }
    pub fn truncate() -> Fault {
        Fault { truncate: true, ..Fault::default() }
    }
    pub fn malformed() -> Fault {
        Fault { malformed: true, ..Fault::default() }
    }
    pub fn pass() -> Fault {
        Fault { pass: true, ..Fault::default() }
    }
    pub fn times(self, times: u32) -> Fault {
        Fault { times, ..self }
    }
    pub fn retry_after(self, seconds: f64) -> Fault {
        Fault { retry_after: Some(seconds), ..self }
    }
    /// A Graph API error: `status` with this error `code` (and `subcode`).
    pub fn graph(status: u16, code: i64, subcode: Option<i64>) -> Fault {
        Fault { status: Some(status), code: Some(code), subcode, ..Fault::default() }
    }

    /// What this fault does. A hand-built fault with several kinds set resolves to the most
    /// disruptive one; `from_json` rejects such faults.
    fn kind(&self) -> Option<FaultKind> {
        if self.hang {
            Some(FaultKind::Hang)
        } else if let Some(when) = self.close {
            Some(FaultKind::Close(when))
        } else if self.truncate {
            Some(FaultKind::Truncate)
        } else if self.malformed {
            Some(FaultKind::Malformed)
        } else if self.pass {
            None
        } else {
            self.status.map(|status| FaultKind::Status {
                status,
                error: ErrorShape { retry_after: self.retry_after, code: self.code, subcode: self.subcode },
            })
        }
    }

    fn kinds_set(&self) -> usize {
        usize::from(self.status.is_some())
            + usize::from(self.hang)
            + usize::from(self.close.is_some())
            + usize::from(self.truncate)
            + usize::from(self.malformed)
            + usize::from(self.pass)
    }
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}
fn is_false(value: &bool) -> bool {
    !*value
}
fn one() -> u32 {
    1
}
fn is_one(value: &u32) -> bool {
    *value == 1
}

pub(crate) fn validate(plan: &FaultPlan) -> Result<(), SandboxError> {
    let invalid = |message: String| Err(SandboxError::InvalidFaultPlan(message));
    for (route, route_faults) in &plan.routes {
        if route != "*" && !crate::known_routes().any(|known| known == route) {
            let known: Vec<&str> = crate::known_routes().collect();
            return invalid(format!("unknown route {route:?}; use \"*\" or one of: {}", known.join(", ")));
        }
        for (index, fault) in route_faults.faults.iter().enumerate() {
            let at = format!("{route} fault {index}");
            if fault.kinds_set() != 1 {
                return invalid(format!("{at}: set exactly one of status, hang, close, truncate, malformed, pass"));
            }
            if let Some(status) = fault.status
                && StatusCode::from_u16(status).is_err()
            {
                return invalid(format!("{at}: {status} is not an HTTP status"));
            }
            if (fault.code.is_some() || fault.subcode.is_some()) && fault.status.is_none() {
                return invalid(format!("{at}: code and subcode need a status"));
            }
            if fault.subcode.is_some() && fault.code.is_none() {
                return invalid(format!("{at}: a subcode needs a code"));
            }
            if let Some(seconds) = fault.retry_after {
                if fault.status.is_none() {
                    return invalid(format!("{at}: retry_after needs a status"));
                }
                if !seconds.is_finite() || seconds < 0.0 {
                    return invalid(format!("{at}: retry_after must be a non-negative number"));
                }
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum FaultKind {
    Status { status: u16, error: ErrorShape },
    Hang,
    Close(CloseWhen),
    Truncate,
    Malformed,
}

impl FaultKind {
    fn describe(self) -> String {
        match self {
            FaultKind::Status { status, .. } => format!("status {status}"),
            FaultKind::Hang => "hang".to_owned(),
            FaultKind::Close(CloseWhen::Before) => "close before".to_owned(),
            FaultKind::Close(CloseWhen::After) => "close after".to_owned(),
            FaultKind::Truncate => "truncate".to_owned(),
            FaultKind::Malformed => "malformed".to_owned(),
        }
    }
}

/// The plan plus how far each of its entries has been consumed.
pub(crate) struct FaultBook {
    plan: FaultPlan,
    /// Plan key → (index of the current fault, times it has been applied). The `"*"` entry is
    /// one queue shared by all routes it covers.
    progress: HashMap<String, (usize, u32)>,
}

/// What the plan has in store for one request.
struct Planned {
    latency: Duration,
    fault: Option<FaultKind>,
}

impl Planned {
    fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.latency.is_zero() {
            parts.push(format!("latency {}ms", self.latency.as_millis()));
        }
        if let Some(fault) = self.fault {
            parts.push(fault.describe());
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl FaultBook {
    pub(crate) fn new(plan: FaultPlan) -> FaultBook {
        FaultBook { plan, progress: HashMap::new() }
    }

    pub(crate) fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// Takes the next fault for `route`, consuming it.
    fn next_for(&mut self, route: &str) -> Planned {
        let Some((key, entry)) = self.plan.routes.get_key_value(route).or_else(|| self.plan.routes.get_key_value("*"))
        else {
            return Planned { latency: Duration::ZERO, fault: None };
        };
        let (index, used) = self.progress.entry(key.clone()).or_insert((0, 0));
        let mut fault = None;
        while let Some(candidate) = entry.faults.get(*index) {
            if *used < candidate.times {
                *used += 1;
                fault = candidate.kind();
                break;
            }
            *index += 1;
            *used = 0;
        }
        Planned { latency: Duration::from_millis(entry.latency_ms), fault }
    }
}

/// Logs the request, then applies latency and the next fault of its route.
pub(crate) async fn intercept(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let service = crate::services::of_path(parts.uri.path());
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        // Over the limit or the client stopped sending: nothing worth logging was received.
        return (service.errors)(413, ErrorShape::default(), shared.now_ms());
    };
    let template = parts.extensions.get::<MatchedPath>().map_or("(no route)", MatchedPath::as_str);
    let route = format!("{} {template}", parts.method);
    let (text, body_summary) = crate::body::describe(&parts.headers, &bytes);
    let planned = lock(&shared.faults).next_for(&route);
    let seq = lock(&shared.log).push(RequestRecord {
        seq: 0,
        at_ms: shared.now_ms(),
        method: parts.method.to_string(),
        path: redact_path(parts.uri.path()),
        route,
        idempotency_key: parts.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned),
        text,
        body_summary,
        status: None,
        fault: planned.describe(),
    });
    let answered = |status: Option<StatusCode>| {
        lock(&shared.log).answer(seq, status.map(|s| s.as_u16()));
    };

    if !planned.latency.is_zero() {
        tokio::time::sleep(planned.latency).await;
    }
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let request = Request::from_parts(parts, Body::from(bytes));
    match planned.fault {
        None => {
            let response = next.run(request).await;
            answered(Some(response.status()));
            response
        }
        Some(FaultKind::Status { status, error }) => {
            let response = (service.errors)(status, error, shared.now_ms());
            answered(Some(response.status()));
            response
        }
        Some(FaultKind::Hang) => std::future::pending().await,
        Some(FaultKind::Close(when)) => {
            if when == CloseWhen::After {
                drop(next.run(request).await);
            }
            drop_connection(kill).await
        }
        Some(FaultKind::Truncate) => {
            let response = next.run(request).await;
            answered(Some(response.status()));
            truncate(response, kill).await
        }
        Some(FaultKind::Malformed) => {
            drop(next.run(request).await);
            answered(Some(StatusCode::OK));
            ([(CONTENT_TYPE, "application/json; charset=utf-8")], "<html>upstream error").into_response()
        }
    }
}

/// Never returns: the connection task drops the connection (and with it this future). Without a
/// kill handle (the router served by something other than our accept loop) it degrades to a hang.
async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    if let Some(kill) = kill {
        kill.kill();
    }
    std::future::pending().await
}

/// Sends the status line, the headers (with the full Content-Length) and the first half of the
/// body, then drops the connection, so the client sees a body cut off mid-way.
async fn truncate(response: Response, kill: Option<ConnectionKill>) -> Response {
    let (mut parts, body) = response.into_parts();
    let full = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    // Even an empty answer must come up short, so it claims at least one byte.
    let declared = full.len().max(1);
    let sent = full.slice(..full.len() / 2);
    parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(declared));
    let first = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(sent) });
    let cut = futures::stream::once(async move {
        // Give hyper time to flush the first half before the socket goes away.
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop_connection(kill).await;
        Ok::<Bytes, std::io::Error>(Bytes::new())
    });
    Response::from_parts(parts, Body::from_stream(first.chain(cut)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_then_the_route_succeeds() {
        let plan = FaultPlan::from_json(
            r#"{"routes":{"POST /api/v1/statuses":{"latency_ms":5,"faults":[{"status":503,"times":2},{"hang":true}]}}}"#,
        )
        .expect("valid plan");
        let mut book = FaultBook::new(plan);
        let kinds: Vec<Option<String>> = (0..4).map(|_| book.next_for("POST /api/v1/statuses").describe()).collect();
        assert_eq!(
            kinds,
            vec![
                Some("latency 5ms, status 503".to_owned()),
                Some("latency 5ms, status 503".to_owned()),
                Some("latency 5ms, hang".to_owned()),
                Some("latency 5ms".to_owned()),
            ],
            "times=2 applies twice, then the next fault, then only latency"
        );
        assert_eq!(
            book.next_for("GET /api/v2/instance").describe(),
            None,
            "routes without an entry and no \"*\" are untouched"
        );
    }

    #[test]
    fn star_covers_routes_without_their_own_entry() {
        let plan = FaultPlan::default()
            .with_route("*", RouteFaults { latency_ms: 0, faults: vec![Fault::status(500)] })
            .with_route("GET /api/v2/instance", RouteFaults::default());
        let mut book = FaultBook::new(plan);
        assert_eq!(book.next_for("GET /api/v2/instance").fault, None, "own entry wins over *");
        assert!(book.next_for("POST /api/v1/statuses").fault.is_some(), "* applies");
    }

    #[test]
    fn plans_with_typos_are_rejected() {
        for text in [
            r#"{"routes":{"POST /api/v1/status":{}}}"#,
            r#"{"routes":{"*":{"faults":[{"stauts":503}]}}}"#,
            r#"{"routes":{"*":{"faults":[{"status":503,"hang":true}]}}}"#,
            r#"{"routes":{"*":{"faults":[{}]}}}"#,
            r#"{"routes":{"*":{"faults":[{"status":42}]}}}"#,
            r#"{"routes":{"*":{"faults":[{"hang":true,"retry_after":1}]}}}"#,
            r#"{"routes":{"*":{"faults":[{"close":"during"}]}}}"#,
            "not json",
        ] {
            assert!(FaultPlan::from_json(text).is_err(), "should be rejected: {text}");
        }
    }

    #[test]
    fn a_plan_survives_a_json_round_trip() {
        let plan = FaultPlan::default().with_route(
            "POST /api/webhooks/{id}/{token}",
            RouteFaults {
                latency_ms: 100,
                faults: vec![
                    Fault::status(429).retry_after(2.0),
                    Fault::close(CloseWhen::After).times(3),
                    Fault::truncate(),
                    Fault::malformed(),
                    Fault::hang(),
                ],
            },
        );
        let text = serde_json::to_string(&plan).expect("serializable");
        assert_eq!(FaultPlan::from_json(&text).expect("valid"), plan, "what GET returns can be PUT back");
    }
}
