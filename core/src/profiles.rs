//! Posting constraints for every kind of target Fanout can deliver one post to: the one table of
//! limits. Each network declares its rows in its folder's `limits.rs` (`networks/<name>/limits.rs`)
//! with the sources of each number; this module defines the row and the shared units and
//! formats, and knows no network (`networks::targets` gathers every registered network's rows). A
//! row says how long the text may be and how it is counted, how many media items a post takes,
//! and which images and videos the network accepts. Everything else is derived from it:
//! `plan::TargetRules::from_profile`, and through `Network::rules` the same with what a platform
//! reported at link time. The composer checks a draft against it *before* the user presses send
//! (users of other tools complain most about media refused afterwards), and the media pipeline
//! uses it to decide the size and format it produces for each target.
//!
//! Where a server reports its own limits at run time (Mastodon's `/api/v2/instance`, Matrix's
//! `m.upload.size`, Instagram's publishing quota) the value read at run time wins; the numbers here
//! are the fallbacks. Where sources disagree the stricter value is used and the comment names both
//! sources. Sizes quoted as "MB" are read as 10^6 bytes, the smaller of the two readings; sizes a
//! project defines in code as binary (Mastodon's `10.megabytes`) are kept binary.

/// One kind of place Fanout can post to: a row of the table. A connected account may offer
/// several (a Facebook Page offers feed, photo and story). Each network declares its own rows and
/// their constants (`Target::Telegram`) in its folder's `limits.rs`.
#[derive(Clone, Copy)]
pub struct Target(&'static Profile);

impl Target {
    /// The target whose row is `profile` (for a network's `limits.rs`).
    pub const fn of(profile: &'static Profile) -> Target {
        Target(profile)
    }

    /// Stable kebab-case id, used in settings files and the database; never change one.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Name shown in the UI.
    pub fn display_name(self) -> &'static str {
        self.0.name
    }

    pub fn profile(self) -> &'static Profile {
        self.0
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Target {}

impl std::hash::Hash for Target {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// How a network counts text against its limit; the composer's counter must use the same rule or
/// it will show "fits" for a post the network refuses.
pub use crate::text::TextCounting;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
}

/// Accepted width / height ratios, inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AspectRange {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageRules {
    /// Accepted formats, in order of preference for output (the first is what Fanout converts to).
    pub formats: &'static [ImageFormat],
    pub max_bytes: u64,
    /// Accepted width range; Fanout scales into it.
    pub min_width: u32,
    pub max_width: u32,
    /// The width Fanout fits images to (never upscaling a smaller original beyond need).
    pub target_width: u32,
    /// Largest width × height: the platform's own limit where one is documented, otherwise what
    /// `max_width` and the aspect range imply, otherwise Fanout's cap of 4096 × 4096.
    pub max_pixels: u64,
    /// Telegram: width + height must not exceed this.
    pub max_side_sum: Option<u32>,
    /// `None` = any ratio.
    pub aspect: Option<AspectRange>,
    /// A 9:16 full-screen story: pad to the ratio rather than crop.
    pub story: bool,
    pub keeps_animated_gif: bool,
    /// PNG is accepted and shown without recompression (otherwise Fanout converts to JPEG).
    pub keeps_png: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoRules {
    /// Containers, preferred first ("mp4", "mov").
    pub containers: &'static [&'static str],
    /// Video codecs, preferred first ("h264", "hevc").
    pub video_codecs: &'static [&'static str],
    /// Audio codecs, preferred first ("aac").
    pub audio_codecs: &'static [&'static str],
    pub max_bytes: u64,
    pub min_seconds: f64,
    /// `f64::INFINITY` = the network sets no duration limit (size still applies).
    pub max_seconds: f64,
    pub max_width: u32,
    pub aspect: Option<AspectRange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The target's id ([`Target::id`]).
    pub id: &'static str,
    /// Its name in the UI ([`Target::display_name`]).
    pub name: &'static str,
    /// Limit for a post's text; 0 = the target carries no text at all (a story).
    pub text_limit: usize,
    pub text_count: TextCounting,
    /// Limit for the text when media is attached, where that differs (Telegram and WhatsApp
    /// captions are 1,024 against 4,096 for a text message). `None` = `text_limit` applies always.
    /// Counted the same way as `text_limit`. Added field.
    pub caption_limit: Option<usize>,
    /// The network refuses a post without text even when media is attached.
    pub text_required: bool,
    /// 0 = text only.
    pub max_media: usize,
    /// e.g. Instagram needs at least 1, a carousel at least 2.
    pub min_media: usize,
    /// `None` = no images.
    pub image: Option<ImageRules>,
    /// `None` = no video.
    pub video: Option<VideoRules>,
    /// The platform takes videos (`video` says which) but Fanout does not send them there yet:
    /// refused while composing, with that reason. Bluesky: a video needs `app.bsky.embed.video`
    /// and the video service, which are not built; sent as an image embed it is invalid.
    pub video_not_built: bool,
    /// A video must be the post's only media item (Mastodon, Bluesky, a Facebook video post).
    /// Added field.
    pub video_alone: bool,
    /// Limit on all media of one post together, where it is below `max_media` × per-file limit
    /// (a Discord webhook request). Added field.
    pub max_total_bytes: Option<u64>,
    /// The network fetches media from a public URL (Instagram, Threads), so Fanout must host it.
    pub media_by_public_url: bool,
    /// A text too long for a caption goes as a message of its own (Telegram, Matrix, WhatsApp),
    /// so no caption limit applies to the post.
    pub text_apart: bool,
    /// The largest document (PDF) it sends; `None`: none.
    pub document_bytes: Option<u64>,
    /// Where the text limit comes from, for messages ("Bluesky's limit").
    pub source: &'static str,
    /// One sentence the user needs to know.
    pub notes: &'static str,
}

impl Profile {
    /// What a row leaves unsaid: no caption limit or text requirement, no media beyond what it
    /// names, characters counted one by one. A row names its id, name, text limit, media count,
    /// source and notes itself (the tests check each row).
    pub const BASE: Profile = Profile {
        id: "",
        name: "",
        text_limit: 0,
        text_count: TextCounting::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 0,
        min_media: 0,
        image: None,
        video: None,
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: false,
        text_apart: false,
        document_bytes: None,
        source: "",
        notes: "",
    };
}

impl ImageRules {
    /// What image rules leave unsaid: any shape from 1 px wide, Fanout's pixel cap, PNG kept,
    /// animated GIFs converted. Formats, sizes and widths are each rule's own (checked by the tests).
    pub const BASE: ImageRules = ImageRules {
        formats: &[],
        max_bytes: 0,
        min_width: 1,
        max_width: 0,
        target_width: 0,
        max_pixels: FANOUT_MAX_PIXELS,
        max_side_sum: None,
        aspect: None,
        story: false,
        keeps_animated_gif: false,
        keeps_png: true,
    };
}

impl VideoRules {
    /// What video rules leave unsaid: MP4 with H.264 and AAC, what every player plays, of any
    /// length and shape up to 1920 wide. The size is each rule's own (checked by the tests).
    pub const BASE: VideoRules = VideoRules {
        containers: MP4,
        video_codecs: H264,
        audio_codecs: AAC,
        max_bytes: 0,
        min_seconds: 0.0,
        max_seconds: NO_LIMIT,
        max_width: 1920,
        aspect: None,
    };
}

/// The profile of a target.
pub fn profile(target: Target) -> &'static Profile {
    target.0
}

// ---------------------------------------------------------------------------------------------
// Shared values, for the networks' rows.

pub(crate) const MB: u64 = 1_000_000;
pub(crate) const MIB: u64 = 1024 * 1024;
pub(crate) const NO_LIMIT: f64 = f64::INFINITY;
/// 9:16 portrait, the full-screen story ratio.
pub(crate) const STORY_RATIO: f64 = 9.0 / 16.0;
pub(crate) const STORY_ASPECT: AspectRange = AspectRange { min: STORY_RATIO, max: STORY_RATIO };
/// Fanout's own cap where a network documents no pixel limit.
pub(crate) const FANOUT_MAX_PIXELS: u64 = 4096 * 4096;

pub(crate) const JPEG_ONLY: &[ImageFormat] = &[ImageFormat::Jpeg];
pub(crate) const JPEG_PNG: &[ImageFormat] = &[ImageFormat::Jpeg, ImageFormat::Png];
pub(crate) const JPEG_PNG_WEBP: &[ImageFormat] = &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp];
pub(crate) const ALL_FORMATS: &[ImageFormat] =
    &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::Webp];

pub(crate) const MP4: &[&str] = &["mp4"];
pub(crate) const MP4_MOV: &[&str] = &["mp4", "mov"];
pub(crate) const H264: &[&str] = &["h264"];
pub(crate) const H264_HEVC: &[&str] = &["h264", "hevc"];
pub(crate) const AAC: &[&str] = &["aac"];

#[cfg(test)]
mod tests {
    use super::*;

    fn image(t: Target) -> &'static ImageRules {
        match &profile(t).image {
            Some(i) => i,
            None => panic!("{} should accept images", t.id()),
        }
    }

    fn video(t: Target) -> &'static VideoRules {
        match &profile(t).video {
            Some(v) => v,
            None => panic!("{} should accept video", t.id()),
        }
    }

    fn aspects(p: &Profile) -> Vec<AspectRange> {
        let i = p.image.as_ref().and_then(|i| i.aspect);
        let v = p.video.as_ref().and_then(|v| v.aspect);
        i.into_iter().chain(v).collect()
    }

    #[test]
    fn one_profile_per_target_and_ids_round_trip() {
        let all = crate::networks::targets();
        assert!(all.len() > crate::model::NetworkKind::ALL.len(), "every network's rows are in the table");
        for (i, t) in all.iter().copied().enumerate() {
            assert_eq!(profile(t).id, t.id());
            assert_eq!(crate::networks::target(t.id()), Some(t), "{} does not round-trip", t.id());
            assert!(t.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{} is not kebab-case", t.id());
            let row = profile(t);
            assert!(!t.display_name().is_empty() && !row.source.is_empty() && !row.notes.is_empty(), "{}", t.id());
            assert!(row.text_limit > 0 || row.max_media > 0, "{}: a row takes text or media", t.id());
            for b in &all[i + 1..] {
                assert_ne!(t.id(), b.id());
                assert_ne!(t.display_name(), b.display_name());
            }
        }
        assert_eq!(crate::networks::target("Instagram-Feed"), None);
        assert_eq!(crate::networks::target(""), None);
    }

    #[test]
    fn aspect_ranges_are_positive_and_ordered() {
        for p in crate::networks::targets().iter().map(|t| t.profile()) {
            for a in aspects(p) {
                assert!(a.min > 0.0, "{}: aspect min must be positive", p.id);
                assert!(a.min <= a.max, "{}: aspect min > max", p.id);
                assert!(a.max.is_finite(), "{}", p.id);
            }
        }
    }

    #[test]
    fn image_rules_are_consistent() {
        for p in crate::networks::targets().iter().map(|t| t.profile()) {
            let Some(i) = &p.image else { continue };
            let id = p.id;
            assert!(!i.formats.is_empty(), "{id}: no image formats");
            assert!(i.min_width >= 1, "{id}");
            assert!(i.min_width <= i.target_width, "{id}: min_width > target_width");
            assert!(i.target_width <= i.max_width, "{id}: target_width > max_width");
            assert!(i.max_bytes > 0 && i.max_pixels > 0, "{id}");
            assert!(
                u64::from(i.target_width) * u64::from(i.target_width) / 2 <= i.max_pixels,
                "{id}: a target-width image of ordinary shape must fit max_pixels"
            );
            if let Some(sum) = i.max_side_sum {
                assert!(i.max_width < sum, "{id}: max_width leaves no room for a height");
            }
            if i.keeps_png {
                assert!(i.formats.contains(&ImageFormat::Png), "{id}: keeps PNG but does not accept it");
            }
            if i.keeps_animated_gif {
                assert!(i.formats.contains(&ImageFormat::Gif), "{id}: keeps GIF but does not accept it");
            }
            assert!(p.max_media >= 1, "{id}: image rules on a text-only target");
        }
    }

    #[test]
    fn video_rules_are_consistent() {
        for p in crate::networks::targets().iter().map(|t| t.profile()) {
            let Some(v) = &p.video else { continue };
            let id = p.id;
            assert!(!v.containers.is_empty() && !v.video_codecs.is_empty() && !v.audio_codecs.is_empty(), "{id}");
            assert!(v.min_seconds >= 0.0 && v.min_seconds <= v.max_seconds, "{id}: duration range");
            assert!(v.max_bytes > 0 && v.max_width > 0, "{id}");
        }
    }

    #[test]
    fn media_counts_and_text_are_consistent() {
        for p in crate::networks::targets().iter().map(|t| t.profile()) {
            let id = p.id;
            assert!(p.min_media <= p.max_media, "{id}: min_media > max_media");
            if p.max_media == 0 {
                assert!(p.image.is_none() && p.video.is_none(), "{id}: text-only target with media rules");
                assert!(p.text_required, "{id}: a text-only target needs text");
            } else {
                assert!(p.image.is_some() || p.video.is_some(), "{id}: media allowed but no rules");
            }
            if p.text_limit == 0 {
                assert!(!p.text_required && p.caption_limit.is_none(), "{id}");
                assert!(p.min_media >= 1, "{id}: no text and no media would be an empty post");
            }
            if let Some(c) = p.caption_limit {
                assert!(c <= p.text_limit && p.max_media > 0, "{id}: caption_limit");
            }
            if p.video_alone {
                assert!(p.video.is_some() && p.max_media > 1, "{id}: video_alone is meaningless here");
            }
            if let Some(total) = p.max_total_bytes {
                let per_file = p.image.as_ref().map_or(0, |i| i.max_bytes);
                assert!(total < per_file * p.max_media as u64, "{id}: max_total_bytes adds nothing");
            }
            assert!(p.notes.ends_with('.') && p.notes.len() < 160, "{id}: notes should be one short sentence");
        }
    }

    #[test]
    fn stories_are_9_16_and_pad() {
        for t in [Target::FacebookStory, Target::InstagramStory] {
            let i = image(t);
            assert!(i.story, "{}: story images must be padded, not cropped", t.id());
            assert_eq!(i.aspect, Some(STORY_ASPECT), "{}", t.id());
            assert_eq!(video(t).aspect, Some(STORY_ASPECT), "{}", t.id());
            assert_eq!(profile(t).text_limit, 0, "{}: stories carry no text", t.id());
            assert_eq!((profile(t).min_media, profile(t).max_media), (1, 1), "{}", t.id());
        }
        for p in crate::networks::targets().iter().map(|t| t.profile()) {
            if let Some(i) = &p.image {
                let story = [Target::FacebookStory.id(), Target::InstagramStory.id()].contains(&p.id);
                assert_eq!(i.story, story, "{}", p.id);
            }
        }
    }

    #[test]
    fn instagram_feed_is_jpeg_only_4_5_to_1_91() {
        let i = image(Target::InstagramFeed);
        assert_eq!(i.formats, &[ImageFormat::Jpeg], "PLATFORMS.md: feed images are JPEG only");
        assert_eq!(i.aspect, Some(AspectRange { min: 0.8, max: 1.91 }), "PLATFORMS.md: 4:5 … 1.91:1");
        assert_eq!((i.min_width, i.target_width, i.max_width), (320, 1080, 1440), "PLATFORMS.md: 320–1440");
        assert_eq!(i.max_bytes, 8_000_000, "PLATFORMS.md / ayrshare: 8 MB");
        assert!(!i.keeps_png);
        assert_eq!(profile(Target::InstagramFeed).min_media, 1, "Instagram posts need media");
        for t in [
            Target::InstagramFeed,
            Target::InstagramCarousel,
            Target::InstagramStory,
            Target::InstagramReel,
            Target::Threads,
        ] {
            assert!(profile(t).media_by_public_url, "{}: Meta fetches media from a public URL", t.id());
        }
    }

    #[test]
    fn carousel_needs_2_to_10() {
        let p = profile(Target::InstagramCarousel);
        assert_eq!((p.min_media, p.max_media), (2, 10), "PLATFORMS.md: carousel ≤ 10 items, at least 2");
        assert_eq!(p.image, profile(Target::InstagramFeed).image, "carousel images follow the feed rules");
    }

    #[test]
    fn text_limits_match_sources() {
        let cases: [(Target, usize, TextCounting, &str); 12] = [
            (Target::Bluesky, 300, TextCounting::Graphemes, "app.bsky.feed.post maxGraphemes 300"),
            (Target::Threads, 500, TextCounting::Utf8Bytes, "Threads posts doc: 500, emoji as UTF-8 bytes"),
            (Target::Mastodon, 500, TextCounting::Mastodon { url_weight: 23 }, "Mastodon defaults"),
            (Target::InstagramFeed, 2_200, TextCounting::Chars, "PLATFORMS.md: caption 2,200"),
            (Target::InstagramReel, 2_200, TextCounting::Chars, "PLATFORMS.md: caption 2,200"),
            (Target::FacebookFeed, 63_206, TextCounting::Chars, "PLATFORMS.md: 63,206"),
            (Target::Telegram, 4_096, TextCounting::Chars, "Bot API sendMessage 4,096"),
            (Target::WhatsApp, 4_096, TextCounting::Chars, "PLATFORMS.md: text ≤ 4,096"),
            (Target::Discord, 2_000, TextCounting::Chars, "Discord content ≤ 2,000"),
            (Target::Slack, 40_000, TextCounting::Chars, "Slack changelog 2018-04: truncated past 40,000"),
            (Target::GoogleChat, 4_096, TextCounting::Chars, "Google Chat: 4,096 chars (stricter than 32,000 bytes)"),
            (Target::Teams, 20_000, TextCounting::Utf8Bytes, "Teams webhook 28 KB doc / 21 KB measured"),
        ];
        for (t, limit, count, source) in cases {
            assert_eq!(profile(t).text_limit, limit, "{}: {source}", t.id());
            assert_eq!(profile(t).text_count, count, "{}: {source}", t.id());
        }
        assert_eq!(profile(Target::Telegram).caption_limit, Some(1_024), "Bot API: captions 0-1024");
        assert!(profile(Target::Matrix).text_limit * 2 < 65_536, "Matrix: body and formatted_body in one 64 KiB event");
    }

    #[test]
    fn media_numbers_match_sources() {
        let bsky = profile(Target::Bluesky);
        assert_eq!(bsky.max_media, 4, "app.bsky.embed.images: ≤ 4 images");
        assert_eq!(image(Target::Bluesky).max_bytes, 1_000_000, "app.bsky.embed.images: blob ≤ 1,000,000 bytes");

        let tg = image(Target::Telegram);
        assert_eq!(tg.max_side_sum, Some(10_000), "Bot API sendPhoto: width + height ≤ 10,000");
        assert_eq!(tg.max_bytes, 10_000_000, "Bot API sendPhoto: ≤ 10 MB");
        assert_eq!(tg.aspect.map(|a| a.max), Some(20.0), "Bot API sendPhoto: ratio ≤ 20");
        assert_eq!(video(Target::Telegram).max_bytes, 50_000_000, "Bot API upload limit 50 MB");

        assert_eq!(image(Target::WhatsApp).max_bytes, 5_000_000, "WhatsApp Cloud API: images ≤ 5 MB");
        assert_eq!(video(Target::WhatsApp).max_bytes, 16_000_000, "WhatsApp Cloud API: video ≤ 16 MB");
        assert_eq!(video(Target::WhatsApp).video_codecs, &["h264"], "WhatsApp Cloud API: H.264 only");

        let masto = profile(Target::Mastodon);
        assert_eq!(masto.max_media, 4, "Mastodon default max_media_attachments");
        assert!(image(Target::Mastodon).max_pixels <= 33_177_600, "Mastodon 4.x image_matrix_limit");

        assert_eq!(profile(Target::Discord).max_media, 10, "Discord: ≤ 10 attachments");
        assert!(image(Target::Discord).max_bytes <= 10 * MIB, "Discord: ≤ 10 MiB default upload");

        assert_eq!(profile(Target::Threads).max_media, 20, "PLATFORMS.md: ≤ 20 carousel items");
        assert_eq!(image(Target::Threads).max_bytes, 8_000_000, "PLATFORMS.md: Threads JPEG/PNG ≤ 8 MB");

        let reel = video(Target::InstagramReel);
        assert_eq!((reel.min_seconds, reel.max_seconds), (3.0, 900.0), "PLATFORMS.md: reels 3 s–15 min");
        assert_eq!(reel.max_bytes, 300_000_000, "PLATFORMS.md: reels ≤ 300 MB");
        assert_eq!(reel.video_codecs, &["h264", "hevc"], "PLATFORMS.md: H.264/HEVC");

        assert_eq!(video(Target::FacebookStory).max_seconds, 60.0, "Page Stories API: ≤ 60 s");
        assert!(image(Target::FacebookFeed).max_bytes <= 4_000_000, "PLATFORMS.md: 4 MB safe");

        for t in [Target::Slack, Target::Teams, Target::GoogleChat] {
            let p = profile(t);
            assert!(p.media_by_public_url && p.video.is_none(), "{}: pictures by public address only", t.id());
            assert_eq!(image(t).max_bytes, 2 * MB, "{}: Google Chat's 2 MB for every chat", t.id());
        }
    }
}
