//! A media file as the user gave it: recognised by its content (`inspect_media`), then copied
//! into the data folder's media folder under its SHA-256 (`store_media`), which is how posts,
//! drafts and the composer's attachments keep files.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::MediaRef;

/// A media file as found on disk, before it is copied.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    pub path: PathBuf,
    pub kind: crate::media::Kind,
    pub mime: &'static str,
    pub bytes: u64,
}

/// Opens a media file and recognises its type, with a specific error for each way it can fail.
pub fn inspect_media(path: &Path) -> Result<MediaFile> {
    let fail = |reason: String| Error::Media { path: path.to_owned(), reason };
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail("no such file".into()),
        std::io::ErrorKind::PermissionDenied => fail("permission denied: Fanout cannot read it".into()),
        _ => fail(format!("cannot be read: {e}")),
    })?;
    if meta.is_dir() {
        return Err(fail("is a folder, not a file".into()));
    }
    if meta.len() == 0 {
        return Err(fail("is empty (0 bytes)".into()));
    }
    let mut head = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => fail("permission denied: Fanout cannot read it".into()),
        _ => fail(format!("cannot be opened: {e}")),
    })?;
    let n = file.read(&mut head).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let kind = crate::media::sniff::detect(&head[..n]).ok_or_else(|| {
        fail(
            "is not a JPEG, PNG, GIF or WebP image, an MP4/MOV video or a PDF (judged by its content, not its name)"
                .into(),
        )
    })?;
    Ok(MediaFile { path: path.to_owned(), kind, mime: kind.mime(), bytes: meta.len() })
}

/// Copies a media file into `media_dir` under its SHA-256, hashing while copying. Idempotent: a
/// file already there by that hash is kept.
pub fn store_media(file: &MediaFile, media_dir: &Path) -> Result<MediaRef> {
    let fail = |reason: String| Error::Media { path: file.path.clone(), reason };
    std::fs::create_dir_all(media_dir)
        .map_err(|e| Error::io(format!("cannot create the media folder {}", media_dir.display()), e))?;
    let mut source = std::fs::File::open(&file.path).map_err(|e| fail(format!("cannot be opened: {e}")))?;
    let tmp = tempfile_in(media_dir)?;
    let (mut out, tmp_path) = tmp;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = source.read(&mut buf).map_err(|e| fail(format!("cannot be read: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| Error::io(format!("cannot write into the media folder {}", media_dir.display()), e))?;
        total += n as u64;
    }
    out.sync_all().map_err(|e| Error::io("cannot flush a media copy", e))?;
    drop(out);
    let sha256 = hex::encode(hasher.finalize());
    let dest = media_dir.join(format!("{sha256}.{}", file.kind.extension()));
    if dest.exists() {
        let _ = std::fs::remove_file(&tmp_path);
    } else {
        std::fs::rename(&tmp_path, &dest)
            .map_err(|e| Error::io(format!("cannot place a media copy in {}", media_dir.display()), e))?;
    }
    let file_name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("media.{}", file.kind.extension()));
    Ok(MediaRef {
        sha256,
        path: dest,
        mime: file.mime.to_owned(),
        bytes: total,
        file_name,
        alt_text: None,
        focus: None,
    })
}

fn tempfile_in(dir: &Path) -> Result<(std::fs::File, PathBuf)> {
    let path = dir.join(format!(".incoming-{}", uuid::Uuid::now_v7()));
    let file = std::fs::File::create(&path)
        .map_err(|e| Error::io(format!("cannot write into the media folder {}", dir.display()), e))?;
    Ok((file, path))
}
