//! Matrix's rows of the profiles table (`crate::profiles`): what a post may contain and
//! which images and videos it takes, with the sources of each number.

use crate::profiles::*;

// Matrix: the upload limit is the server's m.upload.size (read at run time); 50 MB is Synapse's
// default max_upload_size.
const MATRIX_IMAGE: ImageRules = ImageRules {
    formats: ALL_FORMATS,
    max_bytes: 50 * MB,
    max_width: 4096,
    target_width: 2048,
    keeps_animated_gif: true,
    ..ImageRules::BASE
};

// MP4/H.264/AAC is what every Matrix client plays inline.
const MATRIX_VIDEO: VideoRules = VideoRules { max_bytes: 50 * MB, ..VideoRules::BASE };

#[allow(non_upper_case_globals)]
impl Target {
    pub const Matrix: Target = Target::of(&MATRIX);
}

pub(crate) const MATRIX: Profile = Profile {
    id: "matrix",
    name: "Matrix",
    // The whole event must fit in 65,536 bytes (matrix-org/matrix-doc#3126), including the
    // envelope the server adds (signatures, hashes, prev/auth events); the matrix Dart SDK
    // keeps events under 60,000 for that reason. The text travels twice — `body` and the HTML
    // `formatted_body` — and HTML escaping and link markup grow the second copy. So
    // (60,000 − ~5,000 envelope) / 2 ≈ 27,500, rounded down to 25,000 bytes for the markup.
    text_limit: 25_000,
    text_count: TextCounting::Utf8Bytes,
    // Each file is its own m.image / m.video event; 10 is Fanout's own cap.
    max_media: 10,
    image: Some(MATRIX_IMAGE),
    video: Some(MATRIX_VIDEO),
    // A text too long for a caption goes as a message of its own.
    text_apart: true,
    // Synapse's default max_upload_size; the server's own m.upload.size wins where it says less.
    document_bytes: Some(50 * MIB),
    source: "Matrix's event size",
    notes: "Each file is sent as its own message after the text, within the server's upload limit.",
    ..Profile::BASE
};
