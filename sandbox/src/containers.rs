//! The media-container flow Instagram and Threads share: a post is first made as a container
//! (from a media URL the sandbox fetches and checks, or from carousel items), its status is polled
//! until FINISHED, and it is published once, within a quota of posts per 24 hours. Each platform
//! keeps its own state and its own routes; this module holds the steps that are the same, with
//! what a platform says differently (error type, messages, limits) in its [`Platform`], and the
//! [`Edge`] its handlers read a request as.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::meta::{GraphFail, Params, fetch_media, graph_error, invalid};

/// The window of the publishing quota: 24 hours, in ms.
const DAY_MS: u64 = 24 * 3600 * 1000;
/// A container's status once its media is processed.
pub(crate) const FINISHED: &str = "FINISHED";
/// A container's status once it is published.
pub(crate) const PUBLISHED: &str = "PUBLISHED";

/// What one platform says or allows differently in the shared steps.
pub(crate) struct Platform {
    /// The `type` of its errors (`OAuthException`, `THApiException`).
    pub(crate) exception: &'static str,
    /// The last digit of the time-made ids, so that two platforms never make the same id.
    pub(crate) id_digit: u64,
    /// The most children a carousel takes.
    pub(crate) max_children: usize,
    /// Why a child is refused, after `Child {id} `.
    pub(crate) child_refusal: &'static str,
    /// The message once the quota is used up.
    pub(crate) quota_message: &'static str,
    /// The message for a container that is not ready to publish.
    pub(crate) not_ready_message: &'static str,
}

impl Platform {
    /// A new id after `last` (which it updates), made of the time (`now`, ms) as Graph's are, and
    /// strictly increasing.
    pub(crate) fn next_id(&self, last: &mut u64, now: u64) -> String {
        *last = last.saturating_add(1).max(now * 10 + self.id_digit);
        last.to_string()
    }

    /// Fetches a media URL as Meta does, failing with the platform's error type.
    pub(crate) async fn fetch(&self, url: &str) -> Result<Bytes, GraphFail> {
        fetch_media(url, self.exception).await
    }

    /// The refusal of fetched media that fails a check (error 36003 with `subcode`).
    pub(crate) fn refuse_media(&self, subcode: i64, message: &str) -> GraphFail {
        graph_error(StatusCode::BAD_REQUEST, 36_003, Some(subcode), self.exception, message)
    }

    /// A carousel's `children`: 2 to `max_children` ids, each a finished item as `finished_item` says.
    pub(crate) fn children(
        &self,
        params: &Params,
        finished_item: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, GraphFail> {
        let children: Vec<String> = params
            .get("children")
            .unwrap_or("")
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        if !(2..=self.max_children).contains(&children.len()) {
            return Err(invalid(&format!("(#100) A carousel takes 2 to {} children", self.max_children)));
        }
        match children.iter().find(|child| !finished_item(child)) {
            Some(child) => Err(invalid(&format!("(#100) Child {child} {}", self.child_refusal))),
            None => Ok(children),
        }
    }

    /// Refuses to publish once `used` posts in 24 hours have reached `total`.
    pub(crate) fn check_quota(&self, used: u32, total: u32) -> Result<(), GraphFail> {
        if used >= total {
            return Err(graph_error(StatusCode::BAD_REQUEST, 9, Some(2_207_042), self.exception, self.quota_message));
        }
        Ok(())
    }

    /// Refuses to publish a container still processing or not FINISHED.
    pub(crate) fn check_ready(&self, in_progress: bool, status: &str) -> Result<(), GraphFail> {
        if in_progress || status != FINISHED {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                9007,
                Some(2_207_027),
                self.exception,
                self.not_ready_message,
            ));
        }
        Ok(())
    }
}

/// How many of the publishing times `times` (ms) fall in the 24 hours before `now`.
pub(crate) fn published_today(times: impl Iterator<Item = u64>, now: u64) -> u32 {
    let since = now.saturating_sub(DAY_MS);
    u32::try_from(times.filter(|&at| at >= since).count()).unwrap_or(u32::MAX)
}

/// The status a poll reads: IN_PROGRESS while a FINISHED container has polls left (this poll
/// uses one), otherwise the container's own.
pub(crate) fn poll(polls_left: &mut u32, status: &str) -> String {
    if *polls_left > 0 && status == FINISHED {
        *polls_left -= 1;
        "IN_PROGRESS".to_owned()
    } else {
        status.to_owned()
    }
}

/// The answer of a publishing-limit read: `used` of `total` posts in 24 hours.
pub(crate) fn quota_answer(used: u32, total: u32) -> Value {
    json!({ "data": [{ "quota_usage": used, "config": { "quota_total": total, "quota_duration": DAY_MS / 1000 } }] })
}

/// A request to `/{version}/{id}…` of either platform, read as its handlers need it: the state,
/// the path's id (a user, container or media), the raw query and the headers.
pub(crate) struct Edge {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
}

impl FromRequestParts<Arc<Shared>> for Edge {
    type Rejection = Response;

    /// Reads the parts as `State`, `Path`, `RawQuery` and `HeaderMap` would, in that order.
    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Edge, Response> {
        let Path((_version, id)) =
            Path::<(String, String)>::from_request_parts(parts, shared).await.map_err(IntoResponse::into_response)?;
        let query = parts.uri.query().map(str::to_owned);
        Ok(Edge { shared: shared.clone(), id, query, headers: parts.headers.clone() })
    }
}
