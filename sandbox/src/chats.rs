//! Team chats' incoming webhooks, answered as each service does: Slack
//! (`POST /services/{team}/{bot}/{token}`, plain-text answers such as `ok`, `no_text`,
//! `invalid_token`), Microsoft Teams Workflows (`POST /workflows/{id}/triggers/manual/paths/invoke`
//! with `sig`, an Adaptive Card message, 202 Accepted, 413 over 28 KB) and Google Chat
//! (`POST /v1/spaces/{space}/messages?key&token`, the Message resource, a client `messageId`
//! refused as ALREADY_EXISTS when repeated). The sandbox's webhooks: [`SANDBOX_SLACK_WEBHOOK`],
//! [`SANDBOX_TEAMS_WEBHOOK`], [`SANDBOX_GOOGLE_CHAT_WEBHOOK`] (paths; prefix the sandbox's URL).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::service::Service;
use crate::{Shared, lock};

pub(crate) const ROUTES: &[&str] = &[
    "POST /services/{team}/{bot}/{token}",
    "POST /workflows/{id}/triggers/manual/paths/invoke",
    "POST /v1/spaces/{space}/messages",
];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &[],
    errors: |status, shape, _| crate::mastodon::error_for_status(status, shape.retry_after),
    demo: |url| {
        vec![
            crate::DemoAccount {
                network: "slack",
                name: "Demo Slack",
                starter: false,
                values: vec![("webhook", format!("{url}{SANDBOX_SLACK_WEBHOOK}"))],
            },
            crate::DemoAccount {
                network: "teams",
                name: "Demo Teams",
                starter: false,
                values: vec![("webhook", format!("{url}{SANDBOX_TEAMS_WEBHOOK}"))],
            },
            crate::DemoAccount {
                network: "google_chat",
                name: "Demo Google Chat",
                starter: false,
                values: vec![("webhook", format!("{url}{SANDBOX_GOOGLE_CHAT_WEBHOOK}"))],
            },
        ]
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/services/{team}/{bot}/{token}", post(slack))
        .route("/workflows/{id}/triggers/manual/paths/invoke", post(teams))
        .route("/v1/spaces/{space}/messages", post(google_chat))
}

pub const SANDBOX_SLACK_WEBHOOK: &str = "/services/T0FANOUT/B0NEWS/sandbox-slack-token";
pub const SANDBOX_TEAMS_WEBHOOK: &str = "/workflows/5a9f0c0d/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sandbox-teams-sig";
pub const SANDBOX_GOOGLE_CHAT_WEBHOOK: &str =
    "/v1/spaces/AAAAfanout/messages?key=sandbox-chat-key&token=sandbox-chat-token";
const SLACK_TEXT: usize = 40_000;
const TEAMS_BYTES: usize = 28 * 1024;
const GOOGLE_TEXT: usize = 4096;

/// A message a team chat's webhook took.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChatMessageRecord {
    /// slack, teams, google_chat
    pub service: String,
    /// The channel, workflow or space.
    pub channel: String,
    pub text: String,
    pub id: String,
    pub created_at_ms: u64,
    /// The pictures the message shows (Slack image blocks, Adaptive Card images, card widgets).
    #[serde(default)]
    pub images: Vec<ChatImageRecord>,
}

/// A picture in a chat message: the address it is shown from, and its alt text.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChatImageRecord {
    pub url: String,
    pub alt: String,
}

fn record(shared: &Shared, service: &str, channel: &str, text: &str, id: String, images: Vec<ChatImageRecord>) {
    lock(&shared.chats).push(ChatMessageRecord {
        service: service.to_owned(),
        channel: channel.to_owned(),
        text: text.to_owned(),
        id,
        created_at_ms: shared.now_ms(),
        images,
    });
}

/// An address a chat's servers could fetch a picture from: https, or http on loopback (the
/// stand-in for a public bucket in tests).
fn fetchable(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            || (u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback()))
    })
}

fn image_of(url: Option<&Value>, alt: Option<&Value>) -> Option<ChatImageRecord> {
    Some(ChatImageRecord {
        url: url?.as_str()?.to_owned(),
        alt: alt.and_then(Value::as_str).unwrap_or_default().to_owned(),
    })
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "text/plain")], text.to_owned()).into_response()
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    crate::body::parse_urlencoded(query.unwrap_or("").as_bytes()).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

async fn slack(
    State(shared): State<Arc<Shared>>,
    Path((team, bot, token)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    if format!("/services/{team}/{bot}/{token}") != SANDBOX_SLACK_WEBHOOK || shared.is_revoked(&token) {
        return plain(StatusCode::FORBIDDEN, "invalid_token");
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return plain(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let text = value.get("text").and_then(Value::as_str).unwrap_or("");
    if text.trim().is_empty() && value.get("blocks").is_none() {
        return plain(StatusCode::BAD_REQUEST, "no_text");
    }
    // Block Kit: at most 50 blocks; a section's text takes 3,000 characters; an image block
    // needs an address (≤ 3,000) Slack can fetch and alt text (≤ 2,000).
    let blocks = value.get("blocks").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut images = Vec::new();
    for block in &blocks {
        let valid = match block.get("type").and_then(Value::as_str) {
            Some("section") => block
                .get("text")
                .and_then(|t| t.get("text"))
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty() && t.chars().count() <= 3_000),
            Some("image") => {
                let image = image_of(block.get("image_url"), block.get("alt_text"));
                let ok = image.as_ref().is_some_and(|i| {
                    fetchable(&i.url) && i.url.len() <= 3_000 && !i.alt.is_empty() && i.alt.chars().count() <= 2_000
                });
                images.extend(image);
                ok
            }
            _ => false,
        };
        if !valid {
            return plain(StatusCode::BAD_REQUEST, "invalid_blocks");
        }
    }
    if blocks.len() > 50 {
        return plain(StatusCode::BAD_REQUEST, "invalid_blocks");
    }
    // Slack keeps the first 40,000 characters of a longer text.
    let kept: String = text.chars().take(SLACK_TEXT).collect();
    record(&shared, "slack", &bot, &kept, format!("{}", shared.now_ms()), images);
    plain(StatusCode::OK, "ok")
}

async fn teams(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let error = |status: StatusCode, code: &str, message: &str| {
        (status, axum::Json(json!({ "error": { "code": code, "message": message } }))).into_response()
    };
    let sig = query_value(query.as_deref(), "sig").unwrap_or_default();
    if sig != "sandbox-teams-sig" || shared.is_revoked(&sig) || !SANDBOX_TEAMS_WEBHOOK.contains(&id) {
        return error(StatusCode::UNAUTHORIZED, "DirectApiAuthorizationRequired", "The request must be authenticated.");
    }
    if body.len() > TEAMS_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", "The message is larger than 28 KB.");
    }
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let card = value
        .get("attachments")
        .and_then(|a| a.get(0))
        .filter(|a| a.get("contentType").and_then(Value::as_str) == Some("application/vnd.microsoft.card.adaptive"))
        .and_then(|a| a.get("content"))
        .filter(|c| c.get("type").and_then(Value::as_str) == Some("AdaptiveCard"));
    let Some(card) = card else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content is not an Adaptive Card message (type 'message' with an attachment).",
        );
    };
    let elements: Vec<&Value> = card.get("body").and_then(Value::as_array).into_iter().flatten().collect();
    let text: Vec<&str> = elements.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect();
    let images: Vec<ChatImageRecord> = elements
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("Image"))
        .filter_map(|b| image_of(b.get("url"), b.get("altText")))
        .collect();
    if images.iter().any(|i| !fetchable(&i.url)) {
        return error(StatusCode::BAD_REQUEST, "InvalidRequestContent", "An Image element's url is not a web address.");
    }
    record(&shared, "teams", &id, &text.join("\n"), format!("{}", shared.now_ms()), images);
    StatusCode::ACCEPTED.into_response()
}

async fn google_chat(
    State(shared): State<Arc<Shared>>,
    Path(space): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let error = |status: StatusCode, state: &str, message: &str| {
        let body = json!({ "error": { "code": status.as_u16(), "message": message, "status": state } });
        (status, axum::Json(body)).into_response()
    };
    let q = query.as_deref();
    let good = query_value(q, "key").as_deref() == Some("sandbox-chat-key")
        && query_value(q, "token").as_deref() == Some("sandbox-chat-token")
        && SANDBOX_GOOGLE_CHAT_WEBHOOK.contains(&format!("/spaces/{space}/"));
    if !good {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "Invalid webhook credentials.");
    }
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = value.get("text").and_then(Value::as_str).unwrap_or("");
    if text.trim().is_empty() && value.get("cardsV2").is_none() {
        return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "Message cannot be empty. Discarded empty message.");
    }
    if text.chars().count() > GOOGLE_TEXT {
        return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "Message text is too long.");
    }
    let message_id = query_value(q, "messageId");
    if let Some(id) = &message_id {
        if !id.starts_with("client-") {
            return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "A custom message id must start with client-.");
        }
        if lock(&shared.chats).iter().any(|m| m.service == "google_chat" && m.id.ends_with(&format!("/{id}"))) {
            return error(StatusCode::CONFLICT, "ALREADY_EXISTS", "Message with the same ID already exists.");
        }
    }
    let widgets = value
        .get("cardsV2")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| c.pointer("/card/sections").and_then(Value::as_array).cloned().unwrap_or_default())
        .flat_map(|s| s.get("widgets").and_then(Value::as_array).cloned().unwrap_or_default());
    let images: Vec<ChatImageRecord> =
        widgets.filter_map(|w| w.get("image").and_then(|i| image_of(i.get("imageUrl"), i.get("altText")))).collect();
    if images.iter().any(|i| !fetchable(&i.url)) {
        return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "Image URLs must use HTTPS.");
    }
    let name = format!("spaces/{space}/messages/{}", message_id.unwrap_or_else(|| format!("{}", shared.now_ms())));
    record(&shared, "google_chat", &space, text, name.clone(), images);
    axum::Json(json!({ "name": name, "text": text, "space": { "name": format!("spaces/{space}") },
                       "createTime": crate::meta::graph_time(shared.now_ms()) }))
    .into_response()
}
