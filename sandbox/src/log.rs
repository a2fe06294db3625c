//! The request log: one record per request to a network route, written when the request arrives
//! (so a request held by latency or a hang is already visible) and completed when it is answered.
//! Control endpoints are never logged here, and no credential is ever stored: the Discord webhook
//! token is redacted from paths and the Authorization header is not recorded.

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

/// The path as logged: a Discord webhook token (`/api/webhooks/{id}/{token}/…`) becomes `[token]`
/// so logs can be shared without leaking a credential.
pub(crate) fn redact_path(path: &str) -> String {
    match path.strip_prefix("/api/webhooks/") {
        Some(rest) => {
            let mut segments = rest.splitn(3, '/');
            let id = segments.next().unwrap_or_default();
            match (segments.next(), segments.next()) {
                (Some(_token), Some(tail)) => format!("/api/webhooks/{id}/[token]/{tail}"),
                (Some(_token), None) => format!("/api/webhooks/{id}/[token]"),
                (None, _) => path.to_owned(),
            }
        }
        None => path.to_owned(),
    }
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
}
