//! End-to-end tests of the sandbox over real HTTP on loopback, one binary for all of them so the
//! workspace links it once.

mod bluesky;
mod control;
mod discord;
mod faults;
mod graph;
mod mastodon;
mod matrix;
mod nostr;

use std::time::Duration;

use fanout_sandbox::{Sandbox, SandboxClock, SandboxConfig};

pub const TOKEN: &str = "test-token";

/// The smallest file the sandbox recognises as PNG: its magic bytes and some filler.
pub fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len.max(8), 0);
    bytes
}

/// A sandbox clock that stands still at 2026-01-01T00:00:00Z until the test advances it, so a test
/// about a lifetime or a window is exact and never waits for it.
pub fn manual_clock() -> SandboxClock {
    SandboxClock::manual(1_767_225_600_000)
}

pub async fn start() -> Sandbox {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the sandbox starts on a free port")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a client")
}

pub async fn json(response: reqwest::Response) -> serde_json::Value {
    response.json().await.expect("a JSON body")
}

/// Posts a Mastodon status with a JSON body.
pub async fn post_status(
    sandbox: &Sandbox,
    body: serde_json::Value,
    idempotency_key: Option<&str>,
) -> reqwest::Result<reqwest::Response> {
    let mut request = client().post(format!("{}/api/v1/statuses", sandbox.url())).bearer_auth(TOKEN).json(&body);
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await
}

pub async fn upload_png(sandbox: &Sandbox, len: usize) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(png(len)).file_name("photo.png").mime_str("image/png").expect("valid mime"),
        )
        .text("description", "A test image");
    client()
        .post(format!("{}/api/v2/media", sandbox.url()))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("the upload is answered")
}

pub async fn put_faults(sandbox: &Sandbox, plan: &str) -> reqwest::Response {
    client()
        .put(format!("{}/_sandbox/faults", sandbox.url()))
        .header("content-type", "application/json")
        .body(plan.to_owned())
        .send()
        .await
        .expect("the control endpoint answers")
}
