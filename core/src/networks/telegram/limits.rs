//! Telegram's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Telegram sendPhoto: ≤ 10 MB, width + height ≤ 10,000, ratio ≤ 20
// (https://core.telegram.org/bots/api#sendphoto as quoted by docs.rs/telbot-types). Telegram keeps
// photos up to 2560 px, so more is wasted.
const TELEGRAM_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG_WEBP,
    max_bytes: 10 * MB,
    max_width: 2560,
    target_width: 2560,
    max_pixels: 2560 * 2560,
    max_side_sum: Some(10_000),
    aspect: Some(AspectRange { min: 1.0 / 20.0, max: 20.0 }),
    // GIFs need sendAnimation, which cannot be part of a media group.
    keeps_animated_gif: false,
    // Telegram recompresses every photo to JPEG.
    keeps_png: false,
    ..ImageRules::BASE
};

// Bot API uploads are limited to 50 MB (python-telegram-bot MAX_FILESIZE_UPLOAD).
const TELEGRAM_VIDEO: VideoRules = VideoRules { max_bytes: 50 * MB, ..VideoRules::BASE };

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
    caption_limit: Some(1_024),
    // sendMediaGroup takes 2–10 items; a single item goes through sendPhoto / sendVideo.
    max_media: 10,
    image: Some(TELEGRAM_IMAGE),
    video: Some(TELEGRAM_VIDEO),
    // A text too long for a caption goes as a message of its own.
    text_apart: true,
    source: "Telegram's limit",
    notes: "Fanout posts as a bot, which must be an administrator of the channel or group.",
    ..Profile::BASE
};
