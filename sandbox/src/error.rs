//! The crate's one error type. Only starting the server and reading a fault plan can fail; once
//! running, every problem a client causes is answered over HTTP, never returned here.

/// What can go wrong when starting a sandbox or reading a fault plan.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid fault plan: {0}")]
    InvalidFaultPlan(String),
}

pub type Result<T, E = SandboxError> = std::result::Result<T, E>;
