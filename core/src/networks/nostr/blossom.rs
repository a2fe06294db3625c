//! Uploading a file to a Blossom server (BUD-02 `PUT /upload`), authorised by a signed kind-24242
//! event (BUD-11: `t` = upload, `x` = the file's SHA-256, an expiration) sent base64url in
//! `Authorization: Nostr …`. The server answers with the blob's descriptor; its address is what a
//! note shows. An error's `X-Reason` is shown as the server's words.

use base64::Engine;
use nostr::prelude::{EventBuilder, FinalizeEvent, Keys, Kind, Tag, Timestamp as NostrTime};
use reqwest::StatusCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::{Failure, FailureKind};
use crate::networks::{UploadFile, excerpt, transport_failure};

/// How long an upload's authorisation is good for.
const AUTH_LIFETIME_SECS: u64 = 5 * 60;

/// A stored blob, as the server describes it (BUD-02's blob descriptor).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Descriptor {
    pub(crate) url: String,
    pub(crate) sha256: String,
    #[serde(default)]
    pub(crate) size: u64,
    #[serde(default, rename = "type")]
    pub(crate) mime: Option<String>,
}

/// Uploads `file` to the Blossom server at `server`, signed by `keys`, at `now` (seconds).
pub(crate) async fn upload(
    http: &reqwest::Client,
    server: &str,
    keys: &Keys,
    file: &UploadFile,
    now: u64,
) -> Result<Descriptor, Failure> {
    let bytes = tokio::fs::read(&file.path).await.map_err(|e| {
        Failure::rejected(format!("media file {} cannot be read from the data folder: {e}", file.file_name))
    })?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let auth = EventBuilder::new(Kind::BlossomAuth, format!("Upload {}", file.file_name))
        .tag(Tag::hashtag("upload"))
        .tag(Tag::expiration(NostrTime::from(now + AUTH_LIFETIME_SECS)))
        .tag(Tag::parse(["x", sha.as_str()]).map_err(|e| Failure::rejected(format!("Blossom: {e}")))?)
        .custom_created_at(NostrTime::from(now.saturating_sub(1)))
        .finalize(keys)
        .map_err(|e| Failure::rejected(format!("Blossom: the upload could not be signed: {e}")))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(auth.as_json());
    let step = format!("uploading {} to {}", file.file_name, host(server));
    let response = http
        .put(format!("{}/upload", server.trim_end_matches('/')))
        .header(reqwest::header::AUTHORIZATION, format!("Nostr {token}"))
        .header(reqwest::header::CONTENT_TYPE, &file.mime)
        .header("X-SHA-256", &sha)
        .body(bytes)
        .send()
        .await
        .map_err(|e| transport_failure(&step, &e))?;
    let status = response.status();
    let reason = response.headers().get("x-reason").and_then(|v| v.to_str().ok()).map(|r| excerpt(r, 200));
    let body =
        crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.map_err(|e| transport_failure(&step, &e))?;
    if !status.is_success() {
        return Err(classify(&step, status, reason));
    }
    let descriptor: Descriptor = serde_json::from_slice(&body)
        .map_err(|_| Failure::transient(format!("{step}: the server's answer is not a blob descriptor")))?;
    if descriptor.sha256 != sha || !(descriptor.url.starts_with("https://") || descriptor.url.starts_with("http://")) {
        return Err(Failure::transient(format!("{step}: the server described another file")));
    }
    Ok(descriptor)
}

fn classify(step: &str, status: StatusCode, reason: Option<String>) -> Failure {
    let said = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    match status.as_u16() {
        401..=403 => Failure::rejected(format!(
            "{step}: the media server does not take files from this key{said}; choose a Blossom server you may upload to"
        )),
        413 => Failure::rejected(format!("{step}: the file is too large for the media server{said}")),
        415 => Failure::rejected(format!("{step}: the media server does not take this kind of file{said}")),
        429 => Failure::new(FailureKind::RateLimited, format!("{step}: the media server asks to slow down{said}")),
        code => Failure::transient(format!("{step}: the media server answered HTTP {code}{said}")),
    }
}

/// The server's host, for messages.
fn host(server: &str) -> String {
    url::Url::parse(server)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the media server".into())
}
