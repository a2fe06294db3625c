//! The pages a post's permalink opens: `/@{user}/{id}` for a Mastodon status,
//! `/channels/{server}/{channel}/{message}` for a Discord message, `/bluesky/profile/{handle}/post/{rkey}`
//! for a Bluesky post, and so on, as small HTML pages showing what the sandbox received — so a
//! demo's "Open post" link leads somewhere real. `/web/{site}` are small web pages with Open Graph
//! tags (title, description, `og:image`) for a post to link to, as link cards read them. Like the
//! control endpoints, they are never logged and never faulted.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::{Shared, lock};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/@{user}", get(mastodon_account))
        .route("/@{user}/{id}", get(mastodon_status))
        .route("/channels/{guild}/{channel}", get(discord_channel))
        .route("/channels/{guild}/{channel}/{message}", get(discord_message))
        .route("/facebook/{id}", get(facebook_object))
        .route("/instagram/{username}", get(instagram_profile))
        .route("/instagram/p/{code}", get(instagram_post))
        .route("/whatsapp/{phone}/chats/{to}", get(whatsapp_chat))
        .route("/telegram/{username}/{id}", get(telegram_message))
        .route("/bluesky/profile/{handle}/post/{rkey}", get(bluesky_post))
        .route("/web/{site}", get(website))
        .route("/avatars/{*path}", get(avatar))
        .route("/web/{site}/cover.png", get(website_cover))
}

/// A Bluesky post, as bsky.app shows it.
async fn bluesky_post(State(shared): State<Arc<Shared>>, Path((handle, rkey)): Path<(String, String)>) -> Response {
    match crate::bluesky::page(&shared, &handle, &rkey) {
        Some((title, text, detail)) => self::page(&title, &text, &detail),
        None => not_found(),
    }
}

/// What a web page's `og:image` is.
#[derive(Clone, Copy)]
enum Cover {
    /// A 1600×1000 PNG of about 4.8 MB: too big for a Bluesky blob until it is fitted.
    Picture,
    /// Says it is a PNG, but is cut off after the signature.
    Broken,
}

/// The sandbox's web pages: (path segment, title, description, cover). The cover of `bakery` is
/// named by its absolute address, that of `menu` by a path on the same host.
const WEBSITES: &[(&str, &str, &str, Cover)] = &[
    (
        "bakery",
        "Fanout Bakery — sourdough and rye, baked daily",
        "Opening hours, this week's loaves and where to find us.",
        Cover::Picture,
    ),
    ("menu", "This week's menu at Fanout Bakery", "Rye, spelt, and a cardamom bun on Fridays.", Cover::Broken),
];

/// A small web page with Open Graph tags, as a link card reads it.
async fn website(State(shared): State<Arc<Shared>>, Path(site): Path<String>) -> Response {
    let Some((slug, title, description, cover)) = WEBSITES.iter().find(|w| w.0 == site) else {
        return not_found();
    };
    let image = match cover {
        Cover::Picture => format!("{}/web/{slug}/cover.png", shared.base_url),
        Cover::Broken => format!("/web/{slug}/cover.png"),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta property=\"og:title\" content=\"{title}\"><meta property=\"og:description\" content=\"{description}\">\
         <meta property=\"og:image\" content=\"{image}\"></head><body style=\"font-family:system-ui;max-width:40rem;\
         margin:3rem auto\"><h1>{title}</h1><p>{description}</p><img src=\"{image}\" alt=\"\" width=\"640\"></body></html>",
        title = escape(title),
        description = escape(description),
        image = escape(&image),
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A profile picture, as a Mastodon account's `avatar` points to: a round purple mark, 192×192.
async fn avatar() -> Response {
    ([(header::CONTENT_TYPE, "image/png")], crate::pictures::avatar_png().to_vec()).into_response()
}

async fn website_cover(Path(site): Path<String>) -> Response {
    let Some((_, _, _, cover)) = WEBSITES.iter().find(|w| w.0 == site) else {
        return not_found();
    };
    let bytes = match cover {
        Cover::Picture => crate::pictures::cover_picture().clone(),
        Cover::Broken => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
    };
    ([(header::CONTENT_TYPE, "image/png")], bytes).into_response()
}

/// A public channel's message (an album shows as one).
async fn telegram_message(State(shared): State<Arc<Shared>>, Path((username, id)): Path<(String, i64)>) -> Response {
    match crate::telegram::page(&shared, &username, id) {
        Some((title, text)) => self::page(&title, &text, &format!("t.me/{username}/{id}")),
        None => not_found(),
    }
}

/// The business number's conversation with one person, oldest first, with each message's fate.
async fn whatsapp_chat(State(shared): State<Arc<Shared>>, Path((phone, to)): Path<(String, String)>) -> Response {
    let messages: Vec<String> = lock(&shared.whatsapp)
        .messages
        .iter()
        .filter(|m| m.phone_number_id == phone && m.to == to)
        .map(|m| {
            let fate = match m.error_code {
                Some(code) => format!("{} ({code})", m.status),
                None => m.status.clone(),
            };
            let file = if m.media_id.is_some() { format!(" [{}]", m.kind) } else { String::new() };
            format!("{}{file} — {fate}", m.text)
        })
        .collect();
    if messages.is_empty() {
        return not_found();
    }
    self::page(
        &format!("WhatsApp chat with +{to}"),
        &messages.join("\n\n———\n\n"),
        &format!("{} message(s)", messages.len()),
    )
}

async fn instagram_profile(State(shared): State<Arc<Shared>>, Path(username): Path<String>) -> Response {
    let Some(user) = crate::meta::SANDBOX_INSTAGRAM.iter().find(|ig| ig.1 == username) else {
        return not_found();
    };
    let captions: Vec<String> =
        lock(&shared.instagram).media.iter().rev().filter(|m| m.user_id == user.0).map(|m| m.caption.clone()).collect();
    self::page(
        &format!("@{username} on the sandbox's Instagram"),
        &captions.join("\n\n———\n\n"),
        &format!("{} post(s)", captions.len()),
    )
}

async fn instagram_post(State(shared): State<Arc<Shared>>, Path(code): Path<String>) -> Response {
    let media = lock(&shared.instagram).media.clone();
    match media.iter().find(|m| crate::instagram::permalink(&shared, &m.id).ends_with(&format!("/p/{code}"))) {
        Some(m) => self::page(
            &format!("A {} on the sandbox's Instagram", m.media_type.to_lowercase()),
            &m.caption,
            &format!("{} item(s)", m.children.max(1)),
        ),
        None => not_found(),
    }
}

/// A Page (its posts, newest first) or one thing made on it.
async fn facebook_object(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let objects = lock(&shared.graph).snapshot();
    if let Some((page, name)) = crate::meta::SANDBOX_PAGES.iter().find(|(page, _)| *page == id) {
        let texts: Vec<String> = objects
            .iter()
            .rev()
            .filter(|o| o.page_id == *page && o.kind == "post" && !o.deleted)
            .map(|o| o.message.clone())
            .collect();
        return self::page(
            &format!("{name} on the sandbox's Facebook"),
            &texts.join("\n\n———\n\n"),
            &format!("{} post(s)", texts.len()),
        );
    }
    match objects.iter().find(|o| o.id == id && !o.deleted) {
        Some(o) => {
            let name = crate::meta::SANDBOX_PAGES.iter().find(|(p, _)| *p == o.page_id).map_or("A Page", |(_, n)| n);
            self::page(
                &format!("A {} by {name} on the sandbox's Facebook", o.kind),
                &o.message,
                &format!("{} photo(s) or video(s)", o.media.len()),
            )
        }
        None => not_found(),
    }
}

async fn mastodon_status(State(shared): State<Arc<Shared>>, Path((user, id)): Path<(String, String)>) -> Response {
    let found = lock(&shared.mastodon).snapshot().0.into_iter().find(|s| s.id == id);
    match found {
        Some(status) => page(
            &format!("@{user} on the sandbox's Mastodon"),
            &status.text,
            &format!("{} attachment(s) · {}", status.media_ids.len(), status.visibility),
        ),
        None => not_found(),
    }
}

async fn mastodon_account(State(shared): State<Arc<Shared>>, Path(user): Path<String>) -> Response {
    let state = lock(&shared.mastodon);
    let ids: Vec<String> = state.accounts.iter().filter(|(_, name)| **name == user).map(|(id, _)| id.clone()).collect();
    let (statuses, _) = state.snapshot();
    drop(state);
    let texts: Vec<String> =
        statuses.into_iter().rev().filter(|s| ids.contains(&s.account_id)).map(|s| s.text).collect();
    page(&format!("@{user} on the sandbox's Mastodon"), &texts.join("\n\n———\n\n"), &format!("{} post(s)", texts.len()))
}

async fn discord_channel(
    State(shared): State<Arc<Shared>>,
    Path((_guild, channel)): Path<(String, String)>,
) -> Response {
    let texts: Vec<String> = lock(&shared.discord)
        .snapshot()
        .into_iter()
        .rev()
        .filter(|m| crate::discord::channel_and_guild(&m.webhook_id).0 == channel)
        .map(|m| m.content)
        .collect();
    page("A channel in the sandbox's Discord", &texts.join("\n\n———\n\n"), &format!("{} message(s)", texts.len()))
}

async fn discord_message(
    State(shared): State<Arc<Shared>>,
    Path((_guild, _channel, message)): Path<(String, String, String)>,
) -> Response {
    let found = lock(&shared.discord).snapshot().into_iter().find(|m| m.id == message);
    match found {
        Some(m) => page("A message in the sandbox's Discord channel", &m.content, &m.attachments.join(", ")),
        None => not_found(),
    }
}

fn page(title: &str, text: &str, detail: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta property=\"og:title\" content=\"{title}\"><meta property=\"og:description\" content=\"{text}\"></head>\
         <body style=\"font-family:system-ui;max-width:40rem;margin:3rem auto\"><p style=\"color:#666\">\
         Fanout sandbox — {title}</p><p style=\"white-space:pre-wrap;font-size:1.2rem\">{text}</p>\
         <p style=\"color:#666\">{detail}</p></body></html>",
        title = escape(title),
        text = escape(text),
        detail = escape(detail),
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such post in this sandbox (it forgets its posts when it stops)").into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn posted_markup_is_shown_as_text() {
        assert_eq!(super::escape("<script>&\"x\""), "&lt;script&gt;&amp;&quot;x&quot;");
    }
}
