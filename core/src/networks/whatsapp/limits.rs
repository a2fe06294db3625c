//! WhatsApp's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// WhatsApp Cloud API: image JPEG/PNG ≤ 5 MB; video MP4 (or 3GP) H.264 + AAC ≤ 16 MB
// (AWS End User Messaging "supported media types", mirroring Meta's table; PLATFORMS.md agrees).
// WhatsApp recompresses to about 1600 px, so Fanout sends that.
const WHATSAPP_IMAGE: ImageRules =
    ImageRules { formats: JPEG_PNG, max_bytes: 5 * MB, max_width: 4096, target_width: 1600, ..ImageRules::BASE };

const WHATSAPP_VIDEO: VideoRules = VideoRules { max_bytes: 16 * MB, ..VideoRules::BASE };

#[allow(non_upper_case_globals)]
impl Target {
    pub const WhatsApp: Target = Target::of(&WHATS_APP);
}

pub(crate) const WHATS_APP: Profile = Profile {
    id: "whatsapp",
    name: "WhatsApp",
    // Text messages 4,096 (PLATFORMS.md); media captions 1,024 (Cloud API reference, from
    // memory: not re-checked this time).
    text_limit: 4_096,
    caption_limit: Some(1_024),
    // One media item per message.
    max_media: 1,
    image: Some(WHATSAPP_IMAGE),
    video: Some(WHATSAPP_VIDEO),
    // A text too long for a caption goes as a message of its own.
    text_apart: true,
    document_bytes: Some(super::DOCUMENT_BYTES),
    source: "WhatsApp's limit",
    notes: "WhatsApp messages go to opted-in recipients only, and free-form ones only within 24 hours of their last message.",
    ..Profile::BASE
};
