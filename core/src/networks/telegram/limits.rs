//! Telegram's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;
use crate::text::TextCounting;

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

#[allow(non_upper_case_globals)]
impl Target {
    pub const Telegram: Target = Target::of(&TELEGRAM);
}

pub(crate) const TELEGRAM: Profile = Profile {
    id: "telegram",
    name: "Telegram",
    // sendMessage 4,096; captions 1,024 "after entities parsing" (Bot API; python-telegram-bot
    // MAX_MESSAGE_LENGTH / MAX_CAPTION_LENGTH). Telegram may count UTF-16 units, which Chars
    // undercounts for emoji: left uncertain.
    text_limit: 4_096,
    text_count: TextCounting::Chars,
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
    // A text too long for a caption goes as a message of its own.
    text_apart: true,
    document_bytes: None,
    source: "Telegram's limit",
    notes: "Fanout posts as a bot, which must be an administrator of the channel or group.",
};
