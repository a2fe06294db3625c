//! What every command needs, built once from the global options: the data folder, the store, the
//! secret store, the HTTP client and the clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fanout_core::accounts::Accounts;
use fanout_core::clock::{Clock, SystemClock};
use fanout_core::error::{Error, Result};
use fanout_core::http::{self, HttpConfig};
use fanout_core::media::cache::VariantCache;
use fanout_core::networks::Registry;
use fanout_core::outbox::{Outbox, RetryPolicy};
use fanout_core::secrets::{FileStore, KeychainStore, SecretStore};
use fanout_core::store::Store;
use fanout_core::worker::{PauseHook, StopWhen, Worker, WorkerConfig};

use crate::args::{Cli, SecretStoreKind, WorkerTuning};

/// The app identifier the desktop app uses, so both share one data folder.
pub const APP_ID: &str = "app.fanout.desktop";

pub struct Context {
    pub data_dir: PathBuf,
    pub store: Arc<Store>,
    pub secrets: Arc<dyn SecretStore>,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub registry: Registry,
}

pub fn default_data_dir() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.data_dir().join(APP_ID))
        .ok_or_else(|| Error::invalid("cannot find this user's data folder; pass --data-dir DIR"))
}

impl Context {
    pub async fn open(cli: &Cli) -> Result<Context> {
        let data_dir = match &cli.data_dir {
            Some(dir) => dir.clone(),
            None => default_data_dir()?,
        };
        let secrets: Arc<dyn SecretStore> = match cli.secret_store {
            SecretStoreKind::File => {
                let store = FileStore::new(data_dir.join("secrets.json"));
                eprintln!(
                    "warning: account secrets are kept in the plain file {} (readable by you only); \
                     use this only on a machine without a keychain",
                    store.path().display()
                );
                Arc::new(store)
            }
            SecretStoreKind::Keychain => Arc::new(KeychainStore::system()?),
        };
        Self::with_secrets(&data_dir, secrets, cli.http_timeout)
    }

    pub fn with_secrets(data_dir: &Path, secrets: Arc<dyn SecretStore>, http_timeout: f64) -> Result<Context> {
        if !(http_timeout.is_finite() && http_timeout > 0.0) {
            return Err(Error::invalid("--http-timeout must be a positive number of seconds"));
        }
        let store = Arc::new(Store::open(&data_dir.join("fanout.db"))?);
        let http = http::client(&HttpConfig::with_total_timeout(Duration::from_secs_f64(http_timeout)))?;
        Ok(Context {
            data_dir: data_dir.to_owned(),
            store,
            secrets,
            http,
            clock: Arc::new(SystemClock),
            registry: Registry::default(),
        })
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// Fitted images, shared by `post` (which prepares them up front) and the worker.
    pub fn variants(&self) -> VariantCache {
        VariantCache::new(self.data_dir.join("variants"), 1024 * 1024 * 1024)
    }

    pub fn outbox(&self, tuning: &WorkerTuning) -> Outbox {
        Outbox::new(
            self.store.clone(),
            RetryPolicy {
                base: Duration::from_millis(tuning.retry_base_ms),
                max_attempts: tuning.max_attempts.max(1),
                reconcile_after: Duration::from_millis(tuning.reconcile_ms),
                ..RetryPolicy::default()
            },
        )
    }

    pub fn accounts(&self) -> Accounts {
        Accounts::new(
            self.store.clone(),
            self.secrets.clone(),
            self.http.clone(),
            self.clock.clone(),
            self.registry.clone(),
        )
    }

    pub fn worker(&self, tuning: &WorkerTuning, stop_when: StopWhen) -> Worker {
        let hook = std::env::var("FANOUT_TEST_PAUSE_MS")
            .ok()
            .and_then(|ms| ms.parse::<u64>().ok())
            .map(|ms| Arc::new(PauseHook { pause: Duration::from_millis(ms) }) as _);
        let config = WorkerConfig {
            owner: format!("{}-{}-{}", hostname(), std::process::id(), &uuid_suffix()),
            lease: Duration::from_millis(tuning.lease_ms.max(300)),
            max_concurrent: tuning.concurrency.max(1),
            stop_when,
            pacing: tuning.pace_ms.map(Duration::from_millis),
            hook,
            variants: self.variants(),
            ..WorkerConfig::default()
        };
        Worker::new(
            self.outbox(tuning),
            self.registry.clone(),
            self.secrets.clone(),
            self.http.clone(),
            self.clock.clone(),
            config,
        )
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "fanout".to_owned())
}

/// A few random characters, so two processes that happen to share a pid never share a lease name.
fn uuid_suffix() -> String {
    fanout_core::model::DeliveryId::new().to_string().chars().rev().take(6).collect()
}
