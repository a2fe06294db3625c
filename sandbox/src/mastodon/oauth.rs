//! Mastodon's app registration and OAuth sign-in, as a Mastodon 4.3 server (Doorkeeper) answers
//! them: `POST /api/v1/apps` registers a client with its redirect addresses and scopes;
//! `GET /oauth/authorize` is the page where the signed-in user allows the app (here links with ids
//! `continue` and `cancel`, so tests and demos can play the user); `POST /oauth/token` exchanges a
//! code (checking the client, the redirect address used with it and the PKCE verifier) or grants a
//! client-credentials token. A loopback redirect address matches whatever its port, as RFC 8252
//! §7.3 asks and Doorkeeper does. Everyone who signs in here is the same sandbox user,
//! [`OAUTH_USER`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::json;
use sha2::Digest;

use crate::login::escape;
use crate::service::Service;
use crate::{Shared, lock};

pub(crate) const ROUTES: &[&str] = &["POST /api/v1/apps", "GET /oauth/authorize", "POST /oauth/token"];

pub(crate) const SERVICE: Service = Service::part(routes, ROUTES, &["/oauth/"], |status, shape, _| {
    crate::mastodon::error_for_status(status, shape.retry_after)
});

/// Who a sign-in through the sandbox's authorization page is: the identity its tokens stand for
/// (a token made from it maps to the same account as the pasted token `sandbox-oauth-user`).
pub const OAUTH_USER: &str = "sandbox-oauth-user";

/// Scopes a Mastodon 4.3 server knows.
const KNOWN_SCOPES: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
];

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/apps", post(register))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
}

struct Client {
    secret: String,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    scopes: String,
}

/// Registered clients, codes not yet exchanged, and which identity each issued token stands for.
#[derive(Default)]
pub(crate) struct OAuthState {
    clients: HashMap<String, Client>,
    codes: HashMap<String, Grant>,
    pub(crate) tokens: HashMap<String, String>,
    issued: u64,
}

impl OAuthState {
    fn next(&mut self) -> u64 {
        self.issued += 1;
        self.issued
    }

    /// Forgets a registration, as a server does when its admin removes an app.
    pub(crate) fn forget_clients(&mut self) {
        self.clients.clear();
    }
}

fn json_error(status: StatusCode, error: &str, description: Option<&str>) -> Response {
    let body = match description {
        Some(d) => json!({ "error": error, "error_description": d }),
        None => json!({ "error": error }),
    };
    (status, axum::Json(body)).into_response()
}

fn scopes_of(text: &str) -> Vec<String> {
    text.split([' ', '+']).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn absolute(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| !u.cannot_be_a_base() || u.scheme() == "urn")
}

/// Doorkeeper's rule: the same address, except that a loopback IP's port may differ.
fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let (Ok(mut a), Ok(mut b)) = (url::Url::parse(registered), url::Url::parse(given)) else { return false };
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if loopback(&a) && loopback(&b) {
        let _ = a.set_port(None);
        let _ = b.set_port(None);
    }
    a == b
}

async fn register(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (pairs, _) = crate::body::fields(query.as_deref(), &headers, &body).unwrap_or_default();
    let get = |name: &'static str| {
        pairs.iter().filter(move |(k, _)| k == name || *k == format!("{name}[]")).map(|(_, v)| v.clone())
    };
    let name = get("client_name").next().unwrap_or_default();
    // Redirect addresses come as one string (several separated by newlines) or as an array.
    let redirect_uris: Vec<String> = get("redirect_uris")
        .flat_map(|v| {
            serde_json::from_str::<Vec<String>>(&v).unwrap_or_else(|_| v.lines().map(str::to_owned).collect())
        })
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    let scopes = scopes_of(&get("scopes").next().unwrap_or_else(|| "read".to_owned()));
    let mut problems = Vec::new();
    if name.trim().is_empty() {
        problems.push("Application name can't be blank".to_owned());
    }
    if redirect_uris.is_empty() {
        problems.push("Redirect URI can't be blank".to_owned());
    } else if !redirect_uris.iter().all(|u| absolute(u)) {
        problems.push("Redirect URI must be an absolute URI.".to_owned());
    }
    if let Some(bad) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        problems.push(format!("Scopes {bad} is not a valid scope"));
    }
    if !problems.is_empty() {
        let message = format!("Validation failed: {}", problems.join(", "));
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({ "error": message }))).into_response();
    }
    let mut state = lock(&shared.mastodon);
    let n = state.oauth.next();
    let id = format!("{}", 10_000 + n);
    let client_id = format!("sandbox-client-{n}-{:08x}", crate::stable_hash(&format!("{name}{n}")) as u32);
    let secret =
        format!("sandbox-client-secret-{n}-{:016x}", crate::stable_hash(&format!("{client_id}{}", shared.now_ms())));
    state.oauth.clients.insert(
        client_id.clone(),
        Client { secret: secret.clone(), redirect_uris: redirect_uris.clone(), scopes: scopes.clone() },
    );
    axum::Json(json!({
        "id": id,
        "name": name,
        "website": null,
        "scopes": scopes,
        "redirect_uri": redirect_uris.join("\n"),
        "redirect_uris": redirect_uris,
        "client_id": client_id,
        "client_secret": secret,
        "client_secret_expires_at": 0,
    }))
    .into_response()
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    crate::login::branded_page(status, "Mastodon", title, body)
}

fn back_with(redirect: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(redirect).expect("a registered redirect is absolute");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

/// The authorization page. Doorkeeper shows an error page when the client or the redirect is
/// wrong, and sends the browser back with `error=` for everything else.
async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let q: HashMap<String, String> =
        crate::body::parse_urlencoded(query.as_deref().unwrap_or("").as_bytes()).into_iter().collect();
    let text = |k: &str| q.get(k).cloned().unwrap_or_default();
    let (client_id, redirect, state) = (text("client_id"), text("redirect_uri"), text("state"));
    let (client_scopes, valid_redirect) = {
        let oauth = &lock(&shared.mastodon).oauth;
        match oauth.clients.get(&client_id) {
            None => {
                return page(
                    StatusCode::UNAUTHORIZED,
                    "An error has occurred",
                    "<p>Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.</p>",
                );
            }
            Some(client) => {
                (client.scopes.clone(), client.redirect_uris.iter().any(|r| redirect_matches(r, &redirect)))
            }
        }
    };
    if !valid_redirect {
        return page(
            StatusCode::BAD_REQUEST,
            "An error has occurred",
            "<p>The redirect uri included is not valid.</p>",
        );
    }
    let refuse = |error: &str, description: &str| {
        let to = back_with(&redirect, &[("error", error), ("error_description", description), ("state", &state)]);
        (StatusCode::FOUND, [(axum::http::header::LOCATION, to)]).into_response()
    };
    if text("response_type") != "code" {
        return refuse("unsupported_response_type", "The authorization server does not support this response type.");
    }
    let wanted = scopes_of(&q.get("scope").cloned().unwrap_or_else(|| "read".to_owned()));
    if wanted.is_empty() || wanted.iter().any(|s| !client_scopes.contains(s)) {
        return refuse("invalid_scope", "The requested scope is invalid, unknown, or malformed.");
    }
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method").map(String::as_str)) {
        (Some(c), Some("S256")) => Some(c.clone()),
        (None, _) => None,
        _ => return refuse("invalid_request", "The code challenge method must be S256."),
    };
    let code = {
        let mut mastodon = lock(&shared.mastodon);
        let n = mastodon.oauth.next();
        let code = format!("sandbox-mastodon-code-{n}");
        mastodon.oauth.codes.insert(
            code.clone(),
            Grant { client_id, redirect_uri: redirect.clone(), challenge, scopes: wanted.join(" ") },
        );
        code
    };
    let allow = back_with(&redirect, &[("code", &code), ("state", &state)]);
    let deny = back_with(
        &redirect,
        &[
            ("error", "access_denied"),
            ("error_description", "The resource owner or authorization server denied the request."),
            ("state", &state),
        ],
    );
    let list: String = wanted.iter().map(|s| format!("<li>{}</li>", escape(s))).collect();
    page(
        StatusCode::OK,
        "Authorization required",
        &format!(
            "<p>Fanout would like permission to access your account @sandbox. It asks for:</p><ul>{list}</ul>\
             <p><a id=\"continue\" href=\"{}\">Authorize</a> · <a id=\"cancel\" href=\"{}\">Deny</a></p>",
            escape(&allow),
            escape(&deny)
        ),
    )
}

async fn token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (pairs, _) = crate::body::fields(query.as_deref(), &headers, &body).unwrap_or_default();
    let q: HashMap<String, String> = pairs.into_iter().collect();
    let text = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut mastodon = lock(&shared.mastodon);
    let known = mastodon.oauth.clients.get(&text("client_id")).is_some_and(|c| c.secret == text("client_secret"));
    if !known {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            Some(
                "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
            ),
        );
    }
    let scope = match text("grant_type").as_str() {
        "client_credentials" => text("scope"),
        "authorization_code" => {
            let invalid_grant = || {
                json_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    Some(
                        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
                    ),
                )
            };
            let Some(grant) = mastodon.oauth.codes.remove(&text("code")) else { return invalid_grant() };
            if grant.client_id != text("client_id") || grant.redirect_uri != text("redirect_uri") {
                return invalid_grant();
            }
            if let Some(challenge) = grant.challenge {
                let verifier = text("code_verifier");
                let made =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
                if made != challenge {
                    return invalid_grant();
                }
            }
            grant.scopes
        }
        "" => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some("Missing required parameter: grant_type."),
            );
        }
        _ => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                Some("The authorization grant type is not supported by the authorization server."),
            );
        }
    };
    let n = mastodon.oauth.next();
    let token = format!("sandbox-mastodon-oauth-{n}-{:016x}", crate::stable_hash(&format!("{n}{}", shared.now_ms())));
    if text("grant_type") == "authorization_code" {
        mastodon.oauth.tokens.insert(token.clone(), OAUTH_USER.to_owned());
    }
    axum::Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": scope,
        "created_at": shared.now_ms() / 1000,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_redirect_matches_whatever_its_port_and_nothing_else_does() {
        let registered = "http://127.0.0.1:4000/callback";
        assert!(redirect_matches(registered, "http://127.0.0.1:51234/callback"));
        assert!(!redirect_matches(registered, "http://127.0.0.1:51234/other"));
        assert!(!redirect_matches(registered, "http://localhost:4000/callback"), "a name is not a loopback IP");
        assert!(!redirect_matches("https://app.example/cb", "https://app.example:444/cb"));
        assert!(redirect_matches("urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob"));
    }
}
