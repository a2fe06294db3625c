//! The SQLite file: opening it with the pragmas durability needs, the schema migrations, and one
//! module per table with its row type and queries. Nothing outside `store` writes SQL.
//!
//! Pragmas: WAL so readers never block the writer, `synchronous=FULL` so a committed transaction
//! survives power loss, a busy timeout so two processes queue instead of failing, foreign keys on.
//! Every write runs inside `BEGIN IMMEDIATE`, which takes the write lock up front: two workers can
//! never both read a row as free and then both claim it.
//!
//! Migrations are append-only, one file each in `sql/vN.sql` (a released one is never edited, only
//! followed), run on open with foreign keys off as a table rebuild needs. A test runs them from an
//! empty file and from every earlier version (`core/tests/outbox.rs`).

pub mod accounts;
pub mod cache;
pub mod deliveries;
pub mod drafts;
pub mod events;
pub mod pictures;
pub mod posts;
pub mod queue;
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
    M::up(include_str!("sql/v8.sql")).comment("drafts"),
    M::up(include_str!("sql/v9.sql")).comment("the posting queue's times"),
    M::up(include_str!("sql/v10.sql")).comment("profile pictures"),
    M::up(include_str!("sql/v11.sql")).comment("each target's order of a post's files"),
    M::up(include_str!("sql/v12.sql")).comment("indexes so the outbox's hot queries skip old history"),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The name a database error carries until `Store` puts its full path in.
const DEFAULT_NAME: &str = "fanout.db";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// A damaged file (`PRAGMA quick_check`), one that is not a database, or a folder this user
    /// cannot write is refused with the folder, the cause and what to do.
    pub fn open(path: &Path) -> Result<Store> {
        let opened = open_connection(path).and_then(|mut conn| {
            check_integrity(&conn)?;
            migrate(&mut conn, None)?;
            Ok(conn)
        });
        let conn = opened.map_err(|e| explain_open_failure(path, e))?;
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
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        result.map_err(|e| self.locate(e))
    }

    /// A database error names this file's full path (so its folder), not just "fanout.db".
    fn locate(&self, e: Error) -> Error {
        match e {
            Error::Database { path, source } if path == DEFAULT_NAME => {
                Error::Database { path: self.path.display().to_string(), source }
            }
            other => other,
        }
    }

    /// Runs `f` on a consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let result =
            conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(Error::from).and_then(|tx| f(&tx));
        result.map_err(|e| self.locate(e))
    }

    pub fn schema_version(&self) -> Result<usize> {
        let conn = self.lock();
        Ok(usize::from(&migrations().current_version(&conn)?))
    }
}

/// The plan SQLite picks for `sql` (`EXPLAIN QUERY PLAN`), one step a line: what the tests read to
/// pin that the hot queries go through an index instead of the whole history. Nothing is bound
/// or run.
pub(crate) fn query_plan(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let mut rows = stmt.raw_query();
    let mut steps = Vec::new();
    while let Some(row) = rows.next()? {
        steps.push(row.get::<_, String>(3)?);
    }
    Ok(steps)
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

/// `PRAGMA quick_check`: the pages and indexes are sound (a few milliseconds for a year's outbox).
fn check_integrity(conn: &Connection) -> Result<()> {
    let found: Vec<String> =
        conn.prepare("PRAGMA quick_check(5)")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if found.len() == 1 && found[0] == "ok" {
        return Ok(());
    }
    Err(Error::Database {
        path: String::new(),
        source: rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(found.join("; ")),
        ),
    })
}

/// An opening error in words a user can act on: which folder, what is wrong, what to do.
fn explain_open_failure(path: &Path, e: Error) -> Error {
    use rusqlite::ErrorCode::{CannotOpen, DatabaseCorrupt, NotADatabase, PermissionDenied, ReadOnly};
    let Error::Database { source, .. } = &e else { return e };
    let folder = path.parent().map_or_else(|| ".".into(), |p| p.display().to_string());
    let detail = source.to_string();
    let message = match source.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => format!(
            "the database fanout.db in the data folder {folder} is damaged ({detail}): nothing was changed. \
             Restore fanout.db (with fanout.db-wal, if the backup has one) from a backup, or move the folder \
             aside to start afresh"
        ),
        Some(ReadOnly | PermissionDenied) => format!(
            "the data folder {folder} or its fanout.db is read-only for this user ({detail}): Fanout must \
             write its outbox there. Give your user write access to the folder, or point FANOUT_DATA_DIR \
             (--data-dir) at one you can write"
        ),
        Some(CannotOpen) => format!(
            "the database fanout.db in the data folder {folder} cannot be opened ({detail}): check that the \
             folder exists, is on a mounted disk and is writable by this user"
        ),
        _ => return e,
    };
    Error::invalid(message)
}

fn open_connection(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create the data folder {}", parent.display()), e))?;
    }
    create_private_file(path)?;
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
        Error::Database { path: String::from(DEFAULT_NAME), source }
    }
}

/// The database is made readable by its owner only before SQLite opens it (SQLite gives its WAL
/// and shared-memory files the database's permissions); an existing one open to others is closed.
fn create_private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let cannot = |e| Error::io(format!("cannot create the database {}", path.display()), e);
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode();
                if meta.is_file()
                    && mode & 0o077 != 0
                    && let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
                {
                    tracing::warn!(path = %path.display(), error = %e, "the database stays readable by others");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(cannot(e)),
                }
            }
            Err(e) => return Err(cannot(e)),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
