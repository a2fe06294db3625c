//! `fanout`: the command line over fanout-core. Glue only: it parses, calls the core, prints.

mod args;
mod commands;
mod context;
mod demo;
mod output;
mod prepare;
mod whatsapp;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

/// mimalloc keeps freed memory for reuse: preparing a batch of 12 MP photos, or a long-running
/// worker, does not hand large buffers back to the kernel and fault them in again each time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, as documented in `fanout --help`.
pub mod exit {
    pub const LOCAL: u8 = 1;
    pub const INPUT: u8 = 3;
    pub const NETWORK: u8 = 4;
    pub const NOT_SENT: u8 = 5;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(exit::LOCAL);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            let code = if e.is_user_error() {
                exit::INPUT
            } else if matches!(e, fanout_core::Error::Network(_)) {
                exit::NETWORK
            } else {
                exit::LOCAL
            };
            ExitCode::from(code)
        }
    }
}

/// Logs go to standard error, filtered by FANOUT_LOG (e.g. `debug`); HTTP internals stay quiet.
fn init_logging() {
    let filter = std::env::var("FANOUT_LOG").unwrap_or_else(|_| "warn".to_owned());
    let filter = format!("{filter},hyper=warn,hyper_util=warn,reqwest=warn,h2=warn,rustls=warn,zbus=warn");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
