//! The composer's drafts, kept in the data folder: several at once, each with a name, the text,
//! the targets and the choices made for them, and its files copied into the media folder by
//! content hash, with their alt text and focus. A draft so survives leaving the composer and a
//! restart, and never shows up under another data folder.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::{DraftId, MediaRef};
use crate::store::{Store, drafts as table};

/// The most a draft's choices may take as JSON; its text alone is far below this.
pub const MAX_CONTENT_BYTES: usize = 1 << 20;
/// The longest name a draft may have, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most files a draft may carry (no network takes more than 20).
pub const MAX_FILES: usize = 40;

/// What the composer holds besides the files. Account ids are kept as given: an account removed
/// since is simply no longer offered when the draft is opened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Content {
    pub text: String,
    pub targets: Vec<String>,
    /// Account id → that target's own text.
    pub texts: BTreeMap<String, String>,
    /// Account id → the comment added under the post once it is live.
    pub first_comments: BTreeMap<String, String>,
    pub story: bool,
    /// Whether it is to be scheduled rather than shared at once.
    pub later: bool,
    /// The time picked for it, kept even while "now" is chosen.
    pub scheduled_at: Option<i64>,
    /// The WhatsApp targets' recipient lists and templates, as the composer gave them.
    pub messaging: serde_json::Value,
    /// Account id → that target's own order of the draft's files (positions in its media).
    pub orders: BTreeMap<String, Vec<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: DraftId,
    /// The user's name for it; empty until they give one.
    pub name: String,
    pub content: Content,
    pub media: Vec<MediaRef>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Draft {
    /// What a list shows for it: its name, or else the start of its first line of text.
    pub fn title(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.trim().to_owned();
        }
        let line = self.content.text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        let mut title: String = line.chars().take(60).collect();
        if line.chars().count() > 60 {
            title.push('…');
        }
        title
    }

    /// True when there is nothing in it worth keeping.
    pub fn is_empty(&self) -> bool {
        self.content.text.trim().is_empty()
            && self.media.is_empty()
            && self.content.texts.values().all(|t| t.trim().is_empty())
    }
}

/// Saves a draft: a new one when `id` is none, else replacing the one under `id` (made anew if it
/// was deleted meanwhile, so a composer still showing it loses nothing). `media` must already be
/// in the media folder (`Attachments::store`).
pub fn save(
    store: &Store,
    id: Option<DraftId>,
    name: &str,
    content: Content,
    media: Vec<MediaRef>,
    now: Timestamp,
) -> Result<Draft> {
    let name = name.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(format!(
            "a draft's name can be at most {MAX_NAME_CHARS} characters; this one has {}: shorten it",
            name.chars().count()
        )));
    }
    if media.len() > MAX_FILES {
        return Err(Error::invalid(format!(
            "a draft can keep at most {MAX_FILES} files; this one has {}: remove some",
            media.len()
        )));
    }
    let json = serde_json::to_string(&content).map_err(|e| Error::invalid(format!("the draft cannot be kept: {e}")))?;
    if json.len() > MAX_CONTENT_BYTES {
        return Err(Error::invalid(format!(
            "the draft is too large to keep ({} KB, at most {} KB): shorten its text",
            json.len() / 1024,
            MAX_CONTENT_BYTES / 1024
        )));
    }
    let id = id.unwrap_or_default();
    store.write(|tx| {
        let created_at = table::get(tx, id)?.map_or(now, |old| old.created_at);
        let row = table::DraftRow { id, name: name.to_owned(), content: json, media, created_at, updated_at: now };
        table::put(tx, &row)?;
        Ok(Draft { id, name: row.name, content, media: row.media, created_at, updated_at: now })
    })
}

pub fn get(store: &Store, id: DraftId) -> Result<Draft> {
    let row = store.read(|tx| table::get(tx, id))?;
    row.map(from_row).ok_or_else(|| Error::invalid(format!("there is no draft {id}: it was deleted or shared")))
}

/// Every draft, the most recently changed first.
pub fn list(store: &Store) -> Result<Vec<Draft>> {
    Ok(store.read(|tx| table::list(tx))?.into_iter().map(from_row).collect())
}

/// Deletes a draft; its files stay in the media folder while a post or another draft uses them.
pub fn delete(store: &Store, id: DraftId) -> Result<bool> {
    store.write(|tx| table::delete(tx, id))
}

/// A draft whose choices cannot be read keeps its text's place with empty choices rather than
/// failing the whole list: the content is the composer's own and was written by this code.
fn from_row(row: table::DraftRow) -> Draft {
    let content = serde_json::from_str(&row.content).unwrap_or_default();
    Draft {
        id: row.id,
        name: row.name,
        content,
        media: row.media,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &std::path::Path, sha: &str) -> MediaRef {
        MediaRef {
            sha256: sha.into(),
            path: dir.join(format!("{sha}.png")),
            mime: "image/png".into(),
            bytes: 10,
            file_name: "photo.png".into(),
            alt_text: Some("A red door".into()),
            focus: crate::media::Focus::new(0.25, 0.75),
        }
    }

    #[test]
    fn a_draft_keeps_its_files_alt_text_focus_and_choices_and_lists_newest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("fanout.db")).expect("store");
        let content = Content {
            text: "Opening hours over the holidays\nmore".into(),
            targets: vec!["a".into(), "b".into()],
            texts: BTreeMap::from([("b".into(), "Short".into())]),
            later: true,
            scheduled_at: Some(1_900_000_000_000),
            ..Content::default()
        };
        let first =
            save(&store, None, "", content.clone(), vec![file(dir.path(), "aa"), file(dir.path(), "bb")], Timestamp(1))
                .expect("saved");
        assert_eq!(first.title(), "Opening hours over the holidays");
        let second = save(&store, None, "  Launch  ", Content::default(), vec![], Timestamp(2)).expect("saved");
        assert_eq!(second.name, "Launch");

        let back = get(&store, first.id).expect("read back");
        assert_eq!(back.content, content);
        assert_eq!(back.media, vec![file(dir.path(), "aa"), file(dir.path(), "bb")], "order, alt text and focus kept");

        // Saving again replaces the files and keeps the creation time.
        let again = save(&store, Some(first.id), "Holidays", content, vec![file(dir.path(), "bb")], Timestamp(3))
            .expect("saved again");
        assert_eq!((again.created_at, again.updated_at), (Timestamp(1), Timestamp(3)));
        let all = list(&store).expect("list");
        assert_eq!(all.iter().map(Draft::title).collect::<Vec<_>>(), vec!["Holidays", "Launch"]);
        assert_eq!(all[0].media.len(), 1);

        assert!(delete(&store, first.id).expect("delete"));
        assert!(!delete(&store, first.id).expect("delete twice"));
        let e = get(&store, first.id).expect_err("gone");
        assert!(e.to_string().contains("was deleted or shared"), "{e}");
    }

    #[test]
    fn limits_are_named_with_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("fanout.db")).expect("store");
        let e = save(&store, None, &"n".repeat(101), Content::default(), vec![], Timestamp(1)).expect_err("long name");
        assert_eq!(e.to_string(), "a draft's name can be at most 100 characters; this one has 101: shorten it");
        let big = Content { text: "x".repeat(MAX_CONTENT_BYTES + 1), ..Content::default() };
        let e = save(&store, None, "", big, vec![], Timestamp(1)).expect_err("too big");
        assert!(e.to_string().starts_with("the draft is too large to keep (1024 KB, at most 1024 KB)"), "{e}");
        let many = (0..41).map(|i| file(dir.path(), &format!("{i:02}"))).collect();
        let e = save(&store, None, "", Content::default(), many, Timestamp(1)).expect_err("too many");
        assert_eq!(e.to_string(), "a draft can keep at most 40 files; this one has 41: remove some");
        assert!(list(&store).expect("list").is_empty(), "nothing half-written");
    }
}
