//! Prepared variants on disk, keyed by the source's content hash, the target profile and the fit
//! options, so a retry or a second post of the same photo never prepares it twice. The folder is
//! kept under a size cap by evicting the least recently used variants.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::{FitOptions, ImageSpec, OutputFormat, Variant};

/// Bumped whenever the pipeline's output changes, so old variants are not reused.
const PIPELINE_VERSION: u32 = 1;

#[derive(Debug, Clone)]
pub struct VariantCache {
    dir: PathBuf,
    cap_bytes: u64,
}

/// A cached variant: where it is and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedVariant {
    pub path: PathBuf,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub changes: Vec<String>,
}

impl VariantCache {
    pub fn new(dir: impl Into<PathBuf>, cap_bytes: u64) -> Self {
        Self { dir: dir.into(), cap_bytes }
    }

    /// The key of a variant: the source's hash, everything in the target's spec (a Mastodon
    /// server's own limits included) and the fit options.
    pub fn key(source_sha256: &str, spec: &ImageSpec, options: &FitOptions) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("v{PIPELINE_VERSION}|{source_sha256}|{spec:?}|{:?}|{:?}", options.fit, options.focus));
        hex::encode(hasher.finalize())
    }

    /// The prepared variant of `source` for `spec`, from the cache or made now and cached.
    pub fn prepare(
        &self,
        source: Vec<u8>,
        source_sha256: &str,
        spec: &ImageSpec,
        options: &FitOptions,
        limits: &super::Limits,
    ) -> Result<CachedVariant, super::MediaError> {
        let key = Self::key(source_sha256, spec, options);
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let variant = super::prepare_image_owned(source, spec, options, limits)?;
        self.put(&key, &variant).map_err(|e| {
            if e.kind() == std::io::ErrorKind::StorageFull {
                super::MediaError::DiskFull(self.dir.display().to_string())
            } else {
                super::MediaError::Unsupported(format!(
                    "cannot write the prepared image to {}: {e}",
                    self.dir.display()
                ))
            }
        })
    }

    fn meta_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    pub fn get(&self, key: &str) -> Option<CachedVariant> {
        let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(self.meta_path(key)).ok()?).ok()?;
        let format = match meta.get("format")?.as_str()? {
            "jpg" => OutputFormat::Jpeg,
            "png" => OutputFormat::Png,
            "gif" => OutputFormat::Gif,
            _ => return None,
        };
        let path = self.dir.join(format!("{key}.{}", format.extension()));
        let bytes = std::fs::metadata(&path).ok()?.len();
        // Touch it: eviction goes by last use.
        let _ = std::fs::File::options().append(true).open(&path).and_then(|f| f.set_modified(SystemTime::now()));
        Some(CachedVariant {
            path,
            format,
            width: u32::try_from(meta.get("width")?.as_u64()?).ok()?,
            height: u32::try_from(meta.get("height")?.as_u64()?).ok()?,
            bytes,
            changes: meta.get("changes")?.as_array()?.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect(),
        })
    }

    pub fn put(&self, key: &str, variant: &Variant) -> std::io::Result<CachedVariant> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{key}.{}", variant.format.extension()));
        write_atomic(&path, &variant.bytes)?;
        let changes: Vec<String> = variant.changes.iter().map(ToString::to_string).collect();
        let meta = serde_json::json!({
            "format": variant.format.extension(),
            "width": variant.width,
            "height": variant.height,
            "changes": changes,
        });
        write_atomic(&self.meta_path(key), meta.to_string().as_bytes())?;
        self.evict()?;
        Ok(CachedVariant {
            path,
            format: variant.format,
            width: variant.width,
            height: variant.height,
            bytes: variant.bytes.len() as u64,
            changes,
        })
    }

    /// Removes the least recently used variants until the folder is under its cap.
    pub fn evict(&self) -> std::io::Result<u64> {
        let mut files: Vec<(SystemTime, u64, PathBuf)> = std::fs::read_dir(&self.dir)?
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x != "json" && x != "tmp"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, size, path) in files {
            if total <= self.cap_bytes {
                break;
            }
            let _ = std::fs::remove_file(path.with_extension("json"));
            std::fs::remove_file(&path)?;
            total -= size;
        }
        Ok(total)
    }
}

/// Writes through a temporary file of its own (process and write), so two threads preparing the
/// same image at once (a post with the same photo twice) never rename each other's file away.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // A full disk leaves a partial file behind: take it away, it would only hold space.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Change, ImageSpec, OutputFormat};

    fn variant(bytes: usize) -> Variant {
        Variant {
            bytes: vec![7; bytes],
            format: OutputFormat::Jpeg,
            width: 10,
            height: 10,
            changes: vec![Change::MetadataRemoved],
        }
    }

    fn spec(max_bytes: u64) -> ImageSpec {
        ImageSpec {
            formats: vec![OutputFormat::Jpeg],
            max_bytes,
            target_width: 100,
            min_width: 1,
            max_width: 100,
            max_pixels: 0,
            max_side_sum: None,
            aspect: None,
            story: false,
            keeps_animated_gif: false,
            keeps_png: false,
        }
    }

    #[test]
    fn keys_differ_by_source_spec_and_fit() {
        let options = FitOptions::default();
        let a = VariantCache::key("abc", &spec(1000), &options);
        assert_ne!(a, VariantCache::key("abd", &spec(1000), &options), "another source");
        assert_ne!(a, VariantCache::key("abc", &spec(999), &options), "another server limit");
        let pad = FitOptions { fit: crate::media::Fit::Pad, ..options };
        assert_ne!(a, VariantCache::key("abc", &spec(1000), &pad), "another fit");
        assert_eq!(a, VariantCache::key("abc", &spec(1000), &options), "stable");
    }

    #[test]
    fn the_same_variant_written_by_many_threads_at_once_is_written_by_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = VariantCache::new(dir.path(), 1 << 20);
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..8).map(|_| scope.spawn(|| cache.put("same", &variant(5000)))).collect();
            for writer in writers {
                writer.join().expect("no panic").expect("every write succeeds");
            }
        });
        assert_eq!(cache.get("same").expect("cached").bytes, 5000);
    }

    #[test]
    fn variants_round_trip_and_the_least_recently_used_go_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = VariantCache::new(dir.path(), 2500);
        let first = cache.put("first", &variant(1000)).expect("put");
        assert_eq!(
            (first.width, first.bytes, first.changes.clone()),
            (10, 1000, vec!["metadata removed (EXIF, GPS, comments)".to_owned()])
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        cache.put("second", &variant(1000)).expect("put");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(cache.get("first").is_some(), "a hit marks it recently used");
        std::thread::sleep(std::time::Duration::from_millis(20));
        cache.put("third", &variant(1000)).expect("put");
        assert!(cache.get("second").is_none(), "over the 2500-byte cap the least recently used went");
        assert!(cache.get("first").is_some() && cache.get("third").is_some(), "the others stay");
    }
}
