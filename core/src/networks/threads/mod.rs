//! Threads through its own Graph API (`graph.threads.net/v1.0`), the container flow: a text post
//! is one TEXT container; photos and videos are first put in the account's S3-compatible bucket
//! (Threads fetches media by address), then one container per file (carousel items for several),
//! polled until FINISHED; the day's quota (`threads_publishing_limit`, 250) is read; then
//! `threads_publish` — the only publishing step. Ids are checkpointed before each next step, and
//! a lost publish is settled by the container's status (PUBLISHED = done).

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::graph::{self, Graph};
use super::{Job, Look, Network, StepError, Verified, containers};
use crate::clock::Timestamp;
use crate::model::{Account, Failure, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "Threads";
/// Threads' API root and the version Fanout speaks.
pub const ROOT: &str = "https://graph.threads.net";
pub const VERSION: &str = "v1.0";
const NO_HOST: &str = "Threads fetches photos and videos from a public address: link the account again with an S3-compatible bucket, or share text only";

#[derive(Debug, Clone, Copy)]
pub struct Threads;

fn user(account: &Account) -> Result<&str, Failure> {
    account
        .remote_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::rejected("the account has no Threads user id; link it again"))
}

impl Threads {
    async fn create(
        &self,
        g: &Graph<'_>,
        user: &str,
        step: &str,
        form: &[(&str, String)],
    ) -> Result<String, StepError> {
        let answer = g.call(step, g.post(&format!("{user}/threads")).form(form)).await?;
        Ok(graph::id_of(&answer, "id")
            .ok_or_else(|| Failure::transient(format!("{step}: no container id came back")))?)
    }

    async fn container(&self, job: &mut Job<'_>, g: &Graph<'_>) -> Result<String, StepError> {
        let user = user(job.account)?.to_owned();
        let text = job.post.text.clone();
        let mut urls = Vec::with_capacity(job.media.len());
        for index in 0..job.media.len() {
            urls.push(containers::stage(job, Some(g), index, NO_HOST).await?);
        }
        if let Some(id) = job.steps_done::<containers::Progress>().container {
            containers::wait_finished(job, g, &id, "processing the post", &containers::THREADS_CONTAINER).await?;
            return Ok(id);
        }
        let kind =
            |mime: &str| if mime.starts_with("video/") { ("VIDEO", "video_url") } else { ("IMAGE", "image_url") };
        let id = match urls.len() {
            0 => self.create(g, &user, "preparing the post", &[("media_type", "TEXT".into()), ("text", text)]).await?,
            1 => {
                let (media_type, field) = kind(&job.media[0].mime);
                let form = [("media_type", media_type.to_owned()), (field, urls[0].clone()), ("text", text)];
                self.create(g, &user, &format!("preparing {}", job.media[0].file_name), &form).await?
            }
            n => {
                let mut children = Vec::with_capacity(n);
                for (index, url) in urls.iter().enumerate() {
                    let done = super::step_done(&job.steps_done::<containers::Progress>().items, index).cloned();
                    let child = match done {
                        Some(id) => id,
                        None => {
                            containers::stopping(job)?;
                            let (media_type, field) = kind(&job.media[index].mime);
                            let form = [
                                ("media_type", media_type.to_owned()),
                                (field, url.clone()),
                                ("is_carousel_item", "true".into()),
                            ];
                            let step = format!("preparing item {} of {n} ({})", index + 1, job.media[index].file_name);
                            let id = self.create(g, &user, &step, &form).await?;
                            let mut progress: containers::Progress = job.steps_done();
                            super::set_step(&mut progress.items, index, id.clone());
                            job.save_steps(&progress)?;
                            id
                        }
                    };
                    children.push(child);
                }
                for (index, child) in children.iter().enumerate() {
                    containers::wait_finished(
                        job,
                        g,
                        child,
                        &format!("processing item {} of {n}", index + 1),
                        &containers::THREADS_CONTAINER,
                    )
                    .await?;
                }
                let form = [("media_type", "CAROUSEL".to_owned()), ("children", children.join(",")), ("text", text)];
                self.create(g, &user, "preparing the carousel", &form).await?
            }
        };
        let mut progress: containers::Progress = job.steps_done();
        progress.container = Some(id.clone());
        job.save_steps(&progress)?;
        containers::wait_finished(job, g, &id, "processing the post", &containers::THREADS_CONTAINER).await?;
        Ok(id)
    }

    async fn publish(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        graph::metered!(NAME, job, |g| self.publish_with(job, &g))
    }

    async fn publish_with(&self, job: &mut Job<'_>, g: &Graph<'_>) -> Result<Published, StepError> {
        let container = self.container(job, g).await?;
        let user = user(job.account)?.to_owned();
        containers::check_quota(g, &format!("{user}/threads_publishing_limit?fields=quota_usage,config")).await?;
        let request = g.post(&format!("{user}/threads_publish")).form(&[("creation_id", container.as_str())]);
        let answer = job.publish(NAME, request).await?;
        let value = g.read_publish("publishing", answer)?;
        let id = containers::published_id(g, &value)?;
        let url = self.permalink(g, &id).await;
        containers::remove_staged(job, g).await;
        Ok(Published { remote_id: id, url })
    }

    async fn permalink(&self, g: &Graph<'_>, id: &str) -> Option<String> {
        g.call("reading the permalink", g.get(&format!("{id}?fields=permalink")))
            .await
            .ok()?
            .get("permalink")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    async fn settle(&self, job: &mut Job<'_>, started: Timestamp) -> Result<Reconciled, StepError> {
        let g = Graph::new(NAME, job.http, &job.account.endpoint, job.secret);
        let Some(container) = job.steps_done::<containers::Progress>().container else {
            return Ok(Reconciled::NotPublished);
        };
        let status = g.call("checking the post's status", g.get(&format!("{container}?fields=status"))).await?;
        if status.get("status").and_then(Value::as_str) != Some("PUBLISHED") {
            return Ok(Reconciled::NotPublished);
        }
        let user = user(job.account)?.to_owned();
        let list = g
            .call("reading recent posts", g.get(&format!("{user}/threads?fields=id,text,timestamp,permalink&limit=25")))
            .await?;
        let wanted = graph::normalise(&job.post.text);
        let found = list.get("data").and_then(Value::as_array).into_iter().flatten().find(|t| {
            let fresh = t
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(graph::parse_time)
                .is_none_or(|at| at.0 >= started.0 - 60_000);
            fresh && t.get("text").and_then(Value::as_str).map(graph::normalise).unwrap_or_default() == wanted
        });
        containers::remove_staged(job, &g).await;
        Ok(
            match found.and_then(|t| {
                graph::id_of(t, "id").map(|id| (id, t.get("permalink").and_then(Value::as_str).map(str::to_owned)))
            }) {
                Some((id, url)) => Reconciled::Published { remote_id: id, url },
                None => Reconciled::Published { remote_id: container, url: None },
            },
        )
    }
}

impl Network for Threads {
    fn link_about(&self) -> &'static str {
        "A Threads profile by its access token; photos and videos need a bucket"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("api", "the Threads API's address (for testing)").hidden(),
            super::link::Field::secret("token", "access token"),
            super::link::Field::bucket("a bucket for photos and videos"),
            super::link::Field::text("expires_at", "when the token expires (seconds since 1970)").hidden(),
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
            let url = super::link::parse_base("the Threads API address", values.text("api").unwrap_or(ROOT))?;
            let path = url.path().trim_end_matches('/');
            let endpoint = if path.ends_with(VERSION) {
                format!("{}{path}", super::link::origin(&url))
            } else {
                format!("{}{path}/{}", super::link::origin(&url), VERSION)
            };
            let mut linking = super::link::Linking::new(endpoint, token).hosted(values.bucket())?;
            if let Some(at) = values.text("expires_at").and_then(|t| t.parse::<i64>().ok()) {
                linking.facts.insert("token_expires_at".into(), json!(at));
            }
            Ok(linking)
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("Threads: {}", verified.display_name)
    }

    fn features(&self) -> super::Features {
        super::Features { publishing_quota: true, ..Default::default() }
    }

    fn publishing_quota<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
    ) -> BoxFuture<'a, Result<Option<containers::Quota>, Failure>> {
        containers::quota(http, account, secret, "Threads", "threads_publishing_limit").boxed()
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Threads
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Threads]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M18.263 11.097c-.03-3.486-1.92-5.586-5.111-5.586-2.13 0-3.922.963-4.863 2.499l2.062 1.438c.535-.843 1.272-1.543 2.628-1.543 1.528 0 2.318.85 2.544 2.431a15 15 0 0 0-2.236-.173c-4.125 0-6.068 1.867-6.068 4.336s1.943 3.99 4.804 3.99c3.139 0 5.013-2.115 5.781-4.735.798.361 1.348 1.204 1.348 2.47 0 3.387-3.907 5.232-7.22 5.232-4.885 0-8.077-3.207-8.077-8.424 0-6.392 4.223-10.487 9.9-10.487 3.808 0 5.69 1.671 6.97 3.914l2.108-1.475C21.44 2.078 18.331 0 13.663 0 6.227 0 1.168 5.277 1.168 12.934c0 7 4.953 11.066 10.856 11.066 4.878 0 9.809-2.846 9.809-7.716 0-2.545-1.46-4.231-3.569-5.187m-6.33 4.855c-1.077 0-2.026-.512-2.026-1.453 0-1.483 1.822-1.934 3.606-1.934.678 0 1.34.045 1.927.173-.422 1.927-1.671 3.215-3.508 3.214Z";
        Look {
            color: "#101010",
            logo: Some(LOGO),
            logo_color: "#000000",
            carousel: true,
            link_card: true,
            fold_at: Some(500),
            link_length: Some(30),
            ..Look::FEED
        }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("threads:user:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn page_url(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        let username = facts.and_then(|f| f.get("username")).and_then(Value::as_str)?;
        Some(format!("https://www.threads.net/@{username}"))
    }

    fn pacing(&self) -> Duration {
        Duration::from_secs(2)
    }

    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        super::at_fact(facts, "username")
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let g = Graph::new(NAME, http, &account.endpoint, secret);
            let me = g
                .call("reading the Threads profile", g.get("me?fields=id,username,name,threads_profile_picture_url"))
                .await?;
            let id = graph::id_of(&me, "id").ok_or_else(|| Failure::transient("Threads gave no user id"))?;
            let username = me.get("username").and_then(Value::as_str).unwrap_or(&id).to_owned();
            Ok(Verified {
                remote_id: id,
                display_name: format!("@{username}"),
                cache: Some(json!({ "username": username })),
                secret: None,
                picture: super::Picture::address(
                    me.get("threads_profile_picture_url").and_then(Value::as_str).map(str::to_owned),
                ),
            })
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
        self.settle(job, started).boxed()
    }
}
