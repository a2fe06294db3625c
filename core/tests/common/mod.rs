//! The harness the delivery tests and the real-server tests share: an `Env` with its own SQLite
//! store, secrets file and in-process sandbox on loopback, and the steps every test takes — link a
//! sandbox account, write a photo, queue a post, run a worker until it settles. It starts no
//! program of its own: a test that needs a real server (a PDS, Synapse, moto) starts it itself and
//! lives in the `servers` test binary.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use fanout_core::accounts::{Accounts, Credentials, NewAccount};
use fanout_core::clock::{Clock, Timestamp};
use fanout_core::http::{self, HttpConfig};
use fanout_core::media::cache::VariantCache;
use fanout_core::model::{Account, DeliveryId};
use fanout_core::networks::Registry;
use fanout_core::outbox::{Outbox, RetryPolicy};
use fanout_core::post::{self, Draft};
use fanout_core::secrets::{FileStore, Secret};
use fanout_core::store::Store;
use fanout_core::worker::{StopWhen, Worker, WorkerConfig};
use fanout_sandbox::{FaultPlan, Sandbox, SandboxClock, SandboxConfig};
use tokio_util::sync::CancellationToken;

pub mod chats;
pub mod instagram;
pub mod threads;

const PHOTO: &[u8] = include_bytes!("../../../cli/assets/demo-photo.png");

pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub secrets: Arc<FileStore>,
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    /// The sandbox's time ([`SandboxTime`]) unless a test puts its own clock here.
    pub clock: Arc<dyn Clock>,
    pub policy: RetryPolicy,
    /// One for the whole test, as the app's `Context` has one: networks keep state in it (Bluesky
    /// its sessions) across links and worker runs.
    pub registry: Registry,
}

pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(100),
        cap: Duration::from_secs(2),
        max_attempts: 5,
        reconcile_after: Duration::from_millis(100),
    }
}

pub async fn env(faults: &str) -> Env {
    env_with(faults, fast_policy(), Duration::from_secs(5)).await
}

pub async fn env_with(faults: &str, policy: RetryPolicy, http_timeout: Duration) -> Env {
    let config = SandboxConfig {
        faults: FaultPlan::from_json(faults).expect("fault plan"),
        media_processing: Duration::from_millis(150),
        ..SandboxConfig::default()
    };
    env_from(config, policy, http_timeout).await
}

/// An environment whose sandbox starts with `config`.
pub async fn env_from(config: SandboxConfig, policy: RetryPolicy, http_timeout: Duration) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("fanout.db")).expect("open"));
    let secrets = Arc::new(FileStore::new(dir.path().join("secrets.json")));
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    let http = http::client(&HttpConfig::with_total_timeout(http_timeout)).expect("client");
    let clock = Arc::new(SandboxTime(sandbox.clock()));
    Env { dir, store, secrets, sandbox, http, clock, policy, registry: Registry::default() }
}

/// Core's `Clock` reading the sandbox's time, so the worker, the outbox and the networks' expiry
/// checks see what the sandbox sees: the OS clock until a test calls `env.sandbox.advance(…)`,
/// which moves both at once — a token's lifetime or a window passes without the test waiting.
#[derive(Debug)]
pub struct SandboxTime(pub SandboxClock);

impl Clock for SandboxTime {
    fn now(&self) -> Timestamp {
        Timestamp(i64::try_from(self.0.now_ms()).unwrap_or(i64::MAX))
    }
}

impl Env {
    pub fn accounts(&self) -> Accounts {
        Accounts::new(
            self.store.clone(),
            self.secrets.clone(),
            self.http.clone(),
            self.clock.clone(),
            self.registry.clone(),
        )
    }

    pub fn variants(&self) -> VariantCache {
        VariantCache::new(self.dir.path().join("variants"), 64 * 1024 * 1024)
    }

    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.store.clone(), self.policy)
    }

    pub async fn mastodon(&self, name: &str, token: &str) -> Account {
        self.accounts()
            .add(NewAccount {
                name: Some(name.into()),
                credentials: Credentials::new(fanout_core::model::NetworkKind::Mastodon)
                    .text("server", self.sandbox.url())
                    .secret("token", Secret::new(token)),
                enabled: true,
                demo: true,
            })
            .await
            .expect("link a sandbox Mastodon account")
    }

    pub async fn discord(&self, name: &str, id: u32, token: &str) -> Account {
        let url = format!("{}/api/webhooks/{id}/{token}", self.sandbox.url());
        self.accounts()
            .add(NewAccount {
                name: Some(name.into()),
                credentials: Credentials::new(fanout_core::model::NetworkKind::Discord)
                    .secret("webhook", Secret::new(url)),
                enabled: true,
                demo: true,
            })
            .await
            .expect("link a sandbox Discord webhook")
    }

    pub fn photo(&self) -> PathBuf {
        let path = self.dir.path().join("photo.png");
        std::fs::write(&path, PHOTO).expect("write photo");
        path
    }

    /// A 4-second 540×960 H.264/AAC MP4, made by ffmpeg (installed by `make test`).
    pub fn video(&self) -> PathBuf {
        let path = self.dir.path().join("clip.mp4");
        let ffmpeg = fanout_core::media::transcode::ffmpeg().expect("ffmpeg is missing: run `make test`");
        let out = Command::new(ffmpeg)
            .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=540x960:rate=25"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast"])
            .args(["-pix_fmt", "yuv420p", "-c:a", "aac"])
            .arg(&path)
            .output()
            .expect("run ffmpeg");
        assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
        path
    }

    pub fn post(&self, text: &str, media: Vec<PathBuf>, to: &[&Account]) -> Vec<DeliveryId> {
        self.enqueue(&Draft {
            text: text.into(),
            media,
            targets: to.iter().map(|a| a.name.clone()).collect(),
            ..Draft::default()
        })
    }

    pub fn enqueue(&self, draft: &Draft) -> Vec<DeliveryId> {
        let (_, deliveries) = post::enqueue(
            &self.outbox(),
            &Registry::default(),
            &self.variants(),
            &self.dir.path().join("media"),
            draft,
            self.clock.now(),
        )
        .expect("enqueue");
        deliveries.into_iter().map(|(id, _)| id).collect()
    }

    /// Runs a worker until `ids` settle (or 30 s pass, which fails the test).
    pub async fn deliver(&self, ids: &[DeliveryId]) {
        self.run_worker(StopWhen::Settled(ids.to_vec())).await;
    }

    /// Runs a worker until `stop_when` (or 30 s pass, which fails the test).
    pub async fn run_worker(&self, stop_when: StopWhen) {
        let config = WorkerConfig {
            lease: Duration::from_secs(10),
            stop_when,
            pacing: Some(Duration::ZERO),
            poll: Duration::from_millis(50),
            variants: self.variants(),
            ..WorkerConfig::default()
        };
        let worker = Worker::new(
            self.outbox(),
            self.registry.clone(),
            self.secrets.clone(),
            self.http.clone(),
            self.clock.clone(),
            config,
        );
        tokio::time::timeout(Duration::from_secs(30), worker.run(CancellationToken::new()))
            .await
            .expect("deliveries settle within 30 s")
            .expect("the worker runs without a local error");
    }

    pub fn delivery(&self, id: DeliveryId) -> fanout_core::model::Delivery {
        self.outbox().get(id).expect("read").expect("exists")
    }
}
