//! WhatsApp Business Cloud API: a business phone number messaging people who opted in, one
//! delivery per recipient. WhatsApp is a messenger, not a feed: nothing is "posted".
//!
//! A delivery sends one or more messages to its recipient:
//! - with a template (the only kind that reaches someone who has not written to the business in
//!   the last 24 hours): one `template` message, the post's first file of the header's kind in
//!   its media header, the user's values in the body's `{{1}}`, `{{2}}`…;
//! - otherwise free-form: the text, and each file as an image, video or document message (the
//!   text rides as the first file's caption where it fits).
//!
//! Files are uploaded first (`POST /{phone-number-id}/media`), each id checkpointed — and shared
//! with the number's other deliveries by the file's hash for 29 days, so a list gets each file
//! uploaded once; then each
//! message is sent (`POST /{phone-number-id}/messages`) and its `wamid` checkpointed before the
//! next. The Cloud API has no idempotency key and no way to read a sent message back, so a message
//! whose answer was lost cannot be settled by asking: the delivery becomes unconfirmed and the user
//! decides (messages already confirmed are never sent again).
//!
//! An accepted message is not a delivered one: WhatsApp reports delivery (and failures such as
//! 131047, "more than 24 hours since the person last wrote") only to a webhook, and Fanout runs no
//! server. The app says so where the user picks between free-form and a template.

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::graph::{self, Graph};
use super::{Job, Look, Network, StepError, UploadFile, Verified, media_part, publish_transport_failure};
use crate::clock::Timestamp;
use crate::model::{Account, Failure, FailureKind, HeaderKind, NetworkKind, Published, Reconciled, Template};
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "WhatsApp";
/// How long an uploaded file's media id is used again for other recipients (WhatsApp keeps
/// uploaded media for 30 days).
const MEDIA_REUSE: Duration = Duration::from_secs(29 * 24 * 3600);
/// The longest caption an image, video or document message carries: the profiles table's.
pub fn caption_limit() -> usize {
    crate::profiles::profile(crate::profiles::Target::WhatsApp).caption_limit.unwrap_or_default()
}
/// The largest document WhatsApp sends (PLATFORMS.md: 100 MB).
pub const DOCUMENT_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct WhatsApp;

/// One message of a delivery, in the order they are sent.
#[derive(Debug, Clone, PartialEq)]
enum Message {
    Text(String),
    File { index: usize, caption: Option<String> },
    Template(Template),
}

fn media_kind(mime: &str) -> &'static str {
    if mime.starts_with("image/") {
        "image"
    } else if mime.starts_with("video/") {
        "video"
    } else {
        "document"
    }
}

/// How far a delivery got: each file's media id and each message's `wamid`, by index (JSON
/// `{"uploads": […], "sent": […]}`, as earlier versions kept it).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    #[serde(default)]
    uploads: Vec<Option<String>>,
    #[serde(default)]
    sent: Vec<Option<String>>,
}

/// The messages a delivery sends; the same for every attempt, so the checkpoint's `sent` list
/// lines up with it.
fn messages(text: &str, media: &[UploadFile], template: Option<&Template>) -> Vec<Message> {
    if let Some(template) = template {
        return vec![Message::Template(template.clone())];
    }
    let text = text.trim();
    let captioned = !text.is_empty() && text.chars().count() <= caption_limit() && !media.is_empty();
    let mut out = Vec::with_capacity(media.len() + 1);
    if !text.is_empty() && !captioned {
        out.push(Message::Text(text.to_owned()));
    }
    for index in 0..media.len() {
        let caption = (captioned && index == 0).then(|| text.to_owned());
        out.push(Message::File { index, caption });
    }
    out
}

/// The file that goes into a template's media header: the post's first of that kind.
fn header_file(media: &[UploadFile], kind: HeaderKind) -> Option<usize> {
    media.iter().position(|m| media_kind(&m.mime) == kind.as_str())
}

/// A refusal after some of the delivery's messages went out says so: the user must know the
/// person already got part of it.
fn after_some(index: usize, failure: Failure) -> Failure {
    if index == 0 || failure.kind != FailureKind::Rejected {
        return failure;
    }
    let message = format!("{} ({index} earlier message(s) of this share did arrive)", failure.message);
    Failure { message, ..failure }
}

fn phone_id(account: &Account) -> Result<&str, Failure> {
    account
        .remote_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::rejected("the account has no WhatsApp phone number id; link it again"))
}

/// A WhatsApp error body's own detail (`error.error_data.details`), where it gives one.
fn details(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let data = value.get("error")?.get("error_data")?;
    data.get("details").and_then(Value::as_str).or_else(|| data.as_str()).map(|d| super::excerpt(d, 240))
}

/// Sorts a Cloud API error answer: WhatsApp's own codes first, then the Graph table.
pub fn classify(
    step: &str,
    to: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    publishing: bool,
) -> Failure {
    let Some(error) = graph::GraphError::parse(body) else {
        return graph::classify(NAME, step, status, headers, body, publishing);
    };
    let why = details(body).unwrap_or_else(|| super::excerpt(&error.message, 200));
    let what = format!("{why} (WhatsApp error {})", error.code);
    let rejected = |text: String| Failure::rejected(format!("{step}: {text}"));
    let account = |text: String| Failure::new(FailureKind::Unauthorized, format!("{NAME}: {text}"));
    match error.code {
        131_047 => rejected(format!(
            "more than 24 hours have passed since {to} last wrote to you, so only an approved template reaches them ({what}); pick a template and send again"
        )),
        131_026 => rejected(format!(
            "WhatsApp could not deliver to {to}: the number may not use WhatsApp, or they have not accepted its latest terms ({what})"
        )),
        131_030 => rejected(format!(
            "{to} is not among the numbers this test number may message ({what}); add it to the allowed list in your Meta app's WhatsApp API setup"
        )),
        131_021 => rejected(format!("{to} is this business number itself ({what})")),
        131_056 => Failure::new(
            FailureKind::RateLimited,
            format!("{step}: too many messages to {to} in a short time ({what}); it waits a minute"),
        )
        .with_retry_after(Some(Duration::from_secs(60))),
        130_429 => Failure::new(
            FailureKind::RateLimited,
            format!("{step}: this number reached WhatsApp's messages-per-second limit ({what})"),
        )
        .with_retry_after(Some(Duration::from_secs(30))),
        131_048 => Failure::new(
            FailureKind::RateLimited,
            format!("{step}: WhatsApp limits this number because people reported or blocked its messages ({what}); it waits an hour"),
        )
        .with_retry_after(Some(Duration::from_secs(3600))),
        133_010 => account(format!(
            "the business phone number is not registered with the Cloud API ({what}); register it in WhatsApp Manager, then check the account"
        )),
        131_031 => account(format!("WhatsApp locked this business account ({what}); see WhatsApp Manager")),
        131_042 => account(format!(
            "WhatsApp refuses messages until the business account's payment method is fixed ({what}); fix it in WhatsApp Manager"
        )),
        132_000 | 132_012 => rejected(format!(
            "the template's values do not match what it expects ({what}); check the number of values and fill each one"
        )),
        132_001 => rejected(format!(
            "the template does not exist in that language, or is not approved yet ({what}); pick another"
        )),
        132_005 => rejected(format!("the template's text is too long once filled in ({what}); shorten the values")),
        132_007 => rejected(format!("WhatsApp refused the template's wording ({what})")),
        132_015 | 132_016 => rejected(format!(
            "the template is paused or disabled for low quality ({what}); pick another or edit it in WhatsApp Manager"
        )),
        131_051 => rejected(format!("WhatsApp does not take this kind of message ({what})")),
        131_052 | 131_053 => rejected(format!("WhatsApp could not take the file ({what}); check its type and size")),
        131_008 | 131_009 => rejected(format!("WhatsApp refused a value ({what})")),
        _ => graph::classify(NAME, step, status, headers, body, publishing),
    }
}

pub use crate::model::TemplateInfo;

/// How many `{{n}}` placeholders a template body has.
pub fn placeholders(body: &str) -> usize {
    (1..=99).take_while(|n| body.contains(&format!("{{{{{n}}}}}"))).count()
}

/// The business account's approved templates, by name.
pub async fn templates(
    http: &reqwest::Client,
    account: &Account,
    secret: &Secret,
) -> Result<Vec<TemplateInfo>, Failure> {
    let g = Graph::new(NAME, http, &account.endpoint, secret);
    let business =
        account.options.business_account_id.as_deref().ok_or_else(|| {
            Failure::rejected("the account has no WhatsApp Business Account id; link it again with it")
        })?;
    let path = format!(
        "{business}/message_templates?status=APPROVED&fields=name,language,status,category,components&limit=100"
    );
    let answer = g.call("reading the approved templates", g.get(&path)).await?;
    let mut list: Vec<TemplateInfo> = answer
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| t.get("status").and_then(Value::as_str).is_none_or(|s| s == "APPROVED"))
        .filter_map(|t| {
            let components = t.get("components").and_then(Value::as_array).cloned().unwrap_or_default();
            let part = |kind: &str| {
                components
                    .iter()
                    .find(|c| c.get("type").and_then(Value::as_str).is_some_and(|k| k.eq_ignore_ascii_case(kind)))
            };
            let body = part("BODY").and_then(|b| b.get("text")).and_then(Value::as_str).unwrap_or("").to_owned();
            let header = match part("HEADER").and_then(|h| h.get("format")).and_then(Value::as_str) {
                Some("IMAGE") => Some(HeaderKind::Image),
                Some("VIDEO") => Some(HeaderKind::Video),
                Some("DOCUMENT") => Some(HeaderKind::Document),
                _ => None,
            };
            Some(TemplateInfo {
                name: t.get("name").and_then(Value::as_str)?.to_owned(),
                language: t.get("language").and_then(Value::as_str).unwrap_or("en_US").to_owned(),
                category: t.get("category").and_then(Value::as_str).unwrap_or("").to_owned(),
                header,
                params: placeholders(&body),
                body,
            })
        })
        .collect();
    list.sort_by(|a, b| (&a.name, &a.language).cmp(&(&b.name, &b.language)));
    Ok(list)
}

impl WhatsApp {
    /// Sends a request that publishes nothing (an upload) and reads its JSON answer.
    async fn call(
        &self,
        g: &Graph<'_>,
        step: &str,
        to: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, Failure> {
        let response = request.send().await.map_err(|e| super::transport_failure(step, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
            .await
            .map_err(|e| super::transport_failure(step, &e))?;
        g.note_usage(&headers);
        if !status.is_success() || graph::GraphError::parse(&body).is_some() {
            return Err(classify(step, to, status, &headers, &body, false));
        }
        g.read(step, status, &headers, &body, false)
    }

    /// Uploads file `index` once; returns its media id. A file another delivery of this number
    /// uploaded in the last 29 days (WhatsApp keeps media 30) is not uploaded again: a list of
    /// a hundred people gets the photo uploaded once.
    async fn upload(&self, job: &mut Job<'_>, g: &Graph<'_>, index: usize, to: &str) -> Result<String, StepError> {
        let mut progress: Progress = job.steps_done();
        if let Some(id) = super::step_done(&progress.uploads, index) {
            return Ok(id.clone());
        }
        super::containers::stopping(job)?;
        let media = job.media[index].clone();
        let bytes = tokio::fs::read(&media.path).await.map_err(|e| {
            Failure::rejected(format!("media file {} cannot be read from the data folder: {e}", media.file_name))
        })?;
        let scope = format!("whatsapp-media:{}:{}", phone_id(job.account)?, hex::encode(Sha256::digest(&bytes)));
        let fresh_since = job.now().0 - MEDIA_REUSE.as_millis() as i64;
        if let Some((shared, at)) = job.shared(&scope)
            && at.0 > fresh_since
            && let Some(id) = graph::id_of(&shared, "id")
        {
            super::set_step(&mut progress.uploads, index, id.clone());
            job.save_steps(&progress)?;
            return Ok(id);
        }
        job.progress(crate::outbox::Step::Upload { n: index + 1, total: job.media.len() });
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", media.mime.clone())
            .part("file", media_part(&media).await?);
        let phone = phone_id(job.account)?;
        let step = format!("uploading {}", media.file_name);
        let answer = self.call(g, &step, to, g.post(&format!("{phone}/media")).multipart(form)).await?;
        let id = graph::id_of(&answer, "id")
            .ok_or_else(|| Failure::transient(format!("{step}: WhatsApp gave back no media id")))?;
        super::set_step(&mut progress.uploads, index, id.clone());
        job.save_steps(&progress)?;
        job.share(&scope, &json!({ "id": id }));
        Ok(id)
    }

    /// The JSON body of one message.
    async fn body(&self, job: &mut Job<'_>, g: &Graph<'_>, message: &Message, to: &str) -> Result<Value, StepError> {
        let mut body = json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to });
        match message {
            Message::Text(text) => {
                body["type"] = json!("text");
                body["text"] = json!({ "body": text, "preview_url": text.contains("://") });
            }
            Message::File { index, caption } => {
                let id = self.upload(job, g, *index, to).await?;
                let media = &job.media[*index];
                let kind = media_kind(&media.mime);
                let mut object = json!({ "id": id });
                if let Some(caption) = caption {
                    object["caption"] = json!(caption);
                }
                if kind == "document" {
                    object["filename"] = json!(media.file_name);
                }
                body["type"] = json!(kind);
                body[kind] = object;
            }
            Message::Template(template) => {
                let mut components = Vec::new();
                if let Some(kind) = template.header {
                    let index = header_file(job.media, kind).ok_or_else(|| {
                        Failure::rejected(format!(
                            "the template '{}' shows a {} at the top and the post has none; add one",
                            template.name,
                            kind.as_str()
                        ))
                    })?;
                    let id = self.upload(job, g, index, to).await?;
                    let key = kind.as_str();
                    components.push(json!({ "type": "header", "parameters": [{ "type": key, key: { "id": id } }] }));
                }
                if !template.params.is_empty() {
                    let parameters: Vec<Value> =
                        template.params.iter().map(|p| json!({ "type": "text", "text": p })).collect();
                    components.push(json!({ "type": "body", "parameters": parameters }));
                }
                let mut object = json!({ "name": template.name, "language": { "code": template.language } });
                if !components.is_empty() {
                    object["components"] = Value::Array(components);
                }
                body["type"] = json!("template");
                body["template"] = object;
            }
        }
        Ok(body)
    }

    async fn send(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        graph::metered!(NAME, job, |g| self.send_with(job, &g))
    }

    async fn send_with(&self, job: &mut Job<'_>, g: &Graph<'_>) -> Result<Published, StepError> {
        let recipient = job.delivery.recipient.clone().ok_or_else(|| {
            Failure::rejected("this WhatsApp delivery has no recipient; share it again to a recipient list")
        })?;
        let to = recipient.phone.clone();
        let text = job.post.text_for(job.account.id).to_owned();
        let list = messages(&text, job.media, job.post.template_for(job.account.id));
        if list.is_empty() {
            return Err(Failure::rejected("there is nothing to send: the post has no text and no files").into());
        }
        let phone = phone_id(job.account)?.to_owned();
        let mut last = String::new();
        for (index, message) in list.iter().enumerate() {
            let mut progress: Progress = job.steps_done();
            if let Some(id) = super::step_done(&progress.sent, index) {
                last = id.clone();
                continue;
            }
            let body = self.body(job, g, message, &to).await?;
            let request = g.post(&format!("{phone}/messages")).json(&body);
            let answer = job.publish(NAME, request).await?;
            let step = if list.len() > 1 {
                format!("sending message {} of {} to {}", index + 1, list.len(), recipient.label())
            } else {
                format!("sending to {}", recipient.label())
            };
            g.note_usage(&answer.headers);
            let raw = answer.body.map_err(|e| publish_transport_failure(NAME, &e))?;
            if !answer.status.is_success() || graph::GraphError::parse(&raw).is_some() {
                let failure = classify(&step, &recipient.label(), answer.status, &answer.headers, &raw, true);
                return Err(after_some(index, failure).into());
            }
            let value = g.read(&step, answer.status, &answer.headers, &raw, true)?;
            let id =
                value.get("messages").and_then(|m| m.get(0)).and_then(|m| graph::id_of(m, "id")).ok_or_else(|| {
                    Failure::new(
                        FailureKind::OutcomeUnknown,
                        format!("{step}: WhatsApp answered without a message id — it may or may not have been sent"),
                    )
                })?;
            super::set_step(&mut progress.sent, index, id.clone());
            job.save_steps(&progress)?;
            last = id;
        }
        Ok(Published { remote_id: last, url: self.chat_url(job.account, &to) })
    }

    /// Where the user can see the conversation: the sandbox's chat page, or WhatsApp's own link.
    fn chat_url(&self, account: &Account, to: &str) -> Option<String> {
        let digits = to.trim_start_matches('+');
        let sandbox = format!("/whatsapp/{}/chats/{digits}", account.remote_id.as_deref()?);
        super::page_on(account, graph::FACEBOOK_ROOT, format!("https://wa.me/{digits}"), &sandbox)
    }
}

impl Network for WhatsApp {
    fn link_about(&self) -> &'static str {
        "A WhatsApp Business phone number (Cloud API): its id, its Business Account's id, and a token with whatsapp_business_messaging"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("graph", "the Graph API's address (for testing)").hidden(),
            super::link::Field::text("phone_number_id", "the phone number's id").numeric(),
            super::link::Field::text("business_account_id", "the WhatsApp Business Account's id").numeric(),
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
            let phone = graph::numeric_id("WhatsApp phone number id", values.given("phone_number_id"))?;
            let business = graph::numeric_id("WhatsApp Business Account id", values.given("business_account_id"))?;
            let mut linking = super::link::Linking::new(graph::endpoint(values.text("graph"))?, token).remote(phone);
            linking.options.business_account_id = Some(business);
            Ok(linking)
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("WhatsApp: {}", verified.display_name)
    }

    fn templates<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
    ) -> BoxFuture<'a, Result<Vec<TemplateInfo>, Failure>> {
        templates(http, account, secret).boxed()
    }

    fn features(&self) -> super::Features {
        super::Features { messaging: true, ..Default::default() }
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::WhatsApp
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::WhatsApp]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M17.472 14.382c-.297-.149-1.758-.867-2.03-.967-.273-.099-.471-.148-.67.15-.197.297-.767.966-.94 1.164-.173.199-.347.223-.644.075-.297-.15-1.255-.463-2.39-1.475-.883-.788-1.48-1.761-1.653-2.059-.173-.297-.018-.458.13-.606.134-.133.298-.347.446-.52.149-.174.198-.298.298-.497.099-.198.05-.371-.025-.52-.075-.149-.669-1.612-.916-2.207-.242-.579-.487-.5-.669-.51-.173-.008-.371-.01-.57-.01-.198 0-.52.074-.792.372-.272.297-1.04 1.016-1.04 2.479 0 1.462 1.065 2.875 1.213 3.074.149.198 2.096 3.2 5.077 4.487.709.306 1.262.489 1.694.625.712.227 1.36.195 1.871.118.571-.085 1.758-.719 2.006-1.413.248-.694.248-1.289.173-1.413-.074-.124-.272-.198-.57-.347m-5.421 7.403h-.004a9.87 9.87 0 01-5.031-1.378l-.361-.214-3.741.982.998-3.648-.235-.374a9.86 9.86 0 01-1.51-5.26c.001-5.45 4.436-9.884 9.888-9.884 2.64 0 5.122 1.03 6.988 2.898a9.825 9.825 0 012.893 6.994c-.003 5.45-4.437 9.884-9.885 9.884m8.413-18.297A11.815 11.815 0 0012.05 0C5.495 0 .16 5.335.157 11.892c0 2.096.547 4.142 1.588 5.945L.057 24l6.305-1.654a11.882 11.882 0 005.683 1.448h.005c6.554 0 11.89-5.335 11.893-11.893a11.821 11.821 0 00-3.48-8.413Z";
        Look { color: "#128c7e", logo: Some(LOGO), logo_color: "#25D366", link_card: true, ..Look::CHAT }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("whatsapp:phone:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn pacing(&self) -> Duration {
        Duration::from_millis(250)
    }

    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        super::fact(facts, "display_phone_number")
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
            let phone = phone_id(account)?;
            let fields = "id,display_phone_number,verified_name,quality_rating";
            let me = g.call("reading the business phone number", g.get(&format!("{phone}?fields={fields}"))).await?;
            let number = me.get("display_phone_number").and_then(Value::as_str).unwrap_or(phone).to_owned();
            let name = me.get("verified_name").and_then(Value::as_str).unwrap_or("WhatsApp Business").to_owned();
            let business = account.options.business_account_id.as_deref().ok_or_else(|| {
                Failure::rejected("the account has no WhatsApp Business Account id; link it again with it")
            })?;
            let step = "reading the business account's phone numbers";
            let numbers = g.call(step, g.get(&format!("{business}/phone_numbers?fields=id"))).await?;
            let owned = numbers
                .get("data")
                .and_then(Value::as_array)
                .is_some_and(|list| list.iter().any(|n| graph::id_of(n, "id").as_deref() == Some(phone)));
            if !owned {
                return Err(Failure::rejected(format!(
                    "the phone number {phone} does not belong to the WhatsApp Business Account {business}; check both ids in WhatsApp Manager"
                )));
            }
            let expiry = graph::token_expiry(&g, now).await;
            let facts = json!({
                "display_phone_number": number,
                "verified_name": name,
                "business_account_id": business,
                "quality_rating": me.get("quality_rating"),
                "token_expires_at": expiry,
            });
            // The business profile's picture, best effort: where it is, not the picture itself.
            let picture = g
                .call(
                    "reading the business profile",
                    g.get(&format!("{phone}/whatsapp_business_profile?fields=profile_picture_url")),
                )
                .await
                .ok()
                .and_then(|p| {
                    let url = p.pointer("/data/0/profile_picture_url")?.as_str()?.to_owned();
                    super::Picture::address(Some(url))
                });
            Ok(Verified {
                remote_id: phone.to_owned(),
                display_name: format!("{name} ({number})"),
                cache: Some(facts),
                secret: None,
                picture,
            })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.send(job).boxed()
    }

    fn reconcile<'a, 'j: 'a>(
        &'a self,
        job: &'a mut Job<'j>,
        _started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        async move {
            let text = job.post.text_for(job.account.id).to_owned();
            let list = messages(&text, job.media, job.post.template_for(job.account.id));
            let progress: Progress = job.steps_done();
            let sent: Vec<String> =
                (0..list.len()).filter_map(|i| super::step_done(&progress.sent, i)).cloned().collect();
            let to = job.delivery.recipient.as_ref().map(|r| r.label()).unwrap_or_default();
            if sent.len() == list.len()
                && let Some(last) = sent.last()
            {
                let url = job.delivery.recipient.as_ref().and_then(|r| self.chat_url(job.account, &r.phone));
                return Ok(Reconciled::Published { remote_id: last.clone(), url });
            }
            Ok(Reconciled::Unknown(format!(
                "WhatsApp offers no way to look up a sent message: check the chat with {to} on the business phone, then mark it sent or send it again (message {} of {})",
                sent.len() + 1,
                list.len()
            )))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networks::test_file as file;

    #[test]
    fn text_rides_as_the_first_caption_where_it_fits() {
        let photos = [file("image/jpeg"), file("image/jpeg")];
        let list = messages("Hello", &photos, None);
        assert_eq!(
            list,
            vec![Message::File { index: 0, caption: Some("Hello".into()) }, Message::File { index: 1, caption: None }]
        );
        let long = "x".repeat(caption_limit() + 1);
        assert_eq!(messages(&long, &photos, None).len(), 3, "too long for a caption: a text message first");
        assert_eq!(messages("Only text", &[], None), vec![Message::Text("Only text".into())]);
        let template = Template { name: "news".into(), language: "en".into(), params: vec![], header: None };
        assert_eq!(messages("ignored", &photos, Some(&template)), vec![Message::Template(template.clone())]);
    }

    #[test]
    fn whatsapp_codes_say_what_to_do() {
        let body = |code: i64| {
            serde_json::to_vec(&json!({"error": {"message": "(#x) m", "type": "OAuthException", "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": "the detail"}, "fbtrace_id": "A"}}))
            .expect("JSON")
        };
        let f = |code| classify("sending", "Ann", StatusCode::BAD_REQUEST, &HeaderMap::new(), &body(code), true);
        assert_eq!(f(131_047).kind, FailureKind::Rejected);
        assert!(f(131_047).message.contains("template") && f(131_047).message.contains("the detail"));
        assert_eq!(f(131_056).kind, FailureKind::RateLimited);
        assert_eq!(f(133_010).kind, FailureKind::Unauthorized);
        assert_eq!(f(132_000).kind, FailureKind::Rejected);
        assert_eq!(f(190).kind, FailureKind::Unauthorized, "the Graph table still applies");
        assert_eq!(f(2).kind, FailureKind::OutcomeUnknown);
    }
}
