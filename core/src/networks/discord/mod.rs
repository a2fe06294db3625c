//! Discord webhooks: one `POST {webhook}?wait=true` (JSON, or multipart with `payload_json` and
//! `files[n]` when there are files), answered with the message. The account's endpoint is the
//! webhook URL without its token; the token is the secret.
//!
//! Discord has no idempotency key and no way to list a webhook's messages, so a publish whose
//! answer was lost cannot be checked: it becomes `unconfirmed` and waits for the user, never a
//! blind resend.

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    Job, Look, Network, StepError, Verified, excerpt, media_part, publish_transport_failure, transport_failure,
};
use crate::clock::Timestamp;
use crate::http;
use crate::model::{Account, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

pub const TEXT_LIMIT: usize = 2000;
pub const MAX_FILES: usize = 10;

#[derive(Debug, Clone, Copy)]
pub struct Discord;

/// Where a webhook's avatar is: Discord's CDN, or the same server for another (a test's).
fn avatar_url(account: &Account, webhook: &str, hash: &str) -> Option<String> {
    let endpoint = url::Url::parse(&account.endpoint).ok()?;
    let host = endpoint.host_str()?;
    let cdn = if host == "discord.com" || host.ends_with(".discord.com") || host.ends_with("discordapp.com") {
        "https://cdn.discordapp.com".to_owned()
    } else {
        endpoint.origin().ascii_serialization()
    };
    let safe = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (safe(webhook) && safe(hash)).then(|| format!("{cdn}/avatars/{webhook}/{hash}.png?size=128"))
}

fn webhook_url(account: &Account, secret: &Secret) -> String {
    format!("{}/{}", account.endpoint.trim_end_matches('/'), secret.expose())
}

/// Discord's error body: `{"message": "...", "code": N, "errors": {...}}`.
fn error_text(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return excerpt(&String::from_utf8_lossy(body), 160);
    };
    let message = value.get("message").and_then(Value::as_str).unwrap_or("unknown error").to_owned();
    let mut details = Vec::new();
    collect_field_errors(value.get("errors"), String::new(), &mut details);
    if details.is_empty() { message } else { format!("{message}: {}", details.join("; ")) }
}

fn collect_field_errors(node: Option<&Value>, path: String, out: &mut Vec<String>) {
    let Some(Value::Object(map)) = node else { return };
    for (key, child) in map {
        if key == "_errors" {
            for e in child.as_array().into_iter().flatten() {
                if let Some(m) = e.get("message").and_then(Value::as_str) {
                    out.push(format!("{path}: {m}"));
                }
            }
        } else {
            let nested = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            collect_field_errors(Some(child), nested, out);
        }
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap, body: &[u8], now: Timestamp) -> Option<Duration> {
    let from_body = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("retry_after").and_then(Value::as_f64))
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(86_400.0)));
    from_body.or_else(|| http::retry_after(headers, now))
}

fn classify(
    step: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    now: Timestamp,
    publishing: bool,
) -> Failure {
    let error = error_text(body);
    let code = status.as_u16();
    match code {
        401 | 403 | 404 => Failure::new(
            FailureKind::Unauthorized,
            format!("Discord refused the webhook ({error}); it may have been deleted — link it again"),
        ),
        413 => Failure::rejected(format!("{step}: a file is larger than Discord accepts (10 MB)")),
        429 => Failure::new(FailureKind::RateLimited, format!("{step}: rate limited by Discord (HTTP 429)"))
            .with_retry_after(retry_after(headers, body, now)),
        // A gateway that timed out may have passed the message on before it gave up.
        502 | 504 if publishing => Failure::new(
            FailureKind::OutcomeUnknown,
            format!("{step}: Discord's gateway answered HTTP {code} — the message may or may not be live"),
        ),
        500..=599 => Failure::transient(format!("{step}: Discord answered HTTP {code}: {error}"))
            .with_retry_after(http::retry_after(headers, now)),
        400..=499 => Failure::rejected(format!("{step}: Discord rejected it: {error}")),
        _ => Failure::transient(format!("{step}: unexpected answer HTTP {code}: {error}")),
    }
}

impl Discord {
    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let mut payload = json!({ "content": job.post.text, "allowed_mentions": { "parse": [] } });
        if !job.media.is_empty() {
            // Discord's attachment descriptions are its alt text.
            let attachments: Vec<Value> = job
                .media
                .iter()
                .enumerate()
                .map(|(id, m)| json!({ "id": id, "filename": m.file_name, "description": m.description }))
                .collect();
            payload["attachments"] = Value::Array(attachments);
        }
        let url = format!("{}?wait=true", webhook_url(job.account, job.secret));
        let request = if job.media.is_empty() {
            job.http.post(url).json(&payload)
        } else {
            let mut form = reqwest::multipart::Form::new().text("payload_json", payload.to_string());
            for (index, media) in job.media.iter().enumerate() {
                form = form.part(format!("files[{index}]"), media_part(media).await?);
            }
            job.http.post(url).multipart(form)
        };
        let answer = job.publish("Discord", request).await?;
        let body = answer.body.map_err(|e| publish_transport_failure("Discord", &e))?;
        if !answer.status.is_success() {
            return Err(classify("posting to Discord", answer.status, &answer.headers, &body, job.now(), true).into());
        }
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            Failure::new(
                FailureKind::OutcomeUnknown,
                "Discord answered with something unreadable — the message may or may not be live",
            )
        })?;
        let id = value.get("id").and_then(Value::as_str).ok_or_else(|| {
            Failure::new(
                FailureKind::OutcomeUnknown,
                "Discord's answer had no message id — the message may or may not be live",
            )
        })?;
        let channel = value.get("channel_id").and_then(Value::as_str);
        Ok(Published { remote_id: id.to_owned(), url: permalink(&job.account.endpoint, job.facts, channel, id) })
    }
}

/// `https://discord.com/channels/{server}/{channel}/{message}` — on the webhook's own host, so a
/// sandbox's links stay on the sandbox. None when the server is unknown (a webhook linked before
/// Fanout kept it, until it is verified again).
fn permalink(endpoint: &str, facts: Option<&Value>, channel: Option<&str>, message: &str) -> Option<String> {
    let url = url::Url::parse(endpoint).ok()?;
    let origin = url.origin().ascii_serialization();
    let guild = facts?.get("guild_id")?.as_str()?;
    let channel = channel.or_else(|| facts?.get("channel_id")?.as_str())?;
    Some(format!("{origin}/channels/{guild}/{channel}/{message}"))
}

impl Network for Discord {
    fn link_about(&self) -> &'static str {
        "A Discord channel webhook"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[super::link::Field::secret("webhook", "webhook URL")];
        FIELDS
    }

    fn prepare_link<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        values: &'a super::link::LinkValues,
        _now: Timestamp,
    ) -> BoxFuture<'a, crate::error::Result<super::link::Linking>> {
        async move {
            let (endpoint, token) =
                split_webhook(&values.secret("webhook").unwrap_or_else(|| crate::secrets::Secret::new("")))?;
            Ok(super::link::Linking::new(endpoint, token))
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        let tail: String = verified.remote_id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("discord-{tail}")
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Discord
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Discord]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M20.317 4.3698a19.7913 19.7913 0 00-4.8851-1.5152.0741.0741 0 00-.0785.0371c-.211.3753-.4447.8648-.6083 1.2495-1.8447-.2762-3.68-.2762-5.4868 0-.1636-.3933-.4058-.8742-.6177-1.2495a.077.077 0 00-.0785-.037 19.7363 19.7363 0 00-4.8852 1.515.0699.0699 0 00-.0321.0277C.5334 9.0458-.319 13.5799.0992 18.0578a.0824.0824 0 00.0312.0561c2.0528 1.5076 4.0413 2.4228 5.9929 3.0294a.0777.0777 0 00.0842-.0276c.4616-.6304.8731-1.2952 1.226-1.9942a.076.076 0 00-.0416-.1057c-.6528-.2476-1.2743-.5495-1.8722-.8923a.077.077 0 01-.0076-.1277c.1258-.0943.2517-.1923.3718-.2914a.0743.0743 0 01.0776-.0105c3.9278 1.7933 8.18 1.7933 12.0614 0a.0739.0739 0 01.0785.0095c.1202.099.246.1981.3728.2924a.077.077 0 01-.0066.1276 12.2986 12.2986 0 01-1.873.8914.0766.0766 0 00-.0407.1067c.3604.698.7719 1.3628 1.225 1.9932a.076.076 0 00.0842.0286c1.961-.6067 3.9495-1.5219 6.0023-3.0294a.077.077 0 00.0313-.0552c.5004-5.177-.8382-9.6739-3.5485-13.6604a.061.061 0 00-.0312-.0286zM8.02 15.3312c-1.1825 0-2.1569-1.0857-2.1569-2.419 0-1.3332.9555-2.4189 2.157-2.4189 1.2108 0 2.1757 1.0952 2.1568 2.419 0 1.3332-.9555 2.4189-2.1569 2.4189zm7.9748 0c-1.1825 0-2.1569-1.0857-2.1569-2.419 0-1.3332.9554-2.4189 2.1569-2.4189 1.2108 0 2.1757 1.0952 2.1568 2.419 0 1.3332-.946 2.4189-2.1568 2.4189Z";
        Look {
            color: "#5865f2",
            logo: Some(LOGO),
            logo_color: "#5865F2",
            link_card: true,
            compact_card: true,
            ..Look::CHAT
        }
    }

    /// The channel the webhook posts to, on the webhook's own host.
    fn page_url(&self, account: &Account, facts: Option<&Value>) -> Option<String> {
        let origin = url::Url::parse(&account.endpoint).ok()?.origin().ascii_serialization();
        let guild = facts?.get("guild_id")?.as_str()?;
        let channel = facts?.get("channel_id")?.as_str()?;
        Some(format!("{origin}/channels/{guild}/{channel}"))
    }

    /// The webhook's server and channel, for permalinks.
    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("discord:webhook:{}", account.id))
    }

    fn pacing(&self) -> Duration {
        // Webhooks allow about 5 requests per 2 seconds.
        Duration::from_millis(500)
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let step = "checking the webhook";
            let response =
                http.get(webhook_url(account, secret)).send().await.map_err(|e| transport_failure(step, &e))?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
                .await
                .map_err(|e| transport_failure(step, &e))?;
            if !status.is_success() {
                return Err(classify(step, status, &headers, &body, now, false));
            }
            let value: Value = serde_json::from_slice(&body)
                .map_err(|_| Failure::transient(format!("{step}: the answer was not valid JSON")))?;
            let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            let name = value.get("name").and_then(Value::as_str).unwrap_or("Discord webhook").to_owned();
            let channel = value.get("channel_id").and_then(Value::as_str).unwrap_or("?");
            let facts = json!({"guild_id": value.get("guild_id"), "channel_id": value.get("channel_id")});
            let picture = value
                .get("avatar")
                .and_then(Value::as_str)
                .and_then(|hash| avatar_url(account, &id, hash))
                .map(super::Picture::Address);
            Ok(Verified {
                remote_id: id,
                display_name: format!("{name} (channel {channel})"),
                cache: Some(facts),
                secret: None,
                picture,
            })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.publish(job).boxed()
    }

    fn reconcile<'a, 'j: 'a>(
        &'a self,
        _job: &'a mut Job<'j>,
        _started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        async move {
            Ok(Reconciled::Unknown(
                "Discord webhooks cannot be asked whether a message arrived; look in the channel".into(),
            ))
        }
        .boxed()
    }
}

/// Splits a webhook URL into the endpoint kept in the database and the token kept as a secret.
/// Never puts the URL itself into an error: it is a credential.
pub fn split_webhook(webhook: &Secret) -> crate::error::Result<(String, Secret)> {
    let bad = || {
        crate::error::Error::invalid(
            "the Discord webhook URL is not of the form https://discord.com/api/webhooks/ID/TOKEN \
             (copy it from the channel's Integrations → Webhooks)",
        )
    };
    let url = super::link::parse_base("the Discord webhook URL", webhook.expose()).map_err(|_| bad())?;
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let (prefix, id, token) = match segments.as_slice() {
        ["api", "webhooks", id, token] => ("api/webhooks".to_owned(), *id, *token),
        ["api", version, "webhooks", id, token] if version.starts_with('v') => {
            (format!("api/{version}/webhooks"), *id, *token)
        }
        _ => return Err(bad()),
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) || token.is_empty() {
        return Err(bad());
    }
    Ok((format!("{}/{prefix}/{id}", super::link::origin(&url)), Secret::new(token)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_webhook_url_splits_into_endpoint_and_token_without_echoing_it() {
        use crate::secrets::Secret;
        let (endpoint, token) =
            super::split_webhook(&Secret::new("https://discord.com/api/webhooks/123456/sEcReT-tok")).expect("valid");
        assert_eq!(endpoint, "https://discord.com/api/webhooks/123456");
        assert_eq!(token.expose(), "sEcReT-tok");
        let err = super::split_webhook(&Secret::new("https://discord.com/api/hooks/sEcReT-tok")).expect_err("bad");
        assert!(!err.to_string().contains("sEcReT"), "an error must not repeat the secret URL: {err}");
    }

    use serde_json::json;

    #[test]
    fn a_permalink_needs_the_server_and_stays_on_the_webhooks_host() {
        let facts = json!({"guild_id": "11", "channel_id": "22"});
        assert_eq!(
            super::permalink("https://discord.com/api/webhooks/5", Some(&facts), Some("33"), "44").as_deref(),
            Some("https://discord.com/channels/11/33/44")
        );
        assert_eq!(
            super::permalink("http://127.0.0.1:9000/api/webhooks/5", Some(&facts), None, "44").as_deref(),
            Some("http://127.0.0.1:9000/channels/11/22/44"),
            "the channel from link time when the answer has none"
        );
        assert_eq!(super::permalink("https://discord.com/api/webhooks/5", None, Some("33"), "44"), None);
    }
}
