//! What every command needs, built once from the global options: core's `Context` over the data
//! folder, with the secret store the options chose and the system clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fanout_core::clock::SystemClock;
use fanout_core::context::{APP_ID, Tuning};
use fanout_core::error::{Error, Result};
use fanout_core::secrets::{FileStore, KeychainStore, SecretStore};
use fanout_core::worker::{PauseHook, StopWhen, Worker};

use crate::args::{Cli, SecretStoreKind, WorkerTuning};

pub use fanout_core::context::Context;

pub fn default_data_dir() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.data_dir().join(APP_ID))
        .ok_or_else(|| Error::invalid("cannot find this user's data folder; pass --data-dir DIR"))
}

pub async fn open(cli: &Cli) -> Result<Context> {
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir()?,
    };
    let secrets: Arc<dyn SecretStore> = match cli.secret_store {
        SecretStoreKind::File => {
            let store = FileStore::new(data_dir.join("secrets.json"));
            err!(
                "warning: account secrets are kept in the plain file {} (readable by you only); \
                 use this only on a machine without a keychain",
                store.path().display()
            );
            Arc::new(store)
        }
        SecretStoreKind::Keychain => Arc::new(KeychainStore::system()?),
    };
    with_secrets(&data_dir, secrets, cli.http_timeout)
}

pub fn with_secrets(data_dir: &Path, secrets: Arc<dyn SecretStore>, http_timeout: f64) -> Result<Context> {
    if !(http_timeout.is_finite() && http_timeout > 0.0) {
        return Err(Error::invalid("--http-timeout must be a positive number of seconds"));
    }
    Context::open(data_dir, secrets, Arc::new(SystemClock), Duration::from_secs_f64(http_timeout))
}

impl WorkerTuning {
    pub fn defaults() -> Self {
        Self {
            lease_ms: 60_000,
            concurrency: 16,
            pace_ms: None,
            retry_base_ms: 5_000,
            max_attempts: 8,
            reconcile_ms: 5_000,
        }
    }

    pub fn to_core(&self) -> Tuning {
        Tuning {
            lease: Duration::from_millis(self.lease_ms),
            concurrency: self.concurrency,
            pacing: self.pace_ms.map(Duration::from_millis),
            retry_base: Duration::from_millis(self.retry_base_ms),
            max_attempts: self.max_attempts,
            reconcile_after: Duration::from_millis(self.reconcile_ms),
            ..Tuning::default()
        }
    }
}

/// The worker of this process; `FANOUT_TEST_PAUSE_MS` is the crash tests' pause before each moment.
pub fn worker(cx: &Context, tuning: &WorkerTuning, stop_when: StopWhen) -> Worker {
    let hook = std::env::var("FANOUT_TEST_PAUSE_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(|ms| Arc::new(PauseHook { pause: Duration::from_millis(ms) }) as _);
    let owner = format!("{}-{}-{}", hostname(), std::process::id(), &uuid_suffix());
    cx.worker(&tuning.to_core(), owner, stop_when, hook)
}

fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "fanout".to_owned())
}

/// A few random characters, so two processes that happen to share a pid never share a lease name.
fn uuid_suffix() -> String {
    fanout_core::model::DeliveryId::new().to_string().chars().rev().take(6).collect()
}
