//! Facebook's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.
//!
//! *Feed* is an ordinary Page post (text and/or link, up to 10 photos via `attached_media`, or one
//! video via `/videos`); *photo* is a single photo post through `/{page-id}/photos`; *story* is a
//! Page story.

use crate::profiles::*;

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
    // A GIF uploaded through /photos shows as a still; Fanout converts rather than lose it silently.
    keeps_animated_gif: false,
    ..ImageRules::BASE
};

// Facebook Page video: sources give 2 GB (ayrshare), 4 GB (getlate), 10 GB (ayrshare, newer):
// take 2 GB. Up to 240 minutes.
const FACEBOOK_VIDEO: VideoRules = VideoRules {
    containers: MP4_MOV,
    video_codecs: H264_HEVC,
    max_bytes: 2_000 * MB,
    min_seconds: 1.0,
    max_seconds: 240.0 * 60.0,
    max_width: 3840,
    ..VideoRules::BASE
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
    aspect: Some(STORY_ASPECT),
    story: true,
    ..ImageRules::BASE
};

// The Page Stories doc says "3 to 90 seconds" and, in its limitations, "video stories can not
// exceed 60 seconds": take 60. It gives no file size; 100 MB is borrowed from Instagram stories.
const FACEBOOK_STORY_VIDEO: VideoRules = VideoRules {
    video_codecs: H264_HEVC,
    max_bytes: 100 * MB,
    min_seconds: 3.0,
    max_seconds: 60.0,
    max_width: 1080,
    aspect: Some(STORY_ASPECT),
    ..VideoRules::BASE
};

#[allow(non_upper_case_globals)]
impl Target {
    pub const FacebookFeed: Target = Target::of(&FACEBOOK_FEED);
    pub const FacebookPhoto: Target = Target::of(&FACEBOOK_PHOTO);
    pub const FacebookStory: Target = Target::of(&FACEBOOK_STORY);
}

pub(crate) const FACEBOOK_FEED: Profile = Profile {
    id: "facebook-feed",
    name: "Facebook feed",
    // 63,206 characters (PLATFORMS.md).
    text_limit: 63_206,
    // Photos via attached_media; third-party guides give 10 (getlate), Meta documents no number.
    max_media: 10,
    image: Some(FACEBOOK_IMAGE),
    video: Some(FACEBOOK_VIDEO),
    // A video goes through /videos and cannot be combined with attached photos.
    video_alone: true,
    source: "Facebook's limit",
    notes: "Posts go to a Facebook Page, never to a personal profile or a group.",
    ..Profile::BASE
};

pub(crate) const FACEBOOK_PHOTO: Profile = Profile {
    id: "facebook-photo",
    name: "Facebook photo",
    text_limit: 63_206,
    max_media: 1,
    min_media: 1,
    image: Some(FACEBOOK_IMAGE),
    source: "Facebook photo's limit",
    notes: "Posts one photo with its caption to the Page; use the Facebook feed for several photos or a video.",
    ..Profile::BASE
};

pub(crate) const FACEBOOK_STORY: Profile = Profile {
    id: "facebook-story",
    name: "Facebook story",
    // /photo_stories and /video_stories take no text.
    text_limit: 0,
    max_media: 1,
    min_media: 1,
    image: Some(FACEBOOK_STORY_IMAGE),
    video: Some(FACEBOOK_STORY_VIDEO),
    source: "Facebook story's limit",
    notes: "A story is one photo or video without text, padded to 9:16, and disappears after 24 hours.",
    ..Profile::BASE
};
