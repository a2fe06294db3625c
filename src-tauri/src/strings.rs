//! The few strings the Rust side shows by itself — the tray menu and desktop notifications. They
//! come from the UI's i18n layer (i18next, `ui/src/lib/locales/`): the main window sends them in
//! the user's language when it loads and whenever the language changes. Until then, English.

use serde::{Deserialize, Serialize};

/// Texts with `{count}` or `{account}` where a value goes; `_one` and `_other` are the plural
/// forms both of Fanout's languages use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ShellStrings {
    pub quick_share: String,
    pub share_clipboard: String,
    pub open: String,
    pub pause: String,
    pub resume: String,
    pub no_failures: String,
    pub failures_one: String,
    pub failures_other: String,
    pub quit: String,
    pub not_shared: String,
    pub shared_one: String,
    pub shared_other: String,
    /// A sign-in that could not be renewed before it ends (`{account}`).
    pub not_renewed: String,
    /// Delivery waits on a local fault (`{reason}`): the tray's line and the notification's title.
    pub troubled: String,
    /// The notification's body under `troubled`.
    pub troubled_body: String,
}

impl Default for ShellStrings {
    fn default() -> Self {
        Self {
            quick_share: "Quick share…".into(),
            share_clipboard: "Share clipboard".into(),
            open: "Open Fanout".into(),
            pause: "Pause delivery".into(),
            resume: "Resume delivery".into(),
            no_failures: "No failures".into(),
            failures_one: "{count} share needs attention…".into(),
            failures_other: "{count} shares need attention…".into(),
            quit: "Quit Fanout".into(),
            not_shared: "Not shared to {account}".into(),
            shared_one: "Shared to {count} place".into(),
            shared_other: "Shared to {count} places".into(),
            not_renewed: "Log in to {account} again".into(),
            troubled: "Delivery paused: {reason}".into(),
            troubled_body: "Fanout tries again by itself; nothing is lost.".into(),
        }
    }
}

impl ShellStrings {
    pub fn failures(&self, count: usize) -> String {
        match count {
            0 => self.no_failures.clone(),
            1 => self.failures_one.replace("{count}", "1"),
            n => self.failures_other.replace("{count}", &n.to_string()),
        }
    }

    /// The tray's line, the reason shortened to fit a menu.
    pub fn troubled(&self, reason: &str) -> String {
        let short: String = match reason.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &reason[..cut]),
            None => reason.to_owned(),
        };
        self.troubled.replace("{reason}", &short)
    }

    pub fn not_renewed(&self, account: &str) -> String {
        self.not_renewed.replace("{account}", account)
    }

    pub fn not_shared(&self, account: &str) -> String {
        self.not_shared.replace("{account}", account)
    }

    pub fn shared(&self, count: usize) -> String {
        let form = if count == 1 { &self.shared_one } else { &self.shared_other };
        form.replace("{count}", &count.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_names_go_into_the_texts_the_ui_sent() {
        let dutch = ShellStrings {
            shared_one: "Gedeeld op {count} plek".into(),
            shared_other: "Gedeeld op {count} plekken".into(),
            not_shared: "Niet gedeeld met {account}".into(),
            ..ShellStrings::default()
        };
        assert_eq!(dutch.shared(3), "Gedeeld op 3 plekken");
        assert_eq!(dutch.shared(1), "Gedeeld op 1 plek");
        assert_eq!(dutch.not_shared("Werk"), "Niet gedeeld met Werk");
        assert_eq!(ShellStrings::default().not_renewed("Threads: @bakery"), "Log in to Threads: @bakery again");
        assert_eq!(ShellStrings::default().failures(2), "2 shares need attention…");
        assert_eq!(ShellStrings::default().failures(0), "No failures");
    }
}
