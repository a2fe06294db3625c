//! The Threads API subset Fanout uses, under `/threads/{version}/…` (the real one lives at
//! `graph.threads.net`): `me`, containers (`POST /{user}/threads` with `media_type` TEXT, IMAGE,
//! VIDEO or CAROUSEL; media fetched from its URL and checked), their status (`?fields=status`,
//! IN_PROGRESS for a few polls for videos and carousels), `threads_publish`, the day's quota
//! (`threads_publishing_limit`, 250) and the user's recent threads. Errors and usage headers as
//! the Graph API gives them. The user ([`SANDBOX_THREADS_USER`]) and its token
//! ([`SANDBOX_THREADS_TOKEN`]) live in `meta`, as does fetching a media URL as Meta does; this
//! module must never import another product's module (login imports it, to check and renew
//! tokens).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::body::{is_video, sniff_image};
use crate::containers::{Edge, FINISHED, PUBLISHED, Platform, poll, published_today, quota_answer};
use crate::meta::{
    GraphFail, Params, SANDBOX_THREADS_TOKEN, SANDBOX_THREADS_USER, graph_error, graph_time, invalid, limit, with_usage,
};
use crate::service::Service;
use crate::{Shared, lock, stable_hash};

pub(crate) const ROUTES: &[&str] = &[
    "GET /threads/{version}/{id}",
    "POST /threads/{version}/{id}/threads",
    "GET /threads/{version}/{id}/threads",
    "POST /threads/{version}/{id}/threads_publish",
    "GET /threads/{version}/{id}/threads_publishing_limit",
];

pub(crate) const SERVICE: Service =
    Service::part(routes, ROUTES, &["/threads/", "/threads-login/"], |status, shape, _| {
        crate::meta::error_for_status(status, shape)
    });

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/threads/{version}/{id}", get(read_node))
        .route("/threads/{version}/{id}/threads", post(create_container).get(list_threads))
        .route("/threads/{version}/{id}/threads_publish", post(publish))
        .route("/threads/{version}/{id}/threads_publishing_limit", get(publishing_limit))
}

const TEXT_LIMIT_BYTES: usize = 500;
const QUOTA: u32 = 250;

/// What Threads says and allows in the container flow.
const THREADS: Platform = Platform {
    exception: "THApiException",
    id_digit: 2,
    max_children: 20,
    child_refusal: "is not a finished carousel item",
    quota_message: "You reached the maximum number of posts allowed in 24 hours.",
    not_ready_message: "The media is not ready for publishing, please wait for a moment",
};

/// A published thread.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ThreadsPostRecord {
    pub id: String,
    pub media_type: String,
    pub text: String,
    pub children: usize,
    pub container_id: String,
    pub created_at_ms: u64,
}

struct Container {
    id: String,
    media_type: String,
    text: String,
    item: bool,
    children: Vec<String>,
    status: String,
    polls_left: u32,
}

#[derive(Default)]
pub(crate) struct ThreadsState {
    containers: Vec<Container>,
    pub(crate) posts: Vec<ThreadsPostRecord>,
    pub(crate) quota: Option<u32>,
    /// Tokens handed out by renewing a sign-in, besides [`SANDBOX_THREADS_TOKEN`].
    pub(crate) tokens: std::collections::HashSet<String>,
    last_id: u64,
}

impl ThreadsState {
    /// A new id, made of the time (`now`, ms) as Graph's are, and strictly increasing.
    fn next_id(&mut self, now: u64) -> String {
        THREADS.next_id(&mut self.last_id, now)
    }

    /// What was published in the 24 hours before `now` (ms).
    fn published_today(&self, now: u64) -> u32 {
        published_today(self.posts.iter().map(|p| p.created_at_ms), now)
    }
}

fn permalink(shared: &Shared, id: &str) -> String {
    format!(
        "{}/threads-web/@{}/post/T{:010x}",
        shared.base_url,
        SANDBOX_THREADS_USER.1,
        stable_hash(id) & 0xff_ffff_ffff
    )
}

/// Whether `token` is the Threads user's: the sandbox's token or one a renewal handed out, not revoked.
pub(crate) fn token_is_valid(shared: &Shared, token: &str) -> bool {
    let known = token == SANDBOX_THREADS_TOKEN || lock(&shared.threads).tokens.contains(token);
    known && !shared.is_revoked(token)
}

fn authorise(shared: &Shared, params: &Params, headers: &HeaderMap) -> Result<(), GraphFail> {
    match params.token(headers) {
        Some(token) if token_is_valid(shared, &token) => Ok(()),
        Some(token) if shared.is_revoked(&token) => Err(graph_error(
            StatusCode::UNAUTHORIZED,
            190,
            Some(460),
            "OAuthException",
            "Error validating access token: The session has been invalidated.",
        )),
        _ => Err(graph_error(
            StatusCode::UNAUTHORIZED,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        )),
    }
}

fn user_only(user: &str) -> Result<(), GraphFail> {
    if user == SANDBOX_THREADS_USER.0 || user == "me" {
        Ok(())
    } else {
        Err(graph_error(
            StatusCode::BAD_REQUEST,
            100,
            Some(33),
            "THApiException",
            &format!("Object with ID '{user}' does not exist"),
        ))
    }
}

async fn answer<F>(shared: &Arc<Shared>, query: Option<String>, headers: &HeaderMap, body: &Bytes, run: F) -> Response
where
    F: AsyncFnOnce(Params) -> Result<Value, GraphFail>,
{
    let result = async {
        let params = Params::read(query.as_deref(), headers, body)?;
        authorise(shared, &params, headers)?;
        run(params).await
    }
    .await;
    let response = match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(fail) => fail.into_response(),
    };
    with_usage(response, None, (3, 0))
}

async fn read_node(Edge { shared, id, query, headers }: Edge) -> Response {
    let inner = shared.clone();
    answer(&shared, query, &headers, &Bytes::new(), async move |_| {
        if id == "me" || id == SANDBOX_THREADS_USER.0 {
            return Ok(json!({ "id": SANDBOX_THREADS_USER.0, "username": SANDBOX_THREADS_USER.1, "name": "Fanout Bakery",
                              "threads_profile_picture_url": format!("{}/avatars/threads/{}.png", inner.base_url, SANDBOX_THREADS_USER.1) }));
        }
        let mut state = lock(&inner.threads);
        if let Some(c) = state.containers.iter_mut().find(|c| c.id == id) {
            return Ok(json!({ "id": c.id, "status": poll(&mut c.polls_left, &c.status) }));
        }
        match state.posts.iter().find(|p| p.id == id) {
            Some(p) => Ok(json!({ "id": p.id, "text": p.text, "media_type": p.media_type, "permalink": permalink(&inner, &p.id) })),
            None => Err(graph_error(StatusCode::BAD_REQUEST, 100, Some(33), "THApiException", &format!("Object with ID '{id}' does not exist"))),
        }
    })
    .await
}

/// Fetches a media URL as Threads does, and checks what came back.
async fn fetch_checked(url: &str, video: bool) -> Result<(), GraphFail> {
    let data = THREADS.fetch(url).await?;
    let ok = if video { is_video(&data) } else { matches!(sniff_image(&data), Some("image/jpeg" | "image/png")) };
    if !ok {
        return Err(THREADS.refuse_media(2_207_005, "The media format is not supported."));
    }
    Ok(())
}

async fn create_container(Edge { shared, id: user, query, headers }: Edge, body: Bytes) -> Response {
    let inner = shared.clone();
    answer(&shared, query, &headers, &body, async move |params| {
        user_only(&user)?;
        let text = params.get("text").unwrap_or("").to_owned();
        if text.len() > TEXT_LIMIT_BYTES {
            return Err(invalid("(#100) The text is longer than 500 characters (emoji count as their UTF-8 bytes)"));
        }
        let item = params.flag("is_carousel_item", false);
        let kind = params.get("media_type").unwrap_or("").to_ascii_uppercase();
        let (children, slow) = match kind.as_str() {
            "TEXT" if !text.trim().is_empty() => (Vec::new(), false),
            "TEXT" => return Err(invalid("(#100) A text post needs text")),
            "IMAGE" => {
                let url = params.get("image_url").ok_or_else(|| invalid("(#100) image_url is required"))?;
                fetch_checked(url, false).await?;
                (Vec::new(), false)
            }
            "VIDEO" => {
                let url = params.get("video_url").ok_or_else(|| invalid("(#100) video_url is required"))?;
                fetch_checked(url, true).await?;
                (Vec::new(), true)
            }
            "CAROUSEL" => {
                let state = lock(&inner.threads);
                let children = THREADS.children(&params, |child| {
                    state
                        .containers
                        .iter()
                        .any(|c| c.id == child && c.item && c.status == FINISHED && c.polls_left == 0)
                })?;
                (children, true)
            }
            _ => return Err(invalid("(#100) media_type must be TEXT, IMAGE, VIDEO or CAROUSEL")),
        };
        let mut state = lock(&inner.threads);
        let id = state.next_id(inner.now_ms());
        let polls_left = if slow { inner.instagram_processing_polls } else { 0 };
        state.containers.push(Container {
            id: id.clone(),
            media_type: kind,
            text,
            item,
            children,
            status: FINISHED.into(),
            polls_left,
        });
        Ok(json!({ "id": id }))
    })
    .await
}

async fn publish(Edge { shared, id: user, query, headers }: Edge, body: Bytes) -> Response {
    let inner = shared.clone();
    answer(&shared, query, &headers, &body, async move |params| {
        user_only(&user)?;
        let creation = params.get("creation_id").ok_or_else(|| invalid("(#100) creation_id is required"))?.to_owned();
        let mut state = lock(&inner.threads);
        THREADS.check_quota(state.published_today(inner.now_ms()), state.quota.unwrap_or(QUOTA))?;
        let Some(c) = state.containers.iter_mut().find(|c| c.id == creation && !c.item) else {
            return Err(invalid(&format!("(#100) No container {creation} to publish")));
        };
        THREADS.check_ready(c.polls_left > 0, &c.status)?;
        c.status = PUBLISHED.into();
        let record = ThreadsPostRecord {
            id: String::new(),
            media_type: c.media_type.clone(),
            text: c.text.clone(),
            children: c.children.len(),
            container_id: c.id.clone(),
            created_at_ms: inner.now_ms(),
        };
        let id = state.next_id(inner.now_ms());
        state.posts.push(ThreadsPostRecord { id: id.clone(), ..record });
        Ok(json!({ "id": id }))
    })
    .await
}

async fn publishing_limit(Edge { shared, id: user, query, headers }: Edge) -> Response {
    let inner = shared.clone();
    answer(&shared, query, &headers, &Bytes::new(), async move |_| {
        user_only(&user)?;
        let state = lock(&inner.threads);
        Ok(quota_answer(state.published_today(inner.now_ms()), state.quota.unwrap_or(QUOTA)))
    })
    .await
}

async fn list_threads(Edge { shared, id: user, query, headers }: Edge) -> Response {
    let inner = shared.clone();
    answer(&shared, query, &headers, &Bytes::new(), async move |params| {
        user_only(&user)?;
        let count = limit(&params);
        let state = lock(&inner.threads);
        let data: Vec<Value> = state
            .posts
            .iter()
            .rev()
            .take(count)
            .map(|p| json!({ "id": p.id, "text": p.text, "timestamp": graph_time(p.created_at_ms), "permalink": permalink(&inner, &p.id) }))
            .collect();
        Ok(json!({ "data": data }))
    })
    .await
}
