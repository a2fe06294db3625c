//! Preparing files for a target: images through the pipeline, videos probed and checked against
//! the target's rules (with the exact limit that is broken and how to fix it). Several files are
//! prepared in parallel on a bounded number of threads, so a 10-photo carousel uses every core
//! while holding at most that many decoded images in memory.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::sniff;
use super::video::{self, AudioCodec, Container, VideoCodec, VideoInfo};
use super::{FitOptions, ImageSpec, Limits, MediaError, Variant};
use crate::profiles::{Profile, VideoRules};

/// The largest file Fanout reads into memory to prepare as an image.
const MAX_IMAGE_FILE: u64 = 200 * 1024 * 1024;

/// What preparing one file produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    Image(Variant),
    /// A video: what the probe found and every rule of the target it breaks (empty: ready).
    Video {
        info: VideoInfo,
        problems: Vec<String>,
    },
}

/// A file that could not be prepared, with the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub reason: String,
}

fn file_error(path: &Path, reason: impl std::fmt::Display) -> FileError {
    FileError { path: path.to_owned(), reason: reason.to_string() }
}

/// Prepares one file for one target.
pub fn prepare_file(
    path: &Path,
    profile: &Profile,
    options: &FitOptions,
    limits: &Limits,
) -> Result<Prepared, FileError> {
    let mut head = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| file_error(path, describe_io(&e)))?;
    let len = file.metadata().map_err(|e| file_error(path, describe_io(&e)))?.len();
    if len == 0 {
        return Err(file_error(path, MediaError::Empty));
    }
    let n = std::io::Read::read(&mut file, &mut head).map_err(|e| file_error(path, describe_io(&e)))?;
    let kind = sniff::detect(&head[..n]).ok_or_else(|| file_error(path, MediaError::Unrecognised))?;
    if kind.is_video() {
        let rules =
            profile.video.as_ref().ok_or_else(|| file_error(path, format!("{} does not take videos", profile.name)))?;
        let info = video::probe_file(path).map_err(|e| file_error(path, e))?;
        let problems = check_video(&info, rules);
        return Ok(Prepared::Video { info, problems });
    }
    let rules =
        profile.image.as_ref().ok_or_else(|| file_error(path, format!("{} does not take images", profile.name)))?;
    if len > MAX_IMAGE_FILE {
        return Err(file_error(
            path,
            format!("the file is {} MB; Fanout prepares images up to 200 MB", len / 1_000_000),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| file_error(path, describe_io(&e)))?;
    super::prepare_image_owned(bytes, &ImageSpec::from_rules(rules), options, limits)
        .map(Prepared::Image)
        .map_err(|e| file_error(path, e))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied: Fanout cannot read it".into(),
        std::io::ErrorKind::IsADirectory => "is a folder, not a file".into(),
        _ => format!("cannot be read: {e}"),
    }
}

/// Prepares several files on up to `threads` threads, results in input order.
pub fn prepare_files(
    paths: &[PathBuf],
    profile: &Profile,
    options: &FitOptions,
    limits: &Limits,
    threads: usize,
) -> Vec<Result<Prepared, FileError>> {
    parallel_map(paths, threads, |path| prepare_file(path, profile, options, limits))
}

/// `f` over `items` on up to `threads` threads, results in input order. At most `threads` items
/// are in work at once, which bounds the memory a batch of large photos can take.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() <= 1 || threads <= 1 {
        return items.iter().map(f).collect();
    }
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(items.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = f(item);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(result);
                    }
                }
            });
        }
    });
    // Every index was filled: each was taken by exactly one thread, and a panic would have
    // propagated out of the scope.
    results.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().flatten().collect()
}

fn codec_name(codec: &VideoCodec) -> String {
    match codec {
        VideoCodec::H264 => "h264".into(),
        VideoCodec::Hevc => "hevc".into(),
        VideoCodec::Vp9 => "vp9".into(),
        VideoCodec::Av1 => "av1".into(),
        VideoCodec::Mpeg4 => "mpeg4".into(),
        VideoCodec::Other(fourcc) => fourcc.clone(),
    }
}

fn audio_name(codec: &AudioCodec) -> String {
    match codec {
        AudioCodec::Aac => "aac".into(),
        AudioCodec::Mp3 => "mp3".into(),
        AudioCodec::Opus => "opus".into(),
        AudioCodec::Ac3 => "ac3".into(),
        AudioCodec::Other(fourcc) => fourcc.clone(),
    }
}

/// Every rule a video breaks, each with the limit and a way to fix it.
pub fn check_video(info: &VideoInfo, rules: &VideoRules) -> Vec<String> {
    let mut problems = Vec::new();
    let container = match info.container {
        Container::Mp4 => "mp4",
        Container::Mov => "mov",
    };
    if !rules.containers.contains(&container) {
        problems.push(format!(
            "the container is {}, the target takes {}; re-export as MP4",
            container.to_uppercase(),
            rules.containers.join(", ")
        ));
    }
    match &info.video_codec {
        Some(codec) if !rules.video_codecs.contains(&codec_name(codec).as_str()) => problems.push(format!(
            "the video codec is {}, the target takes {}; re-encode it as H.264 (e.g. ffmpeg -c:v libx264)",
            codec_name(codec),
            rules.video_codecs.join(", ")
        )),
        _ => {}
    }
    if let Some(audio) = &info.audio_codec
        && !rules.audio_codecs.is_empty()
        && !rules.audio_codecs.contains(&audio_name(audio).as_str())
    {
        problems.push(format!(
            "the audio codec is {}, the target takes {}; re-encode the sound as AAC (-c:a aac)",
            audio_name(audio),
            rules.audio_codecs.join(", ")
        ));
    }
    let seconds = info.duration.as_secs_f64();
    if seconds < rules.min_seconds {
        problems.push(format!("the video lasts {seconds:.1} s, the target needs at least {:.0} s", rules.min_seconds));
    }
    if seconds > rules.max_seconds {
        problems.push(format!(
            "the video lasts {seconds:.1} s, the target takes at most {:.0} s; trim it",
            rules.max_seconds
        ));
    }
    if info.bytes > rules.max_bytes {
        problems.push(format!(
            "the video is {:.1} MB, the target takes at most {:.1} MB; lower its bitrate or trim it",
            info.bytes as f64 / 1e6,
            rules.max_bytes as f64 / 1e6
        ));
    }
    if rules.max_width > 0 && info.display_width > rules.max_width {
        problems.push(format!(
            "the video is {} pixels wide, the target takes at most {}; scale it down",
            info.display_width, rules.max_width
        ));
    }
    if let Some(aspect) = rules.aspect {
        let ratio = f64::from(info.display_width) / f64::from(info.display_height.max(1));
        if !(aspect.min - 0.01..=aspect.max + 0.01).contains(&ratio) {
            problems.push(format!(
                "the video's shape is {}×{} ({ratio:.2}:1); the target takes {:.2}:1 to {:.2}:1",
                info.display_width, info.display_height, aspect.min, aspect.max
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn parallel_map_keeps_order_and_bounds_the_work_in_flight() {
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let items: Vec<u64> = (0..12).collect();
        let out = super::parallel_map(&items, 3, |n| {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(10 + (n % 3) * 5));
            in_flight.fetch_sub(1, Ordering::SeqCst);
            n * 10
        });
        assert_eq!(out, (0..12).map(|n| n * 10).collect::<Vec<_>>(), "results in input order");
        let most = most.load(Ordering::SeqCst);
        assert!((2..=3).contains(&most), "work ran in parallel but never more than 3 at once: {most}");
    }
}
