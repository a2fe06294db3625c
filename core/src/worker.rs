//! The delivery loop: claims due deliveries with a lease, runs each network's steps, records every
//! outcome. Deliveries of different accounts run concurrently; one account's are paced (one at a
//! time, with the network's gap between starts). A heartbeat keeps the lease while a delivery runs;
//! if the lease is lost the delivery stops before its next step. Stopping is graceful: nothing new
//! is claimed, a delivery that has not begun publishing is handed back, one whose publish is in
//! flight finishes (the HTTP timeouts bound it).
//!
//! A delivery claimed with "publish about to be sent" already recorded (its worker died, or the
//! answer was lost) is reconciled with the platform before anything is published again.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::accounts::blocking;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::media::cache::VariantCache;
use crate::model::{Delivery, DeliveryId, DeliveryState, Failure, FailureKind, Reconciled};
use crate::networks::{Job, Moment, MomentHook, Registry, StepError};
use crate::outbox::Outbox;
use crate::secrets::SecretStore;
use crate::store::{accounts, posts};

/// When `Worker::run` returns by itself.
#[derive(Debug, Clone, PartialEq)]
pub enum StopWhen {
    /// Only when cancelled.
    Cancelled,
    /// When nothing is due and nothing is running (`fanout worker --once`).
    Idle,
    /// When each of these deliveries has settled or waits for the user (`fanout post --wait`).
    Settled(Vec<DeliveryId>),
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker's leases; unique per process.
    pub owner: String,
    pub lease: Duration,
    pub max_concurrent: usize,
    /// The longest sleep between looks at the outbox (another process may enqueue).
    pub poll: Duration,
    pub stop_when: StopWhen,
    /// Overrides every network's pacing (tests and benchmarks use zero).
    pub pacing: Option<Duration>,
    pub hook: Option<Arc<dyn MomentHook>>,
    /// Where fitted images are cached.
    pub variants: VariantCache,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            owner: format!("worker-{}", uuid::Uuid::now_v7()),
            lease: Duration::from_secs(60),
            max_concurrent: 16,
            poll: Duration::from_secs(1),
            stop_when: StopWhen::Cancelled,
            pacing: None,
            hook: None,
            variants: VariantCache::new(std::env::temp_dir().join("fanout-variants"), 512 * 1024 * 1024),
        }
    }
}

/// What one run did, for the CLI's closing line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub needs_attention: usize,
    pub unconfirmed: usize,
    pub failed: usize,
    pub handed_back: usize,
}

#[derive(Debug, Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    outbox: Outbox,
    registry: Registry,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
}

/// How one delivery ended for this worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    State(DeliveryState),
    HandedBack,
    LeaseLost,
}

impl Worker {
    pub fn new(
        outbox: Outbox,
        registry: Registry,
        secrets: Arc<dyn SecretStore>,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Self {
        Self { inner: Arc::new(Inner { outbox, registry, secrets, http, clock, config }) }
    }

    /// Delivers until `cancel` fires or the configured stop condition holds.
    pub async fn run(&self, cancel: CancellationToken) -> Result<RunSummary> {
        let inner = &self.inner;
        let mut summary = RunSummary::default();
        let mut tasks: JoinSet<Ended> = JoinSet::new();
        loop {
            if cancel.is_cancelled() {
                break;
            }
            let now = inner.clock.now();
            let free = inner.config.max_concurrent.saturating_sub(tasks.len());
            let claimed = if free > 0 {
                inner.outbox.claim_due(&inner.config.owner, now, inner.config.lease, free)?
            } else {
                Vec::new()
            };
            summary.claimed += claimed.len();
            for delivery in claimed {
                let worker = self.clone();
                let token = cancel.child_token();
                tasks.spawn(async move { worker.run_one(delivery, token).await });
            }
            if tasks.is_empty() && self.should_stop(now)? {
                break;
            }
            let wait = self.idle_wait(now)?;
            tokio::select! {
                () = cancel.cancelled() => {}
                Some(ended) = tasks.join_next(), if !tasks.is_empty() => count(&mut summary, ended),
                () = tokio::time::sleep(wait) => {}
            }
        }
        while let Some(ended) = tasks.join_next().await {
            count(&mut summary, ended);
        }
        Ok(summary)
    }

    fn should_stop(&self, now: crate::clock::Timestamp) -> Result<bool> {
        let outbox = &self.inner.outbox;
        match &self.inner.config.stop_when {
            StopWhen::Cancelled => Ok(false),
            StopWhen::Idle => Ok(!outbox.has_due_or_running(now)?),
            StopWhen::Settled(ids) => outbox.all_settled(ids),
        }
    }

    fn idle_wait(&self, now: crate::clock::Timestamp) -> Result<Duration> {
        let poll = self.inner.config.poll;
        Ok(match self.inner.outbox.next_due()? {
            Some(at) if at.0 > now.0 => now.until(at).min(poll),
            Some(_) => Duration::from_millis(20).min(poll),
            None => poll,
        })
    }

    async fn run_one(&self, delivery: Delivery, cancel: CancellationToken) -> Ended {
        let id = delivery.id;
        match self.deliver(&delivery, &cancel).await {
            Ok(ended) => ended,
            Err(Error::LeaseLost(_)) => {
                tracing::warn!(delivery = %id, "lease lost to another worker; stopped");
                Ended::LeaseLost
            }
            Err(e) => {
                // A local fault (the database, the secret store) is not the platform's answer:
                // record it as a transient failure so the delivery is retried, not lost.
                tracing::error!(delivery = %id, error = %e, "delivery stopped by a local error");
                let failure = Failure::transient(format!("local error: {e}"));
                let mut rng = rand::rng();
                let now = self.inner.clock.now();
                match self.inner.outbox.attempt_failed(&delivery, &self.inner.config.owner, now, &failure, &mut rng) {
                    Ok(state) => Ended::State(state),
                    Err(_) => Ended::LeaseLost,
                }
            }
        }
    }

    async fn deliver(&self, delivery: &Delivery, cancel: &CancellationToken) -> Result<Ended> {
        let inner = &self.inner;
        let owner = inner.config.owner.as_str();
        let (account, post) = inner.outbox.store().read(|tx| {
            let account = accounts::get(tx, delivery.account_id)?
                .ok_or_else(|| Error::invalid(format!("delivery {} has no account", delivery.id)))?;
            let mut post = posts::get(tx, delivery.post_id)?
                .ok_or_else(|| Error::invalid(format!("delivery {} has no post", delivery.id)))?;
            // A network sees only the text this account gets.
            post.text = post.text_for(account.id).to_owned();
            Ok((account, post))
        })?;
        let key = account.secret_key();
        let secrets = inner.secrets.clone();
        let secret = match blocking(move || secrets.get(&key)).await? {
            Some(secret) => secret,
            None => {
                let failure = Failure::new(
                    FailureKind::Unauthorized,
                    format!(
                        "the account's secret is missing from {}; link the account again",
                        inner.secrets.describe()
                    ),
                );
                let state =
                    inner.outbox.attempt_failed(delivery, owner, inner.clock.now(), &failure, &mut rand::rng())?;
                return Ok(Ended::State(state));
            }
        };
        let host_secret = if matches!(account.options.media_host, Some(crate::model::MediaHost::S3 { .. })) {
            let key = crate::model::media_host_secret_key(account.id);
            let secrets = inner.secrets.clone();
            blocking(move || secrets.get(&key)).await?
        } else {
            None
        };
        let network = inner.registry.get(account.network).clone();
        let cached = match network.cache_scope(&account) {
            Some(scope) => inner.outbox.store().read(|tx| crate::store::cache::get(tx, &scope))?.map(|(v, _)| v),
            None => None,
        };
        let spec = crate::networks::image_spec_for(network.as_ref(), cached.as_ref(), post.story);
        let media = post.media.clone();
        let variants = inner.config.variants.clone();
        let uploads = tokio::task::spawn_blocking(move || crate::post::uploads_for(&media, spec.as_ref(), &variants))
            .await
            .map_err(|e| Error::invalid(format!("media preparation stopped: {e}")))?;
        let uploads = match uploads {
            Ok(uploads) => uploads,
            Err(reason) => {
                let failure = Failure::rejected(format!("the media cannot be prepared: {reason}"));
                let state =
                    inner.outbox.attempt_failed(delivery, owner, inner.clock.now(), &failure, &mut rand::rng())?;
                return Ok(Ended::State(state));
            }
        };
        let job_cancel = cancel.child_token();
        let heartbeat = self.heartbeat(delivery.id, job_cancel.clone());
        let mut job = Job {
            account: &account,
            secret: &secret,
            host_secret: host_secret.as_ref(),
            post: &post,
            media: &uploads,
            delivery,
            facts: cached.as_ref(),
            http: &inner.http,
            clock: &inner.clock,
            outbox: &inner.outbox,
            owner,
            hook: inner.config.hook.as_deref(),
            checkpoint: delivery.checkpoint.clone(),
            cancel: &job_cancel,
        };
        let work = async {
            if delivery.publish_started_at.is_some() {
                match network.reconcile(&mut job).await {
                    Ok(Reconciled::NotPublished) => {
                        inner.outbox.reconciled(delivery, owner, inner.clock.now(), &Reconciled::NotPublished)?;
                    }
                    Ok(outcome) => return Ok(Outcome::Reconciled(outcome)),
                    Err(e) => return Ok(Outcome::Step(Err(e), true)),
                }
            }
            Ok::<_, Error>(Outcome::Step(network.deliver(&mut job).await, false))
        };
        let outcome = tokio::select! {
            outcome = work => outcome,
            () = heartbeat => unreachable_heartbeat(),
        };
        job_cancel.cancel();
        let now = inner.clock.now();
        let pace = inner.config.pacing.unwrap_or_else(|| network.pacing());
        let ended = match outcome? {
            Outcome::Reconciled(outcome) => {
                inner.outbox.reconciled(delivery, owner, now, &outcome)?;
                let state = match outcome {
                    Reconciled::Published { .. } => DeliveryState::Sent,
                    _ => DeliveryState::Unconfirmed,
                };
                Ended::State(state)
            }
            Outcome::Step(Ok(published), _) => {
                inner.outbox.sent(delivery, owner, now, &published.remote_id, published.url.as_deref())?;
                tracing::info!(delivery = %delivery.id, account = %account.name, remote_id = %published.remote_id, "sent");
                Ended::State(DeliveryState::Sent)
            }
            Outcome::Step(Err(StepError::Failure(failure)), reconciling) => {
                let mut failure = failure;
                if reconciling && failure.kind == FailureKind::Transient {
                    // Still unknown whether it went out: keep it unconfirmed, ask again later.
                    failure.kind = FailureKind::OutcomeUnknown;
                }
                tracing::warn!(delivery = %delivery.id, account = %account.name, kind = failure.kind.as_str(), error = %failure.message, "attempt failed");
                let state = inner.outbox.attempt_failed(delivery, owner, now, &failure, &mut rand::rng())?;
                Ended::State(state)
            }
            Outcome::Step(Err(StepError::Abort(Error::LeaseLost(id))), _) => return Err(Error::LeaseLost(id)),
            Outcome::Step(Err(StepError::Abort(e)), _) => {
                if cancel.is_cancelled() {
                    inner.outbox.release(delivery, owner, now)?;
                    return Ok(Ended::HandedBack);
                }
                return Err(e);
            }
        };
        inner.outbox.pace_account(account.id, now.plus(pace))?;
        Ok(ended)
    }

    /// Extends the lease every third of its length until cancelled; never completes otherwise.
    fn heartbeat(&self, id: DeliveryId, stop: CancellationToken) -> BoxFuture<'static, ()> {
        let inner = self.inner.clone();
        async move {
            let every = inner.config.lease / 3;
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(every) => {}
                }
                let now = inner.clock.now();
                if let Err(e) = inner.outbox.heartbeat(id, &inner.config.owner, now, inner.config.lease) {
                    tracing::warn!(delivery = %id, error = %e, "could not extend the lease; stopping this delivery");
                    stop.cancel();
                    break;
                }
            }
            std::future::pending::<()>().await;
        }
        .boxed()
    }
}

enum Outcome {
    Reconciled(Reconciled),
    /// A step's result; `true` when it came from reconciling.
    Step(std::result::Result<crate::model::Published, StepError>, bool),
}

fn unreachable_heartbeat() -> Result<Outcome> {
    Err(Error::Conflict("the heartbeat ended unexpectedly".into()))
}

fn count(summary: &mut RunSummary, ended: std::result::Result<Ended, tokio::task::JoinError>) {
    match ended {
        Ok(Ended::State(DeliveryState::Sent)) => summary.sent += 1,
        Ok(Ended::State(DeliveryState::RetryWait)) => summary.retrying += 1,
        Ok(Ended::State(DeliveryState::NeedsAttention)) => summary.needs_attention += 1,
        Ok(Ended::State(DeliveryState::Unconfirmed)) => summary.unconfirmed += 1,
        Ok(Ended::State(DeliveryState::Failed)) => summary.failed += 1,
        Ok(Ended::HandedBack) => summary.handed_back += 1,
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "a delivery task panicked; its lease will expire and it will be retried"),
    }
}

/// The crash-test hook: at each moment, prints `fanout-moment MOMENT DELIVERY` on standard error
/// and, before publishing and after the answer, pauses so a test can kill the process right there.
#[derive(Debug, Clone)]
pub struct PauseHook {
    pub pause: Duration,
}

impl MomentHook for PauseHook {
    fn reached<'a>(&'a self, moment: Moment, delivery: &'a Delivery) -> BoxFuture<'a, ()> {
        async move {
            eprintln!("fanout-moment {} {}", moment.as_str(), delivery.id);
            if moment != Moment::InFlight {
                tokio::time::sleep(self.pause).await;
            }
        }
        .boxed()
    }
}
