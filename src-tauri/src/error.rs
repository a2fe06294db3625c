//! The one error type of the app crate. Every error crosses IPC as `{code, message}`: the UI
//! branches on the stable `code`, shows the `message` (which never carries a secret), and never
//! parses text.

use serde::Serialize;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct AppError {
    /// Stable: `invalid_input`, `not_ready` (a draft with problems to fix), `unknown_account`, `unknown_delivery`, `conflict`, `media`,
    /// `network`, `secrets`, `database`, `io`, `unknown_media`, `demo`, `app`.
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }

    pub fn unknown_media(id: &str) -> Self {
        Self::new(
            "unknown_media",
            format!("the attachment '{id}' is no longer open in the composer; attach the file again"),
        )
    }
}

impl From<fanout_core::Error> for AppError {
    fn from(e: fanout_core::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        Self::new("app", e.to_string())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::new("app", format!("a background task stopped unexpectedly: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_ipc_as_code_and_message_only() {
        let e = AppError::from(fanout_core::Error::UnknownAccount("work".into()));
        assert_eq!(
            serde_json::to_value(&e).expect("serializes"),
            serde_json::json!({
                "code": "unknown_account",
                "message": "no account named or numbered 'work'"
            }),
            "the UI relies on exactly these two fields"
        );
    }
}
