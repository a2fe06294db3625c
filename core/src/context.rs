//! The objects every front end (the CLI, the desktop app) builds once over one data folder: the
//! store, the secret store, the HTTP client, the clock and the network registry, and the outbox,
//! accounts and worker made from them. It composes; it decides nothing. The clock and the secret
//! store are given by the caller, like everywhere in core.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::accounts::Accounts;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::http::{self, HttpConfig};
use crate::media::cache::VariantCache;
use crate::networks::MomentHook;
use crate::networks::Registry;
use crate::outbox::{Outbox, RetryPolicy};
use crate::secrets::SecretStore;
use crate::store::Store;
use crate::worker::{StopWhen, Worker, WorkerConfig};

/// The app identifier of the desktop app; the CLI uses the same data folder.
pub const APP_ID: &str = "app.fanout.desktop";

/// How deliveries are retried and paced; the defaults are the app's.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    pub lease: Duration,
    pub concurrency: usize,
    /// Overrides every network's own pacing.
    pub pacing: Option<Duration>,
    pub retry_base: Duration,
    pub max_attempts: u32,
    pub reconcile_after: Duration,
    /// The longest sleep of an idle worker between looks at the outbox.
    pub poll: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            concurrency: 16,
            pacing: None,
            retry_base: Duration::from_secs(5),
            max_attempts: 8,
            reconcile_after: Duration::from_secs(5),
            poll: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Context {
    pub data_dir: PathBuf,
    pub store: Arc<Store>,
    pub secrets: Arc<dyn SecretStore>,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub registry: Registry,
}

impl Context {
    /// Opens (creating if needed) the database in `data_dir`.
    pub fn open(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
        http_timeout: Duration,
    ) -> Result<Context> {
        if http_timeout.is_zero() {
            return Err(Error::invalid("the HTTP timeout must be a positive number of seconds"));
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::io(format!("cannot create the data folder {}", data_dir.display()), e))?;
        let store = Arc::new(Store::open(&data_dir.join("fanout.db"))?);
        let http = http::client(&HttpConfig::with_total_timeout(http_timeout))?;
        Ok(Context { data_dir: data_dir.to_owned(), store, secrets, http, clock, registry: Registry::default() })
    }

    /// Where shared media are copied, by content hash.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// Fitted images, shared by the composer's checks and the worker.
    pub fn variants(&self) -> VariantCache {
        VariantCache::new(self.data_dir.join("variants"), 1024 * 1024 * 1024)
    }

    pub fn outbox(&self, tuning: &Tuning) -> Outbox {
        Outbox::new(
            self.store.clone(),
            RetryPolicy {
                base: tuning.retry_base,
                max_attempts: tuning.max_attempts.max(1),
                reconcile_after: tuning.reconcile_after,
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

    pub fn recipient_lists(&self) -> crate::recipients::RecipientLists {
        crate::recipients::RecipientLists::new(self.store.clone(), self.clock.clone())
    }

    /// A worker whose leases are named `owner`, which must be unique per process.
    pub fn worker(
        &self,
        tuning: &Tuning,
        owner: String,
        stop_when: StopWhen,
        hook: Option<Arc<dyn MomentHook>>,
    ) -> Worker {
        let config = WorkerConfig {
            owner,
            lease: tuning.lease.max(Duration::from_millis(300)),
            max_concurrent: tuning.concurrency.max(1),
            poll: tuning.poll,
            stop_when,
            pacing: tuning.pacing,
            hook,
            variants: self.variants(),
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
