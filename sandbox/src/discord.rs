//! The Discord webhook subset Fanout uses — get a webhook, execute it with JSON or multipart
//! (`payload_json` + `files[n]`), with or without `?wait=true` — answered as Discord does,
//! including its error bodies (`{"message": "...", "code": N}`) and rate-limit headers. The
//! webhook token is a credential: it is never echoed in a response.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::body::{BodyKind, parse_multipart, parse_urlencoded};
use crate::service::Service;
use crate::{Shared, lock, rfc3339, stable_hash};

pub(crate) const ROUTES: &[&str] = &["GET /api/webhooks/{id}/{token}", "POST /api/webhooks/{id}/{token}"];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &["/api/webhooks/"],
    errors: |status, shape, _| error_for_status(status, shape.retry_after),
    demo: |url| {
        vec![
            crate::DemoAccount {
                network: "discord",
                name: "Demo Discord",
                starter: true,
                values: vec![("webhook", format!("{url}/api/webhooks/100200300/demo-discord-token"))],
            },
            crate::DemoAccount {
                network: "discord",
                name: "Demo Team Chat",
                starter: true,
                values: vec![("webhook", format!("{url}/api/webhooks/400500600/demo-team-token"))],
            },
        ]
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/api/webhooks/{id}/{token}", get(get_webhook).post(execute_webhook))
}

const MAX_CONTENT_CHARS: usize = 2000;
const MAX_FILES: usize = 10;
const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Discord's epoch (2015-01-01), the base of its snowflake ids.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// A message posted through a webhook.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DiscordMessageRecord {
    pub id: String,
    pub webhook_id: String,
    pub content: String,
    /// File names, in upload order.
    pub attachments: Vec<String>,
    pub created_at_ms: u64,
}

#[derive(Default)]
pub(crate) struct DiscordState {
    messages: Vec<DiscordMessageRecord>,
    last_id: u64,
}

impl DiscordState {
    pub(crate) fn snapshot(&self) -> Vec<DiscordMessageRecord> {
        self.messages.clone()
    }

    /// Snowflakes: milliseconds since the Discord epoch (of `now`, ms) in the top bits, strictly
    /// increasing.
    fn next_id(&mut self, now: u64) -> u64 {
        self.last_id = self.last_id.saturating_add(1).max(now.saturating_sub(DISCORD_EPOCH_MS) << 22);
        self.last_id
    }
}

/// Ids Discord derives from the webhook; stable so repeated runs see the same channel.
pub(crate) fn channel_and_guild(webhook_id: &str) -> (String, String) {
    let hash = stable_hash(webhook_id);
    (
        (1_000_000_000_000_000_000 + hash % 100_000_000_000_000_000).to_string(),
        (1_100_000_000_000_000_000 + (hash >> 7) % 100_000_000_000_000_000).to_string(),
    )
}

/// Discord sends these on every answer; the values are plausible constants, not a real limiter.
fn with_rate_limit_headers(mut response: Response, remaining: u32) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(5u32));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset-after", HeaderValue::from_static("2.000"));
    headers.insert("x-ratelimit-bucket", HeaderValue::from_static("fanout-sandbox-webhook"));
    response
}

/// Discord's error answer, `{"message": "...", "code": N}`; small so it can travel with `?`.
struct DiscordError {
    status: StatusCode,
    message: String,
    code: u32,
}

impl IntoResponse for DiscordError {
    fn into_response(self) -> Response {
        let body = json!({ "message": self.message, "code": self.code });
        with_rate_limit_headers((self.status, axum::Json(body)).into_response(), 4)
    }
}

fn error(status: StatusCode, message: &str, code: u32) -> DiscordError {
    DiscordError { status, message: message.to_owned(), code }
}

fn invalid_form_body(field: &str, code: &str, message: &str) -> Response {
    let body = json!({
        "code": 50035,
        "errors": { field: { "_errors": [ { "code": code, "message": message } ] } },
        "message": "Invalid Form Body",
    });
    with_rate_limit_headers((StatusCode::BAD_REQUEST, axum::Json(body)).into_response(), 4)
}

/// Discord's error for `status`, used by status faults and unknown routes.
pub(crate) fn error_for_status(status: u16, retry_after: Option<f64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match code.as_u16() {
        401 => error(code, "Invalid Webhook Token", 50027).into_response(),
        403 => error(code, "Missing Access", 50001).into_response(),
        404 => error(code, "Unknown Webhook", 10015).into_response(),
        413 => error(code, "Request entity too large", 40005).into_response(),
        429 => {
            let seconds = retry_after.unwrap_or(1.0);
            let body = json!({
                "message": "You are being rate limited.",
                "retry_after": seconds,
                "global": false,
            });
            let mut response = with_rate_limit_headers((code, axum::Json(body)).into_response(), 0);
            response.headers_mut().insert(RETRY_AFTER, crate::mastodon::retry_after_header(seconds));
            response
        }
        other => error(code, &format!("{other}: {}", code.canonical_reason().unwrap_or("Error")), 0).into_response(),
    };
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, crate::mastodon::retry_after_header(seconds));
    }
    response
}

/// The webhook exists on first use unless its token was revoked; a non-numeric id cannot be a
/// Discord snowflake, so it is unknown, as on Discord.
fn check_webhook(shared: &Shared, id: &str, token: &str) -> Result<(), DiscordError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(StatusCode::NOT_FOUND, "Unknown Webhook", 10015));
    }
    if shared.is_revoked(token) {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid Webhook Token", 50027));
    }
    Ok(())
}

/// Every sandbox webhook's avatar hash; the picture is at `/avatars/{webhook id}/{hash}.png`, as
/// on Discord's CDN.
const WEBHOOK_AVATAR: &str = "5f3c1e0b9a7d4c2e8f6a1b3d5c7e9f01";

async fn get_webhook(State(shared): State<Arc<Shared>>, Path((id, token)): Path<(String, String)>) -> Response {
    if let Err(response) = check_webhook(&shared, &id, &token) {
        return response.into_response();
    }
    let (channel_id, guild_id) = channel_and_guild(&id);
    with_rate_limit_headers(
        axum::Json(json!({
            "id": id,
            "type": 1,
            "name": "Sandbox webhook",
            "avatar": WEBHOOK_AVATAR,
            "channel_id": channel_id,
            "guild_id": guild_id,
            "application_id": null,
        }))
        .into_response(),
        4,
    )
}

struct Upload {
    filename: String,
    size: usize,
    content_type: Option<String>,
}

struct Payload {
    content: String,
    username: Option<String>,
    has_embeds: bool,
    files: Vec<Upload>,
}

fn invalid_json() -> DiscordError {
    error(StatusCode::BAD_REQUEST, "The request body contains invalid JSON.", 50109)
}

fn read_json_payload(payload: &mut Payload, bytes: &[u8]) -> Result<(), DiscordError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| invalid_json())?;
    if !value.is_object() {
        return Err(invalid_json());
    }
    if let Some(content) = value.get("content").and_then(Value::as_str) {
        payload.content = content.to_owned();
    }
    if let Some(username) = value.get("username").and_then(Value::as_str) {
        payload.username = Some(username.to_owned());
    }
    payload.has_embeds = value.get("embeds").and_then(Value::as_array).is_some_and(|embeds| !embeds.is_empty());
    Ok(())
}

fn read_payload(headers: &HeaderMap, body: &Bytes) -> Result<Payload, DiscordError> {
    let mut payload = Payload { content: String::new(), username: None, has_embeds: false, files: Vec::new() };
    match crate::body::kind(headers) {
        BodyKind::Json => read_json_payload(&mut payload, body)?,
        BodyKind::Form => {
            for (key, value) in parse_urlencoded(body) {
                match key.as_str() {
                    "content" => payload.content = value,
                    "username" => payload.username = Some(value),
                    _ => {}
                }
            }
        }
        BodyKind::Multipart => {
            let Some(parts) = parse_multipart(headers, body) else {
                return Err(error(StatusCode::BAD_REQUEST, "Cannot send an empty message", 50006));
            };
            for part in parts {
                match (&part.filename, part.name.as_str()) {
                    (Some(filename), _) => payload.files.push(Upload {
                        filename: filename.clone(),
                        size: part.data.len(),
                        content_type: part.content_type.clone(),
                    }),
                    (None, "payload_json") => read_json_payload(&mut payload, &part.data)?,
                    (None, "content") => payload.content = part.text(),
                    (None, "username") => payload.username = Some(part.text()),
                    _ => {}
                }
            }
        }
        BodyKind::Other => {}
    }
    Ok(payload)
}

async fn execute_webhook(
    State(shared): State<Arc<Shared>>,
    Path((id, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = check_webhook(&shared, &id, &token) {
        return response.into_response();
    }
    let wait = parse_urlencoded(query.unwrap_or_default().as_bytes())
        .iter()
        .any(|(k, v)| k == "wait" && matches!(v.to_ascii_lowercase().as_str(), "true" | "1"));
    let payload = match read_payload(&headers, &body) {
        Ok(payload) => payload,
        Err(response) => return response.into_response(),
    };
    if payload.files.iter().any(|f| f.size > MAX_FILE_BYTES) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large", 40005).into_response();
    }
    if payload.content.chars().count() > MAX_CONTENT_CHARS {
        return invalid_form_body("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
    }
    if payload.files.len() > MAX_FILES {
        return invalid_form_body("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    if payload.content.trim().is_empty() && payload.files.is_empty() && !payload.has_embeds {
        return error(StatusCode::BAD_REQUEST, "Cannot send an empty message", 50006).into_response();
    }

    let created_at_ms = shared.now_ms();
    let mut state = lock(&shared.discord);
    let message_id = state.next_id(created_at_ms);
    let attachments: Vec<Value> = payload
        .files
        .iter()
        .map(|file| {
            let attachment_id = state.next_id(created_at_ms);
            json!({
                "id": attachment_id.to_string(),
                "filename": file.filename,
                "size": file.size,
                "content_type": file.content_type,
                "url": format!("{}/attachments/{id}/{attachment_id}/{}", shared.base_url, file.filename),
            })
        })
        .collect();
    state.messages.push(DiscordMessageRecord {
        id: message_id.to_string(),
        webhook_id: id.clone(),
        content: payload.content.clone(),
        attachments: payload.files.iter().map(|f| f.filename.clone()).collect(),
        created_at_ms,
    });
    drop(state);

    if !wait {
        return with_rate_limit_headers(StatusCode::NO_CONTENT.into_response(), 4);
    }
    let (channel_id, _) = channel_and_guild(&id);
    let message = json!({
        "id": message_id.to_string(),
        "type": 0,
        "content": payload.content,
        "channel_id": channel_id,
        "webhook_id": id,
        "author": {
            "id": id,
            "username": payload.username.as_deref().unwrap_or("Sandbox webhook"),
            "bot": true,
        },
        "attachments": attachments,
        "embeds": [],
        "mentions": [],
        "pinned": false,
        "tts": false,
        // Discord writes microseconds and an explicit offset.
        "timestamp": rfc3339(created_at_ms).replace('Z', "000+00:00"),
    });
    with_rate_limit_headers(axum::Json(message).into_response(), 4)
}
