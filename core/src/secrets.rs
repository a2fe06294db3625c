//! Where account secrets (access tokens, webhook URLs) live: behind the `SecretStore` trait.
//!
//! In normal use that is the OS keychain through keyring-core (Secret Service on Linux, the
//! Keychain on macOS, the Credential Manager on Windows). A headless machine or a test chooses the
//! file store explicitly; it keeps secrets in a 0600 JSON file and says so with a warning. Unit
//! tests use keyring-core's mock store. A `Secret` never prints its value: Debug and Display show
//! `***`, so a secret cannot reach a log line or an error message by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use crate::error::{Error, Result};

/// The keychain "service" name every Fanout secret is filed under.
pub const KEYCHAIN_SERVICE: &str = "fanout";

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that puts it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

pub trait SecretStore: Send + Sync + fmt::Debug {
    fn get(&self, key: &str) -> Result<Option<Secret>>;
    fn set(&self, key: &str, secret: &Secret) -> Result<()>;
    /// Deleting a key that is not there is not an error.
    fn delete(&self, key: &str) -> Result<()>;
    /// For people: which store this is ("the system keychain", "file /path").
    fn describe(&self) -> String;
}

/// The OS keychain, or any keyring-core credential store (the mock, in unit tests).
///
/// Every keychain call runs on one dedicated thread that owns the store. The Secret Service client
/// blocks on its own async runtime, including when it is dropped, which panics on a thread that
/// drives tokio; a thread of its own keeps that away from the app's runtime.
pub struct KeychainStore {
    requests: mpsc::Sender<Request>,
    label: String,
}

enum Op {
    Get(String),
    Set(String, Secret),
    Delete(String),
}

struct Request {
    op: Op,
    reply: mpsc::Sender<Result<Option<Secret>>>,
}

impl fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeychainStore").field("store", &self.label).finish()
    }
}

impl KeychainStore {
    pub fn with_store(store: Arc<keyring_core::CredentialStore>) -> Result<Self> {
        Self::spawn(move || Ok(store))
    }

    /// The platform's keychain.
    pub fn system() -> Result<Self> {
        Self::spawn(system_store).map_err(|e| {
            Error::Secrets(format!(
                "the system keychain is not available ({e}); on a machine without one, pass \
                 --secret-store file or set FANOUT_SECRET_STORE=file"
            ))
        })
    }

    fn spawn(
        open: impl FnOnce() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> + Send + 'static,
    ) -> Result<Self> {
        let (requests, incoming) = mpsc::channel::<Request>();
        let (ready, opened) = mpsc::channel::<std::result::Result<String, String>>();
        std::thread::Builder::new()
            .name("fanout-keychain".into())
            .spawn(move || {
                let store = match open() {
                    Ok(store) => store,
                    Err(e) => {
                        let _ = ready.send(Err(describe_keyring_error(&e)));
                        return;
                    }
                };
                let _ = ready.send(Ok(store.vendor()));
                for request in incoming {
                    let _ = request.reply.send(serve(store.as_ref(), request.op));
                }
            })
            .map_err(|e| Error::Secrets(format!("cannot start the keychain thread: {e}")))?;
        let label = opened
            .recv()
            .map_err(|_| Error::Secrets("the keychain thread stopped while opening".into()))?
            .map_err(Error::Secrets)?;
        Ok(Self { requests, label })
    }

    fn call(&self, op: Op) -> Result<Option<Secret>> {
        let (reply, answer) = mpsc::channel();
        self.requests.send(Request { op, reply }).map_err(|_| Error::Secrets("the keychain thread stopped".into()))?;
        answer.recv().map_err(|_| Error::Secrets("the keychain thread stopped".into()))?
    }
}

fn entry(store: &keyring_core::CredentialStore, key: &str) -> Result<keyring_core::Entry> {
    store
        .build(KEYCHAIN_SERVICE, key, None)
        .map_err(|e| Error::Secrets(format!("cannot open keychain entry {key}: {}", describe_keyring_error(&e))))
}

fn serve(store: &keyring_core::CredentialStore, op: Op) -> Result<Option<Secret>> {
    match op {
        Op::Get(key) => match entry(store, &key)?.get_password() {
            Ok(value) => Ok(Some(Secret(value))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Secrets(format!("cannot read {key}: {}", describe_keyring_error(&e)))),
        },
        Op::Set(key, secret) => entry(store, &key)?
            .set_password(secret.expose())
            .map(|()| None)
            .map_err(|e| Error::Secrets(format!("cannot save {key}: {}", describe_keyring_error(&e)))),
        Op::Delete(key) => match entry(store, &key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Secrets(format!("cannot delete {key}: {}", describe_keyring_error(&e)))),
        },
    }
}

#[cfg(target_os = "linux")]
fn system_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn system_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn system_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn system_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore("no keychain on this platform".into()))
}

/// keyring-core's errors can carry the secret's bytes (BadEncoding): never show those.
fn describe_keyring_error(e: &keyring_core::Error) -> String {
    match e {
        keyring_core::Error::BadEncoding(_) => "the stored value is not valid UTF-8".to_owned(),
        keyring_core::Error::BadDataFormat(_, _) => "the stored value has an unexpected format".to_owned(),
        other => other.to_string(),
    }
}

impl SecretStore for KeychainStore {
    fn get(&self, key: &str) -> Result<Option<Secret>> {
        self.call(Op::Get(key.to_owned()))
    }

    fn set(&self, key: &str, secret: &Secret) -> Result<()> {
        self.call(Op::Set(key.to_owned(), secret.clone())).map(|_| ())
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.call(Op::Delete(key.to_owned())).map(|_| ())
    }

    fn describe(&self) -> String {
        format!("the system keychain ({})", self.label)
    }
}

impl KeychainStore {
    /// Which keychain this is ("Secret Service", "macOS Keychain"…), for the front ends to word.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Secrets in a JSON file readable by the owner only. For headless machines and tests; chosen
/// explicitly, never as a silent fallback.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    // Serialises read-modify-write within this process; across processes the rename is atomic.
    lock: Mutex<()>,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), lock: Mutex::new(()) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                Error::Secrets(format!(
                    "the secrets file {} is not valid JSON; restore it or remove it and link the accounts again",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::io(format!("cannot read the secrets file {}", self.path.display()), e)),
        }
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let tmp = self.path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let write = || -> std::io::Result<()> {
            let mut file = options.open(&tmp)?;
            file.write_all(&serde_json::to_vec_pretty(map).unwrap_or_default())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| Error::io(format!("cannot write the secrets file {}", self.path.display()), e))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<Secret>> {
        let _guard = self.guard();
        Ok(self.load()?.remove(key).map(Secret))
    }

    fn set(&self, key: &str, secret: &Secret) -> Result<()> {
        let _guard = self.guard();
        let mut map = self.load()?;
        map.insert(key.to_owned(), secret.expose().to_owned());
        self.save(&map)
    }

    fn delete(&self, key: &str) -> Result<()> {
        let _guard = self.guard();
        let mut map = self.load()?;
        if map.remove(key).is_some() {
            self.save(&map)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("the plain file {} (owner-only permissions)", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(store: &dyn SecretStore) {
        assert_eq!(store.get("account:a").expect("read"), None, "a new store holds nothing");
        store.set("account:a", &Secret::new("tok-1")).expect("save");
        store.set("account:b", &Secret::new("tok-2")).expect("save");
        assert_eq!(store.get("account:a").expect("read"), Some(Secret::new("tok-1")));
        store.delete("account:a").expect("delete");
        store.delete("account:a").expect("deleting twice is fine");
        assert_eq!(store.get("account:a").expect("read"), None, "a deleted secret is gone");
        assert_eq!(store.get("account:b").expect("read"), Some(Secret::new("tok-2")), "others stay");
    }

    #[test]
    fn keychain_store_round_trips_through_keyring_core_mock() {
        let mock = keyring_core::mock::Store::new().expect("mock store");
        round_trip(&KeychainStore::with_store(mock).expect("keychain thread"));
    }

    #[test]
    fn file_store_round_trips_and_is_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path().join("secrets.json"));
        round_trip(&store);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).expect("file exists").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the secrets file must be readable by its owner only");
        }
    }

    #[test]
    fn a_secret_never_prints_its_value() {
        let s = Secret::new("sentinel-123");
        assert!(!format!("{s:?} {s}").contains("sentinel"), "Debug and Display must redact");
    }
}
