//! The `fanout-media:` scheme: how windows show attachment thumbnails and the exact image each
//! target will get, by opaque id, without ever seeing a file path. `/thumb/<attachment id>` makes
//! (and caches) a small JPEG; `/variant/<file>` serves a prepared variant from the cache folder, the
//! name checked to be one the cache writes, so no request can reach outside it.

use std::borrow::Cow;

use tauri::http::{Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = ctx.app_handle().clone();
    let path = request.uri().path().trim_start_matches('/').to_owned();
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        responder.respond(serve(&state, &path));
    });
}

fn serve(state: &AppState, path: &str) -> Response<Cow<'static, [u8]>> {
    if let Some(id) = path.strip_prefix("avatar/") {
        let picture = id.parse().ok().and_then(|id| state.cx.accounts().picture(id).ok().flatten());
        return match picture {
            Some(jpeg) => Response::builder()
                .header("Content-Type", "image/jpeg")
                .header("Cache-Control", "no-store")
                .body(Cow::Owned(jpeg))
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
            None => status(StatusCode::NOT_FOUND),
        };
    }
    let file = if let Some(id) = path.strip_prefix("thumb/") {
        state.attachments.thumbnail(id, &state.cx.variants()).ok()
    } else if let Some(name) = path.strip_prefix("variant/") {
        is_cache_name(name).then(|| state.variants_dir().join(name))
    } else {
        None
    };
    let Some(file) = file else { return status(StatusCode::NOT_FOUND) };
    let Ok(bytes) = std::fs::read(&file) else { return status(StatusCode::NOT_FOUND) };
    let mime = match file.extension().and_then(|e| e.to_str()) {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    };
    Response::builder()
        .header("Content-Type", mime)
        .header("Cache-Control", "no-store")
        .body(Cow::Owned(bytes))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// The cache names its files `<sha256 hex>.<jpg|png|gif>`.
fn is_cache_name(name: &str) -> bool {
    match name.split_once('.') {
        Some((stem, ext)) => {
            stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()) && matches!(ext, "jpg" | "png" | "gif")
        }
        None => false,
    }
}

fn status(code: StatusCode) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Borrowed(&b""[..]));
    *response.status_mut() = code;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_variant_cache_writes_are_served() {
        let hex = "a".repeat(64);
        assert!(is_cache_name(&format!("{hex}.jpg")));
        assert!(!is_cache_name(&format!("{hex}.json")), "the cache's metadata is not an image");
        assert!(!is_cache_name("../../../etc/passwd"));
        assert!(!is_cache_name(&format!("../{}.jpg", &hex[3..])));
    }
}
