//! Matrix against a real homeserver — Synapse from PyPI, started by the test on 127.0.0.1 with a
//! SQLite database (`make test` installs it): an account linked by password, text and a photo sent
//! to a room and read back through Synapse's own API, and a repeated transaction id that adds
//! nothing.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState};
use fanout_core::secrets::{Secret, SecretStore};
use serde_json::{Value, json};

use super::{Env, env};

const SHARED_SECRET: &str = "fanout-test-registration-secret";

/// Synapse on a free loopback port, for as long as the test holds it.
pub(super) struct Synapse {
    child: std::process::Child,
    pub(super) url: String,
    _dir: tempfile::TempDir,
}

impl Synapse {
    pub(super) fn start() -> Synapse {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let d = dir.path().display();
        let config = format!(
            "server_name: \"fanout.test\"\npid_file: {d}/hs.pid\nlisteners:\n  - port: {port}\n    bind_addresses: ['127.0.0.1']\n    type: http\n    tls: false\n    x_forwarded: false\n    resources:\n      - names: [client]\n        compress: false\ndatabase:\n  name: sqlite3\n  args:\n    database: {d}/hs.db\nmedia_store_path: {d}/media\nregistration_shared_secret: \"{SHARED_SECRET}\"\nreport_stats: false\nsigning_key_path: {d}/signing.key\ntrusted_key_servers: []\nfederation_domain_whitelist: []\nsuppress_key_server_warning: true\nenable_metrics: false\nrc_message: {{per_second: 1000, burst_count: 1000}}\nrc_login:\n  address: {{per_second: 1000, burst_count: 1000}}\n  account: {{per_second: 1000, burst_count: 1000}}\n  failed_attempts: {{per_second: 1000, burst_count: 1000}}\n"
        );
        let config_path = dir.path().join("homeserver.yaml");
        std::fs::write(&config_path, config).expect("write the config");
        let keys = std::process::Command::new("python3")
            .args(["-m", "synapse.app.homeserver", "-c"])
            .arg(&config_path)
            .arg("--generate-keys")
            .output()
            .expect("python3 runs (make test installs matrix-synapse)");
        assert!(
            keys.status.success(),
            "Synapse is missing: run `make test`, which installs it\n{}",
            String::from_utf8_lossy(&keys.stderr)
        );
        let log = std::fs::File::create(dir.path().join("homeserver.log")).expect("log file");
        let child = std::process::Command::new("python3")
            .args(["-m", "synapse.app.homeserver", "-c"])
            .arg(&config_path)
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start Synapse");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            // Synapse listens once it is ready to serve.
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "Synapse did not start within 90 s:\n{}",
                std::fs::read_to_string(dir.path().join("homeserver.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Synapse { child, url, _dir: dir }
    }

    /// Registers a user with the shared secret, as an admin would.
    pub(super) fn register(&self, user: &str, password: &str) {
        let out = std::process::Command::new("python3")
            .args(["-m", "synapse._scripts.register_new_matrix_user"])
            .args(["-u", user, "-p", password, "--no-admin", "-k", SHARED_SECRET, &self.url])
            .output()
            .expect("Synapse's register_new_matrix_user runs (it comes with matrix-synapse)");
        assert!(out.status.success(), "register {user}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub(super) async fn login(&self, http: &reqwest::Client, user: &str, password: &str) -> String {
        let body = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": user }, "password": password });
        let answer: Value = http
            .post(format!("{}/_matrix/client/v3/login", self.url))
            .json(&body)
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        answer["access_token"].as_str().expect("a token").to_owned()
    }

    pub(super) async fn create_room(&self, http: &reqwest::Client, token: &str, name: &str, alias: &str) -> String {
        let answer: Value = http
            .post(format!("{}/_matrix/client/v3/createRoom", self.url))
            .bearer_auth(token)
            .json(&json!({ "name": name, "room_alias_name": alias, "preset": "private_chat" }))
            .send()
            .await
            .expect("createRoom")
            .json()
            .await
            .expect("json");
        answer["room_id"].as_str().unwrap_or_else(|| panic!("a room: {answer}")).to_owned()
    }

    /// The room's messages, oldest first, as Synapse serves them.
    pub(super) async fn messages(&self, http: &reqwest::Client, token: &str, room: &str) -> Vec<Value> {
        let room: String = url::form_urlencoded::byte_serialize(room.as_bytes()).collect();
        let answer: Value = http
            .get(format!("{}/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=50", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("messages")
            .json()
            .await
            .expect("json");
        let mut events: Vec<Value> = answer["chunk"]
            .as_array()
            .expect("a chunk")
            .iter()
            .filter(|e| e["type"] == "m.room.message")
            .cloned()
            .collect();
        events.reverse();
        events
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Env {
    /// Links a room of `synapse`, signing in as `login` says (a token, or a user and password).
    async fn matrix(
        &self,
        synapse: &Synapse,
        room: &str,
        login: impl FnOnce(Credentials) -> Credentials,
    ) -> fanout_core::Result<Account> {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: login(
                    Credentials::new(fanout_core::model::NetworkKind::Matrix)
                        .text("homeserver", synapse.url.clone())
                        .text("room", room),
                ),
                enabled: true,
                demo: false,
            })
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_a_photo_reach_a_synapse_room_and_a_repeated_transaction_adds_nothing() {
    let synapse = Synapse::start();
    synapse.register("alice", "alice-password");
    let env = env("{}").await;
    let owner = synapse.login(&env.http, "alice", "alice-password").await;
    let room = synapse.create_room(&env.http, &owner, "Bakery news", "bakery").await;

    let login = |c: Credentials| c.text("user", "alice").secret("password", Secret::new("alice-password"));
    let account = env.matrix(&synapse, "#bakery:fanout.test", login).await.expect("linked by password");
    assert_eq!(account.name, "Matrix: Bakery news (@alice:fanout.test)");
    assert_eq!(account.remote_id.as_deref(), Some(room.as_str()), "the alias is resolved to the room's id");
    let token = env.secrets.get(&account.secret_key()).expect("read").expect("a token, not the password");
    assert_ne!(token.expose(), "alice-password");

    let photo = env.photo();
    let size = std::fs::metadata(&photo).expect("photo").len();
    let ids = env.post("Fresh rye today — until 4 pm", vec![photo], &[&account]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);

    let messages = synapse.messages(&env.http, &owner, &room).await;
    assert_eq!(messages.len(), 2, "the text and the photo: {messages:?}");
    assert_eq!(messages[0]["content"]["msgtype"], "m.text");
    assert_eq!(messages[0]["content"]["body"], "Fresh rye today — until 4 pm");
    assert_eq!(messages[1]["content"]["msgtype"], "m.image");
    let mxc = messages[1]["content"]["url"].as_str().expect("an mxc address");
    let media = mxc.strip_prefix("mxc://").expect("mxc");
    let bytes = env
        .http
        .get(format!("{}/_matrix/client/v1/media/download/{media}", synapse.url))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert!(!bytes.is_empty() && bytes.len() as u64 <= size.max(bytes.len() as u64), "the photo is on the homeserver");
    assert_eq!(d.remote_id.as_deref(), messages[1]["event_id"].as_str(), "the last event's id is kept");

    // The same transaction again (a resend after a lost answer) gives back the same event.
    let txn = format!("fanout-{}-0", d.id);
    let room_path: String = url::form_urlencoded::byte_serialize(room.as_bytes()).collect();
    let again: Value = env
        .http
        .put(format!("{}/_matrix/client/v3/rooms/{room_path}/send/m.room.message/{txn}", synapse.url))
        .bearer_auth(token.expose())
        .json(&json!({ "msgtype": "m.text", "body": "Fresh rye today — until 4 pm" }))
        .send()
        .await
        .expect("resend")
        .json()
        .await
        .expect("json");
    assert_eq!(again["event_id"], messages[0]["event_id"], "the homeserver returns the event it made");
    assert_eq!(synapse.messages(&env.http, &owner, &room).await.len(), 2, "nothing was added");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_the_user_cannot_join_and_a_wrong_password_are_refused_clearly() {
    let synapse = Synapse::start();
    synapse.register("alice", "alice-password");
    synapse.register("bob", "bob-password");
    let env = env("{}").await;
    let bob = synapse.login(&env.http, "bob", "bob-password").await;
    let room = synapse.create_room(&env.http, &bob, "Bob's room", "bobs").await;

    let wrong = |c: Credentials| c.text("user", "alice").secret("password", Secret::new("not-it"));
    let refused = env.matrix(&synapse, &room, wrong).await.expect_err("wrong password");
    assert!(refused.to_string().contains("could not log in"), "{refused}");
    assert!(!refused.to_string().contains("not-it"), "the password is not repeated");

    let login = |c: Credentials| c.text("user", "alice").secret("password", Secret::new("alice-password"));
    let closed = env.matrix(&synapse, &room, login).await.expect_err("not invited");
    assert!(closed.to_string().contains("is invited"), "says what to do: {closed}");
    let bad = env.matrix(&synapse, "bakery", |c| c.secret("token", Secret::new("t"))).await.expect_err("not a room");
    assert!(bad.to_string().contains("#room:example.org"), "{bad}");
}
