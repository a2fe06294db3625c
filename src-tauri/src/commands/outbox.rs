//! The outbox and history: listing, moving a scheduled post, retrying, cancelling, resolving an
//! unconfirmed delivery, pausing delivery, opening a post's link.

use fanout_core::clock::Timestamp;
use fanout_core::model::DeliveryState;
use fanout_core::outbox::Resolution;
use fanout_core::store::deliveries::Filter;
use tauri::{AppHandle, State};

use super::parse_post_id;
use crate::error::{AppError, Result};
use crate::models::{DeliveryView, HistoryQuery};
use crate::runtime;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub fn list_outbox(state: State<'_, AppState>, limit: u32) -> Result<Vec<DeliveryView>> {
    let filter = Filter { limit: Some(limit as usize), ..Filter::default() };
    Ok(state.cx.outbox(&state.tuning).list(&filter)?.iter().map(DeliveryView::from).collect())
}

/// Sent deliveries, newest first, optionally only one account's or those whose text matches.
#[tauri::command]
#[specta::specta]
pub fn history(state: State<'_, AppState>, query: HistoryQuery) -> Result<Vec<DeliveryView>> {
    let account = match query.account_id.as_deref() {
        Some(id) => Some(state.cx.accounts().find(id)?.id),
        None => None,
    };
    let filter = Filter {
        states: vec![DeliveryState::Sent],
        account,
        text: query.search.filter(|s| !s.trim().is_empty()),
        limit: Some(query.limit.unwrap_or(200) as usize),
        ..Filter::default()
    };
    Ok(state.cx.outbox(&state.tuning).list(&filter)?.iter().map(DeliveryView::from).collect())
}

/// Moves a scheduled post that has not started to a new time (the calendar's drag).
#[tauri::command]
#[specta::specta]
pub fn reschedule_post(state: State<'_, AppState>, post_id: String, at: f64) -> Result<()> {
    let post = parse_post_id(&post_id)?;
    state.cx.outbox(&state.tuning).reschedule(post, Timestamp(at as i64), state.cx.clock.now())?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn retry_delivery(state: State<'_, AppState>, id: String) -> Result<()> {
    state.cx.outbox(&state.tuning).retry(&id, state.cx.clock.now())?;
    Ok(())
}

/// Queues again every delivery that failed or waits for the user; returns how many.
#[tauri::command]
#[specta::specta]
pub fn retry_all_failures(state: State<'_, AppState>) -> Result<u32> {
    let n = state.cx.outbox(&state.tuning).retry_all_failures(state.cx.clock.now())?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

#[tauri::command]
#[specta::specta]
pub fn cancel_delivery(state: State<'_, AppState>, id: String) -> Result<()> {
    state.cx.outbox(&state.tuning).cancel(&id, state.cx.clock.now())?;
    Ok(())
}

/// For an unconfirmed delivery: `sent` (the user saw the post) or send it again.
#[tauri::command]
#[specta::specta]
pub fn resolve_delivery(state: State<'_, AppState>, id: String, sent: bool) -> Result<()> {
    let how = if sent { Resolution::Sent } else { Resolution::Resend };
    state.cx.outbox(&state.tuning).resolve(&id, how, state.cx.clock.now())?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn set_paused(app: AppHandle, paused: bool) -> bool {
    if paused {
        runtime::pause_worker(&app);
    } else {
        runtime::start_worker(&app);
    }
    crate::tray::refresh(&app);
    paused
}

/// Opens a post's link in the browser; only http(s) links.
#[tauri::command]
#[specta::specta]
pub fn open_link(url: String) -> Result<()> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError::new("invalid_input", "only web links (http or https) can be opened"));
    }
    tauri_plugin_opener::open_url(&url, None::<&str>)
        .map_err(|e| AppError::new("app", format!("cannot open the browser: {e}")))
}
