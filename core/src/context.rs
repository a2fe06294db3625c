//! The objects every front end (the CLI, the desktop app) builds once over one data folder: the
//! store, the secret store, the HTTP client, the clock and the network registry, and the outbox,
//! accounts and worker made from them. It composes; it decides nothing. The clock and the secret
//! store are given by the caller, like everywhere in core.
//!
//! The data folder is made readable by its owner only (0700 on Unix, tightened if it was open). A
//! folder that holds secrets (`secrets.json`) or media but whose `fanout.db` is missing or empty
//! is refused, with how to restore it, rather than started afresh without its outbox and accounts.

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
        create_private_dir(data_dir)?;
        let database = data_dir.join("fanout.db");
        refuse_lost_database(data_dir, &database)?;
        let store = Arc::new(Store::open(&database)?);
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

/// Creates the data folder readable by its owner only (it holds post texts, schedules, photos
/// and people's phone numbers), and takes that access away from others if an older Fanout made
/// it open. On Windows the per-user application-data folder's own permissions apply.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let cannot = |e| Error::io(format!("cannot create the data folder {}", dir.display()), e);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(cannot)?;
        let mode = std::fs::metadata(dir).map_err(cannot)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700)).map_err(|e| {
                Error::io(format!("cannot make the data folder {} private to its owner", dir.display()), e)
            })?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(cannot)?;
    Ok(())
}

/// A data folder that holds Fanout's secrets or media but whose database is missing or empty
/// has lost its outbox and accounts (a failed copy, a restore gone wrong): starting afresh there
/// would silently forget them, so it is refused with what to do.
fn refuse_lost_database(data_dir: &Path, database: &Path) -> Result<()> {
    let size = std::fs::metadata(database).ok().map(|m| m.len());
    if size.is_some_and(|n| n > 0) {
        return Ok(());
    }
    let media = data_dir.join("media");
    let has_media = std::fs::read_dir(&media).is_ok_and(|mut entries| entries.next().is_some());
    let has_secrets = data_dir.join("secrets.json").is_file();
    if !has_media && !has_secrets {
        return Ok(());
    }
    let what = match size {
        None => "is missing",
        Some(_) => "is empty (0 bytes)",
    };
    let beside = match (has_secrets, has_media) {
        (true, true) => "secrets.json and media/",
        (true, false) => "secrets.json",
        _ => "media/",
    };
    Err(Error::invalid(format!(
        "the data folder {} holds Fanout's {beside}, but its database fanout.db {what}: the outbox and \
         the accounts would be lost. Restore fanout.db (with fanout.db-wal, if the backup has one) from \
         a backup into that folder, or move the folder aside to start afresh",
        data_dir.display()
    )))
}
