//! Nostr as Fanout publishes to it: relays speaking NIP-01 over a WebSocket at `GET /nostr/{relay}`
//! (`ws://127.0.0.1:PORT/nostr/{relay}`), and a Blossom media server under `/blossom` (BUD-01
//! `GET`/`HEAD /blossom/{sha256}[.ext]`, BUD-02 `PUT /blossom/upload` authorised by a BUD-11 kind
//! 24242 event, BUD-06 `HEAD /blossom/upload` preflight). See `relay` and `blossom` for what each
//! checks and how it answers.
//!
//! Every relay name is a relay of its own, with its own event store, so one sandbox stands in for
//! the several relays a note goes to and a client reports on each. A few names behave on purpose:
//! - `refuses` answers every EVENT `["OK", id, false, "blocked: this relay does not take notes from you"]`;
//! - `busy` answers every EVENT `["OK", id, false, "rate-limited: slow down, try again in a minute"]`;
//! - `closes` closes the socket (a Close frame) on an EVENT, without an OK;
//! - `demo` holds, from its first use, the demo key's ([`SANDBOX_NOSTR_SECRET`]) NIP-65 relay list
//!   (kind 10002: `ws://{host}/nostr/demo` and `ws://{host}/nostr/mirror`, both written to) and its
//!   BUD-03 server list (kind 10063: `http://{host}/blossom`).
//!
//! A fault plan names the relays' route `GET /nostr/{relay}`: a status fault refuses the WebSocket
//! handshake with that plain HTTP status. Errors under `/blossom` carry the status and an `X-Reason`
//! header, as Blossom servers answer. Nothing here logs a key or an auth event.

mod blossom;
mod relay;

use std::sync::Arc;

use axum::Router;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use nostr::prelude::{Keys, SecretKey, ToBech32};

use crate::Shared;
use crate::service::Service;

pub(crate) const ROUTES: &[&str] = &[
    "GET /nostr/{relay}",
    "PUT /blossom/upload",
    "HEAD /blossom/upload",
    "GET /blossom/{blob}",
    "HEAD /blossom/{blob}",
];

pub(crate) const SERVICE: Service = Service {
    routes,
    templates: ROUTES,
    prefixes: &["/nostr", "/blossom"],
    errors: |status, shape, _| error_for_status(status, shape.retry_after),
    demo: |url| {
        let ws = url.replacen("http://", "ws://", 1);
        vec![crate::DemoAccount {
            network: "nostr",
            name: "Demo Nostr",
            starter: false,
            values: vec![
                ("relays", format!("{ws}/nostr/{}", relay::DEMO)),
                // No media server: the demo relay's server list names the sandbox's, at whatever
                // port the sandbox has now.
                ("key", demo_nsec()),
            ],
        }]
    },
};

/// The demo account's secret key (hex): SHA-256 of "fanout sandbox nostr demo key". Its notes are
/// signed by anyone who has the sandbox, so it must never be used beyond it.
pub const SANDBOX_NOSTR_SECRET: &str = "29769b965f55d3ba856ae462a68cfdecd42c106bb4f8b146ac179f1bf6ec2daa";

/// The header Blossom servers give a human-readable reason for an error in.
const X_REASON: &str = "x-reason";

fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/nostr/{relay}", get(relay::connect))
        .route("/blossom/upload", put(blossom::upload).head(blossom::preflight))
        .route("/blossom/{blob}", get(blossom::blob).head(blossom::blob))
}

/// The demo key's pair; `None` only if the constant above were not a valid secret key.
pub(crate) fn demo_keys() -> Option<Keys> {
    Keys::parse(SANDBOX_NOSTR_SECRET).ok()
}

/// The demo secret key as `nsec1…`, the form a user pastes (hex if it could not be encoded).
fn demo_nsec() -> String {
    SecretKey::from_hex(SANDBOX_NOSTR_SECRET)
        .ok()
        .and_then(|key| key.to_bech32().ok())
        .unwrap_or_else(|| SANDBOX_NOSTR_SECRET.to_owned())
}

/// An error as Blossom servers answer it (and as a relay refuses a handshake): the status, with the
/// reason in `X-Reason` and as a short text body.
pub(crate) fn reject(status: StatusCode, reason: &str) -> Response {
    let header = HeaderValue::from_str(reason).unwrap_or(HeaderValue::from_static("error"));
    (status, [(X_REASON, header)], reason.to_owned()).into_response()
}

/// The answer a fault plan (or an unknown path) asks for: `status` with an `X-Reason`, and
/// `Retry-After` when the fault gives one.
fn error_for_status(status: u16, retry_after: Option<f64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = match status {
        401 => "Unauthorized",
        404 => "Not found",
        413 => "Blob is too large",
        429 => "Too many requests, slow down",
        500..=599 => "The server is having trouble, try again later",
        _ => code.canonical_reason().unwrap_or("Error"),
    };
    let mut response = reject(code, reason);
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, crate::mastodon::retry_after_header(seconds));
    }
    response
}

/// The sandbox's time in whole seconds, as Nostr timestamps count it.
fn now_secs(shared: &Shared) -> u64 {
    shared.now_ms() / 1000
}

/// 64 lowercase hex characters, as event ids and blob hashes are written.
fn is_hex64(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_64_lowercase_hex_characters() {
        assert!(is_hex64(&"a".repeat(64)));
        assert!(!is_hex64(&"A".repeat(64)), "written lowercase");
        assert!(!is_hex64("abc"));
    }

    #[test]
    fn the_demo_key_is_a_valid_secret_key_and_its_nsec_reads_back() {
        let keys = demo_keys().expect("a valid secret key");
        let nsec = demo_nsec();
        assert!(nsec.starts_with("nsec1"), "{nsec}");
        assert_eq!(Keys::parse(&nsec).expect("parses").public_key(), keys.public_key());
    }
}
