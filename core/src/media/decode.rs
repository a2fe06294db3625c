//! Reading an image under limits: the declared size is checked before any pixel is decoded, JPEG
//! is decoded by libjpeg-turbo at the smallest DCT scale that still covers the output, everything
//! else by the `image` crate with its allocation limits; then the colour profile. The EXIF
//! orientation is read here and applied after resizing, on the small image.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use super::sniff::Kind;
use super::{Change, MediaError};

/// How much decoding may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Declared pixels above this are refused before decoding.
    pub max_pixels: u64,
    /// A declared width or height above this is refused before decoding.
    pub max_side: u32,
    /// Largest single allocation the decoder may make.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_pixels: 100_000_000, max_side: 50_000, max_alloc: 512 * 1024 * 1024 }
    }
}

/// An 8-bit RGB or RGBA image in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA).
    pub channels: u8,
}

impl Raster {
    pub fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    fn from_dynamic(image: DynamicImage) -> Raster {
        let (width, height) = (image.width(), image.height());
        if image.color().has_alpha() {
            Raster { pixels: image.into_rgba8().into_raw(), width, height, channels: 4 }
        } else {
            Raster { pixels: image.into_rgb8().into_raw(), width, height, channels: 3 }
        }
    }

    /// Turns the image upright from its EXIF orientation.
    pub fn oriented(self, orientation: u8) -> Result<Raster, MediaError> {
        // The common cases (a phone held upright or upside down) by a direct loop: several times
        // faster than the generic per-pixel path below.
        if matches!(orientation, 3 | 6 | 8) {
            return Ok(self.rotated(orientation));
        }
        let Some(orientation) = image::metadata::Orientation::from_exif(orientation).filter(|_| orientation > 1) else {
            return Ok(self);
        };
        let mut image = self.into_dynamic().ok_or_else(|| corrupt("the decoded size does not match its pixels"))?;
        image.apply_orientation(orientation);
        Ok(Raster::from_dynamic(image))
    }

    /// Rotation for EXIF orientations 3 (180°), 6 (90° clockwise) and 8 (90° anticlockwise).
    fn rotated(&self, orientation: u8) -> Raster {
        let (w, h) = (self.width as usize, self.height as usize);
        let pixels = match self.channels {
            4 => rotate::<4>(&self.pixels, w, h, orientation),
            _ => rotate::<3>(&self.pixels, w, h, orientation),
        };
        let (dw, dh) = if orientation == 3 { (self.width, self.height) } else { (self.height, self.width) };
        Raster { pixels, width: dw, height: dh, channels: self.channels }
    }

    fn into_dynamic(self) -> Option<DynamicImage> {
        match self.channels {
            4 => image::RgbaImage::from_raw(self.width, self.height, self.pixels).map(DynamicImage::ImageRgba8),
            _ => image::RgbImage::from_raw(self.width, self.height, self.pixels).map(DynamicImage::ImageRgb8),
        }
    }
}

/// Writes the rotated image in order, copying whole fixed-size pixels (inlined, no memcpy call).
fn rotate<const C: usize>(src: &[u8], w: usize, h: usize, orientation: u8) -> Vec<u8> {
    let (dw, _) = if orientation == 3 { (w, h) } else { (h, w) };
    let mut out = vec![0u8; src.len()];
    for (dy, row) in out.chunks_exact_mut(dw * C).enumerate() {
        for (dx, px) in row.chunks_exact_mut(C).enumerate() {
            // The source pixel that lands at (dx, dy).
            let (x, y) = match orientation {
                6 => (dy, h - 1 - dx),
                8 => (w - 1 - dy, dx),
                _ => (w - 1 - dx, h - 1 - dy),
            };
            let at = (y * w + x) * C;
            if let (Some(from), Ok(to)) = (src.get(at..at + C), <&mut [u8; C]>::try_from(px))
                && let Ok(from) = <&[u8; C]>::try_from(from)
            {
                *to = *from;
            }
        }
    }
    out
}

/// What the file says about itself, read without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    /// EXIF orientation, 1 (upright) to 8.
    pub orientation: u8,
    /// CMYK/YCCK JPEG: libjpeg-turbo's TurboJPEG API refuses these, so another decoder runs.
    pub cmyk: bool,
}

impl Header {
    /// Width and height once turned upright.
    pub fn oriented_size(&self) -> (u32, u32) {
        if self.orientation >= 5 { (self.height, self.width) } else { (self.width, self.height) }
    }
}

fn corrupt(what: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(what.to_string())
}

pub fn header(input: &[u8], kind: Kind, limits: &Limits) -> Result<Header, MediaError> {
    let (width, height, cmyk) = match kind {
        Kind::Jpeg => jpeg_dimensions(input)?,
        _ => {
            let format = image_format(kind)?;
            let (w, h) =
                ImageReader::with_format(Cursor::new(input), format).into_dimensions().map_err(describe_image_error)?;
            (w, h, false)
        }
    };
    if width == 0 || height == 0 {
        return Err(corrupt("it declares a size of zero pixels"));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels || width.max(height) > limits.max_side {
        return Err(MediaError::TooLarge {
            width: width.into(),
            height: height.into(),
            limit_mp: limits.max_pixels / 1_000_000,
            max_side: limits.max_side,
        });
    }
    Ok(Header { width, height, orientation: exif_orientation(input), cmyk })
}

fn image_format(kind: Kind) -> Result<image::ImageFormat, MediaError> {
    match kind {
        Kind::Jpeg => Ok(image::ImageFormat::Jpeg),
        Kind::Png => Ok(image::ImageFormat::Png),
        Kind::Gif => Ok(image::ImageFormat::Gif),
        Kind::Webp => Ok(image::ImageFormat::WebP),
        other => Err(MediaError::Unsupported(format!("{} is not a still image format Fanout decodes", other.name()))),
    }
}

/// Reads the frame header (SOF) without libjpeg, so even a header claiming 60000×60000 costs
/// nothing, and tells CMYK (4 components) apart.
fn jpeg_dimensions(input: &[u8]) -> Result<(u32, u32, bool), MediaError> {
    let mut at = 2;
    while at + 4 <= input.len() {
        if input[at] != 0xFF {
            return Err(corrupt("a JPEG marker is missing where one should be"));
        }
        let marker = input[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([input[at + 2], input[at + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let sof = input
                .get(at + 4..at + 2 + length)
                .filter(|s| s.len() >= 6)
                .ok_or_else(|| corrupt("the JPEG frame header is cut off"))?;
            let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
            let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
            return Ok((width, height, sof[5] == 4));
        }
        if marker == 0xDA || length < 2 {
            break;
        }
        at += 2 + length;
    }
    Err(corrupt("the JPEG has no frame header (it is cut off or not really a JPEG)"))
}

/// A JPEG must end with its end-of-image marker; libjpeg would silently paint a cut-off file grey.
fn jpeg_is_complete(input: &[u8]) -> bool {
    let Some(scan) = input.windows(2).position(|w| w == [0xFF, 0xDA]) else { return false };
    // Searched from the end: the marker is almost always there (cameras may append a trailer),
    // so a large file is not scanned byte by byte.
    input.windows(2).rposition(|w| w == [0xFF, 0xD9]).is_some_and(|end| end > scan)
}

fn exif_orientation(input: &[u8]) -> u8 {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(input)) else { return 1 };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

/// The ICC profile carried in a JPEG's APP2 segments, reassembled in order.
fn jpeg_icc(input: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut at = 2;
    while at + 4 <= input.len() && input[at] == 0xFF {
        let marker = input[at + 1];
        let length = usize::from(u16::from_be_bytes([input[at + 2], input[at + 3]]));
        if marker == 0xDA || length < 2 {
            break;
        }
        let body = input.get(at + 4..at + 2 + length)?;
        if marker == 0xE2 && body.len() > 14 && body.starts_with(b"ICC_PROFILE\0") {
            chunks.push((body[12], &body[14..]));
        }
        at += 2 + length;
    }
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|c| c.0);
    Some(chunks.into_iter().flat_map(|c| c.1.iter().copied()).collect())
}

/// Turns pixels from an embedded profile into sRGB; false if the profile could not be used.
fn to_srgb(raster: &mut Raster, icc: &[u8]) -> bool {
    let Some(input) = qcms::Profile::new_from_slice(icc, false) else { return false };
    let output = qcms::Profile::new_sRGB();
    let kind = if raster.has_alpha() { qcms::DataType::RGBA8 } else { qcms::DataType::RGB8 };
    let Some(transform) = qcms::Transform::new(&input, &output, kind, qcms::Intent::Perceptual) else { return false };
    transform.apply(&mut raster.pixels);
    true
}

/// The decoded image as stored (not yet turned upright: that is done on the small output), and
/// what was done to get it.
pub struct Decoded {
    pub image: Raster,
    pub changes: Vec<Change>,
}

/// Decodes at a resolution that still covers `at_least` (upright width, height).
pub fn decode(
    input: &[u8],
    kind: Kind,
    header: &Header,
    at_least: (u32, u32),
    limits: &Limits,
) -> Result<Decoded, MediaError> {
    let mut changes = Vec::new();
    let (mut raster, icc) = if kind == Kind::Jpeg {
        if !jpeg_is_complete(input) {
            return Err(corrupt("the JPEG is cut off before its end"));
        }
        if header.cmyk {
            decode_generic(input, kind, limits, &mut changes)?
        } else {
            (decode_jpeg(input, header, at_least, limits)?, jpeg_icc(input))
        }
    } else {
        decode_generic(input, kind, limits, &mut changes)?
    };
    if let Some(icc) = icc
        && to_srgb(&mut raster, &icc)
    {
        changes.push(Change::ColourProfileToSrgb);
    }
    Ok(Decoded { image: raster, changes })
}

fn decode_jpeg(input: &[u8], header: &Header, at_least: (u32, u32), limits: &Limits) -> Result<Raster, MediaError> {
    // `at_least` is upright; the JPEG is stored before rotation.
    let (need_w, need_h) = if header.orientation >= 5 { (at_least.1, at_least.0) } else { at_least };
    let mut decompressor = turbojpeg::Decompressor::new().map_err(corrupt)?;
    let scale = (1..=8)
        .map(|num| turbojpeg::ScalingFactor::new(num, 8))
        .find(|s| {
            s.scale(header.width as usize) >= need_w as usize && s.scale(header.height as usize) >= need_h as usize
        })
        .unwrap_or(turbojpeg::ScalingFactor::ONE);
    decompressor.set_scaling_factor(scale).map_err(corrupt)?;
    let jpeg_header = decompressor.read_header(input).map_err(corrupt)?.scaled(scale);
    let (width, height) = (jpeg_header.width, jpeg_header.height);
    let bytes = (width as u64) * (height as u64) * 3;
    if bytes > limits.max_alloc {
        return Err(MediaError::TooLarge {
            width: width as u64,
            height: height as u64,
            limit_mp: limits.max_pixels / 1_000_000,
            max_side: limits.max_side,
        });
    }
    let mut pixels = vec![0u8; width * height * 3];
    let image = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width,
        pitch: width * 3,
        height,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor.decompress(input, image).map_err(corrupt)?;
    Ok(Raster {
        pixels,
        width: u32::try_from(width).map_err(corrupt)?,
        height: u32::try_from(height).map_err(corrupt)?,
        channels: 3,
    })
}

fn decode_generic(
    input: &[u8],
    kind: Kind,
    limits: &Limits,
    changes: &mut Vec<Change>,
) -> Result<(Raster, Option<Vec<u8>>), MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(input), image_format(kind)?);
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(describe_image_error)?;
    let icc = decoder.icc_profile().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(describe_image_error)?;
    if matches!(
        image.color(),
        image::ColorType::L16
            | image::ColorType::La16
            | image::ColorType::Rgb16
            | image::ColorType::Rgba16
            | image::ColorType::Rgb32F
            | image::ColorType::Rgba32F
    ) {
        changes.push(Change::HighBitDepthReduced);
    }
    Ok((Raster::from_dynamic(image), icc))
}

pub fn describe_image_error(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(l) => {
            MediaError::Corrupt(format!("decoding would need more memory than allowed: {l}"))
        }
        image::ImageError::Unsupported(u) => {
            MediaError::Unsupported(format!("this kind of image is not supported: {u}"))
        }
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Corrupt("the file is cut off before its end".into())
        }
        other => MediaError::Corrupt(other.to_string()),
    }
}
