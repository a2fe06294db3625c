//! Nostr's row of the profiles table (`crate::profiles`). The protocol sets no limits of its own:
//! each relay sets its own (NIP-11 `limitation`), and each Blossom server its own file size.

use crate::profiles::*;

// Blossom servers take what they like: public ones commonly take 10–100 MB. Fanout keeps photos
// under 5 MB at 2048 px, what clients display, so a free server takes them.
const NOSTR_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 5 * MB,
    max_width: 4096,
    target_width: 2048,
    keeps_animated_gif: true,
    ..ImageRules::BASE
};

// MP4/H.264/AAC is what every client plays inline; 100 MB is a common public server's cap.
const NOSTR_VIDEO: VideoRules = VideoRules { max_bytes: 100 * MB, ..VideoRules::BASE };

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
    // Each file is an address in the text and an `imeta` tag; 10 is Fanout's own cap.
    max_media: 10,
    image: Some(NOSTR_IMAGE),
    video: Some(NOSTR_VIDEO),
    source: "Nostr's limit",
    notes: "A note goes to every relay you write to; photos and videos go to your Blossom media server.",
    ..Profile::BASE
};
