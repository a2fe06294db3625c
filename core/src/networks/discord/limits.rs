//! Discord's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Discord file size: the brief says 10 MiB (Discord's default since 2024), but webhooks have lagged
// behind the user limit before — they refused files over 8 MB while users could send 25 MB
// (discord/discord-api-docs#6058) — so 8 MB.
const DISCORD_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 8 * MB,
    max_width: 4096,
    target_width: 2048,
    keeps_animated_gif: true,
    ..ImageRules::BASE
};

const DISCORD_VIDEO: VideoRules = VideoRules { max_bytes: 8 * MB, ..VideoRules::BASE };

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
    max_media: 10,
    image: Some(DISCORD_IMAGE),
    video: Some(DISCORD_VIDEO),
    // Whole request ≤ 25,000,000 bytes (@sapphire/discord-utilities MaximumRequestSize; a
    // user measured 26,214,400 — take the smaller).
    max_total_bytes: Some(25 * MB),
    source: "Discord's limit",
    notes: "Posts through a channel webhook, which refuses files over 8 MB.",
    ..Profile::BASE
};
