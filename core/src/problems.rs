//! What stops a draft, as data: each problem has a stable `code` (and values) beside its English
//! wording, so the CLI words it in terms of its flags and the app in the user's language. A
//! target's [`Problem`] comes from `plan`, a draft's own [`DraftProblem`] from `post`; [`NotReady`]
//! carries them all when `post::check` refuses a draft. This module depends on nothing but the
//! clock's `Timestamp`, so errors and both planners can name these types.

use crate::clock::Timestamp;

/// A reason the draft cannot go to a target as it is: the command line's English `message` and
/// `fix`, and a stable `code` with its `values` for front ends that word it themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `text_too_long` (count, limit, unit, over), `text_required`, `text_only`, `too_few_media`
    /// (min), `too_many_media` (max, count), `video_alone`, `too_many_bytes` (total_mb, limit_mb),
    /// `no_videos` (file), `videos_not_built` (file), `no_images` (file), `no_documents` (file), `file` (file, reason — English),
    /// `no_media_host`, `disk_full` (reason — English).
    pub code: &'static str,
    pub values: Vec<(&'static str, String)>,
    pub message: String,
    pub fix: Option<String>,
}

/// Every code a target's [`Problem`] may have; the app words each (`ui/src/lib/problem-codes.ts`
/// is generated from this list, and a UI test checks each has its words in every language).
pub const TARGET_CODES: &[&str] = &[
    "text_too_long",
    "text_required",
    "text_only",
    "too_few_media",
    "too_many_media",
    "video_alone",
    "too_many_bytes",
    "no_videos",
    "videos_not_built",
    "no_images",
    "no_documents",
    "file",
    "disk_full",
    "no_media_host",
    "no_recipient_list",
    "unknown_recipient_list",
    "empty_recipient_list",
    "template_value_missing",
    "template_header_missing",
    "comment_too_long",
];

impl Problem {
    /// A problem with one of [`TARGET_CODES`].
    pub fn new(
        code: &'static str,
        values: Vec<(&'static str, String)>,
        message: String,
        fix: Option<String>,
    ) -> Problem {
        debug_assert!(TARGET_CODES.contains(&code), "'{code}' is not in problems::TARGET_CODES");
        Problem { code, values, message, fix }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fix {
            Some(fix) => write!(f, "{}; {fix}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A problem of the whole draft, not of one target. Each front end words it (the CLI in terms of
/// its flags, the app in the user's language), so it is kept as data.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftProblem {
    NoTargets,
    UnknownAccount(String),
    Disabled(String),
    NeedsReconnect {
        account: String,
        detail: Option<String>,
    },
    Empty,
    /// A file that cannot be used; the message names it and why.
    Media(String),
    PastSchedule(Timestamp),
    /// Further ahead than [`crate::outbox::SCHEDULE_HORIZON`]: a typo (9999-12-31), not a plan.
    FarSchedule(Timestamp),
    /// A recipient list or template was given for an account that does not message people.
    NotMessaging(String),
    /// A first comment was given for an account that does not add one.
    NoComments(String),
    /// A target's own order of the files does not name each of the `files` files once.
    MediaOrder {
        account: String,
        files: usize,
    },
    /// The same text and files went to this account at `at`, within [`crate::post::DUPLICATE_WINDOW`], and
    /// that share was not cancelled or failed.
    Duplicate {
        account: String,
        at: Timestamp,
    },
}

impl DraftProblem {
    /// Every code a [`DraftProblem`] may have, as [`DraftProblem::code`] gives them.
    pub const CODES: &[&str] = &[
        "no_targets",
        "unknown_account",
        "disabled",
        "needs_reconnect",
        "empty",
        "media",
        "past_schedule",
        "far_schedule",
        "not_messaging",
        "no_comments",
        "media_order",
        "duplicate",
    ];

    /// A stable code for front ends that word problems themselves.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoTargets => "no_targets",
            Self::UnknownAccount(_) => "unknown_account",
            Self::Disabled(_) => "disabled",
            Self::NeedsReconnect { .. } => "needs_reconnect",
            Self::Empty => "empty",
            Self::Media(_) => "media",
            Self::PastSchedule(_) => "past_schedule",
            Self::FarSchedule(_) => "far_schedule",
            Self::NotMessaging(_) => "not_messaging",
            Self::NoComments(_) => "no_comments",
            Self::MediaOrder { .. } => "media_order",
            Self::Duplicate { .. } => "duplicate",
        }
    }

    /// What is wrong, in English, in terms of the post (the CLI words it with its flags, the
    /// app in the user's language, both by [`DraftProblem::code`]).
    pub fn message(&self) -> String {
        match self {
            Self::NoTargets => "name at least one account to post to".into(),
            Self::UnknownAccount(r) => format!("no account named '{r}'"),
            Self::Disabled(name) => format!("account '{name}' is switched off; switch it on to post to it"),
            Self::NeedsReconnect { account, detail } => format!(
                "account '{account}' needs reconnecting ({}); fix its credentials and check it again",
                detail.as_deref().unwrap_or("its credentials were refused")
            ),
            Self::Empty => "the post is empty: give it some text or at least one file".into(),
            Self::Media(message) => message.clone(),
            Self::NotMessaging(name) => {
                format!("'{name}' does not message people: recipient lists and templates are for WhatsApp accounts")
            }
            Self::NoComments(name) => {
                format!("'{name}' takes no first comment: a first comment is for Instagram accounts")
            }
            Self::MediaOrder { account, files } => format!(
                "the order of the files for '{account}' must name each of the {files} files once, by position (1 to {files})"
            ),
            Self::PastSchedule(at) => {
                format!("{} is in the past; give a future time or leave it out to post now", at.to_rfc3339())
            }
            Self::FarSchedule(at) => {
                format!("{} is more than a year ahead; give a time within the next 12 months", at.to_rfc3339())
            }
            Self::Duplicate { account, at } => {
                format!("the same post went to '{account}' at {} (in the last 7 days)", at.to_rfc3339())
            }
        }
    }
}

/// A draft that cannot be queued, with every problem at once: the draft's own and each target's.
#[derive(Debug, Clone, PartialEq)]
pub struct NotReady {
    pub problems: Vec<DraftProblem>,
    pub targets: Vec<Problem>,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(DraftProblem::message)
            .chain(self.targets.iter().map(ToString::to_string))
            .collect();
        let count = if lines.len() == 1 { "1 problem".to_owned() } else { format!("{} problems", lines.len()) };
        write!(f, "nothing was queued; {count} to fix:")?;
        lines.iter().try_for_each(|line| write!(f, "\n  - {line}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_draft_problem_has_its_code_listed() {
        let at = Timestamp(0);
        let all = [
            DraftProblem::NoTargets,
            DraftProblem::UnknownAccount("a".into()),
            DraftProblem::Disabled("a".into()),
            DraftProblem::NeedsReconnect { account: "a".into(), detail: None },
            DraftProblem::Empty,
            DraftProblem::Media("m".into()),
            DraftProblem::PastSchedule(at),
            DraftProblem::FarSchedule(at),
            DraftProblem::NotMessaging("a".into()),
            DraftProblem::NoComments("a".into()),
            DraftProblem::MediaOrder { account: "a".into(), files: 2 },
            DraftProblem::Duplicate { account: "a".into(), at },
        ];
        let codes: Vec<&str> = all.iter().map(DraftProblem::code).collect();
        assert_eq!(codes, DraftProblem::CODES);
    }

    #[test]
    fn codes_are_unique() {
        for list in [TARGET_CODES, DraftProblem::CODES] {
            let unique: std::collections::HashSet<&&str> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "{list:?}");
        }
    }
}
