//! Converting a video to fit a target with ffmpeg, where it is installed: H.264 + AAC in MP4 with
//! the index up front, trimmed to the longest allowed duration, cropped to the allowed shape,
//! scaled to the allowed width, and at a bitrate that lands under the byte limit. Progress comes
//! from ffmpeg's `-progress` stream. Without ffmpeg, callers report the broken rules instead.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::video::{self, VideoInfo};
use crate::profiles::VideoRules;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranscodeError {
    #[error(
        "ffmpeg is not installed; install it (e.g. `apt install ffmpeg`) to let Fanout convert videos, or fix the video yourself"
    )]
    NoFfmpeg,
    #[error("ffmpeg could not convert the video: {0}")]
    Failed(String),
    #[error("the converted video still breaks the target's rules: {0}")]
    StillOutOfBounds(String),
}

/// ffmpeg on PATH, if any.
pub fn ffmpeg() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("ffmpeg")).find(|p| p.is_file())
}

/// The bits per second, video and audio together, that keep `seconds` of video under `max_bytes`
/// with a margin for the container.
fn budget_bps(max_bytes: u64, seconds: f64) -> u64 {
    ((max_bytes as f64 * 8.0 * 0.92) / seconds.max(0.1)) as u64
}

/// The ffmpeg arguments that make `info` fit `rules` (without the input and output paths).
pub fn arguments(info: &VideoInfo, rules: &VideoRules) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let seconds = info.duration.as_secs_f64().min(rules.max_seconds);
    if info.duration.as_secs_f64() > rules.max_seconds {
        args.extend(["-t".into(), format!("{:.3}", rules.max_seconds)]);
    }
    let mut filters = Vec::new();
    let (w, h) = (f64::from(info.display_width), f64::from(info.display_height.max(1)));
    let mut out_w = w;
    if let Some(aspect) = rules.aspect {
        let ratio = w / h;
        if ratio > aspect.max {
            out_w = (h * aspect.max).floor();
            filters.push(format!("crop={}:{}", even(out_w), even(h)));
        } else if ratio < aspect.min {
            filters.push(format!("crop={}:{}", even(w), even(w / aspect.min)));
        }
    }
    if rules.max_width > 0 && out_w > f64::from(rules.max_width) {
        filters.push(format!("scale={}:-2", rules.max_width));
    }
    filters.push("format=yuv420p".into());
    args.extend(["-vf".into(), filters.join(",")]);
    let audio_bps: u64 = 128_000;
    let total = budget_bps(rules.max_bytes, seconds);
    let video_bps = total.saturating_sub(audio_bps).max(200_000);
    args.extend(["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "23"].map(String::from));
    // CRF for quality, capped so the file cannot outgrow the byte limit.
    args.extend(["-maxrate".into(), video_bps.to_string(), "-bufsize".into(), (video_bps * 2).to_string()]);
    args.extend(["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-map_metadata", "-1"].map(String::from));
    args
}

fn even(v: f64) -> u32 {
    let n = v.max(2.0) as u32;
    n - n % 2
}

/// Converts `input` into `output` so it fits `rules`, calling `progress` with 0..=1 as it goes.
pub fn transcode(
    input: &Path,
    output: &Path,
    info: &VideoInfo,
    rules: &VideoRules,
    mut progress: impl FnMut(f64),
) -> Result<VideoInfo, TranscodeError> {
    let ffmpeg = ffmpeg().ok_or(TranscodeError::NoFfmpeg)?;
    let seconds = info.duration.as_secs_f64().min(rules.max_seconds).max(0.001);
    let mut child = Command::new(ffmpeg)
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(arguments(info, rules))
        .args(["-progress", "pipe:1", "-nostats"])
        .arg(output)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| TranscodeError::Failed(format!("cannot start ffmpeg: {e}")))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(us) = line.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<f64>().ok()) {
                progress((us / 1e6 / seconds).clamp(0.0, 1.0));
            }
        }
    }
    let out = child.wait_with_output().map_err(|e| TranscodeError::Failed(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(TranscodeError::Failed(stderr.lines().last().unwrap_or("unknown error").to_owned()));
    }
    progress(1.0);
    let converted =
        video::probe_file(output).map_err(|e| TranscodeError::Failed(format!("the result cannot be read: {e}")))?;
    let problems = super::check_video(&converted, rules);
    if problems.is_empty() { Ok(converted) } else { Err(TranscodeError::StillOutOfBounds(problems.join("; "))) }
}
