//! Where the output's pixels come from: the aspect range decides a crop (around the user's focus
//! point) or a pad (a Story's blurred or solid background), the target width and pixel limits
//! decide the output size, and one SIMD Lanczos3 pass crops and resizes together.

use fast_image_resize as fr;

use super::decode::Raster;
use super::{Change, ImageSpec, MediaError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Cut away what falls outside the aspect range, keeping the focus point in view.
    Crop,
    /// Keep the whole image and fill the rest with a blurred copy of it.
    Pad,
    /// Keep the whole image and fill the rest with a solid colour (RGB).
    PadSolid([u8; 3]),
}

/// The point of the image that must stay in view when cropping, 0..1 from the top left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Focus {
    pub x: f64,
    pub y: f64,
}

impl Focus {
    pub const CENTRE: Focus = Focus { x: 0.5, y: 0.5 };

    pub fn new(x: f64, y: f64) -> Option<Focus> {
        ((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)).then_some(Focus { x, y })
    }
}

/// The geometry of one preparation, in upright source pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: (u32, u32),
    /// The part of the source that is kept (x, y, w, h).
    pub crop: (f64, f64, f64, f64),
    /// The size the kept part is resized to.
    pub scaled: (u32, u32),
    /// With padding: the canvas the scaled image is centred on.
    pub canvas: Option<(u32, u32)>,
    /// The least upright resolution the decoder must deliver.
    pub decode_at_least: (u32, u32),
}

fn round(v: f64) -> u32 {
    // Sizes are small positive numbers here; the clamp keeps the cast in range.
    v.round().clamp(1.0, f64::from(u32::MAX)) as u32
}

pub fn plan(source: (u32, u32), spec: &ImageSpec, options: &super::FitOptions) -> Plan {
    let (w, h) = (f64::from(source.0), f64::from(source.1));
    let aspect = w / h;
    let (min_aspect, max_aspect) = spec.aspect.unwrap_or((0.0, f64::INFINITY));
    let wanted = aspect.clamp(min_aspect, max_aspect);
    let pad = spec.story || !matches!(options.fit, Fit::Crop);
    let mut crop = (0.0, 0.0, w, h);
    let mut frame = (w, h);
    if (wanted - aspect).abs() > 1e-9 {
        if pad {
            frame = if wanted > aspect { (h * wanted, h) } else { (w, w / wanted) };
        } else if wanted < aspect {
            let cw = h * wanted;
            let x = (options.focus.x * w - cw / 2.0).clamp(0.0, w - cw);
            crop = (x, 0.0, cw, h);
            frame = (cw, h);
        } else {
            let ch = w / wanted;
            let y = (options.focus.y * h - ch / 2.0).clamp(0.0, h - ch);
            crop = (0.0, y, w, ch);
            frame = (w, ch);
        }
    }
    // Width of the whole output frame: the target width, never upscaled except to reach the
    // target's minimum width. Where any shape is allowed, the target width bounds the longer side,
    // so a portrait photo is not made taller than a landscape one is wide.
    let bound = f64::from(spec.target_width.max(1));
    let target = if spec.aspect.is_none() && frame.1 > frame.0 { bound * frame.0 / frame.1 } else { bound };
    let mut out_w = frame.0.min(target);
    out_w = out_w.max(f64::from(spec.min_width)).min(f64::from(spec.max_width.max(1)));
    let mut scale = out_w / frame.0;
    let pixels = frame.0 * frame.1 * scale * scale;
    if spec.max_pixels > 0 && pixels > spec.max_pixels as f64 {
        scale *= (spec.max_pixels as f64 / pixels).sqrt();
    }
    if let Some(sum) = spec.max_side_sum
        && (frame.0 + frame.1) * scale > f64::from(sum)
    {
        scale = f64::from(sum) / (frame.0 + frame.1);
    }
    let scaled = (round(crop.2 * scale), round(crop.3 * scale));
    let canvas = pad.then(|| (round(frame.0 * scale), round(frame.1 * scale))).filter(|c| *c != scaled);
    let decode_at_least = (round(w * scale).min(source.0), round(h * scale).min(source.1));
    Plan { source, crop, scaled, canvas, decode_at_least }
}

fn pixel_type(channels: u8) -> fr::PixelType {
    if channels == 4 { fr::PixelType::U8x4 } else { fr::PixelType::U8x3 }
}

fn resize(src: &Raster, crop: (f64, f64, f64, f64), to: (u32, u32)) -> Result<Raster, MediaError> {
    let source = fr::images::ImageRef::new(src.width, src.height, &src.pixels, pixel_type(src.channels))
        .map_err(|e| MediaError::Corrupt(format!("internal image size mismatch: {e}")))?;
    let mut dest = fr::images::Image::new(to.0, to.1, pixel_type(src.channels));
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
        .crop(crop.0, crop.1, crop.2, crop.3);
    fr::Resizer::new()
        .resize(&source, &mut dest, &options)
        .map_err(|e| MediaError::Corrupt(format!("resizing failed: {e}")))?;
    Ok(Raster { pixels: dest.into_vec(), width: to.0, height: to.1, channels: src.channels })
}

/// Crops, resizes and pads the decoded (upright, possibly DCT-downscaled) image per `plan`.
pub fn apply(
    image: Raster,
    plan: &Plan,
    orientation: u8,
    options: &super::FitOptions,
    changes: &mut Vec<Change>,
) -> Result<Raster, MediaError> {
    let cropped = (round(plan.crop.2), round(plan.crop.3));
    if cropped != plan.source {
        changes.push(Change::Cropped { from: plan.source, to: cropped });
    }
    // The plan is upright; the decoded image is as stored, possibly DCT-downscaled. Crop and resize
    // the stored pixels, then turn the small result upright: far cheaper than rotating first.
    let turned = orientation >= 5;
    let stored = if turned { (plan.source.1, plan.source.0) } else { plan.source };
    let (x, y, w, h) = stored_box(plan.crop, plan.source, orientation);
    let sx = f64::from(image.width) / f64::from(stored.0);
    let sy = f64::from(image.height) / f64::from(stored.1);
    let crop = (x * sx, y * sy, w * sx, h * sy);
    let size = if turned { (plan.scaled.1, plan.scaled.0) } else { plan.scaled };
    let unchanged =
        crop == (0.0, 0.0, f64::from(image.width), f64::from(image.height)) && (image.width, image.height) == size;
    let scaled = if unchanged {
        image
    } else {
        let resized = resize(&image, crop, size)?;
        drop(image);
        resized
    };
    if plan.scaled != cropped {
        changes.push(Change::Resized { from: cropped, to: plan.scaled });
    }
    let scaled = scaled.oriented(orientation)?;
    if orientation > 1 {
        changes.insert(0, Change::Oriented { orientation });
    }
    let Some(canvas) = plan.canvas else { return Ok(scaled) };
    let mut background = match options.fit {
        Fit::PadSolid(rgb) => solid(canvas, scaled.channels, rgb),
        _ => blurred_cover(&scaled, canvas)?,
    };
    paste_centred(&mut background, &scaled);
    changes.push(Change::Padded { from: plan.scaled, to: canvas });
    Ok(background)
}

/// Where an upright box (x, y, w, h) lies in the image as stored, for EXIF orientation 1–8.
/// `upright` is the upright image's size.
fn stored_box(b: (f64, f64, f64, f64), upright: (u32, u32), orientation: u8) -> (f64, f64, f64, f64) {
    let (x, y, w, h) = b;
    // Stored width and height.
    let (sw, sh) = if orientation >= 5 {
        (f64::from(upright.1), f64::from(upright.0))
    } else {
        (f64::from(upright.0), f64::from(upright.1))
    };
    match orientation {
        2 => (sw - x - w, y, w, h),
        3 => (sw - x - w, sh - y - h, w, h),
        4 => (x, sh - y - h, w, h),
        5 => (y, x, h, w),
        6 => (y, sh - x - w, h, w),
        7 => (sw - y - h, sh - x - w, h, w),
        8 => (sw - y - h, x, h, w),
        _ => (x, y, w, h),
    }
}

fn solid(size: (u32, u32), channels: u8, rgb: [u8; 3]) -> Raster {
    let mut pixel = rgb.to_vec();
    if channels == 4 {
        pixel.push(255);
    }
    let pixels = pixel.iter().copied().cycle().take(size.0 as usize * size.1 as usize * channels as usize).collect();
    Raster { pixels, width: size.0, height: size.1, channels }
}

/// The image stretched to cover the canvas through a tiny intermediate: a cheap, strong blur,
/// darkened so the real image stands out.
fn blurred_cover(image: &Raster, canvas: (u32, u32)) -> Result<Raster, MediaError> {
    let (iw, ih) = (f64::from(image.width), f64::from(image.height));
    let (cw, ch) = (f64::from(canvas.0), f64::from(canvas.1));
    let cover = (cw / iw).max(ch / ih);
    let (vw, vh) = (cw / cover, ch / cover);
    let crop = ((iw - vw) / 2.0, (ih - vh) / 2.0, vw, vh);
    let tiny = resize(image, crop, (round(cw / 32.0), round(ch / 32.0)))?;
    let mut back = resize(&tiny, (0.0, 0.0, f64::from(tiny.width), f64::from(tiny.height)), canvas)?;
    let channels = usize::from(back.channels);
    for (i, value) in back.pixels.iter_mut().enumerate() {
        if channels == 3 || i % channels != 3 {
            *value = (u16::from(*value) * 3 / 5) as u8;
        }
    }
    Ok(back)
}

fn paste_centred(canvas: &mut Raster, image: &Raster) {
    let channels = usize::from(canvas.channels);
    let x0 = (canvas.width.saturating_sub(image.width) / 2) as usize;
    let y0 = (canvas.height.saturating_sub(image.height) / 2) as usize;
    let row = image.width as usize * channels;
    for y in 0..(image.height as usize).min(canvas.height as usize) {
        let from = y * row;
        let to = ((y0 + y) * canvas.width as usize + x0) * channels;
        if let (Some(src), Some(dst)) = (image.pixels.get(from..from + row), canvas.pixels.get_mut(to..to + row)) {
            dst.copy_from_slice(src);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FitOptions, OutputFormat};
    use super::*;

    fn spec(aspect: Option<(f64, f64)>, target_width: u32, story: bool) -> ImageSpec {
        ImageSpec {
            formats: vec![OutputFormat::Jpeg],
            max_bytes: 8 << 20,
            target_width,
            min_width: 320,
            max_width: 1440,
            max_pixels: 0,
            max_side_sum: None,
            aspect,
            story,
            keeps_animated_gif: false,
            keeps_png: false,
        }
    }

    #[test]
    fn a_tall_photo_is_cropped_to_4_5_around_its_focus() {
        let options = FitOptions { fit: Fit::Crop, focus: Focus { x: 0.5, y: 0.0 } };
        let p = plan((3024, 4032), &spec(Some((0.8, 1.91)), 1080, false), &options);
        assert_eq!(p.crop, (0.0, 0.0, 3024.0, 3780.0), "the top is kept when the focus is at the top");
        assert_eq!(p.scaled, (1080, 1350));
        assert_eq!(p.canvas, None);
        let centre = plan((3024, 4032), &spec(Some((0.8, 1.91)), 1080, false), &FitOptions::default());
        assert_eq!(centre.crop.1, 126.0, "a centred crop takes equally from top and bottom");
    }

    #[test]
    fn a_landscape_story_is_padded_to_9_16() {
        let p = plan((4032, 3024), &spec(Some((0.5625, 0.5625)), 1080, true), &FitOptions::default());
        assert_eq!(p.canvas, Some((1080, 1920)));
        assert_eq!(p.scaled, (1080, 810));
    }

    #[test]
    fn small_images_are_not_upscaled_except_to_the_minimum_width() {
        let p = plan((800, 600), &spec(None, 1080, false), &FitOptions::default());
        assert_eq!(p.scaled, (800, 600));
        let tiny = plan((100, 100), &spec(None, 1080, false), &FitOptions::default());
        assert_eq!(tiny.scaled, (320, 320), "raised to the target's minimum width");
    }

    #[test]
    fn without_a_shape_rule_the_target_width_bounds_the_longer_side() {
        let wide = ImageSpec { max_width: 4096, ..spec(None, 2000, false) };
        let p = plan((3024, 4032), &wide, &FitOptions::default());
        assert_eq!(p.scaled, (1500, 2000));
    }

    #[test]
    fn the_decoder_is_asked_for_just_enough_pixels() {
        let p = plan((4032, 3024), &spec(None, 1080, false), &FitOptions::default());
        assert_eq!(p.decode_at_least, (1080, 810), "a 3/8 DCT-scaled decode (1512×1134) covers it");
    }
}
