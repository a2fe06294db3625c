//! Nostr's row of the profiles table (`crate::profiles`). The protocol sets no limits of its own:
//! each relay sets its own (NIP-11 `limitation`), and each Blossom server its own file size.

use crate::profiles::*;
use crate::text::TextCounting;

// Blossom servers take what they like: public ones commonly take 10–100 MB. Fanout keeps photos
// under 5 MB at 2048 px, what clients display, so a free server takes them.
const NOSTR_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 5 * MB,
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

// MP4/H.264/AAC is what every client plays inline; 100 MB is a common public server's cap.
const NOSTR_VIDEO: VideoRules = VideoRules {
    containers: MP4,
    video_codecs: H264,
    audio_codecs: AAC,
    max_bytes: 100 * MB,
    min_seconds: 0.0,
    max_seconds: NO_LIMIT,
    max_width: 1920,
    aspect: None,
};

#[allow(non_upper_case_globals)]
impl Target {
    pub const Nostr: Target = Target::of(&NOSTR);
}

pub(crate) const NOSTR: Profile = Profile {
    id: "nostr",
    name: "Nostr",
    // No protocol limit. NIP-11's example relay takes 8,196 characters of content; strfry's default
    // event is at most 64 KiB and nostr-rs-relay's 128 KiB, so 8,000 characters (with the media's
    // addresses added) fits every relay seen.
    text_limit: 8_000,
    text_count: TextCounting::Chars,
    caption_limit: None,
    text_required: false,
    // Each file is an address in the text and an `imeta` tag; 10 is Fanout's own cap.
    max_media: 10,
    min_media: 0,
    image: Some(NOSTR_IMAGE),
    video: Some(NOSTR_VIDEO),
    video_not_built: false,
    video_alone: false,
    max_total_bytes: None,
    media_by_public_url: false,
    text_apart: false,
    document_bytes: None,
    source: "Nostr's limit",
    notes: "A note goes to every relay you write to; photos and videos go to your Blossom media server.",
};
