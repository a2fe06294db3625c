//! Threads's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Threads: JPEG/PNG ≤ 8 MB, 320–1440 wide, ratio up to 10:1
// (https://ayrshare.com/docs/media-guidelines/threads, mirroring Meta's Threads media specs).
const THREADS_IMAGE: ImageRules = ImageRules {
    formats: JPEG_PNG,
    max_bytes: 8 * MB,
    min_width: 320,
    max_width: 1440,
    target_width: 1440,
    // 1440 wide at the tallest allowed ratio, 1:10.
    max_pixels: 1440 * 14_400,
    aspect: Some(AspectRange { min: 0.1, max: 10.0 }),
    ..ImageRules::BASE
};

// Threads video: MOV/MP4, H.264/HEVC + AAC, ≤ 5 min, ≤ 1 GB, ≤ 1920 columns, 0.01:1–10:1.
// "Longer than 0 seconds" is read as at least 1 s.
const THREADS_VIDEO: VideoRules = VideoRules {
    containers: MP4_MOV,
    video_codecs: H264_HEVC,
    max_bytes: 1_000 * MB,
    min_seconds: 1.0,
    max_seconds: 300.0,
    aspect: Some(AspectRange { min: 0.01, max: 10.0 }),
    ..VideoRules::BASE
};

#[allow(non_upper_case_globals)]
impl Target {
    pub const Threads: Target = Target::of(&THREADS);
}

pub(crate) const THREADS: Profile = Profile {
    id: "threads",
    name: "Threads",
    // "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8
    // bytes" (https://developers.facebook.com/documentation/threads/posts). Counting every
    // character as its UTF-8 bytes is the stricter reading: exact for emoji, over-cautious for
    // other non-ASCII text.
    text_limit: 500,
    text_count: TextCounting::Utf8Bytes,
    // A carousel takes up to 20 items (PLATFORMS.md; ayrshare).
    max_media: 20,
    image: Some(THREADS_IMAGE),
    video: Some(THREADS_VIDEO),
    media_by_public_url: true,
    source: "Threads' limit",
    notes: "Threads fetches media from a public URL and accepts at most 250 posts a day per profile.",
    ..Profile::BASE
};
