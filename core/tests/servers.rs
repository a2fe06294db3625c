//! Delivery against real servers the tests start on 127.0.0.1: a Bluesky PDS (`@atproto/dev-env`,
//! `tests/pds/`), Synapse (Matrix), nostr-rs-relay (Nostr) and moto's S3
//! server (media hosting), beside the in-process
//! sandbox. They need programs `make test` installs, so this binary is built only with the
//! `real-servers` feature (`make test-rust` turns it on) and `cargo test -p fanout-core` runs
//! without them. A missing server fails its test with what to install; it is never skipped.

mod common;
use common::{Env, env};

#[path = "servers/bluesky.rs"]
mod bluesky;
#[path = "servers/chats.rs"]
mod chats;
#[path = "servers/instagram.rs"]
mod instagram;
#[path = "servers/matrix.rs"]
mod matrix;
#[path = "servers/nostr.rs"]
mod nostr;
#[path = "servers/threads.rs"]
mod threads;
