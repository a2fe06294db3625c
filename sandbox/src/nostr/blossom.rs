//! The Blossom media server under `/blossom`, one store of blobs by SHA-256:
//! - `PUT /blossom/upload` (BUD-02): the raw bytes, authorised by `Authorization: Nostr <base64url
//!   of a signed event>` (standard base64 with padding is taken too) that BUD-11 describes: kind
//!   24242, `created_at` not ahead of the sandbox's clock (60 s slack), `["t", "upload"]`, an
//!   `["expiration", ts]` still ahead, an `["x", sha256]` naming the body, and if it has `server`
//!   tags, one naming this server. Answers 201 with the blob descriptor, or 200 when the blob was
//!   already stored; 400 for an empty body, 401 for a bad authorisation, 409 when `X-SHA-256` does
//!   not name the body, 413 over 100 MB, 507 when the 1 GB store is full — every error with its
//!   reason in `X-Reason`.
//! - `HEAD /blossom/upload` (BUD-06): whether a blob described by `X-SHA-256`, `X-Content-Length`
//!   and `X-Content-Type` would be taken (200), or why not (400, 411, 413 with `X-Reason`).
//! - `GET`/`HEAD /blossom/{sha256}[.ext]` (BUD-01): the bytes with their type, or 404.
//!
//! The descriptor's `type` is the upload's Content-Type, or what the bytes are when it says nothing
//! useful (`application/octet-stream` when they are nothing known); the URL's extension follows it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use nostr::prelude::{Event, Kind};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{is_hex64, now_secs, reject};
use crate::Shared;
use crate::body::{content_type, is_video, sniff_image};

/// The largest blob taken.
const MAX_BLOB: usize = 100 * 1024 * 1024;
/// All blobs together.
const MAX_STORED: usize = 1024 * 1024 * 1024;
/// How far ahead of the sandbox's clock an auth event's `created_at` may be.
const AUTH_SLACK_SECS: u64 = 60;

/// Padding optional, as clients write both forms.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);

/// Every blob, by its SHA-256 in hex; kept in `Shared::with`.
#[derive(Default)]
struct Blobs {
    blobs: HashMap<String, Blob>,
    bytes: usize,
}

#[derive(Clone)]
struct Blob {
    data: Bytes,
    mime: String,
    /// When it was first uploaded, in UNIX seconds.
    uploaded: u64,
}

impl Blobs {
    /// Stores `data` under `sha256` unless it already is: the blob and whether it is new.
    fn put(&mut self, sha256: &str, data: Bytes, mime: String, now: u64) -> Result<(Blob, bool), &'static str> {
        if let Some(blob) = self.blobs.get(sha256) {
            return Ok((blob.clone(), false));
        }
        if self.bytes.saturating_add(data.len()) > MAX_STORED {
            return Err("The server's storage is full");
        }
        self.bytes += data.len();
        let blob = Blob { data, mime, uploaded: now };
        self.blobs.insert(sha256.to_owned(), blob.clone());
        Ok((blob, true))
    }
}

/// `PUT /blossom/upload`.
pub(crate) async fn upload(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if body.len() > MAX_BLOB {
        return reject(StatusCode::PAYLOAD_TOO_LARGE, "Blob is larger than 100 MB");
    }
    if body.is_empty() {
        return reject(StatusCode::BAD_REQUEST, "The body is empty: send the blob's bytes");
    }
    let sha256 = format!("{:x}", Sha256::digest(&body));
    if header(&headers, "x-sha-256").is_some_and(|claimed| !claimed.eq_ignore_ascii_case(&sha256)) {
        return reject(StatusCode::CONFLICT, "X-SHA-256 does not match the body's SHA-256");
    }
    let now = now_secs(&shared);
    if let Err(reason) = authorize(&headers, &sha256, now, &shared.host) {
        return reject(StatusCode::UNAUTHORIZED, reason);
    }
    let mime = media_type(&headers, &body);
    match shared.with(|blobs: &mut Blobs| blobs.put(&sha256, body, mime, now)) {
        Ok((blob, new)) => {
            let status = if new { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(descriptor(&shared.host, &sha256, &blob))).into_response()
        }
        Err(reason) => reject(StatusCode::INSUFFICIENT_STORAGE, reason),
    }
}

/// The blob descriptor BUD-02 answers an upload with.
fn descriptor(host: &str, sha256: &str, blob: &Blob) -> serde_json::Value {
    json!({
        "url": format!("http://{host}/blossom/{sha256}.{}", extension(&blob.mime)),
        "sha256": sha256,
        "size": blob.data.len(),
        "type": blob.mime,
        "uploaded": blob.uploaded,
    })
}

/// `HEAD /blossom/upload`: BUD-06's preflight.
pub(crate) async fn preflight(headers: HeaderMap) -> Response {
    let Some(sha256) = header(&headers, "x-sha-256") else {
        return reject(StatusCode::BAD_REQUEST, "Missing X-SHA-256 header");
    };
    if !is_hex64(&sha256.to_ascii_lowercase()) {
        return reject(StatusCode::BAD_REQUEST, "X-SHA-256 is not a SHA-256 in hex");
    }
    let Some(length) = header(&headers, "x-content-length") else {
        return reject(StatusCode::LENGTH_REQUIRED, "Missing X-Content-Length header");
    };
    match length.trim().parse::<u64>() {
        Ok(0) => reject(StatusCode::BAD_REQUEST, "X-Content-Length is 0: a blob has bytes"),
        Ok(length) if length > MAX_BLOB as u64 => reject(StatusCode::PAYLOAD_TOO_LARGE, "Blob is larger than 100 MB"),
        Ok(_) => StatusCode::OK.into_response(),
        Err(_) => reject(StatusCode::BAD_REQUEST, "X-Content-Length is not a number"),
    }
}

/// `GET` and `HEAD /blossom/{sha256}[.ext]`.
pub(crate) async fn blob(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let sha256 = name.split('.').next().unwrap_or_default().to_ascii_lowercase();
    let found = is_hex64(&sha256).then(|| shared.with(|blobs: &mut Blobs| blobs.blobs.get(&sha256).cloned())).flatten();
    match found {
        Some(blob) => (StatusCode::OK, [(CONTENT_TYPE, blob.mime)], blob.data).into_response(),
        None => reject(StatusCode::NOT_FOUND, "Blob not found"),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the upload's authorisation event (BUD-11) for a blob of `sha256`: the reason it fails.
fn authorize(headers: &HeaderMap, sha256: &str, now: u64, host: &str) -> Result<(), &'static str> {
    let value =
        header(headers, AUTHORIZATION.as_str()).ok_or("Missing Authorization header: sign a kind 24242 event")?;
    let encoded = value
        .strip_prefix("Nostr ")
        .or_else(|| value.strip_prefix("nostr "))
        .ok_or("Authorization must be 'Nostr <base64 event>'")?
        .trim();
    let json = BASE64_URL
        .decode(encoded)
        .or_else(|_| BASE64_STANDARD.decode(encoded))
        .map_err(|_| "The authorization is not base64")?;
    let event = Event::from_json(&json).map_err(|_| "The authorization is not a Nostr event")?;
    if event.verify().is_err() {
        return Err("The authorization event's id or signature is wrong");
    }
    if event.kind != Kind::BlossomAuth {
        return Err("The authorization event must be kind 24242");
    }
    if event.created_at.as_secs() > now.saturating_add(AUTH_SLACK_SECS) {
        return Err("The authorization event's created_at is in the future");
    }
    let values = |name: &'static str| event.tags.iter().filter(move |t| t.kind() == name).filter_map(|t| t.content());
    if !values("t").any(|verb| verb == "upload") {
        return Err("The authorization event is not for upload (no [\"t\", \"upload\"] tag)");
    }
    match values("expiration").next().map(str::parse::<u64>) {
        None => return Err("The authorization event has no expiration tag"),
        Some(Err(_)) => return Err("The authorization event's expiration is not a timestamp"),
        Some(Ok(expiration)) if expiration <= now => return Err("The authorization event has expired"),
        Some(Ok(_)) => {}
    }
    if !values("x").any(|x| x.eq_ignore_ascii_case(sha256)) {
        return Err("The authorization event's x tag does not match the blob's SHA-256");
    }
    let domain = host.split(':').next().unwrap_or(host);
    let mut servers = values("server").peekable();
    if servers.peek().is_some() && !servers.any(|s| s.eq_ignore_ascii_case(domain) || s.eq_ignore_ascii_case(host)) {
        return Err("The authorization event is for another server");
    }
    Ok(())
}

/// The blob's media type: the upload's Content-Type when it names one, else what the bytes are.
fn media_type(headers: &HeaderMap, body: &[u8]) -> String {
    let declared = content_type(headers).split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let plausible = declared.len() <= 100
        && declared.split_once('/').is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty())
        && declared.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-/".contains(&b));
    if plausible && declared != "application/octet-stream" {
        return declared;
    }
    let sniffed = sniff_image(body).or_else(|| is_video(body).then_some("video/mp4"));
    sniffed.unwrap_or("application/octet-stream").to_owned()
}

/// The file extension of a blob's URL for its media type (`bin` when unknown).
fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "audio/mpeg" => "mp3",
        "text/plain" => "txt",
        "application/pdf" => "pdf",
        "application/json" => "json",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_type_comes_from_the_header_else_from_the_bytes() {
        let mut headers = HeaderMap::new();
        assert_eq!(media_type(&headers, b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(media_type(&headers, b"hello"), "application/octet-stream");
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("image/webp; q=1"));
        assert_eq!(media_type(&headers, b"hello"), "image/webp");
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("nonsense"));
        assert_eq!(media_type(&headers, b"\xFF\xD8\xFF\xE0"), "image/jpeg");
        assert_eq!(extension("image/jpeg"), "jpg");
        assert_eq!(extension("application/x-unknown"), "bin");
    }

    #[test]
    fn base64_with_or_without_padding_in_either_alphabet_decodes() {
        for encoded in ["eyJhIjoxfQ", "eyJhIjoxfQ==", "-_8", "+/8="] {
            assert!(BASE64_URL.decode(encoded).or_else(|_| BASE64_STANDARD.decode(encoded)).is_ok(), "{encoded}");
        }
    }
}
