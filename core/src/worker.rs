//! The delivery loop: claims due deliveries with a lease, runs each network's steps, records every
//! outcome. Deliveries of different accounts run concurrently; one account's are paced (one at a
//! time, with the network's gap between starts). A heartbeat keeps the lease while a delivery runs;
//! if the lease is lost the delivery stops before its next step. Stopping (a `CancellationToken`)
//! is graceful: nothing new is claimed, a delivery that has not begun publishing is handed back,
//! one whose publish is in flight finishes. A delivery claimed with "publish starting" already
//! recorded (its worker died, or the answer was lost) is reconciled with the platform first.
//!
//! A local fault (database busy, locked or full, an I/O error) pauses the loop with a growing wait
//! and says so (`WorkerHealth`, a watch channel) instead of ending it. An outcome that cannot be
//! written is retried; a local error after "publish starting" makes the delivery unconfirmed, never
//! a plain retry. The loop's and the heartbeat's database calls run off the async threads. A lease
//! that runs out while its task is held up comes back to this worker's own claim, and the task
//! still running it goes on (no second task). `PauseHook` is the crash tests' hook (the CLI sets
//! it from `FANOUT_TEST_PAUSE_MS`).

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::accounts::blocking;
use crate::clock::{Clock, Timestamp};
use crate::error::{Error, Result};
use crate::media::cache::VariantCache;
use crate::model::{Delivery, DeliveryId, DeliveryState, Failure, FailureKind, Reconciled};
use crate::networks::{Job, Moment, MomentHook, Registry, StepError};
use crate::outbox::Outbox;
use crate::secrets::SecretStore;

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

/// Whether the worker can reach the outbox. A local fault (the database busy or locked by
/// another program, the disk full, an I/O error) pauses it; it says why, and tries again by
/// itself with a growing wait — it never just stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerHealth {
    Delivering,
    Paused { reason: String, retry_at: Timestamp },
}

/// The waits between tries while the outbox cannot be read or written: 1 s doubling to 30 s.
fn pause_after(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(5)).min(Duration::from_secs(30))
}

/// How often a run that ends by itself (`worker --once`, `post --wait`) tries a failing outbox
/// before it gives up with the error (about five minutes); a run that ends only when cancelled
/// never gives up.
const TRIES_BEFORE_GIVING_UP: u32 = 14;

/// The waits while an outcome cannot be recorded (busy, locked, full): about two minutes in all,
/// after each try's own busy wait. Past them the delivery is left to its lease, whose end makes
/// the next claim reconcile it if its publish had started.
const OUTCOME_WRITE_WAITS: &[Duration] = &[
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(30),
    Duration::from_secs(30),
];

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
    health: watch::Sender<WorkerHealth>,
    /// The deliveries this worker's tasks are running. A lease that ran out while its task was
    /// held up (a database locked longer than the lease) comes back to this worker's own claim:
    /// the task still running it goes on under the renewed lease, and no second task starts.
    running: std::sync::Mutex<std::collections::HashSet<DeliveryId>>,
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
        let (health, _) = watch::channel(WorkerHealth::Delivering);
        let running = std::sync::Mutex::default();
        Self { inner: Arc::new(Inner { outbox, registry, secrets, http, clock, config, health, running }) }
    }

    /// Follows whether the worker can reach the outbox (the app's and the CLI's "delivery paused").
    pub fn health(&self) -> watch::Receiver<WorkerHealth> {
        self.inner.health.subscribe()
    }

    /// Delivers until `cancel` fires or the configured stop condition holds. A local fault while
    /// looking at the outbox pauses the loop (see `WorkerHealth`), not ends it.
    pub async fn run(&self, cancel: CancellationToken) -> Result<RunSummary> {
        let inner = &self.inner;
        let mut summary = RunSummary::default();
        let mut tasks: JoinSet<Ended> = JoinSet::new();
        let mut failures = 0u32;
        loop {
            if cancel.is_cancelled() {
                break;
            }
            let now = inner.clock.now();
            let wait = match self.look(&mut tasks, &mut summary, &cancel, now).await {
                Ok(None) => break,
                Ok(Some(wait)) => {
                    if failures > 0 {
                        failures = 0;
                        tracing::info!("the outbox can be reached again; delivery resumes");
                        inner.health.send_replace(WorkerHealth::Delivering);
                    }
                    wait
                }
                Err(e) => {
                    failures += 1;
                    if inner.config.stop_when != StopWhen::Cancelled && failures >= TRIES_BEFORE_GIVING_UP {
                        while let Some(ended) = tasks.join_next().await {
                            count(&mut summary, ended);
                        }
                        return Err(e);
                    }
                    let wait = pause_after(failures);
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "delivery paused by a local error");
                    inner.health.send_replace(WorkerHealth::Paused { reason: e.to_string(), retry_at: now.plus(wait) });
                    wait
                }
            };
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

    /// One look at the outbox: claims what is due and starts it; `None` when the run should end,
    /// else how long to wait before the next look. The reads and writes run off the async threads:
    /// one waiting on a busy database must not stall the requests in flight.
    async fn look(
        &self,
        tasks: &mut JoinSet<Ended>,
        summary: &mut RunSummary,
        cancel: &CancellationToken,
        now: Timestamp,
    ) -> Result<Option<Duration>> {
        let free = self.inner.config.max_concurrent.saturating_sub(tasks.len());
        let running = !tasks.is_empty();
        let worker = self.clone();
        let (claimed, stop, wait) = tokio::task::spawn_blocking(move || -> Result<_> {
            let inner = &worker.inner;
            let claimed = if free > 0 {
                inner.outbox.claim_due(&inner.config.owner, now, inner.config.lease, free)?
            } else {
                Vec::new()
            };
            let stop = !running && claimed.is_empty() && worker.should_stop(now)?;
            let wait = if stop { Duration::ZERO } else { worker.idle_wait(now)? };
            Ok((claimed, stop, wait))
        })
        .await
        .map_err(|e| Error::Conflict(format!("looking at the outbox stopped: {e}")))??;
        summary.claimed += claimed.len();
        for delivery in claimed {
            if !self.running().insert(delivery.id) {
                tracing::warn!(delivery = %delivery.id, "its lease ran out while it was running here; it goes on");
                continue;
            }
            let worker = self.clone();
            let token = cancel.child_token();
            tasks.spawn(async move {
                let _running = Running { worker: worker.clone(), id: delivery.id };
                worker.run_one(delivery, token).await
            });
        }
        Ok((!stop).then_some(wait))
    }

    fn running(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<DeliveryId>> {
        self.inner.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `write` until it is done or fails for a reason other than a passing local fault
    /// (busy, locked, full), waiting between tries; the last error when the waits run out.
    async fn record<T>(&self, what: &str, id: DeliveryId, mut write: impl FnMut() -> Result<T>) -> Result<T> {
        let mut waits = OUTCOME_WRITE_WAITS.iter();
        loop {
            match write() {
                Err(e) if e.is_transient_local() => match waits.next() {
                    Some(wait) => {
                        tracing::warn!(delivery = %id, error = %e, "{what} could not be recorded yet; trying again");
                        tokio::time::sleep(*wait).await;
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
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
                // A local fault (the database, the disk, the secret store) is not the platform's
                // answer. Before "publish starting" it is retried like any passing fault. After it,
                // the post may be live: no local error may clear that mark, so the delivery is
                // unconfirmed and reconciled before anything is sent again.
                let started = match self.record("the delivery", id, || self.inner.outbox.get(id)).await {
                    Ok(Some(current)) => current.publish_started_at.is_some(),
                    Ok(None) => false,
                    Err(_) => true,
                };
                tracing::error!(delivery = %id, error = %e, publish_started = started, "delivery stopped by a local error");
                let failure = if started {
                    Failure::new(
                        FailureKind::OutcomeUnknown,
                        format!(
                            "a local error came after the post was sent to the platform ({e}); whether it went out is checked before anything is sent again"
                        ),
                    )
                } else {
                    Failure::transient(format!("local error: {e}"))
                };
                let owner = &self.inner.config.owner;
                let recorded = self
                    .record("the failed attempt", id, || {
                        let now = self.inner.clock.now();
                        self.inner.outbox.attempt_failed(&delivery, owner, now, &failure, &mut rand::rng())
                    })
                    .await;
                match recorded {
                    Ok(state) => Ended::State(state),
                    Err(e) => {
                        // Nothing was changed: the delivery stays running with its publish mark,
                        // and when its lease ends the next claim reconciles it first.
                        tracing::error!(delivery = %id, error = %e, "the outcome could not be recorded; the delivery is looked at again when its lease ends");
                        Ended::LeaseLost
                    }
                }
            }
        }
    }

    async fn deliver(&self, delivery: &Delivery, cancel: &CancellationToken) -> Result<Ended> {
        let inner = &self.inner;
        let owner = inner.config.owner.as_str();
        // A network sees only the text this account gets.
        let (account, post) = inner.outbox.inputs(delivery)?;
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
            Some(scope) => inner.outbox.shared(&scope)?.map(|(v, _)| v),
            None => None,
        };
        let spec = crate::networks::image_spec_for(network.as_ref(), cached.as_ref(), post.story);
        let media = post.media_for(account.id);
        let variants = inner.config.variants.clone();
        let uploads =
            tokio::task::spawn_blocking(move || crate::networks::uploads_for(&media, spec.as_ref(), &variants))
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
            if let Some(started) = delivery.publish_started_at {
                match network.reconcile(&mut job, started).await {
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
                self.record("the reconciled outcome", delivery.id, || {
                    inner.outbox.reconciled(delivery, owner, now, &outcome)
                })
                .await?;
                let state = match outcome {
                    Reconciled::Published { .. } => DeliveryState::Sent,
                    _ => DeliveryState::Unconfirmed,
                };
                Ended::State(state)
            }
            Outcome::Step(Ok(published), _) => {
                let url = published.url.as_deref();
                self.record("the sent post", delivery.id, || {
                    inner.outbox.sent(delivery, owner, now, &published.remote_id, url)
                })
                .await?;
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
                let state = self
                    .record("the failed attempt", delivery.id, || {
                        inner.outbox.attempt_failed(delivery, owner, now, &failure, &mut rand::rng())
                    })
                    .await?;
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
                // Off the delivery's task: a write waiting on a busy database must not stall the
                // request in flight beside it (its timeout would fire unread).
                let beat = {
                    let inner = inner.clone();
                    tokio::task::spawn_blocking(move || {
                        inner.outbox.heartbeat(id, &inner.config.owner, now, inner.config.lease)
                    })
                };
                let result = beat.await.unwrap_or_else(|e| Err(Error::Conflict(format!("the heartbeat stopped: {e}"))));
                match result {
                    Ok(()) => {}
                    // A busy database misses one beat; the next, a third of the lease later, may land.
                    Err(e) if e.is_transient_local() => {
                        tracing::warn!(delivery = %id, error = %e, "the lease could not be extended yet");
                    }
                    Err(e) => {
                    tracing::warn!(delivery = %id, error = %e, "could not extend the lease; stopping this delivery");
                    stop.cancel();
                    break;
                    }
                }
            }
            std::future::pending::<()>().await;
        }
        .boxed()
    }
}

/// Takes a delivery off the worker's running set when its task ends, even by a panic.
struct Running {
    worker: Worker,
    id: DeliveryId,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.running().remove(&self.id);
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
