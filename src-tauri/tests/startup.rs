//! The app binary itself (built by this test, with the features the e2e tests use): started where
//! no window can open, it says why and exits, instead of panicking inside GTK.

use std::process::Command;

#[test]
fn without_a_display_the_app_explains_and_exits_without_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_fanout-app"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("FANOUT_DATA_DIR", dir.path())
        .env("FANOUT_SECRET_STORE", "file")
        .output()
        .expect("the app runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a clear failure, not a crash: {stderr}");
    assert!(stderr.contains("needs a graphical desktop"), "the reason is given: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
}
