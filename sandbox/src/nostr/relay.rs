//! The relays: NIP-01 over a WebSocket's text frames, each relay name with its own store.
//! - `["EVENT", ev]` → `["OK", id, true, ""]` once stored; `true, "duplicate: …"` when it already
//!   is (or a newer version of a replaceable event is); `false, "invalid: …"` for a bad id,
//!   signature or JSON, a `created_at` over 15 minutes ahead of the sandbox's clock, an expired
//!   event (NIP-40) or a message over 128 KiB (nostr-rs-relay's default). Replaceable kinds (0, 3,
//!   10000–19999) keep only the newest per author and kind, addressable ones (30000–39999) per
//!   author, kind and `d`; ephemeral ones (20000–29999) are accepted and not kept.
//! - `["REQ", sub, filter…]` → the stored events matching any filter, newest first (each filter's
//!   `limit` respected, at most 500), then `["EOSE", sub]`; nothing live follows. A bad
//!   subscription id or filter → `["CLOSED", sub, "invalid: …"]`.
//! - `["CLOSE", sub]` → nothing (no subscription outlives its EOSE); anything else → `NOTICE`.
//!
//! A plain GET (no upgrade) answers the NIP-11 document when asked for `application/nostr+json`.
//! Bounds: 1 MiB per WebSocket message, 10,000 events per relay, 256 MiB of events and 100 relays
//! in all.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use nostr::prelude::{Event, EventBuilder, EventId, Filter, FinalizeEvent, Kind, MatchEventOptions, Tag, Timestamp};
use serde_json::{Value, json};

use super::{demo_keys, is_hex64, now_secs};
use crate::Shared;

/// The relay holding the demo key's relay and server lists.
pub(crate) const DEMO: &str = "demo";
/// The other relay the demo key's relay list names.
const MIRROR: &str = "mirror";
/// Answers every EVENT with `blocked:`.
const REFUSES: &str = "refuses";
/// Answers every EVENT with `rate-limited:`.
const BUSY: &str = "busy";
/// Closes the socket on an EVENT, without an OK.
const CLOSES: &str = "closes";

/// The largest message a relay reads (nostr-rs-relay's `max_event_bytes`, 128 KiB); a larger
/// EVENT is answered `invalid: event is too large`.
const MAX_MESSAGE: usize = 128 * 1024;
/// The largest WebSocket message accepted at all: a larger one ends the connection.
const MAX_FRAME: usize = 1024 * 1024;
/// How far ahead of the sandbox's clock an event's `created_at` may be (15 minutes).
const FUTURE_SLACK_SECS: u64 = 15 * 60;
const MAX_SUB_ID: usize = 64;
const MAX_FILTERS: usize = 10;
/// The most events one filter returns (also its `limit` when it gives none).
const MAX_LIMIT: usize = 500;
const MAX_EVENTS_PER_RELAY: usize = 10_000;
const MAX_BYTES: usize = 256 * 1024 * 1024;
const MAX_RELAYS: usize = 100;

/// Every relay's store, kept in `Shared::with`.
#[derive(Default)]
struct Relays {
    relays: HashMap<String, Store>,
    /// The JSON size of every stored event, all relays together.
    bytes: usize,
}

/// One relay's events, each with its JSON size.
#[derive(Default)]
struct Store {
    events: HashMap<EventId, (Event, usize)>,
    /// Whether the demo lists have been put here (only the demo relay has them).
    seeded: bool,
}

/// What a relay answers one client message with.
enum Reply {
    /// These text frames, in order (none for CLOSE).
    Frames(Vec<String>),
    /// A Close frame, and the end of the connection.
    Close,
}

/// `GET /nostr/{relay}`: the WebSocket, or NIP-11's document for a plain GET.
pub(crate) async fn connect(
    State(shared): State<Arc<Shared>>,
    Path(relay): Path<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return plain_get(&relay, &headers, rejection),
    };
    if relay == DEMO {
        seed_demo(&shared);
    }
    let shared = Arc::downgrade(&shared);
    upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| session(socket, shared, relay))
}

/// A GET without an upgrade: the relay information document (NIP-11) when asked for it, the
/// extractor's own refusal otherwise.
fn plain_get(relay: &str, headers: &HeaderMap, rejection: WebSocketUpgradeRejection) -> Response {
    let wants_info = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/nostr+json"));
    if !wants_info {
        return rejection.into_response();
    }
    let info = json!({
        "name": format!("Fanout sandbox relay {relay}"),
        "description": "A local stand-in relay for Fanout's demo and tests.",
        "supported_nips": [1, 11, 40],
        "software": "fanout-sandbox",
        "limitation": {
            "max_message_length": MAX_MESSAGE,
            "max_subscriptions": 1,
            "max_filters": MAX_FILTERS,
            "max_limit": MAX_LIMIT,
            "max_subid_length": MAX_SUB_ID,
            "created_at_upper_limit": FUTURE_SLACK_SECS,
            "auth_required": false,
            "payment_required": false,
        },
    });
    (StatusCode::OK, [(CONTENT_TYPE, "application/nostr+json")], info.to_string()).into_response()
}

/// One client's connection: each text frame answered in turn until either side closes, or the
/// sandbox stops (the upgraded socket outlives the HTTP connection task, so it checks).
async fn session(mut socket: WebSocket, shared: Weak<Shared>, relay: String) {
    let mut alive = tokio::time::interval(Duration::from_secs(1));
    loop {
        let received = tokio::select! {
            received = socket.recv() => received,
            _ = alive.tick() => {
                if shared.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        let Some(Ok(message)) = received else { return };
        let Some(shared) = shared.upgrade() else { return };
        let reply = match message {
            Message::Text(text) => handle(&shared, &relay, text.as_str()),
            Message::Binary(_) => Reply::Frames(vec![notice("invalid: send messages as text frames")]),
            Message::Close(_) => return,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        match reply {
            Reply::Frames(frames) => {
                for frame in frames {
                    if socket.send(Message::text(frame)).await.is_err() {
                        return;
                    }
                }
            }
            Reply::Close => {
                let frame = CloseFrame { code: 1001, reason: "the relay went away".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                return;
            }
        }
    }
}

/// The relay's answer to one client message.
fn handle(shared: &Shared, relay: &str, text: &str) -> Reply {
    let too_large = text.len() > MAX_MESSAGE;
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Reply::Frames(vec![notice("invalid: could not parse the message as a JSON array")]);
    };
    let rest = items.get(1..).unwrap_or_default();
    match items.first().and_then(Value::as_str) {
        Some("EVENT") if relay == CLOSES => Reply::Close,
        Some("EVENT") => Reply::Frames(vec![event(shared, relay, rest.first(), too_large)]),
        _ if too_large => Reply::Frames(vec![notice("invalid: the message is too large")]),
        Some("REQ") => Reply::Frames(req(shared, relay, rest)),
        Some("CLOSE") => Reply::Frames(Vec::new()),
        Some(other) => Reply::Frames(vec![notice(&format!("unsupported: unknown message type {other:?}"))]),
        None => Reply::Frames(vec![notice("invalid: a message starts with its type")]),
    }
}

fn notice(message: &str) -> String {
    json!(["NOTICE", message]).to_string()
}

fn ok(id: &str, accepted: bool, message: &str) -> String {
    json!(["OK", id, accepted, message]).to_string()
}

fn closed(sub: &str, message: &str) -> String {
    json!(["CLOSED", sub, message]).to_string()
}

/// The answer to `["EVENT", value]`: an OK, or a NOTICE when not even an id can be read.
fn event(shared: &Shared, relay: &str, value: Option<&Value>, too_large: bool) -> String {
    let Some(id) = value.and_then(|v| v.get("id")).and_then(Value::as_str).filter(|id| is_hex64(id)) else {
        return notice(if too_large { "invalid: the message is too large" } else { "invalid: EVENT needs an event" });
    };
    if too_large {
        return ok(id, false, "invalid: event is too large");
    }
    match relay {
        REFUSES => return ok(id, false, "blocked: this relay does not take notes from you"),
        BUSY => return ok(id, false, "rate-limited: slow down, try again in a minute"),
        _ => {}
    }
    let event = match value.map(|v| serde_json::from_value::<Event>(v.clone())) {
        Some(Ok(event)) => event,
        _ => return ok(id, false, "invalid: the event is malformed"),
    };
    if let Err(reason) = check(&event, now_secs(shared)) {
        return ok(id, false, reason);
    }
    if event.kind.is_ephemeral() {
        return ok(id, true, "");
    }
    let size = value.map_or(0, |v| v.to_string().len());
    let (accepted, message) = shared.with(|relays: &mut Relays| relays.store(relay, event, size));
    ok(id, accepted, message)
}

/// What NIP-01 (and NIP-40) ask of an event before it is stored, as an `invalid:` reason.
fn check(event: &Event, now: u64) -> Result<(), &'static str> {
    if !event.verify_id() {
        return Err("invalid: event id does not match the event");
    }
    if event.verify().is_err() {
        return Err("invalid: signature does not match the event");
    }
    if event.created_at.as_secs() > now.saturating_add(FUTURE_SLACK_SECS) {
        return Err("invalid: created_at too far in the future");
    }
    if event.is_expired_at(Timestamp::from_secs(now)) {
        return Err("invalid: event has expired");
    }
    Ok(())
}

/// Kinds of which only the newest per author and kind is kept (NIP-01).
fn is_replaceable(kind: Kind) -> bool {
    let kind = kind.as_u16();
    kind == 0 || kind == 3 || (10_000..20_000).contains(&kind)
}

/// Whether `b` is a version of `a` that only one of them may be kept of: a replaceable or
/// addressable kind, same author and kind (and `d`, for addressable kinds).
fn same_slot(a: &Event, b: &Event) -> bool {
    let slot = is_replaceable(a.kind) || a.kind.is_addressable();
    slot && a.pubkey == b.pubkey
        && a.kind == b.kind
        && (!a.kind.is_addressable() || a.tags.identifier() == b.tags.identifier())
}

impl Relays {
    /// Stores `event` (its JSON `size` bytes) on `relay`: the OK's status and message.
    fn store(&mut self, relay: &str, event: Event, size: usize) -> (bool, &'static str) {
        if !self.relays.contains_key(relay) && self.relays.len() >= MAX_RELAYS {
            return (false, "error: the sandbox holds too many relays");
        }
        let store = self.relays.entry(relay.to_owned()).or_default();
        if store.events.contains_key(&event.id) {
            return (true, "duplicate: already have this event");
        }
        let older: Vec<EventId> = store
            .events
            .values()
            .filter(|(stored, _)| same_slot(&event, stored))
            .map(|(stored, _)| stored.id)
            .collect();
        // Event's order puts the newer first (and, at the same second, the lower id, which NIP-01 keeps).
        if older.iter().filter_map(|id| store.events.get(id)).any(|(stored, _)| *stored < event) {
            return (true, "duplicate: have a newer version of this event");
        }
        let freed: usize = older.iter().filter_map(|id| store.events.get(id)).map(|(_, size)| size).sum();
        let bytes = self.bytes.saturating_sub(freed);
        if store.events.len() - older.len() >= MAX_EVENTS_PER_RELAY || bytes.saturating_add(size) > MAX_BYTES {
            return (false, "error: this relay is full");
        }
        for id in &older {
            store.events.remove(id);
        }
        store.events.insert(event.id, (event, size));
        self.bytes = bytes + size;
        (true, "")
    }

    /// The events on `relay` matching any of `filters`, newest first; expired ones are left out.
    fn query(&self, relay: &str, filters: &[Filter], now: u64) -> Vec<Event> {
        let Some(store) = self.relays.get(relay) else { return Vec::new() };
        let mut newest_first: Vec<&Event> = store
            .events
            .values()
            .map(|(event, _)| event)
            .filter(|event| !event.is_expired_at(Timestamp::from_secs(now)))
            .collect();
        newest_first.sort();
        let mut found: BTreeSet<&Event> = BTreeSet::new();
        for filter in filters {
            let limit = filter.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
            let matching = newest_first.iter().filter(|event| filter.match_event(event, MatchEventOptions::new()));
            found.extend(matching.take(limit));
        }
        found.into_iter().cloned().collect()
    }

    fn seeded(&self, relay: &str) -> bool {
        self.relays.get(relay).is_some_and(|store| store.seeded)
    }

    /// Puts `events` on `relay` once, as its first content.
    fn seed(&mut self, relay: &str, events: Vec<Event>) {
        if self.seeded(relay) {
            return;
        }
        for event in events {
            let size = event.try_as_json().map_or(0, |json| json.len());
            self.store(relay, event, size);
        }
        if let Some(store) = self.relays.get_mut(relay) {
            store.seeded = true;
        }
    }
}

/// The answer to `["REQ", sub, filter…]`: the matching events, then EOSE; or CLOSED.
fn req(shared: &Shared, relay: &str, rest: &[Value]) -> Vec<String> {
    let Some(sub) = rest.first().and_then(Value::as_str) else {
        return vec![notice("invalid: REQ needs a subscription id")];
    };
    if sub.is_empty() || sub.chars().count() > MAX_SUB_ID {
        return vec![closed(sub, "invalid: a subscription id has 1 to 64 characters")];
    }
    let filters = rest.get(1..).unwrap_or_default();
    if filters.is_empty() || filters.len() > MAX_FILTERS {
        return vec![closed(sub, "invalid: REQ takes 1 to 10 filters")];
    }
    let filters: Result<Vec<Filter>, _> = filters.iter().map(|f| serde_json::from_value::<Filter>(f.clone())).collect();
    let Ok(filters) = filters else {
        return vec![closed(sub, "invalid: a filter could not be read")];
    };
    let now = now_secs(shared);
    let events = shared.with(|relays: &mut Relays| relays.query(relay, &filters, now));
    let mut frames: Vec<String> = events.iter().map(|event| json!(["EVENT", sub, event]).to_string()).collect();
    frames.push(json!(["EOSE", sub]).to_string());
    frames
}

/// Puts the demo key's relay list (NIP-65) and Blossom server list (BUD-03) on the demo relay,
/// the first time it is used.
fn seed_demo(shared: &Shared) {
    if shared.with(|relays: &mut Relays| relays.seeded(DEMO)) {
        return;
    }
    let Some(keys) = demo_keys() else { return };
    let host = &shared.host;
    let created_at = Timestamp::from_secs(now_secs(shared));
    let relay_list = EventBuilder::new(Kind::RelayList, "").tags([
        Tag::custom("r", [format!("ws://{host}/nostr/{DEMO}")]),
        Tag::custom("r", [format!("ws://{host}/nostr/{MIRROR}"), "write".to_owned()]),
    ]);
    let server_list =
        EventBuilder::new(Kind::BlossomServerList, "").tag(Tag::custom("server", [format!("http://{host}/blossom")]));
    let events: Vec<Event> = [relay_list, server_list]
        .into_iter()
        .filter_map(|builder| builder.custom_created_at(created_at).finalize(&keys).ok())
        .collect();
    shared.with(|relays: &mut Relays| relays.seed(DEMO, events));
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::prelude::Keys;

    fn note(keys: &Keys, kind: u16, at: u64) -> Event {
        EventBuilder::new(Kind::from(kind), "x")
            .custom_created_at(Timestamp::from_secs(at))
            .finalize(keys)
            .expect("signed")
    }

    #[test]
    fn a_replaceable_event_keeps_only_the_newest_per_author_and_kind() {
        let keys = Keys::generate();
        let mut relays = Relays::default();
        let old = note(&keys, 10_002, 100);
        let new = note(&keys, 10_002, 200);
        assert_eq!(relays.store("r", old.clone(), 10), (true, ""));
        assert_eq!(relays.store("r", new.clone(), 10), (true, ""));
        assert_eq!(relays.store("r", old, 10), (true, "duplicate: have a newer version of this event"));
        let kept = relays.query("r", &[Filter::new().kind(Kind::from(10_002))], 300);
        assert_eq!(kept, vec![new], "only the newest is kept");
        assert_eq!(relays.bytes, 10, "the replaced event's bytes are freed");
    }

    #[test]
    fn a_query_is_newest_first_and_limited_per_filter() {
        let keys = Keys::generate();
        let mut relays = Relays::default();
        for at in [100, 300, 200] {
            relays.store("r", note(&keys, 1, at), 10);
        }
        let found = relays.query("r", &[Filter::new().kind(Kind::TextNote).limit(2)], 400);
        let times: Vec<u64> = found.iter().map(|e| e.created_at.as_secs()).collect();
        assert_eq!(times, vec![300, 200]);
    }
}
