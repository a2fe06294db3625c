//! The few strings the Rust side shows by itself — the tray menu and desktop notifications — in
//! each language the UI has (the UI's own strings live in `ui/src/lib/i18n/`). The language is the
//! user's setting, else the OS's.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    En,
    Nl,
}

impl Strings {
    /// `locale` is a setting (`system`, `en`, `nl-BE`…); `system` asks the OS.
    pub fn for_locale(locale: &str) -> Strings {
        let tag = if locale == "system" { std::env::var("LANG").unwrap_or_default() } else { locale.to_owned() };
        if tag.to_ascii_lowercase().starts_with("nl") { Strings::Nl } else { Strings::En }
    }

    pub fn quick_share(self) -> &'static str {
        match self {
            Self::En => "Quick share…",
            Self::Nl => "Snel delen…",
        }
    }

    pub fn share_clipboard(self) -> &'static str {
        match self {
            Self::En => "Share clipboard",
            Self::Nl => "Klembord delen",
        }
    }

    pub fn open(self) -> &'static str {
        match self {
            Self::En => "Open Fanout",
            Self::Nl => "Fanout openen",
        }
    }

    pub fn pause(self) -> &'static str {
        match self {
            Self::En => "Pause delivery",
            Self::Nl => "Bezorging pauzeren",
        }
    }

    pub fn resume(self) -> &'static str {
        match self {
            Self::En => "Resume delivery",
            Self::Nl => "Bezorging hervatten",
        }
    }

    pub fn failures(self, count: usize) -> String {
        match (self, count) {
            (Self::En, 0) => "No failures".into(),
            (Self::En, 1) => "1 share needs attention…".into(),
            (Self::En, n) => format!("{n} shares need attention…"),
            (Self::Nl, 0) => "Geen problemen".into(),
            (Self::Nl, 1) => "1 deling vraagt aandacht…".into(),
            (Self::Nl, n) => format!("{n} delingen vragen aandacht…"),
        }
    }

    pub fn quit(self) -> &'static str {
        match self {
            Self::En => "Quit Fanout",
            Self::Nl => "Fanout afsluiten",
        }
    }

    pub fn not_shared(self, account: &str) -> String {
        match self {
            Self::En => format!("Not shared to {account}"),
            Self::Nl => format!("Niet gedeeld met {account}"),
        }
    }

    pub fn shared(self, count: usize) -> String {
        match (self, count) {
            (Self::En, 1) => "Shared to 1 place".into(),
            (Self::En, n) => format!("Shared to {n} places"),
            (Self::Nl, 1) => "Gedeeld op 1 plek".into(),
            (Self::Nl, n) => format!("Gedeeld op {n} plekken"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_is_chosen_for_any_dutch_locale_and_english_otherwise() {
        assert_eq!(Strings::for_locale("nl-BE"), Strings::Nl);
        assert_eq!(Strings::for_locale("en"), Strings::En);
        assert_eq!(Strings::for_locale("fr"), Strings::En, "a language without strings falls back to English");
        assert_eq!(Strings::Nl.shared(3), "Gedeeld op 3 plekken");
    }
}
