//! Instagram's content publishing API under `/graph/{version}/…`, the container flow: `POST
//! /{ig-user}/media` makes a container from an `image_url` or `video_url` that the sandbox really
//! fetches and checks the way Instagram does (JPEG only, at most 8 MB, 320–1440 px wide, aspect
//! between 4:5 and 1.91:1 for the feed); video and carousel containers answer `IN_PROGRESS` for a
//! few polls of `GET /{container}?fields=status_code`; `POST /{ig-user}/media_publish` publishes
//! a FINISHED container once; `GET /{ig-user}/content_publishing_limit` tells the day's quota.
//!
//! Each sandbox Page has an Instagram professional account ([`SANDBOX_INSTAGRAM`], in `meta`); the
//! Page's token and the user's token both work for it. `POST /{id}/media` and the node read
//! `GET /{id}` are shared with other products and dispatched in `meta_routes`, which calls
//! [`create_container`] and [`read_node`]; this module must never import another product's
//! module but graph (for who a token stands for).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::body::{is_video, sniff_image};
use crate::containers::{Edge, FINISHED, PUBLISHED, Platform, poll, published_today, quota_answer};
use crate::graph::{Principal, principal};
use crate::meta::{GraphFail, Params, SANDBOX_INSTAGRAM, graph_error, graph_time, invalid, limit, with_usage};
use crate::service::Service;
use crate::{Shared, lock, stable_hash};

pub(crate) const ROUTES: &[&str] = &[
    "GET /graph/{version}/{id}/media",
    "POST /graph/{version}/{id}/media_publish",
    "GET /graph/{version}/{id}/content_publishing_limit",
    "POST /graph/{version}/{id}/comments",
    "GET /graph/{version}/{id}/comments",
];

pub(crate) const SERVICE: Service =
    Service::part(routes, ROUTES, &[], |status, shape, _| crate::meta::error_for_status(status, shape));

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/graph/{version}/{id}/media", get(list_media))
        .route("/graph/{version}/{id}/media_publish", post(publish))
        .route("/graph/{version}/{id}/content_publishing_limit", get(publishing_limit))
        .route("/graph/{version}/{id}/comments", post(comment).get(list_comments))
}

const CAPTION_LIMIT: usize = 2_200;
const IMAGE_BYTES: usize = 8 * 1024 * 1024;
const DEFAULT_QUOTA: u32 = 100;

/// What Instagram says and allows in the container flow.
const INSTAGRAM: Platform = Platform {
    exception: "OAuthException",
    id_digit: 1,
    max_children: 10,
    child_refusal: "is not a finished carousel item of this account",
    quota_message: "You reached maximum number of posts that is allowed to be published by Content Publishing API.",
    not_ready_message: "Media ID is not available: the media is not ready for publishing, please wait for a moment",
};

/// A media container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct InstagramContainerRecord {
    pub id: String,
    pub user_id: String,
    /// IMAGE, VIDEO, REELS, STORIES or CAROUSEL.
    pub media_type: String,
    pub is_carousel_item: bool,
    pub caption: String,
    pub children: Vec<String>,
    pub media_url: Option<String>,
    /// IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED.
    pub status_code: String,
    pub created_at_ms: u64,
}

/// A published post (feed image, reel, carousel or story).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct InstagramMediaRecord {
    pub id: String,
    pub user_id: String,
    pub media_type: String,
    pub caption: String,
    pub container_id: String,
    pub children: usize,
    pub comments: Vec<String>,
    pub created_at_ms: u64,
}

#[derive(Default)]
pub(crate) struct InstagramState {
    pub(crate) containers: Vec<InstagramContainerRecord>,
    pub(crate) media: Vec<InstagramMediaRecord>,
    /// container → polls left answering IN_PROGRESS.
    polls_left: std::collections::HashMap<String, u32>,
    pub(crate) quota: std::collections::HashMap<String, u32>,
    last_id: u64,
}

impl InstagramState {
    /// A new id, made of the time (`now`, ms) as Graph's are, and strictly increasing.
    fn next_id(&mut self, now: u64) -> String {
        INSTAGRAM.next_id(&mut self.last_id, now)
    }

    /// What `user` published in the 24 hours before `now` (ms).
    fn published_today(&self, user: &str, now: u64) -> u32 {
        published_today(self.media.iter().filter(|m| m.user_id == user).map(|m| m.created_at_ms), now)
    }

    /// `user`'s quota of posts in 24 hours.
    fn quota_of(&self, user: &str) -> u32 {
        self.quota.get(user).copied().unwrap_or(DEFAULT_QUOTA)
    }
}

fn user_of(id: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    SANDBOX_INSTAGRAM.iter().find(|ig| ig.0 == id)
}

fn shortcode(id: &str) -> String {
    format!("C{:010x}", stable_hash(id) & 0xff_ffff_ffff)
}

pub(crate) fn permalink(shared: &Shared, media_id: &str) -> String {
    format!("{}/instagram/p/{}", shared.base_url, shortcode(media_id))
}

/// The Page's token or the user's token may act for the Page's Instagram account.
fn authorise(shared: &Shared, user: &str, token: Option<String>) -> Result<(), GraphFail> {
    let Some(ig) = user_of(user) else {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            100,
            Some(33),
            "GraphMethodException",
            &format!(
                "Unsupported request. Object with ID '{user}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        ));
    };
    match principal(shared, token)? {
        Principal::User => Ok(()),
        Principal::Page(page) if page == ig.2 => Ok(()),
        Principal::Page(_) | Principal::SystemUser => Err(graph_error(
            StatusCode::FORBIDDEN,
            10,
            None,
            "OAuthException",
            "(#10) The user must be an administrator, editor, or moderator of the page in order to impersonate it.",
        )),
    }
}

/// Answers for an Instagram user's edge, with the usage headers of its Page.
async fn on_user<F, Fut>(
    shared: &Arc<Shared>,
    user: &str,
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
    run: F,
) -> Response
where
    F: FnOnce(Params) -> Fut,
    Fut: std::future::Future<Output = Result<Value, GraphFail>>,
{
    let result = async {
        let params = Params::read(query.as_deref(), headers, body)?;
        authorise(shared, user, params.token(headers))?;
        run(params).await
    }
    .await;
    let response = match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(fail) => fail.into_response(),
    };
    with_usage(response, user_of(user).map(|ig| ig.2), (3, 0))
}

/// A node of Instagram's own: a user, a container or a published media; `None` for the rest
/// (`meta_routes` then asks WhatsApp and Facebook).
pub(crate) fn read_node(shared: &Shared, id: &str, _who: &Principal) -> Option<Response> {
    let value = if let Some(ig) = user_of(id) {
        json!({ "id": ig.0, "username": ig.1, "name": ig.1,
                "media_count": lock(&shared.instagram).media.iter().filter(|m| m.user_id == ig.0).count(),
                "profile_picture_url": format!("{}/avatars/instagram/{}.png", shared.base_url, ig.1) })
    } else {
        let mut guard = lock(&shared.instagram);
        let state = &mut *guard;
        if let Some(container) = state.containers.iter().find(|c| c.id == id) {
            let status = poll(state.polls_left.get_mut(id).unwrap_or(&mut 0), &container.status_code);
            json!({ "id": container.id, "status_code": status, "status": format!("{status}: {}", container.media_type) })
        } else if let Some(media) = state.media.iter().find(|m| m.id == id) {
            json!({ "id": media.id, "caption": media.caption, "media_type": media.media_type,
                    "permalink": permalink(shared, &media.id), "timestamp": graph_time(media.created_at_ms) })
        } else {
            return None;
        }
    };
    Some(with_usage(axum::Json(value).into_response(), None, (3, 0)))
}

/// Width and height from a JPEG's start-of-frame segment.
pub(crate) fn jpeg_size(data: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        let length = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = u32::from(u16::from_be_bytes([data[i + 5], data[i + 6]]));
            let width = u32::from(u16::from_be_bytes([data[i + 7], data[i + 8]]));
            return Some((width, height));
        }
        i += 2 + length;
    }
    None
}

/// Instagram's checks of an image it fetched for a feed post or a carousel item.
fn check_image(data: &[u8], story: bool) -> Result<(), GraphFail> {
    let refuse = |subcode: i64, message: &str| INSTAGRAM.refuse_media(subcode, message);
    if sniff_image(data) != Some("image/jpeg") {
        return Err(refuse(2_207_005, "The image format is not supported. Only JPEG images can be published."));
    }
    if data.len() > IMAGE_BYTES {
        return Err(refuse(2_207_004, "The image is too large to download. It should be less than 8 MiB."));
    }
    let Some((width, height)) = jpeg_size(data) else {
        return Err(refuse(2_207_005, "The image could not be read."));
    };
    if story {
        return Ok(());
    }
    let ratio = f64::from(width) / f64::from(height.max(1));
    if !(0.8 - 1e-3..=1.91 + 1e-3).contains(&ratio) {
        return Err(refuse(
            2_207_009,
            &format!(
                "The submitted image with aspect ratio ('{width}/{height}',) cannot be published. Please submit an image with a valid aspect ratio."
            ),
        ));
    }
    if !(320..=1440).contains(&width) {
        return Err(refuse(2_207_009, &format!("The image is {width} px wide; it must be 320 to 1440 px wide.")));
    }
    Ok(())
}

/// `POST /{ig-user}/media`: a container. `meta_routes` sends here every `/{id}/media` upload that
/// is not a WhatsApp number's.
pub(crate) async fn create_container(
    State(shared): State<Arc<Shared>>,
    Path((_version, user)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user_id = user.clone();
    let inner = shared.clone();
    on_user(&shared, &user, query, &headers, &body, |params| async move {
        let shared = inner;
        let caption = params.get("caption").unwrap_or("").to_owned();
        if caption.chars().count() > CAPTION_LIMIT {
            return Err(invalid("(#100) The caption is longer than 2200 characters"));
        }
        let item = params.flag("is_carousel_item", false);
        let media_type = params.get("media_type").map(str::to_ascii_uppercase);
        let (media_type, url, children) =
            match (media_type.as_deref(), params.get("image_url"), params.get("video_url")) {
                (Some("CAROUSEL"), _, _) => {
                    let state = lock(&shared.instagram);
                    let children = INSTAGRAM.children(&params, |child| {
                        state.containers.iter().any(|c| {
                            c.id == child && c.user_id == user_id && c.is_carousel_item && c.status_code == FINISHED
                        })
                    })?;
                    ("CAROUSEL".to_owned(), None, children)
                }
                (kind, Some(image), None) if matches!(kind, None | Some("IMAGE") | Some("STORIES")) => {
                    let story = kind == Some("STORIES");
                    let data = INSTAGRAM.fetch(image).await?;
                    check_image(&data, story)?;
                    (kind.unwrap_or("IMAGE").to_owned(), Some(image.to_owned()), Vec::new())
                }
                (Some(kind @ ("REELS" | "STORIES" | "VIDEO")), None, Some(video)) => {
                    if kind == "VIDEO" && !item {
                        return Err(invalid(
                            "(#100) The VIDEO media type is no longer supported for feed posts; use REELS",
                        ));
                    }
                    let data = INSTAGRAM.fetch(video).await?;
                    if !is_video(&data) {
                        return Err(INSTAGRAM.refuse_media(
                            2_207_026,
                            "The video format is not supported. Please check spec for supported format.",
                        ));
                    }
                    (kind.to_owned(), Some(video.to_owned()), Vec::new())
                }
                _ => {
                    return Err(invalid(
                        "(#100) Give image_url or video_url with a matching media_type, or CAROUSEL with children",
                    ));
                }
            };
        let mut state = lock(&shared.instagram);
        let id = state.next_id(shared.now_ms());
        // Videos and carousels take Instagram a while; images are ready at once.
        let slow = matches!(media_type.as_str(), "REELS" | "VIDEO" | "CAROUSEL")
            || (media_type == "STORIES" && params.get("video_url").is_some());
        if slow {
            state.polls_left.insert(id.clone(), shared.instagram_processing_polls);
        }
        state.containers.push(InstagramContainerRecord {
            id: id.clone(),
            user_id: user_id.clone(),
            media_type,
            is_carousel_item: item,
            caption,
            children,
            media_url: url,
            status_code: FINISHED.to_owned(),
            created_at_ms: shared.now_ms(),
        });
        Ok(json!({ "id": id }))
    })
    .await
}

async fn publish(Edge { shared, id: user, query, headers }: Edge, body: Bytes) -> Response {
    let user_id = user.clone();
    let inner = shared.clone();
    on_user(&shared, &user, query, &headers, &body, |params| async move {
        let shared = inner;
        let creation =
            params.get("creation_id").ok_or_else(|| invalid("(#100) The parameter creation_id is required"))?;
        let mut state = lock(&shared.instagram);
        INSTAGRAM.check_quota(state.published_today(&user_id, shared.now_ms()), state.quota_of(&user_id))?;
        let in_progress = state.polls_left.get(creation).copied().unwrap_or(0) > 0;
        let Some(container) = state.containers.iter_mut().find(|c| c.id == creation && c.user_id == user_id) else {
            return Err(invalid(&format!("(#100) No container {creation} for this account")));
        };
        if container.is_carousel_item {
            return Err(invalid("(#100) A carousel item is published through its carousel"));
        }
        if container.status_code == PUBLISHED {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                9007,
                Some(2_207_008),
                "OAuthException",
                "The media has already been published.",
            ));
        }
        INSTAGRAM.check_ready(in_progress, &container.status_code)?;
        container.status_code = PUBLISHED.to_owned();
        let record = container.clone();
        let id = state.next_id(shared.now_ms());
        state.media.push(InstagramMediaRecord {
            id: id.clone(),
            user_id: user_id.clone(),
            media_type: record.media_type.clone(),
            caption: record.caption.clone(),
            container_id: record.id.clone(),
            children: record.children.len(),
            comments: Vec::new(),
            created_at_ms: shared.now_ms(),
        });
        Ok(json!({ "id": id }))
    })
    .await
}

async fn publishing_limit(Edge { shared, id: user, query, headers }: Edge) -> Response {
    let user_id = user.clone();
    let inner = shared.clone();
    on_user(&shared, &user, query, &headers, &Bytes::new(), |_| async move {
        let state = lock(&inner.instagram);
        Ok(quota_answer(state.published_today(&user_id, inner.now_ms()), state.quota_of(&user_id)))
    })
    .await
}

async fn list_media(Edge { shared, id: user, query, headers }: Edge) -> Response {
    let user_id = user.clone();
    let inner = shared.clone();
    on_user(&shared, &user, query, &headers, &Bytes::new(), |params| async move {
        let count = limit(&params);
        let state = lock(&inner.instagram);
        let data: Vec<Value> = state
            .media
            .iter()
            .rev()
            .filter(|m| m.user_id == user_id && m.media_type != "STORIES")
            .take(count)
            .map(|m| {
                json!({ "id": m.id, "caption": m.caption, "media_type": m.media_type,
                        "permalink": permalink(&inner, &m.id), "timestamp": graph_time(m.created_at_ms) })
            })
            .collect();
        Ok(json!({ "data": data, "paging": {} }))
    })
    .await
}

/// A post's comments, newest first (the sandbox's own account wrote every one of them).
async fn list_comments(Edge { shared, id: media, query, headers }: Edge) -> Response {
    let Some((user, comments)) =
        lock(&shared.instagram).media.iter().find(|m| m.id == media).map(|m| (m.user_id.clone(), m.comments.clone()))
    else {
        return invalid(&format!("(#100) No media {media}")).into_response();
    };
    on_user(&shared, &user, query, &headers, &Bytes::new(), |_| async move {
        let data: Vec<Value> = comments
            .iter()
            .enumerate()
            .rev()
            .map(|(i, text)| json!({ "id": format!("{media}{i:03}"), "text": text }))
            .collect();
        Ok(json!({ "data": data }))
    })
    .await
}

async fn comment(Edge { shared, id: media, query, headers }: Edge, body: Bytes) -> Response {
    let Some(user) = lock(&shared.instagram).media.iter().find(|m| m.id == media).map(|m| m.user_id.clone()) else {
        return invalid(&format!("(#100) No media {media}")).into_response();
    };
    let inner = shared.clone();
    on_user(&shared, &user, query, &headers, &body, |params| async move {
        let message = params
            .get("message")
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| invalid("(#100) message is required"))?;
        let mut state = lock(&inner.instagram);
        let id = state.next_id(inner.now_ms());
        if let Some(m) = state.media.iter_mut().find(|m| m.id == media) {
            m.comments.push(message.to_owned());
        }
        Ok(json!({ "id": id }))
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn jpeg_sizes_are_read_from_the_frame_header() {
        // SOI, an APP0 of 16 bytes, then SOF0 with height 300 and width 400.
        let mut data = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        data.extend([0u8; 14]);
        data.extend([0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0x90, 0x03]);
        data.extend([0u8; 12]);
        assert_eq!(super::jpeg_size(&data), Some((400, 300)));
        assert_eq!(super::jpeg_size(&[0xFF, 0xD8, 0x00]), None);
    }
}
