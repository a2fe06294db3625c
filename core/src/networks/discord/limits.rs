//! Discord's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;
use crate::text::TextCounting;

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

#[allow(non_upper_case_globals)]
impl Target {
    pub const Discord: Target = Target::of(&DISCORD);
}

pub(crate) const DISCORD: Profile = Profile {
    id: "discord",
    name: "Discord",
    // content ≤ 2,000 characters, ≤ 10 attachments (PLATFORMS.md; @sapphire/discord-utilities
    // MessageLimits.MaximumLength).
    text_limit: 2_000,
    text_count: TextCounting::Chars,
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
    text_apart: false,
    document_bytes: None,
    source: "Discord's limit",
    notes: "Posts through a channel webhook, which refuses files over 8 MB.",
};
