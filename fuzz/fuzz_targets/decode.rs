//! Fuzzes the image path from bytes to a fitted variant: sniffing, the header checks, every
//! decoder, orientation, colour conversion, fitting and encoding. Any panic, hang or runaway
//! allocation is a bug; errors are fine.
#![no_main]

use fanout_core::media::{self, FitOptions, ImageSpec, Limits, OutputFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let spec = ImageSpec {
        formats: vec![OutputFormat::Jpeg, OutputFormat::Png, OutputFormat::Gif],
        max_bytes: 200_000,
        target_width: 256,
        min_width: 1,
        max_width: 1024,
        max_pixels: 1_000_000,
        max_side_sum: None,
        aspect: Some((0.8, 1.91)),
        story: false,
        keeps_animated_gif: true,
        keeps_png: true,
    };
    // Small limits keep each run fast; the limits themselves are what is being tested.
    let limits = Limits { max_pixels: 16_000_000, max_side: 20_000, max_alloc: 256 * 1024 * 1024 };
    let _ = media::prepare_image(data, &spec, &FitOptions::default(), &limits);
});
