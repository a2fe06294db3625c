//! Instagram's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number. Feed video is published as
//! a Reel (the `VIDEO` media type was retired), so the feed target is image-only.

use crate::profiles::*;

// Instagram feed and carousel images: JPEG only, ≤ 8 MB, 320–1440 wide, 4:5 … 1.91:1
// (PLATFORMS.md; ayrshare and getlate media guidelines agree). 1080 is what Instagram displays.
const INSTAGRAM_IMAGE: ImageRules = ImageRules {
    formats: JPEG_ONLY,
    max_bytes: 8 * MB,
    min_width: 320,
    max_width: 1440,
    target_width: 1080,
    // 1440 wide at the tallest ratio, 4:5.
    max_pixels: 1440 * 1800,
    aspect: Some(AspectRange { min: 0.8, max: 1.91 }),
    keeps_png: false,
    ..ImageRules::BASE
};

const INSTAGRAM_STORY_IMAGE: ImageRules =
    ImageRules { max_pixels: 1440 * 2560, aspect: Some(STORY_ASPECT), story: true, ..INSTAGRAM_IMAGE };

// Reels: MOV/MP4, H.264/HEVC + AAC, 3 s–15 min, ≤ 1920 columns, ratio 0.01:1–10:1. Size: the
// English ayrshare guide and PLATFORMS.md say 300 MB, its translations 1 GB: take 300 MB.
const INSTAGRAM_REEL_VIDEO: VideoRules = VideoRules {
    containers: MP4_MOV,
    video_codecs: H264_HEVC,
    max_bytes: 300 * MB,
    min_seconds: 3.0,
    max_seconds: 15.0 * 60.0,
    aspect: Some(AspectRange { min: 0.01, max: 10.0 }),
    ..VideoRules::BASE
};

// Stories video: 3–60 s, ≤ 100 MB (Instagram content-publishing reference as remembered; not
// re-checked this time).
const INSTAGRAM_STORY_VIDEO: VideoRules =
    VideoRules { max_bytes: 100 * MB, max_seconds: 60.0, aspect: Some(STORY_ASPECT), ..INSTAGRAM_REEL_VIDEO };

// Carousel video items: Instagram crops every item to the first one's ratio, so videos take the
// feed image range; 60 s and 100 MB are the stricter of the story and reel values (uncertain).
const INSTAGRAM_CAROUSEL_VIDEO: VideoRules = VideoRules {
    max_bytes: 100 * MB,
    max_seconds: 60.0,
    aspect: Some(AspectRange { min: 0.8, max: 1.91 }),
    ..INSTAGRAM_REEL_VIDEO
};

#[allow(non_upper_case_globals)]
impl Target {
    pub const InstagramFeed: Target = Target::of(&INSTAGRAM_FEED);
    pub const InstagramCarousel: Target = Target::of(&INSTAGRAM_CAROUSEL);
    pub const InstagramStory: Target = Target::of(&INSTAGRAM_STORY);
    pub const InstagramReel: Target = Target::of(&INSTAGRAM_REEL);
}

pub(crate) const INSTAGRAM_FEED: Profile = Profile {
    id: "instagram-feed",
    name: "Instagram feed",
    // 2,200 characters, at most 30 hashtags and 20 mentions (PLATFORMS.md); the hashtag and
    // mention caps are for the composer to check separately.
    text_limit: 2_200,
    max_media: 1,
    min_media: 1,
    image: Some(INSTAGRAM_IMAGE),
    // Feed video is published as a Reel: use the Instagram reel target.
    video: None,
    media_by_public_url: true,
    source: "Instagram feed's limit",
    notes: "Instagram fetches the image from a public URL, so Fanout has to host it first.",
    ..Profile::BASE
};

pub(crate) const INSTAGRAM_CAROUSEL: Profile = Profile {
    id: "instagram-carousel",
    name: "Instagram carousel",
    text_limit: 2_200,
    // 2 to 10 items (PLATFORMS.md; getlate).
    max_media: 10,
    min_media: 2,
    image: Some(INSTAGRAM_IMAGE),
    video: Some(INSTAGRAM_CAROUSEL_VIDEO),
    media_by_public_url: true,
    source: "Instagram's limit",
    notes: "Instagram crops every item to the first item's aspect ratio, so Fanout gives them all the same one.",
    ..Profile::BASE
};

pub(crate) const INSTAGRAM_STORY: Profile = Profile {
    id: "instagram-story",
    name: "Instagram story",
    // The STORIES container takes no caption.
    text_limit: 0,
    max_media: 1,
    min_media: 1,
    image: Some(INSTAGRAM_STORY_IMAGE),
    video: Some(INSTAGRAM_STORY_VIDEO),
    media_by_public_url: true,
    source: "Instagram story's limit",
    notes: "A story is one photo or video without text, padded to 9:16, and disappears after 24 hours.",
    ..Profile::BASE
};

pub(crate) const INSTAGRAM_REEL: Profile = Profile {
    id: "instagram-reel",
    name: "Instagram reel",
    text_limit: 2_200,
    max_media: 1,
    min_media: 1,
    video: Some(INSTAGRAM_REEL_VIDEO),
    // Resumable upload needs Facebook Login for Business; the URL flow works for every account.
    media_by_public_url: true,
    source: "Instagram reel's limit",
    notes: "A reel is one video of 3 seconds to 15 minutes that Instagram fetches from a public URL.",
    ..Profile::BASE
};
