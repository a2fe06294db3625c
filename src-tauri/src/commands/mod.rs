//! The commands the windows call: each parses its arguments, makes one call into fanout-core (or
//! the app's runtime), and maps the result to transport types. No SQL, HTTP or image code here.
//! One module per area (accounts, compose, outbox, queue); the app's own (settings, windows,
//! the data folder) are here.

use fanout_core::model::PostId;
use tauri::{AppHandle, State};

use crate::error::{AppError, Result};
use crate::models::{AppInfo, Settings};
use crate::state::{AppState, lock};

pub mod accounts;
pub mod compose;
pub mod outbox;
pub mod queue;

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    // The first window's first call: the UI is up and can be used.
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    ANNOUNCED.call_once(|| {
        if let Some(started) = crate::STARTED.get() {
            log::info!("interactive after {} ms", started.elapsed().as_millis());
        }
    });
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: state.cx.data_dir.display().to_string(),
        secret_store: state.secret_store.clone(),
        paused: state.delivery.is_paused(),
        delivery_trouble: state.delivery.trouble(),
        demo_server: state.demo_url(),
        settings: state.settings(),
    }
}

#[tauri::command]
#[specta::specta]
pub fn save_settings(app: AppHandle, state: State<'_, AppState>, settings: Settings) -> Result<AppInfo> {
    crate::apply_settings(&app, &state.settings(), &settings)?;
    state.settings_file.save(&settings)?;
    *lock(&state.settings) = settings;
    crate::tray::refresh(&app);
    Ok(app_info(state))
}

/// The tray's and notifications' texts in the user's language, from the UI's i18n layer.
#[tauri::command]
#[specta::specta]
pub fn set_shell_strings(app: AppHandle, state: State<'_, AppState>, strings: crate::strings::ShellStrings) {
    *lock(&state.shell_strings) = strings;
    crate::tray::refresh(&app);
}

pub(super) fn parse_post_id(id: &str) -> Result<PostId> {
    id.parse().map_err(|_| AppError::new("invalid_input", format!("'{id}' is not a post id")))
}

/// Opens a URL in the system's handler; tests read it from `FANOUT_OPEN_URL_FILE` instead.
pub(super) fn open_external(url: &str) -> Result<()> {
    match std::env::var_os("FANOUT_OPEN_URL_FILE") {
        Some(file) => {
            std::fs::write(file, url).map_err(|e| AppError::new("app", format!("cannot write the address: {e}")))
        }
        None => tauri_plugin_opener::open_url(url, None::<&str>)
            .map_err(|e| AppError::new("app", format!("cannot open {url}: {e}"))),
    }
}

/// Opens the data folder in the file manager.
#[tauri::command]
#[specta::specta]
pub fn open_data_folder(state: State<'_, AppState>) -> Result<()> {
    tauri_plugin_opener::open_path(&state.cx.data_dir, None::<&str>)
        .map_err(|e| AppError::new("app", format!("cannot open {}: {e}", state.cx.data_dir.display())))
}

/// Shows the quick-share window (from the tray, the shortcut or the main window).
#[tauri::command]
#[specta::specta]
pub fn show_quick_share(app: AppHandle) -> Result<()> {
    crate::windows::show_quick_share(&app, None)
}

/// Brings the main window forward, on a view.
#[tauri::command]
#[specta::specta]
pub fn show_main(app: AppHandle, view: Option<String>) -> Result<()> {
    crate::windows::show_main(&app, view.as_deref())
}

/// The clipboard's text, for the quick-share window.
#[tauri::command]
#[specta::specta]
pub fn clipboard_text(app: AppHandle) -> Option<String> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    app.clipboard().read_text().ok().filter(|t| !t.trim().is_empty())
}
