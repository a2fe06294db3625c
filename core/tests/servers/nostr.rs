//! Nostr against real relays no one here wrote — `nostr-rs-relay` from crates.io, started by the
//! test on 127.0.0.1 with a SQLite store of its own (`make test` installs it): the key's NIP-65
//! relay list on one relay names another, the note is published there, read back by id with a
//! valid signature, a resend of the same signed note leaves one event, and a relay that allows
//! only listed authors refuses with its own `blocked:` reason. The photo goes to the sandbox's
//! Blossom server.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, FailureKind, NetworkKind};
use fanout_core::secrets::Secret;
use futures::{SinkExt, StreamExt};
use nostr::prelude::{Event, FinalizeEvent, Keys, Kind, RelayMetadata, RelayUrl, ToBech32};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::{Env, env};

/// A `nostr-rs-relay` on a free loopback port, for as long as the test holds it.
struct Relay {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Relay {
    /// Starts a relay; with `only`, it takes events from that author alone.
    fn start(only: Option<&Keys>) -> Relay {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let mut config = format!(
            "[info]\nrelay_url = \"ws://127.0.0.1:{port}/\"\nname = \"fanout test relay\"\n\n[database]\ndata_directory = \"{}\"\n\n[network]\naddress = \"127.0.0.1\"\nport = {port}\n\n[options]\nreject_future_seconds = 1800\n",
            dir.path().display()
        );
        if let Some(author) = only {
            config.push_str(&format!("\n[authorization]\npubkey_whitelist = [\"{}\"]\n", author.public_key().to_hex()));
        }
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config).expect("write the config");
        let log = std::fs::File::create(dir.path().join("relay.log")).expect("log file");
        let child = std::process::Command::new("nostr-rs-relay")
            .arg("--config")
            .arg(&config_path)
            .arg("--db")
            .arg(dir.path())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("nostr-rs-relay is missing: run `make test`, which installs it (cargo install nostr-rs-relay)");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nostr-rs-relay did not start within 30 s:\n{}",
                std::fs::read_to_string(dir.path().join("relay.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Relay { child, url: format!("ws://127.0.0.1:{port}"), _dir: dir }
    }

    /// Sends `event` and returns the relay's `OK`: accepted, and its words.
    async fn send(&self, event: &Event) -> (bool, String) {
        let (mut socket, _) = tokio_tungstenite::connect_async(&self.url).await.expect("the relay answers");
        socket.send(Message::text(json!(["EVENT", event]).to_string())).await.expect("EVENT");
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let answer: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
            if answer[0] == "OK" {
                return (answer[2].as_bool().expect("status"), answer[3].as_str().unwrap_or_default().to_owned());
            }
        }
        panic!("the relay closed without an OK");
    }

    /// The stored events `filter` selects.
    async fn fetch(&self, filter: serde_json::Value) -> Vec<Event> {
        let (mut socket, _) = tokio_tungstenite::connect_async(&self.url).await.expect("the relay answers");
        socket.send(Message::text(json!(["REQ", "t", filter]).to_string())).await.expect("REQ");
        let mut events = Vec::new();
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let answer: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
            match answer[0].as_str() {
                Some("EVENT") => events.push(Event::from_json(answer[2].to_string()).expect("an event")),
                Some("EOSE") => break,
                _ => {}
            }
        }
        events
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Env {
    async fn nostr_on(&self, relay: &Relay, keys: &Keys, media: bool) -> fanout_core::Result<Account> {
        let mut credentials = Credentials::new(NetworkKind::Nostr)
            .text("relays", &relay.url)
            .secret("key", Secret::new(keys.secret_key().to_bech32().expect("nsec")));
        if media {
            credentials = credentials.text("media", format!("{}/blossom", self.sandbox.url()));
        }
        self.accounts().add(NewAccount { name: None, credentials, enabled: true, demo: false }).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_goes_to_the_write_relay_of_the_keys_list_reads_back_signed_and_a_resend_leaves_one() {
    let env = env("{}").await;
    let (home, write) = (Relay::start(None), Relay::start(None));
    let keys = Keys::generate();
    // The key's NIP-65 list on its home relay: it writes to the other relay, and reads only here.
    let list = nostr::prelude::RelayList::new([
        (RelayUrl::parse(&write.url).expect("url"), Some(RelayMetadata::Write)),
        (RelayUrl::parse(&home.url).expect("url"), Some(RelayMetadata::Read)),
    ]);
    let list = list.finalize(&keys).expect("signed list");
    assert!(home.send(&list).await.0, "the home relay keeps the relay list");

    let account = env.nostr_on(&home, &keys, true).await.expect("links against the real relay");
    let ids = env.post("Rye from the real relay #bakery", vec![env.photo()], &[&account]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    assert_eq!(delivery.state, DeliveryState::Sent, "{:?}", delivery.last_error);
    let answers = &delivery.checkpoint["answers"];
    assert_eq!(answers[&write.url]["outcome"], "accepted", "{answers}");
    assert!(answers.get(&home.url).is_none(), "a read-only relay is not written to: {answers}");

    let id = delivery.checkpoint["note"].as_str().map(|n| Event::from_json(n).expect("event").id).expect("the note");
    let found = write.fetch(json!({ "ids": [id.to_hex()] })).await;
    assert_eq!(found.len(), 1, "the write relay has the note");
    let note = &found[0];
    assert!(note.verify().is_ok(), "its signature checks");
    assert_eq!(note.pubkey, keys.public_key());
    assert_eq!(note.kind, Kind::TextNote);
    assert!(note.content.starts_with("Rye from the real relay #bakery\n"), "{}", note.content);
    let tags: Vec<Vec<String>> = note.tags.iter().map(|t| t.as_slice().to_vec()).collect();
    assert!(tags.contains(&vec!["t".to_owned(), "bakery".to_owned()]), "{tags:?}");
    assert!(tags.iter().any(|t| t[0] == "imeta" && t.iter().any(|v| v.starts_with("url "))), "{tags:?}");
    assert_eq!(delivery.remote_id, Some(id.to_bech32().expect("note1")));

    let (ok, words) = write.send(note).await;
    assert!(ok && words.starts_with("duplicate:"), "a resend is the same event: {ok} {words}");
    let kept = write.fetch(json!({ "authors": [keys.public_key().to_hex()], "kinds": [1] })).await;
    assert_eq!(kept.len(), 1, "and leaves one event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_takes_only_listed_authors_refuses_with_its_own_reason() {
    let env = env("{}").await;
    let relay = Relay::start(Some(&Keys::generate()));
    let account = env.nostr_on(&relay, &Keys::generate(), false).await.expect("reading is allowed");
    let ids = env.post("Not allowed here", vec![], &[&account]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    assert_ne!(delivery.state, DeliveryState::Sent);
    let error = delivery.last_error.expect("why");
    assert_eq!(error.kind, FailureKind::Rejected, "{error:?}");
    assert!(error.message.contains("blocked: pubkey is not allowed to publish to this relay"), "{}", error.message);
    assert!(relay.fetch(json!({ "kinds": [1] })).await.is_empty(), "the relay kept nothing");
}
