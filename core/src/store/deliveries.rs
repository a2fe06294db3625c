//! The `deliveries` table: one row per (post, account, recipient) with its state, lease, checkpoint
//! and outcome; `recipient` is '' except where the account messages people one by one (WhatsApp:
//! one delivery per person). Migration v6 rebuilt the table for that key, with foreign keys off as
//! SQLite asks. The outbox (`crate::outbox`) decides the transitions; this module only runs them,
//! each guarded by the state (and, for a worker, the lease) it expects, so a stale worker cannot
//! overwrite a row it no longer holds. `claim_due` is one statement over the `deliveries_claimable`
//! partial index.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::accounts::conversion;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{
    AccountId, Delivery, DeliveryError, DeliveryId, DeliveryState, FailureKind, NetworkKind, PostId, Recipient,
};

const COLUMNS: &str = "d.id, d.post_id, d.account_id, d.state, d.attempts, d.next_attempt_at, \
    d.lease_owner, d.lease_expires_at, d.publish_started_at, d.checkpoint, d.error_kind, \
    d.error_message, d.remote_id, d.remote_url, d.created_at, d.updated_at, d.recipient, d.recipient_name";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    let id: String = row.get(0)?;
    let post_id: String = row.get(1)?;
    let account_id: String = row.get(2)?;
    let state: String = row.get(3)?;
    let checkpoint: String = row.get(9)?;
    let error_kind: Option<String> = row.get(10)?;
    let error_message: Option<String> = row.get(11)?;
    let recipient: String = row.get(16)?;
    let recipient_name: Option<String> = row.get(17)?;
    Ok(Delivery {
        id: id.parse().map_err(|e| conversion(0, e))?,
        post_id: post_id.parse().map_err(|e| conversion(1, e))?,
        account_id: account_id.parse().map_err(|e| conversion(2, e))?,
        recipient: (!recipient.is_empty()).then_some(Recipient { phone: recipient, name: recipient_name }),
        state: DeliveryState::parse(&state)
            .ok_or_else(|| conversion(3, Error::invalid(format!("unknown state {state}"))))?,
        attempts: row.get(4)?,
        next_attempt_at: Timestamp(row.get(5)?),
        lease_owner: row.get(6)?,
        lease_expires_at: row.get::<_, Option<i64>>(7)?.map(Timestamp),
        publish_started_at: row.get::<_, Option<i64>>(8)?.map(Timestamp),
        checkpoint: serde_json::from_str(&checkpoint).unwrap_or(serde_json::Value::Null),
        last_error: match (error_kind, error_message) {
            (Some(kind), Some(message)) => {
                Some(DeliveryError { kind: FailureKind::parse(&kind).unwrap_or(FailureKind::Transient), message })
            }
            _ => None,
        },
        remote_id: row.get(12)?,
        remote_url: row.get(13)?,
        created_at: Timestamp(row.get(14)?),
        updated_at: Timestamp(row.get(15)?),
    })
}

pub fn insert(conn: &Connection, d: &Delivery) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO deliveries (id, post_id, account_id, state, attempts, next_attempt_at, checkpoint,
                                 created_at, updated_at, recipient, recipient_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        d.id.to_string(),
        d.post_id.to_string(),
        d.account_id.to_string(),
        d.state.as_str(),
        d.attempts,
        d.next_attempt_at.0,
        d.checkpoint.to_string(),
        d.created_at.0,
        d.updated_at.0,
        d.recipient.as_ref().map_or("", |r| r.phone.as_str()),
        d.recipient.as_ref().and_then(|r| r.name.as_deref()),
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, id: DeliveryId) -> Result<Option<Delivery>> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM deliveries d WHERE d.id = ?1"), [id.to_string()], from_row)
        .optional()?)
}

/// Finds a delivery by its id or a unique end of it (at least 4 characters: ids are UUID v7, so
/// their start is a timestamp shared by everything enqueued together, their end is random).
pub fn find(conn: &Connection, reference: &str) -> Result<Delivery> {
    let reference = reference.trim().to_lowercase();
    if reference.len() >= 4 {
        let mut stmt =
            conn.prepare(&format!("SELECT {COLUMNS} FROM deliveries d WHERE d.id LIKE '%' || ?1 LIMIT 2"))?;
        let found: Vec<Delivery> = stmt.query_map([&reference], from_row)?.collect::<rusqlite::Result<_>>()?;
        if let [one] = found.as_slice() {
            return Ok(one.clone());
        }
    }
    Err(Error::UnknownDelivery(reference))
}

/// Claims up to `limit` due deliveries for `owner` in ONE statement, at most one per account, and
/// none for an account that is disabled, needs reconnecting, is paused, paced, or already has a
/// delivery under a live lease. A running delivery whose lease expired (its worker died) is due
/// again; its `publish_started_at` tells the new owner whether to reconcile first.
/// Must run inside `BEGIN IMMEDIATE` so the read and the write are one step for every process.
pub fn claim_due(
    conn: &Connection,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: usize,
) -> Result<Vec<Delivery>> {
    let mut stmt = conn.prepare_cached(CLAIM_DUE)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![owner, now.0, lease_until.0, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The plan of [`claim_due`]'s statement, for the tests that pin its index.
pub fn claim_due_plan(conn: &Connection) -> Result<Vec<String>> {
    super::query_plan(conn, CLAIM_DUE)
}

/// `?1` the owner, `?2` now, `?3` the lease's end, `?4` the limit. The first term repeats the
/// condition of the `deliveries_claimable` index word for word: SQLite reads a partial index only
/// for a query whose WHERE contains its condition, and the index gives each account's deliveries
/// already in the window's order, so a claim never walks the settled history.
const CLAIM_DUE: &str = "UPDATE deliveries AS d
     SET state = 'running', lease_owner = ?1, lease_expires_at = ?3,
         -- A delivery taken back from a worker that died goes on with the attempt it was in:
         -- a crash is not a failed try, and must not use up the retry budget.
         attempts = attempts + CASE WHEN d.state = 'running' THEN 0 ELSE 1 END,
         updated_at = ?2
     WHERE d.id IN (
         SELECT id FROM (
             SELECT c.id, c.next_attempt_at AS due,
                    row_number() OVER (PARTITION BY c.account_id
                                       ORDER BY c.next_attempt_at, c.id) AS rank
             FROM deliveries c JOIN accounts a ON a.id = c.account_id
             WHERE c.state IN ('queued', 'retry_wait', 'unconfirmed', 'running')
               AND ((c.state IN ('queued', 'retry_wait', 'unconfirmed') AND c.next_attempt_at <= ?2)
                    OR (c.state = 'running' AND c.lease_expires_at <= ?2))
               AND a.enabled = 1 AND a.removed_at IS NULL
               AND a.health NOT IN ('needs_reconnect', 'blocked')
               AND coalesce(a.paused_until, 0) <= ?2 AND a.next_start_at <= ?2
               AND NOT EXISTS (SELECT 1 FROM deliveries r
                               WHERE r.account_id = c.account_id AND r.state = 'running'
                                 AND r.lease_expires_at > ?2)
         ) WHERE rank = 1 ORDER BY due LIMIT ?4
     )
     RETURNING id, post_id, account_id, state, attempts, next_attempt_at, lease_owner,
               lease_expires_at, publish_started_at, checkpoint, error_kind, error_message,
               remote_id, remote_url, created_at, updated_at, recipient, recipient_name";

fn expect_one(changed: usize, id: DeliveryId) -> Result<()> {
    if changed == 1 { Ok(()) } else { Err(Error::LeaseLost(id.to_string())) }
}

/// Extends the lease if `owner` still holds it.
pub fn extend_lease(conn: &Connection, id: DeliveryId, owner: &str, until: Timestamp) -> Result<()> {
    let changed = conn.execute(
        "UPDATE deliveries SET lease_expires_at = ?3
         WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
        params![id.to_string(), owner, until.0],
    )?;
    expect_one(changed, id)
}

pub fn set_checkpoint(conn: &Connection, id: DeliveryId, owner: &str, checkpoint: &serde_json::Value) -> Result<()> {
    let changed = conn.execute(
        "UPDATE deliveries SET checkpoint = ?3 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
        params![id.to_string(), owner, checkpoint.to_string()],
    )?;
    expect_one(changed, id)
}

/// Sets (keeping an earlier time: a replay must not move the start of the idempotency window) or
/// clears the "publish request about to be sent" mark.
pub fn set_publish_started(conn: &Connection, id: DeliveryId, owner: &str, at: Option<Timestamp>) -> Result<()> {
    let changed = conn.execute(
        "UPDATE deliveries
         SET publish_started_at = CASE WHEN ?3 IS NULL THEN NULL ELSE coalesce(publish_started_at, ?3) END
         WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
        params![id.to_string(), owner, at.map(|t| t.0)],
    )?;
    expect_one(changed, id)
}

/// How a running delivery leaves the worker's hands.
#[derive(Debug, Clone)]
pub struct Settle<'a> {
    pub state: DeliveryState,
    pub next_attempt_at: Timestamp,
    pub error: Option<(FailureKind, &'a str)>,
    pub clear_publish_started: bool,
    pub remote: Option<(&'a str, Option<&'a str>)>,
    pub refund_attempt: bool,
}

/// Moves a delivery `owner` holds out of `running`, dropping the lease.
pub fn settle(conn: &Connection, id: DeliveryId, owner: &str, now: Timestamp, s: &Settle<'_>) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries SET state = ?4, next_attempt_at = ?5, lease_owner = NULL,
                 lease_expires_at = NULL, error_kind = ?6, error_message = ?7,
                 publish_started_at = CASE WHEN ?8 THEN NULL ELSE publish_started_at END,
                 remote_id = coalesce(?9, remote_id), remote_url = coalesce(?10, remote_url),
                 attempts = CASE WHEN ?11 THEN max(attempts - 1, 0) ELSE attempts END,
                 updated_at = ?3
             WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
        )?
        .execute(params![
            id.to_string(),
            owner,
            now.0,
            s.state.as_str(),
            s.next_attempt_at.0,
            s.error.map(|e| e.0.as_str()),
            s.error.map(|e| e.1),
            s.clear_publish_started,
            s.remote.map(|r| r.0),
            s.remote.and_then(|r| r.1),
            s.refund_attempt,
        ])?;
    expect_one(changed, id)
}

/// A change the user asked for (retry, cancel, resolve); applies only from `from` states.
pub fn user_change(
    conn: &Connection,
    id: DeliveryId,
    from: &[DeliveryState],
    to: DeliveryState,
    now: Timestamp,
    reset: bool,
) -> Result<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let placeholders = (0..from.len()).map(|i| format!("?{}", i + 5)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "UPDATE deliveries SET state = ?2, updated_at = ?3, next_attempt_at = ?3,
             attempts = CASE WHEN ?4 THEN 0 ELSE attempts END,
             error_kind = CASE WHEN ?4 THEN NULL ELSE error_kind END,
             error_message = CASE WHEN ?4 THEN NULL ELSE error_message END,
             publish_started_at = CASE WHEN ?4 THEN NULL ELSE publish_started_at END
         WHERE id = ?1 AND state IN ({placeholders})"
    );
    let mut values: Vec<&dyn rusqlite::ToSql> = Vec::new();
    let id_text = id.to_string();
    let to_text = to.as_str();
    values.push(&id_text);
    values.push(&to_text);
    values.push(&now.0);
    values.push(&reset);
    for s in &from {
        values.push(s);
    }
    Ok(conn.execute(&sql, values.as_slice())? == 1)
}

/// Puts back in the queue the deliveries of an account that were stopped because its
/// credentials were refused, once the account is reconnected.
pub fn requeue_unauthorized(conn: &Connection, account: AccountId, now: Timestamp) -> Result<Vec<DeliveryId>> {
    update_for_account(
        conn,
        "UPDATE deliveries SET state = 'queued', next_attempt_at = ?2, updated_at = ?2
         WHERE account_id = ?1 AND state = 'needs_attention' AND error_kind = 'unauthorized'
         RETURNING id",
        account,
        now,
    )
}

/// Makes an account's deliveries that wait to retry due now ("try now" on a paused account).
pub fn due_now_for_account(conn: &Connection, account: AccountId, now: Timestamp) -> Result<Vec<DeliveryId>> {
    update_for_account(
        conn,
        "UPDATE deliveries SET next_attempt_at = ?2, updated_at = ?2
         WHERE account_id = ?1 AND state = 'retry_wait' AND next_attempt_at > ?2
         RETURNING id",
        account,
        now,
    )
}

/// Runs an `UPDATE … RETURNING id` over one account's deliveries (`?1` the account, `?2` now).
fn update_for_account(conn: &Connection, sql: &str, account: AccountId, now: Timestamp) -> Result<Vec<DeliveryId>> {
    let mut stmt = conn.prepare(sql)?;
    let ids = stmt
        .query_map(params![account.to_string(), now.0], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
}

/// The user's "retry all failures": every failed or needs-attention delivery back in the queue
/// with a fresh retry budget.
pub fn retry_failures(conn: &Connection, now: Timestamp) -> Result<Vec<DeliveryId>> {
    let mut stmt = conn.prepare(
        "UPDATE deliveries SET state = 'queued', next_attempt_at = ?1, updated_at = ?1, attempts = 0,
             error_kind = NULL, error_message = NULL, publish_started_at = NULL
         WHERE state IN ('failed', 'needs_attention')
         RETURNING id",
    )?;
    let ids = stmt.query_map(params![now.0], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
}

/// Cancels every unsettled delivery of an account (when it is removed).
pub fn cancel_for_account(conn: &Connection, account: AccountId, now: Timestamp) -> Result<Vec<DeliveryId>> {
    let mut stmt = conn.prepare(
        "UPDATE deliveries SET state = 'cancelled', updated_at = ?2, lease_owner = NULL, lease_expires_at = NULL
         WHERE account_id = ?1 AND state IN ('queued', 'retry_wait', 'needs_attention')
         RETURNING id",
    )?;
    let ids = stmt
        .query_map(params![account.to_string(), now.0], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
}

/// The condition of a delivery that never started: queued, never claimed, nothing published.
const UNSTARTED: &str = "state = 'queued' AND attempts = 0 AND publish_started_at IS NULL";

/// Moves a delivery that never started to another post (an edit), due at `due`. False when it
/// has started meanwhile.
pub fn move_unstarted(conn: &Connection, id: DeliveryId, post: PostId, due: Timestamp, now: Timestamp) -> Result<bool> {
    let moved = conn.execute(
        &format!(
            "UPDATE deliveries SET post_id = ?2, next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1 AND {UNSTARTED}"
        ),
        params![id.to_string(), post.to_string(), due.0, now.0],
    )?;
    Ok(moved > 0)
}

/// Deletes a delivery that never started, with its events: an edit took its account off the
/// post, and nothing of it ever reached the platform. False when it has started meanwhile.
pub fn delete_unstarted(conn: &Connection, id: DeliveryId) -> Result<bool> {
    conn.execute(
        &format!(
            "DELETE FROM delivery_events WHERE delivery_id = ?1
               AND EXISTS (SELECT 1 FROM deliveries WHERE id = ?1 AND {UNSTARTED})"
        ),
        [id.to_string()],
    )?;
    Ok(conn.execute(&format!("DELETE FROM deliveries WHERE id = ?1 AND {UNSTARTED}"), [id.to_string()])? > 0)
}

/// One line of the outbox: the delivery with the names a person reads.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub delivery: Delivery,
    pub account_name: String,
    pub network: NetworkKind,
    pub demo: bool,
    pub post_text: String,
    pub media_count: u32,
    pub scheduled_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub post: Option<PostId>,
    pub states: Vec<DeliveryState>,
    pub ids: Vec<DeliveryId>,
    pub account: Option<AccountId>,
    /// Only posts whose text contains this (case-insensitive for ASCII).
    pub text: Option<String>,
    pub limit: Option<usize>,
}

/// The statement of [`list`] for `filter`, with its values in order. Newest first: the order
/// `deliveries_created` keeps, so the newest `limit` rows are read and nothing is sorted.
fn list_sql(filter: &Filter) -> (String, Vec<String>) {
    let mut sql = format!(
        "SELECT {COLUMNS}, a.name, a.network, a.demo, p.text, p.scheduled_at,
                (SELECT count(*) FROM post_media m WHERE m.post_id = d.post_id)
         FROM deliveries d JOIN accounts a ON a.id = d.account_id JOIN posts p ON p.id = d.post_id
         WHERE 1 = 1"
    );
    let mut values: Vec<String> = Vec::new();
    if let Some(post) = filter.post {
        values.push(post.to_string());
        sql.push_str(&format!(" AND d.post_id = ?{}", values.len()));
    }
    if !filter.states.is_empty() {
        let start = values.len();
        values.extend(filter.states.iter().map(|s| s.as_str().to_owned()));
        let marks: Vec<String> = (start..values.len()).map(|i| format!("?{}", i + 1)).collect();
        sql.push_str(&format!(" AND d.state IN ({})", marks.join(", ")));
    }
    if !filter.ids.is_empty() {
        let start = values.len();
        values.extend(filter.ids.iter().map(|s| s.to_string()));
        let marks: Vec<String> = (start..values.len()).map(|i| format!("?{}", i + 1)).collect();
        sql.push_str(&format!(" AND d.id IN ({})", marks.join(", ")));
    }
    if let Some(account) = filter.account {
        values.push(account.to_string());
        sql.push_str(&format!(" AND d.account_id = ?{}", values.len()));
    }
    if let Some(text) = &filter.text {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        values.push(format!("%{escaped}%"));
        sql.push_str(&format!(" AND p.text LIKE ?{} ESCAPE '\\'", values.len()));
    }
    sql.push_str(" ORDER BY d.created_at DESC, d.id");
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    (sql, values)
}

/// The plan of [`list`]'s statement for `filter`, for the tests that pin its index.
pub fn list_plan(conn: &Connection, filter: &Filter) -> Result<Vec<String>> {
    super::query_plan(conn, &list_sql(filter).0)
}

pub fn list(conn: &Connection, filter: &Filter) -> Result<Vec<OutboxRow>> {
    let (sql, values) = list_sql(filter);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| {
        let network: String = r.get(19)?;
        Ok(OutboxRow {
            delivery: from_row(r)?,
            account_name: r.get(18)?,
            network: network.parse().map_err(|e: Error| conversion(19, e))?,
            demo: r.get(20)?,
            post_text: r.get(21)?,
            scheduled_at: r.get::<_, Option<i64>>(22)?.map(Timestamp),
            media_count: u32::try_from(r.get::<_, i64>(23)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many deliveries are in each state.
pub fn count_by_state(conn: &Connection) -> Result<Vec<(DeliveryState, u64)>> {
    let mut stmt = conn.prepare("SELECT state, count(*) FROM deliveries GROUP BY state")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (state, n) = row?;
        if let Some(state) = DeliveryState::parse(&state) {
            out.push((state, u64::try_from(n).unwrap_or(0)));
        }
    }
    Ok(out)
}

/// Whether anything is running, or due by `now` on an account no platform has paused: `--once`
/// workers stop when it finds nothing (they do not wait out a rate limit).
pub fn has_due_or_running(conn: &Connection, now: Timestamp) -> Result<bool> {
    Ok(conn.prepare_cached(HAS_DUE_OR_RUNNING)?.query_row([now.0], |r| r.get(0))?)
}

/// `?1` now. The first term repeats `deliveries_claimable`'s condition word for word, so only the
/// unsettled deliveries are read, never the sent history.
const HAS_DUE_OR_RUNNING: &str = "SELECT EXISTS (SELECT 1 FROM deliveries d JOIN accounts a ON a.id = d.account_id
       WHERE d.state IN ('queued', 'retry_wait', 'unconfirmed', 'running')
         AND a.enabled = 1 AND a.removed_at IS NULL AND a.health NOT IN ('needs_reconnect', 'blocked')
         AND (d.state = 'running'
              OR (d.state IN ('queued', 'retry_wait', 'unconfirmed') AND d.next_attempt_at <= ?1
                  AND coalesce(a.paused_until, 0) <= ?1)))";

/// The plans of the worker's idle checks ([`has_due_or_running`], [`next_due`]), for the tests
/// that pin their index.
pub fn idle_check_plans(conn: &Connection) -> Result<Vec<Vec<String>>> {
    Ok(vec![super::query_plan(conn, HAS_DUE_OR_RUNNING)?, super::query_plan(conn, NEXT_DUE)?])
}

/// The earliest time anything becomes due (to sleep until then), if anything is waiting.
pub fn next_due(conn: &Connection) -> Result<Option<Timestamp>> {
    let at: Option<i64> = conn.prepare_cached(NEXT_DUE)?.query_row([i64::MAX], |r| r.get(0))?;
    Ok(at.map(Timestamp))
}

/// `?1` the end of time. Its first term is `deliveries_claimable`'s condition, as above.
const NEXT_DUE: &str = "SELECT min(max(d.next_attempt_at, coalesce(a.paused_until, 0), a.next_start_at))
     FROM deliveries d JOIN accounts a ON a.id = d.account_id
     WHERE d.state IN ('queued', 'retry_wait', 'unconfirmed', 'running')
       AND d.state IN ('queued', 'retry_wait', 'unconfirmed') AND d.next_attempt_at < ?1
       AND a.enabled = 1 AND a.removed_at IS NULL AND a.health NOT IN ('needs_reconnect', 'blocked')";
