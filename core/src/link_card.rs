//! A linked page's card: its title, description (Open Graph, the Twitter card, or its `<title>`)
//! and picture, as a network shows it under a post. Read with a time limit and a size cap and
//! parsed with a real HTML parser (`scraper`); best effort, `None` when the page cannot be read.
//! Bluesky builds its card from it, and the composer's preview shows it.

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
        parse(&html, link)
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

/// A page's card from its HTML, parsed as a browser parses it: the Open Graph tags (`og:title`,
/// `og:description`, `og:image`), else the Twitter card's, else `<title>` and the `description`
/// meta tag. Attribute order, quoting, case and character references are the parser's business.
/// `None` without a title; a picture is kept only as an http(s) address, resolved against `link`.
pub fn parse(html: &str, link: &str) -> Option<Card> {
    let document = scraper::Html::parse_document(html);
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut title = None;
    for node in document.root_element().descendants() {
        let Some(element) = scraper::ElementRef::wrap(node) else { continue };
        match element.value().name() {
            "meta" => {
                let value = element.value();
                let key = value.attr("property").or_else(|| value.attr("name"));
                if let (Some(key), Some(content)) = (key, value.attr("content")) {
                    tags.push((key.trim().to_ascii_lowercase(), content.trim().to_owned()));
                }
            }
            "title" if title.is_none() => title = Some(element.text().collect::<String>()),
            _ => {}
        }
    }
    let tag = |keys: &[&str]| {
        keys.iter().find_map(|key| tags.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.clone()))
    };
    let squeeze = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = tag(&["og:title", "twitter:title"]).or(title).map(squeeze).filter(|t| !t.is_empty())?;
    let description = tag(&["og:description", "twitter:description", "description"]).map(squeeze).unwrap_or_default();
    let base = url::Url::parse(link).ok()?;
    let image = tag(&["og:image", "og:image:url", "og:image:secure_url", "twitter:image"])
        .and_then(|image| base.join(&image).ok())
        .filter(|url| matches!(url.scheme(), "https" | "http"))
        .map(String::from);
    let host = base.host_str()?.to_owned();
    Some(Card { url: link.to_owned(), host, title, description, image })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://bakery.example/menu/spring";

    #[test]
    fn reads_the_open_graph_tags_whatever_their_quoting_order_and_case() {
        let html = r#"<!doctype html><html><head>
            <META content='Rye &amp; spelt, fresh &#x27;n&#39; warm' PROPERTY='og:description'>
            <meta content="Our spring menu" property="og:title"/>
            <meta property="og:image" content="/pictures/loaf.jpg">
            <title>Ignored when og:title is there</title></head><body></body></html>"#;
        let card = parse(html, LINK).expect("a card");
        assert_eq!(card.title, "Our spring menu");
        assert_eq!(card.description, "Rye & spelt, fresh 'n' warm");
        assert_eq!(
            card.image.as_deref(),
            Some("https://bakery.example/pictures/loaf.jpg"),
            "resolved against the page"
        );
        assert_eq!(card.host, "bakery.example");
    }

    #[test]
    fn falls_back_to_the_twitter_card_then_to_the_title_and_description() {
        let twitter = r#"<meta name="twitter:title" content="Spring"><meta name="twitter:image" content="https://cdn.example/a.png">"#;
        let card = parse(twitter, LINK).expect("a card");
        assert_eq!((card.title.as_str(), card.image.as_deref()), ("Spring", Some("https://cdn.example/a.png")));
        let plain = "<html><head><title>\n  Caf&eacute;   menu \n</title><meta name=\"description\" content=\"Open daily\"></head></html>";
        let card = parse(plain, LINK).expect("a card");
        assert_eq!(card.title, "Café menu", "entities decoded, white space squeezed");
        assert_eq!(card.description, "Open daily");
        assert_eq!(card.image, None);
    }

    #[test]
    fn text_that_only_looks_like_a_tag_is_not_read_as_one() {
        let html = r#"<head><script>var s = '<meta property="og:title" content="Fake">';</script>
            <!-- <meta property="og:image" content="https://evil.example/x.png"> -->
            <title>Real title</title><meta property="og:image" content="javascript:alert(1)"></head>"#;
        let card = parse(html, LINK).expect("a card");
        assert_eq!(card.title, "Real title", "a tag inside a script or a comment is not a tag");
        assert_eq!(card.image, None, "only an http(s) picture is kept");
        assert_eq!(parse("<p>No title here</p>", LINK), None);
    }
}
