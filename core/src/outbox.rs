//! The outbox: the delivery state machine of DESIGN.md over the `deliveries` table.
//!
//! `queued → running → sent`; `running → retry_wait → (due) running` (backoff with full jitter, a
//! platform's Retry-After as the floor); `running → needs_attention` for refused credentials and
//! rejected posts (never retried by itself); `running → unconfirmed` when a publish may have
//! happened and the answer was lost, reconciled before anything is sent again; `failed` when the
//! retry budget is spent; `cancelled` by the user.
//!
//! `claim_due` is one `UPDATE … RETURNING` in `BEGIN IMMEDIATE`: at most one delivery per account,
//! none for an account that is disabled, removed, blocked or needs reconnecting, paused or paced.
//! `replace` is an edit: every delivery that has not started moves to the edited post (a kept
//! target keeps its delivery id); what started or went out stays with the old post and is returned
//! so the user is told. Also `reschedule` (a post none of whose deliveries started), `cancel_post`,
//! `retry_all_failures`, the user's `retry`, `cancel` and `resolve` (of an unconfirmed delivery),
//! and `progress`: a running delivery's `Step` (uploading n of m, publishing) in its event log.
//!
//! Every change is one transaction that also appends a `delivery_events` row; every time is a
//! parameter; a worker's change applies only while it still holds the delivery's lease.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{
    AccountId, Delivery, DeliveryId, DeliveryState, Failure, FailureKind, Health, Post, PostId, Recipient, Reconciled,
};
use crate::store::deliveries::{self, Filter, OutboxRow, Settle};
use crate::store::{Store, accounts, events, posts};

/// How far ahead a post may be scheduled. The platforms that schedule themselves take months at
/// most (Facebook six months), and a year covers any real plan.
pub const SCHEDULE_HORIZON: Duration = Duration::from_secs(366 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The first retry waits up to this long; each further one up to twice as long.
    pub base: Duration,
    /// No wait exceeds this (unless the platform asks for longer).
    pub cap: Duration,
    /// Attempts before a delivery is `failed`.
    pub max_attempts: u32,
    /// How long after a lost outcome the worker asks the platform what happened.
    pub reconcile_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(30 * 60),
            max_attempts: 8,
            reconcile_after: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next try after `attempts` failed ones: a uniformly random time up to
    /// `min(cap, base · 2^(attempts-1))` ("full jitter", so retries of many deliveries spread out
    /// instead of arriving together), but never less than the platform's own hint.
    pub fn backoff(&self, attempts: u32, hint: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(rng.random_range(0..=ceiling_ms));
        jittered.max(hint.unwrap_or(Duration::ZERO))
    }
}

/// What an edit did: the edited post, its deliveries (kept ones first moved, then new ones), and
/// the deliveries of the old post that had started or gone out and so were not changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Replaced {
    pub post: PostId,
    pub deliveries: Vec<DeliveryId>,
    pub unchanged: Vec<Delivery>,
}

/// A delivery an edit may still change: queued, never claimed, nothing published.
fn unstarted(d: &Delivery) -> bool {
    d.state == DeliveryState::Queued && d.attempts == 0 && d.publish_started_at.is_none()
}

fn not_editable() -> Error {
    Error::Conflict(
        "every delivery of this post has started, gone out or been cancelled, so it can no longer be edited; share it again instead"
            .into(),
    )
}

/// Writes one new queued delivery of `post` with its first event.
fn new_delivery(
    tx: &rusqlite::Transaction<'_>,
    post: &Post,
    account_id: AccountId,
    recipient: &Option<Recipient>,
    due: Timestamp,
    now: Timestamp,
) -> Result<DeliveryId> {
    let delivery = Delivery {
        id: DeliveryId::new(),
        post_id: post.id,
        account_id,
        recipient: recipient.clone(),
        state: DeliveryState::Queued,
        attempts: 0,
        next_attempt_at: due,
        lease_owner: None,
        lease_expires_at: None,
        publish_started_at: None,
        checkpoint: serde_json::json!({}),
        last_error: None,
        remote_id: None,
        remote_url: None,
        created_at: now,
        updated_at: now,
    };
    deliveries::insert(tx, &delivery)?;
    let detail = post.scheduled_at.map(|at| format!("scheduled for {}", at.to_rfc3339()));
    events::record(tx, delivery.id, now, DeliveryState::Queued, detail.as_deref())?;
    Ok(delivery.id)
}

/// Where one delivery goes: an account, and the person where the account messages people.
pub type DeliveryTarget = (AccountId, Option<Recipient>);

#[derive(Debug, Clone)]
pub struct Outbox {
    store: Arc<Store>,
    policy: RetryPolicy,
}

/// A step of a running delivery, kept in its event log as a machine-readable detail
/// (`step:upload:1:3`, `step:publish`) that each front end words in its own language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Uploading file `n` of `total`.
    Upload {
        n: usize,
        total: usize,
    },
    Publish,
}

impl Step {
    pub fn to_detail(self) -> String {
        match self {
            Self::Upload { n, total } => format!("step:upload:{n}:{total}"),
            Self::Publish => "step:publish".into(),
        }
    }

    pub fn parse(detail: &str) -> Option<Step> {
        let mut parts = detail.strip_prefix("step:")?.split(':');
        match parts.next()? {
            "upload" => Some(Step::Upload { n: parts.next()?.parse().ok()?, total: parts.next()?.parse().ok()? }),
            "publish" => Some(Step::Publish),
            _ => None,
        }
    }

    /// English, for the CLI.
    pub fn describe(self) -> String {
        match self {
            Self::Upload { n, total } => format!("uploading file {n} of {total}"),
            Self::Publish => "publishing".into(),
        }
    }
}

/// The user's answer for an unconfirmed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The user saw it live: mark it sent.
    Sent,
    /// The user checked it is not live: send it again.
    Resend,
}

impl Outbox {
    /// A fact deliveries share (a platform's id for a file already uploaded), with when it was
    /// kept; `scope` names it.
    pub(crate) fn shared(&self, scope: &str) -> Result<Option<(serde_json::Value, Timestamp)>> {
        self.store.read(|tx| crate::store::cache::get(tx, scope))
    }

    /// Keeps a fact for other deliveries under `scope`.
    pub(crate) fn share(&self, scope: &str, value: &serde_json::Value, at: Timestamp) -> Result<()> {
        self.store.write(|tx| crate::store::cache::put(tx, scope, value, at))
    }

    /// What a delivery sends: its account, and its post with the text this account gets.
    pub(crate) fn inputs(&self, delivery: &Delivery) -> Result<(crate::model::Account, crate::model::Post)> {
        self.store.read(|tx| {
            let account = crate::store::accounts::get(tx, delivery.account_id)?
                .ok_or_else(|| Error::invalid(format!("delivery {} has no account", delivery.id)))?;
            let mut post = crate::store::posts::get(tx, delivery.post_id)?
                .ok_or_else(|| Error::invalid(format!("delivery {} has no post", delivery.id)))?;
            post.text = post.text_for(account.id).to_owned();
            Ok((account, post))
        })
    }

    pub fn new(store: Arc<Store>, policy: RetryPolicy) -> Self {
        Self { store, policy }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Writes the post, its media rows and one queued delivery per account in ONE transaction.
    /// The media files must already be in the data folder (`crate::post` copies them first).
    pub fn enqueue(&self, post: &Post, targets: &[AccountId], now: Timestamp) -> Result<Vec<DeliveryId>> {
        let targets: Vec<(AccountId, Option<Recipient>)> = targets.iter().map(|&a| (a, None)).collect();
        self.enqueue_to(post, &targets, now)
    }

    /// `enqueue` with a recipient per delivery where the account messages people (WhatsApp):
    /// one delivery per (account, recipient).
    pub fn enqueue_to(
        &self,
        post: &Post,
        targets: &[(AccountId, Option<Recipient>)],
        now: Timestamp,
    ) -> Result<Vec<DeliveryId>> {
        if targets.is_empty() {
            return Err(Error::invalid("a post needs at least one account to go to"));
        }
        let due = post.scheduled_at.unwrap_or(now);
        self.store.write(|tx| {
            posts::insert(tx, post)?;
            targets.iter().map(|(account, recipient)| new_delivery(tx, post, *account, recipient, due, now)).collect()
        })
    }

    /// Several posts, each with its deliveries as in `enqueue_to`, in ONE transaction: all of
    /// them are written or none. `guard` runs first inside it (the queue makes sure its times are
    /// still free); an error from it writes nothing. The delivery ids per post, in order.
    pub fn enqueue_posts(
        &self,
        posts: &[(Post, Vec<DeliveryTarget>)],
        now: Timestamp,
        guard: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<Vec<Vec<DeliveryId>>> {
        if posts.is_empty() || posts.iter().any(|(_, targets)| targets.is_empty()) {
            return Err(Error::invalid("a post needs at least one account to go to"));
        }
        self.store.write(|tx| {
            guard(tx)?;
            let mut ids = Vec::with_capacity(posts.len());
            for (post, targets) in posts {
                let due = post.scheduled_at.unwrap_or(now);
                posts::insert(tx, post)?;
                ids.push(
                    targets
                        .iter()
                        .map(|(account, recipient)| new_delivery(tx, post, *account, recipient, due, now))
                        .collect::<Result<Vec<_>>>()?,
                );
            }
            Ok(ids)
        })
    }

    /// An edit: `post` (new, with the edited text, files and time) takes the place of `old` for
    /// every delivery of `old` that has not started, in one transaction. A target kept keeps its
    /// delivery (moved to `post`), a target added gets a new one, and a target taken off loses
    /// its delivery, which never reached the platform. A delivery that has started, gone out or
    /// failed stays with `old`, untouched, and is returned in `unchanged` so the user is told.
    pub fn replace(
        &self,
        old: PostId,
        post: &Post,
        targets: &[(AccountId, Option<Recipient>)],
        now: Timestamp,
    ) -> Result<Replaced> {
        if targets.is_empty() {
            return Err(Error::invalid("a post needs at least one account to go to"));
        }
        let due = post.scheduled_at.unwrap_or(now);
        self.store.write(|tx| {
            let before: Vec<Delivery> = deliveries::list(tx, &Filter { post: Some(old), ..Filter::default() })?
                .into_iter()
                .map(|r| r.delivery)
                .collect();
            if before.is_empty() {
                return Err(Error::invalid(format!("there is no post {old} in the outbox")));
            }
            let (mut waiting, started): (Vec<Delivery>, Vec<Delivery>) = before.into_iter().partition(unstarted);
            let unchanged: Vec<Delivery> =
                started.into_iter().filter(|d| d.state != DeliveryState::Cancelled).collect();
            if waiting.is_empty() {
                return Err(not_editable());
            }
            posts::insert(tx, post)?;
            let mut ids = Vec::new();
            for (account, recipient) in targets {
                let same = |d: &Delivery| d.account_id == *account && d.recipient == *recipient;
                if unchanged.iter().any(same) {
                    continue;
                }
                if let Some(at) = waiting.iter().position(same) {
                    let d = waiting.swap_remove(at);
                    if !deliveries::move_unstarted(tx, d.id, post.id, due, now)? {
                        return Err(Error::Conflict(format!("delivery {} started while it was being edited", d.id)));
                    }
                    let detail = match post.scheduled_at {
                        Some(at) => format!("edited; scheduled for {}", at.to_rfc3339()),
                        None => "edited".to_owned(),
                    };
                    events::record(tx, d.id, now, DeliveryState::Queued, Some(&detail))?;
                    ids.push(d.id);
                } else {
                    ids.push(new_delivery(tx, post, *account, recipient, due, now)?);
                }
            }
            if ids.is_empty() {
                return Err(Error::Conflict(
                    "every account of the edited post already has this post started or sent; nothing is left to change"
                        .into(),
                ));
            }
            for d in waiting {
                if !deliveries::delete_unstarted(tx, d.id)? {
                    return Err(Error::Conflict(format!("delivery {} started while it was being edited", d.id)));
                }
            }
            posts::delete_if_unused(tx, old)?;
            Ok(Replaced { post: post.id, deliveries: ids, unchanged })
        })
    }

    /// Refuses, with what to do instead, a post none of whose deliveries is still waiting to start.
    pub fn ensure_editable(&self, post: PostId) -> Result<()> {
        let rows = self.store.read(|tx| deliveries::list(tx, &Filter { post: Some(post), ..Filter::default() }))?;
        if rows.is_empty() {
            return Err(Error::invalid(format!("there is no post {post} in the outbox")));
        }
        if rows.iter().any(|r| unstarted(&r.delivery)) { Ok(()) } else { Err(not_editable()) }
    }

    /// Cancels every delivery of a post that has not gone out, in one transaction; the number
    /// cancelled. One that is being delivered right now is left to finish and named in the error.
    pub fn cancel_post(&self, post: PostId, now: Timestamp) -> Result<usize> {
        self.store.write(|tx| {
            let rows = deliveries::list(tx, &Filter { post: Some(post), ..Filter::default() })?;
            if rows.is_empty() {
                return Err(Error::invalid(format!("there is no post {post} in the outbox")));
            }
            if let Some(running) = rows.iter().find(|r| r.delivery.state == DeliveryState::Running) {
                return Err(Error::Conflict(format!(
                    "{} is being delivered right now; wait until it settles, then cancel",
                    running.account_name
                )));
            }
            let from = [
                DeliveryState::Queued,
                DeliveryState::RetryWait,
                DeliveryState::NeedsAttention,
                DeliveryState::Unconfirmed,
                DeliveryState::Failed,
            ];
            let mut cancelled = 0;
            for row in rows.iter().filter(|r| from.contains(&r.delivery.state)) {
                if deliveries::user_change(tx, row.delivery.id, &from, DeliveryState::Cancelled, now, false)? {
                    events::record(tx, row.delivery.id, now, DeliveryState::Cancelled, Some("cancelled by the user"))?;
                    cancelled += 1;
                }
            }
            Ok(cancelled)
        })
    }

    /// Claims due deliveries for `owner` with a lease of `lease`.
    pub fn claim_due(&self, owner: &str, now: Timestamp, lease: Duration, limit: usize) -> Result<Vec<Delivery>> {
        self.store.write(|tx| {
            let claimed = deliveries::claim_due(tx, owner, now, now.plus(lease), limit)?;
            for d in &claimed {
                let detail = if d.publish_started_at.is_some() {
                    format!("attempt {}: checking whether the last publish went through", d.attempts)
                } else {
                    format!("attempt {}", d.attempts)
                };
                events::record(tx, d.id, now, DeliveryState::Running, Some(&detail))?;
            }
            Ok(claimed)
        })
    }

    pub fn heartbeat(&self, id: DeliveryId, owner: &str, now: Timestamp, lease: Duration) -> Result<()> {
        self.store.write(|tx| deliveries::extend_lease(tx, id, owner, now.plus(lease)))
    }

    /// Records a step's result before the next step starts.
    pub fn checkpoint(&self, id: DeliveryId, owner: &str, checkpoint: &serde_json::Value) -> Result<()> {
        self.store.write(|tx| deliveries::set_checkpoint(tx, id, owner, checkpoint))
    }

    /// Records that the publish request is about to be sent. Committed before the request leaves,
    /// so a crash from here on is reconciled, never blindly repeated.
    pub fn publish_starting(&self, id: DeliveryId, owner: &str, now: Timestamp) -> Result<()> {
        self.store.write(|tx| deliveries::set_publish_started(tx, id, owner, Some(now)))
    }

    pub fn sent(&self, d: &Delivery, owner: &str, now: Timestamp, remote_id: &str, url: Option<&str>) -> Result<()> {
        self.store.write(|tx| {
            deliveries::settle(
                tx,
                d.id,
                owner,
                now,
                &Settle {
                    state: DeliveryState::Sent,
                    next_attempt_at: now,
                    error: None,
                    clear_publish_started: false,
                    remote: Some((remote_id, url)),
                    refund_attempt: false,
                },
            )?;
            if let Some(account) = accounts::get(tx, d.account_id)?
                && account.health == Health::RateLimited
            {
                accounts::set_health(tx, d.account_id, Health::Ok, None)?;
            }
            events::record(tx, d.id, now, DeliveryState::Sent, url.or(Some(remote_id)))
        })
    }

    /// Records a failed attempt and decides what comes next; returns the new state.
    pub fn attempt_failed(
        &self,
        d: &Delivery,
        owner: &str,
        now: Timestamp,
        failure: &Failure,
        rng: &mut impl Rng,
    ) -> Result<DeliveryState> {
        let budget_spent = d.attempts >= self.policy.max_attempts;
        let (state, next, message) = match failure.kind {
            FailureKind::Transient | FailureKind::RateLimited if budget_spent => (
                DeliveryState::Failed,
                now,
                format!("gave up after {} attempts; last error: {}", d.attempts, failure.message),
            ),
            FailureKind::Transient | FailureKind::RateLimited => {
                let wait = self.policy.backoff(d.attempts, failure.retry_after, rng);
                (DeliveryState::RetryWait, now.plus(wait), failure.message.clone())
            }
            FailureKind::Unauthorized | FailureKind::Rejected => {
                (DeliveryState::NeedsAttention, now, failure.message.clone())
            }
            FailureKind::OutcomeUnknown => {
                (DeliveryState::Unconfirmed, now.plus(self.policy.reconcile_after), failure.message.clone())
            }
        };
        // A publish that certainly did not go out leaves nothing to reconcile.
        let clear_publish_started = failure.kind != FailureKind::OutcomeUnknown;
        self.store.write(|tx| {
            deliveries::settle(
                tx,
                d.id,
                owner,
                now,
                &Settle {
                    state,
                    next_attempt_at: next,
                    error: Some((failure.kind, &message)),
                    clear_publish_started,
                    remote: None,
                    refund_attempt: false,
                },
            )?;
            match failure.kind {
                FailureKind::Unauthorized => {
                    accounts::set_health(tx, d.account_id, Health::NeedsReconnect, Some(&failure.message))?;
                }
                FailureKind::RateLimited => {
                    if let Some(after) = failure.retry_after {
                        accounts::pause_until(tx, d.account_id, now.plus(after))?;
                    }
                    accounts::set_health(tx, d.account_id, Health::RateLimited, Some(&failure.message))?;
                }
                _ => {}
            }
            let detail = match state {
                DeliveryState::RetryWait => format!("{message} — retrying at {}", next.to_rfc3339()),
                _ => message.clone(),
            };
            events::record(tx, d.id, now, state, Some(&detail))?;
            Ok(state)
        })
    }

    /// Applies the platform's answer about a lost outcome.
    pub fn reconciled(&self, d: &Delivery, owner: &str, now: Timestamp, outcome: &Reconciled) -> Result<()> {
        match outcome {
            Reconciled::Published { remote_id, url } => self.sent(d, owner, now, remote_id, url.as_deref()),
            Reconciled::NotPublished => self.store.write(|tx| {
                deliveries::set_publish_started(tx, d.id, owner, None)?;
                events::record(tx, d.id, now, DeliveryState::Running, Some("not published: sending again"))
            }),
            Reconciled::Unknown(why) => self.store.write(|tx| {
                // The platform's own words: each shell says how to settle it (mark it sent, or send
                // it again).
                let message = why.clone();
                deliveries::settle(
                    tx,
                    d.id,
                    owner,
                    now,
                    &Settle {
                        state: DeliveryState::Unconfirmed,
                        next_attempt_at: Timestamp::NEVER,
                        error: Some((FailureKind::OutcomeUnknown, &message)),
                        clear_publish_started: false,
                        remote: None,
                        refund_attempt: true,
                    },
                )?;
                events::record(tx, d.id, now, DeliveryState::Unconfirmed, Some(&message))
            }),
        }
    }

    /// Hands a delivery back untouched (graceful stop before its publish began).
    pub fn release(&self, d: &Delivery, owner: &str, now: Timestamp) -> Result<()> {
        self.store.write(|tx| {
            deliveries::settle(
                tx,
                d.id,
                owner,
                now,
                &Settle {
                    state: DeliveryState::Queued,
                    next_attempt_at: now,
                    error: d.last_error.as_ref().map(|e| (e.kind, e.message.as_str())),
                    clear_publish_started: false,
                    remote: None,
                    refund_attempt: true,
                },
            )?;
            events::record(tx, d.id, now, DeliveryState::Queued, Some("worker stopped before publishing"))
        })
    }

    /// The user's retry: from needs_attention, failed or retry_wait, with a fresh retry budget.
    pub fn retry(&self, reference: &str, now: Timestamp) -> Result<Delivery> {
        self.user_change(
            reference,
            &[DeliveryState::NeedsAttention, DeliveryState::Failed, DeliveryState::RetryWait],
            DeliveryState::Queued,
            now,
            "retry requested",
            |d| match d.state {
                DeliveryState::Unconfirmed => format!(
                    "delivery {} is unconfirmed: it may already be live; check the account, then mark it sent or send it again",
                    d.id
                ),
                s => format!(
                    "delivery {} is {s}; only needs_attention, failed or retry_wait deliveries can be retried",
                    d.id
                ),
            },
        )
    }

    /// Moves a scheduled post that has not started to `at` (the calendar's drag).
    pub fn reschedule(&self, post: PostId, at: Timestamp, now: Timestamp) -> Result<usize> {
        if at.0 < now.0 - 60_000 {
            return Err(Error::invalid(format!(
                "{} is in the past; choose a future time to reschedule to",
                at.to_rfc3339()
            )));
        }
        if at.0 > now.plus(SCHEDULE_HORIZON).0 {
            return Err(Error::invalid(format!(
                "{} is more than a year ahead; choose a time within the next 12 months",
                at.to_rfc3339()
            )));
        }
        self.store.write(|tx| {
            let moved = posts::reschedule(tx, post, at, now)?;
            if moved == 0 {
                return Err(Error::Conflict(
                    "this post is no longer waiting: some of it is sent or being sent, so its time cannot change"
                        .into(),
                ));
            }
            let ids: Vec<DeliveryId> = deliveries::list(
                tx,
                &Filter { post: Some(post), states: vec![DeliveryState::Queued], ..Filter::default() },
            )?
            .into_iter()
            .map(|r| r.delivery.id)
            .collect();
            let detail = format!("rescheduled for {}", at.to_rfc3339());
            for id in &ids {
                events::record(tx, *id, now, DeliveryState::Queued, Some(&detail))?;
            }
            Ok(moved)
        })
    }

    /// Records how far a running delivery got (`Step`), for progress in the app and the CLI.
    pub fn progress(&self, id: DeliveryId, now: Timestamp, step: Step) -> Result<()> {
        self.store.write(|tx| events::record(tx, id, now, DeliveryState::Running, Some(&step.to_detail())))
    }

    /// Holds back the account's deliveries until `until`: the platform's usage headers said its
    /// budget is (nearly) spent.
    pub fn pause_account(&self, account: AccountId, until: Timestamp, now: Timestamp) -> Result<()> {
        let until = Timestamp(until.0.min(now.plus(crate::model::MAX_RETRY_HINT).0));
        self.store.write(|tx| accounts::pause_until(tx, account, until))
    }

    /// Every failed or needs-attention delivery queued again with a fresh budget; how many.
    pub fn retry_all_failures(&self, now: Timestamp) -> Result<usize> {
        self.store.write(|tx| {
            let ids = deliveries::retry_failures(tx, now)?;
            for id in &ids {
                events::record(tx, *id, now, DeliveryState::Queued, Some("retry requested"))?;
                if let Some(d) = deliveries::get(tx, *id)? {
                    accounts::clear_pause(tx, d.account_id)?;
                }
            }
            Ok(ids.len())
        })
    }

    /// The user's cancel: anything not yet sent and not being delivered right now.
    pub fn cancel(&self, reference: &str, now: Timestamp) -> Result<Delivery> {
        self.user_change(
            reference,
            &[
                DeliveryState::Queued,
                DeliveryState::RetryWait,
                DeliveryState::NeedsAttention,
                DeliveryState::Unconfirmed,
                DeliveryState::Failed,
            ],
            DeliveryState::Cancelled,
            now,
            "cancelled by the user",
            |d| match d.state {
                DeliveryState::Running => {
                    format!("delivery {} is being delivered right now; wait until it settles, then cancel", d.id)
                }
                s => format!("delivery {} is already {s}", d.id),
            },
        )
    }

    /// The user's answer for an unconfirmed delivery.
    pub fn resolve(&self, reference: &str, resolution: Resolution, now: Timestamp) -> Result<Delivery> {
        let (to, detail) = match resolution {
            Resolution::Sent => (DeliveryState::Sent, "marked sent by the user"),
            Resolution::Resend => (DeliveryState::Queued, "the user asked to send it again"),
        };
        self.user_change(reference, &[DeliveryState::Unconfirmed], to, now, detail, |d| {
            format!("delivery {} is {}; only unconfirmed deliveries are resolved", d.id, d.state)
        })
    }

    fn user_change(
        &self,
        reference: &str,
        from: &[DeliveryState],
        to: DeliveryState,
        now: Timestamp,
        detail: &str,
        refusal: impl Fn(&Delivery) -> String,
    ) -> Result<Delivery> {
        self.store.write(|tx| {
            let d = deliveries::find(tx, reference)?;
            let reset = to == DeliveryState::Queued;
            if !deliveries::user_change(tx, d.id, from, to, now, reset)? {
                return Err(Error::Conflict(refusal(&d)));
            }
            if reset {
                // "Try again" means now: a platform's pause on the account would hold it back.
                accounts::clear_pause(tx, d.account_id)?;
            }
            events::record(tx, d.id, now, to, Some(detail))?;
            deliveries::get(tx, d.id)?.ok_or_else(|| Error::UnknownDelivery(d.id.to_string()))
        })
    }

    pub fn list(&self, filter: &Filter) -> Result<Vec<OutboxRow>> {
        self.store.read(|tx| deliveries::list(tx, filter))
    }

    pub fn get(&self, id: DeliveryId) -> Result<Option<Delivery>> {
        self.store.read(|tx| deliveries::get(tx, id))
    }

    /// Whether a `--once` worker still has something to do at `now`.
    pub fn has_due_or_running(&self, now: Timestamp) -> Result<bool> {
        self.store.read(|tx| deliveries::has_due_or_running(tx, now))
    }

    pub fn next_due(&self) -> Result<Option<Timestamp>> {
        self.store.read(|tx| deliveries::next_due(tx))
    }

    /// Keeps an account's next delivery from starting before `at`.
    pub fn pace_account(&self, account: AccountId, at: Timestamp) -> Result<()> {
        self.store.write(|tx| accounts::set_next_start(tx, account, at))
    }
}

impl Outbox {
    /// Whether each of `ids` is settled or waits for the user: sent, failed, cancelled, needs
    /// attention, unconfirmed with no check planned, or queued for an account that cannot deliver.
    pub fn all_settled(&self, ids: &[DeliveryId]) -> Result<bool> {
        let rows = self.list(&Filter { ids: ids.to_vec(), ..Filter::default() })?;
        let accounts = self.store.read(|tx| accounts::list(tx))?;
        Ok(rows.iter().all(|row| {
            let d = &row.delivery;
            let blocked = accounts
                .iter()
                .find(|a| a.id == d.account_id)
                .is_none_or(|a| !a.enabled || matches!(a.health, Health::NeedsReconnect | Health::Blocked));
            match d.state {
                DeliveryState::Sent
                | DeliveryState::Failed
                | DeliveryState::Cancelled
                | DeliveryState::NeedsAttention => true,
                DeliveryState::Unconfirmed => d.next_attempt_at == Timestamp::NEVER || blocked,
                DeliveryState::Queued | DeliveryState::RetryWait => blocked,
                DeliveryState::Running => false,
            }
        }))
    }
}
