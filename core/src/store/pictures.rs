//! The `account_pictures` table: each account's profile picture, fitted small.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::AccountId;

pub fn put(conn: &Connection, account: AccountId, jpeg: &[u8], now: Timestamp) -> Result<()> {
    conn.execute(
        "INSERT INTO account_pictures (account_id, jpeg, fetched_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id) DO UPDATE SET jpeg = excluded.jpeg, fetched_at = excluded.fetched_at",
        params![account.to_string(), jpeg, now.0],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, account: AccountId) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT jpeg FROM account_pictures WHERE account_id = ?1", [account.to_string()], |r| r.get(0))
        .optional()?)
}

/// The accounts that have a picture.
pub fn accounts(conn: &Connection) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT account_id FROM account_pictures")?;
    let ids = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<HashSet<_>>>()?;
    Ok(ids)
}
