//! The container flow Instagram and Threads share: files staged on the account's media host
//! (checkpointed under `hosted`), containers polled until processed, the day's quota read before
//! publishing (a spent one waits an hour instead of failing), the staged files removed afterwards.
//! `quota` reads an account's 24-hour publishing quota now, which the app shows beside the account
//! (`Accounts::publishing_quota`).

use std::time::Duration;

use serde_json::Value;

use super::graph::{self, Graph};
use super::hosting::{self, HostAccess};
use super::{Job, StepError};
use crate::model::{Failure, FailureKind};

/// The longest a container may stay IN_PROGRESS before this attempt gives up (the next resumes).
const PROCESSING_LIMIT: Duration = Duration::from_secs(10 * 60);

/// How far a container delivery got (Instagram, Threads; a team chat uses `hosted` alone), in
/// the JSON earlier versions kept: the files staged on the media host, the carousel items'
/// containers, the container to publish, and Instagram's first comment (`comment` present, even
/// `null`, means it was added).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Progress {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) hosted: Vec<Option<hosting::Staged>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) items: Vec<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) container: Option<String>,
    #[serde(default, deserialize_with = "super::present", skip_serializing_if = "Option::is_none")]
    pub(super) comment: Option<Value>,
}

impl Progress {
    /// Forgets the containers (spent ones are made again); the staged files stay.
    pub(super) fn forget_containers(&mut self) {
        self.items.clear();
        self.container = None;
    }
}

pub(super) fn stopping(job: &Job<'_>) -> Result<(), StepError> {
    if job.stopping() {
        return Err(StepError::Abort(crate::Error::Conflict("the worker is stopping".into())));
    }
    Ok(())
}

/// Puts file `index` on the account's media host (once); returns its public address.
pub(super) async fn stage(
    job: &mut Job<'_>,
    g: Option<&Graph<'_>>,
    index: usize,
    no_host: &str,
) -> Result<String, StepError> {
    let mut progress: Progress = job.steps_done();
    if let Some(staged) = super::step_done(&progress.hosted, index) {
        return Ok(staged.url.clone());
    }
    stopping(job)?;
    let host = job.account.options.media_host.clone().ok_or_else(|| Failure::rejected(no_host))?;
    let media = job.media[index].clone();
    job.progress(crate::outbox::Step::Upload { n: index + 1, total: job.media.len() });
    let access = HostAccess { graph: g, http: job.http, secret: job.host_secret, now: job.now() };
    let key = format!("fanout/{}/{}-{}", job.delivery.id, index + 1, media.file_name);
    let staged = hosting::stage(&host, &access, &media, &key).await?;
    let url = staged.url.clone();
    super::set_step(&mut progress.hosted, index, staged);
    job.save_steps(&progress)?;
    Ok(url)
}

/// Removes the staged files; best effort, the post is live either way.
pub(super) async fn remove_staged(job: &Job<'_>, g: &Graph<'_>) {
    let Some(host) = &job.account.options.media_host else { return };
    let access = HostAccess { graph: Some(g), http: job.http, secret: job.host_secret, now: job.now() };
    let progress: Progress = job.steps_done();
    for staged in progress.hosted.iter().flatten() {
        if let Err(e) = hosting::remove(host, &access, &staged.id).await {
            tracing::warn!(account = %job.account.id, error = %e, "a staged file stays where it was put");
        }
    }
}

/// What a network's container says of its processing: the field holding the status, and the
/// fields asked for. Each must exist on that network's container type, or the Graph API refuses
/// the whole read (error #100, "nonexisting field"): an Instagram container
/// (`ShadowIGMediaBuilder`) has `status_code` and `status` but no `error_message`, which is a
/// Threads container's.
pub(super) struct StatusFields {
    status: &'static str,
    asked: &'static str,
}

pub(super) const INSTAGRAM_CONTAINER: StatusFields =
    StatusFields { status: "status_code", asked: "status_code,status" };
pub(super) const THREADS_CONTAINER: StatusFields = StatusFields { status: "status", asked: "status,error_message" };

/// Polls a container until processed; a spent container (ERROR, EXPIRED) is forgotten so the
/// next attempt makes new ones.
pub(super) async fn wait_finished(
    job: &mut Job<'_>,
    g: &Graph<'_>,
    id: &str,
    what: &str,
    fields: &StatusFields,
) -> Result<(), StepError> {
    let status_field = fields.status;
    let started = job.now();
    let mut pause = Duration::from_millis(100);
    loop {
        let answer = g.call(what, g.get(&format!("{id}?fields={}", fields.asked))).await?;
        let status = answer.get(status_field).and_then(Value::as_str).unwrap_or("IN_PROGRESS");
        match status {
            "FINISHED" | "PUBLISHED" => return Ok(()),
            "ERROR" | "EXPIRED" => {
                let mut progress: Progress = job.steps_done();
                progress.forget_containers();
                job.save_steps(&progress)?;
                let detail = ["error_message", "status"]
                    .iter()
                    .find_map(|f| answer.get(*f).and_then(Value::as_str).filter(|d| *d != status))
                    .unwrap_or(status);
                return Err(if status == "EXPIRED" {
                    Failure::transient(format!("{what}: {} let the container expire; it is made again", g.network))
                } else {
                    Failure::rejected(format!("{what}: {} could not process it ({detail})", g.network))
                }
                .into());
            }
            _ => {}
        }
        if started.until(job.now()) > PROCESSING_LIMIT {
            return Err(Failure::transient(format!(
                "{what}: {} is still processing after {} minutes",
                g.network,
                PROCESSING_LIMIT.as_secs() / 60
            ))
            .into());
        }
        stopping(job)?;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(3));
    }
}

/// How much of its 24-hour publishing quota an account has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub used: u64,
    pub total: u64,
}

impl Quota {
    pub fn left(self) -> u64 {
        self.total.saturating_sub(self.used)
    }
}

/// Reads the 24-hour publishing quota at `path` (`content_publishing_limit`,
/// `threads_publishing_limit`); `None` when the answer does not say.
pub(super) async fn read_quota(g: &Graph<'_>, path: &str) -> Result<Option<Quota>, crate::model::Failure> {
    let answer = g.call("reading the publishing quota", g.get(path)).await?;
    let data = answer.get("data").and_then(|d| d.get(0));
    let used = data.and_then(|d| d.get("quota_usage")).and_then(Value::as_u64);
    let total = data.and_then(|d| d.get("config")).and_then(|c| c.get("quota_total")).and_then(Value::as_u64);
    Ok(used.zip(total).map(|(used, total)| Quota { used, total }))
}

/// Reads the day's publishing quota at `path`; a spent one waits an hour instead of failing.
pub(super) async fn check_quota(g: &Graph<'_>, path: &str) -> Result<(), StepError> {
    if let Some(Quota { used, total }) = read_quota(g, path).await?
        && used >= total
    {
        return Err(Failure::new(
            FailureKind::RateLimited,
            format!(
                "{}'s publishing limit is reached ({used} of {total} posts in 24 hours); the post waits",
                g.network
            ),
        )
        .with_retry_after(Some(Duration::from_secs(3600)))
        .into());
    }
    Ok(())
}

/// The account's publishing quota now, read from its Graph `edge` (Instagram's
/// `content_publishing_limit`, Threads' `threads_publishing_limit`); `network` names the platform
/// in messages.
pub(super) async fn quota(
    http: &reqwest::Client,
    account: &crate::model::Account,
    secret: &crate::secrets::Secret,
    network: &'static str,
    edge: &str,
) -> Result<Option<Quota>, crate::model::Failure> {
    let user = account.remote_id.as_deref().unwrap_or("me");
    let g = Graph::new(network, http, &account.endpoint, secret);
    read_quota(&g, &format!("{user}/{edge}?fields=quota_usage,config")).await
}

/// The publish answer's id, or an unknown outcome.
pub(super) fn published_id(g: &Graph<'_>, value: &Value) -> Result<String, Failure> {
    graph::id_of(value, "id").ok_or_else(|| {
        Failure::new(
            FailureKind::OutcomeUnknown,
            format!("{} answered the publish without an id — the post may or may not be live", g.network),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_what_earlier_versions_kept_and_keeps_its_shape() {
        let kept = serde_json::json!({
            "hosted": [{ "id": "fanout/d/1-a.jpg", "url": "https://cdn.example/a.jpg" }, null],
            "items": ["17890", null],
            "container": "17891",
            "comment": null
        });
        let mut progress: Progress = serde_json::from_value(kept.clone()).expect("reads");
        assert_eq!(
            super::super::step_done(&progress.hosted, 0).map(|s| s.url.as_str()),
            Some("https://cdn.example/a.jpg")
        );
        assert_eq!(progress.comment, Some(Value::Null), "a comment added without an id is still added");
        assert_eq!(serde_json::to_value(&progress).expect("writes"), kept, "the same JSON as before");
        progress.forget_containers();
        let left = serde_json::to_value(&progress).expect("writes");
        assert!(
            left.get("items").is_none() && left.get("container").is_none() && left.get("hosted").is_some(),
            "{left}"
        );
    }
}
