//! Team chats through their incoming webhooks — Slack, Microsoft Teams (Workflows) and Google
//! Chat. Each takes text (links unfurl); none takes files, so a picture goes to the account's
//! bucket and the message shows it from the bucket's public address — a Slack image block, an
//! Adaptive Card image, a Google Chat card's image widget — with its alt text. The staged
//! addresses are checkpointed, so a retry does not upload again; the files stay, as the chats
//! load them whenever the message is read. An account without a public bucket is refused a post
//! with pictures while composing. The whole webhook address is the secret; the account's
//! endpoint is that address without its secret parts, for display.
//!
//! Google Chat takes a client-chosen message id (`messageId=client-…`), so a resend after a lost
//! answer is refused as ALREADY_EXISTS instead of posting twice: it is recorded as sent. Slack and
//! Teams have no such key: a lost answer waits for the user.

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Job, Look, Network, StepError, Verified, excerpt, publish_transport_failure, transport_failure};
use crate::clock::Timestamp;
use crate::http;
use crate::model::{Account, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

/// Which chat a webhook belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chat {
    Slack,
    Teams,
    GoogleChat,
}

impl Chat {
    pub fn name(self) -> &'static str {
        match self {
            Chat::Slack => "Slack",
            Chat::Teams => "Microsoft Teams",
            Chat::GoogleChat => "Google Chat",
        }
    }

    pub fn kind(self) -> NetworkKind {
        match self {
            Chat::Slack => NetworkKind::Slack,
            Chat::Teams => NetworkKind::Teams,
            Chat::GoogleChat => NetworkKind::GoogleChat,
        }
    }

    /// The address's shape: where the secret is and what identifies the channel.
    /// Returns (endpoint without secrets, remote id) or why the address is not one of this chat's.
    pub fn parse(self, address: &str) -> Result<(String, String), String> {
        let url =
            url::Url::parse(address.trim()).map_err(|_| format!("that is not a {} webhook address", self.name()))?;
        let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback());
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(format!("a {} webhook address starts with https://", self.name()));
        }
        let host = url.host_str().unwrap_or("");
        let segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
        let origin = url.origin().ascii_serialization();
        let query = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
        match self {
            Chat::Slack => match segments.as_slice() {
                ["services", team, bot, token] if (loopback || host == "hooks.slack.com") && !token.is_empty() => {
                    Ok((format!("{origin}/services/{team}/{bot}"), format!("{team}/{bot}")))
                }
                _ => Err("a Slack webhook address looks like https://hooks.slack.com/services/T…/B…/…".into()),
            },
            Chat::Teams => {
                let azure = host.ends_with(".logic.azure.com") || host.ends_with(".powerplatform.com");
                match segments.as_slice() {
                    [.., "workflows", id, "triggers", "manual", "paths", "invoke"]
                        if (loopback || azure) && query("sig").is_some() =>
                    {
                        Ok((format!("{origin}/workflows/{id}"), (*id).to_owned()))
                    }
                    _ => Err("a Teams Workflows webhook address ends in /triggers/manual/paths/invoke?…&sig=…; copy it from the workflow's “When a Teams webhook request is received” step".into()),
                }
            }
            Chat::GoogleChat => match segments.as_slice() {
                ["v1", "spaces", space, "messages"]
                    if (loopback || host == "chat.googleapis.com") && query("key").is_some() && query("token").is_some() =>
                {
                    Ok((format!("{origin}/v1/spaces/{space}"), format!("spaces/{space}")))
                }
                _ => Err("a Google Chat webhook address looks like https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…".into()),
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ChatWebhook(pub Chat);

/// The answer's error text: Slack's plain word, or the JSON `error.message` of the others.
fn error_text(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    value
        .get("error")
        .and_then(|e| e.get("message").or(Some(e)))
        .and_then(Value::as_str)
        .map(|m| excerpt(m, 200))
        .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(body), 160))
}

fn classify(
    chat: Chat,
    step: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    now: Timestamp,
    publishing: bool,
) -> Failure {
    let name = chat.name();
    let error = error_text(body);
    match status.as_u16() {
        401 | 403 | 404 | 410 => Failure::new(
            FailureKind::Unauthorized,
            format!(
                "{name} refused the webhook ({error}); it may have been removed or its channel archived — link it again"
            ),
        ),
        413 => Failure::rejected(format!("{step}: the message is larger than {name} takes ({error})")),
        429 => Failure::new(FailureKind::RateLimited, format!("{step}: {name} asks to slow down"))
            .with_retry_after(http::retry_after(headers, now).or(Some(Duration::from_secs(30)))),
        500..=599 if publishing => Failure::new(
            FailureKind::OutcomeUnknown,
            format!("{step}: {name} answered HTTP {} — the message may or may not be live", status.as_u16()),
        ),
        500..=599 => Failure::transient(format!("{step}: {name} answered HTTP {}", status.as_u16())),
        _ => Failure::rejected(format!("{step}: {name} refused it ({error})")),
    }
}

/// A picture at a public address, with its alt text.
struct Picture {
    url: String,
    alt: String,
}

/// The message body each chat takes.
fn payload(chat: Chat, text: &str, pictures: &[Picture]) -> Value {
    match chat {
        Chat::Slack if !pictures.is_empty() => {
            // With blocks, `text` becomes the notification's; the message shows the blocks.
            let mut blocks: Vec<Value> = text_sections(text)
                .into_iter()
                .map(|part| json!({ "type": "section", "text": { "type": "mrkdwn", "text": part } }))
                .collect();
            blocks.extend(pictures.iter().map(|p| json!({ "type": "image", "image_url": p.url, "alt_text": p.alt })));
            json!({ "text": text, "blocks": blocks, "unfurl_links": true })
        }
        Chat::Slack => json!({ "text": text, "unfurl_links": true }),
        Chat::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": std::iter::once(json!({ "type": "TextBlock", "text": text, "wrap": true }))
                        .chain(pictures.iter().map(|p| json!({ "type": "Image", "url": p.url, "altText": p.alt })))
                        .collect::<Vec<_>>(),
                },
            }],
        }),
        Chat::GoogleChat if !pictures.is_empty() => json!({
            "text": text,
            "cardsV2": [{
                "cardId": "fanout-pictures",
                "card": { "sections": [{
                    "widgets": pictures
                        .iter()
                        .map(|p| json!({ "image": { "imageUrl": p.url, "altText": p.alt } }))
                        .collect::<Vec<_>>(),
                }] },
            }],
        }),
        Chat::GoogleChat => json!({ "text": text }),
    }
}

/// Slack's section block takes 3,000 characters: longer text is split at line ends (or spaces).
fn text_sections(text: &str) -> Vec<String> {
    const SECTION: usize = 3_000;
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.chars().count() > SECTION {
        let limit = rest.char_indices().nth(SECTION).map_or(rest.len(), |(i, _)| i);
        let cut = rest[..limit].rfind('\n').or_else(|| rest[..limit].rfind(' ')).filter(|&i| i > 0).unwrap_or(limit);
        parts.push(rest[..cut].to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// Google Chat's message id for a delivery: `client-` and the delivery's id.
fn message_id(job: &Job<'_>) -> String {
    format!("client-{}", job.delivery.id.0.simple())
}

fn no_host(chat: Chat) -> String {
    format!(
        "{} webhooks carry no files: link the account again with a bucket that has a public address, \
         or leave the pictures out for it",
        chat.name()
    )
}

impl ChatWebhook {
    async fn send(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let chat = self.0;
        let text = job.post.text_for(job.account.id).trim().to_owned();
        if text.is_empty() {
            return Err(
                Failure::rejected(format!("{} webhooks carry text, and this post has none", chat.name())).into()
            );
        }
        let mut pictures = Vec::new();
        for index in 0..job.media.len() {
            let url = super::containers::stage(job, None, index, &no_host(chat)).await?;
            let alt = job.media[index].description.clone().unwrap_or_default();
            // Slack requires alt text; a picture without any is described by its file name.
            let alt = if alt.trim().is_empty() { job.media[index].file_name.clone() } else { alt };
            pictures.push(Picture { url, alt });
        }
        let mut url = url::Url::parse(job.secret.expose())
            .map_err(|_| Failure::rejected("the webhook address is damaged; link it again"))?;
        if chat == Chat::GoogleChat {
            url.query_pairs_mut().append_pair("messageId", &message_id(job));
        }
        let request = job.http.post(url.as_str()).json(&payload(chat, &text, &pictures));
        let answer = job.publish(chat.name(), request).await?;
        let body = answer.body.map_err(|e| publish_transport_failure(chat.name(), &e))?;
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let already = chat == Chat::GoogleChat && answer.status == StatusCode::CONFLICT;
        if !answer.status.is_success() && !already {
            return Err(classify(chat, "sending", answer.status, &answer.headers, &body, job.now(), true).into());
        }
        let id = match chat {
            Chat::GoogleChat => value.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
                format!("{}/messages/{}", job.account.remote_id.as_deref().unwrap_or(""), message_id(job))
            }),
            _ => job.delivery.id.to_string(),
        };
        Ok(Published { remote_id: id, url: None })
    }
}

impl Network for ChatWebhook {
    fn link_about(&self) -> &'static str {
        match self.0 {
            Chat::Slack => "A Slack channel's incoming webhook: text and links, and pictures with a public bucket",
            Chat::Teams => {
                "A Microsoft Teams channel's Workflows webhook: text and links, and pictures with a public bucket"
            }
            Chat::GoogleChat => {
                "A Google Chat space's incoming webhook: text and links, and pictures with a public bucket"
            }
        }
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::secret("webhook", "webhook address"),
            super::link::Field::public_bucket("a bucket with a public address, for pictures"),
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
            let url = values.secret("webhook").map(|s| s.expose().to_owned()).unwrap_or_default();
            let (endpoint, _) = self.0.parse(&url).map_err(crate::error::Error::invalid)?;
            if let Some(bucket) = values.bucket()
                && bucket.public_url.as_deref().is_none_or(|u| u.trim().is_empty())
            {
                return Err(crate::error::Error::invalid(format!(
                    "{} shows a picture from its address whenever the message is read, so the bucket needs \
                     its public address (where anyone can read its files, like https://media.example.org/)",
                    self.0.name()
                )));
            }
            super::link::Linking::new(endpoint, Secret::new(url)).hosted(values.bucket())
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        verified.display_name.clone()
    }

    fn kind(&self) -> NetworkKind {
        self.0.kind()
    }

    fn targets(&self) -> &'static [Target] {
        match self.0 {
            Chat::Slack => &[Target::Slack],
            Chat::Teams => &[Target::Teams],
            Chat::GoogleChat => &[Target::GoogleChat],
        }
    }

    fn look(&self) -> Look {
        match self.0 {
            // Slack and Microsoft Teams asked Simple Icons to drop their logos: their initial.
            Chat::Slack => Look {
                color: "#4a154b",
                logo: None,
                logo_color: "#4A154B",
                link_card: true,
                compact_card: true,
                ..Look::CHAT
            },
            Chat::Teams => Look { color: "#4b53bc", logo: None, logo_color: "#4B53BC", ..Look::CHAT },
            Chat::GoogleChat => {
                // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
                const LOGO: &str = "M1.637 0C.733 0 0 .733 0 1.637v16.5c0 .904.733 1.636 1.637 1.636h3.955v3.323c0 .804.97 1.207 1.539.638l3.963-3.96h11.27c.903 0 1.636-.733 1.636-1.637V5.592L18.408 0Zm3.955 5.592h12.816v8.59H8.455l-2.863 2.863Z";
                Look { color: "#188038", logo: Some(LOGO), logo_color: "#34A853", link_card: true, ..Look::CHAT }
            }
        }
    }

    fn cache_scope(&self, _account: &Account) -> Option<String> {
        None
    }

    fn pacing(&self) -> Duration {
        // Slack allows about one message a second per webhook.
        Duration::from_secs(1)
    }

    /// Slack and Google Chat answer an empty message with "no text" when the webhook is real, and
    /// with an authorisation error when it is not; Teams workflows run whatever comes, so a
    /// Teams webhook is checked by its address only.
    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let chat = self.0;
            let (_, remote) = chat.parse(secret.expose()).map_err(Failure::rejected)?;
            if chat != Chat::Teams {
                let step = "checking the webhook";
                let response = http
                    .post(secret.expose())
                    .json(&json!({}))
                    .send()
                    .await
                    .map_err(|e| transport_failure(step, &e))?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
                    .await
                    .map_err(|e| transport_failure(step, &e))?;
                if matches!(status.as_u16(), 401 | 403 | 404 | 410 | 429) || status.is_server_error() {
                    return Err(classify(chat, step, status, &headers, &body, now, false));
                }
            }
            let display = format!("{}: {}", chat.name(), account.endpoint.rsplit('/').next().unwrap_or(&remote));
            Ok(Verified { remote_id: remote, display_name: display, cache: None, secret: None, picture: None })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.send(job).boxed()
    }

    fn reconcile<'a, 'j: 'a>(
        &'a self,
        _job: &'a mut Job<'j>,
        _started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        let chat = self.0;
        async move {
            Ok(match chat {
                // The same message id again is refused as ALREADY_EXISTS: sending again is safe.
                Chat::GoogleChat => Reconciled::NotPublished,
                _ => Reconciled::Unknown(format!(
                    "{} webhooks cannot read the channel back: look in the channel, then mark it sent or send it again",
                    chat.name()
                )),
            })
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_slack_text_is_split_into_sections_at_spaces_and_the_pictures_follow() {
        let text = "word ".repeat(1_500);
        let parts = text_sections(text.trim_end());
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 3_000 && !p.starts_with(' ') && !p.ends_with(' ')));
        assert_eq!(parts.join(" "), text.trim_end(), "nothing lost");
        let pictures = [Picture { url: "https://media.example.org/a.jpg".into(), alt: "A loaf".into() }];
        let slack = payload(Chat::Slack, &text, &pictures);
        let blocks = slack["blocks"].as_array().expect("blocks");
        assert_eq!(blocks.len(), 4);
        assert_eq!(
            blocks[3],
            json!({ "type": "image", "image_url": "https://media.example.org/a.jpg", "alt_text": "A loaf" })
        );
        let teams = payload(Chat::Teams, "Hi", &pictures);
        assert_eq!(teams["attachments"][0]["content"]["body"][1]["url"], "https://media.example.org/a.jpg");
        let google = payload(Chat::GoogleChat, "Hi", &pictures);
        assert_eq!(google["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["image"]["altText"], "A loaf");
        assert_eq!(
            payload(Chat::Slack, "Hi", &[]),
            json!({ "text": "Hi", "unfurl_links": true }),
            "no blocks without pictures"
        );
    }

    #[test]
    fn webhook_addresses_are_recognised_and_their_secrets_kept_out_of_the_endpoint() {
        let (endpoint, id) =
            Chat::Slack.parse("https://hooks.slack.com/services/T0001/B0002/XyZsecret").expect("slack");
        assert_eq!((endpoint.as_str(), id.as_str()), ("https://hooks.slack.com/services/T0001/B0002", "T0001/B0002"));
        assert!(Chat::Slack.parse("https://example.org/services/T/B/x").is_err());
        let teams = "https://prod-12.westeurope.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=SECRET";
        let (endpoint, id) = Chat::Teams.parse(teams).expect("teams");
        assert!(!endpoint.contains("SECRET") && id == "abc123", "{endpoint}");
        let google = "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K&token=T";
        assert_eq!(Chat::GoogleChat.parse(google).expect("google").1, "spaces/AAAA");
        assert!(Chat::GoogleChat.parse("https://chat.googleapis.com/v1/spaces/AAAA/messages?key=K").is_err());
    }
}
