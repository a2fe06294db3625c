//! Facebook Pages through the Graph API. What a post becomes depends on what it carries:
//!
//! - text (and a link, the first URL in it): `POST /{page}/feed` with `message` and `link`;
//! - one photo: `POST /{page}/photos` (multipart `source`, `message`);
//! - several photos: each uploaded with `published=false`, every id checkpointed, then
//!   `POST /{page}/feed` with `attached_media`;
//! - a video: `POST /{page}/videos` (multipart `source`, `description`);
//! - Story mode: a photo uploaded unpublished then `POST /{page}/photo_stories` (`photo_id`), or a
//!   video through `/{page}/video_stories` (start, upload to the `upload_url` it names, finish).
//!
//! The account's endpoint is the Graph root with its version (`https://graph.facebook.com/v26.0`),
//! its remote id the Page id, its secret a Page access token. There is no idempotency key: a
//! publish whose answer was lost is looked for among the Page's recent posts (by its text),
//! videos (by description) or stories (by the uploaded media's id, which is exact) before
//! anything is published again.

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::graph::{self, Graph};
use super::{Job, Look, Network, StepError, Verified, media_part};
use crate::clock::Timestamp;
use crate::model::{Account, Failure, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "Facebook";
/// How many recent posts are read when looking for one whose answer was lost.
const RECENT: usize = 25;

#[derive(Debug, Clone, Copy)]
pub struct Facebook;

/// What one delivery makes on the Page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Photo,
    Photos,
    Video,
    StoryPhoto,
    StoryVideo,
}

fn shape(job: &Job<'_>) -> Result<Shape, Failure> {
    let videos = job.media.iter().filter(|m| m.mime.starts_with("video/")).count();
    let count = job.media.len();
    Ok(match (job.post.story, count, videos) {
        (true, 1, 1) => Shape::StoryVideo,
        (true, 1, 0) => Shape::StoryPhoto,
        (true, n, _) => {
            return Err(Failure::rejected(format!(
                "a Facebook story is one photo or one video, and this post has {n} files; share it as a normal post or pick one file"
            )));
        }
        (false, 0, _) => Shape::Text,
        (false, 1, 1) => Shape::Video,
        (false, 1, 0) => Shape::Photo,
        (false, _, 0) => Shape::Photos,
        (false, _, _) => {
            return Err(Failure::rejected(
                "a Facebook Page post takes several photos or one video, not both; share the video on its own",
            ));
        }
    })
}

/// The first http(s) URL in the text, which Facebook turns into a link preview.
fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .map(|w| w.trim_end_matches([')', ',', '.', '!', '?', ';', ':', '"', '\'']))
        .find(|w| (w.starts_with("https://") || w.starts_with("http://")) && w.len() > 8)
}

fn page_id(account: &Account) -> Result<&str, Failure> {
    account
        .remote_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::rejected("the account has no Page id; link the Page again"))
}

/// How far a delivery got (JSON as earlier versions kept it): each unpublished photo's id, and a
/// story video's id, upload address and whether its bytes are up.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    photos: Vec<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    video_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upload_url: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    uploaded: bool,
}

/// A relative permalink (`/123/videos/456/`) made absolute on facebook.com; a full one kept.
fn absolute(permalink: &str, graph_root: &str) -> String {
    if permalink.starts_with("http://") || permalink.starts_with("https://") {
        permalink.to_owned()
    } else if graph_root.starts_with(graph::FACEBOOK_ROOT) {
        format!("https://www.facebook.com{permalink}")
    } else {
        // A test server: its pages live beside its API.
        let origin = url::Url::parse(graph_root).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        format!("{origin}{permalink}")
    }
}

impl Facebook {
    /// Uploads one file as an unpublished photo (for several photos or a story) and checkpoints
    /// its id under `photos[index]`, unless an earlier attempt already did.
    async fn unpublished_photo(&self, job: &mut Job<'_>, g: &Graph<'_>, index: usize) -> Result<String, StepError> {
        let mut progress: Progress = job.steps_done();
        if let Some(id) = super::step_done(&progress.photos, index) {
            return Ok(id.clone());
        }
        if job.stopping() {
            return Err(StepError::Abort(crate::Error::Conflict("the worker is stopping".into())));
        }
        let media = &job.media[index];
        job.progress(crate::outbox::Step::Upload { n: index + 1, total: job.media.len() });
        let form = reqwest::multipart::Form::new().part("source", media_part(media).await?).text("published", "false");
        let step = format!("uploading {}", media.file_name);
        let page = page_id(job.account)?;
        let answer = g.call(&step, g.post(&format!("{page}/photos")).multipart(form)).await?;
        let id =
            graph::id_of(&answer, "id").ok_or_else(|| Failure::transient(format!("{step}: no photo id came back")))?;
        super::set_step(&mut progress.photos, index, id.clone());
        job.save_steps(&progress)?;
        Ok(id)
    }

    /// Sends the publish request and reads its answer; "publish starting" is committed first.
    async fn publish_request(
        &self,
        job: &mut Job<'_>,
        g: &Graph<'_>,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, StepError> {
        let answer = job.publish(NAME, request).await?;
        Ok(g.read_publish("publishing", answer)?)
    }

    /// The post's public address, asked of the Graph API; Facebook's generic one if that fails.
    async fn permalink(&self, g: &Graph<'_>, id: &str, fallback: String) -> String {
        match g.call("reading the permalink", g.get(&format!("{id}?fields=permalink_url"))).await {
            Ok(value) => value.get("permalink_url").and_then(Value::as_str).map_or(fallback, |p| absolute(p, g.root)),
            Err(e) => {
                tracing::debug!(error = %e, "no permalink");
                fallback
            }
        }
    }

    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        graph::metered!(NAME, job, |g| self.publish_with(job, &g))
    }

    async fn publish_with(&self, job: &mut Job<'_>, g: &Graph<'_>) -> Result<Published, StepError> {
        let page = page_id(job.account)?.to_owned();
        let text = job.post.text.clone();
        let shape = shape(job)?;
        let (id, fallback) = match shape {
            Shape::Text => {
                let mut form = vec![("message", text.clone())];
                if let Some(link) = first_link(&text) {
                    form.push(("link", link.to_owned()));
                }
                let answer = self.publish_request(job, g, g.post(&format!("{page}/feed")).form(&form)).await?;
                let id = graph::id_of(&answer, "id").ok_or_else(|| no_id("post"))?;
                (id.clone(), format!("https://www.facebook.com/{id}"))
            }
            Shape::Photo => {
                let media = &job.media[0];
                job.progress(crate::outbox::Step::Upload { n: 1, total: 1 });
                let mut form = reqwest::multipart::Form::new().part("source", media_part(media).await?);
                if !text.trim().is_empty() {
                    form = form.text("message", text.clone());
                }
                if let Some(alt) = &media.description {
                    form = form.text("alt_text_custom", alt.clone());
                }
                let answer = self.publish_request(job, g, g.post(&format!("{page}/photos")).multipart(form)).await?;
                let id = graph::id_of(&answer, "post_id")
                    .or_else(|| graph::id_of(&answer, "id"))
                    .ok_or_else(|| no_id("photo"))?;
                (id.clone(), format!("https://www.facebook.com/{id}"))
            }
            Shape::Photos => {
                let mut ids = Vec::with_capacity(job.media.len());
                for index in 0..job.media.len() {
                    ids.push(self.unpublished_photo(job, g, index).await?);
                }
                let mut form = vec![("message".to_owned(), text.clone())];
                for (i, id) in ids.iter().enumerate() {
                    form.push((format!("attached_media[{i}]"), json!({ "media_fbid": id }).to_string()));
                }
                let answer = self.publish_request(job, g, g.post(&format!("{page}/feed")).form(&form)).await?;
                let id = graph::id_of(&answer, "id").ok_or_else(|| no_id("post"))?;
                (id.clone(), format!("https://www.facebook.com/{id}"))
            }
            Shape::Video => {
                let media = &job.media[0];
                job.progress(crate::outbox::Step::Upload { n: 1, total: 1 });
                let mut form = reqwest::multipart::Form::new().part("source", media_part(media).await?);
                if !text.trim().is_empty() {
                    form = form.text("description", text.clone());
                }
                let answer = self.publish_request(job, g, g.post(&format!("{page}/videos")).multipart(form)).await?;
                let id = graph::id_of(&answer, "id").ok_or_else(|| no_id("video"))?;
                (id.clone(), format!("https://www.facebook.com/{page}/videos/{id}"))
            }
            Shape::StoryPhoto => {
                let photo = self.unpublished_photo(job, g, 0).await?;
                let request = g.post(&format!("{page}/photo_stories")).form(&[("photo_id", photo.as_str())]);
                let answer = self.publish_request(job, g, request).await?;
                let id = graph::id_of(&answer, "post_id").ok_or_else(|| no_id("story"))?;
                (id, format!("https://www.facebook.com/stories/{page}"))
            }
            Shape::StoryVideo => {
                let video = self.story_video_upload(job, g, &page).await?;
                let request = g
                    .post(&format!("{page}/video_stories"))
                    .form(&[("upload_phase", "finish"), ("video_id", video.as_str())]);
                let answer = self.publish_request(job, g, request).await?;
                let id = graph::id_of(&answer, "post_id").ok_or_else(|| no_id("story"))?;
                (id, format!("https://www.facebook.com/stories/{page}"))
            }
        };
        let url = match shape {
            Shape::StoryPhoto | Shape::StoryVideo => fallback,
            _ => self.permalink(g, &id, fallback).await,
        };
        Ok(Published { remote_id: id, url: Some(url) })
    }

    /// A story video's first two phases: `start` (checkpointing the video id and where to send
    /// the bytes), then the bytes themselves (checkpointed as done). Returns the video id.
    async fn story_video_upload(&self, job: &mut Job<'_>, g: &Graph<'_>, page: &str) -> Result<String, StepError> {
        let step = "uploading the story video";
        let mut progress: Progress = job.steps_done();
        let (video, upload_url) = match (progress.video_id.clone(), progress.upload_url.clone()) {
            (Some(video), Some(url)) => (video, url),
            _ => {
                let answer =
                    g.call(step, g.post(&format!("{page}/video_stories")).form(&[("upload_phase", "start")])).await?;
                let video = graph::id_of(&answer, "video_id").ok_or_else(|| no_id("video"))?;
                let url = answer
                    .get("upload_url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Failure::transient(format!("{step}: no upload address came back")))?
                    .to_owned();
                progress.video_id = Some(video.clone());
                progress.upload_url = Some(url.clone());
                job.save_steps(&progress)?;
                (video, url)
            }
        };
        if progress.uploaded {
            return Ok(video);
        }
        trusted_upload_url(&upload_url, g.root)?;
        let media = &job.media[0];
        job.progress(crate::outbox::Step::Upload { n: 1, total: 1 });
        let bytes = tokio::fs::read(&media.path).await.map_err(|e| {
            Failure::rejected(format!("media file {} cannot be read from the data folder: {e}", media.file_name))
        })?;
        let request = job
            .http
            .post(&upload_url)
            .header("Authorization", format!("OAuth {}", job.secret.expose()))
            .header("offset", "0")
            .header("file_size", bytes.len().to_string())
            .body(bytes);
        g.call(step, request).await?;
        progress.uploaded = true;
        job.save_steps(&progress)?;
        Ok(video)
    }

    /// Looks for a publish whose answer was lost: exact by media id for stories, by text among
    /// the recent posts or videos otherwise.
    async fn find(&self, job: &mut Job<'_>, started: Timestamp) -> Result<Reconciled, StepError> {
        let g = Graph::new(NAME, job.http, &job.account.endpoint, job.secret);
        let page = page_id(job.account)?.to_owned();
        let shape = shape(job)?;
        let step = "checking the Page's recent posts";
        let since = started.0 / 1000 - 60;
        match shape {
            Shape::StoryPhoto | Shape::StoryVideo => {
                let progress: Progress = job.steps_done();
                let media = match shape {
                    Shape::StoryPhoto => super::step_done(&progress.photos, 0).cloned(),
                    _ => progress.video_id,
                };
                let Some(media) = media else { return Ok(Reconciled::NotPublished) };
                let answer = g.call(step, g.get(&format!("{page}/stories?limit={RECENT}"))).await?;
                let found = answer
                    .get("data")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|s| graph::id_of(s, "media_id").as_deref() == Some(media.as_str()));
                Ok(match found.and_then(|s| graph::id_of(s, "post_id")) {
                    Some(id) => Reconciled::Published {
                        remote_id: id,
                        url: Some(format!("https://www.facebook.com/stories/{page}")),
                    },
                    None => Reconciled::NotPublished,
                })
            }
            Shape::Video => {
                let path = format!("{page}/videos?fields=id,description,created_time,permalink_url&limit={RECENT}");
                let answer = g.call(step, g.get(&path)).await?;
                Ok(match_recent(&answer, "description", &job.post.text, since, &g, |id| {
                    format!("https://www.facebook.com/{page}/videos/{id}")
                }))
            }
            Shape::Text | Shape::Photo | Shape::Photos => {
                let path =
                    format!("{page}/published_posts?fields=id,message,created_time,permalink_url&limit={RECENT}");
                let answer = g.call(step, g.get(&path)).await?;
                Ok(match_recent(&answer, "message", &job.post.text, since, &g, |id| {
                    format!("https://www.facebook.com/{id}")
                }))
            }
        }
    }
}

fn no_id(what: &str) -> Failure {
    Failure::new(
        crate::model::FailureKind::OutcomeUnknown,
        format!("Facebook answered the publish without a {what} id — the post may or may not be live"),
    )
}

/// The token goes only to Meta's own upload host (or, in tests, the Graph root's host).
fn trusted_upload_url(upload_url: &str, graph_root: &str) -> Result<(), Failure> {
    let host = |u: &str| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_owned));
    let ok = match (host(upload_url), host(graph_root)) {
        (Some(up), Some(root)) => up == root || up == "rupload.facebook.com",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Failure::rejected("Facebook named an upload address outside facebook.com; the video was not sent there"))
    }
}

/// The newest post at or after `since` (seconds) whose `field` is the post's text. Answers
/// `Unknown` when every listed post is newer than that: the account posted too much to tell.
fn match_recent(
    answer: &Value,
    field: &str,
    text: &str,
    since: i64,
    g: &Graph<'_>,
    fallback: impl Fn(&str) -> String,
) -> Reconciled {
    let wanted = graph::normalise(text);
    let items = answer.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut reached_older = false;
    for item in &items {
        let created = item.get("created_time").and_then(Value::as_str).and_then(graph::parse_time);
        if created.is_some_and(|c| c.0 / 1000 < since) {
            reached_older = true;
            continue;
        }
        let own = item.get(field).and_then(Value::as_str).map(graph::normalise).unwrap_or_default();
        if own == wanted
            && let Some(id) = graph::id_of(item, "id")
        {
            let url = item
                .get("permalink_url")
                .and_then(Value::as_str)
                .map_or_else(|| fallback(&id), |p| absolute(p, g.root));
            return Reconciled::Published { remote_id: id, url: Some(url) };
        }
    }
    if reached_older || items.len() < RECENT {
        Reconciled::NotPublished
    } else {
        Reconciled::Unknown("the Page has posted too much since to tell from its recent posts".into())
    }
}

impl Network for Facebook {
    fn link_about(&self) -> &'static str {
        "A Facebook Page: its id, and a Page token or a user token that manages the Page"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("graph", "the Graph API's address (for testing)").hidden(),
            super::link::Field::text("page_id", "the Page's id").numeric(),
            super::link::Field::secret("token", "access token"),
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
            let token = values.access_token()?;
            let page = graph::page_id(values.given("page_id"))?;
            Ok(super::link::Linking::new(graph::endpoint(values.text("graph"))?, token).remote(page))
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        let name: String = verified.display_name.chars().filter(|c| !c.is_control()).take(48).collect();
        if name.trim().is_empty() {
            format!("facebook-{}", verified.remote_id)
        } else {
            format!("Facebook: {}", name.trim())
        }
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Facebook
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::FacebookFeed, Target::FacebookPhoto, Target::FacebookStory]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M9.101 23.691v-7.98H6.627v-3.667h2.474v-1.58c0-4.085 1.848-5.978 5.858-5.978.401 0 .955.042 1.468.103a8.68 8.68 0 0 1 1.141.195v3.325a8.623 8.623 0 0 0-.653-.036 26.805 26.805 0 0 0-.733-.009c-.707 0-1.259.096-1.675.309a1.686 1.686 0 0 0-.679.622c-.258.42-.374.995-.374 1.752v1.297h3.919l-.386 2.103-.287 1.564h-3.246v8.245C19.396 23.238 24 18.179 24 12.044c0-6.627-5.373-12-12-12s-12 5.373-12 12c0 5.628 3.874 10.35 9.101 11.647Z";
        Look {
            color: "#1877f2",
            logo: Some(LOGO),
            logo_color: "#0866FF",
            link_card: true,
            fold_at: Some(480),
            ..Look::FEED
        }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("facebook:page:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn story_target(&self) -> Option<Target> {
        Some(Target::FacebookStory)
    }

    fn page_url(&self, account: &Account, facts: Option<&Value>) -> Option<String> {
        if let Some(link) = facts.and_then(|f| f.get("link")).and_then(Value::as_str) {
            return Some(absolute(link, &account.endpoint));
        }
        account.remote_id.as_deref().map(|id| format!("https://www.facebook.com/{id}"))
    }

    fn pacing(&self) -> Duration {
        Duration::from_secs(2)
    }

    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        let link = url::Url::parse(&super::fact(facts, "link")?).ok()?;
        let host = link.host_str()?.trim_start_matches("www.");
        Some(format!("{host}{}", link.path().trim_end_matches('/')))
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let g = Graph::new(NAME, http, &account.endpoint, secret);
            let page = page_id(account)?;
            let step = "reading the Page";
            let answer = g.call(step, g.get(&format!("{page}?fields=id,name,link,access_token"))).await?;
            let id = graph::id_of(&answer, "id").unwrap_or_else(|| page.to_owned());
            let name = answer.get("name").and_then(Value::as_str).unwrap_or("Facebook Page").to_owned();
            // A user token with the Page's tasks reads the Page's own token, which is what posts
            // as the Page (and, from a long-lived user token, never expires).
            let page_token = answer.get("access_token").and_then(Value::as_str).map(Secret::new);
            if page_token.is_none() {
                let check = g.call(step, g.get(&format!("{page}/published_posts?limit=1"))).await;
                if let Err(failure) = check {
                    return Err(Failure {
                        message: format!("the token cannot read the Page's posts: {failure}"),
                        ..failure
                    });
                }
            }
            let kept = Graph::new(NAME, http, &account.endpoint, page_token.as_ref().unwrap_or(secret));
            let expiry = graph::token_expiry(&kept, now).await;
            let facts = json!({ "name": name, "link": answer.get("link"), "token_expires_at": expiry });
            // The Page's profile picture, best effort: where it is, not the picture itself.
            let picture = kept
                .call("reading the Page's picture", kept.get(&format!("{page}/picture?redirect=false&type=large")))
                .await
                .ok()
                .and_then(|p| super::Picture::address(p.get("data")?.get("url")?.as_str().map(str::to_owned)));
            Ok(Verified { remote_id: id, display_name: name, cache: Some(facts), secret: page_token, picture })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.publish(job).boxed()
    }

    fn reconcile<'a, 'j: 'a>(
        &'a self,
        job: &'a mut Job<'j>,
        started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        self.find(job, started).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_link_is_found_without_trailing_punctuation() {
        assert_eq!(first_link("Read this: https://example.org/a?b=1. Thanks"), Some("https://example.org/a?b=1"));
        assert_eq!(first_link("no link, just https:// text"), None);
        assert_eq!(first_link("(see https://example.org)"), Some("https://example.org"));
    }

    #[test]
    fn relative_permalinks_land_on_facebook_or_beside_a_test_server() {
        assert_eq!(
            absolute("/1/videos/2/", "https://graph.facebook.com/v26.0"),
            "https://www.facebook.com/1/videos/2/"
        );
        assert_eq!(absolute("/facebook/1_2", "http://127.0.0.1:9/graph/v26.0"), "http://127.0.0.1:9/facebook/1_2");
        assert_eq!(absolute("https://www.facebook.com/x", "http://127.0.0.1:9/graph"), "https://www.facebook.com/x");
    }

    #[test]
    fn upload_urls_off_meta_never_get_the_token() {
        assert!(trusted_upload_url("https://rupload.facebook.com/video-upload/v26.0/1", graph::FACEBOOK_ROOT).is_ok());
        assert!(trusted_upload_url("http://127.0.0.1:9/rupload/1", "http://127.0.0.1:9/graph/v26.0").is_ok());
        assert!(trusted_upload_url("https://evil.example/upload", graph::FACEBOOK_ROOT).is_err());
    }
}
