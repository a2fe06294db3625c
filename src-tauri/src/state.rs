//! `AppState`: the one object the commands share — core's `Context` over the data folder, the
//! composer's attachments, the settings, the delivery runtime and the demo sandbox. Core does its
//! own locking; the few mutable app-level things here each have their own small lock.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use fanout_core::attachments::Attachments;
use fanout_core::context::{Context, Tuning};
use tokio_util::sync::CancellationToken;

use crate::models::Settings;
use crate::settings::SettingsFile;

#[derive(Debug)]
pub struct AppState {
    pub cx: Context,
    pub tuning: Tuning,
    pub attachments: Attachments,
    pub settings_file: SettingsFile,
    pub settings: Mutex<Settings>,
    /// Where secrets are kept, for people.
    pub secret_store: crate::models::SecretStoreView,
    pub delivery: DeliveryRun,
    /// The in-process sandbox serving the demo accounts.
    pub demo: tokio::sync::Mutex<Option<fanout_sandbox::Sandbox>>,
    pub demo_url: Mutex<Option<String>>,
    /// The tray's and notifications' texts, in the user's language (sent by the main window).
    pub shell_strings: Mutex<crate::strings::ShellStrings>,
    /// Files handed to a window (by label) and not yet taken by it.
    pub received: Mutex<std::collections::HashMap<String, crate::models::MediaReceived>>,
    /// Cancels the Meta login waiting for the browser, if one is.
    /// The sign-in waiting for the browser to come back (Facebook or Mastodon), to cancel it.
    pub browser_login: Mutex<Option<CancellationToken>>,
    /// The Threads login waiting for the user to paste the address it sent the browser to.
    pub threads_login: Mutex<Option<PendingThreadsLogin>>,
    /// Link cards read for the composer's previews, by address (none: the page could not be read).
    pub link_cards: Mutex<std::collections::HashMap<String, Option<crate::models::LinkCardView>>>,
}

/// A started Threads login: the login, the app, the Threads API root, and whether it is the demo's.
#[derive(Debug)]
pub struct PendingThreadsLogin {
    pub login: fanout_core::threads_login::ThreadsLogin,
    pub app: fanout_core::meta_login::MetaApp,
    pub api: String,
    pub demo: bool,
}

impl AppState {
    /// How many shares wait for the user (needs attention, failed, unconfirmed), as the tray
    /// menu shows and notifications count.
    pub fn waiting_for_user(&self) -> usize {
        let filter = fanout_core::store::deliveries::Filter {
            states: vec![
                fanout_core::model::DeliveryState::NeedsAttention,
                fanout_core::model::DeliveryState::Failed,
                fanout_core::model::DeliveryState::Unconfirmed,
            ],
            limit: Some(100),
            ..Default::default()
        };
        self.cx.outbox(&self.tuning).list(&filter).map(|rows| rows.len()).unwrap_or(0)
    }

    pub fn new(cx: Context, tuning: Tuning, secret_store: crate::models::SecretStoreView) -> Self {
        let settings_file = SettingsFile::new(&cx.data_dir);
        let settings = settings_file.load();
        Self {
            attachments: Attachments::new(cx.data_dir.join("staging")),
            cx,
            tuning,
            settings_file,
            settings: Mutex::new(settings),
            secret_store,
            delivery: DeliveryRun::default(),
            demo: tokio::sync::Mutex::new(None),
            demo_url: Mutex::new(None),
            received: Mutex::new(std::collections::HashMap::new()),
            shell_strings: Mutex::new(crate::strings::ShellStrings::default()),
            browser_login: Mutex::new(None),
            threads_login: Mutex::new(None),
            link_cards: Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn variants_dir(&self) -> PathBuf {
        self.cx.data_dir.join("variants")
    }

    pub fn shell_strings(&self) -> crate::strings::ShellStrings {
        lock(&self.shell_strings).clone()
    }

    pub fn demo_url(&self) -> Option<String> {
        lock(&self.demo_url).clone()
    }
}

/// The worker of this process: running, or paused by the user (unpublished work handed back).
#[derive(Debug, Default)]
pub struct DeliveryRun {
    paused: AtomicBool,
    token: Mutex<Option<CancellationToken>>,
    /// Why the worker is waiting on a local fault, while it is.
    trouble: Mutex<Option<String>>,
}

impl DeliveryRun {
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// A token for a new worker run, replacing (and stopping) any earlier one.
    pub fn begin(&self) -> CancellationToken {
        self.paused.store(false, Ordering::SeqCst);
        let token = CancellationToken::new();
        if let Some(old) = lock(&self.token).replace(token.clone()) {
            old.cancel();
        }
        token
    }

    pub fn trouble(&self) -> Option<String> {
        lock(&self.trouble).clone()
    }

    /// Records the worker's trouble; whether it changed.
    pub fn set_trouble(&self, trouble: Option<String>) -> bool {
        let mut current = lock(&self.trouble);
        let changed = *current != trouble;
        *current = trouble;
        changed
    }

    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        if let Some(token) = lock(&self.token).take() {
            token.cancel();
        }
    }
}

/// Every lock here guards a value replaced in one step, so a poisoned one is still consistent.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
