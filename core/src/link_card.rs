//! A linked page's card: its title, description (Open Graph, or its `<title>`) and `og:image`, as
//! a network shows it under a post. Read with a time limit and a size cap; best effort, `None`
//! when the page cannot be read. Bluesky builds its card from it, and the composer's preview
//! shows it.

use std::time::Duration;

/// How long reading a linked page, and then its picture, may take before the card goes without.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);
/// The most of a linked page's picture that is read; a bigger one leaves the card without it.
pub const IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// The most of a page that is read for its tags.
const PAGE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub url: String,
    /// The site's host name, as a card shows it.
    pub host: String,
    pub title: String,
    pub description: String,
    /// The picture's full address, where the page names one.
    pub image: Option<String>,
}

/// The text's first link, without trailing punctuation.
pub fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']))
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
}

/// Reads a linked page (within the time limit) for its card.
pub async fn read(http: &reqwest::Client, link: &str) -> Option<Card> {
    let fetch = async {
        let response = http.get(link).header(reqwest::header::ACCEPT, "text/html").send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let bytes = crate::http::read_body(response, PAGE_BYTES).await.ok()?;
        let html = String::from_utf8_lossy(&bytes[..bytes.len().min(512 * 1024)]).into_owned();
        let title = meta(&html, "og:title").or_else(|| between(&html, "<title>", "</title>"))?;
        let description = meta(&html, "og:description").unwrap_or_default();
        let image = meta(&html, "og:image")
            .and_then(|image| url::Url::parse(link).ok()?.join(image.trim()).ok())
            .filter(|url| matches!(url.scheme(), "https" | "http"))
            .map(String::from);
        let host = url::Url::parse(link).ok()?.host_str()?.to_owned();
        Some(Card { url: link.to_owned(), host, title, description, image })
    };
    tokio::time::timeout(TIME_LIMIT, fetch).await.ok().flatten()
}

/// A picture's bytes, if it answers with success within the time limit and is not over
/// `IMAGE_BYTES`.
pub async fn read_picture(http: &reqwest::Client, address: &str) -> Option<Vec<u8>> {
    read_image(http.get(address)).await
}

/// An image's bytes as `request` answers them (it may carry credentials), under the same limits as
/// [`read_picture`]. Nothing of a failure is kept or logged: the request's address may hold a token.
pub async fn read_image(request: reqwest::RequestBuilder) -> Option<Vec<u8>> {
    let fetch = async {
        let mut response = request.header(reqwest::header::ACCEPT, "image/*").send().await.ok()?;
        if !response.status().is_success() || response.content_length().is_some_and(|n| n > IMAGE_BYTES as u64) {
            return None;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.ok()? {
            if bytes.len() + chunk.len() > IMAGE_BYTES {
                return None;
            }
            bytes.extend_from_slice(&chunk);
        }
        Some(bytes)
    };
    tokio::time::timeout(TIME_LIMIT, fetch).await.ok().flatten()
}

/// The most a card's picture keeps of its longer side in the composer's preview, in pixels.
pub const PREVIEW_SIDE: u32 = 640;

/// A card's picture read and fitted small for a preview, kept in the variant cache; where it is.
/// `None` when it cannot be read or decoded.
pub async fn cached_picture(
    http: &reqwest::Client,
    variants: &crate::media::cache::VariantCache,
    address: &str,
) -> Option<std::path::PathBuf> {
    use sha2::Digest;
    let bytes = read_picture(http, address).await?;
    let variants = variants.clone();
    tokio::task::spawn_blocking(move || {
        let hash = hex::encode(sha2::Sha256::digest(&bytes));
        let spec = crate::media::ImageSpec::thumbnail(PREVIEW_SIDE);
        variants
            .prepare(bytes, &hash, &spec, &crate::media::FitOptions::default(), &crate::media::Limits::default())
            .ok()
            .map(|v| v.path)
    })
    .await
    .ok()
    .flatten()
}

/// The `content` of `<meta property="NAME" content="…">`, unescaped.
fn meta(html: &str, name: &str) -> Option<String> {
    let marker = format!("property=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let content = tag.split("content=\"").nth(1)?.split('"').next()?;
    Some(unescape(content)).filter(|c| !c.trim().is_empty())
}

fn between(html: &str, open: &str, close: &str) -> Option<String> {
    let start = html.find(open)? + open.len();
    let end = start + html[start..].find(close)?;
    Some(unescape(html[start..end].trim())).filter(|t| !t.is_empty())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}
