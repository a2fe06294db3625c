//! The `accounts` table: linked accounts, their switch (`enabled`; a removed one keeps its row,
//! with `removed_at`, for its history), health and pacing (`paused_until` from a platform's
//! limits, `next_start_at` between starts), and the user's per-account `options` (JSON: the media
//! host a platform fetches files from, for Instagram, Threads and team chats; the Page behind an
//! Instagram account; a WhatsApp number's business account). Never holds a secret.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{Account, AccountId, Health};

const COLUMNS: &str = "id, network, name, endpoint, remote_id, enabled, demo, health, health_detail, \
                       paused_until, created_at, options";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let id: String = row.get(0)?;
    let network: String = row.get(1)?;
    let health: String = row.get(7)?;
    Ok(Account {
        id: id.parse().map_err(|e| conversion(0, e))?,
        network: network.parse().map_err(|e: Error| conversion(1, e))?,
        name: row.get(2)?,
        endpoint: row.get(3)?,
        remote_id: row.get(4)?,
        enabled: row.get(5)?,
        demo: row.get(6)?,
        health: Health::parse(&health).unwrap_or(Health::Ok),
        health_detail: row.get(8)?,
        paused_until: row.get::<_, Option<i64>>(9)?.map(Timestamp),
        created_at: Timestamp(row.get(10)?),
        options: serde_json::from_str(&row.get::<_, String>(11)?).map_err(|e| conversion(11, e))?,
    })
}

pub(crate) fn conversion(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
}

pub fn insert(conn: &Connection, account: &Account) -> Result<()> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE name = ?1 AND removed_at IS NULL)",
        [&account.name],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::invalid(format!(
            "an account named '{}' already exists; choose another --name",
            account.name
        )));
    }
    conn.execute(
        "INSERT INTO accounts (id, network, name, endpoint, remote_id, enabled, demo, health, \
         health_detail, paused_until, created_at, options) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            account.id.to_string(),
            account.network.as_str(),
            account.name,
            account.endpoint,
            account.remote_id,
            account.enabled,
            account.demo,
            account.health.as_str(),
            account.health_detail,
            account.paused_until.map(|t| t.0),
            account.created_at.0,
            serde_json::to_string(&account.options).map_err(|e| Error::invalid(format!("account options: {e}")))?,
        ],
    )?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<Account>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM accounts WHERE removed_at IS NULL ORDER BY created_at, id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: AccountId) -> Result<Option<Account>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"))?
        .query_row([id.to_string()], from_row)
        .optional()?)
}

/// Finds a live account by its name, its id, or a unique end of its id.
pub fn find(conn: &Connection, reference: &str) -> Result<Account> {
    let reference = reference.trim();
    let by_name = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM accounts WHERE name = ?1 AND removed_at IS NULL"),
            [reference],
            from_row,
        )
        .optional()?;
    if let Some(account) = by_name {
        return Ok(account);
    }
    if reference.len() >= 4 {
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE id LIKE '%' || ?1 AND removed_at IS NULL LIMIT 2"
        ))?;
        let found: Vec<Account> =
            stmt.query_map([reference.to_lowercase()], from_row)?.collect::<rusqlite::Result<_>>()?;
        if let [one] = found.as_slice() {
            return Ok(one.clone());
        }
    }
    Err(Error::UnknownAccount(reference.to_owned()))
}

pub fn set_enabled(conn: &Connection, id: AccountId, enabled: bool) -> Result<()> {
    conn.execute("UPDATE accounts SET enabled = ?2 WHERE id = ?1", params![id.to_string(), enabled])?;
    Ok(())
}

pub fn set_health(conn: &Connection, id: AccountId, health: Health, detail: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE accounts SET health = ?2, health_detail = ?3 WHERE id = ?1",
        params![id.to_string(), health.as_str(), detail],
    )?;
    Ok(())
}

pub fn set_identity(conn: &Connection, id: AccountId, endpoint: &str, remote_id: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE accounts SET endpoint = ?2, remote_id = ?3 WHERE id = ?1",
        params![id.to_string(), endpoint, remote_id],
    )?;
    Ok(())
}

/// Holds back every delivery of the account until `until` (a rate limit).
pub fn pause_until(conn: &Connection, id: AccountId, until: Timestamp) -> Result<()> {
    conn.execute(
        "UPDATE accounts SET paused_until = max(coalesce(paused_until, 0), ?2) WHERE id = ?1",
        params![id.to_string(), until.0],
    )?;
    Ok(())
}

/// Lifts a platform's pause and the pacing gap: the user asked to try now (retry, verify).
pub fn clear_pause(conn: &Connection, id: AccountId) -> Result<()> {
    conn.execute("UPDATE accounts SET paused_until = NULL, next_start_at = 0 WHERE id = ?1", params![id.to_string()])?;
    Ok(())
}

/// The earliest time the account's next delivery may start (pacing).
pub fn set_next_start(conn: &Connection, id: AccountId, at: Timestamp) -> Result<()> {
    conn.execute(
        "UPDATE accounts SET next_start_at = max(next_start_at, ?2) WHERE id = ?1",
        params![id.to_string(), at.0],
    )?;
    Ok(())
}

pub fn mark_removed(conn: &Connection, id: AccountId, at: Timestamp) -> Result<()> {
    conn.execute("UPDATE accounts SET removed_at = ?2, enabled = 0 WHERE id = ?1", params![id.to_string(), at.0])?;
    Ok(())
}
