//! Posting constraints for every kind of target Fanout can deliver one post to.
//!
//! This is a static, data-only table: one [`Profile`] per [`Target`], saying how long the text may
//! be and how it is counted, how many media items a post takes, and which images and videos the
//! network accepts. The composer checks a draft against it *before* the user presses send (users of
//! other tools complain most about media refused afterwards), and the media pipeline uses it to
//! decide the size and format it produces for each target.
//!
//! Where a server reports its own limits at run time (Mastodon's `/api/v2/instance`, Matrix's
//! `m.upload.size`, Instagram's publishing quota) the value read at run time wins; the numbers here
//! are the fallbacks. Where sources disagree the stricter value is used and the comment names both
//! sources. Sizes quoted as "MB" are read as 10^6 bytes, the smaller of the two readings; sizes a
//! project defines in code as binary (Mastodon's `10.megabytes`) are kept binary.
//!
//! Meaning of the Facebook targets: *feed* is an ordinary Page post (text and/or link, up to 10
//! photos via `attached_media`, or one video via `/videos`); *photo* is a single photo post through
//! `/{page-id}/photos`; *story* is a Page story. Instagram feed video is published as a Reel (the
//! `VIDEO` media type was retired), so the Instagram feed target is image-only.
//!
//! Fields added to the brief's types: `Profile::caption_limit`, `Profile::video_alone`,
//! `Profile::max_total_bytes`.

/// One kind of place Fanout can post to. A connected account may offer several (a Facebook Page
/// offers feed, photo and story).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    FacebookFeed,
    FacebookPhoto,
    FacebookStory,
    InstagramFeed,
    InstagramCarousel,
    InstagramStory,
    InstagramReel,
    Threads,
    WhatsApp,
    Mastodon,
    Bluesky,
    Telegram,
    Matrix,
    Discord,
    Slack,
    Teams,
    GoogleChat,
}

impl Target {
    /// Every target, in declaration order; `PROFILES` follows the same order.
    pub const ALL: [Target; 17] = [
        Target::FacebookFeed,
        Target::FacebookPhoto,
        Target::FacebookStory,
        Target::InstagramFeed,
        Target::InstagramCarousel,
        Target::InstagramStory,
        Target::InstagramReel,
        Target::Threads,
        Target::WhatsApp,
        Target::Mastodon,
        Target::Bluesky,
        Target::Telegram,
        Target::Matrix,
        Target::Discord,
        Target::Slack,
        Target::Teams,
        Target::GoogleChat,
    ];

    /// Stable kebab-case id, used in settings files and the database; never change one.
    pub fn id(self) -> &'static str {
        match self {
            Target::FacebookFeed => "facebook-feed",
            Target::FacebookPhoto => "facebook-photo",
            Target::FacebookStory => "facebook-story",
            Target::InstagramFeed => "instagram-feed",
            Target::InstagramCarousel => "instagram-carousel",
            Target::InstagramStory => "instagram-story",
            Target::InstagramReel => "instagram-reel",
            Target::Threads => "threads",
            Target::WhatsApp => "whatsapp",
            Target::Mastodon => "mastodon",
            Target::Bluesky => "bluesky",
            Target::Telegram => "telegram",
            Target::Matrix => "matrix",
            Target::Discord => "discord",
            Target::Slack => "slack",
            Target::Teams => "teams",
            Target::GoogleChat => "google-chat",
        }
    }

    /// Inverse of [`Target::id`]; exact match only, so a typo in a stored id is noticed.
    pub fn parse(id: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.id() == id)
    }

    /// Name shown in the UI.
    pub fn display_name(self) -> &'static str {
        match self {
            Target::FacebookFeed => "Facebook feed",
            Target::FacebookPhoto => "Facebook photo",
            Target::FacebookStory => "Facebook story",
            Target::InstagramFeed => "Instagram feed",
            Target::InstagramCarousel => "Instagram carousel",
            Target::InstagramStory => "Instagram story",
            Target::InstagramReel => "Instagram reel",
            Target::Threads => "Threads",
            Target::WhatsApp => "WhatsApp",
            Target::Mastodon => "Mastodon",
            Target::Bluesky => "Bluesky",
            Target::Telegram => "Telegram",
            Target::Matrix => "Matrix",
            Target::Discord => "Discord",
            Target::Slack => "Slack",
            Target::Teams => "Microsoft Teams",
            Target::GoogleChat => "Google Chat",
        }
    }

    /// Position in [`Target::ALL`] and `PROFILES`; the discriminants follow declaration order.
    fn index(self) -> usize {
        self as usize
    }
}

/// How a network counts text against its limit; the composer's counter must use the same rule or
/// it will show "fits" for a post the network refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextCount {
    /// Unicode scalar values (Rust `chars()`).
    Chars,
    /// Extended grapheme clusters (what a person sees as one character).
    Graphemes,
    /// Bytes of the UTF-8 encoding.
    Utf8Bytes,
    /// Characters, except that every URL counts as `url_weight` whatever its length, and a
    /// mention counts only its local part.
    MastodonStyle { url_weight: u16 },
}

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
    pub target: Target,
    /// Limit for a post's text; 0 = the target carries no text at all (a story).
    pub text_limit: usize,
    pub text_count: TextCount,
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
    /// One sentence the user needs to know.
    pub notes: &'static str,
}

/// The profile of a target.
pub fn profile(target: Target) -> &'static Profile {
    &PROFILES[target.index()]
}

/// Every profile, in [`Target::ALL`] order.
pub fn all() -> &'static [Profile] {
    &PROFILES
}

// ---------------------------------------------------------------------------------------------
// Shared values.

const MB: u64 = 1_000_000;
const MIB: u64 = 1024 * 1024;
const NO_LIMIT: f64 = f64::INFINITY;
/// 9:16 portrait, the full-screen story ratio.
const STORY_RATIO: f64 = 9.0 / 16.0;
const STORY_ASPECT: AspectRange = AspectRange { min: STORY_RATIO, max: STORY_RATIO };
/// Fanout's own cap where a network documents no pixel limit.
const FANOUT_MAX_PIXELS: u64 = 4096 * 4096;

const JPEG_ONLY: &[ImageFormat] = &[ImageFormat::Jpeg];
const JPEG_PNG: &[ImageFormat] = &[ImageFormat::Jpeg, ImageFormat::Png];
const JPEG_PNG_WEBP: &[ImageFormat] = &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp];
const ALL_FORMATS: &[ImageFormat] = &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::Webp];

const MP4: &[&str] = &["mp4"];
const MP4_MOV: &[&str] = &["mp4", "mov"];
const H264: &[&str] = &["h264"];
const H264_HEVC: &[&str] = &["h264", "hevc"];
const AAC: &[&str] = &["aac"];

// Meta (Facebook Pages). Photo size: the English Page Stories doc says 10 MB, its older
// translations (id_ID, ko_KR) and PLATFORMS.md say 4 MB, so 4 MB
// (https://developers.facebook.com/docs/page-stories-api). Facebook rescales to 2048 px on the
// long side (ayrshare media guidelines), so Fanout produces 2048. The 200 px minimum comes from a
// third-party guide (getlate) only.
const FACEBOOK_IMAGE: ImageRules = ImageRules {
    formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif],
    max_bytes: 4 * MB,
    min_width: 200,
    max_width: 2048,
    target_width: 2048,
    max_pixels: 2048 * 2048,
    max_side_sum: None,
    aspect: None,
    story: false,
    // A GIF uploaded through /photos shows as a still; Fanout converts rather than lose it silently.
    keeps_animated_gif: false,
    keeps_png: true,
};

// Facebook Page video: sources give 2 GB (ayrshare), 4 GB (getlate), 10 GB (ayrshare, newer):
// take 2 GB. Up to 240 minutes.
const FACEBOOK_VIDEO: VideoRules = VideoRules {
    containers: MP4_MOV,
    video_codecs: H264_HEVC,
    audio_codecs: AAC,
    max_bytes: 2_000 * MB,
    min_seconds: 1.0,
    max_seconds: 240.0 * 60.0,
    max_width: 3840,
    aspect: None,
};

// Page stories: photo specs as above (4 MB reading); minimum 540 px wide follows the video
// minimum of 540 × 960 (https://developers.facebook.com/docs/page-stories-api).
const FACEBOOK_STORY_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG,
    max_bytes: 4 * MB,
    min_width: 540,
    max_width: 1080,
    target_width: 1080,
    max_pixels: 1080 * 1920,
    max_side_sum: None,
    aspect: Some(STORY_ASPECT),
    story: true,
    keeps_animated_gif: false,
    keeps_png: true,
};

// The Page Stories doc says "3 to 90 seconds" and, in its limitations, "video stories can not
// exceed 60 seconds": take 60. It gives no file size; 100 MB is borrowed from Instagram stories.
const FACEBOOK_STORY_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264_HEVC,
    audio_codecs: AAC,
    max_bytes: 100 * MB,
    min_seconds: 3.0,
    max_seconds: 60.0,
    max_width: 1080,
    aspect: Some(STORY_ASPECT),
};

// Instagram feed and carousel images: JPEG only, ≤ 8 MB, 320–1440 wide, 4:5 … 1.91:1
// (PLATFORMS.md; ayrshare and getlate media guidelines agree). 1080 is what Instagram displays.
const INSTAGRAM_IMAGE: ImageRules = ImageRules {
    formats: JPEG_ONLY,
    max_bytes: 8 * MB,
    min_width: 320,
    max_width: 1440,
    target_width: 1080,
    // 1440 wide at the tallest ratio, 4:5.
    max_pixels: 1440 * 1800,
    max_side_sum: None,
    aspect: Some(AspectRange { min: 0.8, max: 1.91 }),
    story: false,
    keeps_animated_gif: false,
    keeps_png: false,
};

const INSTAGRAM_STORY_IMAGE: ImageRules =
    ImageRules { max_pixels: 1440 * 2560, aspect: Some(STORY_ASPECT), story: true, ..INSTAGRAM_IMAGE };

// Reels: MOV/MP4, H.264/HEVC + AAC, 3 s–15 min, ≤ 1920 columns, ratio 0.01:1–10:1. Size: the
// English ayrshare guide and PLATFORMS.md say 300 MB, its translations 1 GB: take 300 MB.
const INSTAGRAM_REEL_VIDEO: VideoRules = VideoRules {
    containers: MP4_MOV,
    video_codecs: H264_HEVC,
    audio_codecs: AAC,
    max_bytes: 300 * MB,
    min_seconds: 3.0,
    max_seconds: 15.0 * 60.0,
    max_width: 1920,
    aspect: Some(AspectRange { min: 0.01, max: 10.0 }),
};

// Stories video: 3–60 s, ≤ 100 MB (Instagram content-publishing reference as remembered; not
// re-checked this time).
const INSTAGRAM_STORY_VIDEO: VideoRules =
    VideoRules { max_bytes: 100 * MB, max_seconds: 60.0, aspect: Some(STORY_ASPECT), ..INSTAGRAM_REEL_VIDEO };

// Carousel video items: Instagram crops every item to the first one's ratio, so videos take the
// feed image range; 60 s and 100 MB are the stricter of the story and reel values (uncertain).
const INSTAGRAM_CAROUSEL_VIDEO: VideoRules = VideoRules {
    max_bytes: 100 * MB,
    max_seconds: 60.0,
    aspect: Some(AspectRange { min: 0.8, max: 1.91 }),
    ..INSTAGRAM_REEL_VIDEO
};

// Threads: JPEG/PNG ≤ 8 MB, 320–1440 wide, ratio up to 10:1
// (https://ayrshare.com/docs/media-guidelines/threads, mirroring Meta's Threads media specs).
const THREADS_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG,
    max_bytes: 8 * MB,
    min_width: 320,
    max_width: 1440,
    target_width: 1440,
    // 1440 wide at the tallest allowed ratio, 1:10.
    max_pixels: 1440 * 14_400,
    max_side_sum: None,
    aspect: Some(AspectRange { min: 0.1, max: 10.0 }),
    story: false,
    keeps_animated_gif: false,
    keeps_png: true,
};

// Threads video: MOV/MP4, H.264/HEVC + AAC, ≤ 5 min, ≤ 1 GB, ≤ 1920 columns, 0.01:1–10:1.
// "Longer than 0 seconds" is read as at least 1 s.
const THREADS_VIDEO: VideoRules = VideoRules {
    containers: MP4_MOV,
    video_codecs: H264_HEVC,
    audio_codecs: AAC,
    max_bytes: 1_000 * MB,
    min_seconds: 1.0,
    max_seconds: 300.0,
    max_width: 1920,
    aspect: Some(AspectRange { min: 0.01, max: 10.0 }),
};

// WhatsApp Cloud API: image JPEG/PNG ≤ 5 MB; video MP4 (or 3GP) H.264 + AAC ≤ 16 MB
// (AWS End User Messaging "supported media types", mirroring Meta's table; PLATFORMS.md agrees).
// WhatsApp recompresses to about 1600 px, so Fanout sends that.
const WHATSAPP_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG,
    max_bytes: 5 * MB,
    min_width: 1,
    max_width: 4096,
    target_width: 1600,
    max_pixels: FANOUT_MAX_PIXELS,
    max_side_sum: None,
    aspect: None,
    story: false,
    keeps_animated_gif: false,
    keeps_png: true,
};

const WHATSAPP_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 16 * MB,
    min_seconds: 0.0,
    max_seconds: NO_LIMIT,
    max_width: 1920,
    aspect: None,
};

// Mastodon fallbacks (the user's server answers with its own in /api/v2/instance):
// image 10 MiB and video 40 MiB are Mastodon 3.x's `10.megabytes` / `40.megabytes`, which
// GoToSocial also adopted (superseriousbusiness/gotosocial#723); Mastodon 4.x reports 16 MiB /
// 99 MiB (mastodon.social in mastodon/mastodon#26709, where uploads over ~68 MB still failed).
// Pixels: 3.x allowed 4096 × 4096 = 16_777_216; 4.x reports image_matrix_limit 33_177_600.
const MASTODON_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 10 * MIB,
    min_width: 1,
    max_width: 4096,
    // Mastodon's web client shows images up to about 2048 px; more only costs the server space.
    target_width: 2048,
    max_pixels: 16_777_216,
    max_side_sum: None,
    aspect: None,
    story: false,
    keeps_animated_gif: true,
    keeps_png: true,
};

// Video pixels are limited too (3.x: 2_304_000 = 1920 × 1200; 4.x: video_matrix_limit 8_294_400);
// VideoRules has no pixel field, so 1920 wide is the fallback and the engine must read
// video_matrix_limit from the instance.
const MASTODON_VIDEO: VideoRules = VideoRules {
    containers: &["mp4", "webm", "mov"],
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 40 * MIB,
    min_seconds: 0.0,
    max_seconds: NO_LIMIT,
    max_width: 1920,
    aspect: None,
};

// Bluesky: ≤ 4 images of ≤ 1,000,000 bytes each (app.bsky.embed.images lexicon; PLATFORMS.md).
// 2000 px is what the official app produces, which keeps 1 MB reachable.
const BLUESKY_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG_WEBP,
    max_bytes: 1_000_000,
    min_width: 1,
    max_width: 2000,
    target_width: 2000,
    max_pixels: 2000 * 2000,
    max_side_sum: None,
    aspect: None,
    story: false,
    // GIFs show as stills; other tools send them as video instead.
    keeps_animated_gif: false,
    // Small PNGs (screenshots) stay sharp; one over 1 MB still has to be re-encoded.
    keeps_png: true,
};

// Bluesky video: one MP4 of ≤ 100 MB (app.bsky.embed.video maxSize 100_000_000). Duration: 60 s at
// launch, 3 min since 2025: take 60 s.
const BLUESKY_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 100 * MB,
    min_seconds: 0.0,
    max_seconds: 60.0,
    max_width: 1920,
    aspect: None,
};

// Telegram sendPhoto: ≤ 10 MB, width + height ≤ 10,000, ratio ≤ 20
// (https://core.telegram.org/bots/api#sendphoto as quoted by docs.rs/telbot-types). Telegram keeps
// photos up to 2560 px, so more is wasted.
const TELEGRAM_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG_WEBP,
    max_bytes: 10 * MB,
    min_width: 1,
    max_width: 2560,
    target_width: 2560,
    max_pixels: 2560 * 2560,
    max_side_sum: Some(10_000),
    aspect: Some(AspectRange { min: 1.0 / 20.0, max: 20.0 }),
    story: false,
    // GIFs need sendAnimation, which cannot be part of a media group.
    keeps_animated_gif: false,
    // Telegram recompresses every photo to JPEG.
    keeps_png: false,
};

// Bot API uploads are limited to 50 MB (python-telegram-bot MAX_FILESIZE_UPLOAD).
const TELEGRAM_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 50 * MB,
    min_seconds: 0.0,
    max_seconds: NO_LIMIT,
    max_width: 1920,
    aspect: None,
};

// Matrix: the upload limit is the server's m.upload.size (read at run time); 50 MB is Synapse's
// default max_upload_size.
// Team-chat webhooks carry no files: a picture is shown from a public address. Google Chat's
// image widget takes PNG or JPG and recommends at most 2 MB
// (https://developers.google.com/workspace/chat/add-text-image-card-dialog); Slack's image block
// and Teams' Adaptive Card Image show the same. One rule for all three, the strictest.
const CHAT_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG,
    max_bytes: 2 * MB,
    min_width: 1,
    max_width: 2048,
    target_width: 1600,
    max_pixels: FANOUT_MAX_PIXELS,
    max_side_sum: None,
    aspect: None,
    story: false,
    keeps_animated_gif: false,
    keeps_png: true,
};

const MATRIX_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 50 * MB,
    min_width: 1,
    max_width: 4096,
    target_width: 2048,
    max_pixels: FANOUT_MAX_PIXELS,
    max_side_sum: None,
    aspect: None,
    story: false,
    keeps_animated_gif: true,
    keeps_png: true,
};

// MP4/H.264/AAC is what every Matrix client plays inline.
const MATRIX_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 50 * MB,
    min_seconds: 0.0,
    max_seconds: NO_LIMIT,
    max_width: 1920,
    aspect: None,
};

// Discord file size: the brief says 10 MiB (Discord's default since 2024), but webhooks have lagged
// behind the user limit before — they refused files over 8 MB while users could send 25 MB
// (discord/discord-api-docs#6058) — so 8 MB.
const DISCORD_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 8 * MB,
    min_width: 1,
    max_width: 4096,
    target_width: 2048,
    max_pixels: FANOUT_MAX_PIXELS,
    max_side_sum: None,
    aspect: None,
    story: false,
    keeps_animated_gif: true,
    keeps_png: true,
};

const DISCORD_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 8 * MB,
    min_seconds: 0.0,
    max_seconds: NO_LIMIT,
    max_width: 1920,
    aspect: None,
};

// ---------------------------------------------------------------------------------------------
// The table, in Target::ALL order.

static PROFILES: [Profile; 17] = [
    Profile {
        target: Target::FacebookFeed,
        // 63,206 characters (PLATFORMS.md).
        text_limit: 63_206,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        // Photos via attached_media; third-party guides give 10 (getlate), Meta documents no number.
        max_media: 10,
        min_media: 0,
        image: Some(FACEBOOK_IMAGE),
        video: Some(FACEBOOK_VIDEO),
        video_not_built: false,
        // A video goes through /videos and cannot be combined with attached photos.
        video_alone: true,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "Posts go to a Facebook Page, never to a personal profile or a group.",
    },
    Profile {
        target: Target::FacebookPhoto,
        text_limit: 63_206,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 1,
        min_media: 1,
        image: Some(FACEBOOK_IMAGE),
        video: None,
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "Posts one photo with its caption to the Page; use the Facebook feed for several photos or a video.",
    },
    Profile {
        target: Target::FacebookStory,
        // /photo_stories and /video_stories take no text.
        text_limit: 0,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 1,
        min_media: 1,
        image: Some(FACEBOOK_STORY_IMAGE),
        video: Some(FACEBOOK_STORY_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "A story is one photo or video without text, padded to 9:16, and disappears after 24 hours.",
    },
    Profile {
        target: Target::InstagramFeed,
        // 2,200 characters, at most 30 hashtags and 20 mentions (PLATFORMS.md); the hashtag and
        // mention caps are for the composer to check separately.
        text_limit: 2_200,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 1,
        min_media: 1,
        image: Some(INSTAGRAM_IMAGE),
        // Feed video is published as a Reel: use the Instagram reel target.
        video: None,
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "Instagram fetches the image from a public URL, so Fanout has to host it first.",
    },
    Profile {
        target: Target::InstagramCarousel,
        text_limit: 2_200,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        // 2 to 10 items (PLATFORMS.md; getlate).
        max_media: 10,
        min_media: 2,
        image: Some(INSTAGRAM_IMAGE),
        video: Some(INSTAGRAM_CAROUSEL_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "Instagram crops every item to the first item's aspect ratio, so Fanout gives them all the same one.",
    },
    Profile {
        target: Target::InstagramStory,
        // The STORIES container takes no caption.
        text_limit: 0,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 1,
        min_media: 1,
        image: Some(INSTAGRAM_STORY_IMAGE),
        video: Some(INSTAGRAM_STORY_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "A story is one photo or video without text, padded to 9:16, and disappears after 24 hours.",
    },
    Profile {
        target: Target::InstagramReel,
        text_limit: 2_200,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 1,
        min_media: 1,
        image: None,
        video: Some(INSTAGRAM_REEL_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        // Resumable upload needs Facebook Login for Business; the URL flow works for every account.
        media_by_public_url: true,
        notes: "A reel is one video of 3 seconds to 15 minutes that Instagram fetches from a public URL.",
    },
    Profile {
        target: Target::Threads,
        // "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8
        // bytes" (https://developers.facebook.com/documentation/threads/posts). Counting every
        // character as its UTF-8 bytes is the stricter reading: exact for emoji, over-cautious for
        // other non-ASCII text.
        text_limit: 500,
        text_count: TextCount::Utf8Bytes,
        caption_limit: None,
        text_required: false,
        // A carousel takes up to 20 items (PLATFORMS.md; ayrshare).
        max_media: 20,
        min_media: 0,
        image: Some(THREADS_IMAGE),
        video: Some(THREADS_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "Threads fetches media from a public URL and accepts at most 250 posts a day per profile.",
    },
    Profile {
        target: Target::WhatsApp,
        // Text messages 4,096 (PLATFORMS.md); media captions 1,024 (Cloud API reference, from
        // memory: not re-checked this time).
        text_limit: 4_096,
        text_count: TextCount::Chars,
        caption_limit: Some(1_024),
        text_required: false,
        // One media item per message.
        max_media: 1,
        min_media: 0,
        image: Some(WHATSAPP_IMAGE),
        video: Some(WHATSAPP_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "WhatsApp messages go to opted-in recipients only, and free-form ones only within 24 hours of their last message.",
    },
    Profile {
        target: Target::Mastodon,
        // 500 and 23 per URL are Mastodon's defaults; the server's
        // configuration.statuses.max_characters and characters_reserved_per_url override them.
        text_limit: 500,
        text_count: TextCount::MastodonStyle { url_weight: 23 },
        caption_limit: None,
        text_required: false,
        max_media: 4,
        min_media: 0,
        image: Some(MASTODON_IMAGE),
        video: Some(MASTODON_VIDEO),
        video_not_built: false,
        // Mastodon refuses a status that mixes a video with other attachments.
        video_alone: true,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "Limits are read from the user's server when connecting; these values are only fallbacks.",
    },
    Profile {
        target: Target::Bluesky,
        // 300 graphemes; the lexicon also caps the text at 3,000 UTF-8 bytes, which only text made
        // of long emoji sequences can reach (@atcute/bluesky limits: maxGraphemes 300,
        // maxLength 3000).
        text_limit: 300,
        text_count: TextCount::Graphemes,
        caption_limit: None,
        text_required: false,
        max_media: 4,
        min_media: 0,
        image: Some(BLUESKY_IMAGE),
        video: Some(BLUESKY_VIDEO),
        video_not_built: true,
        // A post embeds either images or one video.
        video_alone: true,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "Each image must be under 1 MB, so Fanout re-encodes larger ones.",
    },
    Profile {
        target: Target::Telegram,
        // sendMessage 4,096; captions 1,024 "after entities parsing" (Bot API; python-telegram-bot
        // MAX_MESSAGE_LENGTH / MAX_CAPTION_LENGTH). Telegram may count UTF-16 units, which Chars
        // undercounts for emoji: left uncertain.
        text_limit: 4_096,
        text_count: TextCount::Chars,
        caption_limit: Some(1_024),
        text_required: false,
        // sendMediaGroup takes 2–10 items; a single item goes through sendPhoto / sendVideo.
        max_media: 10,
        min_media: 0,
        image: Some(TELEGRAM_IMAGE),
        video: Some(TELEGRAM_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "Fanout posts as a bot, which must be an administrator of the channel or group.",
    },
    Profile {
        target: Target::Matrix,
        // The whole event must fit in 65,536 bytes (matrix-org/matrix-doc#3126), including the
        // envelope the server adds (signatures, hashes, prev/auth events); the matrix Dart SDK
        // keeps events under 60,000 for that reason. The text travels twice — `body` and the HTML
        // `formatted_body` — and HTML escaping and link markup grow the second copy. So
        // (60,000 − ~5,000 envelope) / 2 ≈ 27,500, rounded down to 25,000 bytes for the markup.
        text_limit: 25_000,
        text_count: TextCount::Utf8Bytes,
        caption_limit: None,
        text_required: false,
        // Each file is its own m.image / m.video event; 10 is Fanout's own cap.
        max_media: 10,
        min_media: 0,
        image: Some(MATRIX_IMAGE),
        video: Some(MATRIX_VIDEO),
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: false,
        notes: "Each file is sent as its own message after the text, within the server's upload limit.",
    },
    Profile {
        target: Target::Discord,
        // content ≤ 2,000 characters, ≤ 10 attachments (PLATFORMS.md; @sapphire/discord-utilities
        // MessageLimits.MaximumLength).
        text_limit: 2_000,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: false,
        max_media: 10,
        min_media: 0,
        image: Some(DISCORD_IMAGE),
        video: Some(DISCORD_VIDEO),
        video_not_built: false,
        video_alone: false,
        // Whole request ≤ 25,000,000 bytes (@sapphire/discord-utilities MaximumRequestSize; a
        // user measured 26,214,400 — take the smaller).
        max_total_bytes: Some(25 * MB),
        media_by_public_url: false,
        notes: "Posts through a channel webhook, which refuses files over 8 MB.",
    },
    Profile {
        target: Target::Slack,
        // Slack truncates `text` beyond 40,000 characters
        // (https://api.slack.com/changelog/2018-04-truncating-really-long-messages). This holds
        // for the top-level `text` only: a section block takes 3,000.
        text_limit: 40_000,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: true,
        // Incoming webhooks carry no files (upload needs a bot token): pictures are image blocks
        // with a public address. A message takes 50 blocks; Fanout sends at most 10 pictures.
        max_media: 10,
        min_media: 0,
        image: Some(CHAT_IMAGE),
        video: None,
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "Incoming webhooks carry no files: pictures are shown from the account's public bucket.",
    },
    Profile {
        target: Target::Teams,
        // The whole payload must stay under 28 KB
        // (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook);
        // the msteams_hermes gem measured 21,000 bytes in practice. Take 21,000, less ~1,000 for
        // the Adaptive Card envelope and JSON escaping.
        text_limit: 20_000,
        text_count: TextCount::Utf8Bytes,
        caption_limit: None,
        text_required: true,
        // Pictures are Adaptive Card images with a public address.
        max_media: 10,
        min_media: 0,
        image: Some(CHAT_IMAGE),
        video: None,
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "Workflows webhooks carry no files: pictures are shown from the account's public bucket.",
    },
    Profile {
        target: Target::GoogleChat,
        // The API allows 32,000 bytes per message including cards
        // (https://developers.google.com/chat/reference/rest/v1/spaces.messages/create); the
        // commonly cited text limit is 4,096 characters. Take 4,096 characters, which also stays
        // under 32,000 bytes.
        text_limit: 4_096,
        text_count: TextCount::Chars,
        caption_limit: None,
        text_required: true,
        // Pictures are card image widgets with a public address.
        max_media: 10,
        min_media: 0,
        image: Some(CHAT_IMAGE),
        video: None,
        video_not_built: false,
        video_alone: false,
        max_total_bytes: None,
        media_by_public_url: true,
        notes: "Incoming webhooks carry no files: pictures are shown from the account's public bucket.",
    },
];

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
        assert_eq!(all().len(), Target::ALL.len());
        for (i, t) in Target::ALL.into_iter().enumerate() {
            assert_eq!(all()[i].target, t, "PROFILES is out of Target::ALL order at {i}");
            assert_eq!(profile(t).target, t);
            assert_eq!(Target::parse(t.id()), Some(t), "{} does not round-trip", t.id());
            assert!(t.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{} is not kebab-case", t.id());
            assert!(!t.display_name().is_empty());
        }
        for (i, a) in Target::ALL.into_iter().enumerate() {
            for b in &Target::ALL[i + 1..] {
                assert_ne!(a.id(), b.id());
                assert_ne!(a.display_name(), b.display_name());
            }
        }
        assert_eq!(Target::parse("Instagram-Feed"), None);
        assert_eq!(Target::parse(""), None);
    }

    #[test]
    fn aspect_ranges_are_positive_and_ordered() {
        for p in all() {
            for a in aspects(p) {
                assert!(a.min > 0.0, "{}: aspect min must be positive", p.target.id());
                assert!(a.min <= a.max, "{}: aspect min > max", p.target.id());
                assert!(a.max.is_finite(), "{}", p.target.id());
            }
        }
    }

    #[test]
    fn image_rules_are_consistent() {
        for p in all() {
            let Some(i) = &p.image else { continue };
            let id = p.target.id();
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
        for p in all() {
            let Some(v) = &p.video else { continue };
            let id = p.target.id();
            assert!(!v.containers.is_empty() && !v.video_codecs.is_empty() && !v.audio_codecs.is_empty(), "{id}");
            assert!(v.min_seconds >= 0.0 && v.min_seconds <= v.max_seconds, "{id}: duration range");
            assert!(v.max_bytes > 0 && v.max_width > 0, "{id}");
        }
    }

    #[test]
    fn media_counts_and_text_are_consistent() {
        for p in all() {
            let id = p.target.id();
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
        for p in all() {
            if let Some(i) = &p.image {
                let story = matches!(p.target, Target::FacebookStory | Target::InstagramStory);
                assert_eq!(i.story, story, "{}", p.target.id());
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
        assert_eq!(p.image, Some(INSTAGRAM_IMAGE), "carousel images follow the feed rules");
    }

    #[test]
    fn text_limits_match_sources() {
        let cases: [(Target, usize, TextCount, &str); 12] = [
            (Target::Bluesky, 300, TextCount::Graphemes, "app.bsky.feed.post maxGraphemes 300"),
            (Target::Threads, 500, TextCount::Utf8Bytes, "Threads posts doc: 500, emoji as UTF-8 bytes"),
            (Target::Mastodon, 500, TextCount::MastodonStyle { url_weight: 23 }, "Mastodon defaults"),
            (Target::InstagramFeed, 2_200, TextCount::Chars, "PLATFORMS.md: caption 2,200"),
            (Target::InstagramReel, 2_200, TextCount::Chars, "PLATFORMS.md: caption 2,200"),
            (Target::FacebookFeed, 63_206, TextCount::Chars, "PLATFORMS.md: 63,206"),
            (Target::Telegram, 4_096, TextCount::Chars, "Bot API sendMessage 4,096"),
            (Target::WhatsApp, 4_096, TextCount::Chars, "PLATFORMS.md: text ≤ 4,096"),
            (Target::Discord, 2_000, TextCount::Chars, "Discord content ≤ 2,000"),
            (Target::Slack, 40_000, TextCount::Chars, "Slack changelog 2018-04: truncated past 40,000"),
            (Target::GoogleChat, 4_096, TextCount::Chars, "Google Chat: 4,096 chars (stricter than 32,000 bytes)"),
            (Target::Teams, 20_000, TextCount::Utf8Bytes, "Teams webhook 28 KB doc / 21 KB measured"),
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
