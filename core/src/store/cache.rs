//! The `network_cache` table: facts read from a platform (a Mastodon server's limits) with the time
//! they were read, so `fanout post` can check a draft without a network call.

use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::Timestamp;
use crate::error::Result;

pub fn put(conn: &Connection, scope: &str, value: &serde_json::Value, at: Timestamp) -> Result<()> {
    conn.execute(
        "INSERT INTO network_cache (scope, value, fetched_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (scope) DO UPDATE SET value = excluded.value, fetched_at = excluded.fetched_at",
        params![scope, value.to_string(), at.0],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, scope: &str) -> Result<Option<(serde_json::Value, Timestamp)>> {
    let row: Option<(String, i64)> = conn
        .query_row("SELECT value, fetched_at FROM network_cache WHERE scope = ?1", [scope], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(text, at)| serde_json::from_str(&text).ok().map(|v| (v, Timestamp(at)))))
}
