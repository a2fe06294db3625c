//! `fanout`: the command line over fanout-core. Glue only: it parses, calls the core, prints.

/// A line on standard output through `terminal::clean`: nothing from outside reaches the terminal
/// raw. A closed output (a pipe whose reader left, a terminal that was closed) is not a reason
/// to stop mid-delivery, so a failed write is ignored rather than a panic.
macro_rules! out {
    () => { out!("") };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), "{}", $crate::terminal::clean(&format!($($arg)*)));
    }};
}

/// The same on standard error.
macro_rules! err {
    () => { err!("") };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{}", $crate::terminal::clean(&format!($($arg)*)));
    }};
}

mod args;
mod commands;
mod context;
mod delivering;
mod demo;
mod link_args;
mod output;
mod prepare;
mod terminal;
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
            err!("error: cannot start: {e}");
            return ExitCode::from(exit::LOCAL);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            err!("error: {}", output::error(&e));
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
/// No colour codes (they would end up in files stderr is sent to), and escaped as all output is.
fn init_logging() {
    let filter = std::env::var("FANOUT_LOG").unwrap_or_else(|_| "warn".to_owned());
    let filter = format!("{filter},hyper=warn,hyper_util=warn,reqwest=warn,h2=warn,rustls=warn,zbus=warn");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(|| terminal::LogWriter)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
