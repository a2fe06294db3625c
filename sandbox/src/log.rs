//! The request log: one record per request to a network route, written when the request arrives
//! (so a request held by latency or a hang is already visible) and completed when it is answered.
//! Control endpoints are never logged here, and no credential is ever stored: webhook and bot tokens
//! are redacted from paths (`redact_path`) and the Authorization header is not recorded.

use serde::{Deserialize, Serialize};

/// One request as the sandbox saw it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RequestRecord {
    /// 1, 2, 3… in arrival order; never reused, even after the log is cleared.
    pub seq: u64,
    /// Arrival, milliseconds since the UNIX epoch.
    pub at_ms: u64,
    pub method: String,
    /// The Discord webhook token replaced by `[token]`; no query string.
    pub path: String,
    /// The route template, e.g. `POST /api/v1/statuses`.
    pub route: String,
    pub idempotency_key: Option<String>,
    /// The status text or message content, whole.
    pub text: Option<String>,
    pub body_summary: String,
    /// `None` while unanswered, and for good when a fault hung or closed the connection.
    pub status: Option<u16>,
    /// The fault applied, e.g. `status 503`, `hang`, `close before`, `latency 100ms`.
    pub fault: Option<String>,
}

#[derive(Default)]
pub(crate) struct RequestLog {
    records: Vec<RequestRecord>,
    last_seq: u64,
}

impl RequestLog {
    /// Stores `record` under the next sequence number and returns that number.
    pub(crate) fn push(&mut self, mut record: RequestRecord) -> u64 {
        self.last_seq += 1;
        record.seq = self.last_seq;
        self.records.push(record);
        self.last_seq
    }

    /// Fills in the answer of request `seq`. Sequence numbers are never reused, so a request that
    /// was held across a clear cannot overwrite a newer record.
    pub(crate) fn answer(&mut self, seq: u64, status: Option<u16>) {
        if let Some(record) = self.records.iter_mut().rev().find(|r| r.seq == seq) {
            record.status = status;
        }
    }

    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        self.records.clone()
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }
}

/// The path as logged, with every credential a path carries replaced by `[token]`, so logs can
/// be shared without leaking one: the Discord webhook token (`/api/webhooks/{id}/{token}/…`), the
/// Telegram bot token (`/bot{token}/{method}`, `/file/bot{token}/{path}`) and the Slack webhook secret
/// (`/services/{team}/{bot}/{secret}`). Teams' and Google Chat's secrets are in the query string,
/// which is never logged.
pub(crate) fn redact_path(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("/api/webhooks/") {
        let mut segments = rest.splitn(3, '/');
        let id = segments.next().unwrap_or_default();
        return match (segments.next(), segments.next()) {
            (Some(_token), Some(tail)) => format!("/api/webhooks/{id}/[token]/{tail}"),
            (Some(_token), None) => format!("/api/webhooks/{id}/[token]"),
            (None, _) => path.to_owned(),
        };
    }
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return match rest.split_once('/') {
            Some((_token, file)) => format!("/file/bot[token]/{file}"),
            None => "/file/bot[token]".to_owned(),
        };
    }
    if let Some(rest) = path.strip_prefix("/bot") {
        return match rest.split_once('/') {
            Some((_token, method)) => format!("/bot[token]/{method}"),
            None => "/bot[token]".to_owned(),
        };
    }
    if let Some(rest) = path.strip_prefix("/services/") {
        let segments: Vec<&str> = rest.splitn(3, '/').collect();
        if let [team, bot, _secret] = segments.as_slice() {
            return format!("/services/{team}/{bot}/[token]");
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_tokens_never_reach_the_log() {
        assert_eq!(redact_path("/api/webhooks/123/s3cret"), "/api/webhooks/123/[token]");
        assert_eq!(redact_path("/api/webhooks/123/s3cret/messages/9"), "/api/webhooks/123/[token]/messages/9");
        assert_eq!(redact_path("/api/webhooks/123"), "/api/webhooks/123", "no token, nothing to hide");
        assert_eq!(redact_path("/api/v1/statuses"), "/api/v1/statuses");
    }

    #[test]
    fn bot_tokens_and_slack_secrets_never_reach_the_log() {
        assert_eq!(redact_path("/bot7000000001:sandbox-bot-token/sendMessage"), "/bot[token]/sendMessage");
        assert_eq!(redact_path("/bot7000000001:sandbox-bot-token"), "/bot[token]");
        assert_eq!(
            redact_path("/file/bot7000000001:sandbox-bot-token/profile_photos/file_1.jpg"),
            "/file/bot[token]/profile_photos/file_1.jpg"
        );
        assert_eq!(redact_path("/services/T0FANOUT/B0NEWS/sandbox-slack-token"), "/services/T0FANOUT/B0NEWS/[token]");
        assert_eq!(redact_path("/services/T0FANOUT"), "/services/T0FANOUT", "no secret, nothing to hide");
    }
}
