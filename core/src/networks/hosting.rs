//! Where media goes for platforms that only fetch it from a public address (Instagram, Threads),
//! and how it is removed once the post is published:
//!
//! - `FacebookPage`: an unpublished photo or video on the linked Page, by the CDN address the
//!   Graph API gives for it; removed with `DELETE /{id}`.
//! - `S3`: an object in an S3-compatible bucket (AWS, MinIO, R2, Backblaze…), uploaded and handed
//!   over by presigned addresses (`rusty-s3`, signed with the job's clock), so the bucket can stay
//!   private; removed with a presigned DELETE. The secret key lives in the secret store. With a
//!   public address (team chats, which show a picture from its address whenever the message is
//!   read), the file is linked there instead and stays.

use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde_json::Value;

use super::graph::{self, Graph};
use super::{UploadFile, media_part, transport_failure};
use crate::clock::Timestamp;
use crate::model::{Failure, MediaHost};
use crate::secrets::Secret;

/// How long a presigned address stays valid: Instagram may fetch a video while it processes, and
/// a container lives 24 hours.
const FETCH_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How long the upload and delete addresses stay valid.
const SHORT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A file put somewhere public: its handle for removal and its address.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Staged {
    /// The Page object's id, or the object's key in the bucket.
    pub id: String,
    pub url: String,
}

/// What a host needs besides its description: the Graph calls for a Page, the secret key for S3.
pub struct HostAccess<'a> {
    /// The Page's Graph API, for a Page host; `None` where the account has no Page.
    pub graph: Option<&'a Graph<'a>>,
    pub http: &'a reqwest::Client,
    pub secret: Option<&'a Secret>,
    pub now: Timestamp,
}

fn bucket(endpoint: &str, bucket: &str, region: &str, path_style: bool) -> Result<Bucket, Failure> {
    let url = endpoint.parse().map_err(|_| {
        Failure::rejected(format!("the media bucket's address '{endpoint}' is not a URL; fix the account's media host"))
    })?;
    let style = if path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
    Bucket::new(url, style, bucket.to_owned(), region.to_owned())
        .map_err(|e| Failure::rejected(format!("the media bucket '{bucket}' cannot be used: {e}")))
}

fn s3_credentials(access_key_id: &str, secret: Option<&Secret>) -> Result<Credentials, Failure> {
    let secret = secret.ok_or_else(|| {
        Failure::new(
            crate::model::FailureKind::Unauthorized,
            "the media bucket's secret key is missing from the secret store; link the account again",
        )
    })?;
    Ok(Credentials::new(access_key_id.to_owned(), secret.expose().to_owned()))
}

fn signed_at(now: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(now.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// An S3 error answer in words: its `<Code>`, never the signed address.
fn s3_refusal(step: &str, status: reqwest::StatusCode, body: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(body);
    let code = text.split("<Code>").nth(1).and_then(|rest| rest.split("</Code>").next()).unwrap_or("no code");
    let message = format!("{step}: the bucket answered HTTP {} ({code})", status.as_u16());
    match (status.as_u16(), code) {
        (403, _) | (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied") => Failure::new(
            crate::model::FailureKind::Unauthorized,
            format!("{message}; check the media host's access key and secret"),
        ),
        (404, _) => Failure::rejected(format!("{message}; check the bucket's name and region")),
        (500..=599, _) => Failure::transient(message),
        _ => Failure::rejected(message),
    }
}

/// Puts `media` on `host` under `key` (a name unique to the delivery and file).
pub async fn stage(
    host: &MediaHost,
    access: &HostAccess<'_>,
    media: &UploadFile,
    key: &str,
) -> Result<Staged, Failure> {
    let step = format!("putting {} where the platform can fetch it", media.file_name);
    match host {
        MediaHost::FacebookPage { page_id } => {
            let g =
                access.graph.ok_or_else(|| Failure::rejected("only a Facebook account can keep files on a Page"))?;
            let video = media.mime.starts_with("video/");
            let (edge, field) = if video { ("videos", "source") } else { ("photos", "images") };
            let form =
                reqwest::multipart::Form::new().part("source", media_part(media).await?).text("published", "false");
            let answer = g.call(&step, g.post(&format!("{page_id}/{edge}")).multipart(form)).await?;
            let id =
                graph::id_of(&answer, "id").ok_or_else(|| Failure::transient(format!("{step}: no id came back")))?;
            let node = g.call(&step, g.get(&format!("{id}?fields={field}"))).await?;
            let url = match field {
                "images" => node.get("images").and_then(|i| i.get(0)).and_then(|i| i.get("source")),
                _ => node.get("source"),
            }
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::transient(format!("{step}: Facebook gave no address for it")))?
            .to_owned();
            Ok(Staged { id, url })
        }
        MediaHost::S3 { endpoint, bucket: name, region, access_key_id, path_style, public_url } => {
            let bucket = bucket(endpoint, name, region, *path_style)?;
            let credentials = s3_credentials(access_key_id, access.secret)?;
            let at = signed_at(access.now);
            let put = bucket.put_object(Some(&credentials), key).sign_with_time(SHORT_WINDOW, &at);
            let bytes = tokio::fs::read(&media.path).await.map_err(|e| {
                Failure::rejected(format!("media file {} cannot be read from the data folder: {e}", media.file_name))
            })?;
            let response = access
                .http
                .put(put.as_str())
                .header(reqwest::header::CONTENT_TYPE, media.mime.as_str())
                .body(bytes)
                .send()
                .await
                .map_err(|e| transport_failure(&step, &e))?;
            let status = response.status();
            if !status.is_success() {
                let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.unwrap_or_default();
                return Err(s3_refusal(&step, status, &body));
            }
            let url = match public_url {
                Some(base) => public_address(base, key)?,
                None => bucket.get_object(Some(&credentials), key).sign_with_time(FETCH_WINDOW, &at).to_string(),
            };
            Ok(Staged { id: key.to_owned(), url })
        }
    }
}

/// Removes a staged file; the caller logs a failure, the post is live either way.
pub async fn remove(host: &MediaHost, access: &HostAccess<'_>, id: &str) -> Result<(), Failure> {
    let step = "removing a staged file";
    match host {
        MediaHost::FacebookPage { .. } => {
            let g =
                access.graph.ok_or_else(|| Failure::rejected("only a Facebook account can keep files on a Page"))?;
            g.call(step, g.delete(id)).await.map(drop)
        }
        MediaHost::S3 { endpoint, bucket: name, region, access_key_id, path_style, .. } => {
            let bucket = bucket(endpoint, name, region, *path_style)?;
            let credentials = s3_credentials(access_key_id, access.secret)?;
            let url = bucket.delete_object(Some(&credentials), id).sign_with_time(SHORT_WINDOW, &signed_at(access.now));
            let response = access.http.delete(url.as_str()).send().await.map_err(|e| transport_failure(step, &e))?;
            let status = response.status();
            if status.is_success() || status.as_u16() == 404 {
                Ok(())
            } else {
                let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.unwrap_or_default();
                Err(s3_refusal(step, status, &body))
            }
        }
    }
}

/// `key` at the bucket's public address `base`, each segment of the key percent-encoded.
fn public_address(base: &str, key: &str) -> Result<String, Failure> {
    let mut url = url::Url::parse(base)
        .map_err(|_| Failure::rejected(format!("the bucket's public address '{base}' is not a URL; link it again")))?;
    url.path_segments_mut()
        .map_err(|()| Failure::rejected(format!("the bucket's public address '{base}' cannot take a file name")))?
        .pop_if_empty()
        .extend(key.split('/'));
    Ok(url.to_string())
}

/// Checks a bucket works before an account relies on it: a small object put, fetched without
/// credentials through its presigned address (or its public address, where it has one), and
/// removed.
pub async fn check(
    host: &MediaHost,
    http: &reqwest::Client,
    secret: Option<&Secret>,
    now: Timestamp,
) -> Result<(), Failure> {
    let MediaHost::S3 { endpoint, bucket: name, region, access_key_id, path_style, public_url } = host else {
        return Ok(());
    };
    let step = "checking the media bucket";
    let bucket = bucket(endpoint, name, region, *path_style)?;
    let credentials = s3_credentials(access_key_id, secret)?;
    let at = signed_at(now);
    let key = format!("fanout/check-{}.txt", now.0);
    let put = bucket.put_object(Some(&credentials), &key).sign_with_time(SHORT_WINDOW, &at);
    let response = http.put(put.as_str()).body("fanout").send().await.map_err(|e| transport_failure(step, &e))?;
    if !response.status().is_success() {
        let status = response.status();
        return Err(s3_refusal(
            step,
            status,
            &crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.unwrap_or_default(),
        ));
    }
    let get = match public_url {
        Some(base) => public_address(base, &key)?,
        None => bucket.get_object(Some(&credentials), &key).sign_with_time(SHORT_WINDOW, &at).to_string(),
    };
    let fetched = http.get(get.as_str()).send().await.map_err(|e| transport_failure(step, &e))?;
    let readable = fetched.status().is_success();
    let delete = bucket.delete_object(Some(&credentials), &key).sign_with_time(SHORT_WINDOW, &at);
    let _ = http.delete(delete.as_str()).send().await;
    if !readable {
        let through = if public_url.is_some() {
            "the bucket's public address; make the bucket (or that address) readable by anyone"
        } else {
            "its presigned address"
        };
        return Err(Failure::rejected(format!(
            "{step}: an uploaded file could not be read back through {through} (HTTP {})",
            fetched.status().as_u16()
        )));
    }
    Ok(())
}
