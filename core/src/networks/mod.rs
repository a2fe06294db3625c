//! One module per platform behind the `Network` trait: its profile (what a post may contain), its
//! steps, the classification of every failure into the kinds of DESIGN.md, and `reconcile`.
//!
//! A network never touches the database directly: it reads and writes its progress through the
//! `Job` it is handed, which checkpoints each step before the next starts and records "publish
//! request about to be sent" before the request leaves. Every base URL comes from the account.

pub mod bluesky;
pub mod chat_webhooks;
pub mod containers;
pub mod discord;
pub mod facebook;
pub mod graph;
pub mod hosting;
pub mod instagram;
pub mod link;
pub mod mastodon;
pub mod matrix;
pub mod nostr;
pub mod telegram;
pub mod threads;
pub mod whatsapp;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::StatusCode;

pub use crate::kinds::NetworkKind;

use crate::clock::{Clock, Timestamp};
use crate::error::Error;
use crate::http::{self, Reach};
use crate::model::{Account, Delivery, Failure, FailureKind, Post, Published, Reconciled};
use crate::outbox::Outbox;
use crate::secrets::Secret;

/// How the app shows a network: its colours and logo, and how a post looks there (the composer's
/// preview). Data about the brand, no words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Behind an account's initials (dark enough for white text), `#rrggbb`.
    pub color: &'static str,
    /// Its logo as an SVG path on a 24 × 24 box, or `None`: its initial stands for it.
    pub logo: Option<&'static str>,
    /// The logo's colour, or the initial's background, `#rrggbb`.
    pub logo_color: &'static str,
    /// The colour of links, hashtags and mentions in a post, where the network has its own.
    pub accent: Option<&'static str>,
    /// A chat message rather than a feed post.
    pub chat: bool,
    /// Several pictures show one at a time, as a carousel.
    pub carousel: bool,
    /// The pictures come before the text (Instagram).
    pub media_first: bool,
    /// The first link shows as a card when the post has no pictures.
    pub link_card: bool,
    /// The card's picture sits beside its text, small.
    pub compact_card: bool,
    /// About where a long text folds behind "… more", in characters.
    pub fold_at: Option<u32>,
    /// Links show without their scheme, cut to this many characters.
    pub link_length: Option<u32>,
}

impl Look {
    /// A feed post with nothing special, in grey.
    pub const FEED: Look = Look {
        color: "#6b7280",
        logo: None,
        logo_color: "#6B7280",
        accent: None,
        chat: false,
        carousel: false,
        media_first: false,
        link_card: false,
        compact_card: false,
        fold_at: None,
        link_length: None,
    };
    /// A chat message with nothing special, in grey.
    pub const CHAT: Look = Look { chat: true, ..Look::FEED };
}

/// The outcome of linking or checking an account: who it is and what the platform told us.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub remote_id: String,
    pub display_name: String,
    /// Limits or facts to cache, under `Network::cache_scope`.
    pub cache: Option<serde_json::Value>,
    /// The credential to keep instead of the one given, when the platform handed out a better
    /// one (a Facebook Page's own token read with a user token).
    pub secret: Option<Secret>,
    /// The account's profile picture, where the platform has one.
    pub picture: Option<Picture>,
}

/// `@` and the fact under `key`, where it is a non-empty text.
pub(crate) fn at_fact(facts: Option<&serde_json::Value>, key: &str) -> Option<String> {
    fact(facts, key).map(|name| if name.starts_with('@') { name } else { format!("@{name}") })
}

/// The fact under `key`, where it is a non-empty text.
pub(crate) fn fact(facts: Option<&serde_json::Value>, key: &str) -> Option<String> {
    let value = facts?.get(key)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Where an account's profile picture comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Picture {
    /// A public address anyone may read (a CDN's).
    Address(String),
    /// Read already, with the account's credentials (bounded as `link_card::read_image` reads).
    Bytes(Vec<u8>),
}

impl Picture {
    pub fn address(url: Option<String>) -> Option<Self> {
        url.filter(|u| u.starts_with("https://") || u.starts_with("http://")).map(Self::Address)
    }
}

/// Why a step stopped: a classified platform failure, or a local reason to abort (the lease was
/// lost, the database failed) that must not be mistaken for the platform's answer.
#[derive(Debug)]
pub enum StepError {
    Failure(Failure),
    Abort(Error),
}

impl From<Failure> for StepError {
    fn from(f: Failure) -> Self {
        Self::Failure(f)
    }
}

impl From<Error> for StepError {
    fn from(e: Error) -> Self {
        Self::Abort(e)
    }
}

/// The moments a crash test stops a worker at; see `worker::Hooks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// "About to publish" is committed; the request has not left.
    BeforePublish,
    /// The publish request is on its way.
    InFlight,
    /// The answer is in; the outcome is not yet committed.
    AfterResponse,
}

impl Moment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BeforePublish => "before_publish",
            Self::InFlight => "in_flight",
            Self::AfterResponse => "after_response",
        }
    }
}

/// Called at each `Moment`; the worker's test hook prints and pauses there.
pub trait MomentHook: Send + Sync + std::fmt::Debug {
    fn reached<'a>(&'a self, moment: Moment, delivery: &'a Delivery) -> BoxFuture<'a, ()>;
}

/// The files to upload for a post's media to one network: images fitted (through the cache),
/// videos as they are. Blocking: call it off the async threads.
pub fn uploads_for(
    media: &[crate::model::MediaRef],
    spec: Option<&crate::media::ImageSpec>,
    variants: &crate::media::cache::VariantCache,
) -> std::result::Result<Vec<UploadFile>, String> {
    media
        .iter()
        .map(|m| {
            if !m.mime.starts_with("image/") {
                return Ok(UploadFile {
                    path: m.path.clone(),
                    mime: m.mime.clone(),
                    file_name: m.file_name.clone(),
                    description: m.alt_text.clone(),
                });
            }
            let spec = spec.ok_or_else(|| format!("{}: this network does not take images", m.file_name))?;
            let bytes = std::fs::read(&m.path)
                .map_err(|e| format!("media file {} cannot be read from the data folder: {e}", m.file_name))?;
            let variant = variants
                .prepare(
                    bytes,
                    &m.sha256,
                    spec,
                    &crate::media::FitOptions::at(m.focus),
                    &crate::media::Limits::default(),
                )
                .map_err(|e| format!("{}: {e}", m.file_name))?;
            let stem = std::path::Path::new(&m.file_name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(UploadFile {
                path: variant.path,
                mime: variant.format.mime().to_owned(),
                file_name: format!("{stem}.{}", variant.format.extension()),
                description: m.alt_text.clone(),
            })
        })
        .collect()
}

/// A media file ready for one target: the prepared variant (or the original, for videos).
#[derive(Debug, Clone, PartialEq)]
pub struct UploadFile {
    pub path: std::path::PathBuf,
    pub mime: String,
    pub file_name: String,
    /// Alt text, for networks that take one.
    pub description: Option<String>,
}

/// One delivery in the hands of a network: what to send, and the way to record progress.
pub struct Job<'a> {
    pub account: &'a Account,
    pub secret: &'a Secret,
    /// The secret of the account's media host (an S3 secret key), where it has one.
    pub host_secret: Option<&'a Secret>,
    pub post: &'a Post,
    /// The post's media, fitted to this target, in order.
    pub media: &'a [UploadFile],
    pub delivery: &'a Delivery,
    /// What the platform told us about the account when it was linked (see `cache_scope`).
    pub facts: Option<&'a serde_json::Value>,
    pub http: &'a reqwest::Client,
    pub clock: &'a Arc<dyn Clock>,
    pub(crate) outbox: &'a Outbox,
    pub(crate) owner: &'a str,
    pub(crate) hook: Option<&'a dyn MomentHook>,
    pub(crate) checkpoint: serde_json::Value,
    pub(crate) cancel: &'a tokio_util::sync::CancellationToken,
}

impl Job<'_> {
    pub fn checkpoint(&self) -> &serde_json::Value {
        &self.checkpoint
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// How far the delivery got, as the network's own progress type: its checkpoint, or the
    /// default where none was saved (or an older one cannot be read as this type).
    pub fn steps_done<P: serde::de::DeserializeOwned + Default>(&self) -> P {
        serde_json::from_value(self.checkpoint.clone()).unwrap_or_default()
    }

    /// Commits the network's progress; the next step starts only after this returns.
    pub fn save_steps<P: serde::Serialize>(&mut self, progress: &P) -> Result<(), StepError> {
        let value = serde_json::to_value(progress)
            .map_err(|e| StepError::Abort(Error::invalid(format!("the progress cannot be kept: {e}"))))?;
        self.save_checkpoint(value)
    }

    /// Commits a step's result; the next step starts only after this returns.
    pub fn save_checkpoint(&mut self, checkpoint: serde_json::Value) -> Result<(), StepError> {
        self.outbox.checkpoint(self.delivery.id, self.owner, &checkpoint)?;
        self.checkpoint = checkpoint;
        Ok(())
    }

    /// What another delivery shared under `scope`, and when; `None` if nothing (or the store
    /// could not be read: the caller then does the work itself).
    pub(crate) fn shared(&self, scope: &str) -> Option<(serde_json::Value, Timestamp)> {
        self.outbox.shared(scope).unwrap_or_else(|e| {
            tracing::warn!(delivery = %self.delivery.id, error = %e, "a shared fact could not be read");
            None
        })
    }

    /// Shares a fact with later deliveries; best effort, never fails the delivery.
    pub(crate) fn share(&self, scope: &str, value: &serde_json::Value) {
        if let Err(e) = self.outbox.share(scope, value, self.clock.now()) {
            tracing::warn!(delivery = %self.delivery.id, error = %e, "a shared fact was not kept");
        }
    }

    /// Tells the user how far the delivery got; best effort, never fails the delivery.
    pub fn progress(&self, step: crate::outbox::Step) {
        if let Err(e) = self.outbox.progress(self.delivery.id, self.clock.now(), step) {
            tracing::warn!(delivery = %self.delivery.id, error = %e, "progress not recorded");
        }
    }

    /// Holds this account's next deliveries back for `wait` (a platform's usage nearing its
    /// limit); best effort, never fails the delivery.
    pub fn slow_down(&self, wait: Duration) {
        let now = self.clock.now();
        if let Err(e) = self.outbox.pause_account(self.account.id, now.plus(wait), now) {
            tracing::warn!(account = %self.account.id, error = %e, "pause not recorded");
        }
    }

    /// Commits "publish request about to be sent"; call right before sending it.
    pub async fn publish_starting(&mut self) -> Result<(), StepError> {
        if self.cancel.is_cancelled() {
            return Err(StepError::Abort(Error::Conflict("the worker is stopping".into())));
        }
        self.outbox.publish_starting(self.delivery.id, self.owner, self.clock.now())?;
        self.progress(crate::outbox::Step::Publish);
        self.moment(Moment::BeforePublish).await;
        Ok(())
    }

    /// Whether the worker is stopping; checked between steps.
    pub fn stopping(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub(crate) async fn moment(&self, moment: Moment) {
        if let Some(hook) = self.hook {
            hook.reached(moment, self.delivery).await;
        }
    }

    /// The publish step: records "publish starting", sends the request and reads its answer
    /// whole. A transport error after the request may have arrived is an unknown outcome.
    pub async fn publish(&mut self, network: &str, request: reqwest::RequestBuilder) -> Result<Answer, StepError> {
        self.publish_starting().await?;
        let response = self.send_publish(request).await.map_err(|e| publish_transport_failure(network, &e))?;
        Ok(self.read_publish(response).await)
    }

    /// Sends a publish request, telling the hook when it is in flight and when it came back.
    pub async fn send_publish(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, reqwest::Error> {
        let sending = request.send();
        let announce = self.moment(Moment::InFlight);
        let (response, ()) = futures::join!(sending, announce);
        response
    }

    /// Reads a publish answer's body, then tells the hook the answer is in.
    pub async fn read_publish(&self, response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let body = http::read_body(response, http::ANSWER_LIMIT).await;
        self.moment(Moment::AfterResponse).await;
        Answer { status, headers, body }
    }
}

/// Sets entry `index` of a progress list (one entry per file or message, in order), growing the
/// list as needed.
pub(crate) fn set_step<T: Clone>(list: &mut Vec<Option<T>>, index: usize, value: T) {
    if list.len() <= index {
        list.resize(index + 1, None);
    }
    if let Some(entry) = list.get_mut(index) {
        *entry = Some(value);
    }
}

/// For a progress field that counts as there even when `null` (an absent one stays `None`):
/// `#[serde(default, deserialize_with = "present")]`.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    <serde_json::Value as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// The value entry `index` of a progress list holds, if it is set.
pub(crate) fn step_done<T>(list: &[Option<T>], index: usize) -> Option<&T> {
    list.get(index).and_then(Option::as_ref)
}

/// A publish request's answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    /// An error here means the answer was cut off or too large: the outcome is unknown.
    pub body: Result<Vec<u8>, http::ReadError>,
}

/// What a network offers beyond a post's text and media. The planner, the composer and the
/// shells ask this, never which network an account is on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// Messages people one by one from a list of those who opted in (WhatsApp): a post goes to
    /// a recipient list, the same message may go out again, and it may use a template.
    pub messaging: bool,
    /// A first comment under the post, up to this many characters.
    pub first_comment: Option<usize>,
    /// The platform counts posts against a 24-hour publishing quota it reports.
    pub publishing_quota: bool,
}

pub trait Network: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> NetworkKind;

    /// What it offers beyond text and media.
    fn features(&self) -> Features {
        Features::default()
    }

    /// How much of its 24-hour publishing quota the account has used, read now; none where the
    /// network has no such quota ([`Features::publishing_quota`]).
    fn publishing_quota<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _account: &'a Account,
        _secret: &'a Secret,
    ) -> BoxFuture<'a, Result<Option<containers::Quota>, Failure>> {
        Box::pin(async { Ok(None) })
    }

    /// The approved message templates of the account's business, read now; none where the
    /// network has no templates (only [`Features::messaging`] networks have them).
    fn templates<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _account: &'a Account,
        _secret: &'a Secret,
    ) -> BoxFuture<'a, Result<Vec<crate::model::TemplateInfo>, Failure>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// How the app shows it: colours, logo, how a post looks there.
    fn look(&self) -> Look;

    /// Its rows of the profiles table (`crate::profiles`), declared in its folder's `limits.rs`.
    fn targets(&self) -> &'static [crate::profiles::Target];

    /// The post limits: its target's row, with what the platform told us at link time (facts
    /// cached under `cache_scope`, such as a Mastodon server's limits) in their place.
    fn rules(&self, _cached: Option<&serde_json::Value>) -> crate::plan::TargetRules {
        crate::plan::TargetRules::from_profile(crate::profiles::profile(self.target()))
    }

    /// Where this account's cached facts are kept (a server's limits are shared by its accounts).
    fn cache_scope(&self, account: &Account) -> Option<String>;

    /// The target kind whose media rules apply (see `crate::profiles`): its first row, unless it
    /// says otherwise.
    fn target(&self) -> crate::profiles::Target {
        match self.targets() {
            [first, ..] => *first,
            [] => unreachable!("every network declares its rows (the registry's test checks)"),
        }
    }

    /// The target whose rules apply in Story mode, where the network has a story of its own;
    /// otherwise a story is the usual target's image padded to 9:16.
    fn story_target(&self) -> Option<crate::profiles::Target> {
        None
    }

    /// What an account of this network is and what linking it takes, in a line (the CLI's help).
    fn link_about(&self) -> &'static str;

    /// The values a user gives to link an account of this network, as the CLI and the app ask
    /// for them.
    fn link_fields(&self) -> &'static [link::Field];

    /// Checks what the user gave and makes it an account to verify (`verify` then asks the
    /// platform): where it is, who, its options, the secret to keep. A specific error names the
    /// value that is wrong and how to put it right.
    fn prepare_link<'a>(
        &'a self,
        http: &'a reqwest::Client,
        values: &'a link::LinkValues,
        now: Timestamp,
    ) -> BoxFuture<'a, crate::error::Result<link::Linking>>;

    /// The name a newly linked account gets unless the user gives one.
    fn default_name(&self, verified: &Verified) -> String;

    /// How people know the account on the network — `@name`, a phone number — from what it said
    /// when linked; none where it has no such name (a webhook).
    fn handle(&self, _account: &Account, _facts: Option<&serde_json::Value>) -> Option<String> {
        None
    }

    /// The web page where the account's posts can be seen, for checking by eye whether a post
    /// whose outcome was lost is there.
    fn page_url(&self, _account: &Account, _facts: Option<&serde_json::Value>) -> Option<String> {
        None
    }

    /// How images are fitted for this network, with the account's cached facts applied.
    fn image_spec(&self, _cached: Option<&serde_json::Value>) -> Option<crate::media::ImageSpec> {
        crate::profiles::profile(self.target()).image.as_ref().map(crate::media::ImageSpec::from_rules)
    }

    /// What videos this network takes, with the account's cached facts applied.
    fn video_rules(&self, _cached: Option<&serde_json::Value>) -> Option<crate::profiles::VideoRules> {
        crate::profiles::profile(self.target()).video.clone()
    }

    /// The least time between the starts of two deliveries to one account.
    fn pacing(&self) -> Duration;

    /// One cheap call that proves the credentials work and says whose they are.
    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>>;

    /// Runs the remaining steps of a delivery, resuming from its checkpoint.
    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>>;

    /// Asks the platform whether a publish whose answer was lost went through. The worker asks
    /// only for a delivery whose publish `started` (it was recorded before the request left).
    fn reconcile<'a, 'j: 'a>(
        &'a self,
        job: &'a mut Job<'j>,
        started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>>;
}

/// How images are fitted for a post to this network, in Story mode or not.
pub fn image_spec_for(
    network: &dyn Network,
    cached: Option<&serde_json::Value>,
    story: bool,
) -> Option<crate::media::ImageSpec> {
    match (story, network.story_target()) {
        (true, Some(target)) => {
            crate::profiles::profile(target).image.as_ref().map(crate::media::ImageSpec::from_rules)
        }
        // A network without stories gets the post as an ordinary one: nothing padded or cropped to 9:16.
        (_, _) => network.image_spec(cached),
    }
}

/// What videos a post to this network may carry, in Story mode or not.
pub fn video_rules_for(
    network: &dyn Network,
    cached: Option<&serde_json::Value>,
    story: bool,
) -> Option<crate::profiles::VideoRules> {
    match (story, network.story_target()) {
        (true, Some(target)) => crate::profiles::profile(target).video.clone(),
        _ => network.video_rules(cached),
    }
}

/// Makes each registered network's implementation, from the one list in `crate::kinds`.
macro_rules! implementations {
    ($($(#[$doc:meta])* $kind:ident = $id:literal, $name:literal, $make:expr;)*) => {
        impl NetworkKind {
            /// What its network offers beyond text and media.
            pub fn features(self) -> Features {
                network(self).features()
            }
        }

        fn all_targets() -> Vec<crate::profiles::Target> {
            NetworkKind::ALL.iter().flat_map(|kind| network(*kind).targets().iter().copied()).collect()
        }

        fn network(kind: NetworkKind) -> Arc<dyn Network> {
            match kind {
                $(NetworkKind::$kind => Arc::new($make),)*
            }
        }
    };
}

crate::kinds::registered!(implementations);

/// Every registered network's rows of the profiles table, each network's in turn.
pub fn targets() -> &'static [crate::profiles::Target] {
    static ALL: std::sync::LazyLock<Vec<crate::profiles::Target>> = std::sync::LazyLock::new(all_targets);
    &ALL
}

/// The target with this id ([`crate::profiles::Target::id`]); exact match only, so a typo in a
/// stored id is noticed.
pub fn target(id: &str) -> Option<crate::profiles::Target> {
    targets().iter().copied().find(|t| t.id() == id)
}

/// Every network Fanout delivers to, made once, in [`NetworkKind::ALL`]'s order.
#[derive(Debug, Clone)]
pub struct Registry {
    networks: [Arc<dyn Network>; NetworkKind::ALL.len()],
}

impl Default for Registry {
    fn default() -> Self {
        Self { networks: NetworkKind::ALL.map(network) }
    }
}

impl Registry {
    pub fn get(&self, kind: NetworkKind) -> &Arc<dyn Network> {
        &self.networks[kind as usize]
    }

    /// Credentials for the network with id `network` (`telegram`) from values by its link
    /// fields' keys, as a form or a demo account gives them.
    pub fn credentials<K: AsRef<str>>(
        &self,
        network: &str,
        values: impl IntoIterator<Item = (K, String)>,
    ) -> crate::error::Result<link::Credentials> {
        let kind: NetworkKind = network.parse()?;
        link::Credentials::from_values(kind, self.get(kind).link_fields(), values)
    }
}

/// An account's public page: `real` on the platform itself (its API at `real_root`), or the
/// sandbox's stand-in at `sandbox_path` on the account's own origin.
pub(crate) fn page_on(account: &Account, real_root: &str, real: String, sandbox_path: &str) -> Option<String> {
    if account.endpoint.starts_with(real_root) {
        Some(real)
    } else {
        let origin = url::Url::parse(&account.endpoint).ok()?.origin().ascii_serialization();
        Some(format!("{origin}{sandbox_path}"))
    }
}

#[cfg(test)]
pub(crate) fn test_file(mime: &str) -> UploadFile {
    UploadFile { path: "x".into(), mime: mime.into(), file_name: "x".into(), description: None }
}

/// A media file as a multipart part; a file gone from the data folder is the user's to fix.
pub(crate) async fn media_part(media: &UploadFile) -> Result<reqwest::multipart::Part, Failure> {
    let bytes = tokio::fs::read(&media.path).await.map_err(|e| {
        Failure::rejected(format!(
            "media file {} ({}) cannot be read from the data folder: {e}",
            media.file_name,
            media.path.display()
        ))
    })?;
    reqwest::multipart::Part::bytes(bytes)
        .file_name(media.file_name.clone())
        .mime_str(&media.mime)
        .map_err(|_| Failure::rejected(format!("media type {} is not valid", media.mime)))
}

/// An error answer's code and a message for people, from a JSON body with the code under
/// `code_field` and the text under `text_field` (the raw body, shortened, where it is not JSON).
pub(crate) fn json_error(body: &[u8], code_field: &str, text_field: &str) -> (String, String) {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let code = value.get(code_field).and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
    let text = value
        .get(text_field)
        .and_then(serde_json::Value::as_str)
        .map(|m| excerpt(m, 200))
        .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(body), 160));
    let what = if code.is_empty() { text } else { format!("{text} ({code})") };
    (code, what)
}

/// Sends a request that is safe to repeat and reads its JSON answer; an error answer is sorted
/// by `classify` (status, headers, body).
pub(crate) async fn call_json(
    request: reqwest::RequestBuilder,
    step: &str,
    who: &str,
    classify: impl Fn(StatusCode, &reqwest::header::HeaderMap, &[u8]) -> Failure,
) -> Result<serde_json::Value, Failure> {
    let response = request.send().await.map_err(|e| transport_failure(step, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = http::read_body(response, http::ANSWER_LIMIT).await.map_err(|e| transport_failure(step, &e))?;
    if !status.is_success() {
        return Err(classify(status, &headers, &body));
    }
    serde_json::from_slice(&body).map_err(|_| Failure::transient(format!("{step}: {who}'s answer was not JSON")))
}

/// A transport error in a step that publishes nothing: always safe to retry.
pub(crate) fn transport_failure(step: &str, e: &impl http::TransportError) -> Failure {
    Failure::transient(format!("{step}: {}", e.describe()))
}

/// A transport error while publishing: if the request may have arrived, the outcome is unknown.
pub(crate) fn publish_transport_failure(network: &str, e: &impl http::TransportError) -> Failure {
    match e.reach() {
        Reach::NotSent => Failure::transient(format!("{network}: {}", e.describe())),
        Reach::MaybeReceived => Failure::new(
            FailureKind::OutcomeUnknown,
            format!("{network}: {} — the post may or may not be live", e.describe()),
        ),
    }
}

/// Shortens a platform's error text for a message, on a char boundary.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    #[test]
    fn the_registry_gives_each_kind_its_own_network() {
        let registry = Registry::default();
        for (i, kind) in NetworkKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "ALL is in the enum's order, so a kind indexes the registry");
            let network = registry.get(kind);
            assert_eq!(network.kind(), kind, "{kind:?}");
            let targets = network.targets();
            assert!(targets.contains(&network.target()), "{kind:?}'s target is one of its rows");
            assert!(network.story_target().is_none_or(|t| targets.contains(&t)), "{kind:?}'s story is one of its rows");
            assert!(!network.link_fields().is_empty() && !network.link_about().is_empty(), "{kind:?} can be linked");
        }
        let ids: Vec<&str> = targets().iter().map(|t| t.id()).collect();
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "each row of the profiles table is one network's: {ids:?}");
    }
}
