//! Mastodon: media through `POST /api/v2/media` (202 while the server processes it, then polled at
//! `GET /api/v1/media/:id`), then `POST /api/v1/statuses` with the delivery id as
//! `Idempotency-Key`. The server remembers a key for about an hour per account and answers a
//! repeat with the status it already made, so within that window a lost outcome is reconciled by
//! repeating the request; after it, by looking for the post among the account's recent statuses.
//! Limits come from `GET /api/v2/instance`, read at link time and cached.

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
use crate::plan::TargetRules;
use crate::profiles::Target;
use crate::secrets::Secret;
use crate::text::TextCounting;

/// Mastodon keeps an idempotency key for an hour; stay well inside it.
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(50 * 60);
/// The longest a media upload may take to be processed before the attempt is retried later.
const PROCESSING_LIMIT: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone, Copy)]
pub struct Mastodon;

fn api(account: &Account, path: &str) -> String {
    format!("{}{path}", account.endpoint.trim_end_matches('/'))
}

/// The `error` text of a Mastodon error body, or an excerpt of whatever came back.
fn error_text(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(body), 160))
}

/// Sorts a non-success answer into a failure kind.
fn classify(
    step: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Failure {
    let error = error_text(body);
    let code = status.as_u16();
    match code {
        401 => Failure::new(
            FailureKind::Unauthorized,
            format!("Mastodon refused the access token ({error}); reconnect the account"),
        ),
        403 if error.contains("scope") => Failure::new(
            FailureKind::Unauthorized,
            format!("the access token lacks a permission ({error}); reconnect the account with write access"),
        ),
        403 => Failure::rejected(format!("{step}: Mastodon refused: {error}")),
        404 => {
            Failure::rejected(format!("{step}: not found on this server (HTTP 404: {error}); check the server address"))
        }
        413 => Failure::rejected(format!("{step}: the file is larger than this server accepts (HTTP 413)")),
        422 if error.contains("finished processing") => Failure::transient(format!("{step}: {error}")),
        422 => Failure::rejected(format!("{step}: Mastodon rejected it: {error}")),
        429 => Failure::new(FailureKind::RateLimited, format!("{step}: rate limited by the server (HTTP 429)"))
            .with_retry_after(http::retry_after(headers, now)),
        408 | 425 | 500..=599 => Failure::transient(format!("{step}: the server answered HTTP {code}: {error}"))
            .with_retry_after(http::retry_after(headers, now)),
        _ => Failure::rejected(format!("{step}: unexpected answer HTTP {code}: {error}")),
    }
}

/// Sends a request that publishes nothing and reads its JSON answer.
async fn call(step: &str, request: reqwest::RequestBuilder, now: Timestamp) -> Result<(StatusCode, Value), Failure> {
    let response = request.send().await.map_err(|e| transport_failure(step, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body =
        crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.map_err(|e| transport_failure(step, &e))?;
    if !status.is_success() {
        return Err(classify(step, status, &headers, &body, now));
    }
    let value = serde_json::from_slice(&body)
        .map_err(|_| Failure::transient(format!("{step}: the server's answer was not valid JSON")))?;
    Ok((status, value))
}

fn status_outcome(value: &Value) -> Option<Published> {
    let id = match value.get("id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let url = value.get("url").or_else(|| value.get("uri")).and_then(Value::as_str).map(str::to_owned);
    Some(Published { remote_id: id, url })
}

/// How far a delivery got: each file's media id and whether the server has processed it, by
/// index (JSON `{"media": [{"id", "ready"}, …]}`, as earlier versions kept it).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    #[serde(default)]
    media: Vec<Option<Upload>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Upload {
    id: String,
    #[serde(default)]
    ready: bool,
}

impl Mastodon {
    async fn upload_media(&self, job: &mut Job<'_>) -> Result<Vec<String>, StepError> {
        let mut ids = Vec::with_capacity(job.media.len());
        for (index, media) in job.media.iter().enumerate() {
            let mut progress: Progress = job.steps_done();
            let upload = super::step_done(&progress.media, index);
            let (mut id, ready) = (upload.map(|u| u.id.clone()), upload.is_some_and(|u| u.ready));
            if id.is_none() {
                if job.stopping() {
                    return Err(StepError::Abort(crate::Error::Conflict("the worker is stopping".into())));
                }
                job.progress(crate::outbox::Step::Upload { n: index + 1, total: job.media.len() });
                let part = media_part(media).await?;
                let mut form = reqwest::multipart::Form::new().part("file", part);
                if let Some(alt) = &media.description {
                    form = form.text("description", alt.clone());
                }
                let request =
                    job.http.post(api(job.account, "/api/v2/media")).bearer_auth(job.secret.expose()).multipart(form);
                let step = format!("uploading {}", media.file_name);
                let (status, value) = call(&step, request, job.now()).await?;
                let new_id = value
                    .get("id")
                    .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
                    .ok_or_else(|| Failure::transient(format!("{step}: the answer had no media id")))?;
                let done = status == StatusCode::OK && value.get("url").is_some_and(|u| !u.is_null());
                super::set_step(&mut progress.media, index, Upload { id: new_id.clone(), ready: done });
                job.save_steps(&progress)?;
                id = Some(new_id);
                if done {
                    ids.extend(id);
                    continue;
                }
            } else if ready {
                ids.extend(id);
                continue;
            }
            let media_id = id.unwrap_or_default();
            self.wait_processed(job, &media_id, &media.file_name).await?;
            let mut progress: Progress = job.steps_done();
            super::set_step(&mut progress.media, index, Upload { id: media_id.clone(), ready: true });
            job.save_steps(&progress)?;
            ids.push(media_id);
        }
        Ok(ids)
    }

    /// Polls until the server has processed an upload (206 while it works, 200 with a URL after).
    async fn wait_processed(&self, job: &mut Job<'_>, id: &str, file_name: &str) -> Result<(), StepError> {
        let step = format!("processing {file_name}");
        let started = job.now();
        let mut pause = Duration::from_millis(100);
        loop {
            let response = job
                .http
                .get(api(job.account, &format!("/api/v1/media/{id}")))
                .bearer_auth(job.secret.expose())
                .send()
                .await
                .map_err(|e| transport_failure(&step, &e))?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
                .await
                .map_err(|e| transport_failure(&step, &e))?;
            match status.as_u16() {
                200 => {
                    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    if value.get("url").is_some_and(|u| !u.is_null()) {
                        return Ok(());
                    }
                }
                206 => {}
                404 => {
                    // The server dropped the upload: forget it so the next attempt uploads again.
                    let mut progress: Progress = job.steps_done();
                    progress
                        .media
                        .iter_mut()
                        .filter(|m| m.as_ref().is_some_and(|u| u.id == id))
                        .for_each(|m| *m = None);
                    job.save_steps(&progress)?;
                    return Err(Failure::transient(format!(
                        "{step}: the server lost the upload; it will be sent again"
                    ))
                    .into());
                }
                _ => return Err(classify(&step, status, &headers, &body, job.now()).into()),
            }
            if started.until(job.now()) > PROCESSING_LIMIT {
                return Err(Failure::transient(format!(
                    "{step}: still processing after {} minutes",
                    PROCESSING_LIMIT.as_secs() / 60
                ))
                .into());
            }
            if job.stopping() {
                return Err(StepError::Abort(crate::Error::Conflict("the worker is stopping".into())));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(3));
        }
    }

    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let media_ids = self.upload_media(job).await?;
        let body = json!({ "status": job.post.text, "media_ids": media_ids, "visibility": "public" });
        job.publish_starting().await?;
        let request = job
            .http
            .post(api(job.account, "/api/v1/statuses"))
            .bearer_auth(job.secret.expose())
            .header("Idempotency-Key", job.delivery.id.to_string())
            .json(&body);
        let response = job.send_publish(request).await.map_err(|e| publish_transport_failure("Mastodon", &e))?;
        let answer = job.read_publish(response).await;
        let body = answer.body.map_err(|e| publish_transport_failure("Mastodon", &e))?;
        if !answer.status.is_success() {
            return Err(classify("publishing", answer.status, &answer.headers, &body, job.now()).into());
        }
        serde_json::from_slice::<Value>(&body).ok().as_ref().and_then(status_outcome).ok_or_else(|| {
            Failure::new(
                FailureKind::OutcomeUnknown,
                "Mastodon answered the publish with something unreadable — the post may or may not be live",
            )
            .into()
        })
    }

    /// Past the idempotency window: look for the post among the account's latest statuses.
    async fn find_in_recent(&self, job: &mut Job<'_>, started: Timestamp) -> Result<Reconciled, StepError> {
        let step = "checking recent posts";
        let (_, me) = call(
            step,
            job.http.get(api(job.account, "/api/v1/accounts/verify_credentials")).bearer_auth(job.secret.expose()),
            job.now(),
        )
        .await?;
        let account_id = me.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let (_, statuses) = call(
            step,
            job.http
                .get(api(job.account, &format!("/api/v1/accounts/{account_id}/statuses?limit=40")))
                .bearer_auth(job.secret.expose()),
            job.now(),
        )
        .await?;
        let statuses = statuses.as_array().cloned().unwrap_or_default();
        let wanted = normalise(&job.post.text);
        let mut reached_before_start = false;
        for status in &statuses {
            let created = status.get("created_at").and_then(Value::as_str).and_then(Timestamp::parse_rfc3339);
            if created.is_some_and(|c| c.0 < started.0 - 60_000) {
                reached_before_start = true;
                continue;
            }
            let content = status.get("content").and_then(Value::as_str).map(strip_html).unwrap_or_default();
            if !wanted.is_empty()
                && normalise(&content) == wanted
                && let Some(found) = status_outcome(status)
            {
                return Ok(Reconciled::Published { remote_id: found.remote_id, url: found.url });
            }
        }
        if reached_before_start || statuses.len() < 40 {
            Ok(Reconciled::NotPublished)
        } else {
            Ok(Reconciled::Unknown("the account has posted too much since to tell from its recent posts".into()))
        }
    }
}

fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.replace("</p><p>", "\n\n").replace("<br>", "\n").replace("<br />", "\n").chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Network for Mastodon {
    fn link_about(&self) -> &'static str {
        "A Mastodon account: the server's address and an access token"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("server", "the server's address").example("https://mastodon.social"),
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
            Ok(super::link::Linking::new(endpoint(values.given("server"))?, token))
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        verified.remote_id.clone()
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Mastodon
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Mastodon]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M23.268 5.313c-.35-2.578-2.617-4.61-5.304-5.004C17.51.242 15.792 0 11.813 0h-.03c-3.98 0-4.835.242-5.288.309C3.882.692 1.496 2.518.917 5.127.64 6.412.61 7.837.661 9.143c.074 1.874.088 3.745.26 5.611.118 1.24.325 2.47.62 3.68.55 2.237 2.777 4.098 4.96 4.857 2.336.792 4.849.923 7.256.38.265-.061.527-.132.786-.213.585-.184 1.27-.39 1.774-.753a.057.057 0 0 0 .023-.043v-1.809a.052.052 0 0 0-.02-.041.053.053 0 0 0-.046-.01 20.282 20.282 0 0 1-4.709.545c-2.73 0-3.463-1.284-3.674-1.818a5.593 5.593 0 0 1-.319-1.433.053.053 0 0 1 .066-.054c1.517.363 3.072.546 4.632.546.376 0 .75 0 1.125-.01 1.57-.044 3.224-.124 4.768-.422.038-.008.077-.015.11-.024 2.435-.464 4.753-1.92 4.989-5.604.008-.145.03-1.52.03-1.67.002-.512.167-3.63-.024-5.545zm-3.748 9.195h-2.561V8.29c0-1.309-.55-1.976-1.67-1.976-1.23 0-1.846.79-1.846 2.35v3.403h-2.546V8.663c0-1.56-.617-2.35-1.848-2.35-1.112 0-1.668.668-1.67 1.977v6.218H4.822V8.102c0-1.31.337-2.35 1.011-3.12.696-.77 1.608-1.164 2.74-1.164 1.311 0 2.302.5 2.962 1.498l.638 1.06.638-1.06c.66-.999 1.65-1.498 2.96-1.498 1.13 0 2.043.395 2.74 1.164.675.77 1.012 1.81 1.012 3.12z";
        Look {
            color: "#6364ff",
            logo: Some(LOGO),
            logo_color: "#6364FF",
            accent: Some("#6364ff"),
            link_card: true,
            compact_card: true,
            link_length: Some(30),
            ..Look::FEED
        }
    }

    fn rules(&self, cached: Option<&Value>) -> TargetRules {
        let table = TargetRules::from_profile(crate::profiles::profile(Target::Mastodon));
        let Some(config) = cached.and_then(|c| c.get("configuration")) else { return table };
        let number = |section: &str, key: &str, default: usize| {
            config
                .get(section)
                .and_then(|s| s.get(key))
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(default)
        };
        let url_weight = match table.counting {
            TextCounting::Mastodon { url_weight } => url_weight,
            _ => 23,
        };
        TargetRules {
            text_limit: number("statuses", "max_characters", table.text_limit),
            counting: TextCounting::Mastodon {
                url_weight: number("statuses", "characters_reserved_per_url", url_weight),
            },
            max_media: number("statuses", "max_media_attachments", table.max_media),
            source: "the server's limit".into(),
            ..table
        }
    }

    /// `{server}/@{user}` from the remote identity `@user@domain`.
    fn page_url(&self, account: &Account, _facts: Option<&Value>) -> Option<String> {
        let user = account.remote_id.as_deref()?.trim_start_matches('@').split('@').next()?;
        (!user.is_empty()).then(|| format!("{}/@{user}", account.endpoint.trim_end_matches('/')))
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("mastodon:instance:{}", account.endpoint))
    }

    /// The server's own image limits, where it published them, replace the table's defaults.
    fn image_spec(&self, cached: Option<&Value>) -> Option<crate::media::ImageSpec> {
        let mut spec = crate::media::ImageSpec::from_rules(crate::profiles::profile(self.target()).image.as_ref()?);
        let limits = cached.and_then(|c| c.get("configuration")).and_then(|c| c.get("media_attachments"));
        if let Some(bytes) = limits.and_then(|l| l.get("image_size_limit")).and_then(Value::as_u64) {
            spec.max_bytes = bytes;
        }
        if let Some(pixels) = limits.and_then(|l| l.get("image_matrix_limit")).and_then(Value::as_u64) {
            spec.max_pixels = pixels;
        }
        Some(spec)
    }

    /// The server's own video size limit, where it published one, replaces the table's default.
    fn video_rules(&self, cached: Option<&Value>) -> Option<crate::profiles::VideoRules> {
        let mut rules = crate::profiles::profile(self.target()).video.clone()?;
        if let Some(bytes) = cached
            .and_then(|c| c.get("configuration"))
            .and_then(|c| c.get("media_attachments"))
            .and_then(|l| l.get("video_size_limit"))
            .and_then(Value::as_u64)
        {
            rules.max_bytes = bytes;
        }
        Some(rules)
    }

    fn pacing(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn handle(&self, account: &Account, _facts: Option<&Value>) -> Option<String> {
        account.remote_id.clone()
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let (_, instance) =
                call("reading the server's limits", http.get(api(account, "/api/v2/instance")), now).await?;
            let (_, me) = call(
                "checking the access token",
                http.get(api(account, "/api/v1/accounts/verify_credentials")).bearer_auth(secret.expose()),
                now,
            )
            .await?;
            let username = me.get("acct").and_then(Value::as_str).unwrap_or("unknown");
            let domain = instance.get("domain").and_then(Value::as_str).unwrap_or_default();
            let remote_id = if username.contains('@') || domain.is_empty() {
                format!("@{username}")
            } else {
                format!("@{username}@{domain}")
            };
            let display_name =
                me.get("display_name").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(username).to_owned();
            let picture = super::Picture::address(
                ["avatar_static", "avatar"].iter().find_map(|k| me.get(*k).and_then(Value::as_str)).map(str::to_owned),
            );
            Ok(Verified { remote_id, display_name, cache: Some(instance), secret: None, picture })
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
        async move {
            if started.until(job.now()) < IDEMPOTENCY_WINDOW {
                // The server still remembers the key: repeating the request returns the status it
                // made, or makes it now if the first request never arrived. Either way: once.
                let published = self.publish(job).await?;
                return Ok(Reconciled::Published { remote_id: published.remote_id, url: published.url });
            }
            self.find_in_recent(job, started).await
        }
        .boxed()
    }
}

/// A Mastodon server address, normalised to its origin.
pub fn endpoint(server: &str) -> crate::error::Result<String> {
    let url = super::link::parse_base("the Mastodon server", server)?;
    if !matches!(url.path(), "" | "/") {
        return Err(crate::error::Error::invalid(format!(
            "give the Mastodon server's address only, like https://mastodon.social (not a path such as {})",
            url.path()
        )));
    }
    Ok(super::link::origin(&url))
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn server_addresses_are_normalised_and_checked() {
        assert_eq!(endpoint("mastodon.social").expect("bare host"), "https://mastodon.social");
        assert_eq!(endpoint("https://example.org/").expect("slash"), "https://example.org");
        assert_eq!(endpoint("http://127.0.0.1:8080").expect("loopback http"), "http://127.0.0.1:8080");
        assert!(endpoint("http://example.org").is_err(), "plain http leaks the token");
        assert!(endpoint("https://example.org/@me").is_err(), "a profile URL is not a server");
    }
}
