//! Media preparation: every photo fitted to every target before anything is sent.
//!
//! `prepare_image` sniffs the type from the bytes, reads the declared size and refuses what would
//! not fit the memory limits *before* decoding, decodes (JPEG through libjpeg-turbo with DCT
//! scaling, so a 12 MP photo headed for 1080 pixels is decoded at 3/8 size; other formats through
//! the `image` crate under its allocation limits), applies the EXIF orientation, converts embedded
//! colour profiles to sRGB, flattens alpha for JPEG-only targets, fits the aspect range (crop
//! around a focus point, or pad for Stories), resizes with a SIMD Lanczos3 resizer, and encodes to
//! the target's format, searching the JPEG quality that fits its byte budget. The output never
//! carries metadata: no EXIF, no GPS, no XMP, no comments.
//!
//! It never panics on any input, never allocates in proportion to a size a file merely claims,
//! and never runs on an async thread (callers use `spawn_blocking` or a worker pool).

pub mod cache;
mod decode;
mod encode;
mod geometry;
pub mod heic;
mod prepare;
pub mod sniff;
pub mod transcode;
pub mod video;

use std::borrow::Cow;
use std::fmt;

pub use decode::Limits;
pub use geometry::{Fit, Focus};
pub use prepare::{FileError, Prepared, check_video, parallel_map, prepare_file, prepare_files};
pub use sniff::Kind;

/// What a target accepts, as the pipeline needs it (built from `crate::profiles`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpec {
    /// Output formats the target accepts, most preferred first.
    pub formats: Vec<OutputFormat>,
    pub max_bytes: u64,
    /// Fanout fits images to this width (never upscaling); where any aspect is allowed, to this
    /// length of the longer side.
    pub target_width: u32,
    pub min_width: u32,
    pub max_width: u32,
    pub max_pixels: u64,
    /// Telegram's rule: width + height at most this.
    pub max_side_sum: Option<u32>,
    /// Allowed width / height range.
    pub aspect: Option<(f64, f64)>,
    /// A full-screen story: pad to 9:16 instead of cropping.
    pub story: bool,
    pub keeps_animated_gif: bool,
    pub keeps_png: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Jpeg,
    Png,
    Gif,
}

impl OutputFormat {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
        }
    }
}

/// How the user wants an image fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    pub fit: Fit,
    pub focus: Focus,
}

impl FitOptions {
    /// Cropped around `focus` (the centre where none was set).
    pub fn at(focus: Option<Focus>) -> Self {
        Self { focus: focus.unwrap_or(Focus::CENTRE), ..Self::default() }
    }
}

impl Default for FitOptions {
    fn default() -> Self {
        Self { fit: Fit::Crop, focus: Focus::CENTRE }
    }
}

/// One thing the pipeline did to the image, for the user to see.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Turned upright from its EXIF orientation (1–8).
    Oriented {
        orientation: u8,
    },
    ColourProfileToSrgb,
    AlphaFlattened,
    HighBitDepthReduced,
    Cropped {
        from: (u32, u32),
        to: (u32, u32),
    },
    Padded {
        from: (u32, u32),
        to: (u32, u32),
    },
    Resized {
        from: (u32, u32),
        to: (u32, u32),
    },
    Converted {
        from: Kind,
        to: OutputFormat,
    },
    Recompressed {
        quality: u8,
    },
    MetadataRemoved,
    /// Passed through unchanged (an animated GIF the target accepts as it is).
    KeptAsIs,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Oriented { orientation } => write!(f, "rotated upright (EXIF orientation {orientation})"),
            Self::ColourProfileToSrgb => f.write_str("colour profile converted to sRGB"),
            Self::AlphaFlattened => f.write_str("transparency flattened onto white"),
            Self::HighBitDepthReduced => f.write_str("16-bit colour reduced to 8-bit"),
            Self::Cropped { from, to } => write!(f, "cropped {}×{} → {}×{}", from.0, from.1, to.0, to.1),
            Self::Padded { from, to } => write!(f, "padded {}×{} → {}×{}", from.0, from.1, to.0, to.1),
            Self::Resized { from, to } => write!(f, "resized {}×{} → {}×{}", from.0, from.1, to.0, to.1),
            Self::Converted { from, to } => write!(f, "converted {} → {}", from.name(), to.extension().to_uppercase()),
            Self::Recompressed { quality } => write!(f, "JPEG quality {quality}"),
            Self::MetadataRemoved => f.write_str("metadata removed (EXIF, GPS, comments)"),
            Self::KeptAsIs => f.write_str("kept as it is"),
        }
    }
}

/// A prepared image, ready to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub bytes: Vec<u8>,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
    pub changes: Vec<Change>,
}

/// Why an image cannot be prepared; each says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("not an image Fanout can read (JPEG, PNG, GIF, WebP or HEIC), judged by its content")]
    Unrecognised,
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "the image claims to be {width}×{height} pixels, beyond what Fanout decodes ({limit_mp} megapixels, {max_side} pixels a side); scale it down first"
    )]
    TooLarge { width: u64, height: u64, limit_mp: u64, max_side: u32 },
    #[error("the image is {width}×{height}: too small for this target, which needs at least {min_width} pixels wide")]
    TooSmall { width: u32, height: u32, min_width: u32 },
    #[error("the image is damaged or cut off ({0}); export it again")]
    Corrupt(String),
    #[error("could not bring the image under {limit_kb} KB even at low quality and reduced size")]
    OverBudget { limit_kb: u64 },
    #[error("this target does not accept images")]
    NotAccepted,
    /// The prepared image could not be written because the disk is full: the machine's problem,
    /// not the file's.
    #[error("the disk holding {0} is full; free some space, then try again")]
    DiskFull(String),
}

/// Prepares one image for one target.
pub fn prepare_image(
    input: &[u8],
    spec: &ImageSpec,
    options: &FitOptions,
    limits: &Limits,
) -> Result<Variant, MediaError> {
    prepare(Cow::Borrowed(input), spec, options, limits)
}

/// Like `prepare_image`, but frees the file's bytes as soon as they are decoded: a batch of
/// large photos then never holds a source and its outputs at once.
pub fn prepare_image_owned(
    input: Vec<u8>,
    spec: &ImageSpec,
    options: &FitOptions,
    limits: &Limits,
) -> Result<Variant, MediaError> {
    prepare(Cow::Owned(input), spec, options, limits)
}

fn prepare(
    input: Cow<'_, [u8]>,
    spec: &ImageSpec,
    options: &FitOptions,
    limits: &Limits,
) -> Result<Variant, MediaError> {
    if input.is_empty() {
        return Err(MediaError::Empty);
    }
    if spec.formats.is_empty() {
        return Err(MediaError::NotAccepted);
    }
    let kind = sniff::detect(&input).ok_or(MediaError::Unrecognised)?;
    if kind == Kind::Heic {
        // libheif applies the photo's rotation itself: the JPEG it gives back is upright.
        let jpeg = heic::to_jpeg(&input)?;
        drop(input);
        let mut variant = prepare_decoded(Cow::Owned(jpeg), Kind::Jpeg, spec, options, limits, false)?;
        for change in &mut variant.changes {
            if let Change::Converted { from, .. } = change {
                *from = Kind::Heic;
            }
        }
        if !variant.changes.iter().any(|c| matches!(c, Change::Converted { .. })) {
            variant.changes.insert(0, Change::Converted { from: Kind::Heic, to: variant.format });
        }
        return Ok(variant);
    }
    if !kind.is_image() {
        return Err(MediaError::Unsupported(format!("{} is a video, not an image", kind.name())));
    }
    if kind == Kind::Gif
        && spec.keeps_animated_gif
        && spec.formats.contains(&OutputFormat::Gif)
        && let Some(kept) = encode::keep_animated_gif(&input, spec, limits)?
    {
        return Ok(kept);
    }
    prepare_decoded(input, kind, spec, options, limits, true)
}

fn prepare_decoded(
    input: Cow<'_, [u8]>,
    kind: Kind,
    spec: &ImageSpec,
    options: &FitOptions,
    limits: &Limits,
    honour_exif_orientation: bool,
) -> Result<Variant, MediaError> {
    let mut header = decode::header(&input, kind, limits)?;
    if !honour_exif_orientation {
        header.orientation = 1;
    }
    let plan = geometry::plan(header.oriented_size(), spec, options);
    let mut decoded = decode::decode(&input, kind, &header, plan.decode_at_least, limits)?;
    drop(input);
    let mut changes = std::mem::take(&mut decoded.changes);
    let image = geometry::apply(decoded.image, &plan, header.orientation, options, &mut changes)?;
    encode::encode(image, kind, spec, &mut changes)
}

impl ImageSpec {
    /// A small JPEG preview whose longer side is at most `side` pixels, for the composer.
    pub fn thumbnail(side: u32) -> ImageSpec {
        ImageSpec {
            formats: vec![OutputFormat::Jpeg],
            max_bytes: 512 * 1024,
            target_width: side,
            min_width: 1,
            max_width: side,
            max_pixels: u64::from(side) * u64::from(side),
            max_side_sum: None,
            aspect: None,
            story: false,
            keeps_animated_gif: false,
            keeps_png: false,
        }
    }

    /// This spec for a full-screen story: 9:16, padded rather than cropped, at most 1080 wide.
    pub fn as_story(&self) -> ImageSpec {
        ImageSpec {
            story: true,
            aspect: Some((9.0 / 16.0, 9.0 / 16.0)),
            target_width: self.target_width.min(1080),
            ..self.clone()
        }
    }

    /// The pipeline's view of a target's image rules.
    pub fn from_rules(rules: &crate::profiles::ImageRules) -> ImageSpec {
        use crate::profiles::ImageFormat;
        let mut formats: Vec<OutputFormat> = rules
            .formats
            .iter()
            .filter_map(|f| match f {
                ImageFormat::Jpeg => Some(OutputFormat::Jpeg),
                ImageFormat::Png => Some(OutputFormat::Png),
                ImageFormat::Gif => Some(OutputFormat::Gif),
                ImageFormat::Webp => None,
            })
            .collect();
        formats.dedup();
        ImageSpec {
            formats,
            max_bytes: rules.max_bytes,
            target_width: rules.target_width,
            min_width: rules.min_width,
            max_width: rules.max_width,
            max_pixels: rules.max_pixels,
            max_side_sum: rules.max_side_sum,
            aspect: rules.aspect.map(|a| (a.min, a.max)),
            story: rules.story,
            keeps_animated_gif: rules.keeps_animated_gif,
            keeps_png: rules.keeps_png,
        }
    }
}
