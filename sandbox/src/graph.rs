//! The Graph API subset Fanout uses for Facebook Pages, under `/graph/{version}/…`: reading nodes
//! (`me`, a Page, a post), a Page's published posts, videos and stories, `me/accounts`; posting
//! to `feed` (message, link, `attached_media`), `photos` (published or not), `videos`,
//! `photo_stories` and `video_stories` (start → bytes to the `upload_url` → finish); deleting a
//! photo. Answered the way Meta does: error bodies with `code`, `error_subcode`, `is_transient`
//! and `fbtrace_id`, usage headers on every answer, tokens in the `Authorization` header or the
//! `access_token` parameter.
//!
//! This module also says who a token stands for ([`principal`]), for Facebook, Instagram and
//! WhatsApp alike. The sandbox's Meta world is fixed: one user who manages the Pages in
//! [`SANDBOX_PAGES`]; those identities and the Graph answer toolkit live in `meta`, and the node
//! read `GET /{id}` is dispatched in `meta_routes` (Instagram and WhatsApp answer their own nodes
//! first). A test makes a token expire with `Sandbox::expire_graph_token` and spends a Page's
//! budget with `Sandbox::set_graph_usage`. Instagram and WhatsApp import this module, so it must
//! never import another product's module (instagram, whatsapp, threads, login).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::body::{is_video, sniff_image};
use crate::meta::{
    GraphFail, Params, SANDBOX_INSTAGRAM, SANDBOX_PAGES, SANDBOX_USER_TOKEN, SANDBOX_WHATSAPP_TOKEN, USER_ID,
    USER_NAME, graph_error, graph_time, invalid, limit, page_token, with_usage,
};
use crate::service::Service;
use crate::{Shared, lock};

pub(crate) const ROUTES: &[&str] = &[
    "DELETE /graph/{version}/{id}",
    "GET /graph/{version}/{id}/accounts",
    "GET /graph/{version}/{id}/published_posts",
    "GET /graph/{version}/{id}/picture",
    "GET /graph/{version}/{id}/videos",
    "GET /graph/{version}/{id}/stories",
    "POST /graph/{version}/{id}/feed",
    "POST /graph/{version}/{id}/photos",
    "POST /graph/{version}/{id}/videos",
    "POST /graph/{version}/{id}/photo_stories",
    "POST /graph/{version}/{id}/video_stories",
    "POST /rupload/video-upload/{version}/{id}",
    "GET /cdn/{id}",
];

pub(crate) const SERVICE: Service =
    Service::part(routes, ROUTES, &["/graph/", "/rupload/", "/cdn/"], |status, shape, _| {
        crate::meta::error_for_status(status, shape)
    });

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/graph/{version}/{id}", delete(delete_node))
        .route("/graph/{version}/{id}/accounts", get(accounts))
        .route("/graph/{version}/{id}/published_posts", get(published_posts))
        .route("/graph/{version}/{id}/picture", get(page_picture))
        .route("/graph/{version}/{id}/videos", get(list_videos).post(post_video))
        .route("/graph/{version}/{id}/stories", get(list_stories))
        .route("/graph/{version}/{id}/feed", post(post_feed))
        .route("/graph/{version}/{id}/photos", post(post_photo))
        .route("/graph/{version}/{id}/photo_stories", post(post_photo_story))
        .route("/graph/{version}/{id}/video_stories", post(post_video_story))
        .route("/rupload/video-upload/{version}/{id}", post(upload_video_bytes))
        .route("/cdn/{id}", get(cdn))
}

/// A photo's or video's bytes at the address Meta's CDN would give it (what Instagram fetches
/// when a Page stages media for it).
async fn cdn(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let state = lock(&shared.graph);
    let live = state.find(&id).is_some();
    match state.blobs.get(&id) {
        Some((content_type, bytes)) if live => {
            ([(axum::http::header::CONTENT_TYPE, content_type.clone())], bytes.clone()).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

const MESSAGE_LIMIT: usize = 63_206;
const PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// Something made through the Graph API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GraphObjectRecord {
    pub id: String,
    /// post, photo, video, story
    pub kind: String,
    pub page_id: String,
    /// The message, caption or description.
    pub message: String,
    pub link: Option<String>,
    /// Photos: shown on the Page (false while only uploaded for a later post or story).
    pub published: bool,
    /// Posts: the photos attached; stories: the photo or video shown.
    pub media: Vec<String>,
    /// Photos and videos: the bytes' type as sniffed (never the client's claim).
    pub content_type: Option<String>,
    pub bytes: u64,
    pub deleted: bool,
    pub created_at_ms: u64,
}

#[derive(Default)]
pub(crate) struct GraphState {
    objects: Vec<GraphObjectRecord>,
    expired: HashSet<String>,
    /// page → (percent of its budget used, minutes until it is back at 100 %).
    usage: HashMap<String, (u32, u32)>,
    /// Story videos started: video id → (page, bytes once uploaded).
    story_uploads: HashMap<String, (String, Option<(String, u64)>)>,
    /// Photos already used by a post or a story.
    used: HashSet<String>,
    /// Page tokens handed out after the first one expired: token → Page.
    minted: HashMap<String, String>,
    /// User tokens handed out by the login flow: token → when it expires (ms).
    pub(crate) user_tokens: HashMap<String, u64>,
    /// Login codes not yet exchanged: code → (redirect_uri, PKCE challenge).
    pub(crate) codes: HashMap<String, (String, Option<String>)>,
    /// Photos' and videos' bytes, served at `/cdn/{id}` while the object exists.
    pub(crate) blobs: HashMap<String, (String, Bytes)>,
    last_id: u64,
}

impl GraphState {
    pub(crate) fn snapshot(&self) -> Vec<GraphObjectRecord> {
        self.objects.clone()
    }

    pub(crate) fn expire(&mut self, token: &str) {
        self.expired.insert(token.to_owned());
    }

    pub(crate) fn set_usage(&mut self, page: &str, percent: u32, minutes: u32) {
        self.usage.insert(page.to_owned(), (percent, minutes));
    }

    /// The Page's token as its manager reads it at `now` (ms): [`page_token`], or a new one once
    /// that expired.
    fn fresh_page_token(&mut self, page: &str, now: u64) -> String {
        let base = page_token(page);
        if !self.expired.contains(&base) {
            return base;
        }
        let token = format!("{base}-{}", self.next_id(now));
        self.minted.insert(token.clone(), page.to_owned());
        token
    }

    /// A new object id, made of the time (`now`, ms) as Graph's are, and strictly increasing.
    pub(crate) fn next_id(&mut self, now: u64) -> String {
        self.last_id = self.last_id.saturating_add(1).max(now * 10);
        self.last_id.to_string()
    }

    pub(crate) fn find(&self, id: &str) -> Option<&GraphObjectRecord> {
        self.objects.iter().find(|o| o.id == id && !o.deleted)
    }

    fn add(&mut self, record: GraphObjectRecord) -> GraphObjectRecord {
        self.objects.push(record.clone());
        record
    }
}

/// Who a token stands for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Principal {
    User,
    Page(String),
    /// The WhatsApp business account's system user.
    SystemUser,
}

impl Principal {
    /// The node `id` names when this principal asks: `me` is the user, or the Page itself.
    pub(crate) fn node(&self, id: &str) -> String {
        match (self, id) {
            (Principal::User, "me") => USER_ID.to_owned(),
            (Principal::Page(page), "me") => page.clone(),
            _ => id.to_owned(),
        }
    }
}

/// Resolves the token to who it stands for, answering as Meta does when it cannot.
pub(crate) fn principal(shared: &Shared, token: Option<String>) -> Result<Principal, GraphFail> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            104,
            None,
            "OAuthException",
            "An access token is required to request this resource.",
        ));
    };
    let expired = || {
        graph_error(
            StatusCode::BAD_REQUEST,
            190,
            Some(463),
            "OAuthException",
            "Error validating access token: Session has expired.",
        )
    };
    let user_token_expiry = lock(&shared.graph).user_tokens.get(&token).copied();
    if lock(&shared.graph).expired.contains(&token) || user_token_expiry.is_some_and(|at| at <= shared.now_ms()) {
        return Err(expired());
    }
    if shared.is_revoked(&token) {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            190,
            Some(460),
            "OAuthException",
            "Error validating access token: The session has been invalidated because the user changed their password.",
        ));
    }
    if token == SANDBOX_USER_TOKEN {
        return Ok(Principal::User);
    }
    if token == SANDBOX_WHATSAPP_TOKEN {
        return Ok(Principal::SystemUser);
    }
    if user_token_expiry.is_some() {
        return Ok(Principal::User);
    }
    if let Some(page) = SANDBOX_PAGES.iter().find(|(id, _)| page_token(id) == token) {
        return Ok(Principal::Page(page.0.to_owned()));
    }
    if let Some(page) = lock(&shared.graph).minted.get(&token) {
        return Ok(Principal::Page(page.clone()));
    }
    Err(graph_error(
        StatusCode::BAD_REQUEST,
        190,
        None,
        "OAuthException",
        "Invalid OAuth access token - Cannot parse access token",
    ))
}

fn page_name(id: &str) -> Option<&'static str> {
    SANDBOX_PAGES.iter().find(|(page, _)| *page == id).map(|(_, name)| *name)
}

/// A Page's budget: every answer carries it; at 100 % the Page is throttled (80001).
fn usage_of(shared: &Shared, page: &str) -> (u32, u32) {
    lock(&shared.graph).usage.get(page).copied().unwrap_or((3, 0))
}

/// Runs a handler for a Page's edge: the token must be that Page's (or, to read, its manager's),
/// and the Page's budget must not be spent.
fn on_page(
    shared: &Shared,
    page: &str,
    token: Option<String>,
    write: bool,
    run: impl FnOnce() -> Result<Value, GraphFail>,
) -> Response {
    let usage = usage_of(shared, page);
    let result = (|| {
        let who = principal(shared, token)?;
        if page_name(page).is_none() {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                100,
                Some(33),
                "GraphMethodException",
                &format!(
                    "Unsupported request. Object with ID '{page}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
                ),
            ));
        }
        match who {
            Principal::Page(own) if own == page => {}
            Principal::User if !write => {}
            _ => {
                return Err(graph_error(
                    StatusCode::FORBIDDEN,
                    200,
                    None,
                    "OAuthException",
                    "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission",
                ));
            }
        }
        if usage.0 >= 100 {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                80_001,
                None,
                "OAuthException",
                "There have been too many calls to this Page account. Wait a bit and try again.",
            ));
        }
        run()
    })();
    let response = match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(fail) => fail.into_response(),
    };
    with_usage(response, Some(page), usage)
}

/// Reads the request's parameters, then runs `run` on the Page as `on_page` does.
fn page_call(
    shared: &Shared,
    page: &str,
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
    write: bool,
    run: impl FnOnce(&Params) -> Result<Value, GraphFail>,
) -> Response {
    let params = match Params::read(query.as_deref(), headers, body) {
        Ok(p) => p,
        Err(fail) => return fail.into_response(),
    };
    on_page(shared, page, params.token(headers), write, || run(&params))
}

fn permalink(shared: &Shared, id: &str) -> String {
    format!("{}/facebook/{id}", shared.base_url)
}

fn object_json(shared: &Shared, o: &GraphObjectRecord) -> Value {
    let mut value =
        json!({ "id": o.id, "created_time": graph_time(o.created_at_ms), "permalink_url": permalink(shared, &o.id) });
    let cdn = format!("{}/cdn/{}", shared.base_url, o.id);
    match o.kind.as_str() {
        "photo" => value["images"] = json!([{ "source": cdn }]),
        "video" => value["source"] = json!(cdn),
        _ => {}
    }
    let field = if o.kind == "video" { "description" } else { "message" };
    if !o.message.is_empty() {
        value[field] = json!(o.message);
    }
    value
}

/// A Facebook node: the user, a Page or something made through the Graph API. `meta_routes`
/// asks here once Instagram and WhatsApp have said the node is not theirs; `node` is `me`
/// already resolved ([`Principal::node`]) and `token` the one `who` came from.
pub(crate) fn read_node(shared: &Shared, node: &str, who: &Principal, token: Option<String>) -> Response {
    if node == USER_ID {
        return with_usage(axum::Json(json!({ "id": USER_ID, "name": USER_NAME })).into_response(), None, (0, 0));
    }
    if let Some(name) = page_name(node) {
        return on_page(shared, node, token, false, || {
            let mut value = json!({ "id": node, "name": name, "link": format!("{}/facebook/{node}", shared.base_url) });
            if *who == Principal::User {
                value["access_token"] = json!(lock(&shared.graph).fresh_page_token(node, shared.now_ms()));
            }
            if let Some(ig) = SANDBOX_INSTAGRAM.iter().find(|ig| ig.2 == node) {
                value["instagram_business_account"] = json!({ "id": ig.0 });
            }
            Ok(value)
        });
    }
    let found = lock(&shared.graph).find(node).cloned();
    match found {
        Some(object) => {
            let page = object.page_id.clone();
            on_page(shared, &page, token, false, || Ok(object_json(shared, &object)))
        }
        None => with_usage(
            graph_error(
                StatusCode::BAD_REQUEST,
                100,
                Some(33),
                "GraphMethodException",
                &format!("Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
            )
            .into_response(),
            None,
            (0, 0),
        ),
    }
}

async fn delete_node(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match Params::read(query.as_deref(), &headers, &Bytes::new()) {
        Ok(p) => p,
        Err(fail) => return fail.into_response(),
    };
    let Some(page) = lock(&shared.graph).find(&id).map(|o| o.page_id.clone()) else {
        return invalid(&format!("(#100) Object with ID '{id}' does not exist")).into_response();
    };
    on_page(&shared, &page, params.token(&headers), true, || {
        let mut state = lock(&shared.graph);
        if let Some(object) = state.objects.iter_mut().find(|o| o.id == id) {
            object.deleted = true;
        }
        Ok(json!({ "success": true }))
    })
}

async fn accounts(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match Params::read(query.as_deref(), &headers, &Bytes::new()) {
        Ok(p) => p,
        Err(fail) => return fail.into_response(),
    };
    let response = match principal(&shared, params.token(&headers)) {
        Ok(Principal::User) if id == "me" || id == USER_ID => {
            let data: Vec<Value> = SANDBOX_PAGES
                .iter()
                .map(|(page, name)| {
                    let mut value = json!({ "id": page, "name": name, "access_token": lock(&shared.graph).fresh_page_token(page, shared.now_ms()),
                            "category": "Local business", "tasks": ["MANAGE", "CREATE_CONTENT", "MODERATE"] });
                    if let Some(ig) = SANDBOX_INSTAGRAM.iter().find(|ig| ig.2 == *page) {
                        value["instagram_business_account"] = json!({ "id": ig.0, "username": ig.1 });
                    }
                    value
                })
                .collect();
            axum::Json(json!({ "data": data })).into_response()
        }
        Ok(_) => invalid("(#100) Tried accessing nonexisting field (accounts) on node type (Page)").into_response(),
        Err(fail) => fail.into_response(),
    };
    with_usage(response, None, (0, 0))
}

async fn published_posts(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    list(&shared, &page, query, &headers, "post")
}

/// The Page's profile picture (`redirect=false`: where it is, as `data.url`).
async fn page_picture(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    page_call(&shared, &page, query, &headers, &Bytes::new(), false, |_| {
        Ok(json!({ "data": {
            "url": format!("{}/avatars/facebook/{page}.png", shared.base_url),
            "width": 192, "height": 192, "is_silhouette": false,
        } }))
    })
}

async fn list_videos(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    list(&shared, &page, query, &headers, "video")
}

fn list(shared: &Shared, page: &str, query: Option<String>, headers: &HeaderMap, kind: &str) -> Response {
    page_call(shared, page, query, headers, &Bytes::new(), false, |params| {
        let count = limit(params);
        let state = lock(&shared.graph);
        let data: Vec<Value> = state
            .objects
            .iter()
            .rev()
            .filter(|o| o.page_id == page && o.kind == kind && !o.deleted && o.published)
            .take(count)
            .map(|o| object_json(shared, o))
            .collect();
        Ok(json!({ "data": data, "paging": {} }))
    })
}

async fn list_stories(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    page_call(&shared, &page, query, &headers, &Bytes::new(), false, |params| {
        let count = limit(params);
        let state = lock(&shared.graph);
        let data: Vec<Value> = state
            .objects
            .iter()
            .rev()
            .filter(|o| o.page_id == page && o.kind == "story" && !o.deleted)
            .take(count)
            .map(|o| {
                let media = o.media.first().cloned().unwrap_or_default();
                let media_type = if state.find(&media).is_some_and(|m| m.kind == "video") { "video" } else { "photo" };
                json!({ "post_id": o.id, "status": "PUBLISHED", "creation_time": (o.created_at_ms / 1000).to_string(),
                        "media_type": media_type, "media_id": media, "url": permalink(&shared, &o.id) })
            })
            .collect();
        Ok(json!({ "data": data, "paging": {} }))
    })
}

fn check_message(message: &str) -> Result<(), GraphFail> {
    if message.chars().count() > MESSAGE_LIMIT {
        return Err(invalid("(#100) Param message must be at most 63206 characters long"));
    }
    Ok(())
}

/// A new object of `kind` on `page`, made at `now` (ms).
fn new_record(state: &mut GraphState, kind: &str, page: &str, message: &str, now: u64) -> GraphObjectRecord {
    let n = state.next_id(now);
    let id = if matches!(kind, "post" | "story") { format!("{page}_{n}") } else { n };
    GraphObjectRecord {
        id,
        kind: kind.to_owned(),
        page_id: page.to_owned(),
        message: message.to_owned(),
        link: None,
        published: true,
        media: Vec::new(),
        content_type: None,
        bytes: 0,
        deleted: false,
        created_at_ms: now,
    }
}

/// An unpublished photo of `page` not yet used by a post or story.
fn take_photo(state: &mut GraphState, page: &str, id: &str) -> Result<(), GraphFail> {
    let ok = state.find(id).is_some_and(|p| p.kind == "photo" && p.page_id == page && !p.published);
    if !ok || state.used.contains(id) {
        return Err(invalid(&format!(
            "(#100) param attached_media[{id}] must be an unpublished photo of this Page that no post has used"
        )));
    }
    state.used.insert(id.to_owned());
    Ok(())
}

async fn post_feed(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    page_call(&shared, &page, query, &headers, &body, true, |params| {
        let message = params.get("message").unwrap_or("").to_owned();
        check_message(&message)?;
        let link = params.get("link").map(str::to_owned);
        let mut attached = Vec::new();
        for (key, value) in params.pairs() {
            if key.starts_with("attached_media") {
                let parsed: Value = serde_json::from_str(value)
                    .map_err(|_| invalid(&format!("(#100) param {key} must be JSON like {{\"media_fbid\":\"…\"}}")))?;
                let id = parsed
                    .get("media_fbid")
                    .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
                    .ok_or_else(|| invalid(&format!("(#100) param {key} has no media_fbid")))?;
                attached.push(id);
            }
        }
        if message.trim().is_empty() && link.is_none() && attached.is_empty() {
            return Err(invalid("(#100) Missing message or attachment"));
        }
        if attached.len() > 10 {
            return Err(invalid("(#100) A post takes at most 10 attached photos"));
        }
        let mut state = lock(&shared.graph);
        for id in &attached {
            take_photo(&mut state, &page, id)?;
        }
        for id in &attached {
            if let Some(photo) = state.objects.iter_mut().find(|o| &o.id == id) {
                photo.published = true;
            }
        }
        let mut record = new_record(&mut state, "post", &page, &message, shared.now_ms());
        record.link = link;
        record.media = attached;
        let record = state.add(record);
        Ok(json!({ "id": record.id }))
    })
}

async fn post_photo(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    page_call(&shared, &page, query, &headers, &body, true, |params| {
        let Some(file) = params.file("source") else {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                324,
                Some(2_069_019),
                "OAuthException",
                "(#324) Requires upload file: send the photo as the multipart part `source`",
            ));
        };
        let Some(content_type) = sniff_image(&file.data) else {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                324,
                None,
                "OAuthException",
                "(#324) Missing or invalid image file",
            ));
        };
        if file.data.len() > PHOTO_BYTES {
            return Err(invalid("(#100) The photo is larger than 10 MB"));
        }
        let message = params.get("message").or_else(|| params.get("caption")).unwrap_or("").to_owned();
        check_message(&message)?;
        let published = params.flag("published", true);
        let mut state = lock(&shared.graph);
        let mut photo = new_record(&mut state, "photo", &page, &message, shared.now_ms());
        photo.published = published;
        photo.content_type = Some(content_type.to_owned());
        photo.bytes = file.data.len() as u64;
        let photo = state.add(photo);
        state.blobs.insert(photo.id.clone(), (content_type.to_owned(), file.data.clone()));
        if !published {
            return Ok(json!({ "id": photo.id }));
        }
        state.used.insert(photo.id.clone());
        let mut post = new_record(&mut state, "post", &page, &message, shared.now_ms());
        post.media = vec![photo.id.clone()];
        let post = state.add(post);
        Ok(json!({ "id": photo.id, "post_id": post.id }))
    })
}

async fn post_video(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    page_call(&shared, &page, query, &headers, &body, true, |params| {
        let Some(file) = params.file("source").filter(|f| is_video(&f.data)) else {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                352,
                None,
                "OAuthException",
                "(#352) Sorry, the video file you selected is in a format that we don't support.",
            ));
        };
        let description = params.get("description").unwrap_or("").to_owned();
        check_message(&description)?;
        let mut state = lock(&shared.graph);
        let mut video = new_record(&mut state, "video", &page, &description, shared.now_ms());
        video.content_type = Some("video/mp4".into());
        video.bytes = file.data.len() as u64;
        video.published = params.flag("published", true);
        let video = state.add(video);
        state.blobs.insert(video.id.clone(), ("video/mp4".to_owned(), file.data.clone()));
        Ok(json!({ "id": video.id }))
    })
}

async fn post_photo_story(
    State(shared): State<Arc<Shared>>,
    Path((_version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    page_call(&shared, &page, query, &headers, &body, true, |params| {
        let photo = params.get("photo_id").ok_or_else(|| invalid("(#100) The parameter photo_id is required"))?;
        let mut state = lock(&shared.graph);
        take_photo(&mut state, &page, photo)?;
        let mut story = new_record(&mut state, "story", &page, "", shared.now_ms());
        story.media = vec![photo.to_owned()];
        let story = state.add(story);
        Ok(json!({ "success": true, "post_id": story.id }))
    })
}

async fn post_video_story(
    State(shared): State<Arc<Shared>>,
    Path((version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    page_call(&shared, &page, query, &headers, &body, true, |params| {
        let mut state = lock(&shared.graph);
        match params.get("upload_phase") {
            Some("start") => {
                let id = state.next_id(shared.now_ms());
                state.story_uploads.insert(id.clone(), (page.clone(), None));
                let upload_url = format!("{}/rupload/video-upload/{version}/{id}", shared.base_url);
                Ok(json!({ "video_id": id, "upload_url": upload_url }))
            }
            Some("finish") => {
                let id = params.get("video_id").ok_or_else(|| invalid("(#100) The parameter video_id is required"))?;
                let Some((owner, Some((content_type, bytes)))) = state.story_uploads.get(id).cloned() else {
                    return Err(invalid("(#100) No uploaded video with this video_id: upload the bytes first"));
                };
                if owner != page || state.used.contains(id) {
                    return Err(invalid("(#100) This video_id belongs to another Page or was already used"));
                }
                state.used.insert(id.to_owned());
                let mut video = new_record(&mut state, "video", &page, "", shared.now_ms());
                video.id = id.to_owned();
                video.published = false;
                video.content_type = Some(content_type);
                video.bytes = bytes;
                state.add(video);
                let mut story = new_record(&mut state, "story", &page, "", shared.now_ms());
                story.media = vec![id.to_owned()];
                let story = state.add(story);
                Ok(json!({ "success": true, "post_id": story.id }))
            }
            _ => Err(invalid("(#100) upload_phase must be start or finish")),
        }
    })
}

async fn upload_video_bytes(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((page, _)) = lock(&shared.graph).story_uploads.get(&id).cloned() else {
        return invalid("(#100) Unknown video id").into_response();
    };
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
        .map(str::to_owned);
    on_page(&shared, &page, token, true, || {
        let size: Option<usize> = headers.get("file_size").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        if size != Some(body.len()) {
            return Err(invalid("(#100) The file_size header must be the number of bytes sent"));
        }
        if !is_video(&body) {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                352,
                None,
                "OAuthException",
                "(#352) Sorry, the video file you selected is in a format that we don't support.",
            ));
        }
        let mut state = lock(&shared.graph);
        if let Some(entry) = state.story_uploads.get_mut(&id) {
            entry.1 = Some(("video/mp4".to_owned(), body.len() as u64));
        }
        Ok(json!({ "success": true }))
    })
}
