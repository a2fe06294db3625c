//! Bluesky against a real PDS — `@atproto/dev-env`'s TestNetworkNoAppView (a PDS and an
//! in-memory PLC, installed into tests/pds by `make test` and started by the test on 127.0.0.1): an account linked
//! with its password, a post with two images, alt text, aspect ratios and facets at UTF-8 byte
//! offsets read back from the repository, a link card with the linked page's picture as its
//! thumbnail, and a repeated create with the same record key refused.

use std::io::BufRead;
use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::DeliveryState;
use fanout_core::post::{Draft, MediaDetail};
use fanout_core::secrets::{Secret, SecretStore};
use serde_json::{Value, json};

use super::env;

/// A PDS on a free loopback port, for as long as the test holds it.
pub(super) struct Pds {
    child: std::process::Child,
    pub(super) url: String,
    pub(super) handle: String,
    pub(super) password: String,
    _dir: tempfile::TempDir,
}

impl Pds {
    pub(super) fn start() -> Pds {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert!(
            root.join("tests/pds/node_modules/@atproto/dev-env").is_dir(),
            "the test PDS's packages are not installed: run `npm ci --prefix tests/pds` (make test does)"
        );
        let mut child = std::process::Command::new("node")
            .arg(root.join("tests/pds/start.cjs"))
            .current_dir(&root)
            .env("TMPDIR", dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node runs (Node.js 20.19 or newer: scripts/ensure-deps.sh checks it)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("the PDS started within 2 minutes");
        let info: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("the PDS did not start: {line:?}"));
        let text = |k: &str| info[k].as_str().expect(k).to_owned();
        Pds { url: text("url"), handle: text("handle"), password: text("password"), child, _dir: dir }
    }
}

impl Drop for Pds {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_with_images_and_facets_reaches_a_real_pds_and_its_record_key_cannot_be_reused() {
    let pds = Pds::start();
    let env = env("{}").await;
    let account = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::Bluesky)
                .text("pds", pds.url.clone())
                .text("handle", format!("@{}", pds.handle))
                .secret("app_password", Secret::new(pds.password.clone())),
            enabled: true,
            demo: false,
        })
        .await
        .expect("linked with the handle and password");
    assert_eq!(account.name, "Bluesky: @alice.test");
    let did = account.remote_id.clone().expect("the account's DID");
    assert!(did.starts_with("did:plc:"), "{did}");
    assert_eq!(
        env.secrets.get(&account.secret_key()).expect("read").map(|s| s.expose().to_owned()),
        Some(pds.password.clone())
    );

    let text = "Brød 🍞 today — menu https://example.org/menu, thanks @alice.test #bakery";
    let ids = env.enqueue(&Draft {
        text: text.into(),
        media: vec![env.photo(), env.photo()],
        media_details: vec![
            MediaDetail { alt_text: Some("A loaf of rye on a board".into()), focus: None, name: None },
            MediaDetail { alt_text: Some("The oven".into()), focus: None, name: None },
        ],
        targets: vec![account.name.clone()],
        ..Draft::default()
    });
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let uri = d.remote_id.clone().expect("the post's at:// address");
    let rkey = uri.rsplit('/').next().expect("rkey").to_owned();
    assert_eq!(d.checkpoint["rkey"], rkey.as_str(), "the record key was chosen and kept before publishing");

    let get =
        format!("{}/xrpc/com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}", pds.url);
    let record: Value = env.http.get(&get).send().await.expect("getRecord").json().await.expect("json");
    let value = &record["value"];
    assert_eq!(value["text"], text);
    let facets: Vec<(String, String)> = value["facets"]
        .as_array()
        .expect("facets")
        .iter()
        .map(|f| {
            let (s, e) = (
                f["index"]["byteStart"].as_u64().expect("s") as usize,
                f["index"]["byteEnd"].as_u64().expect("e") as usize,
            );
            (text[s..e].to_owned(), f["features"][0]["$type"].as_str().expect("type").to_owned())
        })
        .collect();
    assert_eq!(
        facets,
        [
            ("https://example.org/menu".to_owned(), "app.bsky.richtext.facet#link".to_owned()),
            ("@alice.test".to_owned(), "app.bsky.richtext.facet#mention".to_owned()),
            ("#bakery".to_owned(), "app.bsky.richtext.facet#tag".to_owned()),
        ]
    );
    let mention = &value["facets"][1]["features"][0]["did"];
    assert_eq!(mention, &json!(did), "the mention is resolved to the account's DID");
    let images = value["embed"]["images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["alt"], "A loaf of rye on a board");
    assert!(images[0]["aspectRatio"]["width"].as_u64().is_some_and(|w| w > 0));
    assert_eq!(images[1]["image"]["$type"], "blob");

    // A post with a link and no images gets a card with the page's title and picture (a 4.8 MB
    // PNG on the sandbox's page, fitted under the PDS's 1,000,000 bytes).
    let link = format!("{}/web/bakery", env.sandbox.url());
    let card = env.post(&format!("Our page: {link}"), vec![], &[&account]);
    env.deliver(&card).await;
    let d = env.delivery(card[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let rkey2 = d.remote_id.expect("uri").rsplit('/').next().expect("rkey").to_owned();
    let get =
        format!("{}/xrpc/com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey2}", pds.url);
    let record: Value = env.http.get(&get).send().await.expect("getRecord").json().await.expect("json");
    let external = &record["value"]["embed"]["external"];
    assert_eq!(record["value"]["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(external["uri"], link.as_str());
    assert!(external["title"].as_str().is_some_and(|t| t.contains("Fanout Bakery")), "{external}");
    assert_eq!(external["thumb"]["$type"], "blob", "the page's picture is the card's thumbnail: {external}");
    assert!(external["thumb"]["size"].as_u64().is_some_and(|n| n <= 1_000_000), "{external}");

    // The same record key again (a resend after a lost answer) is refused; nothing is added.
    let login: Value = env
        .http
        .post(format!("{}/xrpc/com.atproto.server.createSession", pds.url))
        .json(&json!({ "identifier": pds.handle, "password": pds.password }))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let again = env
        .http
        .post(format!("{}/xrpc/com.atproto.repo.putRecord", pds.url))
        .bearer_auth(login["accessJwt"].as_str().expect("jwt"))
        .json(&json!({ "repo": did, "collection": "app.bsky.feed.post", "rkey": rkey, "swapRecord": null,
                       "record": { "$type": "app.bsky.feed.post", "text": "again", "createdAt": "2026-11-22T00:00:00Z" } }))
        .send()
        .await
        .expect("putRecord");
    assert_eq!(again.status().as_u16(), 400);
    let error: Value = again.json().await.expect("json");
    assert_eq!(error["error"], "InvalidSwap");
    let list = format!("{}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post", pds.url);
    let listed: Value = env.http.get(&list).send().await.expect("list").json().await.expect("json");
    assert_eq!(listed["records"].as_array().map(Vec::len), Some(2), "two posts, none twice: {listed}");
}
