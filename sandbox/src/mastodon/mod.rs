//! The Mastodon API subset Fanout uses — instance limits, verify_credentials, media upload and
//! processing, statuses with `Idempotency-Key` — answered the way a Mastodon 4.3 server does,
//! including its validation messages and error bodies (`{"error": "..."}`). State lives in memory
//! for the life of the sandbox; nothing here ever touches the network beyond loopback.

pub(crate) mod oauth;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::body::{BodyKind, parse_multipart, parse_urlencoded};
use crate::service::Service;
use crate::{Shared, lock, rfc3339, stable_hash};

pub(crate) const ROUTES: &[&str] = &[
    "GET /api/v2/instance",
    "GET /api/v1/accounts/verify_credentials",
    "POST /api/v2/media",
    "GET /api/v1/media/{id}",
    "POST /api/v1/statuses",
    "GET /api/v1/statuses/{id}",
    "GET /api/v1/accounts/{id}/statuses",
];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &["/api/v1/", "/api/v2/"],
    errors: |status, shape, _| error_for_status(status, shape.retry_after),
    demo: |url| {
        vec![crate::DemoAccount {
            network: "mastodon",
            name: "Demo Mastodon",
            starter: true,
            values: vec![("server", url.to_owned()), ("token", "demo-mastodon-token".to_owned())],
        }]
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v2/instance", get(instance))
        .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
        .route("/api/v2/media", post(upload_media))
        .route("/api/v1/media/{id}", get(get_media))
        .route("/api/v1/statuses", post(post_status))
        .route("/api/v1/statuses/{id}", get(get_status))
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
}

const MAX_MEDIA_ATTACHMENTS: usize = 4;
const CHARACTERS_RESERVED_PER_URL: usize = 23;
const IMAGE_SIZE_LIMIT: u64 = 16 * 1024 * 1024;
const VIDEO_SIZE_LIMIT: u64 = 103_809_024;
const DESCRIPTION_LIMIT: usize = 1500;
const VISIBILITIES: &[&str] = &["public", "unlisted", "private", "direct"];

/// A status as created in the sandbox.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MastodonStatusRecord {
    pub id: String,
    pub account_id: String,
    pub text: String,
    pub media_ids: Vec<String>,
    pub idempotency_key: Option<String>,
    pub created_at_ms: u64,
    pub visibility: String,
}

/// An uploaded media attachment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MastodonMediaRecord {
    pub id: String,
    pub account_id: String,
    pub bytes: u64,
    /// Detected from the file's magic bytes, not from what the client claimed.
    pub content_type: String,
    pub description: Option<String>,
}

#[derive(Default)]
pub(crate) struct MastodonState {
    statuses: Vec<Status>,
    media: Vec<Media>,
    /// account id → username, for every token seen.
    pub(crate) accounts: HashMap<String, String>,
    /// (account id, key) → (status id, when the key was stored, in the sandbox's ms).
    idempotency: HashMap<(String, String), (String, u64)>,
    last_id: u64,
    /// Registered apps, codes and the tokens signed in through them.
    pub(crate) oauth: crate::mastodon::oauth::OAuthState,
}

struct Status {
    record: MastodonStatusRecord,
    username: String,
    spoiler_text: String,
}

struct Media {
    record: MastodonMediaRecord,
    /// Mastodon's attachment type: image, gifv or video.
    kind: &'static str,
    extension: &'static str,
    /// The sandbox's time at upload (ms).
    uploaded_at: u64,
    /// Copied from the config at upload; compared as elapsed time so no configured duration can
    /// overflow a timestamp.
    processing: Duration,
    status_id: Option<String>,
}

/// How long from `from` to `to` (the sandbox's ms); zero if the clock reads earlier than `from`.
fn elapsed(from: u64, to: u64) -> Duration {
    Duration::from_millis(to.saturating_sub(from))
}

impl Media {
    fn is_processed(&self, now: u64) -> bool {
        elapsed(self.uploaded_at, now) >= self.processing
    }
}

impl MastodonState {
    pub(crate) fn snapshot(&self) -> (Vec<MastodonStatusRecord>, Vec<MastodonMediaRecord>) {
        (
            self.statuses.iter().map(|s| s.record.clone()).collect(),
            self.media.iter().map(|m| m.record.clone()).collect(),
        )
    }

    /// Snowflake-like ids as Mastodon uses: milliseconds (`now`) shifted left, strictly increasing.
    fn next_id(&mut self, now: u64) -> String {
        self.last_id = self.last_id.saturating_add(1).max(now << 16);
        self.last_id.to_string()
    }
}

/// The account a token stands for: stable, so a test can predict it from the token.
struct Account {
    id: String,
    username: String,
}

impl Account {
    fn for_token(token: &str) -> Account {
        let hash = stable_hash(token);
        Account {
            id: (100_000_000_000 + hash % 900_000_000_000).to_string(),
            username: format!("demo_{:06x}", hash >> 40),
        }
    }
}

/// Mastodon's error answer, `{"error": "..."}`; small so handlers can pass it around with `?`.
struct MastodonError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for MastodonError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

fn error(status: StatusCode, message: &str) -> MastodonError {
    MastodonError { status, message: message.to_owned() }
}

fn not_found() -> MastodonError {
    error(StatusCode::NOT_FOUND, "Record not found")
}

fn unprocessable(message: &str) -> MastodonError {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Mastodon's error for `status`, used by status faults and unknown routes.
pub(crate) fn error_for_status(status: u16, retry_after: Option<f64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match code.as_u16() {
        401 => "The access token is invalid",
        403 => "This action is not allowed",
        404 => "Record not found",
        413 => "Request entity too large",
        422 => "Validation failed",
        429 => "Too many requests",
        503 => "There was a temporary problem serving your request, please try again",
        _ => code.canonical_reason().unwrap_or("Error"),
    };
    let mut response = error(code, message).into_response();
    // Mastodon's rate limiter always says when to come back.
    let retry_after = retry_after.or((status == 429).then_some(1.0));
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, retry_after_header(seconds));
        if status == 429 {
            let headers = response.headers_mut();
            headers.insert("x-ratelimit-limit", HeaderValue::from_static("300"));
            headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        }
    }
    response
}

/// `Retry-After` carries whole seconds, rounded up so a client never comes back too early.
pub(crate) fn retry_after_header(seconds: f64) -> HeaderValue {
    let whole = seconds.max(0.0).ceil();
    HeaderValue::from_str(&format!("{whole:.0}")).unwrap_or(HeaderValue::from_static("1"))
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Account, MastodonError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty());
    match token {
        Some(token) if !shared.is_revoked(token) => {
            // A token from the sign-in stands for its user; any other token for itself.
            let identity = lock(&shared.mastodon).oauth.tokens.get(token).cloned();
            let account = Account::for_token(identity.as_deref().unwrap_or(token));
            lock(&shared.mastodon).accounts.insert(account.id.clone(), account.username.clone());
            Ok(account)
        }
        _ => Err(error(StatusCode::UNAUTHORIZED, "The access token is invalid")),
    }
}

async fn instance(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(json!({
        "domain": shared.host,
        "title": "Fanout sandbox",
        "version": "4.3.0",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A local stand-in for a Mastodon server",
        "configuration": {
            "urls": { "streaming": Value::Null },
            "accounts": { "max_featured_tags": 10, "max_pinned_statuses": 5 },
            "statuses": {
                "max_characters": shared.mastodon_max_characters,
                "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"],
                "image_size_limit": IMAGE_SIZE_LIMIT,
                "image_matrix_limit": 33_177_600,
                "video_size_limit": VIDEO_SIZE_LIMIT,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8_294_400,
                "description_limit": DESCRIPTION_LIMIT,
            },
            "polls": { "max_options": 4, "max_characters_per_option": 50 },
        },
        "registrations": { "enabled": false, "approval_required": false },
    }))
    .into_response()
}

fn account_json(shared: &Shared, id: &str, username: &str, statuses_count: usize) -> Value {
    json!({
        "id": id,
        "username": username,
        "acct": username,
        "display_name": format!("Demo {}", username.trim_start_matches("demo_")),
        "locked": false,
        "bot": false,
        "created_at": "2024-01-01T00:00:00.000Z",
        "note": "",
        "url": format!("{}/@{username}", shared.base_url),
        "avatar": format!("{}/avatars/original/missing.png", shared.base_url),
        "avatar_static": format!("{}/avatars/original/missing.png", shared.base_url),
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": statuses_count,
    })
}

async fn verify_credentials(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Result<Response, MastodonError> {
    let account = authenticate(&shared, &headers)?;
    let count = lock(&shared.mastodon).statuses.iter().filter(|s| s.record.account_id == account.id).count();
    Ok(axum::Json(account_json(&shared, &account.id, &account.username, count)).into_response())
}

/// Recognises the formats Mastodon accepts by their magic bytes, as Paperclip does: the client's
/// Content-Type is not trusted. Returns (MIME type, attachment type, extension).
fn sniff(data: &[u8]) -> Option<(&'static str, &'static str, &'static str)> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "image", "jpg"))
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "image", "png"))
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        // Mastodon turns GIFs into looping videos.
        Some(("image/gif", "gifv", "mp4"))
    } else if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        Some(("image/webp", "image", "webp"))
    } else if data.get(4..8) == Some(b"ftyp") {
        Some(("video/mp4", "video", "mp4"))
    } else {
        None
    }
}

fn media_json(shared: &Shared, media: &Media, now: u64) -> Value {
    let processed = media.is_processed(now);
    let url = |variant: &str, extension: &str| {
        processed.then(|| {
            format!("{}/system/media_attachments/files/{}/{variant}.{extension}", shared.base_url, media.record.id)
        })
    };
    json!({
        "id": media.record.id,
        "type": media.kind,
        "url": url("original", media.extension),
        "preview_url": url("small", "png"),
        "remote_url": null,
        "text_url": null,
        "meta": {},
        "description": media.record.description,
        "blurhash": null,
    })
}

async fn upload_media(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, MastodonError> {
    let account = authenticate(&shared, &headers)?;
    let parts = parse_multipart(&headers, &body).unwrap_or_default();
    let description = parts
        .iter()
        .find(|p| p.name == "description" && p.filename.is_none())
        .map(|p| p.text())
        .filter(|d| !d.is_empty());
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return Err(unprocessable("Validation failed: File can't be blank"));
    };
    let Some((content_type, kind, extension)) = sniff(&file.data) else {
        return Err(unprocessable("Validation failed: File content type is invalid, File is invalid"));
    };
    let bytes = u64::try_from(file.data.len()).unwrap_or(u64::MAX);
    if kind == "video" && bytes > VIDEO_SIZE_LIMIT {
        return Err(unprocessable("Validation failed: File file size must be less than 99 MB"));
    }
    if kind != "video" && bytes > IMAGE_SIZE_LIMIT {
        return Err(unprocessable("Validation failed: File file size must be less than 16 MB"));
    }
    if description.as_deref().is_some_and(|d| d.chars().count() > DESCRIPTION_LIMIT) {
        return Err(unprocessable(&format!(
            "Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT} characters)"
        )));
    }
    let now = shared.now_ms();
    let mut state = lock(&shared.mastodon);
    let id = state.next_id(now);
    let media = Media {
        record: MastodonMediaRecord {
            id,
            account_id: account.id,
            bytes,
            content_type: content_type.to_owned(),
            description,
        },
        kind,
        extension,
        uploaded_at: now,
        processing: shared.media_processing,
        status_id: None,
    };
    let body = media_json(&shared, &media, now);
    state.media.push(media);
    // Mastodon answers 200 when it could process synchronously, 202 when processing continues.
    let status = if shared.media_processing.is_zero() { StatusCode::OK } else { StatusCode::ACCEPTED };
    Ok((status, axum::Json(body)).into_response())
}

async fn get_media(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, MastodonError> {
    let account = authenticate(&shared, &headers)?;
    let state = lock(&shared.mastodon);
    // Like Mastodon, only the owner's not-yet-attached media can be looked up here.
    let Some(media) =
        state.media.iter().find(|m| m.record.id == id && m.record.account_id == account.id && m.status_id.is_none())
    else {
        return Err(not_found());
    };
    let now = shared.now_ms();
    let status = if media.is_processed(now) { StatusCode::OK } else { StatusCode::PARTIAL_CONTENT };
    Ok((status, axum::Json(media_json(&shared, media, now))).into_response())
}

#[derive(Default)]
struct StatusParams {
    status: String,
    spoiler_text: String,
    media_ids: Vec<String>,
    visibility: Option<String>,
}

fn status_params(headers: &HeaderMap, body: &Bytes) -> Result<StatusParams, MastodonError> {
    let mut params = StatusParams::default();
    let mut from_pairs = |pairs: Vec<(String, String)>| {
        for (key, value) in pairs {
            match key.as_str() {
                "status" => params.status = value,
                "spoiler_text" => params.spoiler_text = value,
                "visibility" => params.visibility = Some(value),
                "media_ids[]" | "media_ids" => params.media_ids.push(value),
                _ => {}
            }
        }
    };
    match crate::body::kind(headers) {
        BodyKind::Json => {
            let value: Value = serde_json::from_slice(body)
                .map_err(|_| error(StatusCode::BAD_REQUEST, "Error occurred while parsing request parameters."))?;
            let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
            params.status = text("status").unwrap_or_default();
            params.spoiler_text = text("spoiler_text").unwrap_or_default();
            params.visibility = text("visibility");
            // Clients send ids as strings; some send numbers. Rails accepts both.
            params.media_ids = value
                .get("media_ids")
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .map(|id| match id {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        BodyKind::Form => from_pairs(parse_urlencoded(body)),
        BodyKind::Multipart => from_pairs(
            parse_multipart(headers, body)
                .unwrap_or_default()
                .into_iter()
                .filter(|p| p.filename.is_none())
                .map(|p| (p.name.clone(), p.text()))
                .collect(),
        ),
        BodyKind::Other => {}
    }
    Ok(params)
}

/// Length as Mastodon counts it: every http(s) URL counts as 23 characters and a remote mention
/// `@user@domain` as `@user`. Mastodon counts grapheme clusters; without a Unicode segmentation
/// dependency this counts chars, so an emoji made of several code points (flags, skin tones,
/// ZWJ sequences) counts more here than on a real server — stricter, never looser.
pub(crate) fn countable_length(text: &str) -> usize {
    text.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end_matches(char::is_whitespace);
            let whitespace = piece.chars().count() - word.chars().count();
            let lower = word.to_ascii_lowercase();
            let is_url =
                ["http://", "https://"].iter().any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
            let counted = if is_url {
                CHARACTERS_RESERVED_PER_URL
            } else if let Some(local) =
                word.strip_prefix('@').and_then(|rest| rest.split_once('@')).map(|(user, _domain)| user)
            {
                1 + local.chars().count()
            } else {
                word.chars().count()
            };
            counted + whitespace
        })
        .sum()
}

fn content_html(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    escaped.split("\n\n").filter(|p| !p.is_empty()).map(|p| format!("<p>{}</p>", p.replace('\n', "<br />"))).collect()
}

fn status_json(shared: &Shared, state: &MastodonState, status: &Status) -> Value {
    let now = shared.now_ms();
    let record = &status.record;
    let media: Vec<Value> = record
        .media_ids
        .iter()
        .filter_map(|id| state.media.iter().find(|m| &m.record.id == id))
        .map(|m| media_json(shared, m, now))
        .collect();
    let count = state.statuses.iter().filter(|s| s.record.account_id == record.account_id).count();
    json!({
        "id": record.id,
        "created_at": rfc3339(record.created_at_ms),
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "sensitive": !status.spoiler_text.is_empty(),
        "spoiler_text": status.spoiler_text,
        "visibility": record.visibility,
        "language": null,
        "uri": format!("{}/users/{}/statuses/{}", shared.base_url, status.username, record.id),
        "url": format!("{}/@{}/{}", shared.base_url, status.username, record.id),
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": content_html(&record.text),
        "reblog": null,
        "application": { "name": "Fanout", "website": null },
        "account": account_json(shared, &record.account_id, &status.username, count),
        "media_attachments": media,
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": null,
        "poll": null,
    })
}

async fn post_status(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, MastodonError> {
    let account = authenticate(&shared, &headers)?;
    let params = status_params(&headers, &body)?;
    let idempotency_key =
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty()).map(str::to_owned);
    let now = shared.now_ms();
    let mut state = lock(&shared.mastodon);

    // Checked before any validation, as Mastodon does: a retry of a request that went through
    // gets the original status back even if it would no longer validate.
    if let Some(key) = &idempotency_key {
        let remembered = state
            .idempotency
            .get(&(account.id.clone(), key.clone()))
            .filter(|(_, stored)| elapsed(*stored, now) < shared.idempotency_ttl)
            .map(|(id, _)| id.clone());
        if let Some(status) = remembered.and_then(|id| state.statuses.iter().find(|s| s.record.id == id)) {
            return Ok(axum::Json(status_json(&shared, &state, status)).into_response());
        }
    }

    if params.media_ids.len() > MAX_MEDIA_ATTACHMENTS {
        return Err(unprocessable("Cannot attach more than 4 files"));
    }
    let missing: Vec<&str> = params
        .media_ids
        .iter()
        .filter(|id| {
            !state
                .media
                .iter()
                .any(|m| &&m.record.id == id && m.record.account_id == account.id && m.status_id.is_none())
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(unprocessable(&format!(
            "Media {} not found or already attached to another post",
            missing.join(", ")
        )));
    }
    let unprocessed = state.media.iter().any(|m| params.media_ids.contains(&m.record.id) && !m.is_processed(now));
    if unprocessed {
        return Err(unprocessable("Cannot attach files that have not finished processing. Try again in a moment!"));
    }
    let visibility = params.visibility.unwrap_or_else(|| "public".to_owned());
    if !VISIBILITIES.contains(&visibility.as_str()) {
        return Err(unprocessable("Validation failed: Visibility is not included in the list"));
    }
    if params.status.trim().is_empty() && params.media_ids.is_empty() {
        return Err(unprocessable("Validation failed: Text can't be blank"));
    }
    let max = shared.mastodon_max_characters;
    if countable_length(&params.status) + countable_length(&params.spoiler_text) > max {
        return Err(unprocessable(&format!("Validation failed: Text character limit of {max} exceeded")));
    }

    let id = state.next_id(now);
    for media in state.media.iter_mut().filter(|m| params.media_ids.contains(&m.record.id)) {
        media.status_id = Some(id.clone());
    }
    if let Some(key) = &idempotency_key {
        state.idempotency.insert((account.id.clone(), key.clone()), (id.clone(), now));
    }
    state.statuses.push(Status {
        record: MastodonStatusRecord {
            id,
            account_id: account.id,
            text: params.status,
            media_ids: params.media_ids,
            idempotency_key,
            created_at_ms: now,
            visibility,
        },
        username: account.username,
        spoiler_text: params.spoiler_text,
    });
    match state.statuses.last() {
        Some(status) => Ok(axum::Json(status_json(&shared, &state, status)).into_response()),
        None => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")),
    }
}

fn visible_to(status: &Status, account: &Account) -> bool {
    status.record.account_id == account.id || matches!(status.record.visibility.as_str(), "public" | "unlisted")
}

async fn get_status(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, MastodonError> {
    let account = authenticate(&shared, &headers)?;
    let state = lock(&shared.mastodon);
    match state.statuses.iter().find(|s| s.record.id == id && visible_to(s, &account)) {
        Some(status) => Ok(axum::Json(status_json(&shared, &state, status)).into_response()),
        None => Err(not_found()),
    }
}

async fn account_statuses(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, MastodonError> {
    let account = authenticate(&shared, &headers)?;
    let query = parse_urlencoded(query.unwrap_or_default().as_bytes());
    let param = |name: &str| query.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<u64>().ok());
    let limit = param("limit").unwrap_or(20).clamp(1, 40);
    let max_id = param("max_id");
    let since_id = param("since_id");
    let limit = usize::try_from(limit).unwrap_or(40);
    let state = lock(&shared.mastodon);
    if !state.accounts.contains_key(&account_id) {
        return Err(not_found());
    }
    let statuses: Vec<Value> = state
        .statuses
        .iter()
        .rev()
        .filter(|s| s.record.account_id == account_id && visible_to(s, &account))
        .filter(|s| {
            let id = s.record.id.parse::<u64>().unwrap_or(0);
            max_id.is_none_or(|max| id < max) && since_id.is_none_or(|since| id > since)
        })
        .take(limit)
        .map(|s| status_json(&shared, &state, s))
        .collect();
    Ok(axum::Json(statuses).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_count_23_and_remote_mentions_count_the_local_part() {
        assert_eq!(countable_length("hello"), 5);
        assert_eq!(
            countable_length("see https://example.com/a/very/long/path/that/goes/on/and/on ok"),
            4 + 23 + 3,
            "a URL counts 23 whatever its length"
        );
        assert_eq!(countable_length("hi @alice@example.social"), 3 + 6, "@alice");
        assert_eq!(countable_length("héllo wörld"), 11, "chars, not bytes");
        assert_eq!(countable_length("http:// alone"), 13, "a bare scheme is not a URL");
    }

    #[test]
    fn content_is_escaped_html_paragraphs() {
        assert_eq!(content_html("a <b> & c\nd\n\ne"), "<p>a &lt;b&gt; &amp; c<br />d</p><p>e</p>");
    }

    #[test]
    fn the_same_token_is_always_the_same_account() {
        let a = Account::for_token("token-a");
        assert_eq!(a.id, Account::for_token("token-a").id, "deterministic");
        assert_ne!(a.id, Account::for_token("token-b").id, "different tokens, different accounts");
        assert!(a.id.chars().all(|c| c.is_ascii_digit()), "Mastodon ids are numeric strings");
        assert!(a.username.starts_with("demo_") && a.username.len() == 11);
    }

    #[test]
    fn media_is_recognised_by_magic_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").map(|s| s.0), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").map(|s| s.0), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42").map(|s| s.1), Some("video"));
        assert_eq!(sniff(b"GIF89a").map(|s| s.1), Some("gifv"));
        assert_eq!(sniff(b"%PDF-1.7"), None, "a PDF is not media");
        assert_eq!(sniff(b""), None);
    }
}
