//! Bluesky (AT Protocol): a handle and an app password, a session made for each delivery
//! (`com.atproto.server.createSession`), images uploaded as blobs (`uploadBlob`, alt text and
//! aspect ratio kept), and the post written as an `app.bsky.feed.post` record with **facets** for
//! links, mentions and hashtags at their UTF-8 byte offsets.
//!
//! The record key is chosen by Fanout (a TID from the delivery's first attempt, checkpointed) and
//! the record written with `putRecord` and `swapRecord: null` — "create only if absent". A resend
//! after a lost answer is therefore refused as `InvalidSwap` instead of posting twice, and the
//! existing record is read back to confirm it.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Job, Network, Profile, StepError, Verified, publish_transport_failure};
use crate::clock::Timestamp;
use crate::http;
use crate::model::{Account, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;
use crate::text::TextCounting;

/// Bluesky's own PDS entryway.
pub const ROOT: &str = "https://bsky.social";
const POST: &str = "app.bsky.feed.post";

#[derive(Debug, Clone, Copy)]
pub struct Bluesky;

fn xrpc(account: &Account, method: &str) -> String {
    format!("{}/xrpc/{method}", account.endpoint.trim_end_matches('/'))
}

fn classify(
    step: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Failure {
    let (error, what) = super::json_error(body, "error", "message");
    let error = error.as_str();
    match (status.as_u16(), error) {
        (_, "AuthenticationRequired" | "ExpiredToken" | "InvalidToken" | "AccountTakedown") | (401, _) => Failure::new(
            FailureKind::Unauthorized,
            format!("Bluesky refused the sign-in ({what}); make a new app password and link the account again"),
        ),
        (429, _) => Failure::new(FailureKind::RateLimited, format!("{step}: Bluesky asks to slow down ({what})"))
            .with_retry_after(rate_reset(headers, now).or_else(|| http::retry_after(headers, now))),
        (413, _) | (_, "BlobTooLarge") => {
            Failure::rejected(format!("{step}: a file is larger than Bluesky takes ({what})"))
        }
        (500..=599, _) => Failure::transient(format!("{step}: Bluesky answered HTTP {}: {what}", status.as_u16())),
        _ => Failure::rejected(format!("{step}: Bluesky refused it: {what}")),
    }
}

/// `RateLimit-Reset` (seconds since 1970) as a wait.
fn rate_reset(headers: &reqwest::header::HeaderMap, now: Timestamp) -> Option<Duration> {
    let reset: i64 = headers.get("ratelimit-reset")?.to_str().ok()?.trim().parse().ok()?;
    let wait = reset * 1000 - now.0;
    (wait > 0).then(|| Duration::from_millis(wait as u64))
}

async fn call(request: reqwest::RequestBuilder, step: &str, now: Timestamp) -> Result<Value, Failure> {
    super::call_json(request, step, "Bluesky", |status, headers, body| classify(step, status, headers, body, now)).await
}

/// A session: the access token and the account's DID and handle.
struct Session {
    access: String,
    did: String,
    handle: String,
}

async fn session(
    http: &reqwest::Client,
    account: &Account,
    identifier: &str,
    password: &Secret,
    now: Timestamp,
) -> Result<Session, Failure> {
    let body = json!({ "identifier": identifier, "password": password.expose() });
    let answer =
        call(http.post(xrpc(account, "com.atproto.server.createSession")).json(&body), "signing in", now).await?;
    let field = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_owned);
    match (field("accessJwt"), field("did"), field("handle")) {
        (Some(access), Some(did), Some(handle)) => Ok(Session { access, did, handle }),
        _ => Err(Failure::transient("signing in: Bluesky's answer had no session")),
    }
}

/// The `content` of `<meta property="NAME" content="…">`, unescaped.
fn meta(html: &str, name: &str) -> Option<String> {
    let marker = format!("property=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let content = tag.split("content=\"").nth(1)?.split('"').next()?;
    Some(unescape(content)).filter(|c| !c.trim().is_empty())
}

fn between(html: &str, open: &str, close: &str) -> Option<String> {
    let start = html.find(open)? + open.len();
    let end = start + html[start..].find(close)?;
    Some(unescape(html[start..end].trim())).filter(|t| !t.is_empty())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// A TID record key: 53 bits of microseconds and 10 bits of clock id, base32-sortable.
pub fn tid(micros: u64, clock_id: u16) -> String {
    const ALPHABET: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let value = ((micros & ((1 << 53) - 1)) << 10) | u64::from(clock_id & 0x3ff);
    (0..13).rev().map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char).collect()
}

/// Links, `@mentions` and `#hashtags` with their UTF-8 byte ranges; mentions are resolved to DIDs
/// by `resolve` (unresolvable ones are left as plain text).
pub fn facets(text: &str, resolve: &dyn Fn(&str) -> Option<String>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let start = at;
        at += word.len();
        let token = word.trim_end();
        let token = token.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        let end = start + token.len();
        let feature = if token.starts_with("https://") || token.starts_with("http://") {
            Some(json!({ "$type": "app.bsky.richtext.facet#link", "uri": token }))
        } else if let Some(handle) = token.strip_prefix('@').filter(|h| h.contains('.')) {
            resolve(handle).map(|did| json!({ "$type": "app.bsky.richtext.facet#mention", "did": did }))
        } else {
            token
                .strip_prefix('#')
                .filter(|t| !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit()))
                .map(|tag| json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag }))
        };
        if let Some(feature) = feature {
            out.push(json!({ "index": { "byteStart": start, "byteEnd": end }, "features": [feature] }));
        }
    }
    out
}

impl Bluesky {
    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let now = job.now();
        let did = job.account.remote_id.clone().unwrap_or_default();
        let s = session(job.http, job.account, &did, job.secret, now).await?;
        let rkey = match job.checkpoint().get("rkey").and_then(Value::as_str) {
            Some(rkey) => rkey.to_owned(),
            None => {
                let micros = u64::try_from(now.0).unwrap_or(0) * 1000 + u64::from(rand::random::<u16>() % 1000);
                let rkey = tid(micros, rand::random::<u16>());
                let next = super::graph::with(job.checkpoint(), "rkey", json!(rkey));
                job.save_checkpoint(next)?;
                rkey
            }
        };
        let mut images = Vec::new();
        for index in 0..job.media.len() {
            let blob = match super::containers::entry(job.checkpoint(), "blobs", index) {
                Some(blob) => blob.clone(),
                None => {
                    super::containers::stopping(job)?;
                    let media = job.media[index].clone();
                    job.progress(crate::outbox::Step::Upload { n: index + 1, total: job.media.len() });
                    let bytes = tokio::fs::read(&media.path).await.map_err(|e| {
                        Failure::rejected(format!(
                            "media file {} cannot be read from the data folder: {e}",
                            media.file_name
                        ))
                    })?;
                    let step = format!("uploading {}", media.file_name);
                    let request = job
                        .http
                        .post(xrpc(job.account, "com.atproto.repo.uploadBlob"))
                        .bearer_auth(&s.access)
                        .header(reqwest::header::CONTENT_TYPE, media.mime.clone())
                        .body(bytes);
                    let answer = call(request, &step, now).await?;
                    let blob = answer
                        .get("blob")
                        .cloned()
                        .ok_or_else(|| Failure::transient(format!("{step}: no blob came back")))?;
                    let next = super::containers::with_entry(job.checkpoint(), "blobs", index, blob.clone());
                    job.save_checkpoint(next)?;
                    blob
                }
            };
            let media = &job.media[index];
            let mut image = json!({ "image": blob, "alt": media.description.clone().unwrap_or_default() });
            if let Ok((width, height)) = image::image_dimensions(&media.path) {
                image["aspectRatio"] = json!({ "width": width, "height": height });
            }
            images.push(image);
        }
        let text = job.post.text_for(job.account.id).trim().to_owned();
        let mut mentions = std::collections::HashMap::new();
        for handle in text.split_whitespace().filter_map(|w| w.strip_prefix('@')) {
            let handle = handle.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
            let url = format!("{}?handle={handle}", xrpc(job.account, "com.atproto.identity.resolveHandle"));
            if let Ok(answer) = call(job.http.get(url), "resolving a mention", now).await
                && let Some(did) = answer.get("did").and_then(Value::as_str)
            {
                mentions.insert(handle.to_owned(), did.to_owned());
            }
        }
        let card = if images.is_empty() { self.card(job, &text).await? } else { None };
        let mut record = json!({
            "$type": POST,
            "text": text,
            "createdAt": job.post.created_at.to_rfc3339(),
        });
        let found = facets(&text, &|h| mentions.get(h).cloned());
        if !found.is_empty() {
            record["facets"] = Value::Array(found);
        }
        if !images.is_empty() {
            record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": images });
        } else if let Some(card) = card {
            record["embed"] = json!({ "$type": "app.bsky.embed.external", "external": card });
        }
        let body = json!({ "repo": s.did, "collection": POST, "rkey": rkey, "record": record, "swapRecord": null });
        job.publish_starting().await?;
        let request = job.http.post(xrpc(job.account, "com.atproto.repo.putRecord")).bearer_auth(&s.access).json(&body);
        let response = job.send_publish(request).await.map_err(|e| publish_transport_failure("Bluesky", &e))?;
        let answer = job.read_publish(response).await;
        let bytes = answer.body.map_err(|e| publish_transport_failure("Bluesky", &e))?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let uri = if answer.status.is_success() {
            value.get("uri").and_then(Value::as_str).map(str::to_owned)
        } else if value.get("error").and_then(Value::as_str) == Some("InvalidSwap") {
            // Written by an earlier attempt whose answer was lost: it is there already.
            Some(format!("at://{}/{POST}/{rkey}", s.did))
        } else {
            return Err(classify("publishing", answer.status, &answer.headers, &bytes, now).into());
        };
        let uri = uri.ok_or_else(|| {
            Failure::new(FailureKind::OutcomeUnknown, "publishing: Bluesky answered without the post's address")
        })?;
        Ok(Published { remote_id: uri, url: self.post_url(job.account, &s.handle, &rkey) })
    }

    /// A link card for the text's first link: the page's title and description (Open Graph, or
    /// its `<title>`), read once and checkpointed so every attempt writes the same record. Best
    /// effort: a page that cannot be read within 5 seconds leaves the post without a card.
    async fn card(&self, job: &mut Job<'_>, text: &str) -> Result<Option<Value>, StepError> {
        if let Some(card) = job.checkpoint().get("card") {
            return Ok((!card.is_null()).then(|| card.clone()));
        }
        let Some(link) = text
            .split_whitespace()
            .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']))
            .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        else {
            return Ok(None);
        };
        let fetch = async {
            let response = job.http.get(link).header(reqwest::header::ACCEPT, "text/html").send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let bytes = response.bytes().await.ok()?;
            let html = String::from_utf8_lossy(&bytes[..bytes.len().min(512 * 1024)]).into_owned();
            let title = meta(&html, "og:title").or_else(|| between(&html, "<title>", "</title>"))?;
            let description = meta(&html, "og:description").unwrap_or_default();
            Some(json!({ "uri": link, "title": title, "description": description }))
        };
        let card = tokio::time::timeout(Duration::from_secs(5), fetch).await.ok().flatten();
        let next = super::graph::with(job.checkpoint(), "card", card.clone().unwrap_or(Value::Null));
        job.save_checkpoint(next)?;
        Ok(card)
    }

    fn post_url(&self, account: &Account, handle: &str, rkey: &str) -> Option<String> {
        account.endpoint.starts_with(ROOT).then(|| format!("https://bsky.app/profile/{handle}/post/{rkey}"))
    }
}

impl Network for Bluesky {
    fn kind(&self) -> NetworkKind {
        NetworkKind::Bluesky
    }

    fn profile(&self, _cached: Option<&Value>) -> Profile {
        Profile::from_table(NetworkKind::Bluesky, Target::Bluesky, TextCounting::Graphemes, "Bluesky's limit")
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("bluesky:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn target(&self) -> Target {
        Target::Bluesky
    }

    fn pacing(&self) -> Duration {
        Duration::from_secs(1)
    }

    /// Signs in with the handle (or DID) and app password; the account is its DID.
    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let identifier = account.remote_id.as_deref().unwrap_or_default();
            let s = session(http, account, identifier, secret, now).await?;
            Ok(Verified {
                remote_id: s.did,
                display_name: format!("@{}", s.handle),
                cache: Some(json!({ "handle": s.handle })),
                secret: None,
            })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.publish(job).boxed()
    }

    /// Writing again is safe: the same record key is refused as `InvalidSwap` if it is there.
    fn reconcile<'a, 'j: 'a>(&'a self, _job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        async move { Ok(Reconciled::NotPublished) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tids_sort_by_time_and_are_thirteen_characters() {
        let a = tid(1_700_000_000_000_000, 1);
        let b = tid(1_700_000_000_000_001, 0);
        assert_eq!(a.len(), 13);
        assert!(a < b, "{a} < {b}");
    }

    #[test]
    fn facets_carry_utf8_byte_offsets() {
        let text = "Brød 🍞 at https://example.org/menu, ask @alice.test #bakery!";
        let found = facets(text, &|h| (h == "alice.test").then(|| "did:plc:alice".to_owned()));
        let spans: Vec<(&str, &str)> = found
            .iter()
            .map(|f| {
                let start = f["index"]["byteStart"].as_u64().expect("start") as usize;
                let end = f["index"]["byteEnd"].as_u64().expect("end") as usize;
                (&text[start..end], f["features"][0]["$type"].as_str().expect("type"))
            })
            .collect();
        assert_eq!(
            spans,
            [
                ("https://example.org/menu", "app.bsky.richtext.facet#link"),
                ("@alice.test", "app.bsky.richtext.facet#mention"),
                ("#bakery", "app.bsky.richtext.facet#tag"),
            ]
        );
    }
}
