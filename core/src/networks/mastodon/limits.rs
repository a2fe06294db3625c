//! Mastodon's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Mastodon fallbacks (the user's server answers with its own in /api/v2/instance):
// image 10 MiB and video 40 MiB are Mastodon 3.x's `10.megabytes` / `40.megabytes`, which
// GoToSocial also adopted (superseriousbusiness/gotosocial#723); Mastodon 4.x reports 16 MiB /
// 99 MiB (mastodon.social in mastodon/mastodon#26709, where uploads over ~68 MB still failed).
// Pixels: 3.x allowed 4096 × 4096 = 16_777_216; 4.x reports image_matrix_limit 33_177_600.
const MASTODON_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 10 * MIB,
    max_width: 4096,
    // Mastodon's web client shows images up to about 2048 px; more only costs the server space.
    target_width: 2048,
    max_pixels: 16_777_216,
    keeps_animated_gif: true,
    ..ImageRules::BASE
};

// Video pixels are limited too (3.x: 2_304_000 = 1920 × 1200; 4.x: video_matrix_limit 8_294_400);
// VideoRules has no pixel field, so 1920 wide is the fallback and the engine must read
// video_matrix_limit from the instance.
const MASTODON_VIDEO: VideoRules =
    VideoRules { containers: &["mp4", "webm", "mov"], max_bytes: 40 * MIB, ..VideoRules::BASE };

#[allow(non_upper_case_globals)]
impl Target {
    pub const Mastodon: Target = Target::of(&MASTODON);
}

pub(crate) const MASTODON: Profile = Profile {
    id: "mastodon",
    name: "Mastodon",
    // 500 and 23 per URL are Mastodon's defaults; the server's
    // configuration.statuses.max_characters and characters_reserved_per_url override them.
    text_limit: 500,
    text_count: TextCounting::Mastodon { url_weight: 23 },
    max_media: 4,
    image: Some(MASTODON_IMAGE),
    video: Some(MASTODON_VIDEO),
    // Mastodon refuses a status that mixes a video with other attachments.
    video_alone: true,
    source: "Mastodon's usual limit",
    notes: "Limits are read from the user's server when connecting; these values are only fallbacks.",
    ..Profile::BASE
};
