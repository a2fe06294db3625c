//! The photo pipeline in-process: a 12 MP JPEG (4032×3024, EXIF Orientation=6) fitted to
//! Instagram feed (crop to 4:5, 1080 wide, JPEG q85) and to Bluesky (≤ 1 MB). `bench/media.sh`
//! compares the same work with vipsthumbnail and ImageMagick, whole processes, in one run.

use criterion::{Criterion, criterion_group, criterion_main};
use fanout_core::media::{self, FitOptions, ImageSpec, Limits};
use fanout_core::profiles::{self, Target};

/// A photo-like 12 MP JPEG: smooth gradients with pseudo-random sensor noise, quality 92, with an
/// EXIF segment saying "rotate 90° clockwise".
fn photo() -> Vec<u8> {
    let (w, h) = (4032usize, 3024usize);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed % 24) as usize;
            pixels.push(((x * 255 / w + noise) % 256) as u8);
            pixels.push(((y * 255 / h + noise) % 256) as u8);
            pixels.push((((x + y) * 128 / (w + h) + 64 + noise) % 256) as u8);
        }
    }
    let mut compressor = turbojpeg::Compressor::new().expect("compressor");
    compressor.set_quality(92).expect("quality");
    let jpeg = compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: pixels.as_slice(),
            width: w,
            pitch: w * 3,
            height: h,
            format: turbojpeg::PixelFormat::RGB,
        })
        .expect("encode");
    // APP1: Exif, little-endian TIFF, one IFD entry: Orientation = 6.
    let mut app1 = vec![0xFF, 0xE1, 0, 34];
    app1.extend(b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0");
    let mut out = jpeg[..2].to_vec();
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn fit(c: &mut Criterion) {
    let photo = photo();
    let mut group = c.benchmark_group("12 MP JPEG, orientation 6");
    group.sample_size(20);
    for target in [Target::InstagramFeed, Target::Bluesky] {
        let spec = ImageSpec::from_rules(profiles::profile(target).image.as_ref().expect("images"));
        group.bench_function(format!("to {}", target.id()), |b| {
            b.iter(|| {
                media::prepare_image(&photo, &spec, &FitOptions::default(), &Limits::default()).expect("prepared")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, fit);
criterion_main!(benches);
