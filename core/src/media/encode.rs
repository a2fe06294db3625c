//! Writing the prepared image: JPEG through libjpeg-turbo (4:2:0; optimised Huffman tables when the
//! budget is tight) with
//! a quality search that fits the byte budget in a few encodes, PNG where the target keeps PNG and
//! it is the better file, and animated GIFs passed through where the target shows them. Nothing
//! from the source's metadata is ever written.

use std::io::Cursor;

use image::{AnimationDecoder, ImageDecoder};

use super::decode::{Limits, Raster, describe_image_error};
use super::geometry::Fit;
use super::sniff::Kind;
use super::{Change, ImageSpec, MediaError, OutputFormat, Variant};

/// The quality Fanout starts from: visually lossless for photos at social-media sizes.
const START_QUALITY: u8 = 85;
const LOWEST_QUALITY: u8 = 40;

pub fn encode(image: Raster, kind: Kind, spec: &ImageSpec, changes: &mut Vec<Change>) -> Result<Variant, MediaError> {
    let png_allowed =
        spec.formats.contains(&OutputFormat::Png) && (spec.keeps_png || !spec.formats.contains(&OutputFormat::Jpeg));
    let source_is_graphic = matches!(kind, Kind::Png | Kind::Gif | Kind::Webp);
    let png = if png_allowed && (source_is_graphic || !spec.formats.contains(&OutputFormat::Jpeg)) {
        let bytes = encode_png(&image)?;
        (bytes.len() as u64 <= spec.max_bytes).then_some(bytes)
    } else {
        None
    };
    if !spec.formats.contains(&OutputFormat::Jpeg) {
        let bytes = png.ok_or(MediaError::OverBudget { limit_kb: spec.max_bytes / 1000 })?;
        return Ok(finish(bytes, OutputFormat::Png, &image, kind, changes));
    }
    // A transparent graphic stays PNG if it may: flattening would change how it looks.
    if let Some(bytes) = png.as_ref().filter(|_| image.has_alpha()) {
        return Ok(finish(bytes.clone(), OutputFormat::Png, &image, kind, changes));
    }
    let mut rgb = if image.has_alpha() {
        changes.push(Change::AlphaFlattened);
        flatten(&image)
    } else {
        image
    };
    for _ in 0..4 {
        if let Some((bytes, quality)) = fit_jpeg(&rgb, spec.max_bytes)? {
            if let Some(png) = png.filter(|p| p.len() <= bytes.len()) {
                return Ok(finish(png, OutputFormat::Png, &rgb, kind, changes));
            }
            changes.push(Change::Recompressed { quality });
            return Ok(finish(bytes, OutputFormat::Jpeg, &rgb, kind, changes));
        }
        // Even the lowest quality is too big: shrink and try again.
        let from = (rgb.width, rgb.height);
        let to = ((f64::from(rgb.width) * 0.75) as u32, (f64::from(rgb.height) * 0.75) as u32);
        if to.0 < 16 || to.1 < 16 {
            break;
        }
        rgb = shrink(&rgb, to)?;
        changes.push(Change::Resized { from, to });
    }
    Err(MediaError::OverBudget { limit_kb: spec.max_bytes / 1000 })
}

fn finish(bytes: Vec<u8>, format: OutputFormat, image: &Raster, kind: Kind, changes: &mut Vec<Change>) -> Variant {
    let same = matches!(
        (kind, format),
        (Kind::Jpeg, OutputFormat::Jpeg) | (Kind::Png, OutputFormat::Png) | (Kind::Gif, OutputFormat::Gif)
    );
    if !same {
        changes.push(Change::Converted { from: kind, to: format });
    }
    changes.push(Change::MetadataRemoved);
    Variant { bytes, format, width: image.width, height: image.height, changes: std::mem::take(changes) }
}

fn shrink(image: &Raster, to: (u32, u32)) -> Result<Raster, MediaError> {
    let plan = super::geometry::Plan {
        source: (image.width, image.height),
        crop: (0.0, 0.0, f64::from(image.width), f64::from(image.height)),
        scaled: to,
        canvas: None,
        decode_at_least: to,
    };
    let mut ignored = Vec::new();
    super::geometry::apply(
        image.clone(),
        &plan,
        1,
        &super::FitOptions { fit: Fit::Crop, focus: super::Focus::CENTRE },
        &mut ignored,
    )
}

/// Composites transparent pixels over white before alpha is dropped.
fn flatten(image: &Raster) -> Raster {
    let mut pixels = Vec::with_capacity(image.width as usize * image.height as usize * 3);
    for px in image.pixels.chunks_exact(4) {
        let alpha = u32::from(px[3]);
        for &c in &px[..3] {
            pixels.push(((u32::from(c) * alpha + 255 * (255 - alpha) + 127) / 255) as u8);
        }
    }
    Raster { pixels, width: image.width, height: image.height, channels: 3 }
}

fn encode_jpeg(image: &Raster, quality: u8, optimize: bool) -> Result<Vec<u8>, MediaError> {
    let fail = |e: turbojpeg::Error| MediaError::Corrupt(format!("JPEG encoding failed: {e}"));
    let mut compressor = turbojpeg::Compressor::new().map_err(fail)?;
    compressor.set_quality(i32::from(quality)).map_err(fail)?;
    compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2).map_err(fail)?;
    compressor.set_optimize(optimize).map_err(fail)?;
    let view = turbojpeg::Image {
        pixels: image.pixels.as_slice(),
        width: image.width as usize,
        pitch: image.width as usize * 3,
        height: image.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor.compress_to_vec(view).map_err(fail)
}

/// The highest quality (from 85 down to 40) whose file fits `budget`, in at most six encodes:
/// the first at 85 (plain Huffman tables, the fast path), then, only if that is too big, with
/// optimised tables (some 5–10% smaller) and a bisection. None if even the lowest does not fit.
fn fit_jpeg(image: &Raster, budget: u64) -> Result<Option<(Vec<u8>, u8)>, MediaError> {
    let first = encode_jpeg(image, START_QUALITY, false)?;
    if first.len() as u64 <= budget {
        return Ok(Some((first, START_QUALITY)));
    }
    let first = encode_jpeg(image, START_QUALITY, true)?;
    if first.len() as u64 <= budget {
        return Ok(Some((first, START_QUALITY)));
    }
    let (mut low, mut high) = (LOWEST_QUALITY, START_QUALITY - 1);
    let mut best = None;
    for _ in 0..4 {
        if low > high {
            break;
        }
        let q = low + (high - low).div_ceil(2);
        let bytes = encode_jpeg(image, q, true)?;
        if bytes.len() as u64 <= budget {
            best = Some((bytes, q));
            low = q + 1;
        } else {
            high = q.saturating_sub(1);
        }
    }
    if best.is_none() {
        let bytes = encode_jpeg(image, LOWEST_QUALITY, true)?;
        if bytes.len() as u64 <= budget {
            best = Some((bytes, LOWEST_QUALITY));
        }
    }
    Ok(best)
}

fn encode_png(image: &Raster) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    let color = if image.has_alpha() { image::ExtendedColorType::Rgba8 } else { image::ExtendedColorType::Rgb8 };
    image::ImageEncoder::write_image(encoder, &image.pixels, image.width, image.height, color)
        .map_err(describe_image_error)?;
    Ok(out)
}

/// An animated GIF the target shows as an animation is passed through as it is, if it fits.
/// Returns None to fall back to a still image (its first frame).
pub fn keep_animated_gif(input: &[u8], spec: &ImageSpec, limits: &Limits) -> Result<Option<Variant>, MediaError> {
    let mut decoder = image::codecs::gif::GifDecoder::new(Cursor::new(input)).map_err(describe_image_error)?;
    let mut gif_limits = image::Limits::default();
    gif_limits.max_alloc = Some(limits.max_alloc);
    gif_limits.max_image_width = Some(limits.max_side);
    gif_limits.max_image_height = Some(limits.max_side);
    decoder.set_limits(gif_limits).map_err(describe_image_error)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooLarge {
            width: width.into(),
            height: height.into(),
            limit_mp: limits.max_pixels / 1_000_000,
            max_side: limits.max_side,
        });
    }
    // Decoding the first two frames tells an animation from a still and proves the frames sound;
    // a damaged frame makes the whole file suspect.
    let frames = decoder
        .into_frames()
        .take(2)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| MediaError::Corrupt(format!("a frame of the animation is damaged: {e}")))?
        .len();
    let aspect = f64::from(width) / f64::from(height.max(1));
    let aspect_ok = spec.aspect.is_none_or(|(min, max)| (min..=max).contains(&aspect));
    let fits = input.len() as u64 <= spec.max_bytes && width <= spec.max_width && aspect_ok;
    if frames < 2 || !fits {
        return Ok(None);
    }
    Ok(Some(Variant {
        bytes: input.to_vec(),
        format: OutputFormat::Gif,
        width,
        height,
        changes: vec![Change::KeptAsIs],
    }))
}
