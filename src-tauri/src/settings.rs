//! The app's own preferences (theme, language, shortcut, notifications, start at login), kept as a
//! small JSON file in the data folder beside the database. A missing or unreadable file gives the
//! defaults; a write goes through a temporary file and a rename, so it is never half written.

use std::path::{Path, PathBuf};

use crate::error::{AppError, Result};
use crate::models::Settings;

#[derive(Debug)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(data_dir: &Path) -> Self {
        Self { path: data_dir.join("settings.json") }
    }

    pub fn load(&self) -> Settings {
        std::fs::read(&self.path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
    }

    pub fn save(&self, settings: &Settings) -> Result<()> {
        let fail = |e: String| AppError::new("io", format!("cannot save the settings to {}: {e}", self.path.display()));
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(settings).map_err(|e| fail(e.to_string()))?;
        std::fs::write(&tmp, text).map_err(|e| fail(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_restart_and_a_broken_file_gives_the_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = SettingsFile::new(dir.path());
        assert_eq!(file.load(), Settings::default(), "a first launch has the defaults");
        let mine = Settings { theme: "dark".into(), locale: "nl".into(), onboarded: true, ..Settings::default() };
        file.save(&mine).expect("saves");
        assert_eq!(SettingsFile::new(dir.path()).load(), mine, "what was saved is read back");
        std::fs::write(dir.path().join("settings.json"), b"{not json").expect("write");
        assert_eq!(file.load(), Settings::default(), "a damaged file never stops the app");
    }
}
