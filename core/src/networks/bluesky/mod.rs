//! Bluesky (AT Protocol): a handle and an app password, images uploaded as blobs (`uploadBlob`,
//! alt text and aspect ratio kept), and the post written as an `app.bsky.feed.post` record with
//! **facets** for links, mentions and hashtags at their UTF-8 byte offsets. A post without images
//! gets a link card for its first link: the page's title, description and `og:image`, the
//! picture fitted under Bluesky's 1,000,000 bytes and uploaded as the card's `thumb`.
//!
//! Signing in (`com.atproto.server.createSession`) is limited to 30 times in 5 minutes and 300 a
//! day per account, so the session is kept in memory, per account, for the life of the process
//! (never in the database or a log): used while its access token lasts, renewed with
//! `refreshSession` when it has expired (or the PDS says `ExpiredToken`, after which the request
//! is made once more), and made anew only when refreshing fails or the app password changed.
//!
//! The record key is chosen by Fanout (a TID made from the delivery's id, so it survives a lost
//! checkpoint) and
//! the record written with `putRecord` and `swapRecord: null` — "create only if absent". A resend
//! after a lost answer writes the same record (the link card, its picture included, is
//! checkpointed too), which the PDS takes as a no-op; a different one is refused as `InvalidSwap`
//! instead of posting twice.

mod limits;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Job, Look, Network, StepError, Verified, publish_transport_failure};
use crate::clock::Timestamp;
use crate::http;
use crate::link_card;
use crate::model::{Account, AccountId, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

/// Bluesky's own PDS entryway.
pub const ROOT: &str = "https://bsky.social";
const POST: &str = "app.bsky.feed.post";

/// The Bluesky network. Clones share its sessions, so the registry's one instance (see
/// `Registry`) keeps them for every delivery and check of the process.
#[derive(Debug, Clone, Default)]
pub struct Bluesky {
    sessions: Arc<Sessions>,
}

/// The sessions this process holds, by account. Memory only: the tokens never reach the
/// database, a log line or an error message.
#[derive(Default)]
struct Sessions(Mutex<HashMap<AccountId, Session>>);

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "Sessions({held} held)")
    }
}

impl Sessions {
    fn get(&self, account: AccountId) -> Option<Session> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&account).cloned()
    }

    fn put(&self, account: AccountId, session: Session) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(account, session);
    }
}

/// A session: its tokens and the account's DID and handle.
#[derive(Clone)]
struct Session {
    access: String,
    refresh: String,
    did: String,
    handle: String,
    /// When the access token stops working, with a margin, from its `exp` claim (if readable).
    renew_at: Option<Timestamp>,
    /// Which PDS and app password made it: a session of other credentials is never used.
    made_with: [u8; 32],
}

impl Session {
    fn from_answer(answer: &Value, made_with: [u8; 32], step: &str) -> Result<Session, Failure> {
        let field = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_owned);
        match (field("accessJwt"), field("refreshJwt"), field("did"), field("handle")) {
            (Some(access), Some(refresh), Some(did), Some(handle)) => {
                let renew_at = renew_at(&access);
                Ok(Session { access, refresh, did, handle, renew_at, made_with })
            }
            _ => Err(Failure::transient(format!("{step}: Bluesky's answer had no session"))),
        }
    }
}

/// When to stop using an access token: its `exp` less a tenth of its lifetime (at most a minute),
/// read from the JWT's claims (not verified: only the PDS can, and it still has the last word).
fn renew_at(jwt: &str) -> Option<Timestamp> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    let lifetime = claims.get("iat").and_then(Value::as_i64).map_or(3600, |iat| (exp - iat).max(0));
    let margin_ms = (lifetime * 100).min(60_000);
    Some(Timestamp(exp.saturating_mul(1000).saturating_sub(margin_ms)))
}

/// The credentials a session is made with, as a hash kept beside it.
fn fingerprint(account: &Account, password: &Secret) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(account.endpoint.trim_end_matches('/').as_bytes());
    hash.update([0]);
    hash.update(password.expose().as_bytes());
    hash.finalize().into()
}

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
    let wait = reset.saturating_mul(1000).saturating_sub(now.0);
    (wait > 0).then(|| Duration::from_millis(wait as u64))
}

async fn call(request: reqwest::RequestBuilder, step: &str, now: Timestamp) -> Result<Value, Failure> {
    super::call_json(request, step, "Bluesky", |status, headers, body| classify(step, status, headers, body, now)).await
}

/// Whether an error answer says the session is over (`ExpiredToken`, also sent for a revoked
/// one) or its token no longer verifies (`InvalidToken`): a renewed session may succeed.
fn session_over(body: &[u8]) -> bool {
    let error = super::json_error(body, "error", "message").0;
    matches!(error.as_str(), "ExpiredToken" | "InvalidToken")
}

/// Why an authenticated call failed.
enum Refused {
    /// The session is over; renew it and ask again.
    SessionOver,
    Failed(Failure),
}

impl From<Failure> for Refused {
    fn from(f: Failure) -> Self {
        Refused::Failed(f)
    }
}

/// Like `call`, telling an ended session apart from other refusals.
async fn call_as(request: reqwest::RequestBuilder, step: &str, now: Timestamp) -> Result<Value, Refused> {
    let response = request.send().await.map_err(|e| super::transport_failure(step, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
        .await
        .map_err(|e| super::transport_failure(step, &e))?;
    if !status.is_success() {
        if session_over(&body) {
            return Err(Refused::SessionOver);
        }
        return Err(classify(step, status, &headers, &body, now).into());
    }
    serde_json::from_slice(&body)
        .map_err(|_| Failure::transient(format!("{step}: Bluesky's answer was not JSON")).into())
}

/// A session in use by one delivery, and what it takes to renew it.
struct Signed<'a> {
    net: &'a Bluesky,
    http: &'a reqwest::Client,
    account: &'a Account,
    password: &'a Secret,
    session: Session,
}

impl Signed<'_> {
    /// An authenticated call: `build` makes the request with an access token. If the PDS says
    /// the session is over, it is renewed and the request made once more.
    async fn call(
        &mut self,
        step: &str,
        now: Timestamp,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<Value, Failure> {
        match call_as(build(&self.session.access), step, now).await {
            Ok(value) => Ok(value),
            Err(Refused::Failed(f)) => Err(f),
            Err(Refused::SessionOver) => {
                self.renew(now).await?;
                match call_as(build(&self.session.access), step, now).await {
                    Ok(value) => Ok(value),
                    Err(Refused::Failed(f)) => Err(f),
                    Err(Refused::SessionOver) => Err(Failure::new(
                        FailureKind::Unauthorized,
                        format!("{step}: Bluesky ended the new session at once; link the account again"),
                    )),
                }
            }
        }
    }

    /// Replaces the session: refreshed if its refresh token still works, else signed in anew.
    async fn renew(&mut self, now: Timestamp) -> Result<(), Failure> {
        self.session = self.net.renew(self.http, self.account, self.password, &self.session, now).await?;
        Ok(())
    }
}

impl Bluesky {
    /// The account's session: the one held if it is still good, else refreshed, else new.
    async fn signed_in<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        password: &'a Secret,
        now: Timestamp,
    ) -> Result<Signed<'a>, Failure> {
        let made_with = fingerprint(account, password);
        let held = self.sessions.get(account.id).filter(|s| s.made_with == made_with);
        let session = match held {
            Some(held) if held.renew_at.is_none_or(|at| now < at) => held,
            Some(held) => self.renew(http, account, password, &held, now).await?,
            None => self.create_session(http, account, password, now).await?,
        };
        Ok(Signed { net: self, http, account, password, session })
    }

    /// `refreshSession` with the held session's refresh token; `createSession` if that fails.
    async fn renew(
        &self,
        http: &reqwest::Client,
        account: &Account,
        password: &Secret,
        stale: &Session,
        now: Timestamp,
    ) -> Result<Session, Failure> {
        let step = "renewing the session";
        let request = http.post(xrpc(account, "com.atproto.server.refreshSession")).bearer_auth(&stale.refresh);
        match call(request, step, now).await.and_then(|answer| Session::from_answer(&answer, stale.made_with, step)) {
            Ok(session) => {
                self.sessions.put(account.id, session.clone());
                Ok(session)
            }
            Err(f) => {
                tracing::debug!(account = %account.id, reason = %f.message, "Bluesky session not refreshed; signing in");
                self.create_session(http, account, password, now).await
            }
        }
    }

    /// `createSession` with the account's handle (or DID) and app password; the session is kept.
    async fn create_session(
        &self,
        http: &reqwest::Client,
        account: &Account,
        password: &Secret,
        now: Timestamp,
    ) -> Result<Session, Failure> {
        let identifier = account.remote_id.as_deref().unwrap_or_default();
        let body = json!({ "identifier": identifier, "password": password.expose() });
        let request = http.post(xrpc(account, "com.atproto.server.createSession")).json(&body);
        let answer = call(request, "signing in", now).await?;
        let session = Session::from_answer(&answer, fingerprint(account, password), "signing in")?;
        self.sessions.put(account.id, session.clone());
        Ok(session)
    }
}

/// The record key of a delivery's post: a TID made from the delivery's id (a UUID v7: its
/// millisecond time, and its random bits for the microseconds and the clock id), so every
/// attempt — even one after the database lost its checkpoint (a restored backup, a lost WAL) —
/// writes the same record, which the PDS then refuses as `InvalidSwap` instead of posting twice.
pub fn tid_of_delivery(id: crate::model::DeliveryId) -> String {
    let bytes = id.0.as_bytes();
    let millis = bytes[..6].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let sub = u64::from(u16::from_be_bytes([bytes[8] & 0x3f, bytes[9]])) % 1000;
    let clock = bytes[10..].chunks(2).fold(0u16, |acc, pair| acc ^ u16::from_be_bytes([pair[0], pair[1]]));
    tid(millis * 1000 + sub, clock)
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

/// How far a delivery got (JSON as earlier versions kept it): the record key, each image's blob,
/// and the link card — `card` present and `null` means the page was read and gave none;
/// `card_image` is the card picture's address until it is uploaded or given up.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rkey: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    blobs: Vec<Option<Value>>,
    #[serde(default, deserialize_with = "super::present", skip_serializing_if = "Option::is_none")]
    card: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    card_image: Option<String>,
}

impl Bluesky {
    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let now = job.now();
        let (http, account) = (job.http, job.account);
        let mut signed = self.signed_in(http, account, job.secret, now).await?;
        let mut progress: Progress = job.steps_done();
        let rkey = match progress.rkey.clone() {
            Some(rkey) => rkey,
            None => {
                let rkey = tid_of_delivery(job.delivery.id);
                progress.rkey = Some(rkey.clone());
                job.save_steps(&progress)?;
                rkey
            }
        };
        if let Some(video) = job.media.iter().find(|m| m.mime.starts_with("video/")) {
            // The composer refuses it (`Profile::video_not_built`); a post queued before that
            // must not go out as an image embed, which the lexicon does not allow.
            return Err(Failure::rejected(format!(
                "{}: Fanout does not send videos to Bluesky yet; leave the video out for it",
                video.file_name
            ))
            .into());
        }
        let mut images = Vec::new();
        for index in 0..job.media.len() {
            let blob = match super::step_done(&progress.blobs, index).filter(|b| !b.is_null()) {
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
                    let answer = signed
                        .call(&step, now, |access| {
                            http.post(xrpc(account, "com.atproto.repo.uploadBlob"))
                                .bearer_auth(access)
                                .header(reqwest::header::CONTENT_TYPE, media.mime.clone())
                                .body(bytes.clone())
                        })
                        .await?;
                    let blob = answer
                        .get("blob")
                        .cloned()
                        .ok_or_else(|| Failure::transient(format!("{step}: no blob came back")))?;
                    super::set_step(&mut progress.blobs, index, blob.clone());
                    job.save_steps(&progress)?;
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
        let card = if images.is_empty() { self.card(job, &text, &mut signed).await? } else { None };
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
        let did = signed.session.did.clone();
        let body = json!({ "repo": did, "collection": POST, "rkey": rkey, "record": record, "swapRecord": null });
        job.publish_starting().await?;
        let mut renewed = false;
        let uri = loop {
            let request =
                http.post(xrpc(account, "com.atproto.repo.putRecord")).bearer_auth(&signed.session.access).json(&body);
            let response = job.send_publish(request).await.map_err(|e| publish_transport_failure("Bluesky", &e))?;
            let answer = job.read_publish(response).await;
            let bytes = answer.body.map_err(|e| publish_transport_failure("Bluesky", &e))?;
            let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if answer.status.is_success() {
                break value.get("uri").and_then(Value::as_str).map(str::to_owned);
            } else if value.get("error").and_then(Value::as_str) == Some("InvalidSwap") {
                // Written by an earlier attempt whose answer was lost: it is there already.
                break Some(format!("at://{did}/{POST}/{rkey}"));
            } else if !renewed && session_over(&bytes) {
                // Refused before anything was written: the same record goes again.
                signed.renew(now).await?;
                renewed = true;
            } else {
                return Err(classify("publishing", answer.status, &answer.headers, &bytes, now).into());
            }
        };
        let uri = uri.ok_or_else(|| {
            Failure::new(FailureKind::OutcomeUnknown, "publishing: Bluesky answered without the post's address")
        })?;
        Ok(Published { remote_id: uri, url: self.post_url(account, &signed.session.handle, &rkey) })
    }

    /// A link card for the text's first link: the page's title and description (Open Graph, or
    /// its `<title>`) and its `og:image` as the card's picture, each read once and checkpointed
    /// so every attempt writes the same record. The checkpoint keeps the card under `card` and,
    /// until the picture is uploaded or given up, the picture's address under `card_image`.
    /// Best effort: a page that cannot be read within 5 seconds leaves the post without a card,
    /// a picture that cannot be read, fitted or taken leaves the card without a picture.
    async fn card(&self, job: &mut Job<'_>, text: &str, signed: &mut Signed<'_>) -> Result<Option<Value>, StepError> {
        let mut progress: Progress = job.steps_done();
        let mut card = match progress.card.clone() {
            Some(card) => card,
            None => {
                let (card, image) = match link_card::first_link(text) {
                    Some(link) => link_card::read(job.http, link).await.map_or((None, None), |c| {
                        (Some(json!({ "uri": c.url, "title": c.title, "description": c.description })), c.image)
                    }),
                    None => (None, None),
                };
                progress.card = Some(card.clone().unwrap_or(Value::Null));
                progress.card_image = image;
                job.save_steps(&progress)?;
                card.unwrap_or(Value::Null)
            }
        };
        if card.is_null() {
            return Ok(None);
        }
        if let Some(image) = progress.card_image.clone() {
            super::containers::stopping(job)?;
            if let Some(thumb) = self.thumb(job.http, &image, signed, job.now()).await? {
                card["thumb"] = thumb;
            }
            progress.card = Some(card.clone());
            progress.card_image = None;
            job.save_steps(&progress)?;
        }
        Ok(Some(card))
    }

    /// The card's picture: read (within the time limit, up to 20 MB), fitted to Bluesky's image
    /// rules by the media pipeline (at most 1,000,000 bytes) and uploaded; its blob ref. `None`
    /// when the picture cannot be read or fitted, or Bluesky refuses it; an error only when
    /// Bluesky cannot take it now (down, slowing us down, the sign-in refused), to try again.
    async fn thumb(
        &self,
        http: &reqwest::Client,
        address: &str,
        signed: &mut Signed<'_>,
        now: Timestamp,
    ) -> Result<Option<Value>, Failure> {
        let Some(bytes) = link_card::read_picture(http, address).await else {
            return Ok(None);
        };
        let Some(spec) = self.image_spec(None) else {
            return Ok(None);
        };
        let fitted = tokio::task::spawn_blocking(move || {
            crate::media::prepare_image_owned(
                bytes,
                &spec,
                &crate::media::FitOptions::default(),
                &crate::media::Limits::default(),
            )
        })
        .await;
        let variant = match fitted {
            Ok(Ok(variant)) => variant,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "the link card's picture cannot be used; the card goes without");
                return Ok(None);
            }
            Err(_) => return Ok(None),
        };
        let mime = variant.format.mime();
        let account = signed.account;
        let uploaded = signed
            .call("uploading the link card's picture", now, |access| {
                http.post(xrpc(account, "com.atproto.repo.uploadBlob"))
                    .bearer_auth(access)
                    .header(reqwest::header::CONTENT_TYPE, mime)
                    .body(variant.bytes.clone())
            })
            .await;
        match uploaded {
            Ok(answer) => Ok(answer.get("blob").cloned()),
            Err(f) if f.kind == FailureKind::Rejected => Ok(None),
            Err(f) => Err(f),
        }
    }

    /// The post on bsky.app, or on the sandbox's stand-in for a demo account; another PDS's
    /// posts have no page of their own.
    fn post_url(&self, account: &Account, handle: &str, rkey: &str) -> Option<String> {
        if !(account.endpoint.starts_with(ROOT) || account.demo) {
            return None;
        }
        super::page_on(
            account,
            ROOT,
            format!("https://bsky.app/profile/{handle}/post/{rkey}"),
            &format!("/bluesky/profile/{handle}/post/{rkey}"),
        )
    }
}

impl Network for Bluesky {
    fn link_about(&self) -> &'static str {
        "A Bluesky account: its handle and an app password (Settings → App passwords), on bsky.social or its own PDS"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("pds", "the account's PDS, when not bsky.social")
                .optional()
                .example("https://bsky.social"),
            super::link::Field::text("handle", "the handle (or DID)").example("name.bsky.social"),
            super::link::Field::secret("app_password", "app password"),
        ];
        FIELDS
    }

    fn prepare_link<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        values: &'a super::link::LinkValues,
        _now: Timestamp,
    ) -> BoxFuture<'a, crate::error::Result<super::link::Linking>> {
        async move {
            let password = values.secret("app_password").ok_or_else(|| {
                crate::error::Error::invalid(
                    "the app password is empty; make one in Bluesky's Settings → App passwords",
                )
            })?;
            let handle = values.given("handle").trim_start_matches('@');
            if !(handle.contains('.') || handle.starts_with("did:")) {
                return Err(crate::error::Error::invalid(format!(
                    "'{handle}' is not a Bluesky handle: it looks like name.bsky.social (or your own domain)"
                )));
            }
            let base = super::link::base("the PDS address", values.text("pds").unwrap_or(ROOT))?;
            Ok(super::link::Linking::new(base, password).remote(handle))
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("Bluesky: {}", verified.display_name)
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Bluesky
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Bluesky]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M5.202 2.857C7.954 4.922 10.913 9.11 12 11.358c1.087-2.247 4.046-6.436 6.798-8.501C20.783 1.366 24 .213 24 3.883c0 .732-.42 6.156-.667 7.037-.856 3.061-3.978 3.842-6.755 3.37 4.854.826 6.089 3.562 3.422 6.299-5.065 5.196-7.28-1.304-7.847-2.97-.104-.305-.152-.448-.153-.327 0-.121-.05.022-.153.327-.568 1.666-2.782 8.166-7.847 2.97-2.667-2.737-1.432-5.473 3.422-6.3-2.777.473-5.899-.308-6.755-3.369C.42 10.04 0 4.615 0 3.883c0-3.67 3.217-2.517 5.202-1.026";
        Look {
            color: "#1185fe",
            logo: Some(LOGO),
            logo_color: "#1185FE",
            accent: Some("#1185fe"),
            link_card: true,
            link_length: Some(30),
            ..Look::FEED
        }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("bluesky:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn pacing(&self) -> Duration {
        Duration::from_secs(1)
    }

    /// Signs in with the handle (or DID) and app password; the account is its DID.
    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        super::at_fact(facts, "handle")
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let s = self.create_session(http, account, secret, now).await?;
            // The profile's picture, best effort: a PDS that cannot show profiles links all the same.
            let url = format!("{}?actor={}", xrpc(account, "app.bsky.actor.getProfile"), s.did);
            let picture = call(http.get(url).bearer_auth(&s.access), "reading the profile", now)
                .await
                .ok()
                .and_then(|p| super::Picture::address(p.get("avatar").and_then(Value::as_str).map(str::to_owned)));
            Ok(Verified {
                remote_id: s.did,
                display_name: format!("@{}", s.handle),
                cache: Some(json!({ "handle": s.handle })),
                secret: None,
                picture,
            })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.publish(job).boxed()
    }

    /// Writing again is safe: the same record key is refused as `InvalidSwap` if it is there.
    fn reconcile<'a, 'j: 'a>(
        &'a self,
        _job: &'a mut Job<'j>,
        _started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        async move { Ok(Reconciled::NotPublished) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_tells_a_page_without_a_card_from_one_not_read_yet() {
        let read: Progress = serde_json::from_value(json!({ "rkey": "3k", "card": null })).expect("reads");
        assert_eq!(read.card, Some(Value::Null), "read, and no card");
        let not_yet: Progress = serde_json::from_value(json!({ "rkey": "3k" })).expect("reads");
        assert_eq!(not_yet.card, None, "not read yet");
        assert_eq!(serde_json::to_value(&read).expect("writes"), json!({ "rkey": "3k", "card": null }));
        let old = json!({ "rkey": "3k", "blobs": [{ "ref": "b" }], "card": { "uri": "u" }, "card_image": null });
        let kept: Progress = serde_json::from_value(old).expect("an earlier version's checkpoint");
        assert_eq!(kept.card_image, None);
        assert!(crate::networks::step_done(&kept.blobs, 0).is_some());
    }

    #[test]
    fn an_access_token_is_renewed_shortly_before_its_exp_claim() {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let jwt = |claims: &str| format!("{}.{}.sig", b64.encode(r#"{"typ":"at+jwt"}"#), b64.encode(claims));
        assert_eq!(
            renew_at(&jwt(r#"{"iat":1000,"exp":8200}"#)),
            Some(Timestamp(8_200_000 - 60_000)),
            "a minute early for a two-hour token"
        );
        assert_eq!(renew_at(&jwt(r#"{"iat":1000,"exp":1010}"#)), Some(Timestamp(1_009_000)), "a tenth of a short one");
        assert_eq!(renew_at("not-a-jwt"), None, "unreadable: used until the PDS says it has expired");
    }

    #[test]
    fn held_sessions_never_print_their_tokens() {
        let bluesky = Bluesky::default();
        let session = Session {
            access: "access-secret".into(),
            refresh: "refresh-secret".into(),
            did: "did:plc:x".into(),
            handle: "x.test".into(),
            renew_at: None,
            made_with: [0; 32],
        };
        bluesky.sessions.put(AccountId::new(), session);
        let printed = format!("{bluesky:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("1 held"), "{printed}");
    }

    #[test]
    fn a_deliverys_record_key_is_the_same_every_time_and_its_own() {
        let id: crate::model::DeliveryId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().expect("an id");
        assert_eq!(tid_of_delivery(id), tid_of_delivery(id), "derived, not drawn");
        assert_eq!(tid_of_delivery(id).len(), 13);
        let other: crate::model::DeliveryId = "01890a5d-ac96-774b-bcce-b302099a8058".parse().expect("an id");
        assert_ne!(tid_of_delivery(id), tid_of_delivery(other), "another delivery, another record");
        let later = crate::model::DeliveryId::new();
        assert!(tid_of_delivery(id) < tid_of_delivery(later), "TIDs still sort by time");
    }

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
