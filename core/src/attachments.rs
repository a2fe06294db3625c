//! The composer's attachments: files the user picked, dropped or pasted, each known to the front
//! end by an opaque id only, never by its path. Pasted bytes are written into a staging folder
//! first, so every attachment is a file `post::enqueue` copies like any other. Thumbnails are
//! small fitted JPEGs from the variant cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::files::{MediaFile, inspect_media, store_media};
use crate::media::cache::VariantCache;
use crate::media::{FitOptions, ImageSpec, Limits};
use crate::model::MediaRef;

/// The longest side of a composer thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: String,
    /// The user's own name for the file.
    pub name: String,
    pub file: MediaFile,
}

#[derive(Debug)]
pub struct Attachments {
    staging: PathBuf,
    open: Mutex<HashMap<String, Attachment>>,
}

impl Attachments {
    /// Pasted files are written into `staging`.
    pub fn new(staging: impl Into<PathBuf>) -> Self {
        Self { staging: staging.into(), open: Mutex::new(HashMap::new()) }
    }

    /// Attaches a file on disk, after checking it is a photo or video Fanout can read.
    pub fn add_path(&self, path: &Path) -> Result<Attachment> {
        let file = inspect_media(path)?;
        let name = path.file_name().map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
        Ok(self.insert(name, file))
    }

    /// Attaches pasted or dropped bytes under the name the user's file had.
    pub fn add_bytes(&self, name: &str, bytes: &[u8]) -> Result<Attachment> {
        let clean: String = name
            .chars()
            .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .take(80)
            .collect();
        let clean = if clean.trim_matches('.').is_empty() { "pasted".to_owned() } else { clean };
        if bytes.is_empty() {
            return Err(Error::Media { path: PathBuf::from(&clean), reason: "is empty (0 bytes)".into() });
        }
        std::fs::create_dir_all(&self.staging)
            .map_err(|e| Error::io(format!("cannot create the staging folder {}", self.staging.display()), e))?;
        let hash = hex::encode(Sha256::digest(bytes));
        let path = self.staging.join(format!("{}-{clean}", &hash[..16]));
        std::fs::write(&path, bytes).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        let file = inspect_media(&path).map_err(|e| match e {
            Error::Media { reason, .. } => Error::Media { path: PathBuf::from(name), reason },
            other => other,
        })?;
        Ok(self.insert(name.to_owned(), file))
    }

    /// Attaches a file kept in the media folder (a draft's or a post's), under the name the
    /// user's file had.
    pub fn add_stored(&self, path: &Path, name: &str) -> Result<Attachment> {
        let file = inspect_media(path).map_err(|e| match e {
            Error::Media { reason, .. } => Error::Media { path: PathBuf::from(name), reason },
            other => other,
        })?;
        Ok(self.insert(name.to_owned(), file))
    }

    /// Copies an attachment into `media_dir` by content hash, for a draft, and from then on knows
    /// it by that copy: saving the draft again does not read the file again.
    pub fn store(&self, id: &str, media_dir: &Path) -> Result<MediaRef> {
        let attachment = self.get(id).ok_or_else(|| gone(id))?;
        let stored_hash = (attachment.file.path.parent() == Some(media_dir))
            .then(|| attachment.file.path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .flatten()
            .filter(|stem| stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()));
        let media = match stored_hash {
            Some(sha256) => MediaRef {
                sha256,
                path: attachment.file.path.clone(),
                mime: attachment.file.mime.to_owned(),
                bytes: attachment.file.bytes,
                file_name: attachment.name.clone(),
                alt_text: None,
                focus: None,
            },
            None => {
                let media = store_media(&attachment.file, media_dir)?;
                if let Some(open) = self.lock().get_mut(id) {
                    open.file.path = media.path.clone();
                }
                MediaRef { file_name: attachment.name, ..media }
            }
        };
        Ok(media)
    }

    fn insert(&self, name: String, file: MediaFile) -> Attachment {
        let attachment = Attachment { id: uuid::Uuid::now_v7().simple().to_string(), name, file };
        self.lock().insert(attachment.id.clone(), attachment.clone());
        attachment
    }

    pub fn get(&self, id: &str) -> Option<Attachment> {
        self.lock().get(id).cloned()
    }

    /// The files behind `ids`, in order; an unknown id is an error naming it.
    pub fn paths(&self, ids: &[String]) -> Result<Vec<PathBuf>> {
        let open = self.lock();
        ids.iter().map(|id| open.get(id).map(|a| a.file.path.clone()).ok_or_else(|| gone(id))).collect()
    }

    /// Which attachment a file is, for labelling the per-target previews.
    pub fn id_of(&self, path: &Path) -> Option<String> {
        self.lock().values().find(|a| a.file.path == path).map(|a| a.id.clone())
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// A small JPEG of an image attachment. Blocking: decodes the image the first time.
    pub fn thumbnail(&self, id: &str, variants: &VariantCache) -> Result<PathBuf> {
        let attachment = self.get(id).ok_or_else(|| Error::invalid(format!("no attachment '{id}'")))?;
        if !attachment.file.mime.starts_with("image/") {
            return Err(Error::invalid(format!("{} is not an image", attachment.name)));
        }
        let bytes = std::fs::read(&attachment.file.path)
            .map_err(|e| Error::io(format!("cannot read {}", attachment.file.path.display()), e))?;
        let hash = hex::encode(Sha256::digest(&bytes));
        let variant = variants
            .prepare(bytes, &hash, &ImageSpec::thumbnail(THUMBNAIL_SIDE), &FitOptions::default(), &Limits::default())
            .map_err(|e| Error::Media { path: PathBuf::from(&attachment.name), reason: e.to_string() })?;
        Ok(variant.path)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Attachment>> {
        // A panic while holding the map cannot leave it inconsistent: every change is one call.
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn gone(id: &str) -> Error {
    Error::invalid(format!("the attachment '{id}' is no longer in the composer; attach it again"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = include_bytes!("../../cli/assets/demo-photo.png");

    #[test]
    fn pasted_bytes_become_an_attachment_known_by_id_with_a_small_thumbnail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let attachments = Attachments::new(dir.path().join("staging"));
        let a = attachments.add_bytes("../../etc/photo.png", PNG).expect("a PNG attaches");
        assert_eq!(a.file.mime, "image/png");
        assert!(a.file.path.starts_with(dir.path().join("staging")), "a hostile name stays inside staging");
        assert_eq!(attachments.paths(std::slice::from_ref(&a.id)).expect("known"), vec![a.file.path.clone()]);
        let cache = VariantCache::new(dir.path().join("variants"), 1 << 24);
        let thumb = attachments.thumbnail(&a.id, &cache).expect("thumbnail");
        let (w, h) = image::image_dimensions(&thumb).expect("a readable thumbnail");
        assert!(w.max(h) <= THUMBNAIL_SIDE, "thumbnail is {w}×{h}, larger than {THUMBNAIL_SIDE}");
    }

    #[test]
    fn text_or_empty_bytes_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let attachments = Attachments::new(dir.path());
        let e = attachments.add_bytes("notes.txt", b"just some text").expect_err("text is not media");
        assert!(e.to_string().starts_with("media file notes.txt: is not a JPEG, PNG"), "{e}");
        let e = attachments.add_bytes("empty.jpg", b"").expect_err("empty");
        assert_eq!(e.to_string(), "media file empty.jpg: is empty (0 bytes)");
        let e = attachments.paths(&["nope".into()]).expect_err("unknown id");
        assert!(e.to_string().contains("'nope' is no longer in the composer"), "{e}");
    }

    #[test]
    fn an_attachment_stored_for_a_draft_is_copied_once_and_comes_back_under_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let media_dir = dir.path().join("media");
        let attachments = Attachments::new(dir.path().join("staging"));
        let a = attachments.add_bytes("door.png", PNG).expect("attached");
        let stored = attachments.store(&a.id, &media_dir).expect("stored");
        assert_eq!(stored.file_name, "door.png");
        assert_eq!(stored.path, media_dir.join(format!("{}.png", stored.sha256)));
        assert_eq!(attachments.get(&a.id).expect("still open").file.path, stored.path, "known by its copy now");
        std::fs::remove_dir_all(dir.path().join("staging")).expect("staging gone");
        assert_eq!(attachments.store(&a.id, &media_dir).expect("stored again"), stored, "no second copy needed");

        let reopened = Attachments::new(dir.path().join("staging"));
        let b = reopened.add_stored(&stored.path, &stored.file_name).expect("re-attached");
        assert_eq!((b.name.as_str(), b.file.path.clone()), ("door.png", stored.path.clone()));
        std::fs::remove_file(&stored.path).expect("removed");
        let e = reopened.add_stored(&stored.path, &stored.file_name).expect_err("the file is gone");
        assert_eq!(e.to_string(), "media file door.png: no such file");
    }
}
