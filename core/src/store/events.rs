//! The `delivery_events` table: every state a delivery went through, when, and why. Written in the
//! same transaction as the change it records.

use rusqlite::{Connection, params};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{DeliveryId, DeliveryState};

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryEvent {
    pub seq: i64,
    pub delivery_id: DeliveryId,
    pub at: Timestamp,
    pub state: DeliveryState,
    pub detail: Option<String>,
}

pub fn record(
    conn: &Connection,
    id: DeliveryId,
    at: Timestamp,
    state: DeliveryState,
    detail: Option<&str>,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO delivery_events (delivery_id, at, state, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id.to_string(), at.0, state.as_str(), detail])?;
    Ok(())
}

/// The newest event's sequence number (0 when there is none): where a follower starts.
pub fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(seq), 0) FROM delivery_events", [], |r| r.get(0))?)
}

/// Events after `after_seq`, oldest first, for progress display.
pub fn since(conn: &Connection, after_seq: i64) -> Result<Vec<DeliveryEvent>> {
    let mut stmt =
        conn.prepare("SELECT seq, delivery_id, at, state, detail FROM delivery_events WHERE seq > ?1 ORDER BY seq")?;
    let rows = stmt.query_map([after_seq], |r| {
        let id: String = r.get(1)?;
        let state: String = r.get(3)?;
        Ok(DeliveryEvent {
            seq: r.get(0)?,
            delivery_id: id.parse().map_err(|e| super::accounts::conversion(1, e))?,
            at: Timestamp(r.get(2)?),
            state: DeliveryState::parse(&state).unwrap_or(DeliveryState::Queued),
            detail: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
