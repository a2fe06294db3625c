//! The AT Protocol (Bluesky PDS) subset Fanout uses, under `/xrpc/{method}`: sessions
//! (`com.atproto.server.createSession` with a handle or DID and an app password,
//! `refreshSession`, `getSession`), `com.atproto.identity.resolveHandle`, the repository
//! (`uploadBlob`, `putRecord` with `swapRecord`, `getRecord`, `listRecords`, `describeRepo`,
//! `com.atproto.sync.getBlob`) and `app.bsky.actor.getProfile` — answered the way the reference
//! PDS (`@atproto/pds`) does: `{"error": Name, "message": …}` bodies, `ExpiredToken` (400) once an
//! access token has lived its configured lifetime, refresh tokens rotated on use, `createSession`
//! limited to 30 per 5 minutes and 300 a day per identifier with `ratelimit-*` headers, and
//! `app.bsky.feed.post` records validated against the lexicon (300 graphemes, 3000 bytes, four
//! images, blobs ≤ 1,000,000 bytes that this account uploaded). The sandbox's account is
//! [`SANDBOX_BLUESKY_HANDLE`] with the app password [`SANDBOX_BLUESKY_PASSWORD`].
//!
//! JWTs here are opaque strings shaped like the PDS's (their claims are readable, their signature
//! means nothing); the sandbox remembers every token it issued instead of verifying signatures.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use unicode_segmentation::UnicodeSegmentation;

use crate::service::Service;
use crate::{Shared, lock};

pub(crate) const ROUTES: &[&str] = &[
    "POST /xrpc/com.atproto.server.createSession",
    "POST /xrpc/com.atproto.server.refreshSession",
    "GET /xrpc/com.atproto.server.getSession",
    "GET /xrpc/com.atproto.identity.resolveHandle",
    "GET /xrpc/com.atproto.repo.describeRepo",
    "POST /xrpc/com.atproto.repo.uploadBlob",
    "POST /xrpc/com.atproto.repo.putRecord",
    "GET /xrpc/com.atproto.repo.getRecord",
    "GET /xrpc/com.atproto.repo.listRecords",
    "GET /xrpc/com.atproto.sync.getBlob",
    "GET /xrpc/app.bsky.actor.getProfile",
];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &["/xrpc/"],
    errors: |status, shape, now_ms| error_for_status(status, shape.retry_after, now_ms),
    demo: |url| {
        vec![crate::DemoAccount {
            network: "bluesky",
            name: "Demo Bluesky",
            starter: false,
            values: vec![
                ("pds", url.to_owned()),
                ("handle", SANDBOX_BLUESKY_HANDLE.to_owned()),
                ("app_password", SANDBOX_BLUESKY_PASSWORD.to_owned()),
            ],
        }]
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/xrpc/com.atproto.server.createSession", post(create_session))
        .route("/xrpc/com.atproto.server.refreshSession", post(refresh_session))
        .route("/xrpc/com.atproto.server.getSession", get(get_session))
        .route("/xrpc/com.atproto.identity.resolveHandle", get(resolve_handle))
        .route("/xrpc/com.atproto.repo.describeRepo", get(describe_repo))
        .route("/xrpc/com.atproto.repo.uploadBlob", post(upload_blob))
        .route("/xrpc/com.atproto.repo.putRecord", post(put_record))
        .route("/xrpc/com.atproto.repo.getRecord", get(get_record))
        .route("/xrpc/com.atproto.repo.listRecords", get(list_records))
        .route("/xrpc/com.atproto.sync.getBlob", get(get_blob))
        .route("/xrpc/app.bsky.actor.getProfile", get(get_profile))
}

/// The sandbox's Bluesky account: its handle…
pub const SANDBOX_BLUESKY_HANDLE: &str = "fanout-bakery.bsky.sandbox";
/// …its DID…
pub const SANDBOX_BLUESKY_DID: &str = "did:plc:fanoutbakerysandbox23456";
/// …and its app password (Bluesky's `xxxx-xxxx-xxxx-xxxx` form).
pub const SANDBOX_BLUESKY_PASSWORD: &str = "sbox-fano-utba-kery";

/// The accounts on this PDS. The second one exists so a post can mention someone; it cannot
/// sign in.
static ACCOUNTS: [Account; 2] = [
    Account {
        did: SANDBOX_BLUESKY_DID,
        handle: SANDBOX_BLUESKY_HANDLE,
        display_name: "Fanout Bakery",
        password: Some(SANDBOX_BLUESKY_PASSWORD),
    },
    Account {
        did: "did:plc:fanoutreaderssandbox2345",
        handle: "fanout-readers.bsky.sandbox",
        display_name: "Fanout Readers",
        password: None,
    },
];

const POST: &str = "app.bsky.feed.post";
/// `app.bsky.embed.images#image` and `app.bsky.embed.external#external.thumb`: `maxSize`.
const IMAGE_BLOB_BYTES: u64 = 1_000_000;
/// The largest blob `uploadBlob` takes here (what Bluesky's images allow).
const UPLOAD_BYTES: usize = 1_000_000;
const TEXT_GRAPHEMES: usize = 300;
const TEXT_BYTES: usize = 3000;
const MAX_IMAGES: usize = 4;
/// An app password's refresh token lives 90 days.
const REFRESH_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// `createSession`: 30 per 5 minutes and 300 a day per identifier (`@atproto/pds`).
const SIGN_IN_LIMITS: &[(u32, u64)] = &[(30, 5 * 60), (300, 24 * 3600)];

/// A record written to the sandbox's repository (the newest version of it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BlueskyRecord {
    /// `at://{did}/{collection}/{rkey}`
    pub uri: String,
    /// The repository's DID.
    pub repo: String,
    pub collection: String,
    pub rkey: String,
    pub cid: String,
    /// The record as stored, `$type` included.
    pub value: Value,
    pub created_at_ms: u64,
}

/// A blob uploaded with `uploadBlob`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BlueskyBlobRecord {
    /// The blob's CID (`bafkrei…`), its `ref.$link`.
    pub cid: String,
    pub repo: String,
    /// Sniffed from the bytes where known, as the PDS does; else the Content-Type sent.
    pub mime_type: String,
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Access,
    Refresh,
}

struct Token {
    kind: TokenKind,
    did: &'static str,
    expires_ms: u64,
    revoked: bool,
}

struct Blob {
    record: BlueskyBlobRecord,
    data: Bytes,
}

#[derive(Default)]
pub(crate) struct BlueskyState {
    tokens: HashMap<String, Token>,
    pub(crate) records: Vec<BlueskyRecord>,
    blobs: Vec<Blob>,
    /// Lower-cased identifier → times of its `createSession` attempts in the last day.
    sign_ins: HashMap<String, Vec<u64>>,
    last_jti: u64,
}

impl BlueskyState {
    pub(crate) fn blobs(&self) -> Vec<BlueskyBlobRecord> {
        self.blobs.iter().map(|b| b.record.clone()).collect()
    }

    /// Every access token issued so far answers `ExpiredToken` from now on.
    pub(crate) fn expire_access_tokens(&mut self) {
        for token in self.tokens.values_mut().filter(|t| t.kind == TokenKind::Access) {
            token.expires_ms = 0;
        }
    }

    /// Every session issued so far ends: its access token and its refresh token are refused.
    pub(crate) fn revoke_sessions(&mut self) {
        for token in self.tokens.values_mut() {
            token.revoked = true;
        }
    }

    /// A new session for `did` made at `now` (ms): (access, refresh).
    fn mint(&mut self, did: &'static str, host: &str, access_lifetime: Duration, now: u64) -> (String, String) {
        let access_expires = now.saturating_add(u64::try_from(access_lifetime.as_millis()).unwrap_or(u64::MAX));
        let refresh_expires = now.saturating_add(u64::try_from(REFRESH_LIFETIME.as_millis()).unwrap_or(u64::MAX));
        let mut issue = |kind: TokenKind, expires_ms: u64| {
            self.last_jti += 1;
            let token = jwt(kind, did, host, now, expires_ms, self.last_jti);
            self.tokens.insert(token.clone(), Token { kind, did, expires_ms, revoked: false });
            token
        };
        let access = issue(TokenKind::Access, access_expires);
        let refresh = issue(TokenKind::Refresh, refresh_expires);
        (access, refresh)
    }

    /// The account a bearer token of `kind` stands for at `now` (ms), or the PDS's refusal.
    fn check(&self, token: Option<&str>, kind: TokenKind, now: u64) -> Result<&'static Account, XrpcError> {
        let token = token.ok_or_else(|| xrpc(StatusCode::UNAUTHORIZED, "AuthMissing", "Authentication Required"))?;
        let found =
            self.tokens.get(token).ok_or_else(|| invalid_request("InvalidToken", "Token could not be verified"))?;
        if found.kind != kind {
            return Err(invalid_request("InvalidToken", "Invalid token type"));
        }
        if found.revoked {
            return Err(invalid_request("ExpiredToken", "Token has been revoked"));
        }
        if now >= found.expires_ms {
            return Err(invalid_request("ExpiredToken", "Token has expired"));
        }
        account(found.did).ok_or_else(|| xrpc(StatusCode::FORBIDDEN, "AccountNotFound", "Account not found"))
    }

    /// Counts a sign-in attempt for `identifier` at `now` (ms); `Err` when it is over a limit.
    fn count_sign_in(&mut self, identifier: &str, now: u64) -> Result<RateLimit, XrpcError> {
        let attempts = self.sign_ins.entry(identifier.to_lowercase()).or_default();
        attempts.retain(|at| now.saturating_sub(*at) < 24 * 3600 * 1000);
        let mut tightest: Option<RateLimit> = None;
        for &(limit, window_s) in SIGN_IN_LIMITS {
            let in_window: Vec<u64> =
                attempts.iter().copied().filter(|at| now.saturating_sub(*at) < window_s * 1000).collect();
            let oldest = in_window.first().copied().unwrap_or(now);
            let reset_s = (oldest + window_s * 1000).div_ceil(1000);
            let used = u32::try_from(in_window.len()).unwrap_or(u32::MAX);
            if used >= limit {
                let rate = RateLimit { limit, remaining: 0, reset_s, window_s };
                return Err(XrpcError {
                    rate: Some(rate),
                    ..xrpc(StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED, "Rate Limit Exceeded")
                });
            }
            let rate = RateLimit { limit, remaining: limit - used - 1, reset_s, window_s };
            if tightest.as_ref().is_none_or(|t| rate.remaining < t.remaining) {
                tightest = Some(rate);
            }
        }
        attempts.push(now);
        Ok(tightest.unwrap_or(RateLimit { limit: 30, remaining: 29, reset_s: now / 1000 + 300, window_s: 300 }))
    }

    fn blob(&self, did: &str, cid: &str) -> Option<&Blob> {
        self.blobs.iter().find(|b| b.record.repo == did && b.record.cid == cid)
    }
}

struct Account {
    did: &'static str,
    handle: &'static str,
    display_name: &'static str,
    password: Option<&'static str>,
}

/// The account with this DID or handle (any case, with or without `@`).
fn account(identifier: &str) -> Option<&'static Account> {
    let wanted = identifier.trim().trim_start_matches('@').to_lowercase();
    ACCOUNTS.iter().find(|a| a.did == wanted || a.handle == wanted)
}

const RATE_LIMITED: &str = "RateLimitExceeded";

/// A `ratelimit-*` header set.
struct RateLimit {
    limit: u32,
    remaining: u32,
    /// Seconds since 1970.
    reset_s: u64,
    window_s: u64,
}

impl RateLimit {
    fn apply(&self, headers: &mut HeaderMap) {
        let mut put = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        put("ratelimit-limit", self.limit.to_string());
        put("ratelimit-remaining", self.remaining.to_string());
        put("ratelimit-reset", self.reset_s.to_string());
        put("ratelimit-policy", format!("{};w={}", self.limit, self.window_s));
    }
}

/// An XRPC error answer, `{"error": …, "message": …}`.
pub(crate) struct XrpcError {
    status: StatusCode,
    error: &'static str,
    message: String,
    rate: Option<RateLimit>,
}

fn xrpc(status: StatusCode, error: &'static str, message: impl Into<String>) -> XrpcError {
    XrpcError { status, error, message: message.into(), rate: None }
}

fn invalid_request(error: &'static str, message: impl Into<String>) -> XrpcError {
    xrpc(StatusCode::BAD_REQUEST, error, message)
}

impl IntoResponse for XrpcError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, axum::Json(json!({ "error": self.error, "message": self.message }))).into_response();
        if let Some(rate) = self.rate {
            rate.apply(response.headers_mut());
        }
        response
    }
}

/// The PDS's answer for `status`, used by status faults and unknown methods. A 429 carries the
/// `ratelimit-*` headers with its reset `retry_after` seconds away (5 minutes by default); an
/// explicit `retry_after` also sets `Retry-After`, as the fault plan promises for every network.
pub(crate) fn error_for_status(status: u16, retry_after: Option<f64>, now_ms: u64) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (error, message) = match status {
        400 => ("InvalidRequest", "Invalid request"),
        401 => ("AuthMissing", "Authentication Required"),
        403 => ("Forbidden", "Forbidden"),
        404 => ("XRPCNotSupported", "XRPCNotSupported"),
        413 => ("PayloadTooLarge", "request entity too large"),
        429 => (RATE_LIMITED, "Rate Limit Exceeded"),
        501 => ("MethodNotImplemented", "Method Not Implemented"),
        502 => ("UpstreamFailure", "Upstream Failure"),
        503 => ("NotEnoughResources", "Not Enough Resources"),
        504 => ("UpstreamTimeout", "Upstream Timeout"),
        500..=599 => ("InternalServerError", "Internal Server Error"),
        _ => ("InvalidRequest", code.canonical_reason().unwrap_or("Invalid request")),
    };
    let mut answer = xrpc(code, error, message);
    if status == 429 {
        let wait_ms = (retry_after.unwrap_or(300.0).max(0.0) * 1000.0).ceil() as u64;
        answer.rate =
            Some(RateLimit { limit: 3000, remaining: 0, reset_s: (now_ms + wait_ms).div_ceil(1000), window_s: 300 });
    }
    let mut response = answer.into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, crate::mastodon::retry_after_header(seconds));
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// Checks the bearer token, first against the sandbox-wide revocation list.
fn authorize(shared: &Shared, headers: &HeaderMap, kind: TokenKind) -> Result<&'static Account, XrpcError> {
    let token = bearer(headers);
    if let Some(token) = &token
        && shared.is_revoked(token)
    {
        return Err(invalid_request("ExpiredToken", "Token has been revoked"));
    }
    lock(&shared.bluesky).check(token.as_deref(), kind, shared.now_ms())
}

fn params(query: Option<&str>) -> Vec<(String, String)> {
    crate::body::parse_urlencoded(query.unwrap_or("").as_bytes())
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Result<&'a str, XrpcError> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| invalid_request("InvalidRequest", format!("Params must have the property \"{key}\"")))
}

fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, XrpcError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid_request("InvalidRequest", "Request body must be a JSON object")),
    }
}

fn required<'a>(body: &'a serde_json::Map<String, Value>, key: &str) -> Result<&'a str, XrpcError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_request("InvalidRequest", format!("Input must have the property \"{key}\"")))
}

/// A JWT shaped like the PDS's: HS256, `at+jwt` or `refresh+jwt`, with `scope`, `sub`, `aud`,
/// `iat`, `exp` and `jti` claims.
fn jwt(kind: TokenKind, did: &str, host: &str, iat_ms: u64, exp_ms: u64, jti: u64) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (typ, scope) = match kind {
        TokenKind::Access => ("at+jwt", "com.atproto.appPass"),
        TokenKind::Refresh => ("refresh+jwt", "com.atproto.refresh"),
    };
    let header = b64.encode(json!({ "typ": typ, "alg": "HS256" }).to_string());
    let payload = b64.encode(
        json!({
            "scope": scope,
            "sub": did,
            "aud": format!("did:web:{}", host.replace(':', "%3A")),
            "iat": iat_ms / 1000,
            "exp": exp_ms / 1000,
            "jti": format!("sandbox-{jti}-{:x}", rand::random::<u64>()),
        })
        .to_string(),
    );
    let signature = b64.encode(Sha256::digest(format!("{header}.{payload}.fanout-sandbox")));
    format!("{header}.{payload}.{signature}")
}

/// RFC 4648 base32, lower case, unpadded — the multibase `b` alphabet CIDs use.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A CIDv1 over SHA-256: `codec` 0x55 (raw, a blob: `bafkrei…`) or 0x71 (dag-cbor, a record:
/// `bafyrei…`; the sandbox hashes the record's JSON, not its CBOR).
fn cid(codec: u8, data: &[u8]) -> String {
    let mut bytes = vec![0x01, codec, 0x12, 0x20];
    bytes.extend_from_slice(&Sha256::digest(data));
    format!("b{}", base32(&bytes))
}

fn did_doc(shared: &Shared, account: &Account) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": account.did,
        "alsoKnownAs": [format!("at://{}", account.handle)],
        "service": [{ "id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": shared.base_url }],
    })
}

fn session_json(shared: &Shared, account: &Account, tokens: Option<(String, String)>) -> Value {
    let mut body = json!({
        "did": account.did,
        "didDoc": did_doc(shared, account),
        "handle": account.handle,
        "email": format!("{}@example.org", account.handle.split('.').next().unwrap_or("sandbox")),
        "emailConfirmed": true,
        "active": true,
    });
    if let Some((access, refresh)) = tokens {
        body["accessJwt"] = json!(access);
        body["refreshJwt"] = json!(refresh);
    }
    body
}

async fn create_session(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let result = (|| -> Result<Response, XrpcError> {
        let body = json_body(&body)?;
        let identifier = required(&body, "identifier")?;
        let password = required(&body, "password")?;
        let mut state = lock(&shared.bluesky);
        let rate = state.count_sign_in(identifier, shared.now_ms())?;
        let refused = || xrpc(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Invalid identifier or password");
        let account = account(identifier).ok_or_else(refused)?;
        if account.password != Some(password) {
            return Err(refused());
        }
        let tokens = state.mint(account.did, &shared.host, shared.bluesky_access_lifetime, shared.now_ms());
        drop(state);
        let mut response = axum::Json(session_json(&shared, account, Some(tokens))).into_response();
        rate.apply(response.headers_mut());
        Ok(response)
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn refresh_session(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let result = (|| -> Result<Response, XrpcError> {
        let token = bearer(&headers);
        if let Some(token) = &token
            && shared.is_revoked(token)
        {
            return Err(invalid_request("ExpiredToken", "Token has been revoked"));
        }
        let mut state = lock(&shared.bluesky);
        let account = state.check(token.as_deref(), TokenKind::Refresh, shared.now_ms())?;
        // A refresh token is good for one rotation.
        if let Some(used) = token.as_deref().and_then(|t| state.tokens.get_mut(t)) {
            used.revoked = true;
        }
        let tokens = state.mint(account.did, &shared.host, shared.bluesky_access_lifetime, shared.now_ms());
        drop(state);
        Ok(axum::Json(session_json(&shared, account, Some(tokens))).into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_session(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match authorize(&shared, &headers, TokenKind::Access) {
        Ok(account) => axum::Json(session_json(&shared, account, None)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn resolve_handle(RawQuery(query): RawQuery) -> Response {
    let params = params(query.as_deref());
    let result = param(&params, "handle").and_then(|handle| {
        account(handle)
            .filter(|a| a.handle == handle.trim().to_lowercase())
            .map(|a| axum::Json(json!({ "did": a.did })).into_response())
            .ok_or_else(|| invalid_request("InvalidRequest", "Unable to resolve handle"))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

fn repo_of(params: &[(String, String)], key: &str) -> Result<&'static Account, XrpcError> {
    let repo = param(params, key)?;
    account(repo).ok_or_else(|| invalid_request("InvalidRequest", format!("Could not find repo: {repo}")))
}

async fn describe_repo(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query.as_deref());
    let result = repo_of(&params, "repo").map(|account| {
        let mut collections: Vec<String> = lock(&shared.bluesky)
            .records
            .iter()
            .filter(|r| r.repo == account.did)
            .map(|r| r.collection.clone())
            .collect();
        collections.sort();
        collections.dedup();
        axum::Json(json!({
            "handle": account.handle,
            "did": account.did,
            "didDoc": did_doc(&shared, account),
            "collections": collections,
            "handleIsCorrect": true,
        }))
        .into_response()
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_profile(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query.as_deref());
    let result = param(&params, "actor").and_then(|actor| {
        let account = account(actor).ok_or_else(|| invalid_request("InvalidRequest", "Profile not found"))?;
        let posts =
            lock(&shared.bluesky).records.iter().filter(|r| r.repo == account.did && r.collection == POST).count();
        Ok(axum::Json(json!({
            "did": account.did,
            "handle": account.handle,
            "displayName": account.display_name,
            "description": "A demo account on Fanout's sandbox PDS",
            "avatar": format!("{}/avatars/bluesky/{}.png", shared.base_url, account.handle),
            "followersCount": 0,
            "followsCount": 0,
            "postsCount": posts,
        }))
        .into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// What the bytes are, as the PDS sniffs them; `None` for anything else.
fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.get(..4) == Some(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else if crate::body::is_video(data) {
        Some("video/mp4")
    } else {
        crate::body::sniff_image(data)
    }
}

async fn upload_blob(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let result = authorize(&shared, &headers, TokenKind::Access).and_then(|account| {
        if body.is_empty() {
            return Err(invalid_request("InvalidRequest", "Request body is empty"));
        }
        if body.len() > UPLOAD_BYTES {
            return Err(invalid_request(
                "BlobTooLarge",
                format!(
                    "This file is too large. It is {:.2}MB but the maximum size is {:.2}MB.",
                    body.len() as f64 / 1e6,
                    UPLOAD_BYTES as f64 / 1e6
                ),
            ));
        }
        let claimed = crate::body::content_type(&headers).split(';').next().unwrap_or("").trim();
        let mime_type = sniff(&body)
            .map(str::to_owned)
            .or_else(|| (!claimed.is_empty() && claimed != "*/*").then(|| claimed.to_owned()))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let record = BlueskyBlobRecord {
            cid: cid(0x55, &body),
            repo: account.did.to_owned(),
            mime_type,
            size: body.len() as u64,
        };
        let mut state = lock(&shared.bluesky);
        if state.blob(account.did, &record.cid).is_none() {
            state.blobs.push(Blob { record: record.clone(), data: body.clone() });
        }
        drop(state);
        Ok(axum::Json(json!({ "blob": blob_ref(&record) })).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

fn blob_ref(blob: &BlueskyBlobRecord) -> Value {
    json!({ "$type": "blob", "ref": { "$link": blob.cid }, "mimeType": blob.mime_type, "size": blob.size })
}

async fn get_blob(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query.as_deref());
    let result = repo_of(&params, "did").and_then(|account| {
        let wanted = param(&params, "cid")?;
        let state = lock(&shared.bluesky);
        let blob = state.blob(account.did, wanted).ok_or_else(|| invalid_request("BlobNotFound", "Blob not found"))?;
        let content_type = HeaderValue::from_str(&blob.record.mime_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        Ok(([(CONTENT_TYPE, content_type)], blob.data.clone()).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A TID: 13 characters of base32-sortable, the first from `234567abcdefghij`.
fn is_tid(key: &str) -> bool {
    const SORTABLE: &str = "234567abcdefghijklmnopqrstuvwxyz";
    key.len() == 13
        && key.chars().next().is_some_and(|c| "234567abcdefghij".contains(c))
        && key.chars().all(|c| SORTABLE.contains(c))
}

fn is_record_key(key: &str) -> bool {
    (1..=512).contains(&key.len())
        && key != "."
        && key != ".."
        && key.chars().all(|c| c.is_ascii_alphanumeric() || "._:~-".contains(c))
}

fn is_nsid(text: &str) -> bool {
    let segments: Vec<&str> = text.split('.').collect();
    segments.len() >= 3
        && segments
            .iter()
            .all(|s| !s.is_empty() && s.len() <= 63 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// `YYYY-MM-DDTHH:MM:SS` with optional fraction and a `Z` or `±HH:MM` zone, as atproto wants.
fn is_datetime(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10)
        && bytes.get(10) == Some(&b'T')
        && digits(11..13)
        && bytes.get(13) == Some(&b':')
        && digits(14..16)
        && bytes.get(16) == Some(&b':')
        && digits(17..19);
    let Some(rest) = text.get(19..) else {
        return false;
    };
    let rest = match rest.strip_prefix('.') {
        Some(fraction) => fraction.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    let zone = rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes().get(3) == Some(&b':')
            && rest.chars().enumerate().all(|(i, c)| matches!(i, 0 | 3) || c.is_ascii_digit()));
    shape && zone
}

/// `"got …"` as the lexicon validator words a value: strings quoted, objects by kind.
fn got(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{:?}", s.chars().take(48).collect::<String>()),
        Value::Object(_) => "object".to_owned(),
        Value::Array(_) => "array".to_owned(),
        other => other.to_string(),
    }
}

/// Checks one blob ref against the lexicon's `accept: image/*` and `maxSize: 1000000`.
fn check_image_blob(value: Option<&Value>, path: &str) -> Result<(), String> {
    let Some(value) = value else {
        return Err(format!("Missing required key \"{}\" at {}", path.rsplit('.').next().unwrap_or(""), parent(path)));
    };
    let is_blob = value.get("$type").and_then(Value::as_str) == Some("blob")
        && value.pointer("/ref/$link").and_then(Value::as_str).is_some()
        && value.get("mimeType").and_then(Value::as_str).is_some()
        && value.get("size").and_then(Value::as_u64).is_some();
    if !is_blob {
        return Err(format!("Expected blob value type (got {}) at {path}", got(value)));
    }
    let mime = value.get("mimeType").and_then(Value::as_str).unwrap_or("");
    if !mime.starts_with("image/") {
        return Err(format!("Expected \"image/*\" (got {mime:?}) at {path}.mimeType"));
    }
    let size = value.get("size").and_then(Value::as_u64).unwrap_or(0);
    if size > IMAGE_BLOB_BYTES {
        return Err(format!("blob too big (maximum {IMAGE_BLOB_BYTES}, got {size}) at {path}"));
    }
    Ok(())
}

fn parent(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(parent, _)| parent)
}

fn required_string<'a>(object: &'a Value, key: &str, path: &str) -> Result<&'a str, String> {
    let value = object.get(key).ok_or_else(|| format!("Missing required key \"{key}\" at {path}"))?;
    value.as_str().ok_or_else(|| format!("Expected string value type (got {}) at {path}.{key}", got(value)))
}

/// Validates an `app.bsky.feed.post` record as the lexicon does; the error is the validator's
/// issue with its JSON path.
fn validate_post(record: &Value) -> Result<(), String> {
    let text = required_string(record, "text", "$.record")?;
    if text.len() > TEXT_BYTES {
        return Err(format!("string too big (maximum {TEXT_BYTES}, got {}) at $.record.text", text.len()));
    }
    let graphemes = text.graphemes(true).count();
    if graphemes > TEXT_GRAPHEMES {
        return Err(format!("grapheme too big (maximum {TEXT_GRAPHEMES}, got {graphemes}) at $.record.text"));
    }
    let created = required_string(record, "createdAt", "$.record")?;
    if !is_datetime(created) {
        return Err(format!("Invalid datetime (got {created:?}) at $.record.createdAt"));
    }
    if let Some(facets) = record.get("facets") {
        let facets = facets
            .as_array()
            .ok_or_else(|| format!("Expected array value type (got {}) at $.record.facets", got(facets)))?;
        for (i, facet) in facets.iter().enumerate() {
            let path = format!("$.record.facets[{i}]");
            let index = facet.get("index").ok_or_else(|| format!("Missing required key \"index\" at {path}"))?;
            for key in ["byteStart", "byteEnd"] {
                let value = index.get(key).ok_or_else(|| format!("Missing required key \"{key}\" at {path}.index"))?;
                let number = value
                    .as_i64()
                    .ok_or_else(|| format!("Expected integer value type (got {}) at {path}.index.{key}", got(value)))?;
                if number < 0 {
                    return Err(format!("integer too small (minimum 0, got {number}) at {path}.index.{key}"));
                }
            }
            if !facet.get("features").is_some_and(Value::is_array) {
                return Err(format!("Missing required key \"features\" at {path}"));
            }
        }
    }
    let Some(embed) = record.get("embed") else {
        return Ok(());
    };
    match embed.get("$type").and_then(Value::as_str) {
        Some("app.bsky.embed.images") => {
            let images = embed.get("images").ok_or("Missing required key \"images\" at $.record.embed")?;
            let images = images
                .as_array()
                .ok_or_else(|| format!("Expected array value type (got {}) at $.record.embed.images", got(images)))?;
            if images.len() > MAX_IMAGES {
                return Err(format!(
                    "array too big (maximum {MAX_IMAGES}, got {}) at $.record.embed.images",
                    images.len()
                ));
            }
            for (i, image) in images.iter().enumerate() {
                let path = format!("$.record.embed.images[{i}]");
                check_image_blob(image.get("image"), &format!("{path}.image"))?;
                required_string(image, "alt", &path)?;
            }
        }
        Some("app.bsky.embed.external") => {
            let external = embed.get("external").ok_or("Missing required key \"external\" at $.record.embed")?;
            for key in ["uri", "title", "description"] {
                required_string(external, key, "$.record.embed.external")?;
            }
            if let Some(thumb) = external.get("thumb") {
                check_image_blob(Some(thumb), "$.record.embed.external.thumb")?;
            }
        }
        Some(_) => {}
        None => return Err("Expected an object which includes the \"$type\" property at $.record.embed".to_owned()),
    }
    Ok(())
}

/// Every blob ref in a record, wherever it sits.
fn blob_refs(value: &Value, out: &mut Vec<(String, String, u64)>) {
    match value {
        Value::Object(map) => {
            if map.get("$type").and_then(Value::as_str) == Some("blob")
                && let Some(link) = value.pointer("/ref/$link").and_then(Value::as_str)
            {
                let mime = map.get("mimeType").and_then(Value::as_str).unwrap_or("").to_owned();
                let size = map.get("size").and_then(Value::as_u64).unwrap_or(0);
                out.push((link.to_owned(), mime, size));
            }
            map.values().for_each(|v| blob_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| blob_refs(v, out)),
        _ => {}
    }
}

async fn put_record(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let result = authorize(&shared, &headers, TokenKind::Access).and_then(|signed_in| {
        let body = json_body(&body)?;
        let repo = required(&body, "repo")?;
        let collection = required(&body, "collection")?.to_owned();
        let rkey = required(&body, "rkey")?.to_owned();
        let mut record = body
            .get("record")
            .filter(|r| r.is_object())
            .cloned()
            .ok_or_else(|| invalid_request("InvalidRequest", "Input must have the property \"record\""))?;
        if account(repo).map(|a| a.did) != Some(signed_in.did) {
            return Err(xrpc(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Authentication Required"));
        }
        if !is_nsid(&collection) {
            return Err(invalid_request("InvalidRequest", format!("Invalid collection: {collection}")));
        }
        match record.get("$type").and_then(Value::as_str) {
            None => record["$type"] = json!(collection),
            Some(t) if t == collection => {}
            Some(t) => {
                return Err(invalid_request(
                    "InvalidRequest",
                    format!("Invalid $type: expected {collection}, got {t}"),
                ));
            }
        }
        if !is_record_key(&rkey) {
            return Err(invalid_request("InvalidRequest", format!("Invalid record key: {rkey}")));
        }
        let validate = body.get("validate").and_then(Value::as_bool);
        if collection == POST && validate != Some(false) {
            if !is_tid(&rkey) {
                return Err(invalid_request(
                    "InvalidRequest",
                    format!("Invalid record key for {POST}: Invalid TID string (got {rkey:?}) at $"),
                ));
            }
            validate_post(&record)
                .map_err(|issue| invalid_request("InvalidRequest", format!("Invalid {POST} record: {issue}")))?;
        }
        let new_cid = cid(0x71, record.to_string().as_bytes());
        let uri = format!("at://{}/{collection}/{rkey}", signed_in.did);
        let mut state = lock(&shared.bluesky);
        let mut refs = Vec::new();
        blob_refs(&record, &mut refs);
        for (link, mime, size) in refs {
            let found = state
                .blob(signed_in.did, &link)
                .ok_or_else(|| invalid_request("BlobNotFound", format!("Could not find blob: {link}")))?;
            if found.record.mime_type != mime {
                return Err(invalid_request(
                    "InvalidMimeType",
                    format!(
                        "Referenced Mimetype does not match stored blob. Expected: {}, Got: {mime}",
                        found.record.mime_type
                    ),
                ));
            }
            if found.record.size != size {
                return Err(invalid_request(
                    "InvalidSize",
                    format!("Referenced Size does not match stored blob. Expected: {}, Got: {size}", found.record.size),
                ));
            }
        }
        let current = state.records.iter().position(|r| r.uri == uri);
        let current_cid = current.and_then(|i| state.records.get(i)).map(|r| r.cid.clone());
        let answer = |commit: Option<Value>| {
            let mut body = json!({ "uri": uri, "cid": new_cid, "validationStatus": "valid" });
            if let Some(commit) = commit {
                body["commit"] = commit;
            }
            axum::Json(body).into_response()
        };
        // The same record again changes nothing, so the PDS answers without a commit — before
        // it looks at swapRecord.
        if current_cid.as_deref() == Some(new_cid.as_str()) {
            return Ok(answer(None));
        }
        if let Some(swap) = body.get("swapRecord") {
            let expected = swap.as_str();
            if expected != current_cid.as_deref() {
                let was = current_cid.as_deref().unwrap_or("null");
                return Err(invalid_request("InvalidSwap", format!("Record was at {was}")));
            }
        }
        let stored = BlueskyRecord {
            uri: uri.clone(),
            repo: signed_in.did.to_owned(),
            collection,
            rkey,
            cid: new_cid.clone(),
            value: record,
            created_at_ms: shared.now_ms(),
        };
        match current {
            Some(i) => state.records[i] = stored,
            None => state.records.push(stored),
        }
        drop(state);
        let rev = crate::rfc3339(shared.now_ms());
        Ok(answer(Some(json!({ "cid": cid(0x71, rev.as_bytes()), "rev": rev }))))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

fn record_json(record: &BlueskyRecord) -> Value {
    json!({ "uri": record.uri, "cid": record.cid, "value": record.value })
}

async fn get_record(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query.as_deref());
    let result = repo_of(&params, "repo").and_then(|account| {
        let collection = param(&params, "collection")?;
        let rkey = param(&params, "rkey")?;
        let uri = format!("at://{}/{collection}/{rkey}", account.did);
        let state = lock(&shared.bluesky);
        let record = state
            .records
            .iter()
            .find(|r| r.uri == uri)
            .ok_or_else(|| invalid_request("RecordNotFound", format!("Could not locate record: {uri}")))?;
        Ok(axum::Json(record_json(record)).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn list_records(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query.as_deref());
    let result = repo_of(&params, "repo").and_then(|account| {
        let collection = param(&params, "collection")?;
        let limit = match params.iter().find(|(k, _)| k == "limit") {
            None => 50,
            Some((_, v)) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| invalid_request("InvalidRequest", "limit must be an integer from 1 to 100"))?,
        };
        let reverse = params.iter().any(|(k, v)| k == "reverse" && v == "true");
        let cursor = params.iter().find(|(k, _)| k == "cursor").map(|(_, v)| v.clone());
        let state = lock(&shared.bluesky);
        let mut records: Vec<&BlueskyRecord> =
            state.records.iter().filter(|r| r.repo == account.did && r.collection == collection).collect();
        // Newest record key first, as the PDS lists them; `reverse` for oldest first.
        records.sort_by(|a, b| if reverse { a.rkey.cmp(&b.rkey) } else { b.rkey.cmp(&a.rkey) });
        let page: Vec<&BlueskyRecord> = records
            .into_iter()
            .filter(|r| match &cursor {
                Some(c) if reverse => r.rkey.as_str() > c.as_str(),
                Some(c) => r.rkey.as_str() < c.as_str(),
                None => true,
            })
            .take(limit)
            .collect();
        let mut body = json!({ "records": page.iter().map(|r| record_json(r)).collect::<Vec<_>>() });
        if page.len() == limit
            && let Some(last) = page.last()
        {
            body["cursor"] = json!(last.rkey);
        }
        Ok(axum::Json(body).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A post's page, as `bsky.app/profile/{handle}/post/{rkey}` shows it: (title, text, detail).
pub(crate) fn page(shared: &Shared, handle: &str, rkey: &str) -> Option<(String, String, String)> {
    let account = account(handle)?;
    let state = lock(&shared.bluesky);
    let record = state.records.iter().find(|r| r.repo == account.did && r.collection == POST && r.rkey == rkey)?;
    let text = record.value.get("text").and_then(Value::as_str).unwrap_or("").to_owned();
    let embed = &record.value["embed"];
    let detail = match embed.get("$type").and_then(Value::as_str) {
        Some("app.bsky.embed.images") => {
            format!("{} image(s)", embed["images"].as_array().map_or(0, Vec::len))
        }
        Some("app.bsky.embed.external") => format!(
            "a link card: {}{}",
            embed["external"]["title"].as_str().unwrap_or(""),
            if embed["external"].get("thumb").is_some() { " (with a picture)" } else { "" }
        ),
        _ => "text only".to_owned(),
    };
    Some((format!("{} (@{}) on the sandbox's Bluesky", account.display_name, account.handle), text, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cids_look_like_the_pds_ones() {
        assert!(cid(0x55, b"blob").starts_with("bafkrei"), "a raw blob's CID");
        assert!(cid(0x71, b"{}").starts_with("bafyrei"), "a record's CID");
        assert_eq!(cid(0x55, b"blob").len(), 59, "CIDv1, sha2-256, base32");
        assert_eq!(base32(b"foobar"), "mzxw6ytboi", "RFC 4648's test vector, lower case and unpadded");
    }

    #[test]
    fn record_keys_and_datetimes_are_checked_as_atproto_defines_them() {
        assert!(is_tid("3jzfcijpj2z2a"));
        assert!(!is_tid("3jzfcijpj2z2"), "twelve characters");
        assert!(!is_tid("zjzfcijpj2z2a"), "the first character leaves the top bit clear");
        assert!(is_datetime("2026-11-22T06:52:33.123Z") && is_datetime("2026-11-22T06:52:33+01:00"));
        assert!(!is_datetime("2026-11-22 06:52:33") && !is_datetime("2026-11-22T06:52:33"), "needs a T and a zone");
    }

    #[test]
    fn a_post_is_validated_against_the_lexicon() {
        let ok = json!({ "$type": POST, "text": "Brød 🍞", "createdAt": "2026-11-22T00:00:00Z" });
        assert_eq!(validate_post(&ok), Ok(()));
        let long = json!({ "text": "é".repeat(301), "createdAt": "2026-11-22T00:00:00Z" });
        assert_eq!(
            validate_post(&long),
            Err("grapheme too big (maximum 300, got 301) at $.record.text".to_owned()),
            "300 graphemes"
        );
        let family = "👨‍👩‍👧‍👦".repeat(121);
        let heavy = json!({ "text": family, "createdAt": "2026-11-22T00:00:00Z" });
        assert!(
            validate_post(&heavy).is_err_and(|e| e.starts_with("string too big (maximum 3000")),
            "121 graphemes of 25 bytes each: over 3000 bytes"
        );
        let image = json!({ "$type": "blob", "ref": { "$link": "bafkrei" }, "mimeType": "image/jpeg", "size": 10 });
        let five = json!({ "text": "", "createdAt": "2026-11-22T00:00:00Z",
            "embed": { "$type": "app.bsky.embed.images", "images": vec![json!({ "image": image, "alt": "" }); 5] } });
        assert_eq!(validate_post(&five), Err("array too big (maximum 4, got 5) at $.record.embed.images".to_owned()));
        let no_alt = json!({ "text": "", "createdAt": "2026-11-22T00:00:00Z",
            "embed": { "$type": "app.bsky.embed.images", "images": [{ "image": image }] } });
        assert_eq!(validate_post(&no_alt), Err("Missing required key \"alt\" at $.record.embed.images[0]".to_owned()));
        let big =
            json!({ "$type": "blob", "ref": { "$link": "bafkrei" }, "mimeType": "image/jpeg", "size": 1_000_001 });
        let thumb = json!({ "text": "", "createdAt": "2026-11-22T00:00:00Z", "embed": { "$type": "app.bsky.embed.external",
            "external": { "uri": "https://example.org", "title": "", "description": "", "thumb": big } } });
        assert_eq!(
            validate_post(&thumb),
            Err("blob too big (maximum 1000000, got 1000001) at $.record.embed.external.thumb".to_owned())
        );
    }
}
