//! The `queue_slots` and `queue_slot_accounts` tables: the posting queue's times, each with the
//! accounts it is for; and which accounts already have a post at a time.

use rusqlite::{Connection, OptionalExtension, params};

use super::accounts::conversion;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::AccountId;

/// One posting time as stored; `queue` gives it meaning. `accounts` holds the live accounts only
/// (a removed account's row stays, so its history keeps its name, but it no longer posts).
#[derive(Debug, Clone, PartialEq)]
pub struct SlotRow {
    pub id: i64,
    /// Monday = bit 0 … Sunday = bit 6.
    pub weekdays: u8,
    pub minute_of_day: u32,
    pub zone: String,
    pub accounts: Vec<AccountId>,
    pub created_at: Timestamp,
}

/// Writes a new posting time for `accounts`; its id.
pub fn insert(
    conn: &Connection,
    weekdays: u8,
    minute_of_day: u32,
    zone: &str,
    accounts: &[AccountId],
    created_at: Timestamp,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO queue_slots (weekdays, minute_of_day, zone, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![weekdays, minute_of_day, zone, created_at.0],
    )?;
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare("INSERT OR IGNORE INTO queue_slot_accounts (slot_id, account_id) VALUES (?1, ?2)")?;
    for account in accounts {
        stmt.execute(params![id, account.to_string()])?;
    }
    Ok(id)
}

/// The live accounts of a posting time, in the order they were linked.
fn accounts_of(conn: &Connection, id: i64) -> Result<Vec<AccountId>> {
    let mut stmt = conn.prepare(
        "SELECT s.account_id FROM queue_slot_accounts s JOIN accounts a ON a.id = s.account_id
          WHERE s.slot_id = ?1 AND a.removed_at IS NULL
          ORDER BY a.created_at, a.id",
    )?;
    let ids = stmt
        .query_map([id], |r| {
            let id: String = r.get(0)?;
            id.parse::<AccountId>().map_err(|e| conversion(0, e))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<SlotRow>> {
    let head = conn
        .query_row("SELECT weekdays, minute_of_day, zone, created_at FROM queue_slots WHERE id = ?1", [id], |r| {
            Ok((r.get::<_, u8>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })
        .optional()?;
    let Some((weekdays, minute_of_day, zone, created_at)) = head else {
        return Ok(None);
    };
    let accounts = accounts_of(conn, id)?;
    Ok(Some(SlotRow { id, weekdays, minute_of_day, zone, accounts, created_at: Timestamp(created_at) }))
}

/// Every posting time, the earliest in the day first.
pub fn list(conn: &Connection) -> Result<Vec<SlotRow>> {
    let mut stmt = conn.prepare("SELECT id FROM queue_slots ORDER BY minute_of_day, id")?;
    let ids = stmt.query_map([], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut slots = Vec::with_capacity(ids.len());
    for id in ids {
        slots.extend(get(conn, id)?);
    }
    Ok(slots)
}

/// True when there was such a posting time.
pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    conn.execute("DELETE FROM queue_slot_accounts WHERE slot_id = ?1", [id])?;
    Ok(conn.execute("DELETE FROM queue_slots WHERE id = ?1", [id])? > 0)
}

/// Each (account, time) with a post scheduled at that time in `[from, to)` for that account by a
/// delivery that was not cancelled.
pub fn taken(conn: &Connection, from: Timestamp, to: Timestamp) -> Result<Vec<(AccountId, Timestamp)>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT d.account_id, p.scheduled_at FROM posts p JOIN deliveries d ON d.post_id = p.id
          WHERE p.scheduled_at >= ?1 AND p.scheduled_at < ?2 AND d.state <> 'cancelled'",
    )?;
    let rows = stmt
        .query_map(params![from.0, to.0], |r| {
            let id: String = r.get(0)?;
            Ok((id.parse::<AccountId>().map_err(|e| conversion(0, e))?, Timestamp(r.get(1)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Whether `account` has a post at exactly `at` (see [`taken`]).
pub fn is_taken(conn: &Connection, account: AccountId, at: Timestamp) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM posts p JOIN deliveries d ON d.post_id = p.id
          WHERE p.scheduled_at = ?2 AND d.account_id = ?1 AND d.state <> 'cancelled')",
        params![account.to_string(), at.0],
        |r| r.get(0),
    )?)
}
