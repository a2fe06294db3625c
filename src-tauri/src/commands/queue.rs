//! The posting queue: its times, their occurrences for the calendar, and Add to queue.

use fanout_core::clock::Timestamp;
use fanout_core::queue;
use tauri::{AppHandle, Manager, State};

use super::compose::{draft, release};
use crate::error::{AppError, Result};
use crate::models::{DraftInput, NewSlotInput, NextSlotView, OccurrenceView, QueuedView, SlotView};
use crate::state::AppState;

pub(super) fn slot_view(slot: &queue::Slot, now: Timestamp) -> SlotView {
    SlotView {
        id: slot.id.to_string(),
        days: slot.days.iso_days(),
        time: slot.time(),
        zone: slot.zone.clone(),
        accounts: slot.accounts.iter().map(ToString::to_string).collect(),
        next: queue::next_occurrence(slot, now).ok().flatten().map(|t| t.0 as f64),
    }
}

/// The queue's posting times.
#[tauri::command]
#[specta::specta]
pub fn queue_slots(state: State<'_, AppState>) -> Result<Vec<SlotView>> {
    let now = state.cx.clock.now();
    Ok(queue::list(&state.cx.store)?.iter().map(|s| slot_view(s, now)).collect())
}

#[tauri::command]
#[specta::specta]
pub fn add_queue_slot(state: State<'_, AppState>, slot: NewSlotInput) -> Result<SlotView> {
    let new = queue::NewSlot {
        days: queue::Weekdays::from_iso(&slot.days)?,
        minute_of_day: queue::parse_time(&slot.time)?,
        zone: slot.zone,
        accounts: slot.accounts,
    };
    let now = state.cx.clock.now();
    Ok(slot_view(&queue::add(&state.cx.store, &new, now)?, now))
}

#[tauri::command]
#[specta::specta]
pub fn remove_queue_slot(state: State<'_, AppState>, id: String) -> Result<()> {
    let id = id.parse().map_err(|_| AppError::new("invalid_input", format!("'{id}' is not a posting time")))?;
    Ok(queue::remove(&state.cx.store, id)?)
}

/// Every posting time between two instants, with the accounts already taken then (the calendar's
/// empty places).
#[tauri::command]
#[specta::specta]
pub fn queue_occurrences(state: State<'_, AppState>, from: f64, to: f64) -> Result<Vec<OccurrenceView>> {
    let ids = |v: &[fanout_core::model::AccountId]| v.iter().map(ToString::to_string).collect();
    Ok(queue::occurrences(&state.cx.store, Timestamp(from as i64), Timestamp(to as i64))?
        .iter()
        .map(|o| OccurrenceView {
            at: o.at.0 as f64,
            slot: o.slot.to_string(),
            accounts: ids(&o.accounts),
            taken: ids(&o.taken),
        })
        .collect())
}

/// The next free posting time of each account.
#[tauri::command]
#[specta::specta]
pub fn next_queue_slots(state: State<'_, AppState>, accounts: Vec<String>) -> Result<Vec<NextSlotView>> {
    let ids = accounts
        .iter()
        .map(|a| a.parse().map_err(|_| AppError::new("invalid_input", format!("'{a}' is not an account id"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(queue::next_free(&state.cx.store, &ids, state.cx.clock.now())?
        .into_iter()
        .map(|(account, at)| NextSlotView { account_id: account.to_string(), at: at.0 as f64 })
        .collect())
}

/// "Add to queue": the post goes to the next free posting time of each chosen account.
#[tauri::command]
#[specta::specta]
pub async fn add_to_queue(app: AppHandle, draft_input: DraftInput) -> Result<Vec<QueuedView>> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let queued = queue::enqueue(
            &outbox,
            &state.cx.registry,
            &state.cx.variants(),
            &state.cx.media_dir(),
            &draft,
            state.cx.clock.now(),
        )?;
        release(&state, &draft_input);
        Ok(queued
            .iter()
            .map(|q| QueuedView {
                post_id: q.post.to_string(),
                at: q.at.0 as f64,
                accounts: q.deliveries.iter().map(|(_, a)| a.id.to_string()).collect(),
            })
            .collect())
    })
    .await?
}
