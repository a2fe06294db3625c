//! The WhatsApp Business Cloud API subset Fanout uses, under the Graph API's `/graph/{version}/`:
//! a phone number (`GET /{phone-number-id}`), the business account's numbers and templates
//! (`/{waba-id}/phone_numbers`, `/{waba-id}/message_templates`), media uploads
//! (`POST /{phone-number-id}/media`, multipart, checked as WhatsApp checks them) and messages
//! (`POST /{phone-number-id}/messages`: text, image, video, document, template — every field
//! checked, templates against their approved wording and placeholders). `GET /debug_token`
//! describes any token the sandbox knows, with the assets it grants.
//!
//! As on the real service, an accepted message is not a delivered one: a free-form message to
//! someone who has not written to the business in the last 24 hours is accepted, then recorded as
//! failed with 131047 (what the webhook would report). A test opens someone's window with
//! `Sandbox::whatsapp_inbound`. The chat page `/whatsapp/{phone-number-id}/chats/{number}` shows
//! each conversation.
//!
//! The number and its token ([`SANDBOX_WHATSAPP`],
//! [`SANDBOX_WHATSAPP_TOKEN`](crate::meta::SANDBOX_WHATSAPP_TOKEN)) live in `meta`. The media
//! upload and the node reads share their paths with Instagram and Facebook, so `meta_routes`
//! dispatches them to [`upload_media`] and [`read_node`]; this module must never import another
//! product's module but graph (for who a token stands for).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::body::{is_video, sniff_image};
use crate::graph::{Principal, principal};
use crate::meta::{
    GraphFail, Params, SANDBOX_APP_ID, SANDBOX_PAGES, SANDBOX_WHATSAPP, graph_error, invalid, with_usage,
};
use crate::service::Service;
use crate::{Shared, lock, stable_hash};

pub(crate) const ROUTES: &[&str] = &[
    "POST /graph/{version}/{id}/messages",
    "GET /graph/{version}/{id}/message_templates",
    "GET /graph/{version}/{id}/phone_numbers",
    "GET /graph/{version}/{id}/whatsapp_business_profile",
];

pub(crate) const SERVICE: Service =
    Service::part(routes, ROUTES, &[], |status, shape, _| crate::meta::error_for_status(status, shape));

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/graph/{version}/{id}/messages", post(send_message))
        .route("/graph/{version}/{id}/message_templates", axum::routing::get(templates))
        .route("/graph/{version}/{id}/phone_numbers", axum::routing::get(phone_numbers))
        .route("/graph/{version}/{id}/whatsapp_business_profile", axum::routing::get(business_profile))
}

/// The fields a business profile has.
const PROFILE_FIELDS: &[&str] =
    &["about", "address", "description", "email", "profile_picture_url", "websites", "vertical", "messaging_product"];

/// The phone number's business profile: `{"data": [{…}]}` with the fields asked for.
async fn business_profile(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let base = shared.base_url.clone();
    answer(&shared, query, &headers, &Bytes::new(), move |params| {
        if id != SANDBOX_WHATSAPP.1 {
            return Err(unknown(&id));
        }
        let profile = json!({
            "about": "Fresh bread every morning",
            "address": "Bakkerstraat 1, Amsterdam",
            "description": "The neighbourhood bakery",
            "email": "hello@bakery.example",
            "profile_picture_url": format!("{base}/avatars/whatsapp/{id}.jpg"),
            "websites": ["https://bakery.example/"],
            "vertical": "RESTAURANT",
            "messaging_product": "whatsapp",
        });
        let asked = params.get("fields").unwrap_or("");
        let mut data = serde_json::Map::new();
        for field in asked.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            if !PROFILE_FIELDS.contains(&field) {
                return Err(invalid(&format!(
                    "(#100) Tried accessing nonexisting field ({field}) on node type (WhatsAppBusinessProfile)"
                )));
            }
            data.insert(field.to_owned(), profile[field].clone());
        }
        data.insert("messaging_product".into(), json!("whatsapp"));
        Ok(json!({ "data": [data] }))
    })
    .await
}

const TEXT_LIMIT: usize = 4096;
const CAPTION_LIMIT: usize = 1024;
const IMAGE_BYTES: usize = 5 * 1024 * 1024;
const VIDEO_BYTES: usize = 16 * 1024 * 1024;
const WINDOW_MS: u64 = 24 * 3600 * 1000;

/// A template: (name, language, status, category, media header, body).
type TemplateRow = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, &'static str);

/// The business account's templates.
const TEMPLATES: &[TemplateRow] = &[
    ("hello_world", "en_US", "APPROVED", "UTILITY", None, "Hello World! Thank you for choosing our bakery."),
    (
        "weekly_news",
        "en_US",
        "APPROVED",
        "MARKETING",
        Some("IMAGE"),
        "Hello {{1}}, this week at Fanout Bakery: {{2}}. Reply STOP to stop these messages.",
    ),
    ("order_ready", "nl", "APPROVED", "UTILITY", None, "Hoi {{1}}, je bestelling {{2}} ligt klaar."),
    ("spring_sale", "en_US", "PENDING", "MARKETING", None, "Spring sale: {{1}} off everything!"),
];

/// A message the sandbox accepted, with what became of it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WhatsAppMessageRecord {
    /// `wamid.…`
    pub id: String,
    pub phone_number_id: String,
    /// The recipient's digits (`wa_id`).
    pub to: String,
    /// text, image, video, document, template
    pub kind: String,
    /// The body, the caption, or the template's wording with its values filled in.
    pub text: String,
    pub media_id: Option<String>,
    pub template: Option<String>,
    /// sent, or failed (what the status webhook would report)
    pub status: String,
    pub error_code: Option<i64>,
    pub created_at_ms: u64,
}

/// A file uploaded to `/media`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WhatsAppMediaRecord {
    pub id: String,
    pub content_type: String,
    pub bytes: u64,
}

#[derive(Default)]
pub(crate) struct WhatsAppState {
    pub(crate) messages: Vec<WhatsAppMessageRecord>,
    pub(crate) media: Vec<WhatsAppMediaRecord>,
    /// When each number last wrote to the business (digits → ms).
    pub(crate) inbound: HashMap<String, u64>,
    last_id: u64,
}

impl WhatsAppState {
    /// A new id, made of the time (`now`, ms) as Graph's are, and strictly increasing.
    fn next_id(&mut self, now: u64) -> String {
        self.last_id = self.last_id.saturating_add(1).max(now * 10 + 3);
        self.last_id.to_string()
    }
}

fn unknown(id: &str) -> GraphFail {
    graph_error(
        StatusCode::BAD_REQUEST,
        100,
        Some(33),
        "GraphMethodException",
        &format!(
            "Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        ),
    )
}

/// A WhatsApp error body: the Graph shape with `error_data.details`.
fn wa_error(code: i64, title: &str, details: &str) -> GraphFail {
    let body = json!({ "error": {
        "message": format!("(#{code}) {title}"),
        "type": "OAuthException",
        "code": code,
        "error_data": { "messaging_product": "whatsapp", "details": details },
        "fbtrace_id": format!("A{:016x}", stable_hash(details) ^ rand::random::<u64>()),
    }});
    GraphFail(Box::new((StatusCode::BAD_REQUEST, axum::Json(body)).into_response()))
}

/// Whether `who` may act for the business account: its system user, or the Meta user (who
/// administers it in the sandbox's world).
fn authorise(who: &Principal) -> Result<(), GraphFail> {
    match who {
        Principal::SystemUser | Principal::User => Ok(()),
        Principal::Page(_) => Err(graph_error(
            StatusCode::FORBIDDEN,
            200,
            None,
            "OAuthException",
            "(#200) Requires whatsapp_business_messaging permission",
        )),
    }
}

async fn answer(
    shared: &Arc<Shared>,
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
    run: impl FnOnce(Params) -> Result<Value, GraphFail>,
) -> Response {
    let result = (|| {
        let params = Params::read(query.as_deref(), headers, body)?;
        let who = principal(shared, params.token(headers))?;
        authorise(&who)?;
        run(params)
    })();
    let response = match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(fail) => fail.into_response(),
    };
    with_usage(response, None, (3, 0))
}

/// `GET /{phone-number-id}`, `GET /{waba-id}` and `GET /debug_token`, asked by `meta_routes`'
/// node read; `None` for any other node.
pub(crate) fn read_node(shared: &Shared, id: &str, who: &Principal, params: &Params) -> Option<Response> {
    let (waba, phone, number, name) = SANDBOX_WHATSAPP;
    let value = if id == "debug_token" {
        debug_token(shared, params.get("input_token").unwrap_or(""))
    } else if id == phone {
        if let Err(fail) = authorise(who) {
            return Some(fail.into_response());
        }
        json!({ "id": phone, "display_phone_number": number, "verified_name": name,
                "quality_rating": "GREEN", "code_verification_status": "VERIFIED" })
    } else if id == waba {
        if let Err(fail) = authorise(who) {
            return Some(fail.into_response());
        }
        json!({ "id": waba, "name": name, "currency": "EUR", "timezone_id": "1" })
    } else {
        return None;
    };
    Some(with_usage(axum::Json(value).into_response(), None, (3, 0)))
}

/// What `debug_token` says of a token: its kind, expiry and the assets it grants.
fn debug_token(shared: &Shared, token: &str) -> Value {
    let pages: Vec<&str> = SANDBOX_PAGES.iter().map(|(id, _)| *id).collect();
    let waba = SANDBOX_WHATSAPP.0;
    let expiry_of_user = lock(&shared.graph).user_tokens.get(token).copied();
    let (kind, expires_at, scopes): (&str, u64, Vec<Value>) = match principal(shared, Some(token.to_owned())) {
        Ok(Principal::SystemUser) => (
            "SYSTEM_USER",
            0,
            vec![
                json!({ "scope": "whatsapp_business_messaging", "target_ids": [waba] }),
                json!({ "scope": "whatsapp_business_management", "target_ids": [waba] }),
            ],
        ),
        Ok(Principal::Page(_)) => ("PAGE", 0, vec![json!({ "scope": "pages_manage_posts", "target_ids": pages })]),
        Ok(Principal::User) => (
            "USER",
            // The fixed user token behaves as a long-lived one: 60 days from now.
            expiry_of_user.unwrap_or_else(|| shared.now_ms() + 60 * 24 * 3600 * 1000) / 1000,
            vec![
                json!({ "scope": "pages_manage_posts", "target_ids": pages }),
                json!({ "scope": "instagram_content_publish" }),
                json!({ "scope": "whatsapp_business_messaging", "target_ids": [waba] }),
                json!({ "scope": "whatsapp_business_management", "target_ids": [waba] }),
            ],
        ),
        Err(_) => {
            return json!({ "data": { "is_valid": false, "error": { "code": 190, "message": "Invalid OAuth access token." } } });
        }
    };
    let names: Vec<&Value> = scopes.iter().filter_map(|s| s.get("scope")).collect();
    json!({ "data": {
        "app_id": SANDBOX_APP_ID, "type": kind, "application": "Fanout sandbox app",
        "is_valid": true, "expires_at": expires_at, "data_access_expires_at": 0,
        "scopes": names, "granular_scopes": scopes,
    }})
}

async fn phone_numbers(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(&shared, query, &headers, &Bytes::new(), |_| {
        let (waba, phone, number, name) = SANDBOX_WHATSAPP;
        if id != waba {
            return Err(unknown(&id));
        }
        Ok(json!({ "data": [{ "id": phone, "display_phone_number": number, "verified_name": name,
                               "quality_rating": "GREEN" }] }))
    })
    .await
}

/// The placeholders `{{1}}`… a template's body has.
fn placeholders(body: &str) -> usize {
    (1..=20).take_while(|n| body.contains(&format!("{{{{{n}}}}}"))).count()
}

async fn templates(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(&shared, query, &headers, &Bytes::new(), |params| {
        if id != SANDBOX_WHATSAPP.0 {
            return Err(unknown(&id));
        }
        let wanted = params.get("status");
        let data: Vec<Value> = TEMPLATES
            .iter()
            .filter(|t| wanted.is_none_or(|s| s.eq_ignore_ascii_case(t.2)))
            .map(|(name, language, status, category, header, body)| {
                let mut components = Vec::new();
                if let Some(format) = header {
                    components.push(json!({ "type": "HEADER", "format": format }));
                }
                components.push(json!({ "type": "BODY", "text": body }));
                json!({ "id": format!("{:x}", stable_hash(name)), "name": name, "language": language,
                        "status": status, "category": category, "components": components })
            })
            .collect();
        Ok(json!({ "data": data, "paging": { "cursors": { "before": "", "after": "" } } }))
    })
    .await
}

/// `POST /{phone-number-id}/media`: `meta_routes` sends here the `/{id}/media` uploads to the
/// sandbox's number (the same path makes an Instagram container for any other id).
pub(crate) async fn upload_media(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = shared.clone();
    answer(&shared, query, &headers, &body, move |params| {
        if id != SANDBOX_WHATSAPP.1 {
            return Err(unknown(&id));
        }
        if params.get("messaging_product") != Some("whatsapp") {
            return Err(invalid("(#100) The parameter messaging_product is required."));
        }
        let file = params.file("file").ok_or_else(|| invalid("(#100) The parameter file is required."))?;
        let data = &file.data;
        let content_type = if let Some(image) = sniff_image(data).filter(|t| matches!(*t, "image/jpeg" | "image/png")) {
            if data.len() > IMAGE_BYTES {
                return Err(wa_error(131_053, "Media upload error", "Image file size exceeds the 5 MB limit."));
            }
            image
        } else if is_video(data) {
            if data.len() > VIDEO_BYTES {
                return Err(wa_error(131_053, "Media upload error", "Video file size exceeds the 16 MB limit."));
            }
            "video/mp4"
        } else if data.starts_with(b"%PDF-") {
            "application/pdf"
        } else {
            return Err(invalid(
                "(#100) Param file must be a file with one of the following types: image/jpeg, image/png, video/mp4, application/pdf.",
            ));
        };
        let mut state = lock(&inner.whatsapp);
        let media_id = state.next_id(inner.now_ms());
        let record =
            WhatsAppMediaRecord { id: media_id.clone(), content_type: content_type.to_owned(), bytes: data.len() as u64 };
        state.media.push(record);
        Ok(json!({ "id": media_id }))
    })
    .await
}

/// The recipient's digits, checked as WhatsApp does.
fn recipient(to: &str) -> Result<String, GraphFail> {
    let digits: String = to.chars().filter(char::is_ascii_digit).collect();
    let clean = to.chars().all(|c| c.is_ascii_digit() || "+ -()".contains(c));
    if !clean || !(8..=15).contains(&digits.len()) {
        return Err(wa_error(131_009, "Parameter value is not valid", &format!("'{to}' is not a valid phone number.")));
    }
    Ok(digits)
}

fn media_of(state: &WhatsAppState, object: &Value, kind: &str) -> Result<String, GraphFail> {
    let id = object.get("id").and_then(Value::as_str).ok_or_else(|| {
        wa_error(131_008, "Required parameter is missing", &format!("{kind}.id (or {kind}.link) is required."))
    })?;
    let media = state
        .media
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| wa_error(131_053, "Media upload error", &format!("Media id {id} was not found.")))?;
    let fits = match kind {
        "image" => media.content_type.starts_with("image/"),
        "video" => media.content_type.starts_with("video/"),
        _ => true,
    };
    if !fits {
        return Err(wa_error(
            131_053,
            "Media upload error",
            &format!("Media id {id} is {}, not a {kind}.", media.content_type),
        ));
    }
    Ok(id.to_owned())
}

/// A template message's wording with its values, after checking it as WhatsApp does.
fn render_template(state: &WhatsAppState, template: &Value) -> Result<(String, String, Option<String>), GraphFail> {
    let name = template.get("name").and_then(Value::as_str).unwrap_or("");
    let language = template.get("language").and_then(|l| l.get("code")).and_then(Value::as_str).unwrap_or("");
    let Some(found) = TEMPLATES.iter().find(|t| t.0 == name && t.1 == language && t.2 == "APPROVED") else {
        return Err(wa_error(
            132_001,
            "Template name does not exist in the translation",
            &format!("template name ({name}) does not exist in {language}"),
        ));
    };
    let components = template.get("components").and_then(Value::as_array).cloned().unwrap_or_default();
    let part = |kind: &str| {
        components.iter().find(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(kind)))
    };
    let values: Vec<String> = part("body")
        .and_then(|b| b.get("parameters"))
        .and_then(Value::as_array)
        .map(|ps| ps.iter().map(|p| p.get("text").and_then(Value::as_str).unwrap_or("").to_owned()).collect())
        .unwrap_or_default();
    let expected = placeholders(found.5);
    if values.len() != expected {
        return Err(wa_error(
            132_000,
            "Number of parameters does not match the expected number of params",
            &format!(
                "body: number of localizable_params ({}) does not match the expected number of params ({expected})",
                values.len()
            ),
        ));
    }
    if values.iter().any(|v| v.trim().is_empty() || v.contains('\n')) {
        return Err(wa_error(
            132_012,
            "Parameter format does not match format in the created template",
            "A template value is empty or has a new line.",
        ));
    }
    let media_id = match found.4 {
        Some(format) => {
            let kind = format.to_ascii_lowercase();
            let parameter = part("header")
                .and_then(|h| h.get("parameters"))
                .and_then(|p| p.get(0))
                .and_then(|p| p.get(&kind))
                .ok_or_else(|| {
                    wa_error(
                        132_000,
                        "Number of parameters does not match the expected number of params",
                        &format!("header: the template needs a {kind}"),
                    )
                })?;
            Some(media_of(state, parameter, &kind)?)
        }
        None => None,
    };
    let mut text = found.5.to_owned();
    for (n, value) in values.iter().enumerate() {
        text = text.replace(&format!("{{{{{}}}}}", n + 1), value);
    }
    Ok((name.to_owned(), text, media_id))
}

async fn send_message(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = shared.clone();
    let raw: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    answer(&shared, query, &headers, &body, move |params| {
        if id != SANDBOX_WHATSAPP.1 {
            return Err(unknown(&id));
        }
        if params.get("messaging_product") != Some("whatsapp") {
            return Err(invalid("(#100) The parameter messaging_product is required."));
        }
        let to = recipient(params.get("to").unwrap_or(""))?;
        if to == SANDBOX_WHATSAPP.2.chars().filter(char::is_ascii_digit).collect::<String>() {
            return Err(wa_error(131_021, "Recipient cannot be sender", "The recipient is this business number."));
        }
        let kind = params.get("type").unwrap_or("text").to_owned();
        let mut state = lock(&inner.whatsapp);
        let object = raw.get(&kind).cloned().unwrap_or(Value::Null);
        let (text, media_id, template) = match kind.as_str() {
            "text" => {
                let text = object.get("body").and_then(Value::as_str).unwrap_or("");
                if text.trim().is_empty() {
                    return Err(wa_error(131_008, "Required parameter is missing", "text.body is required."));
                }
                if text.chars().count() > TEXT_LIMIT {
                    return Err(wa_error(
                        131_009,
                        "Parameter value is not valid",
                        "text.body is over 4096 characters.",
                    ));
                }
                (text.to_owned(), None, None)
            }
            "image" | "video" | "document" => {
                let caption = object.get("caption").and_then(Value::as_str).unwrap_or("");
                if caption.chars().count() > CAPTION_LIMIT {
                    return Err(wa_error(131_009, "Parameter value is not valid", "caption is over 1024 characters."));
                }
                (caption.to_owned(), Some(media_of(&state, &object, &kind)?), None)
            }
            "template" => {
                let (name, text, media) = render_template(&state, &object)?;
                (text, media, Some(name))
            }
            other => {
                return Err(wa_error(
                    131_051,
                    "Unsupported message type",
                    &format!("'{other}' is not a message type."),
                ));
            }
        };
        let open = state.inbound.get(&to).is_some_and(|at| inner.now_ms().saturating_sub(*at) < WINDOW_MS);
        let (status, error_code) = if template.is_some() || open { ("sent", None) } else { ("failed", Some(131_047)) };
        let wamid = format!("wamid.HBgL{}", state.next_id(inner.now_ms()));
        state.messages.push(WhatsAppMessageRecord {
            id: wamid.clone(),
            phone_number_id: SANDBOX_WHATSAPP.1.to_owned(),
            to: to.clone(),
            kind,
            text,
            media_id,
            template,
            status: status.to_owned(),
            error_code,
            created_at_ms: inner.now_ms(),
        });
        Ok(json!({ "messaging_product": "whatsapp", "contacts": [{ "input": params.get("to"), "wa_id": to }],
                   "messages": [{ "id": wamid, "message_status": "accepted" }] }))
    })
    .await
}
