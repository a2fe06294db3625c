//! Nostr against the sandbox's relays and Blossom server: the demo key's relay list and server
//! list are read, a photo is uploaded with a signed authorisation and shown by an `imeta` tag,
//! the signed note reaches every write relay and reads back verified, each relay's answer is
//! checkpointed, a refusing relay gives its reason, and a relay that closes the socket leaves the
//! outcome to a reconcile that asks the relays for the note.

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, FailureKind, NetworkKind};
use fanout_core::worker::StopWhen;
use futures::{SinkExt, StreamExt};
use nostr::prelude::{Event, FromBech32, Keys, ToBech32};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;

use super::{Env, env};

impl Env {
    fn relay(&self, name: &str) -> String {
        format!("{}/nostr/{name}", self.sandbox.url().replacen("http://", "ws://", 1))
    }

    async fn nostr(&self, relays: &[&str], key: Option<String>) -> fanout_core::Result<Account> {
        let relays: Vec<String> = relays.iter().map(|r| self.relay(r)).collect();
        let mut credentials = Credentials::new(NetworkKind::Nostr).text("relays", relays.join(" "));
        if let Some(key) = key {
            credentials = credentials.secret("key", fanout_core::secrets::Secret::new(key));
        }
        self.accounts().add(NewAccount { name: None, credentials, enabled: true, demo: true }).await
    }

    /// The demo account, linked with the values the sandbox serves for it.
    async fn demo_nostr(&self) -> Account {
        let demo = fanout_sandbox::demo_accounts(&self.sandbox.url())
            .into_iter()
            .find(|d| d.network == "nostr")
            .expect("a Nostr demo account");
        let credentials = self.registry.credentials(demo.network, demo.values).expect("its values");
        self.accounts().add(NewAccount { name: None, credentials, enabled: true, demo: true }).await.expect("links")
    }
}

/// The events a relay gives for `filter` (NIP-01 JSON), each as the relay sent it.
async fn fetch(relay: &str, filter: serde_json::Value) -> Vec<Event> {
    let (mut socket, _) = tokio_tungstenite::connect_async(relay).await.expect("the relay answers");
    socket.send(Message::text(serde_json::json!(["REQ", "t", filter]).to_string())).await.expect("REQ");
    let mut events = Vec::new();
    while let Some(Ok(Message::Text(text))) = socket.next().await {
        let message: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
        match message[0].as_str() {
            Some("EVENT") => events.push(Event::from_json(message[2].to_string()).expect("an event")),
            Some("EOSE") => break,
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    events
}

/// Sends `event` to `relay` and returns its `OK`.
async fn resend(relay: &str, event: &Event) -> (bool, String) {
    let (mut socket, _) = tokio_tungstenite::connect_async(relay).await.expect("the relay answers");
    socket.send(Message::text(serde_json::json!(["EVENT", event]).to_string())).await.expect("EVENT");
    let Some(Ok(Message::Text(text))) = socket.next().await else { panic!("no answer") };
    let ok: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
    (ok[2].as_bool().expect("status"), ok[3].as_str().unwrap_or_default().to_owned())
}

fn note_of(delivery: &fanout_core::model::Delivery) -> Event {
    Event::from_json(delivery.checkpoint["note"].as_str().expect("the signed note is checkpointed")).expect("event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_with_a_photo_reaches_every_write_relay_signed_with_its_imeta_and_hashtags() {
    let env = env("{}").await;
    let account = env.demo_nostr().await;
    let npub = account.remote_id.clone().expect("the key's npub");
    assert!(npub.starts_with("npub1"), "{npub}");
    assert!(account.name.starts_with("Nostr: npub1"), "{}", account.name);

    let ids = env.post("Fresh rye at nine #Bakery https://example.com/menu", vec![env.photo()], &[&account]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    assert_eq!(delivery.state, DeliveryState::Sent, "{:?}", delivery.last_error);
    let note = note_of(&delivery);
    assert_eq!(delivery.remote_id, Some(note.id.to_bech32().expect("note1")), "the note's id is what was published");
    assert_eq!(delivery.remote_url, None, "no public page shows a note kept on this machine's relays");
    for relay in ["demo", "mirror"] {
        let answer = &delivery.checkpoint["answers"][env.relay(relay)];
        assert_eq!(answer["outcome"], "accepted", "{relay}: {answer}");
    }

    // Both write relays of the demo key's NIP-65 list have the note, signed by the key.
    for relay in ["demo", "mirror"] {
        let found = fetch(&env.relay(relay), serde_json::json!({ "ids": [note.id.to_hex()] })).await;
        assert_eq!(found.len(), 1, "{relay} has the note once");
        let event = &found[0];
        assert!(event.verify().is_ok(), "the signature checks");
        assert_eq!(event.pubkey, nostr::prelude::PublicKey::from_bech32(&npub).expect("npub"));
        assert_eq!(event.kind.as_u16(), 1);
    }
    let tags: Vec<Vec<String>> = note.tags.iter().map(|t| t.as_slice().to_vec()).collect();
    assert!(tags.contains(&vec!["t".to_owned(), "bakery".to_owned()]), "{tags:?}");
    let imeta = tags.iter().find(|t| t[0] == "imeta").expect("the photo's imeta tag");
    let url = imeta.iter().find_map(|v| v.strip_prefix("url ")).expect("its address");
    let sha = imeta.iter().find_map(|v| v.strip_prefix("x ")).expect("its hash");
    assert!(imeta.iter().any(|v| v.starts_with("dim ")) && imeta.contains(&"m image/jpeg".to_owned()), "{imeta:?}");
    assert!(url.starts_with(&format!("{}/blossom/", env.sandbox.url())), "on the server of the key's list: {url}");
    assert!(note.content.starts_with("Fresh rye at nine #Bakery https://example.com/menu\n"), "{}", note.content);
    assert!(note.content.ends_with(url), "the photo's address is in the text: {}", note.content);
    let bytes = env.http.get(url).send().await.expect("the photo is served").bytes().await.expect("bytes");
    assert_eq!(hex::encode(Sha256::digest(&bytes)), sha, "the server holds the file the note names");

    // A resend is the same signed event: the relay knows it, and still has it once.
    let (ok, message) = resend(&env.relay("demo"), &note).await;
    assert!(ok && message.starts_with("duplicate:"), "{ok} {message}");
    assert_eq!(
        fetch(&env.relay("demo"), serde_json::json!({ "authors": [note.pubkey.to_hex()], "kinds": [1] })).await.len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_posts_to_the_relays_it_names_and_each_relays_answer_is_kept() {
    let env = env("{}").await;
    let account = env.nostr(&["fresh", "refuses"], None).await.expect("a new key links");
    let ids = env.post("First note", vec![], &[&account]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    assert_eq!(delivery.state, DeliveryState::Sent, "one relay took it: {:?}", delivery.last_error);
    let answers = &delivery.checkpoint["answers"];
    assert_eq!(answers[env.relay("fresh")]["outcome"], "accepted", "{answers}");
    assert_eq!(answers[env.relay("refuses")]["outcome"], "refused", "{answers}");
    assert!(answers[env.relay("refuses")]["message"].as_str().is_some_and(|m| m.starts_with("blocked:")), "{answers}");
    let note = note_of(&delivery);
    assert_eq!(fetch(&env.relay("fresh"), serde_json::json!({ "ids": [note.id.to_hex()] })).await.len(), 1);
    assert!(fetch(&env.relay("refuses"), serde_json::json!({ "ids": [note.id.to_hex()] })).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_that_refuse_give_their_reasons_and_a_busy_one_is_tried_again_later() {
    let env = env("{}").await;
    let key = Keys::generate().secret_key().to_bech32().expect("nsec");
    let refused = env.nostr(&["refuses"], Some(key.clone())).await.expect("links");
    let ids = env.post("Not here", vec![], &[&refused]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    let error = delivery.last_error.expect("why");
    assert_eq!(error.kind, FailureKind::Rejected, "{error:?}");
    assert!(error.message.contains("blocked: this relay does not take notes from you"), "{}", error.message);

    let env = super::env("{}").await;
    let busy = env.nostr(&["busy"], Some(key)).await.expect("links");
    let ids = env.post("Later", vec![], &[&busy]);
    env.run_worker(StopWhen::Idle).await;
    let delivery = env.delivery(ids[0]);
    let error = delivery.last_error.expect("why");
    assert_eq!(error.kind, FailureKind::RateLimited, "{error:?}");
    assert!(error.message.contains("rate-limited:"), "{}", error.message);
    assert_eq!(delivery.state, DeliveryState::RetryWait, "tried again when the relay allows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_closes_the_socket_leaves_it_to_a_reconcile_and_the_same_note_goes_again_until_the_user_decides() {
    let env = env("{}").await;
    let account = env.nostr(&["closes", "later"], None).await.expect("links");
    let ids = env.post("Maybe", vec![], &[&account]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    assert_eq!(delivery.state, DeliveryState::Sent, "{:?}", delivery.last_error);
    let answers = &delivery.checkpoint["answers"];
    assert_eq!(answers[env.relay("closes")]["outcome"], "lost", "{answers}");
    assert!(answers[env.relay("closes")]["message"].as_str().is_some_and(|m| m.contains("closed")), "{answers}");

    let alone = env.nostr(&["closes"], None).await.expect("links");
    let ids = env.post("Nobody answers", vec![], &[&alone]);
    env.deliver(&ids).await;
    let delivery = env.delivery(ids[0]);
    let error = delivery.last_error.clone().expect("why");
    assert!(error.message.contains("closed"), "{}", error.message);
    let note = note_of(&delivery);
    assert!(fetch(&env.relay("closes"), serde_json::json!({ "ids": [note.id.to_hex()] })).await.is_empty());
    assert_eq!(delivery.checkpoint["sends"], 3, "each reconcile found no note, so the same note went again");
    assert_eq!(error.kind, FailureKind::Rejected, "then the user decides: {error:?}");
    assert!(error.message.contains("cannot post it twice"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_checked_when_linking() {
    let env = env("{}").await;
    let public = Keys::generate().public_key().to_bech32().expect("npub");
    let error = env.nostr(&["fresh"], Some(public)).await.expect_err("a public key");
    assert!(error.to_string().contains("public key"), "{error}");
    let error = env.nostr(&["fresh"], Some("nsec1nonsense".into())).await.expect_err("garbage");
    assert!(error.to_string().contains("not a Nostr private key"), "{error}");
    let secret = Keys::generate().secret_key().clone();
    let encrypted =
        nostr::prelude::EncryptedSecretKey::new(&secret, "correct horse", 8, nostr::prelude::KeySecurity::Unknown)
            .expect("ncryptsec")
            .to_bech32()
            .expect("bech32");
    let error = env.nostr(&["fresh"], Some(encrypted.clone())).await.expect_err("no password");
    assert!(error.to_string().contains("needs its password"), "{error}");
    let relays = format!("{} ", env.relay("fresh"));
    let credentials = Credentials::new(NetworkKind::Nostr)
        .text("relays", relays)
        .secret("key", fanout_core::secrets::Secret::new(encrypted))
        .secret("password", fanout_core::secrets::Secret::new("correct horse"));
    let account = env
        .accounts()
        .add(NewAccount { name: None, credentials, enabled: true, demo: true })
        .await
        .expect("the password opens it");
    let npub = Keys::new(secret).public_key().to_bech32().expect("npub");
    assert_eq!(account.remote_id.as_deref(), Some(npub.as_str()), "the key inside the ncryptsec");
    let error = env.nostr(&["ws-elsewhere"], None).await;
    assert!(error.is_ok(), "any loopback relay name is a relay of the sandbox");
    let unreachable = Credentials::new(NetworkKind::Nostr).text("relays", "ws://127.0.0.1:9/x");
    let error = env
        .accounts()
        .add(NewAccount { name: None, credentials: unreachable, enabled: true, demo: true })
        .await
        .expect_err("no relay answers");
    assert!(error.to_string().contains("none of the relays could be reached"), "{error}");
}
