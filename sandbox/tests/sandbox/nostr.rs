//! The Nostr relays over a real WebSocket on loopback, and the Blossom server over HTTP.

use std::time::Duration;

use ::nostr::prelude::{Event, EventBuilder, FinalizeEvent, Keys, Kind, Tag, Timestamp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fanout_sandbox::{Fault, FaultPlan, RouteFaults, Sandbox};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{client, json, png, start};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn relay_url(sandbox: &Sandbox, relay: &str) -> String {
    format!("{}/nostr/{relay}", sandbox.url().replacen("http://", "ws://", 1))
}

async fn open(sandbox: &Sandbox, relay: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(relay_url(sandbox, relay)).await.expect("the relay accepts");
    socket
}

async fn send(socket: &mut Socket, message: &Value) {
    socket.send(Message::text(message.to_string())).await.expect("sent");
}

/// The relay's next message: a JSON text frame, or `None` when it closed the socket.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("the relay answers");
        match message {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(text.as_str()).expect("JSON")),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Sends `event` and returns the relay's OK: `[status, message]`.
async fn publish(socket: &mut Socket, event: &Event) -> (bool, String) {
    send(socket, &json!(["EVENT", event])).await;
    let answer = next(socket).await.expect("an answer");
    assert_eq!(answer[0], "OK", "{answer}");
    assert_eq!(answer[1], event.id.to_hex(), "the OK names the event");
    (answer[2].as_bool().expect("a status"), answer[3].as_str().expect("a message").to_owned())
}

/// The stored events matching `filter`, read until EOSE.
async fn fetch(socket: &mut Socket, filter: Value) -> Vec<Event> {
    send(socket, &json!(["REQ", "q", filter])).await;
    let mut events = Vec::new();
    loop {
        let message = next(socket).await.expect("a message");
        match message[0].as_str() {
            Some("EVENT") => {
                assert_eq!(message[1], "q", "under its subscription");
                events.push(serde_json::from_value(message[2].clone()).expect("an event"));
            }
            Some("EOSE") => return events,
            _ => panic!("unexpected {message}"),
        }
    }
}

fn note(keys: &Keys, text: &str) -> Event {
    EventBuilder::new(Kind::TextNote, text).finalize(keys).expect("signed")
}

#[tokio::test]
async fn a_published_note_is_ok_and_a_req_by_id_returns_it_verified_then_eose() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "damus").await;
    let keys = Keys::generate();
    let event = note(&keys, "hi");
    assert_eq!(publish(&mut socket, &event).await, (true, String::new()));
    let found = fetch(&mut socket, json!({"ids": [event.id.to_hex()]})).await;
    assert_eq!(found, vec![event], "the same event comes back");
    assert!(found[0].verify().is_ok(), "its id and signature hold");
    let route: Vec<String> = sandbox.requests().into_iter().map(|r| r.route).collect();
    assert_eq!(route, vec!["GET /nostr/{relay}"], "the upgrade is logged under the relays' route");
}

#[tokio::test]
async fn a_resent_note_is_a_duplicate_that_is_ok_and_stored_once() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "nos").await;
    let event = note(&Keys::generate(), "once");
    assert!(publish(&mut socket, &event).await.0);
    let (accepted, message) = publish(&mut socket, &event).await;
    assert!(accepted, "a duplicate is still a success");
    assert!(message.starts_with("duplicate:"), "{message}");
    assert_eq!(fetch(&mut socket, json!({"kinds": [1]})).await.len(), 1, "stored once");
}

#[tokio::test]
async fn a_tampered_signature_or_id_is_invalid_and_not_stored() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "nos").await;
    let mut value = serde_json::to_value(note(&Keys::generate(), "signed")).expect("JSON");
    let sig = value["sig"].as_str().expect("a sig").to_owned();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    value["sig"] = json!(format!("{flipped}{}", &sig[1..]));
    send(&mut socket, &json!(["EVENT", value])).await;
    let answer = next(&mut socket).await.expect("an answer");
    assert_eq!(answer[2], false, "{answer}");
    assert!(answer[3].as_str().is_some_and(|m| m.starts_with("invalid:")), "{answer}");

    let mut value = serde_json::to_value(note(&Keys::generate(), "signed")).expect("JSON");
    value["content"] = json!("changed after signing");
    send(&mut socket, &json!(["EVENT", value])).await;
    let answer = next(&mut socket).await.expect("an answer");
    assert_eq!(answer[2], false, "{answer}");
    assert!(answer[3].as_str().is_some_and(|m| m.starts_with("invalid:")), "a changed content breaks the id: {answer}");
    assert!(fetch(&mut socket, json!({"kinds": [1]})).await.is_empty(), "nothing invalid is stored");
}

#[tokio::test]
async fn future_oversized_and_malformed_messages_get_nip01_answers() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "strict").await;
    let keys = Keys::generate();
    let ahead = Timestamp::from_secs(sandbox.clock().now_ms() / 1000 + 16 * 60);
    let future = EventBuilder::new(Kind::TextNote, "later").custom_created_at(ahead).finalize(&keys).expect("signed");
    assert_eq!(publish(&mut socket, &future).await, (false, "invalid: created_at too far in the future".to_owned()));

    let big = note(&keys, &"x".repeat(130 * 1024));
    assert_eq!(publish(&mut socket, &big).await, (false, "invalid: event is too large".to_owned()));

    send(&mut socket, &json!(["REQ", "", {}])).await;
    let closed = next(&mut socket).await.expect("an answer");
    assert_eq!((closed[0].as_str(), closed[1].as_str()), (Some("CLOSED"), Some("")), "{closed}");
    assert!(closed[2].as_str().is_some_and(|m| m.starts_with("invalid:")));
    send(&mut socket, &json!(["REQ", "x".repeat(65), {}])).await;
    assert_eq!(next(&mut socket).await.expect("an answer")[0], "CLOSED", "a sub id over 64 characters");

    send(&mut socket, &json!(["HELLO"])).await;
    assert_eq!(next(&mut socket).await.expect("an answer")[0], "NOTICE");
    socket.send(Message::text("not json")).await.expect("sent");
    assert_eq!(next(&mut socket).await.expect("an answer")[0], "NOTICE");
    send(&mut socket, &json!(["CLOSE", "q"])).await;
    assert!(fetch(&mut socket, json!({"limit": 5})).await.is_empty(), "CLOSE got no answer, the socket still serves");
}

#[tokio::test]
async fn the_refusing_and_busy_relays_answer_every_event_false_with_their_prefix() {
    let sandbox = start().await;
    let event = note(&Keys::generate(), "anyone there?");
    let mut refuses = open(&sandbox, "refuses").await;
    assert_eq!(
        publish(&mut refuses, &event).await,
        (false, "blocked: this relay does not take notes from you".to_owned())
    );
    let mut busy = open(&sandbox, "busy").await;
    assert_eq!(publish(&mut busy, &event).await, (false, "rate-limited: slow down, try again in a minute".to_owned()));
    assert!(fetch(&mut busy, json!({"kinds": [1]})).await.is_empty(), "nothing was kept");
}

#[tokio::test]
async fn the_closing_relay_closes_the_socket_instead_of_answering() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "closes").await;
    send(&mut socket, &json!(["EVENT", note(&Keys::generate(), "bye")])).await;
    let frame = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("the relay acts");
    assert!(matches!(frame, Some(Ok(Message::Close(Some(_))))), "a Close frame, no OK: {frame:?}");
}

#[tokio::test]
async fn an_open_relay_socket_ends_when_the_sandbox_stops() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "damus").await;
    assert!(publish(&mut socket, &note(&Keys::generate(), "still here")).await.0, "the session is running");
    sandbox.shutdown().await;
    let end = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
    assert!(matches!(end, Ok(None | Some(Err(_) | Ok(Message::Close(_))))), "the socket ends: {end:?}");
}

#[tokio::test]
async fn two_relay_names_keep_separate_stores() {
    let sandbox = start().await;
    let keys = Keys::generate();
    let mut first = open(&sandbox, "first").await;
    let mut second = open(&sandbox, "second").await;
    let one = note(&keys, "one");
    let two = note(&keys, "two");
    assert!(publish(&mut first, &one).await.0);
    assert!(publish(&mut second, &two).await.0);
    assert_eq!(fetch(&mut first, json!({"kinds": [1]})).await, vec![one.clone()]);
    assert_eq!(fetch(&mut second, json!({"kinds": [1]})).await, vec![two]);
    let mut again = open(&sandbox, "first").await;
    assert_eq!(fetch(&mut again, json!({"authors": [keys.public_key().to_hex()]})).await, vec![one], "kept per name");
}

#[tokio::test]
async fn filters_select_by_author_kind_time_hashtag_and_limit_newest_first() {
    let sandbox = start().await;
    let mut socket = open(&sandbox, "filters").await;
    let (alice, bob) = (Keys::generate(), Keys::generate());
    let at = |secs: u64, keys: &Keys, tag: &str| {
        EventBuilder::new(Kind::TextNote, tag)
            .tag(Tag::hashtag(tag))
            .custom_created_at(Timestamp::from_secs(1_700_000_000 + secs))
            .finalize(keys)
            .expect("signed")
    };
    let notes = [at(1, &alice, "bread"), at(2, &alice, "cake"), at(3, &alice, "bread"), at(4, &bob, "bread")];
    for event in &notes {
        assert!(publish(&mut socket, event).await.0);
    }
    let alices = fetch(&mut socket, json!({"authors": [alice.public_key().to_hex()], "kinds": [1]})).await;
    assert_eq!(alices, vec![notes[2].clone(), notes[1].clone(), notes[0].clone()], "newest first");
    let bread = fetch(&mut socket, json!({"#t": ["bread"], "limit": 2})).await;
    assert_eq!(bread, vec![notes[3].clone(), notes[2].clone()], "limit keeps the newest");
    let window = fetch(&mut socket, json!({"since": 1_700_000_002, "until": 1_700_000_003})).await;
    assert_eq!(window, vec![notes[2].clone(), notes[1].clone()]);
}

#[tokio::test]
async fn the_demo_relay_holds_the_demo_keys_relay_list_and_blossom_server_list() {
    let sandbox = start().await;
    let demo = fanout_sandbox::demo_accounts(&sandbox.url())
        .into_iter()
        .find(|d| d.network == "nostr")
        .expect("a Nostr demo account");
    let value = |key: &str| demo.values.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).expect(key);
    let keys = Keys::parse(&value("key")).expect("the demo key is an nsec");
    assert!(value("key").starts_with("nsec1"));
    assert_eq!(value("relays"), relay_url(&sandbox, "demo"));
    assert!(!demo.starter);

    let mut socket = open(&sandbox, "demo").await;
    let author = keys.public_key().to_hex();
    let lists = fetch(&mut socket, json!({"authors": [author], "kinds": [10002, 10063]})).await;
    assert_eq!(lists.len(), 2, "{lists:?}");
    let host = sandbox.url().replacen("http://", "", 1);
    for list in &lists {
        assert!(list.verify().is_ok());
        assert_eq!(list.pubkey, keys.public_key(), "signed by the demo key");
        let tags: Vec<Vec<String>> = list.tags.iter().map(|t| t.as_slice().to_vec()).collect();
        match list.kind.as_u16() {
            10002 => {
                let urls: Vec<&str> = tags.iter().filter(|t| t[0] == "r").map(|t| t[1].as_str()).collect();
                assert_eq!(urls, vec![format!("ws://{host}/nostr/demo"), format!("ws://{host}/nostr/mirror")]);
                assert!(tags.iter().all(|t| t.get(2).is_none_or(|m| m == "write")), "both written to: {tags:?}");
            }
            10063 => assert_eq!(tags, vec![vec!["server".to_owned(), format!("http://{host}/blossom")]]),
            other => panic!("kind {other}"),
        }
    }
}

#[tokio::test]
async fn a_status_fault_on_the_relays_route_refuses_the_websocket() {
    let sandbox = start().await;
    sandbox.set_faults(
        FaultPlan::default()
            .with_route("GET /nostr/{relay}", RouteFaults { latency_ms: 0, faults: vec![Fault::status(503)] }),
    );
    match tokio_tungstenite::connect_async(relay_url(&sandbox, "damus")).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert!(response.headers().contains_key("x-reason"));
        }
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the fault must refuse the connection"),
    }
    let mut socket = open(&sandbox, "damus").await;
    assert!(publish(&mut socket, &note(&Keys::generate(), "after")).await.0, "the fault was used up");
    let faults: Vec<Option<String>> = sandbox.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults, vec![Some("status 503".to_owned()), None]);
}

#[tokio::test]
async fn a_plain_get_of_a_relay_with_the_nostr_accept_header_answers_nip11() {
    let sandbox = start().await;
    let response = client()
        .get(format!("{}/nostr/damus", sandbox.url()))
        .header("accept", "application/nostr+json")
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["limitation"]["max_message_length"], 131_072);
}

fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// `Authorization: Nostr …` for uploading a blob of `sha256`, expiring at `expiration` (UNIX s).
fn upload_auth(keys: &Keys, sha256: &str, created_at: u64, expiration: u64) -> String {
    let event = EventBuilder::new(Kind::BlossomAuth, "Upload Blob")
        .tags([
            Tag::hashtag("upload"),
            Tag::expiration(Timestamp::from_secs(expiration)),
            Tag::custom("x", [sha256.to_owned()]),
        ])
        .custom_created_at(Timestamp::from_secs(created_at))
        .finalize(keys)
        .expect("signed");
    format!("Nostr {}", URL_SAFE_NO_PAD.encode(serde_json::to_string(&event).expect("JSON")))
}

async fn put_blob(sandbox: &Sandbox, data: Vec<u8>, auth: Option<String>) -> reqwest::Response {
    let mut request = client().put(format!("{}/blossom/upload", sandbox.url())).header("content-type", "image/png");
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    request.body(data).send().await.expect("answered")
}

fn now_secs(sandbox: &Sandbox) -> u64 {
    sandbox.clock().now_ms() / 1000
}

#[tokio::test]
async fn a_blossom_upload_is_201_then_200_and_the_blob_is_served() {
    let sandbox = start().await;
    let keys = Keys::generate();
    let data = png(4096);
    let hash = sha256(&data);
    let now = now_secs(&sandbox);
    let first = put_blob(&sandbox, data.clone(), Some(upload_auth(&keys, &hash, now, now + 300))).await;
    assert_eq!(first.status(), 201);
    let descriptor = json(first).await;
    assert_eq!(descriptor["url"], format!("{}/blossom/{hash}.png", sandbox.url()));
    assert_eq!((descriptor["sha256"].as_str(), descriptor["size"].as_u64()), (Some(hash.as_str()), Some(4096)));
    assert_eq!(descriptor["type"], "image/png");
    assert!(descriptor["uploaded"].as_u64().is_some_and(|t| t.abs_diff(now) <= 1));

    let again = put_blob(&sandbox, data.clone(), Some(upload_auth(&keys, &hash, now, now + 300))).await;
    assert_eq!(again.status(), 200, "already stored");
    assert_eq!(json(again).await, descriptor);

    let url = descriptor["url"].as_str().expect("a url");
    let got = client().get(url).send().await.expect("answered");
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.expect("the bytes").to_vec(), data);
    let head = client().head(format!("{}/blossom/{hash}", sandbox.url())).send().await.expect("answered");
    assert_eq!((head.status().as_u16(), head.headers()["content-length"].to_str().ok()), (200, Some("4096")));
    let missing = client().get(format!("{}/blossom/{}.png", sandbox.url(), "0".repeat(64))).send().await;
    let missing = missing.expect("answered");
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-reason"));
}

#[tokio::test]
async fn a_blossom_upload_with_a_bad_authorization_is_401_with_a_reason() {
    let sandbox = start().await;
    let keys = Keys::generate();
    let data = png(100);
    let hash = sha256(&data);
    let now = now_secs(&sandbox);
    let cases = [
        ("no header", None),
        ("another blob's x", Some(upload_auth(&keys, &sha256(b"other"), now, now + 300))),
        ("expired", Some(upload_auth(&keys, &hash, now - 600, now - 10))),
        ("made in the future", Some(upload_auth(&keys, &hash, now + 600, now + 900))),
        ("not base64", Some("Nostr %%%".to_owned())),
    ];
    for (case, auth) in cases {
        let response = put_blob(&sandbox, data.clone(), auth).await;
        assert_eq!(response.status(), 401, "{case}");
        let reason = response.headers().get("x-reason").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(!reason.is_empty(), "{case}: X-Reason says why");
    }
    let expired = put_blob(&sandbox, data.clone(), Some(upload_auth(&keys, &hash, now - 600, now - 10))).await;
    assert!(expired.headers()["x-reason"].to_str().is_ok_and(|r| r.contains("expired")));
    let wrong_x = put_blob(&sandbox, data, Some(upload_auth(&keys, &sha256(b"other"), now, now + 300))).await;
    assert!(wrong_x.headers()["x-reason"].to_str().is_ok_and(|r| r.contains("x tag")));

    // Standard base64 with padding is taken too.
    let data = png(101);
    let hash = sha256(&data);
    let auth = upload_auth(&keys, &hash, now, now + 300);
    let json_bytes = URL_SAFE_NO_PAD.decode(auth.trim_start_matches("Nostr ")).expect("decodes");
    let standard = format!("Nostr {}", base64::engine::general_purpose::STANDARD.encode(json_bytes));
    assert_eq!(put_blob(&sandbox, data, Some(standard)).await.status(), 201);
}

#[tokio::test]
async fn blossom_preflight_and_empty_bodies_are_answered_with_reasons() {
    let sandbox = start().await;
    let head = |length: &str| {
        client()
            .head(format!("{}/blossom/upload", sandbox.url()))
            .header("x-sha-256", "a".repeat(64))
            .header("x-content-length", length)
            .header("x-content-type", "image/png")
            .send()
    };
    assert_eq!(head("1000").await.expect("answered").status(), 200);
    let too_big = head("200000000").await.expect("answered");
    assert_eq!(too_big.status(), 413);
    assert!(too_big.headers().contains_key("x-reason"));
    assert_eq!(put_blob(&sandbox, Vec::new(), None).await.status(), 400, "an empty body");
}

#[tokio::test]
async fn a_fault_under_blossom_carries_x_reason_and_retry_after() {
    let sandbox = start().await;
    sandbox.set_faults(FaultPlan::default().with_route(
        "PUT /blossom/upload",
        RouteFaults { latency_ms: 0, faults: vec![Fault::status(429).retry_after(2.5)] },
    ));
    let response = put_blob(&sandbox, png(10), None).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    assert!(response.headers().contains_key("x-reason"));
}

#[test]
fn the_demo_accounts_include_nostr_with_its_relay_and_key() {
    let demos = fanout_sandbox::demo_accounts("http://127.0.0.1:4000");
    let nostr = demos.iter().find(|d| d.network == "nostr").expect("a Nostr demo account");
    assert_eq!(nostr.name, "Demo Nostr");
    let keys: Vec<&str> = nostr.values.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, vec!["relays", "key"], "the media server comes from the demo relay's server list");
    assert_eq!(nostr.values[0].1, "ws://127.0.0.1:4000/nostr/demo");
}
