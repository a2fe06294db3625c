//! The `fanout` binary end to end: real processes, a real SQLite file, the sandbox on loopback.

mod crash;
mod edit;
mod graph;
mod harness;
mod input;
mod keychain;
mod local;
mod prepare;
mod queue;
mod secrets;
mod workers;
