//! iPhone photos: a HEIC made here by libheif's encoder goes through libheif's decoder and the
//! pipeline like any photo. `make test` installs libheif-examples.

use std::process::Command;

use fanout_core::media::{self, Change, FitOptions, ImageSpec, Kind, Limits, OutputFormat};
use fanout_core::profiles::{self, Target};
use image::{Rgb, RgbImage};

#[test]
fn a_heic_photo_is_decoded_by_libheif_and_fitted() {
    assert!(
        media::heic::heif_convert().is_some(),
        "heif-convert is missing: run `make test`, which installs libheif-examples"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("photo.png");
    RgbImage::from_fn(640, 480, |x, y| if x < 320 && y < 240 { Rgb([230, 20, 20]) } else { Rgb([20, 20, 230]) })
        .save(&png)
        .expect("png");
    let heic = dir.path().join("photo.heic");
    let out = Command::new("heif-enc").args(["-q", "90", "-o"]).arg(&heic).arg(&png).output().expect("heif-enc runs");
    assert!(out.status.success(), "heif-enc: {}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&heic).expect("read");
    assert_eq!(media::sniff::detect(&bytes), Some(Kind::Heic));

    let spec = ImageSpec::from_rules(profiles::profile(Target::InstagramFeed).image.as_ref().expect("images"));
    let variant = media::prepare_image(&bytes, &spec, &FitOptions::default(), &Limits::default()).expect("prepared");
    assert_eq!(variant.format, OutputFormat::Jpeg);
    assert_eq!((variant.width, variant.height), (640, 480));
    assert!(
        variant.changes.contains(&Change::Converted { from: Kind::Heic, to: OutputFormat::Jpeg }),
        "{:?}",
        variant.changes
    );
    let shown = image::load_from_memory(&variant.bytes).expect("decodes").to_rgb8();
    let (tl, br) = (shown.get_pixel(100, 100), shown.get_pixel(500, 400));
    assert!(tl[0] > 150 && tl[2] < 100, "red top left, got {tl:?}");
    assert!(br[2] > 150 && br[0] < 100, "blue bottom right, got {br:?}");

    let mut broken = bytes.clone();
    broken.truncate(bytes.len() / 2);
    let err = media::prepare_image(&broken, &spec, &FitOptions::default(), &Limits::default()).expect_err("cut off");
    assert!(err.to_string().contains("libheif"), "says what failed: {err}");
}
