//! The `posts` table and what hangs off a post: `post_media` (its files in order, with alt text
//! and focus), and per target account where the user set one: `post_texts` (the target's own
//! text), `post_templates` (a WhatsApp target's template, JSON, sent instead of the text),
//! `post_comments` (an Instagram target's first comment) and `post_media_order` (the target's own
//! order of the files). A post an edit replaced is deleted with all of these once no delivery
//! belongs to it; `recent_with_text` is the duplicate check's read.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{MediaRef, Post, PostId};

pub fn insert(conn: &Connection, post: &Post) -> Result<()> {
    conn.prepare_cached("INSERT INTO posts (id, text, created_at, scheduled_at, story) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![post.id.to_string(), post.text, post.created_at.0, post.scheduled_at.map(|t| t.0), post.story])?;
    insert_media(conn, "post_media", "post_id", &post.id.to_string(), &post.media)?;
    let mut stmt = conn.prepare_cached("INSERT INTO post_texts (post_id, account_id, text) VALUES (?1, ?2, ?3)")?;
    for (account, text) in &post.texts {
        stmt.execute(params![post.id.to_string(), account.to_string(), text])?;
    }
    let mut stmt = conn.prepare_cached("INSERT INTO post_comments (post_id, account_id, text) VALUES (?1, ?2, ?3)")?;
    for (account, text) in &post.first_comments {
        stmt.execute(params![post.id.to_string(), account.to_string(), text])?;
    }
    let mut stmt =
        conn.prepare_cached("INSERT INTO post_templates (post_id, account_id, template) VALUES (?1, ?2, ?3)")?;
    for (account, template) in &post.templates {
        let json = serde_json::to_string(template).map_err(|e| crate::Error::invalid(format!("template: {e}")))?;
        stmt.execute(params![post.id.to_string(), account.to_string(), json])?;
    }
    let mut stmt =
        conn.prepare_cached("INSERT INTO post_media_order (post_id, account_id, positions) VALUES (?1, ?2, ?3)")?;
    for (account, order) in &post.orders {
        let json = serde_json::to_string(order).map_err(|e| crate::Error::invalid(format!("media order: {e}")))?;
        stmt.execute(params![post.id.to_string(), account.to_string(), json])?;
    }
    Ok(())
}

/// Moves a scheduled post and its waiting deliveries to `at`; only while every delivery is still
/// queued (none started). Returns how many deliveries moved; 0 when the post cannot be moved.
pub fn reschedule(conn: &Connection, id: PostId, at: Timestamp, now: Timestamp) -> Result<usize> {
    let started: i64 = conn.query_row(
        "SELECT count(*) FROM deliveries WHERE post_id = ?1 AND state NOT IN ('queued', 'cancelled')",
        [id.to_string()],
        |r| r.get(0),
    )?;
    if started > 0 {
        return Ok(0);
    }
    let moved = conn.execute(
        "UPDATE deliveries SET next_attempt_at = ?2, updated_at = ?3 WHERE post_id = ?1 AND state = 'queued'",
        params![id.to_string(), at.0, now.0],
    )?;
    if moved > 0 {
        conn.execute("UPDATE posts SET scheduled_at = ?2 WHERE id = ?1", params![id.to_string(), at.0])?;
    }
    Ok(moved)
}

/// Deletes a post no delivery belongs to any more (all moved to its edited version). False when
/// a delivery still belongs to it.
pub fn delete_if_unused(conn: &Connection, id: PostId) -> Result<bool> {
    let used: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM deliveries WHERE post_id = ?1)", [id.to_string()], |r| r.get(0))?;
    if used {
        return Ok(false);
    }
    for table in ["post_media", "post_texts", "post_comments", "post_templates", "post_media_order"] {
        conn.execute(&format!("DELETE FROM {table} WHERE post_id = ?1"), [id.to_string()])?;
    }
    Ok(conn.execute("DELETE FROM posts WHERE id = ?1", [id.to_string()])? > 0)
}

pub fn get(conn: &Connection, id: PostId) -> Result<Option<Post>> {
    let head = conn
        .query_row("SELECT text, created_at, scheduled_at, story FROM posts WHERE id = ?1", [id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?, r.get::<_, bool>(3)?))
        })
        .optional()?;
    let Some((text, created_at, scheduled_at, story)) = head else {
        return Ok(None);
    };
    let media = media_of(conn, "post_media", "post_id", &id.to_string())?;
    let mut stmt = conn.prepare("SELECT account_id, text FROM post_texts WHERE post_id = ?1")?;
    let texts = stmt
        .query_map([id.to_string()], |r| {
            let account: String = r.get(0)?;
            Ok((account.parse().map_err(|e| super::accounts::conversion(0, e))?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT account_id, template FROM post_templates WHERE post_id = ?1")?;
    let templates = stmt
        .query_map([id.to_string()], |r| {
            let account: String = r.get(0)?;
            let json: String = r.get(1)?;
            let template = serde_json::from_str(&json)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?;
            Ok((account.parse().map_err(|e| super::accounts::conversion(0, e))?, template))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT account_id, text FROM post_comments WHERE post_id = ?1")?;
    let first_comments = stmt
        .query_map([id.to_string()], |r| {
            let account: String = r.get(0)?;
            Ok((account.parse().map_err(|e| super::accounts::conversion(0, e))?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT account_id, positions FROM post_media_order WHERE post_id = ?1")?;
    let orders = stmt
        .query_map([id.to_string()], |r| {
            let account: String = r.get(0)?;
            let json: String = r.get(1)?;
            let order: Vec<usize> = serde_json::from_str(&json)
                .ok()
                .filter(|o: &Vec<usize>| crate::model::is_permutation(o, media.len()))
                .ok_or_else(|| {
                    let e = format!("post {id}: the media order {json} is not an order of its {} files", media.len());
                    rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
                })?;
            Ok((account.parse().map_err(|e| super::accounts::conversion(0, e))?, order))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Post {
        id,
        text,
        media,
        created_at: Timestamp(created_at),
        scheduled_at: scheduled_at.map(Timestamp),
        texts,
        story,
        templates,
        first_comments,
        orders,
    }))
}

/// The posts made since `since` with a delivery to `account` that is not cancelled or failed and
/// whose text for that account (its own, else the post's) `same_text` accepts, newest first:
/// where "the same post again" can be. Every post of the window is looked at, however many, but
/// only its text is read; the caller reads in full just the few that match.
pub fn recent_with_text(
    conn: &Connection,
    account: crate::model::AccountId,
    since: Timestamp,
    mut same_text: impl FnMut(&str) -> bool,
) -> Result<Vec<PostId>> {
    let mut stmt = conn.prepare_cached(RECENT_WITH_TEXT)?;
    let mut rows = stmt.query(params![account.to_string(), since.0])?;
    let mut ids = Vec::new();
    while let Some(row) = rows.next()? {
        let text = row
            .get_ref(1)?
            .as_str()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?;
        if same_text(text) {
            ids.extend(row.get::<_, String>(0)?.parse::<PostId>().ok());
        }
    }
    Ok(ids)
}

/// The plan of [`recent_with_text`]'s statement, for the tests that pin its index.
pub fn recent_with_text_plan(conn: &Connection) -> Result<Vec<String>> {
    super::query_plan(conn, RECENT_WITH_TEXT)
}

/// `?1` the account, `?2` since. The week is read newest first through `posts_created`.
const RECENT_WITH_TEXT: &str = "SELECT p.id, coalesce(t.text, p.text) FROM posts p
     LEFT JOIN post_texts t ON t.post_id = p.id AND t.account_id = ?1
     WHERE p.created_at >= ?2 AND EXISTS (
         SELECT 1 FROM deliveries d
         WHERE d.post_id = p.id AND d.account_id = ?1 AND d.state NOT IN ('cancelled', 'failed'))
     ORDER BY p.created_at DESC";

/// Writes `media` in order into a media table (`post_media`, `draft_media`) under its owner.
pub(super) fn insert_media(conn: &Connection, table: &str, owner: &str, id: &str, media: &[MediaRef]) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT INTO {table} ({owner}, position, sha256, path, mime, bytes, file_name, alt_text, focus_x, focus_y)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?;
    for (position, media) in media.iter().enumerate() {
        stmt.execute(params![
            id,
            i64::try_from(position).unwrap_or(i64::MAX),
            media.sha256,
            media.path.to_string_lossy(),
            media.mime,
            i64::try_from(media.bytes).unwrap_or(i64::MAX),
            media.file_name,
            media.alt_text,
            media.focus.map(|f| f.x),
            media.focus.map(|f| f.y),
        ])?;
    }
    Ok(())
}

/// The files of one owner in a media table, in order.
pub(super) fn media_of(conn: &Connection, table: &str, owner: &str, id: &str) -> Result<Vec<MediaRef>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT sha256, path, mime, bytes, file_name, alt_text, focus_x, focus_y FROM {table}
          WHERE {owner} = ?1 ORDER BY position"
    ))?;
    let media = stmt
        .query_map([id], |r| {
            Ok(MediaRef {
                sha256: r.get(0)?,
                path: PathBuf::from(r.get::<_, String>(1)?),
                mime: r.get(2)?,
                bytes: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                file_name: r.get(4)?,
                alt_text: r.get(5)?,
                focus: match (r.get::<_, Option<f64>>(6)?, r.get::<_, Option<f64>>(7)?) {
                    (Some(x), Some(y)) => crate::media::Focus::new(x, y),
                    _ => None,
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(media)
}
