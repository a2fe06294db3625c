//! The Telegram Bot API subset Fanout uses, under `/bot{token}/{method}`: `getMe`, `getChat`,
//! `getChatMember`, `sendMessage`, `sendPhoto`, `sendVideo` and `sendMediaGroup` (2–10 photos and
//! videos attached as `attach://name` parts, the caption on the first). Answers as the Bot API does:
//! `{"ok": true, "result": …}` or `{"ok": false, "error_code", "description", "parameters":
//! {"retry_after"}}`. The bot is [`SANDBOX_TELEGRAM_TOKEN`]; it administers the channel
//! `@fanoutbakery` and is only a member of `@fanoutreaders`, where it may not post. A public
//! channel's message is shown at `/telegram/{username}/{id}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Shared;
use crate::body::{is_video, sniff_image};
use crate::service::Service;

pub(crate) const ROUTES: &[&str] = &["POST /bot{token}/{method}", "GET /file/bot{token}/{*path}"];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &["/bot", "/file/bot"],
    errors: |status, shape, _| error_for_status(status, shape.retry_after),
    demo: |url| {
        vec![crate::DemoAccount {
            network: "telegram",
            name: "Demo Telegram",
            starter: false,
            values: vec![
                ("api", url.to_owned()),
                ("chat", "@fanoutbakery".to_owned()),
                ("token", SANDBOX_TELEGRAM_TOKEN.to_owned()),
            ],
        }]
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/bot{token}/{method}", post(method).get(method))
        .route("/file/bot{token}/{*path}", axum::routing::get(file))
}

/// The channel photo's file, as `getFile` names it: (file id, unique id, path).
const CHAT_PHOTO: (&str, &str, &str) = ("AQADsandboxchatphotosmall", "AQADsmall", "profile_photos/file_1.jpg");

/// The sandbox's bot.
pub const SANDBOX_TELEGRAM_TOKEN: &str = "7000000001:sandbox-bot-token";
const BOT: (i64, &str) = (7_000_000_001, "fanout_sandbox_bot");
/// The chats: (id, username, title, type, the bot's status there).
const CHATS: &[(i64, &str, &str, &str, &str)] = &[
    (-1_001_000_000_001, "fanoutbakery", "Fanout Bakery", "channel", "administrator"),
    (-1_001_000_000_002, "fanoutreaders", "Fanout Readers", "channel", "member"),
];
const TEXT_LIMIT: usize = 4096;
const CAPTION_LIMIT: usize = 1024;
const PHOTO_BYTES: usize = 10 * 1024 * 1024;
const VIDEO_BYTES: usize = 50 * 1024 * 1024;

/// A message the sandbox's bot sent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TelegramMessageRecord {
    pub message_id: i64,
    pub chat_id: i64,
    /// text, photo, video
    pub kind: String,
    /// The text or the caption.
    pub text: String,
    pub media_group_id: Option<String>,
    pub bytes: u64,
    pub created_at_ms: u64,
}

#[derive(Default)]
pub(crate) struct TelegramState {
    pub(crate) messages: Vec<TelegramMessageRecord>,
    last_id: i64,
}

struct Fail {
    code: u16,
    description: String,
    retry_after: Option<u64>,
}

fn fail(code: u16, description: impl Into<String>) -> Fail {
    Fail { code, description: description.into(), retry_after: None }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let mut body = json!({ "ok": false, "error_code": self.code, "description": self.description });
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({ "retry_after": seconds });
        }
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(body)).into_response()
    }
}

/// The answer a fault plan asks for, shaped like the Bot API's.
pub(crate) fn error_for_status(status: u16, retry_after: Option<f64>) -> Response {
    let description = match status {
        429 => format!("Too Many Requests: retry after {}", retry_after.unwrap_or(5.0).ceil() as u64),
        401 => "Unauthorized".to_owned(),
        403 => "Forbidden: bot was kicked from the channel chat".to_owned(),
        404 => "Not Found".to_owned(),
        500..=599 => "Internal Server Error".to_owned(),
        _ => "Bad Request: the request is invalid".to_owned(),
    };
    let mut f = fail(status, description);
    if status == 429 {
        f.retry_after = Some(retry_after.unwrap_or(5.0).ceil() as u64);
    }
    f.into_response()
}

/// The request's fields (query, form, JSON or multipart) and its files.
struct Fields {
    pairs: Vec<(String, String)>,
    files: Vec<crate::body::Part>,
}

impl Fields {
    fn read(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Result<Fields, Fail> {
        let (pairs, files) = crate::body::fields(query, headers, body)
            .ok_or_else(|| fail(400, "Bad Request: can't parse the request"))?;
        Ok(Fields { pairs, files })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn file(&self, name: &str) -> Option<&crate::body::Part> {
        self.files.iter().find(|p| p.name == name)
    }
}

fn chat_of(fields: &Fields) -> Result<&'static (i64, &'static str, &'static str, &'static str, &'static str), Fail> {
    let wanted = fields.get("chat_id").ok_or_else(|| fail(400, "Bad Request: chat_id is empty"))?;
    CHATS
        .iter()
        .find(|c| wanted == c.0.to_string() || wanted.strip_prefix('@') == Some(c.1))
        .ok_or_else(|| fail(400, "Bad Request: chat not found"))
}

fn chat_json(chat: &(i64, &str, &str, &str, &str)) -> Value {
    let mut value = json!({ "id": chat.0, "title": chat.2, "username": chat.1, "type": chat.3 });
    // The bakery's channel has a photo (a ChatPhoto: small 160×160 and big 640×640).
    if chat.0 == CHATS[0].0 {
        value["photo"] = json!({ "small_file_id": CHAT_PHOTO.0, "small_file_unique_id": CHAT_PHOTO.1,
                                 "big_file_id": "AQADsandboxchatphotobig", "big_file_unique_id": "AQADbig" });
    }
    value
}

/// A file `getFile` named, at `/file/bot{token}/{path}`.
async fn file(State(shared): State<Arc<Shared>>, Path((token, path)): Path<(String, String)>) -> Response {
    if token != SANDBOX_TELEGRAM_TOKEN || shared.is_revoked(&token) {
        return fail(401, "Unauthorized").into_response();
    }
    if path != CHAT_PHOTO.2 {
        return fail(404, "Not Found").into_response();
    }
    ([(axum::http::header::CONTENT_TYPE, "image/png")], crate::pictures::avatar_png().to_vec()).into_response()
}

/// Checks a file as the Bot API does and returns its kind and size.
fn check_file(part: &crate::body::Part, wanted: &str) -> Result<u64, Fail> {
    let data = &part.data;
    let ok = match wanted {
        "photo" => sniff_image(data).is_some_and(|t| t != "image/webp") && data.len() <= PHOTO_BYTES,
        _ => is_video(data) && data.len() <= VIDEO_BYTES,
    };
    if !ok {
        return Err(fail(
            400,
            format!("Bad Request: wrong type of the web page content or file too big for a {wanted}"),
        ));
    }
    Ok(data.len() as u64)
}

fn caption(fields: &Fields, key: &str) -> Result<String, Fail> {
    let text = fields.get(key).unwrap_or("").to_owned();
    if text.chars().count() > CAPTION_LIMIT {
        return Err(fail(400, "Bad Request: message caption is too long"));
    }
    Ok(text)
}

fn record(shared: &Shared, chat: i64, kind: &str, text: String, group: Option<String>, bytes: u64) -> Value {
    let created_at_ms = shared.now_ms();
    let message_id = shared.with(|state: &mut TelegramState| {
        state.last_id += 1;
        state.messages.push(TelegramMessageRecord {
            message_id: state.last_id,
            chat_id: chat,
            kind: kind.to_owned(),
            text: text.clone(),
            media_group_id: group.clone(),
            bytes,
            created_at_ms,
        });
        state.last_id
    });
    let mut message = json!({ "message_id": message_id, "chat": { "id": chat }, "date": shared.now_ms() / 1000 });
    if kind == "text" {
        message["text"] = json!(text);
    } else if !text.is_empty() {
        message["caption"] = json!(text);
    }
    if let Some(group) = group {
        message["media_group_id"] = json!(group);
    }
    message
}

fn run(shared: &Shared, name: &str, fields: &Fields) -> Result<Value, Fail> {
    match name {
        "getMe" => Ok(json!({ "id": BOT.0, "is_bot": true, "first_name": "Fanout Sandbox", "username": BOT.1 })),
        "getChat" => Ok(chat_json(chat_of(fields)?)),
        "getFile" => match fields.get("file_id") {
            Some(id) if id == CHAT_PHOTO.0 => Ok(json!({ "file_id": id, "file_unique_id": CHAT_PHOTO.1,
                                                          "file_size": crate::pictures::avatar_png().len(),
                                                          "file_path": CHAT_PHOTO.2 })),
            Some(_) => Err(fail(400, "Bad Request: invalid file_id")),
            None => Err(fail(400, "Bad Request: file_id is empty")),
        },
        "getChatMember" => {
            let chat = chat_of(fields)?;
            let user = fields.get("user_id").unwrap_or("");
            if user != BOT.0.to_string() {
                return Err(fail(400, "Bad Request: user not found"));
            }
            let mut member = json!({ "status": chat.4, "user": { "id": BOT.0, "is_bot": true, "username": BOT.1 } });
            if chat.4 == "administrator" {
                member["can_post_messages"] = json!(true);
            }
            Ok(member)
        }
        "sendMessage" | "sendPhoto" | "sendVideo" | "sendMediaGroup" => {
            let chat = chat_of(fields)?;
            if !matches!(chat.4, "administrator" | "creator") {
                return Err(fail(400, "Bad Request: need administrator rights in the channel chat"));
            }
            match name {
                "sendMessage" => {
                    let text = fields.get("text").unwrap_or("");
                    if text.trim().is_empty() {
                        return Err(fail(400, "Bad Request: message text is empty"));
                    }
                    if text.chars().count() > TEXT_LIMIT {
                        return Err(fail(400, "Bad Request: message is too long"));
                    }
                    Ok(record(shared, chat.0, "text", text.to_owned(), None, 0))
                }
                "sendPhoto" | "sendVideo" => {
                    let kind = if name == "sendPhoto" { "photo" } else { "video" };
                    let part = fields
                        .file(kind)
                        .ok_or_else(|| fail(400, format!("Bad Request: there is no {kind} in the request")))?;
                    let bytes = check_file(part, kind)?;
                    Ok(record(shared, chat.0, kind, caption(fields, "caption")?, None, bytes))
                }
                _ => {
                    let media: Vec<Value> = serde_json::from_str(fields.get("media").unwrap_or(""))
                        .map_err(|_| fail(400, "Bad Request: can't parse media JSON object"))?;
                    if !(2..=10).contains(&media.len()) {
                        return Err(fail(400, "Bad Request: wrong number of media in the group (2 to 10)"));
                    }
                    let mut checked = Vec::with_capacity(media.len());
                    for item in &media {
                        let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
                        if !matches!(kind, "photo" | "video") {
                            return Err(fail(400, format!("Bad Request: media type {kind} can't be in this group")));
                        }
                        let name = item.get("media").and_then(Value::as_str).and_then(|m| m.strip_prefix("attach://"));
                        let part = name
                            .and_then(|n| fields.file(n))
                            .ok_or_else(|| fail(400, "Bad Request: wrong file identifier/HTTP URL specified"))?;
                        let text = item.get("caption").and_then(Value::as_str).unwrap_or("").to_owned();
                        if text.chars().count() > CAPTION_LIMIT {
                            return Err(fail(400, "Bad Request: message caption is too long"));
                        }
                        checked.push((kind.to_owned(), text, check_file(part, kind)?));
                    }
                    let group = format!("{}", shared.now_ms());
                    let sent: Vec<Value> = checked
                        .into_iter()
                        .map(|(kind, text, bytes)| record(shared, chat.0, &kind, text, Some(group.clone()), bytes))
                        .collect();
                    Ok(Value::Array(sent))
                }
            }
        }
        _ => Err(fail(404, "Not Found: method not found")),
    }
}

async fn method(
    State(shared): State<Arc<Shared>>,
    Path((token, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if token != SANDBOX_TELEGRAM_TOKEN || shared.is_revoked(&token) {
        return fail(401, "Unauthorized").into_response();
    }
    let result = Fields::read(query.as_deref(), &headers, &body).and_then(|fields| run(&shared, &name, &fields));
    match result {
        Ok(value) => axum::Json(json!({ "ok": true, "result": value })).into_response(),
        Err(f) => f.into_response(),
    }
}

/// A public channel's message, as `t.me/{username}/{id}` shows it.
pub(crate) fn page(shared: &Shared, username: &str, id: i64) -> Option<(String, String)> {
    let chat = CHATS.iter().find(|c| c.1 == username)?;
    let messages = shared.with(|state: &mut TelegramState| state.messages.clone());
    let message = messages.iter().find(|m| m.chat_id == chat.0 && m.message_id == id)?;
    let group: Vec<&TelegramMessageRecord> = match &message.media_group_id {
        Some(g) => messages.iter().filter(|m| m.media_group_id.as_ref() == Some(g)).collect(),
        None => vec![message],
    };
    let kinds: Vec<&str> = group.iter().map(|m| m.kind.as_str()).collect();
    Some((format!("{} — a {} on the sandbox's Telegram", chat.2, kinds.join(" + ")), message.text.clone()))
}
