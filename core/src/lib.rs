//! fanout-core: all of Fanout's domain logic — the model, the SQLite store, the durable outbox and
//! its worker, the networks, and the linked accounts with their secrets.
//!
//! It never depends on Tauri, a webview or any IPC format, and nothing in it reads the wall clock,
//! the keychain or builds its own HTTP client by itself: the clock, the secret store and the HTTP
//! client are passed in, so every piece runs under test against a controlled clock, a file-backed
//! secret store and the loopback sandbox.

pub mod accounts;
pub mod attachments;
pub mod clock;
pub mod context;
pub mod drafts;
pub mod error;
pub mod files;
pub mod follow;
pub mod handoff;
pub mod http;
pub mod kinds;
pub mod link_card;
pub mod loopback;
pub mod mastodon_login;
pub mod media;
pub mod meta_login;
pub mod model;
pub mod networks;
pub mod outbox;
pub mod plan;
pub mod post;
pub mod problems;
pub mod profiles;
pub mod queue;
pub mod recipients;
pub mod secrets;
pub mod store;
pub mod text;
pub mod threads_login;
pub mod worker;

pub use error::{Error, Result};
