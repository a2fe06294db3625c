//! The two windows: `main` (Compose, Outbox, Calendar, Queue, History, Accounts, Settings; closing
//! it hides it to the tray) and `quick-share` (a small always-on-top composer, made on first use).
//! Files dropped on a window or handed over by a second launch are attached and wait in `AppState`
//! (`received`, by window) until that window takes them, so a window still loading loses none.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event;

use crate::error::Result;
use crate::models::{MediaWaiting, Navigate, QuickShareText};

pub const MAIN: &str = "main";
pub const QUICK_SHARE: &str = "quick-share";

pub fn show_main(app: &AppHandle, view: Option<&str>) -> Result<()> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.show()?;
        window.unminimize()?;
        window.set_focus()?;
        if let Some(view) = view {
            Navigate { view: view.to_owned() }.emit_to(app, MAIN)?;
        }
    }
    Ok(())
}

/// Shows quick share; `text` (the tray's "Share clipboard") is put in its text box.
pub fn show_quick_share(app: &AppHandle, text: Option<String>) -> Result<()> {
    let window = match app.get_webview_window(QUICK_SHARE) {
        Some(window) => window,
        None => WebviewWindowBuilder::new(app, QUICK_SHARE, WebviewUrl::App("index.html?window=quick".into()))
            .title("Fanout: Quick share")
            .inner_size(460.0, 560.0)
            .min_inner_size(380.0, 420.0)
            .resizable(true)
            .always_on_top(true)
            .center()
            .build()?,
    };
    window.show()?;
    window.set_focus()?;
    if let Some(text) = text {
        QuickShareText { text }.emit_to(app, QUICK_SHARE)?;
    }
    Ok(())
}

/// Attaches files given by path (a drop on a window, a second launch, "Open with") and hands
/// them to the window's composer.
pub fn receive_files(app: &AppHandle, window: &str, paths: &[std::path::PathBuf]) {
    let state = app.state::<crate::state::AppState>();
    {
        let mut waiting = crate::state::lock(&state.received);
        let received = waiting.entry(window.to_owned()).or_default();
        for path in paths {
            match state.attachments.add_path(path) {
                Ok(a) => received.media.push(crate::models::MediaView::from(&a)),
                Err(e) => received.problems.push(e.to_string()),
            }
        }
    }
    if let Err(e) = (MediaWaiting {}).emit_to(app, window) {
        log::warn!("cannot tell the {window} window about its files: {e}");
    }
}
