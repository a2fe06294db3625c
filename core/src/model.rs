//! The domain's nouns: accounts, posts with their media, and one delivery per (post, account).
//! Ids are UUID v7, so they sort by creation time. These types carry no serialization for
//! transport: the CLI and the desktop shell map them at their own edge.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use uuid::Uuid;

use crate::clock::Timestamp;
use crate::error::Error;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }
    };
}

id_type!(
    /// A linked account.
    AccountId
);
id_type!(
    /// A post: one text with its media, shared to one or more accounts.
    PostId
);
id_type!(
    /// One post on its way to one account. Also the Mastodon `Idempotency-Key`.
    DeliveryId
);

/// An approved message template of a messaging account's business, as the composer offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateInfo {
    pub name: String,
    pub language: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: String,
    /// A media header: the post's first file of that kind goes there.
    pub header: Option<HeaderKind>,
    /// The body's wording, with `{{1}}`, `{{2}}`… where the values go.
    pub body: String,
    /// How many values the body takes.
    pub params: usize,
}

pub use crate::kinds::NetworkKind;

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NetworkKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
            Error::invalid(format!("unknown network '{s}' (known: {})", known.join(", ")))
        })
    }
}

/// How an account can be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// The platform refused the credentials: the user must reconnect. Its deliveries wait.
    NeedsReconnect,
    /// The platform asked us to slow down; deliveries wait until `paused_until`.
    RateLimited,
    /// The platform blocked the account for policy reasons.
    Blocked,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NeedsReconnect => "needs_reconnect",
            Self::RateLimited => "rate_limited",
            Self::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Ok, Self::NeedsReconnect, Self::RateLimited, Self::Blocked].into_iter().find(|h| h.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub network: NetworkKind,
    pub name: String,
    /// Where the API lives: a Mastodon server's base URL, or a Discord webhook's URL without
    /// its token (the token is the secret).
    pub endpoint: String,
    /// The remote identity: `@user@server`, or the webhook's id.
    pub remote_id: Option<String>,
    pub enabled: bool,
    /// Served by the local sandbox; labelled as such everywhere.
    pub demo: bool,
    pub health: Health,
    pub health_detail: Option<String>,
    pub paused_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// What the user chose for this account (not facts from the platform).
    pub options: AccountOptions,
}

/// Per-account settings, kept as JSON beside the account.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct AccountOptions {
    /// Instagram and Threads fetch media from a public URL: where Fanout puts it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_host: Option<MediaHost>,
    /// The Facebook Page an Instagram account is published through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    /// The WhatsApp Business Account a phone number belongs to: where its templates live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_account_id: Option<String>,
}

/// Where media goes to be fetched by a platform that only takes public URLs: for Instagram and
/// Threads each file is removed once the post is published; a team chat shows its pictures from
/// there, so they stay (at the bucket's public address).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaHost {
    /// An unpublished photo (or video) on the linked Facebook Page, by its CDN address.
    FacebookPage { page_id: String },
    /// An S3-compatible bucket, by presigned addresses; the secret key is in the secret store
    /// under `media_host_secret_key`.
    S3 {
        endpoint: String,
        bucket: String,
        region: String,
        access_key_id: String,
        path_style: bool,
        /// Where anyone can read the bucket's files (a public bucket's address, a CDN, R2's
        /// public domain): files are linked there, for good, instead of by presigned addresses
        /// that expire.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_url: Option<String>,
    },
}

impl Account {
    /// The key of this account's secret in the secret store.
    pub fn secret_key(&self) -> String {
        secret_key(self.id)
    }
}

pub fn secret_key(id: AccountId) -> String {
    format!("account:{id}")
}

/// The key of the secret of the account's media host (an S3 secret key), if it has one.
pub fn media_host_secret_key(id: AccountId) -> String {
    format!("account:{id}:media-host")
}

/// A media file copied into the app's data folder, named by its content hash.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRef {
    pub sha256: String,
    pub path: PathBuf,
    pub mime: String,
    pub bytes: u64,
    /// The name the user's file had, for display and for multipart file names.
    pub file_name: String,
    /// The description for people who cannot see it, sent where the platform takes one.
    pub alt_text: Option<String>,
    /// The point to keep in view when a target crops the image.
    pub focus: Option<crate::media::Focus>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: PostId,
    pub text: String,
    pub media: Vec<MediaRef>,
    pub created_at: Timestamp,
    pub scheduled_at: Option<Timestamp>,
    /// Targets that get their own text instead of `text`.
    pub texts: Vec<(AccountId, String)>,
    /// Images go out as full-screen 9:16 stories: padded, never cropped.
    pub story: bool,
    /// WhatsApp targets that send an approved template instead of the text.
    pub templates: Vec<(AccountId, Template)>,
    /// Instagram targets that add a comment under the post once it is live.
    pub first_comments: Vec<(AccountId, String)>,
    /// Targets that get the files in their own order: positions in `media`, a permutation.
    pub orders: Vec<(AccountId, Vec<usize>)>,
}

impl Post {
    /// The text `account` gets: its own where the user wrote one, else the post's.
    pub fn text_for(&self, account: AccountId) -> &str {
        self.texts.iter().find(|(a, _)| *a == account).map_or(self.text.as_str(), |(_, t)| t.as_str())
    }

    /// The comment `account` adds under the post once it is live, where the user wrote one.
    pub fn first_comment_for(&self, account: AccountId) -> Option<&str> {
        self.first_comments.iter().find(|(a, _)| *a == account).map(|(_, t)| t.as_str())
    }

    /// The template `account` sends, where the user picked one.
    pub fn template_for(&self, account: AccountId) -> Option<&Template> {
        self.templates.iter().find(|(a, _)| *a == account).map(|(_, t)| t)
    }

    /// The files `account` gets, in its own order where the user gave one.
    pub fn media_for(&self, account: AccountId) -> Vec<MediaRef> {
        match self.orders.iter().find(|(a, _)| *a == account) {
            Some((_, order)) => order.iter().filter_map(|&i| self.media.get(i).cloned()).collect(),
            None => self.media.clone(),
        }
    }
}

/// True when `order` names each of `0..len` exactly once.
pub fn is_permutation(order: &[usize], len: usize) -> bool {
    let mut seen = vec![false; len];
    order.len() == len && order.iter().all(|&i| i < len && !std::mem::replace(&mut seen[i], true))
}

/// An approved WhatsApp message template, as picked for one post: the only kind of message that
/// reaches someone who has not written to the business in the last 24 hours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub name: String,
    /// The template's language code, e.g. `en_US`.
    pub language: String,
    /// The body's `{{1}}`, `{{2}}`… in order.
    #[serde(default)]
    pub params: Vec<String>,
    /// A media header the template has: the post's first file of that kind goes there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderKind {
    Image,
    Video,
    Document,
}

impl HeaderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
        }
    }
}

id_type!(
    /// A draft the composer keeps in the data folder.
    DraftId
);

id_type!(
    /// A saved list of WhatsApp recipients.
    ListId
);

/// People who agreed to get WhatsApp messages from one business number.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientList {
    pub id: ListId,
    pub account_id: AccountId,
    pub name: String,
    pub members: Vec<Member>,
    pub created_at: Timestamp,
}

/// Someone on a recipient list, with when the user recorded their opt-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub recipient: Recipient,
    pub opted_in_at: Timestamp,
}

/// One person a WhatsApp delivery goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// E.164 with its `+`: `+31612345678`.
    pub phone: String,
    pub name: Option<String>,
}

impl Recipient {
    /// "Ann (+31612345678)" or the number alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.phone),
            None => self.phone.clone(),
        }
    }
}

/// A phone number in E.164 (`+` and 8 to 15 digits), from what people type: spaces, dashes,
/// dots and brackets are dropped, a leading `00` is read as `+`. A number without its country
/// code is refused: WhatsApp cannot guess it.
pub fn phone_number(input: &str) -> Result<String, Error> {
    let trimmed = input.trim();
    let rest = if let Some(rest) = trimmed.strip_prefix('+') {
        rest
    } else if let Some(rest) = trimmed.strip_prefix("00") {
        rest
    } else {
        return Err(Error::invalid(format!(
            "'{trimmed}' has no country code; write it in international form, such as +31 6 1234 5678"
        )));
    };
    // "+31 (0)6 …": the bracketed 0 is dialled only within the country.
    let rest = rest.replacen("(0)", "", 1);
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => {
                return Err(Error::invalid(format!("'{trimmed}' is not a phone number: '{c}' is not a digit")));
            }
        }
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(Error::invalid(format!(
            "'{trimmed}' is not a phone number in international form (a country code and 8 to 15 digits in all)"
        )));
    }
    Ok(format!("+{digits}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    Queued,
    Running,
    Sent,
    RetryWait,
    NeedsAttention,
    Unconfirmed,
    Failed,
    Cancelled,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 8] = [
        Self::Queued,
        Self::Running,
        Self::Sent,
        Self::RetryWait,
        Self::NeedsAttention,
        Self::Unconfirmed,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Sent => "sent",
            Self::RetryWait => "retry_wait",
            Self::NeedsAttention => "needs_attention",
            Self::Unconfirmed => "unconfirmed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Sent, failed or cancelled: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sent | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The classes every network failure is sorted into; they decide the next state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Network error, 5xx, a malformed answer: back off and try again.
    Transient,
    /// Told to slow down: back off at least as long as the platform said.
    RateLimited,
    /// Credentials refused: the account needs reconnecting; never retried by itself.
    Unauthorized,
    /// The platform refused this post (validation, permission, policy): needs the user.
    Rejected,
    /// The publish request may have reached the platform and the answer was lost.
    OutcomeUnknown,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transient => "transient",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::Rejected => "rejected",
            Self::OutcomeUnknown => "outcome_unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Transient, Self::RateLimited, Self::Unauthorized, Self::Rejected, Self::OutcomeUnknown]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryError {
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub post_id: PostId,
    pub account_id: AccountId,
    /// The one person a WhatsApp delivery messages; `None` for a post to an account.
    pub recipient: Option<Recipient>,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    /// Set just before the publish request is sent: from then on the outcome must be
    /// reconciled, never assumed.
    pub publish_started_at: Option<Timestamp>,
    /// The network's step results so far (media ids …), JSON.
    pub checkpoint: serde_json::Value,
    pub last_error: Option<DeliveryError>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A failed network step, already sorted into a kind. The message is for people: it says what the
/// platform answered, never a token or a URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// The platform's own "try again after" (Retry-After, rate-limit reset): a floor for backoff.
    pub retry_after: Option<std::time::Duration>,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), retry_after: None }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Transient, message)
    }

    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Rejected, message)
    }

    /// The wait the platform asked for, capped at `MAX_RETRY_HINT`: every network's hint passes
    /// here, so one absurd answer (`retry_after: 1e9`) cannot park an account for decades.
    pub fn with_retry_after(mut self, after: Option<std::time::Duration>) -> Self {
        self.retry_after = after.map(cap_retry_hint);
        self
    }
}

/// The longest wait a platform's hint may impose (a day: no platform's real limits ask for more).
pub const MAX_RETRY_HINT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A platform's wait hint, at most `MAX_RETRY_HINT`.
pub fn cap_retry_hint(hint: std::time::Duration) -> std::time::Duration {
    hint.min(MAX_RETRY_HINT)
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the remote side says about a publish whose outcome was lost.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciled {
    /// It is live: record it as sent, never publish again.
    Published { remote_id: String, url: Option<String> },
    /// It is certainly not live: publishing again is safe.
    NotPublished,
    /// The platform offers no way to tell: the user decides (`fanout resolve`).
    Unknown(String),
}

/// What a successful publish produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub remote_id: String,
    pub url: Option<String>,
}
