//! `fanout prepare`: files fitted to a target, each change reported, bad files named with the reason.

use crate::harness::{BIN, PHOTO};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(BIN).args(args).output().expect("run fanout prepare");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prepare_fits_files_to_a_target_and_says_what_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = dir.path().join("landscape.png");
    std::fs::write(&photo, PHOTO).expect("write");
    let notes = dir.path().join("notes.jpg");
    std::fs::write(&notes, "not a picture").expect("write");
    let out = dir.path().join("out");
    let (p, n, o) = (photo.to_string_lossy(), notes.to_string_lossy(), out.to_string_lossy());

    let (code, stdout, stderr) = run(&["prepare", &p, "--for", "instagram-story", "--fit", "pad", "--out", &o]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Instagram story") && stdout.contains("padded"),
        "a landscape photo is padded to 9:16:\n{stdout}"
    );
    let written = out.join("landscape.instagram-story.jpg");
    let image = image::open(&written).expect("the prepared file is written and decodes");
    let ratio = f64::from(image.width()) / f64::from(image.height());
    assert!((ratio - 9.0 / 16.0).abs() < 0.01, "9:16, got {}×{}", image.width(), image.height());

    let (code, stdout, _) = run(&["prepare", &p, &n, "--for", "bluesky", "--json"]);
    assert_eq!(code, 3, "a file that is not media makes the command exit 3");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    assert_eq!(report[0]["ok"], true);
    assert_eq!(report[0]["format"], "jpg");
    assert!(report[0]["bytes"].as_u64().is_some_and(|b| b <= 1_000_000), "under Bluesky's 1 MB");
    assert_eq!(report[1]["ok"], false);
    assert!(report[1]["error"].as_str().is_some_and(|e| e.contains("judged by its content")), "{report}");

    let (code, _, stderr) = run(&["prepare", &p, "--for", "myspace"]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("unknown target 'myspace'") && stderr.contains("instagram-feed"),
        "lists the known targets: {stderr}"
    );
    let (code, _, stderr) = run(&["prepare", &p, "--for", "mastodon", "--focus", "2,0.5"]);
    assert_eq!(code, 3);
    assert!(stderr.contains("--focus '2,0.5'"), "{stderr}");
}

#[test]
fn plan_shows_per_target_problems_with_their_fixes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = dir.path().join("p.png");
    std::fs::write(&photo, PHOTO).expect("write");
    let long = "é".repeat(312);
    let (code, stdout, stderr) = run(&["plan", &long, "--for", "bluesky", "--for", "mastodon", "--json"]);
    assert_eq!(code, 3, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report[0]["problems"][0], "text is 312/300 graphemes for Bluesky (Bluesky's limit); shorten it by 12");
    assert_eq!(report[1]["ok"], true, "312 characters fit Mastodon's 500");
    let (code, stdout, _) = run(&["plan", "hello", "--for", "instagram-feed"]);
    assert_eq!(code, 3);
    assert!(stdout.contains("Instagram feed needs at least one image; add a photo"), "{stdout}");
    let (code, stdout, stderr) =
        run(&["plan", "hello", "--media", &photo.to_string_lossy(), "--for", "instagram-feed"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("✓ Instagram feed"), "{stdout}");
}

#[test]
fn without_libheif_a_heic_photo_gets_a_clear_way_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let heic = dir.path().join("IMG_0001.heic");
    std::fs::write(&heic, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").expect("write");
    let out = std::process::Command::new(BIN)
        .args(["prepare", &heic.to_string_lossy(), "--for", "instagram-feed"])
        .env("PATH", dir.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("IMG_0001.heic")
            && stderr.contains("apt install libheif-examples")
            && stderr.contains("export the photo as JPEG"),
        "{stderr}"
    );
}

#[test]
fn handoff_gives_the_share_page_and_prepares_the_photos_to_attach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = dir.path().join("sale.png");
    std::fs::write(&photo, PHOTO).expect("write");
    let out = dir.path().join("ready");
    let (code, stdout, stderr) = run(&[
        "handoff",
        "Summer sale & more! https://shop.example/sale",
        "--to",
        "whatsapp",
        "--media",
        &photo.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["url"], "https://wa.me/?text=Summer%20sale%20%26%20more%21%20https%3A%2F%2Fshop.example%2Fsale");
    assert!(report["notes"][0].as_str().is_some_and(|n| n.contains("attach the prepared photo yourself")), "{report}");
    assert!(out.join("sale.whatsapp.jpg").is_file(), "the photo is prepared for WhatsApp");
    let (code, _, stderr) = run(&["handoff", "no link here", "--to", "messenger"]);
    assert_eq!(code, 3);
    assert!(stderr.contains("Messenger shares a link only"), "{stderr}");
}
