//! Telegram channels and groups through a bot (Bot API): `sendMessage`, `sendPhoto`, `sendVideo`
//! and `sendMediaGroup` (2–10 photos and videos, the caption on the first). The account's
//! endpoint is the Bot API's root, its secret the bot's token, its remote id the chat's numeric id.
//!
//! A text too long for a caption goes first as a message of its own. Each step's message ids are
//! checkpointed, so a retry sends only what is left. The Bot API has no idempotency key and no
//! way to read a channel's messages back, so a send whose answer was lost waits for the user.
//! `retry_after` in a 429 (and in some 400s) is honoured as the least wait.

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    Job, Look, Network, StepError, UploadFile, Verified, excerpt, media_part, publish_transport_failure,
    transport_failure,
};
use crate::clock::Timestamp;
use crate::model::{Account, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "Telegram";
/// The Bot API's root.
pub const ROOT: &str = "https://api.telegram.org";

/// The longest caption a photo or video carries: the profiles table's.
fn caption_limit() -> usize {
    crate::profiles::profile(crate::profiles::Target::Telegram).caption_limit.unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
pub struct Telegram;

/// How far a delivery got: the message ids each step made, by the step's index (JSON
/// `{"sent": [[ids], …]}`, as earlier versions kept it).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    #[serde(default)]
    sent: Vec<Option<Vec<i64>>>,
}

/// One request of a delivery, in order.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Text(String),
    /// One file, with the caption where it fits.
    File {
        index: usize,
        caption: Option<String>,
    },
    /// 2–10 files as one album, the caption on the first.
    Album {
        caption: Option<String>,
    },
}

fn steps(text: &str, media: &[UploadFile]) -> Vec<Step> {
    let text = text.trim();
    let fits = !text.is_empty() && text.chars().count() <= caption_limit();
    let caption = fits.then(|| text.to_owned());
    let mut out = Vec::new();
    if !text.is_empty() && (media.is_empty() || !fits) {
        out.push(Step::Text(text.to_owned()));
    }
    match media.len() {
        0 => {}
        1 => out.push(Step::File { index: 0, caption }),
        _ => out.push(Step::Album { caption }),
    }
    out
}

fn method_url(account: &Account, secret: &Secret, method: &str) -> String {
    format!("{}/bot{}/{method}", account.endpoint.trim_end_matches('/'), secret.expose())
}

/// Where the Bot API serves a file `getFile` named (the address holds the bot's token).
fn file_url(account: &Account, secret: &Secret, path: &str) -> String {
    format!("{}/file/bot{}/{}", account.endpoint.trim_end_matches('/'), secret.expose(), path.trim_start_matches('/'))
}

fn chat_id(account: &Account) -> Result<&str, Failure> {
    account
        .remote_id
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Failure::rejected("the account has no chat; link it again"))
}

/// Sorts a Bot API error answer (`{"ok": false, "error_code", "description", "parameters"}`).
fn classify(step: &str, status: StatusCode, body: &[u8], publishing: bool) -> Failure {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let description = value
        .get("description")
        .and_then(Value::as_str)
        .map(|d| excerpt(d, 200))
        .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(body), 160));
    let retry_after =
        value.get("parameters").and_then(|p| p.get("retry_after")).and_then(Value::as_u64).map(Duration::from_secs);
    let code = value.get("error_code").and_then(Value::as_u64).map_or(status.as_u16(), |c| c as u16);
    let lower = description.to_lowercase();
    match code {
        429 => Failure::new(FailureKind::RateLimited, format!("{step}: Telegram asks to slow down ({description})"))
            .with_retry_after(retry_after.or(Some(Duration::from_secs(30)))),
        401 | 404 => Failure::new(
            FailureKind::Unauthorized,
            format!(
                "{NAME}: the bot's token is no longer valid ({description}); link the account again with a new token from @BotFather"
            ),
        ),
        403 => Failure::new(
            FailureKind::Unauthorized,
            format!(
                "{NAME}: the bot may not post there ({description}); add it to the channel or group as an administrator"
            ),
        ),
        400 if lower.contains("chat not found")
            || lower.contains("not enough rights")
            || lower.contains("have no rights") =>
        {
            Failure::new(
                FailureKind::Unauthorized,
                format!(
                    "{NAME}: the bot cannot post in the chat ({description}); add it as an administrator that may post messages"
                ),
            )
        }
        400 => Failure::rejected(format!("{step}: Telegram refused it ({description})")),
        500..=599 if publishing => Failure::new(
            FailureKind::OutcomeUnknown,
            format!("{step}: Telegram answered HTTP {code} — the message may or may not be live"),
        ),
        _ => Failure::transient(format!("{step}: Telegram answered HTTP {code}: {description}")),
    }
}

/// The ids of the messages a send made (one, or each of an album's).
fn message_ids(result: &Value) -> Vec<i64> {
    match result {
        Value::Array(items) => items.iter().filter_map(|m| m.get("message_id").and_then(Value::as_i64)).collect(),
        message => message.get("message_id").and_then(Value::as_i64).into_iter().collect(),
    }
}

fn kind_of(media: &UploadFile) -> &'static str {
    if media.mime.starts_with("video/") { "video" } else { "photo" }
}

impl Telegram {
    async fn request(&self, job: &Job<'_>, step: &Step) -> Result<reqwest::RequestBuilder, StepError> {
        let chat = chat_id(job.account)?.to_owned();
        Ok(match step {
            Step::Text(text) => job
                .http
                .post(method_url(job.account, job.secret, "sendMessage"))
                .json(&json!({ "chat_id": chat, "text": text })),
            Step::File { index, caption } => {
                let media = &job.media[*index];
                let kind = kind_of(media);
                let method = if kind == "video" { "sendVideo" } else { "sendPhoto" };
                let mut form =
                    reqwest::multipart::Form::new().text("chat_id", chat).part(kind, media_part(media).await?);
                if let Some(caption) = caption {
                    form = form.text("caption", caption.clone());
                }
                job.http.post(method_url(job.account, job.secret, method)).multipart(form)
            }
            Step::Album { caption } => {
                let mut items = Vec::with_capacity(job.media.len());
                let mut form = reqwest::multipart::Form::new().text("chat_id", chat);
                for (index, media) in job.media.iter().enumerate() {
                    let name = format!("file{index}");
                    let mut item = json!({ "type": kind_of(media), "media": format!("attach://{name}") });
                    if index == 0
                        && let Some(caption) = caption
                    {
                        item["caption"] = json!(caption);
                    }
                    items.push(item);
                    form = form.part(name, media_part(media).await?);
                }
                form = form.text("media", Value::Array(items).to_string());
                job.http.post(method_url(job.account, job.secret, "sendMediaGroup")).multipart(form)
            }
        })
    }

    async fn send(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let text = job.post.text_for(job.account.id).to_owned();
        let list = steps(&text, job.media);
        if list.is_empty() {
            return Err(Failure::rejected("there is nothing to send: the post has no text and no files").into());
        }
        let mut progress: Progress = job.steps_done();
        let mut last = None;
        for (index, step) in list.iter().enumerate() {
            if let Some(ids) = super::step_done(&progress.sent, index) {
                last = ids.last().copied().or(last);
                continue;
            }
            let request = self.request(job, step).await?;
            let what =
                if list.len() > 1 { format!("sending part {} of {}", index + 1, list.len()) } else { "sending".into() };
            let answer = job.publish(NAME, request).await?;
            let body = answer.body.map_err(|e| publish_transport_failure(NAME, &e))?;
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if !answer.status.is_success() || value.get("ok") != Some(&Value::Bool(true)) {
                return Err(classify(&what, answer.status, &body, true).into());
            }
            let ids = message_ids(value.get("result").unwrap_or(&Value::Null));
            if ids.is_empty() {
                return Err(Failure::new(
                    FailureKind::OutcomeUnknown,
                    format!("{what}: Telegram answered without a message id — it may or may not be live"),
                )
                .into());
            }
            last = ids.first().copied();
            super::set_step(&mut progress.sent, index, ids);
            job.save_steps(&progress)?;
        }
        let id = last.map(|i| i.to_string()).unwrap_or_default();
        let url = self.page_url(job.account, job.facts).map(|page| format!("{page}/{id}"));
        Ok(Published { remote_id: id, url })
    }
}

impl Network for Telegram {
    fn link_about(&self) -> &'static str {
        "A Telegram channel or group (@name or id) and the token of a bot that is an administrator there"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("api", "the Bot API's address (for testing)").hidden(),
            super::link::Field::text("chat", "the channel's @name or the chat's id").example("@mychannel"),
            super::link::Field::secret("token", "bot token"),
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
            let token = values.secret("token").map(|t| t.expose().to_owned()).unwrap_or_default();
            let looks_right = token
                .split_once(':')
                .is_some_and(|(id, rest)| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty());
            if !looks_right {
                return Err(crate::error::Error::invalid(
                    "that is not a bot token: @BotFather gives one like 123456789:AAF…",
                ));
            }
            let chat = values.given("chat");
            let valid = (chat.starts_with('@') && chat.len() > 1)
                || chat.strip_prefix('-').unwrap_or(chat).chars().all(|c| c.is_ascii_digit()) && !chat.is_empty();
            if !valid {
                return Err(crate::error::Error::invalid(format!(
                    "'{chat}' is not a Telegram chat: give a public channel's @name or the chat's numeric id"
                )));
            }
            let base = super::link::base("the Bot API's address", values.text("api").unwrap_or(ROOT))?;
            Ok(super::link::Linking::new(base, Secret::new(token)).remote(chat))
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("Telegram: {}", verified.display_name)
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Telegram
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Telegram]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M11.944 0A12 12 0 0 0 0 12a12 12 0 0 0 12 12 12 12 0 0 0 12-12A12 12 0 0 0 12 0a12 12 0 0 0-.056 0zm4.962 7.224c.1-.002.321.023.465.14a.506.506 0 0 1 .171.325c.016.093.036.306.02.472-.18 1.898-.962 6.502-1.36 8.627-.168.9-.499 1.201-.82 1.23-.696.065-1.225-.46-1.9-.902-1.056-.693-1.653-1.124-2.678-1.8-1.185-.78-.417-1.21.258-1.91.177-.184 3.247-2.977 3.307-3.23.007-.032.014-.15-.056-.212s-.174-.041-.249-.024c-.106.024-1.793 1.14-5.061 3.345-.48.33-.913.49-1.302.48-.428-.008-1.252-.241-1.865-.44-.752-.245-1.349-.374-1.297-.789.027-.216.325-.437.893-.663 3.498-1.524 5.83-2.529 6.998-3.014 3.332-1.386 4.025-1.627 4.476-1.635z";
        Look {
            color: "#229ed9",
            logo: Some(LOGO),
            logo_color: "#26A5E4",
            link_card: true,
            compact_card: true,
            ..Look::CHAT
        }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("telegram:chat:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    /// A public channel's page (`t.me/NAME`); private chats have none.
    fn page_url(&self, account: &Account, facts: Option<&Value>) -> Option<String> {
        let username = facts.and_then(|f| f.get("username")).and_then(Value::as_str)?;
        super::page_on(account, ROOT, format!("https://t.me/{username}"), &format!("/telegram/{username}"))
    }

    fn pacing(&self) -> Duration {
        // Telegram allows a bot about 20 messages a minute in one group or channel.
        Duration::from_secs(3)
    }

    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        super::at_fact(facts, "username").or_else(|| super::fact(facts, "title"))
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let call = |method: &'static str, body: Value| async move {
                let step = format!("calling {method}");
                let response = http
                    .post(method_url(account, secret, method))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| transport_failure(&step, &e))?;
                let status = response.status();
                let bytes = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
                    .await
                    .map_err(|e| transport_failure(&step, &e))?;
                let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if !status.is_success() || value.get("ok") != Some(&Value::Bool(true)) {
                    return Err(classify(&step, status, &bytes, false));
                }
                Ok::<Value, Failure>(value.get("result").cloned().unwrap_or(Value::Null))
            };
            let me = call("getMe", json!({})).await?;
            let bot_id = me.get("id").and_then(Value::as_i64).unwrap_or_default();
            let bot = me.get("username").and_then(Value::as_str).unwrap_or("the bot").to_owned();
            let wanted = chat_id(account)?;
            let chat = call("getChat", json!({ "chat_id": wanted })).await?;
            let id = chat.get("id").and_then(Value::as_i64).map(|i| i.to_string()).unwrap_or_else(|| wanted.to_owned());
            let title = chat.get("title").and_then(Value::as_str).unwrap_or(wanted).to_owned();
            let member = call("getChatMember", json!({ "chat_id": id, "user_id": bot_id })).await?;
            let status = member.get("status").and_then(Value::as_str).unwrap_or("");
            let kind = chat.get("type").and_then(Value::as_str).unwrap_or("");
            let may_post = match (kind, status) {
                ("channel", "administrator") => {
                    member.get("can_post_messages").and_then(Value::as_bool).unwrap_or(true)
                }
                ("channel", "creator") => true,
                // In a channel only administrators post; in a group members may too.
                ("channel", _) => false,
                (_, "administrator" | "creator" | "member") => true,
                _ => false,
            };
            if !may_post {
                return Err(Failure::rejected(format!(
                    "@{bot} may not post in {title} (it is {}); add it as an administrator that may post messages",
                    if status.is_empty() { "not a member" } else { status }
                )));
            }
            let facts = json!({ "title": title, "username": chat.get("username"), "type": kind, "bot": bot });
            // The chat's photo, best effort: its small size (160×160) through getFile.
            let mut picture = None;
            if let Some(file) = chat.pointer("/photo/small_file_id").and_then(Value::as_str)
                && let Ok(found) = call("getFile", json!({ "file_id": file })).await
                && let Some(path) = found.get("file_path").and_then(Value::as_str)
            {
                let read = crate::link_card::read_image(http.get(file_url(account, secret, path))).await;
                picture = read.map(super::Picture::Bytes);
            }
            Ok(Verified { remote_id: id, display_name: title, cache: Some(facts), secret: None, picture })
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
            let where_ = self.page_url(job.account, job.facts).unwrap_or_else(|| "the chat".into());
            Ok(Reconciled::Unknown(format!(
                "the Bot API cannot read a channel's messages back: look in {where_}, then mark it sent or send it again"
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
    fn progress_reads_what_earlier_versions_kept_and_keeps_its_shape() {
        let kept = json!({ "sent": [[10, 11], null, [12]] });
        let mut progress: Progress = serde_json::from_value(kept.clone()).expect("reads");
        assert_eq!(super::super::step_done(&progress.sent, 0), Some(&vec![10, 11]));
        assert_eq!(super::super::step_done(&progress.sent, 1), None);
        assert_eq!(serde_json::to_value(&progress).expect("writes"), kept, "the same JSON as before");
        super::super::set_step(&mut progress.sent, 4, vec![13]);
        assert_eq!(
            serde_json::to_value(&progress).expect("writes"),
            json!({ "sent": [[10, 11], null, [12], null, [13]] })
        );
    }

    #[test]
    fn a_long_text_goes_before_the_files_and_a_short_one_is_their_caption() {
        let two = [file("image/jpeg"), file("video/mp4")];
        assert_eq!(steps("Hi", &two), vec![Step::Album { caption: Some("Hi".into()) }]);
        let long = "x".repeat(caption_limit() + 1);
        assert_eq!(steps(&long, &two[..1]), vec![Step::Text(long.clone()), Step::File { index: 0, caption: None }]);
        assert_eq!(steps("Only text", &[]), vec![Step::Text("Only text".into())]);
    }
}
