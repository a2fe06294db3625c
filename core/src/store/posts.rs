//! The `posts` and `post_media` tables: what the user wrote and the media files it carries.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{MediaRef, Post, PostId};

pub fn insert(conn: &Connection, post: &Post) -> Result<()> {
    conn.execute(
        "INSERT INTO posts (id, text, created_at, scheduled_at) VALUES (?1, ?2, ?3, ?4)",
        params![post.id.to_string(), post.text, post.created_at.0, post.scheduled_at.map(|t| t.0)],
    )?;
    let mut stmt = conn.prepare(
        "INSERT INTO post_media (post_id, position, sha256, path, mime, bytes, file_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (position, media) in post.media.iter().enumerate() {
        stmt.execute(params![
            post.id.to_string(),
            i64::try_from(position).unwrap_or(i64::MAX),
            media.sha256,
            media.path.to_string_lossy(),
            media.mime,
            i64::try_from(media.bytes).unwrap_or(i64::MAX),
            media.file_name,
        ])?;
    }
    Ok(())
}

pub fn get(conn: &Connection, id: PostId) -> Result<Option<Post>> {
    let head = conn
        .query_row("SELECT text, created_at, scheduled_at FROM posts WHERE id = ?1", [id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?))
        })
        .optional()?;
    let Some((text, created_at, scheduled_at)) = head else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare("SELECT sha256, path, mime, bytes, file_name FROM post_media WHERE post_id = ?1 ORDER BY position")?;
    let media = stmt
        .query_map([id.to_string()], |r| {
            Ok(MediaRef {
                sha256: r.get(0)?,
                path: PathBuf::from(r.get::<_, String>(1)?),
                mime: r.get(2)?,
                bytes: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                file_name: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Post { id, text, media, created_at: Timestamp(created_at), scheduled_at: scheduled_at.map(Timestamp) }))
}
