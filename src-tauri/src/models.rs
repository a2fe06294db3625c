//! Transport types: what crosses IPC, camelCase, with TypeScript generated from them. Domain types
//! stay plain in core; these are built from them here and nowhere else. Times are milliseconds
//! since the Unix epoch as JavaScript numbers.

use fanout_core::model::Account;
use fanout_core::plan::{PlannedFile, TargetPlan};
use fanout_core::store::deliveries::OutboxRow;
use serde::{Deserialize, Serialize};

/// Where account secrets are kept, for the UI to word: `keychain` (and which) or `file` (and its path).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreView {
    pub kind: String,
    pub place: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    /// Where the database, media and settings live.
    pub data_dir: String,
    /// Where account secrets are kept.
    pub secret_store: SecretStoreView,
    /// Whether delivery is paused from the tray or the outbox.
    pub paused: bool,
    /// Why delivery cannot go on by itself right now (the database busy or full…), while it
    /// waits to try again; `None` while it delivers.
    pub delivery_trouble: Option<String>,
    /// The in-process sandbox serving the demo accounts, when it runs.
    pub demo_server: Option<String>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// `system`, `light` or `dark`.
    pub theme: String,
    /// A BCP 47 tag (`en`, `nl`), or `system` for the OS language.
    pub locale: String,
    pub start_at_login: bool,
    /// Accelerator of the quick-share shortcut, e.g. `CommandOrControl+Shift+Space`; empty: none.
    pub shortcut: String,
    pub notify_failures: bool,
    pub notify_sent: bool,
    /// Set once the user has chosen demo accounts or their own in the first-launch welcome.
    pub onboarded: bool,
    /// Set once the demo's tour has been closed.
    #[serde(default)]
    pub tour_done: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: "system".into(),
            locale: "system".into(),
            start_at_login: false,
            shortcut: "CommandOrControl+Shift+Space".into(),
            notify_failures: true,
            notify_sent: true,
            onboarded: false,
            tour_done: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: String,
    /// `mastodon`, `discord`.
    pub network: String,
    pub network_name: String,
    pub name: String,
    pub remote_id: Option<String>,
    pub enabled: bool,
    pub demo: bool,
    /// `ok`, `needs_reconnect`, `rate_limited`, `blocked`.
    pub health: String,
    pub health_detail: Option<String>,
    pub paused_until: Option<f64>,
    /// When its token expires (ms since 1970), where Meta says it does (`debug_token`).
    pub token_expires_at: Option<f64>,
    /// `fanout-media:` URL of its profile picture, where the platform gave one.
    pub picture: Option<String>,
    /// How people know it on the network (`@name`, a phone number); none where it has no such
    /// name. Shown instead of `remote_id`, an internal id.
    pub handle: Option<String>,
    /// What its network offers beyond text and media; the views ask this, not the network.
    pub features: FeaturesView,
}

/// What a network offers beyond text and media (core's `networks::Features`).
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FeaturesView {
    /// Messages people one by one from recipient lists, with templates (WhatsApp).
    pub messaging: bool,
    /// A first comment under the post, up to this many characters.
    pub first_comment: Option<u32>,
    /// A 24-hour publishing quota the platform reports.
    pub publishing_quota: bool,
}

impl From<fanout_core::networks::Features> for FeaturesView {
    fn from(f: fanout_core::networks::Features) -> Self {
        Self {
            messaging: f.messaging,
            first_comment: f.first_comment.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            publishing_quota: f.publishing_quota,
        }
    }
}

impl AccountView {
    /// With what the platform said at link time: its handle and the token's expiry.
    pub fn with_facts(accounts: &fanout_core::accounts::Accounts, account: &Account) -> fanout_core::Result<Self> {
        let facts = accounts.cached_facts(account)?;
        let expires = facts.as_ref().and_then(|f| f.get("token_expires_at")).and_then(serde_json::Value::as_i64);
        Ok(Self {
            token_expires_at: expires.map(|s| (s * 1000) as f64),
            handle: accounts.handle(account)?,
            ..Self::from(account)
        })
    }
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.to_string(),
            network: a.network.as_str().to_owned(),
            network_name: a.network.display_name().to_owned(),
            name: a.name.clone(),
            remote_id: a.remote_id.clone(),
            enabled: a.enabled,
            demo: a.demo,
            health: a.health.as_str().to_owned(),
            health_detail: a.health_detail.clone(),
            paused_until: a.paused_until.map(|t| t.0 as f64),
            token_expires_at: None,
            handle: None,
            picture: None,
            features: a.network.features().into(),
        }
    }
}

/// An S3-compatible bucket for media a platform fetches by address (Instagram, Threads) or shows
/// from its public address (team chats). The secret key leaves the page for the secret store.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BucketRequest {
    pub endpoint: String,
    pub bucket: String,
    pub region: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub path_style: bool,
    /// Where anyone can read the bucket's files; a team chat needs it.
    pub public_url: Option<String>,
}

impl BucketRequest {
    pub fn host(self) -> fanout_core::accounts::BucketHost {
        fanout_core::accounts::BucketHost {
            endpoint: self.endpoint,
            bucket: self.bucket,
            region: self.region.unwrap_or_default(),
            access_key_id: self.access_key_id,
            secret_access_key: fanout_core::secrets::Secret::new(self.secret_access_key),
            path_style: self.path_style,
            public_url: self.public_url.filter(|u| !u.trim().is_empty()),
        }
    }
}

/// What the user links: the network (its id), the values of its form by field key, a bucket
/// where its form has one, and a name of the user's choosing.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequest {
    pub network: String,
    pub values: std::collections::BTreeMap<String, String>,
    pub bucket: Option<BucketRequest>,
    pub name: Option<String>,
}

/// A network's form for linking an account, as core describes it (`Network::link_fields`).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LinkFormView {
    /// The network's id (`telegram`): the app words the form under `link.<network>.…`.
    pub network: String,
    /// What kind of account it is, in English (where the app has no words of its own).
    pub network_name: String,
    pub fields: Vec<LinkFieldView>,
}

/// One value a form asks for; fields only a test or a sign-in sets are left out.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LinkFieldView {
    /// Its key in [`LinkRequest::values`] and in the app's words (`link.<network>.<key>`).
    pub key: String,
    pub kind: LinkFieldKind,
    pub required: bool,
    /// What it is, in English (where the app has no words of its own).
    pub label: String,
    /// What a value looks like: the placeholder.
    pub example: Option<String>,
    /// Typed as digits.
    pub numeric: bool,
    /// One of several ways to sign in: the form offers the ways to choose from and sends the
    /// chosen way's fields only.
    pub way: Option<String>,
}

/// A network as the app shows it, from core's registry: its form, its look and the demo account
/// the sandbox serves for it beyond the first ones. Generated into `ui/src/lib/networks.json`,
/// which the UI imports (icons, avatars, previews, the demo), so adding a network changes no
/// component.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NetworkView {
    #[serde(flatten)]
    pub form: LinkFormView,
    pub look: LookView,
    /// The name of its demo account offered by "More demo accounts" ("Demo Telegram").
    pub demo: Option<String>,
}

/// See `fanout_core::networks::Look`.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LookView {
    pub color: String,
    pub logo: Option<String>,
    pub logo_color: String,
    pub accent: Option<String>,
    pub chat: bool,
    pub carousel: bool,
    pub media_first: bool,
    pub link_card: bool,
    pub compact_card: bool,
    pub fold_at: Option<u32>,
    pub link_length: Option<u32>,
}

// Only the bindings test makes these: the UI imports them as a generated file.
#[cfg(test)]
impl NetworkView {
    pub fn of(network: &dyn fanout_core::networks::Network, demo: Option<String>) -> Self {
        let look = network.look();
        Self {
            form: LinkFormView::of(network),
            look: LookView {
                color: look.color.to_owned(),
                logo: look.logo.map(str::to_owned),
                logo_color: look.logo_color.to_owned(),
                accent: look.accent.map(str::to_owned),
                chat: look.chat,
                carousel: look.carousel,
                media_first: look.media_first,
                link_card: look.link_card,
                compact_card: look.compact_card,
                fold_at: look.fold_at,
                link_length: look.link_length,
            },
            demo,
        }
    }
}

/// How a form asks for a value.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum LinkFieldKind {
    Text,
    Address,
    /// Typed unseen, cleared once linked.
    Secret,
    /// The bucket's fields, for media the platform fetches by address.
    Bucket,
    /// The bucket's fields with its public address, which the network shows files from.
    PublicBucket,
}

impl LinkFormView {
    pub fn of(network: &dyn fanout_core::networks::Network) -> Self {
        use fanout_core::networks::link::FieldKind;
        let kind = network.kind();
        let fields = network
            .link_fields()
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| LinkFieldView {
                key: f.key.to_owned(),
                kind: match f.kind {
                    FieldKind::Text => LinkFieldKind::Text,
                    FieldKind::Address => LinkFieldKind::Address,
                    FieldKind::Secret => LinkFieldKind::Secret,
                    FieldKind::Bucket { public: false } => LinkFieldKind::Bucket,
                    FieldKind::Bucket { public: true } => LinkFieldKind::PublicBucket,
                },
                required: f.required,
                label: f.label.to_owned(),
                example: f.example.map(str::to_owned),
                numeric: f.numeric,
                way: f.way.map(str::to_owned),
            })
            .collect();
        Self { network: kind.as_str().to_owned(), network_name: kind.display_name().to_owned(), fields }
    }
}

/// How much of its 24-hour publishing quota an Instagram or Threads account has used.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct QuotaView {
    pub used: u32,
    pub total: u32,
}

/// A WhatsApp recipient list and who is on it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipientListView {
    pub id: String,
    pub name: String,
    pub members: Vec<RecipientView>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipientView {
    /// E.164: `+31612345678`.
    pub phone: String,
    pub name: Option<String>,
    /// When the user confirmed this person opted in (ms since 1970).
    pub opted_in_at: f64,
}

impl From<&fanout_core::model::RecipientList> for RecipientListView {
    fn from(l: &fanout_core::model::RecipientList) -> Self {
        Self {
            id: l.id.to_string(),
            name: l.name.clone(),
            members: l
                .members
                .iter()
                .map(|m| RecipientView {
                    phone: m.recipient.phone.clone(),
                    name: m.recipient.name.clone(),
                    opted_in_at: m.opted_in_at.0 as f64,
                })
                .collect(),
        }
    }
}

/// An approved WhatsApp template, as the composer offers it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TemplateView {
    pub name: String,
    pub language: String,
    pub category: String,
    /// `image`, `video` or `document`: the post's first such file goes at its top.
    pub header: Option<String>,
    /// The wording, with `{{1}}`… where the values go.
    pub body: String,
    pub params: u32,
}

impl From<&fanout_core::model::TemplateInfo> for TemplateView {
    fn from(t: &fanout_core::model::TemplateInfo) -> Self {
        Self {
            name: t.name.clone(),
            language: t.language.clone(),
            category: t.category.clone(),
            header: t.header.map(|h| h.as_str().to_owned()),
            body: t.body.clone(),
            params: u32::try_from(t.params).unwrap_or(0),
        }
    }
}

/// What a WhatsApp target of a draft sends, and to whom.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MessagingInput {
    pub account_id: String,
    /// The recipient list's id.
    pub list: Option<String>,
    /// An approved template instead of the text.
    pub template: Option<TemplateInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TemplateInput {
    pub name: String,
    pub language: String,
    pub params: Vec<String>,
    /// `image`, `video` or `document`.
    pub header: Option<String>,
}

/// What a Meta login linked: each account (disabled until the user enables it) and what was
/// skipped, with why.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MetaLinked {
    pub user_name: String,
    pub linked: Vec<AccountView>,
    pub skipped: Vec<String>,
}

/// A hand-off done: which app opened, what the user should know, how many files to attach.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HandoffView {
    pub app: String,
    pub notes: Vec<String>,
    pub files: u32,
}

/// One permission the Meta app must ask for, and why Fanout needs it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MetaPermission {
    pub name: String,
    pub why: String,
}

/// A file attached in the composer, known to the UI only by its opaque id.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MediaView {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub bytes: f64,
    /// `fanout-media:` URL of a small preview (images only).
    pub thumbnail: Option<String>,
}

impl From<&fanout_core::attachments::Attachment> for MediaView {
    fn from(a: &fanout_core::attachments::Attachment) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            mime: a.file.mime.to_owned(),
            bytes: a.file.bytes as f64,
            thumbnail: a.file.mime.starts_with("image/").then(|| crate::addresses::url(&format!("thumb/{}", a.id))),
        }
    }
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftInput {
    pub text: String,
    /// The attachments, in order.
    pub media: Vec<DraftMedia>,
    /// Account ids.
    pub targets: Vec<String>,
    /// Targets with their own text instead of `text`.
    pub texts: Vec<TargetText>,
    /// Images as full-screen 9:16 stories.
    pub story: bool,
    /// Share it even where the same post went to an account in the last week.
    #[serde(default)]
    pub again: bool,
    /// When to send; none: now.
    pub scheduled_at: Option<f64>,
    /// The WhatsApp targets' recipient lists and templates.
    #[serde(default)]
    pub messaging: Vec<MessagingInput>,
    /// Instagram targets' comments, added under the post once it is live.
    #[serde(default)]
    pub first_comments: Vec<TargetText>,
    /// The post this draft edits (it is not "the same post sent before").
    #[serde(default)]
    pub replaces: Option<String>,
    /// Targets that get the files in their own order.
    #[serde(default)]
    pub orders: Vec<MediaOrder>,
}

/// A target's own order of the files: positions in the list of files it comes with, each once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MediaOrder {
    pub account_id: String,
    pub positions: Vec<u32>,
}

impl MediaOrder {
    pub fn to_core(orders: &[MediaOrder]) -> Vec<(String, Vec<usize>)> {
        orders.iter().map(|o| (o.account_id.clone(), o.positions.iter().map(|&p| p as usize).collect())).collect()
    }

    /// Orders of files of which only some came back: `kept[i]` is where file `i` is now, none
    /// when it is gone. An order that comes out as the shared one is left out.
    pub fn from_core<'a>(
        orders: impl IntoIterator<Item = (&'a String, &'a Vec<usize>)>,
        kept: &[Option<usize>],
    ) -> Vec<MediaOrder> {
        orders
            .into_iter()
            .map(|(account, order)| MediaOrder {
                account_id: account.clone(),
                positions: order.iter().filter_map(|&i| kept.get(i).copied().flatten()).map(|p| p as u32).collect(),
            })
            .filter(|o| o.positions.iter().enumerate().any(|(i, &p)| i as u32 != p))
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftMedia {
    /// From `pick_media`, `attach_bytes` or a drop.
    pub id: String,
    pub alt_text: Option<String>,
    /// The point to keep in view when cropping, 0..1 from the left and from the top.
    pub focus_x: Option<f64>,
    pub focus_y: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TargetText {
    pub account_id: String,
    pub text: String,
}

/// A target's problem: `code` and `values` for the UI to word (see `fanout_core::plan::Problem`),
/// and the English `message` and `fix` where it has no words of its own.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProblemView {
    pub code: String,
    pub values: std::collections::BTreeMap<String, String>,
    pub message: String,
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlannedFileView {
    /// The attachment this file is made from.
    pub media_id: Option<String>,
    pub mime: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bytes: f64,
    /// What the preparation changed ("cropped to 4:5", "metadata removed").
    pub changes: Vec<String>,
    /// `fanout-media:` URL of exactly what this target will get (images).
    pub preview: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TargetPlanView {
    pub account: AccountView,
    pub text_length: u32,
    /// 0: no limit.
    pub text_limit: u32,
    pub text_unit: String,
    /// In Story mode, whether this target makes a story (it carries no text); false where the
    /// network has no stories and gets an ordinary post.
    pub story: bool,
    pub problems: Vec<ProblemView>,
    pub files: Vec<PlannedFileView>,
}

/// A problem of the whole post, for the UI to word: `code` is `no_targets`, `unknown_account`,
/// `disabled`, `needs_reconnect`, `empty`, `media` (with `detail` naming the file and why) or
/// `past_schedule`.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftProblemView {
    pub code: String,
    pub account: Option<String>,
    pub detail: Option<String>,
}

impl From<&fanout_core::post::DraftProblem> for DraftProblemView {
    fn from(p: &fanout_core::post::DraftProblem) -> Self {
        use fanout_core::post::DraftProblem as P;
        let (account, detail) = match p {
            P::UnknownAccount(a) | P::Disabled(a) | P::NotMessaging(a) | P::NoComments(a) => (Some(a.clone()), None),
            P::MediaOrder { account, files } => (Some(account.clone()), Some(files.to_string())),
            P::NeedsReconnect { account, detail } => (Some(account.clone()), detail.clone()),
            P::Media(message) => (None, Some(message.clone())),
            P::PastSchedule(at) | P::FarSchedule(at) => (None, Some(at.to_rfc3339())),
            P::Duplicate { account, at } => (Some(account.clone()), Some(at.to_rfc3339())),
            P::NoTargets | P::Empty => (None, None),
        };
        Self { code: p.code().to_owned(), account, detail }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    /// Problems of the whole post (empty, no target, a time in the past…).
    pub problems: Vec<DraftProblemView>,
    pub targets: Vec<TargetPlanView>,
    /// Nothing blocks sending.
    pub ready: bool,
}

impl TargetPlanView {
    pub fn new(
        account: &Account,
        plan: &TargetPlan,
        story: bool,
        file_view: impl Fn(&PlannedFile) -> PlannedFileView,
    ) -> Self {
        Self {
            story,
            account: AccountView::from(account),
            text_length: u32::try_from(plan.text_length).unwrap_or(u32::MAX),
            text_limit: u32::try_from(plan.text_limit).unwrap_or(u32::MAX),
            text_unit: plan.text_unit.to_owned(),
            problems: plan
                .problems
                .iter()
                .map(|p| ProblemView {
                    code: p.code.to_owned(),
                    values: p.values.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
                    message: p.message.clone(),
                    fix: p.fix.clone(),
                })
                .collect(),
            files: plan.files.iter().map(file_view).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ShareResult {
    pub post_id: String,
    pub deliveries: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: String,
    pub post_id: String,
    pub account_id: String,
    pub account_name: String,
    /// The person a WhatsApp delivery messages: "Ann (+31612345678)".
    pub recipient: Option<String>,
    pub network: String,
    pub demo: bool,
    /// `queued`, `running`, `sent`, `retry_wait`, `needs_attention`, `unconfirmed`, `failed`,
    /// `cancelled`.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: f64,
    /// The last failure: its kind (`transient`, `rate_limited`, `unauthorized`, `rejected`,
    /// `outcome_unknown`) and what the platform said.
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub remote_url: Option<String>,
    /// While running: the step it is at — `upload` (with `progressN` of `progressTotal`) or `publish`.
    pub progress: Option<String>,
    pub progress_n: Option<u32>,
    pub progress_total: Option<u32>,
    pub post_text: String,
    pub media_count: u32,
    pub scheduled_at: Option<f64>,
    pub created_at: f64,
    pub updated_at: f64,
}

impl From<&OutboxRow> for DeliveryView {
    fn from(r: &OutboxRow) -> Self {
        let d = &r.delivery;
        Self {
            id: d.id.to_string(),
            post_id: d.post_id.to_string(),
            account_id: d.account_id.to_string(),
            account_name: r.account_name.clone(),
            recipient: d.recipient.as_ref().map(fanout_core::model::Recipient::label),
            network: r.network.as_str().to_owned(),
            demo: r.demo,
            state: d.state.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.0 as f64,
            error_kind: d.last_error.as_ref().map(|e| e.kind.as_str().to_owned()),
            error: d.last_error.as_ref().map(|e| e.message.clone()),
            remote_url: d.remote_url.clone(),
            progress: None,
            progress_n: None,
            progress_total: None,
            post_text: r.post_text.clone(),
            media_count: r.media_count,
            scheduled_at: r.scheduled_at.map(|t| t.0 as f64),
            created_at: d.created_at.0 as f64,
            updated_at: d.updated_at.0 as f64,
        }
    }
}

impl DeliveryView {
    /// With the step a running delivery reached, from its event log.
    pub fn with_step(mut self, step: Option<fanout_core::outbox::Step>) -> Self {
        use fanout_core::outbox::Step;
        if self.state != "running" {
            return self;
        }
        match step {
            Some(Step::Upload { n, total }) => {
                self.progress = Some("upload".into());
                self.progress_n = u32::try_from(n).ok();
                self.progress_total = u32::try_from(total).ok();
            }
            Some(Step::Publish) => self.progress = Some("publish".into()),
            None => {}
        }
        self
    }
}

/// Some deliveries changed state (from this app's worker, the user, or another process).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct OutboxChanged {
    pub deliveries: Vec<DeliveryView>,
}

/// Files were dropped on this window or handed over by a second launch: the window takes them
/// with `take_received_media` (also when it opens, so none is lost to a window still loading).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct MediaWaiting {}

/// Files received for a window: attached, and the problems of those that could not be.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MediaReceived {
    pub media: Vec<MediaView>,
    /// Problems with files that could not be attached, one per file.
    pub problems: Vec<String>,
}

/// Delivery was paused or resumed (from the tray or a window).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPaused {
    pub paused: bool,
}

/// Delivery stopped by a local fault and waiting to try again by itself (`reason`), or going
/// again (`None`).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryTrouble {
    pub reason: Option<String>,
}

/// Which view a window should show (the tray's "latest failures" opens the outbox).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct Navigate {
    pub view: String,
}

/// Text for the quick-share window (the tray's "Share clipboard").
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct QuickShareText {
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    pub search: Option<String>,
    pub account_id: Option<String>,
    pub limit: Option<u32>,
}

/// The composer as a draft keeps it, besides its files.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct ComposerState {
    pub text: String,
    /// Account ids.
    pub targets: Vec<String>,
    pub texts: Vec<TargetText>,
    pub first_comments: Vec<TargetText>,
    pub story: bool,
    /// Scheduled rather than shared at once.
    pub later: bool,
    /// The time picked, ms since the epoch; kept while "now" is chosen too.
    pub scheduled_at: Option<f64>,
    pub messaging: Vec<MessagingInput>,
    /// Targets' own orders of the draft's files.
    pub orders: Vec<MediaOrder>,
}

impl ComposerState {
    pub fn into_content(self) -> fanout_core::drafts::Content {
        let pairs = |v: Vec<TargetText>| v.into_iter().map(|t| (t.account_id, t.text)).collect();
        fanout_core::drafts::Content {
            text: self.text,
            targets: self.targets,
            texts: pairs(self.texts),
            first_comments: pairs(self.first_comments),
            story: self.story,
            later: self.later,
            scheduled_at: self.scheduled_at.map(|ms| ms as i64),
            messaging: serde_json::to_value(self.messaging).unwrap_or_default(),
            orders: MediaOrder::to_core(&self.orders).into_iter().collect(),
        }
    }

    /// The composer's state of a draft whose files came back as `kept` says (see
    /// [`MediaOrder::from_core`]).
    pub fn from_content(c: &fanout_core::drafts::Content, kept: &[Option<usize>]) -> Self {
        let pairs = |m: &std::collections::BTreeMap<String, String>| {
            m.iter().map(|(k, v)| TargetText { account_id: k.clone(), text: v.clone() }).collect()
        };
        Self {
            text: c.text.clone(),
            targets: c.targets.clone(),
            texts: pairs(&c.texts),
            first_comments: pairs(&c.first_comments),
            story: c.story,
            later: c.later,
            scheduled_at: c.scheduled_at.map(|ms| ms as f64),
            messaging: serde_json::from_value(c.messaging.clone()).unwrap_or_default(),
            orders: MediaOrder::from_core(&c.orders, kept),
        }
    }
}

/// A draft to keep: a new one when `id` is none.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftSave {
    pub id: Option<String>,
    pub name: String,
    pub state: ComposerState,
    /// The attachments, in order, with their alt text and focus.
    pub media: Vec<DraftMedia>,
}

/// A draft in the Drafts list.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftSummary {
    pub id: String,
    /// The user's name for it, or empty.
    pub name: String,
    /// Its name, or the start of its text.
    pub title: String,
    pub files: u32,
    pub targets: u32,
    pub updated_at: f64,
    /// The time it is to be scheduled for, if "later" was chosen.
    pub scheduled_at: Option<f64>,
}

impl From<&fanout_core::drafts::Draft> for DraftSummary {
    fn from(d: &fanout_core::drafts::Draft) -> Self {
        Self {
            id: d.id.to_string(),
            name: d.name.clone(),
            title: d.title(),
            files: d.media.len() as u32,
            targets: d.content.targets.len() as u32,
            updated_at: d.updated_at.0 as f64,
            scheduled_at: d.content.scheduled_at.filter(|_| d.content.later).map(|ms| ms as f64),
        }
    }
}

/// One file of an opened draft, attached again.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftFileView {
    pub media: MediaView,
    pub alt_text: Option<String>,
    pub focus_x: Option<f64>,
    pub focus_y: Option<f64>,
}

/// An opened draft: the composer's state and its files attached again. A file that could not be
/// attached (deleted from the data folder) is in `missing`, by the name it had.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftView {
    pub id: String,
    pub name: String,
    pub state: ComposerState,
    pub media: Vec<DraftFileView>,
    pub missing: Vec<String>,
}

/// What an edit of a scheduled post did: the edited post's id, its deliveries, and the deliveries
/// that had started or gone out already, left as they were.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EditResult {
    pub post_id: String,
    pub deliveries: Vec<String>,
    pub unchanged: Vec<DeliveryView>,
}

/// A linked page's card, for the composer's previews.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LinkCardView {
    pub url: String,
    /// The site's host name, as a card shows it.
    pub host: String,
    pub title: String,
    pub description: String,
    /// `fanout-media:` URL of the page's picture, fitted small; none when it has none.
    pub image: Option<String>,
}

/// A posting time of the queue: weekdays (1 = Monday … 7 = Sunday), a time of day in a zone,
/// for a set of accounts.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SlotView {
    pub id: String,
    pub days: Vec<u8>,
    /// `HH:MM` on the zone's clock.
    pub time: String,
    pub zone: String,
    /// Account ids.
    pub accounts: Vec<String>,
    /// Its next time, ms since the epoch.
    pub next: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewSlotInput {
    pub days: Vec<u8>,
    pub time: String,
    pub zone: String,
    pub accounts: Vec<String>,
}

/// One time a posting time comes round, with the accounts that already have a post then.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceView {
    pub at: f64,
    pub slot: String,
    pub accounts: Vec<String>,
    pub taken: Vec<String>,
}

/// A post "Add to queue" made: when it goes, and to which accounts.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct QueuedView {
    pub post_id: String,
    pub at: f64,
    pub accounts: Vec<String>,
}

/// The next free posting time of one account.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NextSlotView {
    pub account_id: String,
    pub at: f64,
}
