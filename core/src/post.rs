//! From what the user asked for to a queued post: every check that can be made before anything is
//! enqueued (accounts, text length per target, media files, schedule), then the media copied into
//! the data folder by content hash, then `Outbox::enqueue`'s one transaction.
//!
//! All problems are reported together, one line each, naming the target, the file and the limit,
//! so the user fixes everything in one go. Nothing is enqueued while any remains.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::media::cache::{CachedVariant, VariantCache};
use crate::media::{FitOptions, ImageSpec, Limits};
use crate::model::{Account, DeliveryId, Health, MediaRef, Post, PostId};
use crate::networks::Profile;
use crate::networks::UploadFile;
use crate::outbox::Outbox;
use crate::store::{accounts, cache};
use crate::text;

/// One image of a draft as it will be sent to one account.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMedia {
    pub account: String,
    pub source: PathBuf,
    pub variant: CachedVariant,
}

fn sha256_file(path: &Path) -> std::io::Result<(Vec<u8>, String)> {
    let bytes = std::fs::read(path)?;
    let hash = hex::encode(Sha256::digest(&bytes));
    Ok((bytes, hash))
}

/// The variant of an image file for a spec, from the cache or prepared now.
fn prepare_cached(
    path: &Path,
    spec: &ImageSpec,
    variants: &VariantCache,
) -> std::result::Result<CachedVariant, String> {
    let (bytes, hash) = sha256_file(path).map_err(|e| format!("cannot be read: {e}"))?;
    variants.prepare(&bytes, &hash, spec, &FitOptions::default(), &Limits::default()).map_err(|e| e.to_string())
}

/// The files to upload for a post's media to one network: images fitted (through the cache),
/// videos as they are. Blocking: call it off the async threads.
pub fn uploads_for(
    media: &[MediaRef],
    spec: Option<&ImageSpec>,
    variants: &VariantCache,
) -> std::result::Result<Vec<UploadFile>, String> {
    media
        .iter()
        .map(|m| {
            if !m.mime.starts_with("image/") {
                return Ok(UploadFile { path: m.path.clone(), mime: m.mime.clone(), file_name: m.file_name.clone() });
            }
            let spec = spec.ok_or_else(|| format!("{}: this network does not take images", m.file_name))?;
            let bytes = std::fs::read(&m.path)
                .map_err(|e| format!("media file {} cannot be read from the data folder: {e}", m.file_name))?;
            let variant = variants
                .prepare(&bytes, &m.sha256, spec, &FitOptions::default(), &Limits::default())
                .map_err(|e| format!("{}: {e}", m.file_name))?;
            let stem =
                Path::new(&m.file_name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(UploadFile {
                path: variant.path,
                mime: variant.format.mime().to_owned(),
                file_name: format!("{stem}.{}", variant.format.extension()),
            })
        })
        .collect()
}

/// What the user asked to share.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub text: String,
    pub media: Vec<PathBuf>,
    /// Account names or ids.
    pub targets: Vec<String>,
    pub scheduled_at: Option<Timestamp>,
}

/// A media file as found on disk, before it is copied.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    pub path: PathBuf,
    pub mime: &'static str,
    pub bytes: u64,
}

/// Recognises a media type from the file's first bytes (never from its name).
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [_, _, _, _, b'f', b't', b'y', b'p', b'q', b't', b' ', b' ', ..] => Some("video/quicktime"),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some("video/mp4"),
        _ => None,
    }
}

fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "video/quicktime" => "mov",
        _ => "mp4",
    }
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
    let mime = sniff(&head[..n]).ok_or_else(|| {
        fail("is not a JPEG, PNG, GIF or WebP image nor an MP4/MOV video (judged by its content, not its name)".into())
    })?;
    Ok(MediaFile { path: path.to_owned(), mime, bytes: meta.len() })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// The problems a draft has for one target, one sentence each.
pub fn problems_for(account: &Account, profile: &Profile, text: &str, media: &[MediaFile]) -> Vec<String> {
    let mut problems = Vec::new();
    let who = format!("{} account '{}'", account.network.display_name(), account.name);
    let length = text::count(text, profile.counting);
    if length > profile.text_limit {
        problems.push(format!(
            "text is {length}/{} {} for {who} ({}); shorten it by {}",
            profile.text_limit,
            profile.counting.unit(),
            profile.source,
            length - profile.text_limit
        ));
    }
    if media.len() > profile.max_media {
        problems.push(format!("{who} takes at most {} media files; this post has {}", profile.max_media, media.len()));
    }
    for file in media {
        if !profile.media_types.iter().any(|t| t == file.mime) {
            problems.push(format!("{}: {who} does not accept {} files", file.path.display(), file.mime));
            continue;
        }
        let limit = if file.mime.starts_with("video/") { profile.max_video_bytes } else { profile.max_image_bytes };
        if file.bytes > limit {
            problems.push(format!(
                "{}: {} is over the {} limit of {who}",
                file.path.display(),
                mib(file.bytes),
                mib(limit)
            ));
        }
    }
    problems
}

/// Checks a draft against everything known without a network call; returns the target accounts
/// and the inspected media, or every problem at once.
pub fn check(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    draft: &Draft,
    now: Timestamp,
) -> Result<(Vec<Account>, Vec<MediaFile>, Vec<PlannedMedia>)> {
    let mut problems: Vec<String> = Vec::new();
    if draft.targets.is_empty() {
        problems.push("name at least one account to post to (--to ACCOUNT; see `fanout accounts list`)".into());
    }
    let mut targets: Vec<Account> = Vec::new();
    let mut facts = Vec::new();
    outbox.store().read(|tx| {
        for reference in &draft.targets {
            match accounts::find(tx, reference) {
                Ok(account) if targets.iter().any(|t| t.id == account.id) => {}
                Ok(account) => {
                    let scope = registry.get(account.network).cache_scope(&account);
                    let cached = match scope {
                        Some(scope) => cache::get(tx, &scope)?.map(|(v, _)| v),
                        None => None,
                    };
                    facts.push(cached);
                    targets.push(account);
                }
                Err(Error::UnknownAccount(r)) => {
                    problems.push(format!("no account named '{r}' (see `fanout accounts list`)"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    for account in &targets {
        if !account.enabled {
            problems.push(format!(
                "account '{}' is disabled; enable it with `fanout accounts enable {}`",
                account.name, account.name
            ));
        }
        if account.health == Health::NeedsReconnect {
            problems.push(format!(
                "account '{}' needs reconnecting ({}); fix its credentials, then `fanout accounts verify {}`",
                account.name,
                account.health_detail.as_deref().unwrap_or("its credentials were refused"),
                account.name
            ));
        }
    }
    if draft.text.trim().is_empty() && draft.media.is_empty() {
        problems.push("the post is empty: give it some text or at least one --media file".into());
    }
    let mut media = Vec::new();
    for path in &draft.media {
        match inspect_media(path) {
            Ok(file) => media.push(file),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if let Some(at) = draft.scheduled_at
        && at.0 < now.0 - 60_000
    {
        problems
            .push(format!("--at {} is in the past; give a future time or leave it out to post now", at.to_rfc3339()));
    }
    let mut planned = Vec::new();
    for (account, cached) in targets.iter().zip(&facts) {
        let network = registry.get(account.network);
        let profile = network.profile(cached.as_ref());
        let before = problems.len();
        problems.extend(problems_for(account, &profile, &draft.text, &media));
        if problems.len() > before {
            continue;
        }
        // Fit every image now: what the platform would refuse is found before anything is queued,
        // and the variants are cached for the worker.
        let spec = network.image_spec(cached.as_ref());
        for file in media.iter().filter(|f| f.mime.starts_with("image/")) {
            let Some(spec) = spec.as_ref() else {
                problems.push(format!("{}: {} does not take images", file.path.display(), account.name));
                continue;
            };
            match prepare_cached(&file.path, spec, variants) {
                Ok(variant) => {
                    planned.push(PlannedMedia { account: account.name.clone(), source: file.path.clone(), variant })
                }
                Err(reason) => problems.push(format!(
                    "{}: {reason} (for {} account '{}')",
                    file.path.display(),
                    account.network.display_name(),
                    account.name
                )),
            }
        }
    }
    if problems.is_empty() {
        Ok((targets, media, planned))
    } else {
        let count = problems.len();
        let lines: Vec<String> = problems.into_iter().map(|p| format!("  - {p}")).collect();
        Err(Error::invalid(format!(
            "nothing was queued; {} to fix:\n{}",
            if count == 1 { "1 problem".to_owned() } else { format!("{count} problems") },
            lines.join("\n")
        )))
    }
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
    let dest = media_dir.join(format!("{sha256}.{}", extension(file.mime)));
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
        .unwrap_or_else(|| format!("media.{}", extension(file.mime)));
    Ok(MediaRef { sha256, path: dest, mime: file.mime.to_owned(), bytes: total, file_name })
}

fn tempfile_in(dir: &Path) -> Result<(std::fs::File, PathBuf)> {
    let path = dir.join(format!(".incoming-{}", uuid::Uuid::now_v7()));
    let file = std::fs::File::create(&path)
        .map_err(|e| Error::io(format!("cannot write into the media folder {}", dir.display()), e))?;
    Ok((file, path))
}

/// Checks the draft, copies its media, and enqueues one delivery per target.
pub fn enqueue(
    outbox: &Outbox,
    registry: &crate::networks::Registry,
    variants: &VariantCache,
    media_dir: &Path,
    draft: &Draft,
    now: Timestamp,
) -> Result<(PostId, Vec<(DeliveryId, Account)>)> {
    let (targets, media, _) = check(outbox, registry, variants, draft, now)?;
    let media = media.iter().map(|f| store_media(f, media_dir)).collect::<Result<Vec<_>>>()?;
    let post = Post {
        id: PostId::new(),
        text: draft.text.trim_end().to_owned(),
        media,
        created_at: now,
        scheduled_at: draft.scheduled_at,
    };
    let ids: Vec<_> = targets.iter().map(|a| a.id).collect();
    let deliveries = outbox.enqueue(&post, &ids, now)?;
    Ok((post.id, deliveries.into_iter().zip(targets).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_come_from_content_not_names() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"GIF89a"), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42"), Some("video/mp4"));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  "), Some("video/quicktime"));
        assert_eq!(sniff(b"hello world"), None, "text is not media");
        assert_eq!(sniff(b""), None);
    }
}
