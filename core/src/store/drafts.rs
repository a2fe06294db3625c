//! The `drafts` and `draft_media` tables: the composer's drafts, each with its files.

use rusqlite::{Connection, OptionalExtension, params};

use super::posts::{insert_media, media_of};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{DraftId, MediaRef};

/// One draft as stored: `content` is the composer's JSON, read by `drafts`.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub id: DraftId,
    pub name: String,
    pub content: String,
    pub media: Vec<MediaRef>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Writes the whole draft, replacing what was stored under its id; keeps its creation time.
pub fn put(conn: &Connection, draft: &DraftRow) -> Result<()> {
    let id = draft.id.to_string();
    conn.execute(
        "INSERT INTO drafts (id, name, content, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, content = excluded.content,
                                        updated_at = excluded.updated_at",
        params![id, draft.name, draft.content, draft.created_at.0, draft.updated_at.0],
    )?;
    conn.execute("DELETE FROM draft_media WHERE draft_id = ?1", [&id])?;
    insert_media(conn, "draft_media", "draft_id", &id, &draft.media)
}

pub fn get(conn: &Connection, id: DraftId) -> Result<Option<DraftRow>> {
    let head = conn
        .query_row("SELECT name, content, created_at, updated_at FROM drafts WHERE id = ?1", [id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
        })
        .optional()?;
    let Some((name, content, created_at, updated_at)) = head else {
        return Ok(None);
    };
    let media = media_of(conn, "draft_media", "draft_id", &id.to_string())?;
    Ok(Some(DraftRow {
        id,
        name,
        content,
        media,
        created_at: Timestamp(created_at),
        updated_at: Timestamp(updated_at),
    }))
}

/// Every draft, the most recently changed first.
pub fn list(conn: &Connection) -> Result<Vec<DraftRow>> {
    let mut stmt = conn.prepare("SELECT id FROM drafts ORDER BY updated_at DESC, id DESC")?;
    let ids = stmt
        .query_map([], |r| {
            let id: String = r.get(0)?;
            id.parse::<DraftId>().map_err(|e| super::accounts::conversion(0, e))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut drafts = Vec::with_capacity(ids.len());
    for id in ids {
        drafts.extend(get(conn, id)?);
    }
    Ok(drafts)
}

/// True when there was such a draft.
pub fn delete(conn: &Connection, id: DraftId) -> Result<bool> {
    conn.execute("DELETE FROM draft_media WHERE draft_id = ?1", [id.to_string()])?;
    Ok(conn.execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])? > 0)
}
