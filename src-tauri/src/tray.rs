//! The tray icon and its menu: Quick share…, Share clipboard, Open Fanout, Pause/Resume delivery,
//! the latest failures, Quit. The menu is rebuilt when what it shows changes (language, pause,
//! failures). Where the desktop has no tray host (a bare X server), Tauri falls back quietly.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::state::AppState;
use crate::windows;

const TRAY_ID: &str = "fanout";

/// Makes the tray icon; `toggle_delivery` pauses delivery or resumes it (the runtime's, given
/// here so the tray does not reach into the worker).
pub fn create(app: &AppHandle, toggle_delivery: fn(&AppHandle)) -> tauri::Result<()> {
    let menu = menu(app)?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Fanout")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(move |app, event| on_menu(app, event.id().as_ref(), toggle_delivery))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                let _ = windows::show_quick_share(tray.app_handle(), None);
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Rebuilds the menu after a change it shows.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    match menu(app) {
        Ok(menu) => {
            let _ = tray.set_menu(Some(menu));
        }
        Err(e) => log::warn!("cannot rebuild the tray menu: {e}"),
    }
}

fn menu(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let state = app.state::<AppState>();
    let s = state.shell_strings();
    let failed = state.waiting_for_user();
    let pause_label = if state.delivery.is_paused() { &s.resume } else { &s.pause };
    let quick_share = MenuItem::with_id(app, "quick-share", &s.quick_share, true, None::<&str>)?;
    let share_clipboard = MenuItem::with_id(app, "share-clipboard", &s.share_clipboard, true, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", &s.open, true, None::<&str>)?;
    let first_separator = PredefinedMenuItem::separator(app)?;
    let pause = MenuItem::with_id(app, "pause", pause_label, true, None::<&str>)?;
    // Shown only while a local fault holds delivery back; clicking it opens the window.
    let trouble = state.delivery.trouble().map(|reason| s.troubled(&reason));
    let trouble = trouble.map(|text| MenuItem::with_id(app, "trouble", text, true, None::<&str>)).transpose()?;
    let failures = MenuItem::with_id(app, "failures", s.failures(failed), failed > 0, None::<&str>)?;
    let second_separator = PredefinedMenuItem::separator(app)?;
    let quit = MenuItem::with_id(app, "quit", &s.quit, true, None::<&str>)?;
    let mut items: Vec<&dyn tauri::menu::IsMenuItem<Wry>> =
        vec![&quick_share, &share_clipboard, &open, &first_separator, &pause];
    if let Some(trouble) = &trouble {
        items.push(trouble);
    }
    items.extend([&failures as &dyn tauri::menu::IsMenuItem<Wry>, &second_separator, &quit]);
    Menu::with_items(app, &items)
}

fn on_menu(app: &AppHandle, id: &str, toggle_delivery: fn(&AppHandle)) {
    let result = match id {
        "quick-share" => windows::show_quick_share(app, None),
        "share-clipboard" => {
            use tauri_plugin_clipboard_manager::ClipboardExt;
            let text = app.clipboard().read_text().unwrap_or_default();
            windows::show_quick_share(app, Some(text))
        }
        "open" | "trouble" => windows::show_main(app, None),
        "failures" => windows::show_main(app, Some("outbox")),
        "pause" => {
            toggle_delivery(app);
            refresh(app);
            Ok(())
        }
        "quit" => {
            app.state::<AppState>().delivery.pause();
            app.exit(0);
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        log::warn!("tray action {id} failed: {e}");
    }
}
