//! The tray icon and its menu: Quick share…, Share clipboard, Open Fanout, Pause/Resume delivery,
//! the latest failures, Quit. The menu is rebuilt when what it shows changes (language, pause,
//! failures). Where the desktop has no tray host (a bare X server), Tauri falls back quietly.

use fanout_core::model::DeliveryState;
use fanout_core::store::deliveries::Filter;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::state::AppState;
use crate::{runtime, windows};

const TRAY_ID: &str = "fanout";

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let menu = menu(app)?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Fanout")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
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

/// How many shares wait for the user (needs attention, failed, unconfirmed), as the menu shows.
pub(crate) fn failures(state: &AppState) -> usize {
    let filter = Filter {
        states: vec![DeliveryState::NeedsAttention, DeliveryState::Failed, DeliveryState::Unconfirmed],
        limit: Some(100),
        ..Filter::default()
    };
    state.cx.outbox(&state.tuning).list(&filter).map(|rows| rows.len()).unwrap_or(0)
}

fn menu(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let state = app.state::<AppState>();
    let s = state.shell_strings();
    let failed = failures(&state);
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

fn on_menu(app: &AppHandle, id: &str) {
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
            if app.state::<AppState>().delivery.is_paused() {
                runtime::start_worker(app);
            } else {
                runtime::pause_worker(app);
            }
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
