//! The SQLite file: opening it with the pragmas durability needs, the schema migrations, and one
//! module per table with its row type and queries. Nothing outside `store` writes SQL.
//!
//! Pragmas: WAL so readers never block the writer, `synchronous=FULL` so a committed transaction
//! survives power loss, a busy timeout so two processes queue instead of failing, foreign keys on.
//! Every write runs inside `BEGIN IMMEDIATE`, which takes the write lock up front: two workers can
//! never both read a row as free and then both claim it.

pub mod accounts;
pub mod cache;
pub mod deliveries;
pub mod events;
pub mod posts;
pub mod recipients;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result};

/// Append-only: a released migration is never edited, only followed by a new one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("sql/v1.sql")).comment("accounts, posts, media, deliveries"),
    M::up(include_str!("sql/v2.sql")).comment("delivery events, network cache"),
    M::up(include_str!("sql/v3.sql")).comment("alt text and focus per file, text per target"),
    M::up(include_str!("sql/v4.sql")).comment("story posts"),
    M::up(include_str!("sql/v5.sql")).comment("account options"),
    M::up(include_str!("sql/v6.sql")).comment("WhatsApp recipients and templates").foreign_key_check(),
    M::up(include_str!("sql/v7.sql")).comment("Instagram first comments"),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = open_connection(path)?;
        migrate(&mut conn, None)?;
        Ok(Store { conn: Mutex::new(conn), path: path.to_owned() })
    }

    /// Opens without migrating, for migration tests.
    pub fn open_at_version(path: &Path, version: usize) -> Result<Store> {
        let mut conn = open_connection(path)?;
        migrate(&mut conn, Some(version))?;
        Ok(Store { conn: Mutex::new(conn), path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the transaction
        // rolls back on drop), so the poisoned connection is still sound to use.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction; commits if it returns Ok.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on a consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        f(&tx)
    }

    pub fn schema_version(&self) -> Result<usize> {
        let conn = self.lock();
        Ok(usize::from(&migrations().current_version(&conn)?))
    }
}

/// Brings the schema to `version` (the latest when `None`). Foreign keys are off meanwhile, as
/// SQLite asks for a table rebuild; each rebuilding migration checks them before it commits.
fn migrate(conn: &mut Connection, version: Option<usize>) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let result = match version {
        Some(version) => migrations().to_version(conn, version),
        None => migrations().to_latest(conn),
    };
    conn.pragma_update(None, "foreign_keys", "ON")?;
    result?;
    Ok(())
}

fn open_connection(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create the data folder {}", parent.display()), e))?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|source| Error::Database { path: path.display().to_string(), source })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::invalid(format!(
            "database {}: the file system does not support WAL mode (got {mode})",
            path.display()
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

impl From<rusqlite::Error> for Error {
    fn from(source: rusqlite::Error) -> Self {
        Error::Database { path: String::from("fanout.db"), source }
    }
}
