//! Videos made here by ffmpeg (installed by `make test`): the probe reads real files, the checks
//! name every broken rule, and the transcoder makes a video fit, with progress.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fanout_core::media::check_video;
use fanout_core::media::transcode::{self, TranscodeError};
use fanout_core::media::video::{self, AudioCodec, Container, VideoCodec};
use fanout_core::profiles::{AspectRange, VideoRules};

fn ffmpeg(args: &[&str]) {
    let ffmpeg = transcode::ffmpeg().expect("ffmpeg is missing: run `make test`, which installs it");
    let out =
        Command::new(ffmpeg).args(["-nostdin", "-loglevel", "error", "-y"]).args(args).output().expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn source(dir: &Path) -> PathBuf {
    let path = dir.join("source.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=1920x1080:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        "8",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        path.to_str().unwrap_or_default(),
    ]);
    path
}

const RULES: VideoRules = VideoRules {
    containers: &["mp4"],
    video_codecs: &["h264"],
    audio_codecs: &["aac"],
    max_bytes: 3_000_000,
    min_seconds: 3.0,
    max_seconds: 5.0,
    max_width: 1280,
    aspect: None,
};

#[test]
fn the_probe_reads_real_files_made_by_ffmpeg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mp4 = source(dir.path());
    let info = video::probe_file(&mp4).expect("probe");
    assert_eq!((info.container, info.width, info.height, info.rotation), (Container::Mp4, 1920, 1080, 0));
    assert!((info.duration.as_secs_f64() - 8.0).abs() < 0.1, "8 s, got {:?}", info.duration);
    assert_eq!(info.video_codec, Some(VideoCodec::H264));
    assert_eq!(info.audio_codec, Some(AudioCodec::Aac));
    assert!(info.frame_rate.is_some_and(|f| (f - 30.0).abs() < 0.5), "30 fps, got {:?}", info.frame_rate);
    assert!(!info.fast_start, "ffmpeg writes the index last unless told otherwise");

    let rotated = dir.path().join("rotated.mp4");
    ffmpeg(&[
        "-i",
        mp4.to_str().unwrap_or_default(),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        rotated.to_str().unwrap_or_default(),
    ]);
    let info = video::probe_file(&rotated).expect("probe");
    assert_eq!(info.rotation % 180, 90, "a phone video shot upright");
    assert_eq!((info.display_width, info.display_height), (1080, 1920));

    let mov = dir.path().join("clip.mov");
    ffmpeg(&["-i", mp4.to_str().unwrap_or_default(), "-c", "copy", "-f", "mov", mov.to_str().unwrap_or_default()]);
    assert_eq!(video::probe_file(&mov).expect("probe").container, Container::Mov);
}

#[test]
fn a_video_that_breaks_the_rules_is_told_why_and_converted_to_fit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mp4 = source(dir.path());
    let info = video::probe_file(&mp4).expect("probe");
    let problems = check_video(&info, &RULES);
    assert!(problems.iter().any(|p| p.contains("lasts 8.0 s") && p.contains("at most 5 s")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("1920 pixels wide") && p.contains("at most 1280")), "{problems:?}");

    let out = dir.path().join("fitted.mp4");
    let mut seen = Vec::new();
    let fitted = transcode::transcode(&mp4, &out, &info, &RULES, |p| seen.push(p)).expect("converted");
    assert!(fitted.duration <= Duration::from_millis(5_100), "trimmed to 5 s, got {:?}", fitted.duration);
    assert_eq!((fitted.width, fitted.height), (1280, 720));
    assert!(fitted.fast_start, "the index goes first so playback can start while loading");
    assert!(fitted.bytes <= RULES.max_bytes);
    assert!(check_video(&fitted, &RULES).is_empty());
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only moves forward: {seen:?}");
    assert_eq!(seen.last(), Some(&1.0), "and ends at 100%");

    let story = VideoRules { aspect: Some(AspectRange { min: 0.5625, max: 0.5625 }), max_width: 1080, ..RULES };
    let tall = transcode::transcode(&mp4, &dir.path().join("story.mp4"), &info, &story, |_| {}).expect("cropped");
    let ratio = f64::from(tall.display_width) / f64::from(tall.display_height);
    assert!((ratio - 0.5625).abs() < 0.01, "cropped to 9:16, got {}×{}", tall.display_width, tall.display_height);

    let garbage = dir.path().join("garbage.mp4");
    std::fs::write(&garbage, b"\0\0\0\x18ftypmp42 this is not a video").expect("write");
    let err = transcode::transcode(&garbage, &dir.path().join("x.mp4"), &info, &RULES, |_| {}).expect_err("fails");
    assert!(matches!(err, TranscodeError::Failed(_)), "{err}");
}
