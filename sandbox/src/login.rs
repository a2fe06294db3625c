//! Facebook Login for the sandbox's Meta world, so linking runs end to end in tests and demos:
//! the OAuth dialog (`/facebook-login/{version}/dialog/oauth`, a page whose "Continue" link goes
//! back to the app's `redirect_uri` with a code and the state), the code exchanged for a
//! short-lived user token (the app secret and, if the dialog got a challenge, the PKCE verifier
//! are checked), and that token for a long-lived one (`grant_type=fb_exchange_token`), as
//! `GET /graph/{version}/oauth/access_token` does. The app is [`SANDBOX_APP_ID`] with secret
//! [`SANDBOX_APP_SECRET`] (both in `meta`). Threads' sign-in lives here too and asks threads
//! whether a token is the user's, so threads must never import this module.

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::json;
use sha2::Digest;

use crate::meta::{
    SANDBOX_APP_ID, SANDBOX_APP_SECRET, SANDBOX_THREADS_TOKEN, SANDBOX_THREADS_USER, graph_error, invalid,
};
use crate::service::Service;
use crate::threads::token_is_valid;
use crate::{Shared, lock};

pub(crate) const ROUTES: &[&str] = &[
    "GET /facebook-login/{version}/dialog/oauth",
    "GET /graph/{version}/oauth/access_token",
    "GET /threads-login/oauth/authorize",
    "POST /threads/oauth/access_token",
    "GET /threads/access_token",
    "GET /threads/refresh_access_token",
];

pub(crate) const SERVICE: Service = Service::part(routes, ROUTES, &["/facebook-login/"], |status, shape, _| {
    crate::meta::error_for_status(status, shape)
});

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/facebook-login/{version}/dialog/oauth", get(dialog))
        .route("/graph/{version}/oauth/access_token", get(access_token))
        .route("/threads-login/oauth/authorize", get(threads_dialog))
        .route("/threads/oauth/access_token", axum::routing::post(threads_code))
        .route("/threads/access_token", get(threads_exchange))
        .route("/threads/refresh_access_token", get(threads_refresh))
}

/// Threads' authorization window: like Facebook's, but it sends the browser back only to an
/// https address (so a loopback listener cannot take it; the user pastes the address).
async fn threads_dialog(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    if q.get("client_id").map(String::as_str) != Some(SANDBOX_APP_ID) {
        return page(StatusCode::BAD_REQUEST, "Invalid App ID", "<p>The provided app ID is not valid.</p>");
    }
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let Some(back) = url::Url::parse(&redirect).ok().filter(|u| u.scheme() == "https") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Redirect URI is not valid",
            "<p>Redirect URIs must use https and be listed in the app's Threads settings.</p>",
        );
    };
    if q.get("response_type").map(String::as_str) != Some("code")
        || !q.get("scope").is_some_and(|s| s.contains("threads_basic"))
    {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "<p>response_type=code and threads_basic are required.</p>",
        );
    }
    let code = format!("sandbox-threads-code-{}", lock(&shared.graph).next_id(shared.now_ms()));
    lock(&shared.graph).codes.insert(code.clone(), (redirect.clone(), None));
    let state = q.get("state").cloned().unwrap_or_default();
    let mut ok = back.clone();
    ok.query_pairs_mut().append_pair("code", &code).append_pair("state", &state);
    ok.set_fragment(Some("_"));
    let mut cancel = back;
    cancel
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_reason", "user_denied")
        .append_pair("state", &state);
    page(
        StatusCode::OK,
        "Allow Fanout Sandbox App to access your Threads profile?",
        &format!(
            "<p>@{} — {}</p><p><a id=\"continue\" href=\"{}\">Allow</a> · <a id=\"cancel\" href=\"{}\">Cancel</a></p>",
            SANDBOX_THREADS_USER.1,
            escape(&q.get("scope").cloned().unwrap_or_default().replace(',', ", ")),
            escape(ok.as_str()),
            escape(cancel.as_str())
        ),
    )
}

fn threads_error(message: &str) -> Response {
    graph_error(StatusCode::BAD_REQUEST, 1, None, "OAuthException", message).into_response()
}

/// The code for a short-lived token (`POST /oauth/access_token`, form).
async fn threads_code(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let q: std::collections::HashMap<String, String> = crate::body::parse_urlencoded(&body).into_iter().collect();
    if q.get("client_id").map(String::as_str) != Some(SANDBOX_APP_ID)
        || q.get("client_secret").map(String::as_str) != Some(SANDBOX_APP_SECRET)
    {
        return threads_error("Error validating client secret.");
    }
    if q.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return threads_error("Unsupported grant_type.");
    }
    let code = q.get("code").cloned().unwrap_or_default();
    let Some((redirect, _)) = lock(&shared.graph).codes.remove(&code) else {
        return threads_error("Invalid verification code format.");
    };
    if q.get("redirect_uri") != Some(&redirect) {
        return threads_error("Error validating verification code. Please make sure your redirect_uri is identical.");
    }
    let token = format!("sandbox-threads-short-{}", lock(&shared.graph).next_id(shared.now_ms()));
    lock(&shared.graph).user_tokens.insert(token.clone(), shared.now_ms() + SHORT_LIVED_MS);
    axum::Json(json!({ "access_token": token, "user_id": SANDBOX_THREADS_USER.0 })).into_response()
}

/// A short-lived token for the long-lived one (`grant_type=th_exchange_token`), 60 days.
async fn threads_exchange(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    if q.get("grant_type").map(String::as_str) != Some("th_exchange_token")
        || q.get("client_secret").map(String::as_str) != Some(SANDBOX_APP_SECRET)
    {
        return threads_error("Error validating client secret.");
    }
    let short = q.get("access_token").cloned().unwrap_or_default();
    let valid = short.starts_with("sandbox-threads-short-")
        && lock(&shared.graph).user_tokens.get(&short).is_some_and(|at| *at > shared.now_ms());
    if !valid {
        return threads_error("Invalid OAuth access token.");
    }
    axum::Json(json!({
        "access_token": SANDBOX_THREADS_TOKEN,
        "token_type": "bearer",
        "expires_in": LONG_LIVED_MS / 1000,
    }))
    .into_response()
}

/// A long-lived token for a new one, valid 60 days from now (`grant_type=th_refresh_token`);
/// the old one keeps working until it would have expired, as on Threads.
async fn threads_refresh(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    if q.get("grant_type").map(String::as_str) != Some("th_refresh_token") {
        return threads_error("Unsupported grant_type.");
    }
    let token = q.get("access_token").cloned().unwrap_or_default();
    if !token_is_valid(&shared, &token) {
        return graph_error(StatusCode::BAD_REQUEST, 190, None, "OAuthException", "Invalid OAuth access token.")
            .into_response();
    }
    let renewed = {
        let mut threads = lock(&shared.threads);
        let n = threads.tokens.len() + 1;
        let renewed = format!("{}-renewed-{n}", SANDBOX_THREADS_TOKEN);
        threads.tokens.insert(renewed.clone());
        renewed
    };
    axum::Json(json!({ "access_token": renewed, "token_type": "bearer", "expires_in": LONG_LIVED_MS / 1000 }))
        .into_response()
}

const SHORT_LIVED_MS: u64 = 2 * 3600 * 1000;
const LONG_LIVED_MS: u64 = 60 * 24 * 3600 * 1000;

fn query_map(query: Option<&str>) -> std::collections::HashMap<String, String> {
    crate::body::parse_urlencoded(query.unwrap_or("").as_bytes()).into_iter().collect()
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    branded_page(status, "Facebook Login", title, body)
}

/// A sign-in page of the sandbox's `brand` (its `body` is HTML, already escaped).
pub(crate) fn branded_page(status: StatusCode, brand: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui;max-width:32rem;margin:3rem auto\"><p style=\"color:#666\">Fanout sandbox — \
         {brand}</p><h1>{title}</h1>{body}</body></html>",
        title = escape(title)
    );
    (status, [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The consent page. Facebook shows errors in the dialog itself when the app or the redirect is
/// wrong; it only goes back to the app once those are right.
async fn dialog(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    if q.get("client_id").map(String::as_str) != Some(SANDBOX_APP_ID) {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid App ID",
            "<p>The provided app ID does not look like a valid app ID.</p>",
        );
    }
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let loopback = url_is_loopback(&redirect);
    if !loopback {
        return page(
            StatusCode::BAD_REQUEST,
            "URL blocked",
            "<p>This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.</p>",
        );
    }
    if q.get("response_type").map(String::as_str) != Some("code") || q.get("state").is_none_or(String::is_empty) {
        return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>response_type=code and a state are required.</p>");
    }
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method").map(String::as_str)) {
        (Some(c), Some("S256")) => Some(c.clone()),
        (None, _) => None,
        _ => {
            return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>Only S256 code challenges are supported.</p>");
        }
    };
    let code = format!("sandbox-code-{}", lock(&shared.graph).next_id(shared.now_ms()));
    lock(&shared.graph).codes.insert(code.clone(), (redirect.clone(), challenge));
    let state = q.get("state").cloned().unwrap_or_default();
    let mut back = url::Url::parse(&redirect).expect("checked above");
    back.query_pairs_mut().append_pair("code", &code).append_pair("state", &state);
    let mut cancel = url::Url::parse(&redirect).expect("checked above");
    cancel
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_reason", "user_denied")
        .append_pair("error_description", "Permissions error")
        .append_pair("state", &state);
    let scopes = q.get("scope").cloned().unwrap_or_default();
    page(
        StatusCode::OK,
        "Fanout Sandbox App is requesting access",
        &format!(
            "<p>Sandbox User, this app wants: {}</p>\
             <p><a id=\"continue\" href=\"{}\">Continue as Sandbox User</a> · <a id=\"cancel\" href=\"{}\">Cancel</a></p>",
            escape(&scopes.replace(',', ", ")),
            escape(back.as_str()),
            escape(cancel.as_str())
        ),
    )
}

fn url_is_loopback(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback()))
}

async fn access_token(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    let result = (|| {
        if q.get("client_id").map(String::as_str) != Some(SANDBOX_APP_ID) {
            return Err(invalid(
                "(#101) Error validating application. Cannot get application info due to a system error.",
            ));
        }
        if q.get("client_secret").map(String::as_str) != Some(SANDBOX_APP_SECRET) {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                1,
                None,
                "OAuthException",
                "Error validating client secret.",
            ));
        }
        let mut state = lock(&shared.graph);
        if q.get("grant_type").map(String::as_str) == Some("fb_exchange_token") {
            let short = q.get("fb_exchange_token").cloned().unwrap_or_default();
            if state.user_tokens.get(&short).is_none_or(|expires| *expires <= shared.now_ms()) {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    190,
                    None,
                    "OAuthException",
                    "Invalid OAuth access token.",
                ));
            }
            let token = format!("sandbox-long-user-token-{}", state.next_id(shared.now_ms()));
            state.user_tokens.insert(token.clone(), shared.now_ms() + LONG_LIVED_MS);
            return Ok(json!({ "access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_MS / 1000 }));
        }
        let code = q.get("code").cloned().unwrap_or_default();
        let Some((redirect, challenge)) = state.codes.remove(&code) else {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                100,
                Some(36_009),
                "OAuthException",
                "This authorization code has been used.",
            ));
        };
        if q.get("redirect_uri") != Some(&redirect) {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                100,
                Some(36_008),
                "OAuthException",
                "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            ));
        }
        if let Some(challenge) = challenge {
            let verifier = q.get("code_verifier").cloned().unwrap_or_default();
            let expected =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
            if expected != challenge {
                return Err(invalid("(#100) The code_verifier does not match the code_challenge"));
            }
        }
        let token = format!("sandbox-short-user-token-{}", state.next_id(shared.now_ms()));
        state.user_tokens.insert(token.clone(), shared.now_ms() + SHORT_LIVED_MS);
        Ok(json!({ "access_token": token, "token_type": "bearer", "expires_in": SHORT_LIVED_MS / 1000 }))
    })();
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(fail) => fail.into_response(),
    }
}
