//! The `fanout-media:` addresses windows load pictures from (served by `protocol`): an
//! attachment's thumbnail, a prepared variant, an account's profile picture. A leaf module.

pub const SCHEME: &str = "fanout-media";

/// The URL a window loads `path` (`thumb/<id>`, `variant/<file>`) from: WebView2 on Windows maps
/// custom schemes to `http://<scheme>.localhost/`.
pub fn url(path: &str) -> String {
    if cfg!(windows) { format!("http://{SCHEME}.localhost/{path}") } else { format!("{SCHEME}://localhost/{path}") }
}

/// An account's profile picture, kept in the database.
pub fn avatar_url(account: &str) -> String {
    url(&format!("avatar/{account}"))
}

pub fn variant_url(file: &std::path::Path) -> Option<String> {
    file.file_name().map(|name| url(&format!("variant/{}", name.to_string_lossy())))
}
