//! The Matrix Client-Server API subset Fanout uses, answered the way Synapse does: password login
//! (`POST /_matrix/client/v3/login`), `whoami`, joining a room by its alias or id, room state
//! (`m.room.name`, `m.room.power_levels`), alias lookup, sending an event with
//! `PUT …/rooms/{roomId}/send/{eventType}/{txnId}` — idempotent per access token and transaction
//! id, so a resend gives back the event already made —, reading a room's messages back, and the
//! media repository (`POST /_matrix/media/v3/upload`, `GET /_matrix/client/v1/media/config` and
//! `…/download/{serverName}/{mediaId}`). Errors are `{"errcode": "M_…", "error": …}`, a 429 is
//! `M_LIMIT_EXCEEDED` with `retry_after_ms`.
//!
//! The homeserver's name is [`SANDBOX_MATRIX_SERVER`] whatever port the sandbox listens on (a
//! server name need not be its address), so the ids it gives out survive a restart on another
//! port; it also takes its loopback address (`127.0.0.1:PORT`, any port) as its own name in the
//! aliases and ids it is asked about. Its one user is [`SANDBOX_MATRIX_USER`] (password
//! [`SANDBOX_MATRIX_PASSWORD`], or the ready-made token [`SANDBOX_MATRIX_TOKEN`]), already in
//! `#fanout-bakery` ([`SANDBOX_MATRIX_ROOM`]); it may join `#fanout-announcements` but not post
//! there (its power level is below the room's), and may not join the invite-only `#fanout-staff`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::service::Service;
use crate::{Shared, lock};

pub(crate) const ROUTES: &[&str] = &[
    "GET /_matrix/client/v3/login",
    "POST /_matrix/client/v3/login",
    "GET /_matrix/client/v3/account/whoami",
    "POST /_matrix/client/v3/join/{roomIdOrAlias}",
    "GET /_matrix/client/v3/directory/room/{roomAlias}",
    "GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}",
    "PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}",
    "GET /_matrix/client/v3/rooms/{roomId}/messages",
    "POST /_matrix/media/v3/upload",
    "GET /_matrix/client/v1/media/config",
    "GET /_matrix/client/v1/media/download/{serverName}/{mediaId}",
];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &["/_matrix/"],
    errors: |status, shape, _| error_for_status(status, shape.retry_after),
    demo: |url| {
        let host = url.trim_start_matches("http://");
        vec![crate::DemoAccount {
            network: "matrix",
            name: "Demo Matrix",
            starter: false,
            values: vec![
                ("homeserver", url.to_owned()),
                ("room", format!("#{SANDBOX_MATRIX_ROOM}:{host}")),
                ("user", SANDBOX_MATRIX_USER.to_owned()),
                ("password", SANDBOX_MATRIX_PASSWORD.to_owned()),
            ],
        }]
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_matrix/client/v3/login", get(login_flows).post(login))
        .route("/_matrix/client/v3/account/whoami", get(whoami))
        .route("/_matrix/client/v3/join/{roomIdOrAlias}", post(join))
        .route("/_matrix/client/v3/directory/room/{roomAlias}", get(directory))
        .route("/_matrix/client/v3/rooms/{roomId}/state/{eventType}", get(room_state))
        .route("/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}", put(send))
        .route("/_matrix/client/v3/rooms/{roomId}/messages", get(messages))
        .route("/_matrix/media/v3/upload", post(upload))
        .route("/_matrix/client/v1/media/config", get(media_config))
        .route("/_matrix/client/v1/media/download/{serverName}/{mediaId}", get(download))
}

/// The sandbox homeserver's name.
pub const SANDBOX_MATRIX_SERVER: &str = "fanout.sandbox";
/// Its user's name, to log in with…
pub const SANDBOX_MATRIX_USER: &str = "fanout";
/// …and that user's id.
pub const SANDBOX_MATRIX_USER_ID: &str = "@fanout:fanout.sandbox";
/// That user's password.
pub const SANDBOX_MATRIX_PASSWORD: &str = "sandbox-matrix-password";
/// An access token of that user, valid from the start (as if made by an earlier login).
pub const SANDBOX_MATRIX_TOKEN: &str = "syt_ZmFub3V0_sandboxmatrixtoken_0a1b2c";
/// The public room the user is in, by its alias's localpart: `#fanout-bakery:fanout.sandbox`
/// (or `#fanout-bakery:127.0.0.1:PORT`).
pub const SANDBOX_MATRIX_ROOM: &str = "fanout-bakery";
/// A public room the user may join but not post in (its power level 0 is below the room's 50),
/// by its alias's localpart.
pub const SANDBOX_MATRIX_READ_ONLY_ROOM: &str = "fanout-announcements";
/// An invite-only room the user is not invited to, by its alias's localpart.
pub const SANDBOX_MATRIX_PRIVATE_ROOM: &str = "fanout-staff";

/// The rooms: (alias localpart, room id localpart, name, invite only, power level to send).
const ROOMS: &[(&str, &str, &str, bool, u32)] = &[
    (SANDBOX_MATRIX_ROOM, "FanoutBakeryRoom", "Fanout Bakery", false, 0),
    (SANDBOX_MATRIX_READ_ONLY_ROOM, "FanoutAnnouncements", "Fanout Announcements", false, 50),
    (SANDBOX_MATRIX_PRIVATE_ROOM, "FanoutStaffRoom", "Fanout Staff", true, 0),
];

/// The media id of the bakery room's avatar, served by the media repository like an upload.
const ROOM_AVATAR: &str = "FanoutBakeryRoomAvatar";

/// Whether a server name is this homeserver's: its name, or its loopback address.
fn own_server(server: &str) -> bool {
    server == SANDBOX_MATRIX_SERVER || server.starts_with("127.0.0.1:") || server.starts_with("localhost:")
}
/// Synapse's default `max_upload_size`.
const UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// The largest event Synapse accepts, in bytes of canonical JSON.
const EVENT_BYTES: usize = 65_536;

/// An event sent to a room of the sandbox's homeserver.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MatrixEventRecord {
    pub event_id: String,
    pub room_id: String,
    pub sender: String,
    pub event_type: String,
    pub content: Value,
    pub txn_id: String,
    pub origin_server_ts: u64,
}

/// A file uploaded to the media repository.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MatrixMediaRecord {
    /// `mxc://fanout.sandbox/{mediaId}`
    pub content_uri: String,
    pub content_type: String,
    pub filename: Option<String>,
    pub bytes: u64,
}

pub(crate) struct MatrixState {
    /// Access token → device id; every token is the one user's.
    tokens: HashMap<String, String>,
    /// Room ids the user has joined.
    joined: HashSet<String>,
    pub(crate) events: Vec<MatrixEventRecord>,
    pub(crate) media: Vec<MatrixMediaRecord>,
    files: HashMap<String, Bytes>,
    /// (access token, room, event type, transaction id) → the event made for it.
    transactions: HashMap<(String, String, String, String), String>,
}

impl Default for MatrixState {
    fn default() -> MatrixState {
        MatrixState {
            tokens: HashMap::from([(SANDBOX_MATRIX_TOKEN.to_owned(), "SANDBOXDEV".to_owned())]),
            events: Vec::new(),
            media: Vec::new(),
            files: HashMap::new(),
            transactions: HashMap::new(),
            joined: HashSet::from([format!("!{}:{SANDBOX_MATRIX_SERVER}", ROOMS[0].1)]),
        }
    }
}

impl MatrixState {
    fn user_id(&self) -> String {
        SANDBOX_MATRIX_USER_ID.to_owned()
    }

    /// The room with this id (`!…`) or alias (`#…`) on this server.
    fn room(&self, id_or_alias: &str) -> Option<Room> {
        let mut chars = id_or_alias.chars();
        let sigil = chars.next()?;
        let (local, server) = chars.as_str().split_once(':')?;
        if !own_server(server) {
            return None;
        }
        let row = ROOMS.iter().find(|row| match sigil {
            '#' => row.0 == local,
            '!' => row.1 == local,
            _ => false,
        })?;
        Some(Room {
            id: format!("!{}:{SANDBOX_MATRIX_SERVER}", row.1),
            alias: format!("#{}:{SANDBOX_MATRIX_SERVER}", row.0),
            name: row.2,
            invite_only: row.3,
            send_level: row.4,
        })
    }

    fn authenticate(&self, headers: &HeaderMap, query: Option<&str>) -> Result<String, MatrixError> {
        let from_header = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let token = from_header
            .or_else(|| query_value(query, "access_token"))
            .ok_or_else(|| fail(StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN", "Missing access token"))?;
        if self.tokens.contains_key(&token) { Ok(token) } else { Err(unknown_token()) }
    }

    fn joined_room(&self, room_id: &str, previews: bool) -> Result<Room, MatrixError> {
        let user = self.user_id();
        let not_in = || {
            let tail = if previews { ", and room previews are disabled" } else { "" };
            fail(StatusCode::FORBIDDEN, "M_FORBIDDEN", format!("User {user} not in room {room_id}{tail}"))
        };
        let room = self.room(room_id).filter(|_| room_id.starts_with('!')).ok_or_else(not_in)?;
        if !self.joined.contains(&room.id) {
            return Err(not_in());
        }
        Ok(room)
    }
}

struct Room {
    id: String,
    alias: String,
    name: &'static str,
    invite_only: bool,
    send_level: u32,
}

/// A homeserver's error answer, `{"errcode": …, "error": …}`.
pub(crate) struct MatrixError {
    status: StatusCode,
    errcode: &'static str,
    error: String,
    retry_after_ms: Option<u64>,
}

fn fail(status: StatusCode, errcode: &'static str, error: impl Into<String>) -> MatrixError {
    MatrixError { status, errcode, error: error.into(), retry_after_ms: None }
}

fn unknown_token() -> MatrixError {
    fail(StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN", "Invalid access token passed.")
}

impl IntoResponse for MatrixError {
    fn into_response(self) -> Response {
        let mut body = json!({ "errcode": self.errcode, "error": self.error });
        if let Some(ms) = self.retry_after_ms {
            body["retry_after_ms"] = json!(ms);
        }
        if self.errcode == "M_UNKNOWN_TOKEN" {
            body["soft_logout"] = json!(false);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(ms) = self.retry_after_ms {
            response.headers_mut().insert(RETRY_AFTER, crate::mastodon::retry_after_header(ms as f64 / 1000.0));
        }
        response
    }
}

/// Synapse's answer for `status`, for faults and unknown endpoints. A 429 says when to come
/// back both in `retry_after_ms` and in `Retry-After`.
pub(crate) fn error_for_status(status: u16, retry_after: Option<f64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut error = match status {
        401 => unknown_token(),
        403 => fail(code, "M_FORBIDDEN", "Forbidden"),
        404 => fail(code, "M_UNRECOGNIZED", "Unrecognized request"),
        413 => fail(code, "M_TOO_LARGE", "Request too large"),
        429 => fail(code, "M_LIMIT_EXCEEDED", "Too Many Requests"),
        500..=599 => fail(code, "M_UNKNOWN", "Internal server error"),
        _ => fail(code, "M_UNKNOWN", code.canonical_reason().unwrap_or("Bad request")),
    };
    if status == 429 {
        error.retry_after_ms = Some((retry_after.unwrap_or(1.0).max(0.0) * 1000.0).ceil() as u64);
        return error.into_response();
    }
    let mut response = error.into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, crate::mastodon::retry_after_header(seconds));
    }
    response
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    crate::body::parse_urlencoded(query.unwrap_or("").as_bytes()).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn random_text(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

async fn login_flows() -> Response {
    axum::Json(json!({ "flows": [{ "type": "m.login.password" }] })).into_response()
}

async fn login(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let result = (|| -> Result<Response, MatrixError> {
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| fail(StatusCode::BAD_REQUEST, "M_NOT_JSON", "Content not JSON."))?;
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "m.login.password" {
            return Err(fail(StatusCode::BAD_REQUEST, "M_UNKNOWN", format!("Unknown login type {kind}")));
        }
        let user = body
            .pointer("/identifier/user")
            .or_else(|| body.get("user"))
            .and_then(Value::as_str)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "M_MISSING_PARAM", "Missing parameter: identifier"))?;
        let password = body.get("password").and_then(Value::as_str).unwrap_or("");
        let mut state = lock(&shared.matrix);
        let user_id = state.user_id();
        // A localpart, or a full user id on this server.
        let user = user.trim();
        let known = match user.strip_prefix('@').and_then(|id| id.split_once(':')) {
            Some((local, server)) => local == SANDBOX_MATRIX_USER && own_server(server),
            None => user == SANDBOX_MATRIX_USER,
        };
        if !known || password != SANDBOX_MATRIX_PASSWORD {
            return Err(fail(StatusCode::FORBIDDEN, "M_FORBIDDEN", "Invalid username or password"));
        }
        let token = format!("syt_ZmFub3V0_{}_{}", random_text(20, LETTERS), random_text(6, ALPHANUMERIC));
        let device = random_text(10, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        state.tokens.insert(token.clone(), device.clone());
        Ok(axum::Json(json!({
            "user_id": user_id,
            "access_token": token,
            "device_id": device,
            "home_server": SANDBOX_MATRIX_SERVER,
        }))
        .into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn whoami(State(shared): State<Arc<Shared>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let state = lock(&shared.matrix);
        let token = state.authenticate(&headers, query.as_deref())?;
        Ok(axum::Json(json!({
            "user_id": state.user_id(),
            "device_id": state.tokens.get(&token),
            "is_guest": false,
        }))
        .into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Checks a token against the sandbox-wide revocation list before the room state is locked.
fn not_revoked(shared: &Shared, headers: &HeaderMap) -> Result<(), MatrixError> {
    let token = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(token) if shared.is_revoked(token.trim()) => Err(unknown_token()),
        _ => Ok(()),
    }
}

async fn join(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let mut state = lock(&shared.matrix);
        state.authenticate(&headers, query.as_deref())?;
        let room = state.room(&target).ok_or_else(|| {
            if target.starts_with('#') {
                fail(StatusCode::NOT_FOUND, "M_NOT_FOUND", format!("Room alias {target} not found"))
            } else {
                fail(StatusCode::NOT_FOUND, "M_NOT_FOUND", "No known servers")
            }
        })?;
        if room.invite_only && !state.joined.contains(&room.id) {
            return Err(fail(StatusCode::FORBIDDEN, "M_FORBIDDEN", "You are not invited to this room."));
        }
        state.joined.insert(room.id.clone());
        Ok(axum::Json(json!({ "room_id": room.id })).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn directory(State(shared): State<Arc<Shared>>, Path(alias): Path<String>) -> Response {
    let state = lock(&shared.matrix);
    match state.room(&alias).filter(|_| alias.starts_with('#')) {
        Some(room) => axum::Json(json!({ "room_id": room.id, "servers": [SANDBOX_MATRIX_SERVER] })).into_response(),
        None => fail(StatusCode::NOT_FOUND, "M_NOT_FOUND", format!("Room alias {alias} not found")).into_response(),
    }
}

async fn room_state(
    State(shared): State<Arc<Shared>>,
    Path((room_id, event_type)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let state = lock(&shared.matrix);
        state.authenticate(&headers, query.as_deref())?;
        let room = state.joined_room(&room_id, true)?;
        let content = match event_type.as_str() {
            "m.room.name" => json!({ "name": room.name }),
            "m.room.canonical_alias" => json!({ "alias": room.alias }),
            "m.room.join_rules" => json!({ "join_rule": if room.invite_only { "invite" } else { "public" } }),
            // The bakery's room has an avatar; the others have none (no such state event).
            "m.room.avatar" if room.name == ROOMS[0].2 => {
                json!({ "url": format!("mxc://{SANDBOX_MATRIX_SERVER}/{ROOM_AVATAR}") })
            }
            "m.room.power_levels" => json!({
                "users": {}, "users_default": 0, "events": {}, "events_default": room.send_level,
                "state_default": 50, "ban": 50, "kick": 50, "redact": 50, "invite": 0,
            }),
            _ => return Err(fail(StatusCode::NOT_FOUND, "M_NOT_FOUND", "Event not found.")),
        };
        Ok(axum::Json(content).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn send(
    State(shared): State<Arc<Shared>>,
    Path((room_id, event_type, txn_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let mut state = lock(&shared.matrix);
        let token = state.authenticate(&headers, query.as_deref())?;
        // Synapse answers a repeated transaction from its cache, before anything else.
        let key = (token, room_id.clone(), event_type.clone(), txn_id.clone());
        if let Some(event_id) = state.transactions.get(&key) {
            return Ok(axum::Json(json!({ "event_id": event_id })).into_response());
        }
        let room = state.joined_room(&room_id, false)?;
        if room.send_level > 0 {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "M_FORBIDDEN",
                format!(
                    "You don't have permission to post that to the room. user_level (0) < send_level ({})",
                    room.send_level
                ),
            ));
        }
        let content = match serde_json::from_slice::<Value>(&body) {
            Ok(content @ Value::Object(_)) => content,
            _ => return Err(fail(StatusCode::BAD_REQUEST, "M_NOT_JSON", "Content not JSON.")),
        };
        if body.len() > EVENT_BYTES {
            return Err(fail(StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE", "event too large"));
        }
        let event_id = format!("${}", random_text(43, ALPHANUMERIC));
        let record = MatrixEventRecord {
            event_id: event_id.clone(),
            room_id: room.id,
            sender: state.user_id(),
            event_type,
            content,
            txn_id,
            origin_server_ts: shared.now_ms(),
        };
        state.events.push(record);
        state.transactions.insert(key, event_id.clone());
        Ok(axum::Json(json!({ "event_id": event_id })).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// An event as the client API serves it.
fn event_json(event: &MatrixEventRecord, now: u64) -> Value {
    json!({
        "type": event.event_type,
        "content": event.content,
        "sender": event.sender,
        "event_id": event.event_id,
        "room_id": event.room_id,
        "origin_server_ts": event.origin_server_ts,
        "unsigned": { "age": now.saturating_sub(event.origin_server_ts), "transaction_id": event.txn_id },
    })
}

/// `GET …/messages?dir=b|f&from&limit`: pagination tokens are positions in the room's timeline
/// (`t{n}`: before the n-th event when going back, from it when going forward).
async fn messages(
    State(shared): State<Arc<Shared>>,
    Path(room_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let state = lock(&shared.matrix);
        state.authenticate(&headers, query.as_deref())?;
        let room = state.joined_room(&room_id, true)?;
        let forward = match query_value(query.as_deref(), "dir").as_deref() {
            Some("f") => true,
            Some("b") | None => false,
            Some(_) => return Err(fail(StatusCode::BAD_REQUEST, "M_INVALID_PARAM", "Unknown dir")),
        };
        let limit =
            query_value(query.as_deref(), "limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(10).min(1000);
        let timeline: Vec<&MatrixEventRecord> = state.events.iter().filter(|e| e.room_id == room.id).collect();
        let from = match query_value(query.as_deref(), "from") {
            Some(token) => token
                .strip_prefix('t')
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "M_INVALID_PARAM", "Invalid from parameter"))?
                .min(timeline.len()),
            None if forward => 0,
            None => timeline.len(),
        };
        let (chunk, end): (Vec<&MatrixEventRecord>, usize) = if forward {
            let to = (from + limit).min(timeline.len());
            (timeline[from..to].to_vec(), to)
        } else {
            let to = from.saturating_sub(limit);
            (timeline[to..from].iter().rev().copied().collect(), to)
        };
        let now = shared.now_ms();
        let mut body = json!({
            "chunk": chunk.iter().map(|e| event_json(e, now)).collect::<Vec<_>>(),
            "start": format!("t{from}"),
        });
        let more = if forward { end < timeline.len() } else { end > 0 };
        if more {
            body["end"] = json!(format!("t{end}"));
        }
        Ok(axum::Json(body).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn upload(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let mut state = lock(&shared.matrix);
        state.authenticate(&headers, query.as_deref())?;
        if body.len() > UPLOAD_BYTES {
            return Err(fail(StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE", "Cannot upload files larger than 50.00M"));
        }
        let content_type = match crate::body::content_type(&headers) {
            "" => "application/octet-stream".to_owned(),
            given => given.to_owned(),
        };
        let media_id = random_text(24, LETTERS);
        let content_uri = format!("mxc://{SANDBOX_MATRIX_SERVER}/{media_id}");
        state.media.push(MatrixMediaRecord {
            content_uri: content_uri.clone(),
            content_type,
            filename: query_value(query.as_deref(), "filename"),
            bytes: body.len() as u64,
        });
        state.files.insert(media_id, body);
        Ok(axum::Json(json!({ "content_uri": content_uri })).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn media_config(State(shared): State<Arc<Shared>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        lock(&shared.matrix).authenticate(&headers, query.as_deref())?;
        Ok(axum::Json(json!({ "m.upload.size": UPLOAD_BYTES })).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn download(
    State(shared): State<Arc<Shared>>,
    Path((server, media_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = not_revoked(&shared, &headers).and_then(|()| {
        let state = lock(&shared.matrix);
        state.authenticate(&headers, query.as_deref())?;
        let uri = format!("mxc://{server}/{media_id}");
        let not_found = || fail(StatusCode::NOT_FOUND, "M_NOT_FOUND", "Not found");
        if own_server(&server) && media_id == ROOM_AVATAR {
            return Ok((
                [(CONTENT_TYPE, HeaderValue::from_static("image/png"))],
                crate::pictures::avatar_png().to_vec(),
            )
                .into_response());
        }
        let record = state.media.iter().find(|m| m.content_uri == uri).ok_or_else(not_found)?;
        let data = state.files.get(&media_id).cloned().ok_or_else(not_found)?;
        let content_type =
            HeaderValue::from_str(&record.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let mut response = ([(CONTENT_TYPE, content_type)], data).into_response();
        if let Some(name) = &record.filename
            && let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", name.replace('"', "")))
        {
            response.headers_mut().insert(CONTENT_DISPOSITION, value);
        }
        Ok(response)
    });
    result.unwrap_or_else(IntoResponse::into_response)
}
