//! The one error type of fanout-core. Every message names what went wrong, with which input, and
//! what to do about it; none ever contains a secret or a URL that could carry one.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input the user can fix: the message says what and how.
    #[error("{0}")]
    Invalid(String),
    #[error("no account named or numbered '{0}'")]
    UnknownAccount(String),
    #[error("no delivery '{0}' in the outbox")]
    UnknownDelivery(String),
    #[error("there is no posting time {0}")]
    UnknownPostingTime(String),
    /// These accounts have no posting times, so "add to the queue" finds no time for them.
    #[error("{} {} no posting times: add some, or give the post a time", quoted(.0), if .0.len() == 1 { "has" } else { "have" })]
    NoPostingTimes(Vec<String>),
    /// A draft with problems to fix before it can be queued; each carries its code for the
    /// shells to word.
    #[error("{0}")]
    NotReady(crate::problems::NotReady),
    /// A state transition the delivery's current state does not allow.
    #[error("{0}")]
    Conflict(String),
    #[error("media file {path}: {reason}")]
    Media { path: PathBuf, reason: String },
    #[error("the lease on delivery {0} was lost to another worker; it stops here")]
    LeaseLost(String),
    #[error("database {path}: {source}{}", database_hint(.source))]
    Database {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("secret store: {0}")]
    Secrets(String),
    /// A network call that failed while linking or verifying an account.
    #[error("{0}")]
    Network(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// Names as `'a' and 'b'`.
fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(" and ")
}

/// What a database error means for the user, where that is known: the cause in words and what to do.
fn database_hint(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode::{
        CannotOpen, DatabaseBusy, DatabaseCorrupt, DatabaseLocked, DiskFull, NotADatabase, PermissionDenied, ReadOnly,
        SystemIoFailure,
    };
    match e.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked) => " (another program is using the database; Fanout waits for it)",
        Some(DiskFull) => " (the disk is full: free some space on it)",
        Some(ReadOnly | PermissionDenied) => {
            " (it is read-only for this user: give your user write access to the data folder)"
        }
        Some(SystemIoFailure) => " (the disk reported an error: check it and its free space)",
        Some(DatabaseCorrupt | NotADatabase) => " (the file is damaged: restore fanout.db from a backup)",
        Some(CannotOpen) => " (check that the data folder exists and is writable)",
        _ => "",
    }
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }

    /// A stable code the UI and the CLI map to exit codes or messages, never parsing the text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::NotReady(_) => "not_ready",
            Self::UnknownAccount(_) => "unknown_account",
            Self::UnknownDelivery(_) => "unknown_delivery",
            Self::NoPostingTimes(_) => "no_posting_times",
            Self::UnknownPostingTime(_) => "unknown_posting_time",
            Self::Conflict(_) => "conflict",
            Self::Media { .. } => "media",
            Self::LeaseLost(_) => "lease_lost",
            Self::Database { .. } | Self::Migration(_) => "database",
            Self::Secrets(_) => "secrets",
            Self::Network(_) => "network",
            Self::Io { .. } => "io",
        }
    }

    /// A local fault that passes by itself: the database busy or locked by another program, the
    /// disk full, an I/O error. Whoever meets one waits and tries again; it is never the
    /// platform's answer.
    pub fn is_transient_local(&self) -> bool {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked, DiskFull, SystemIoFailure};
        match self {
            Self::Database { source, .. } => {
                matches!(source.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked | DiskFull | SystemIoFailure))
            }
            Self::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::StorageFull
                    | std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::WouldBlock
                    | std::io::ErrorKind::TimedOut
            ),
            _ => false,
        }
    }

    /// Whether the user's input caused this (as opposed to the machine or the network).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_)
                | Self::NotReady(_)
                | Self::UnknownAccount(_)
                | Self::UnknownDelivery(_)
                | Self::NoPostingTimes(_)
                | Self::UnknownPostingTime(_)
                | Self::Conflict(_)
                | Self::Media { .. }
        )
    }
}
