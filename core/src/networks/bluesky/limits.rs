//! Bluesky's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Bluesky: ≤ 4 images of ≤ 1,000,000 bytes each (app.bsky.embed.images lexicon; PLATFORMS.md).
// 2000 px is what the official app produces, which keeps 1 MB reachable.
const BLUESKY_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG_WEBP,
    max_bytes: 1_000_000,
    max_width: 2000,
    target_width: 2000,
    max_pixels: 2000 * 2000,
    // GIFs show as stills; other tools send them as video instead.
    keeps_animated_gif: false,
    // Small PNGs (screenshots) stay sharp; one over 1 MB still has to be re-encoded.
    keeps_png: true,
    ..ImageRules::BASE
};

// Bluesky video: one MP4 of ≤ 100 MB (app.bsky.embed.video maxSize 100_000_000). Duration: 60 s at
// launch, 3 min since 2025: take 60 s.
const BLUESKY_VIDEO: VideoRules = VideoRules { max_bytes: 100 * MB, max_seconds: 60.0, ..VideoRules::BASE };

#[allow(non_upper_case_globals)]
impl Target {
    pub const Bluesky: Target = Target::of(&BLUESKY);
}

pub(crate) const BLUESKY: Profile = Profile {
    id: "bluesky",
    name: "Bluesky",
    // 300 graphemes; the lexicon also caps the text at 3,000 UTF-8 bytes, which only text made
    // of long emoji sequences can reach (@atcute/bluesky limits: maxGraphemes 300,
    // maxLength 3000).
    text_limit: 300,
    text_count: TextCounting::Graphemes,
    max_media: 4,
    image: Some(BLUESKY_IMAGE),
    video: Some(BLUESKY_VIDEO),
    video_not_built: true,
    // A post embeds either images or one video.
    video_alone: true,
    source: "Bluesky's limit",
    notes: "Each image must be under 1 MB, so Fanout re-encodes larger ones.",
    ..Profile::BASE
};
