//! What the sandbox's Meta products (Facebook Pages, Instagram, WhatsApp, Threads and Facebook
//! Login) share. First, the fixed identities of its Meta world: one user ([`SANDBOX_USER_TOKEN`])
//! who manages the Pages in [`SANDBOX_PAGES`] (each with its own [`page_token`]), each Page's
//! Instagram account, the WhatsApp business number and its system user's token, the Threads user,
//! and the app they all sign in to. Second, the toolkit every Graph-shaped answer is made with:
//! error bodies ([`graph_error`]), the request's parameters ([`Params`]), usage headers, Graph's
//! timestamps and page sizes, and fetching a media URL as Meta's servers do.
//!
//! Every Meta product module imports this one, so it must never import any of them (graph,
//! instagram, whatsapp, threads, login, meta_routes); a path several products answer is
//! dispatched in `meta_routes`.

use axum::body::Bytes;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::service::ErrorShape;
use crate::stable_hash;

/// The user's long-lived token in the sandbox's Meta world.
pub const SANDBOX_USER_TOKEN: &str = "sandbox-meta-user-token";
/// The Pages the sandbox user manages: (id, name).
pub const SANDBOX_PAGES: &[(&str, &str)] = &[("102030405060", "Fanout Bakery"), ("102030405061", "Fanout Books")];
pub(crate) const USER_ID: &str = "10001000";
pub(crate) const USER_NAME: &str = "Sandbox User";

/// A Page's own token.
pub fn page_token(page_id: &str) -> String {
    format!("sandbox-page-token-{page_id}")
}

/// The sandbox's Meta app: its id and secret.
pub const SANDBOX_APP_ID: &str = "1234567890";
pub const SANDBOX_APP_SECRET: &str = "sandbox-app-secret";

/// (Instagram user id, username, the Page it is linked to).
pub const SANDBOX_INSTAGRAM: &[(&str, &str, &str)] =
    &[("17841400000000001", "fanout.bakery", "102030405060"), ("17841400000000002", "fanout.books", "102030405061")];

/// The sandbox's WhatsApp Business Account and its phone number: (WABA id, phone number id,
/// display number, verified name).
pub const SANDBOX_WHATSAPP: (&str, &str, &str, &str) =
    ("300400500600", "106540352242922", "+31 20 123 4567", "Fanout Bakery");
/// A system user's token for the business account (what a business pastes).
pub const SANDBOX_WHATSAPP_TOKEN: &str = "sandbox-whatsapp-system-user-token";

/// The sandbox's Threads user: (id, username), and its token.
pub const SANDBOX_THREADS_USER: (&str, &str) = ("27000000000000001", "fanout.bakery");
pub const SANDBOX_THREADS_TOKEN: &str = "sandbox-threads-token";

/// A Graph error answer; small so handlers can pass it around with `?`.
pub(crate) struct GraphFail(pub(crate) Box<Response>);

impl IntoResponse for GraphFail {
    fn into_response(self) -> Response {
        *self.0
    }
}

pub(crate) fn graph_error(status: StatusCode, code: i64, subcode: Option<i64>, kind: &str, message: &str) -> GraphFail {
    let mut error = json!({
        "message": message,
        "type": kind,
        "code": code,
        "is_transient": matches!(code, 1 | 2),
        // A trace id only has to differ from answer to answer; it says nothing about the time.
        "fbtrace_id": format!("A{:016x}", stable_hash(message) ^ rand::random::<u64>()),
    });
    if let Some(sub) = subcode {
        error["error_subcode"] = json!(sub);
    }
    GraphFail(Box::new((status, axum::Json(json!({ "error": error }))).into_response()))
}

pub(crate) fn invalid(message: &str) -> GraphFail {
    graph_error(StatusCode::BAD_REQUEST, 100, None, "OAuthException", message)
}

/// The answer a fault plan asks for (or a route that does not exist), shaped like Meta's.
pub(crate) fn error_for_status(status: u16, shape: ErrorShape) -> Response {
    let http = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = shape.code.unwrap_or(match status {
        404 => 803,
        429 => 4,
        500..=599 => 2,
        _ => 100,
    });
    let message = match code {
        1 => "An unknown error occurred",
        2 => "An unexpected error has occurred. Please retry your request later.",
        4 => "(#4) Application request limit reached",
        17 => "(#17) User request limit reached",
        32 => "(#32) Page request limit reached",
        613 => "(#613) Calls to this api have exceeded the rate limit.",
        80_001..=80_014 => "There have been too many calls to this Page account. Wait a bit and try again.",
        190 => "Error validating access token: Session has expired.",
        200 => "(#200) Permissions error",
        368 => "The action attempted has been deemed abusive or is otherwise disallowed",
        506 => "(#506) Duplicate status message",
        803 => "(#803) Some of the aliases you requested do not exist",
        _ => "(#100) Invalid parameter",
    };
    let kind = if code == 190 { "OAuthException" } else { "GraphMethodException" };
    let mut response = graph_error(http, code, shape.subcode, kind, message).into_response();
    if let Some(seconds) = shape.retry_after {
        let minutes = (seconds / 60.0).ceil().max(1.0) as u64;
        let usage = json!({ "0": [{ "type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 60,
                                     "estimated_time_to_regain_access": minutes }] });
        if let Ok(value) = HeaderValue::from_str(&usage.to_string()) {
            response.headers_mut().insert("x-business-use-case-usage", value);
        }
    }
    response
}

/// The request's parameters: query string, then the form or multipart text fields (files aside).
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
    files: Vec<crate::body::Part>,
}

impl Params {
    pub(crate) fn read(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Result<Params, GraphFail> {
        let (pairs, files) = crate::body::fields(query, headers, body)
            .ok_or_else(|| invalid("(#100) The multipart body is malformed"))?;
        Ok(Params { pairs, files })
    }

    /// Every text parameter in the order sent, repeated keys included.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub(crate) fn flag(&self, key: &str, default: bool) -> bool {
        self.get(key).map_or(default, |v| !matches!(v, "false" | "0"))
    }

    pub(crate) fn file(&self, name: &str) -> Option<&crate::body::Part> {
        self.files.iter().find(|p| p.name == name)
    }

    pub(crate) fn token(&self, headers: &HeaderMap) -> Option<String> {
        let header = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("OAuth ")).map(|t| t.trim().to_owned()));
        header.or_else(|| self.get("access_token").map(str::to_owned))
    }
}

pub(crate) fn with_usage(mut response: Response, page: Option<&str>, usage: (u32, u32)) -> Response {
    let (percent, minutes) = usage;
    let app = json!({ "call_count": 1, "total_cputime": 1, "total_time": 1 });
    if let Ok(value) = HeaderValue::from_str(&app.to_string()) {
        response.headers_mut().insert("x-app-usage", value);
    }
    if let Some(page) = page {
        let business = json!({ page: [{ "type": "pages", "call_count": percent, "total_cputime": percent / 2,
                                         "total_time": percent / 2, "estimated_time_to_regain_access": minutes }] });
        if let Ok(value) = HeaderValue::from_str(&business.to_string()) {
            response.headers_mut().insert("x-business-use-case-usage", value);
        }
    }
    response
}

pub(crate) fn graph_time(ms: u64) -> String {
    // Graph writes `+0000` where RFC 3339 writes `Z`, and no milliseconds.
    let full = crate::rfc3339(ms);
    format!("{}+0000", &full[..19])
}

pub(crate) fn limit(params: &Params) -> usize {
    params.get("limit").and_then(|l| l.parse().ok()).unwrap_or(25).clamp(1, 100)
}

/// Fetches a media URL the way Instagram and Threads do: a failure to fetch is error
/// 9004/2207052 (of `kind`, the API's exception type).
pub(crate) async fn fetch_media(url: &str, kind: &str) -> Result<Bytes, GraphFail> {
    let cannot = |why: String| {
        graph_error(
            StatusCode::BAD_REQUEST,
            9004,
            Some(2_207_052),
            kind,
            &format!("The media could not be fetched from this uri: {why}"),
        )
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| cannot(e.to_string()))?;
    let response = client.get(url).send().await.map_err(|e| cannot(e.to_string()))?;
    if !response.status().is_success() {
        return Err(cannot(format!("HTTP {}", response.status().as_u16())));
    }
    response.bytes().await.map_err(|e| cannot(e.to_string()))
}
