//! `plan_target`: what a draft would become on one target before anything is queued, against that
//! target's `TargetRules` (the table's, or with a platform's own limits: `post::rules_for`) — the
//! blocking problems, each with the fix where there is one ("text is 312/300 characters for
//! Bluesky; shorten it by 12"), and the files it will send (images fitted through the variant
//! cache). Each `Problem` has a stable `code` and `values` beside its English message, so each
//! front end words it in its own language. The composer shows this as the user types;
//! `fanout post` refuses to queue while any problem remains.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::files::MediaFile;
use crate::media::cache::{CachedVariant, VariantCache};
use crate::media::{self, FitOptions, ImageSpec, Limits};
use crate::profiles::{Profile, VideoRules};
use crate::text::{self, TextCounting};

/// The rules one target applies, from the table and, where the platform publishes its own (a
/// Mastodon server), from the platform.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRules {
    /// Who, for messages: "Bluesky", "Mastodon account 'work'".
    pub label: String,
    pub text_limit: usize,
    /// The limit when media is attached, where it differs (Telegram captions).
    pub caption_limit: Option<usize>,
    pub counting: TextCounting,
    pub text_required: bool,
    pub min_media: usize,
    pub max_media: usize,
    pub image: Option<ImageSpec>,
    pub video: Option<VideoRules>,
    /// The platform takes videos, but Fanout does not send them there yet (`Profile::video_not_built`).
    pub video_not_built: bool,
    pub video_alone: bool,
    pub max_total_bytes: Option<u64>,
    /// The largest document (PDF) it takes; `None`: it takes none.
    pub document_bytes: Option<u64>,
    /// Where the text limit comes from ("the server's limit").
    pub source: String,
}

impl TargetRules {
    pub fn from_profile(profile: &Profile) -> TargetRules {
        TargetRules {
            label: profile.name.to_owned(),
            text_limit: profile.text_limit,
            // A text too long for a caption goes apart, so no caption limit applies.
            caption_limit: if profile.text_apart { None } else { profile.caption_limit },
            counting: profile.text_count,
            text_required: profile.text_required,
            min_media: profile.min_media,
            max_media: profile.max_media,
            image: profile.image.as_ref().map(ImageSpec::from_rules),
            video: profile.video.clone(),
            video_not_built: profile.video_not_built,
            video_alone: profile.video_alone,
            max_total_bytes: profile.max_total_bytes,
            document_bytes: profile.document_bytes,
            source: profile.source.to_owned(),
        }
    }
}

pub use crate::problems::Problem;

fn problem(
    code: &'static str,
    values: &[(&'static str, String)],
    message: impl Into<String>,
    fix: Option<&str>,
) -> Problem {
    Problem::new(code, values.to_vec(), message.into(), fix.map(str::to_owned))
}

/// The file's own name, for messages a person reads in the app.
fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// One media file as it will be sent.
#[derive(Debug, Clone, PartialEq)]
pub enum PlannedFile {
    Image {
        source: PathBuf,
        variant: CachedVariant,
    },
    Video {
        source: PathBuf,
        bytes: u64,
    },
    /// A document sent as it is.
    Document {
        source: PathBuf,
        bytes: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetPlan {
    pub label: String,
    /// The text's length as this target counts it, against `text_limit` (0: no limit), in `text_unit`.
    pub text_length: usize,
    pub text_limit: usize,
    pub text_unit: &'static str,
    pub problems: Vec<Problem>,
    pub files: Vec<PlannedFile>,
}

fn sha256_file(path: &Path) -> std::io::Result<(Vec<u8>, String)> {
    let bytes = std::fs::read(path)?;
    let hash = hex::encode(Sha256::digest(&bytes));
    Ok((bytes, hash))
}

fn plan_file(
    rules: &TargetRules,
    file: &MediaFile,
    variants: &VariantCache,
    options: &FitOptions,
) -> (Vec<Problem>, Option<PlannedFile>) {
    let who = &rules.label;
    let name = file.path.display();
    let short = file_name(&file.path);
    let file_problem = |reason: String, message: String| {
        problem("file", &[("file", short.clone()), ("reason", reason)], message, None)
    };
    if !file.mime.starts_with("video/") && !file.mime.starts_with("image/") {
        return match rules.document_bytes {
            None => {
                let message = format!("{name}: {who} does not take documents");
                (vec![problem("no_documents", &[("file", short.clone())], message, None)], None)
            }
            Some(max) if file.bytes > max => {
                let reason = format!("is {} MB, over the {} MB {who} takes", file.bytes.div_ceil(1 << 20), max >> 20);
                (vec![file_problem(reason.clone(), format!("{name}: {reason}"))], None)
            }
            Some(_) => (Vec::new(), Some(PlannedFile::Document { source: file.path.clone(), bytes: file.bytes })),
        };
    }
    if file.mime.starts_with("video/") {
        if rules.video_not_built {
            let message = format!("{name}: Fanout does not send videos to {who} yet");
            let fix = "leave the video out for it, or post it from the network's own app";
            return (vec![problem("videos_not_built", &[("file", short.clone())], message, Some(fix))], None);
        }
        let Some(video) = &rules.video else {
            let message = format!("{name}: {who} does not take videos");
            return (vec![problem("no_videos", &[("file", short.clone())], message, None)], None);
        };
        return match media::video::probe_file(&file.path) {
            Ok(info) => (
                media::check_video(&info, video)
                    .into_iter()
                    .map(|p| file_problem(p.clone(), format!("{name}: {p} (for {who})")))
                    .collect(),
                Some(PlannedFile::Video { source: file.path.clone(), bytes: info.bytes }),
            ),
            Err(e) => (vec![file_problem(e.to_string(), format!("{name}: {e}"))], None),
        };
    }
    let Some(spec) = &rules.image else {
        let message = format!("{name}: {who} does not take images");
        return (vec![problem("no_images", &[("file", short.clone())], message, None)], None);
    };
    let prepared = sha256_file(&file.path)
        .map_err(|e| crate::media::MediaError::Unsupported(format!("cannot be read: {e}")))
        .and_then(|(bytes, hash)| variants.prepare(bytes, &hash, spec, options, &Limits::default()));
    match prepared {
        Ok(variant) => (Vec::new(), Some(PlannedFile::Image { source: file.path.clone(), variant })),
        // The machine's problem, said once for the whole post (`post::check`), not per target.
        Err(e @ crate::media::MediaError::DiskFull(_)) => {
            let reason = e.to_string();
            (vec![problem("disk_full", &[("reason", reason.clone())], reason, None)], None)
        }
        Err(e) => {
            let reason = e.to_string();
            (vec![file_problem(reason.clone(), format!("{name}: {reason} (for {who})"))], None)
        }
    }
}

/// Plans one target. Blocking (images are fitted here): call it off the async threads.
pub fn plan_target(
    rules: &TargetRules,
    text: &str,
    media: &[MediaFile],
    variants: &VariantCache,
    fits: &[FitOptions],
) -> TargetPlan {
    let who = &rules.label;
    let mut problems = Vec::new();
    let limit = if media.is_empty() { rules.text_limit } else { rules.caption_limit.unwrap_or(rules.text_limit) };
    let length = text::count(text, rules.counting);
    if rules.text_limit > 0 && length > limit {
        let values = [
            ("count", length.to_string()),
            ("limit", limit.to_string()),
            ("unit", rules.counting.unit().to_owned()),
            ("over", (length - limit).to_string()),
        ];
        problems.push(problem(
            "text_too_long",
            &values,
            format!("text is {length}/{limit} {} for {who} ({})", rules.counting.unit(), rules.source),
            Some(&format!("shorten it by {}", length - limit)),
        ));
    }
    if rules.text_required && text.trim().is_empty() {
        problems.push(problem(
            "text_required",
            &[],
            format!("{who} needs text"),
            Some("write something to go with the media"),
        ));
    }
    if rules.max_media == 0 && !media.is_empty() {
        problems.push(problem(
            "text_only",
            &[],
            format!("{who} takes text only, no media"),
            Some("leave the files out for this target"),
        ));
    } else if media.len() < rules.min_media {
        let what = if rules.min_media == 1 {
            "at least one image".to_owned()
        } else {
            format!("at least {} images", rules.min_media)
        };
        let values = [("min", rules.min_media.to_string())];
        problems.push(problem("too_few_media", &values, format!("{who} needs {what}"), Some("add a photo")));
    } else if media.len() > rules.max_media {
        let values = [("max", rules.max_media.to_string()), ("count", media.len().to_string())];
        problems.push(problem(
            "too_many_media",
            &values,
            match rules.max_media {
                1 => format!("{who} takes only one media file; this post has {}", media.len()),
                max => format!("{who} takes at most {max} media files; this post has {}", media.len()),
            },
            Some("remove some, or post them separately"),
        ));
    }
    let videos = media.iter().filter(|m| m.mime.starts_with("video/")).count();
    if rules.video_alone && videos > 0 && media.len() > 1 {
        problems.push(problem(
            "video_alone",
            &[],
            format!("{who} takes a video only on its own"),
            Some("post the video separately"),
        ));
    }
    // Photos of a carousel are fitted in parallel, a bounded number at a time.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut files = Vec::new();
    let indexed: Vec<(usize, &MediaFile)> = media.iter().enumerate().collect();
    let fit = |i: usize| fits.get(i).cloned().unwrap_or_default();
    for (mut found, planned) in
        media::parallel_map(&indexed, threads, |(i, file)| plan_file(rules, file, variants, &fit(*i)))
    {
        problems.append(&mut found);
        files.extend(planned);
    }
    if let Some(limit) = rules.max_total_bytes {
        let total: u64 = files
            .iter()
            .map(|f| match f {
                PlannedFile::Image { variant, .. } => variant.bytes,
                PlannedFile::Video { bytes, .. } | PlannedFile::Document { bytes, .. } => *bytes,
            })
            .sum();
        if total > limit {
            let values = [
                ("total_mb", format!("{:.1}", total as f64 / 1e6)),
                ("limit_mb", format!("{:.1}", limit as f64 / 1e6)),
            ];
            problems.push(problem(
                "too_many_bytes",
                &values,
                format!(
                    "the files come to {:.1} MB, more than the {:.1} MB {who} takes in one post",
                    total as f64 / 1e6,
                    limit as f64 / 1e6
                ),
                Some("send fewer or smaller files"),
            ));
        }
    }
    TargetPlan {
        label: rules.label.clone(),
        text_length: length,
        text_limit: if rules.text_limit > 0 { limit } else { 0 },
        text_unit: rules.counting.unit(),
        problems,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{self, Target};

    fn plan(target: Target, text: &str, media: &[MediaFile]) -> TargetPlan {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = VariantCache::new(dir.path(), 1 << 20);
        plan_target(&TargetRules::from_profile(profiles::profile(target)), text, media, &cache, &[])
    }

    fn messages(plan: &TargetPlan) -> Vec<String> {
        plan.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_target_counts_and_limits_the_way_its_platform_does() {
        let bluesky = plan(Target::Bluesky, &"é".repeat(312), &[]);
        assert_eq!(
            messages(&bluesky),
            vec!["text is 312/300 graphemes for Bluesky (Bluesky's limit); shorten it by 12"]
        );
        assert!(plan(Target::Bluesky, &"👨‍👩‍👧".repeat(300), &[]).problems.is_empty(), "a family emoji is one grapheme");
        let threads = plan(Target::Threads, &"👍".repeat(126), &[]);
        assert!(messages(&threads)[0].starts_with("text is 504/500 bytes for Threads"), "{:?}", messages(&threads));
        let instagram = plan(Target::InstagramFeed, "caption", &[]);
        assert_eq!(messages(&instagram), vec!["Instagram feed needs at least one image; add a photo"]);
        assert!(plan(Target::Mastodon, &"x".repeat(500), &[]).problems.is_empty(), "exactly at the limit is fine");
    }
}
