//! What runs in the background for as long as the app does, window open or not: the delivery
//! worker, and a watcher that turns new rows of the outbox's event log into `OutboxChanged` events
//! for the windows (with each running delivery's `Step`), into desktop notifications and into the
//! tray's count of shares that wait for the user. The watcher reads the log rather than hooking the
//! worker, so changes made by the CLI or another process on the same data folder show up too.
//!
//! A local fault that pauses the worker (`WorkerHealth`) becomes a `DeliveryTrouble` event, a tray
//! line and one notification, until it passes. Sign-ins near their end are renewed at start and
//! every six hours (`renew_sign_ins`); one that cannot be is a notification, once a run.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use fanout_core::follow::Follower;
use fanout_core::model::{DeliveryId, DeliveryState};
use fanout_core::outbox::Step;
use fanout_core::store::deliveries::Filter;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event;

use crate::models::{DeliveryPaused, DeliveryTrouble, DeliveryView, OutboxChanged};
use crate::state::AppState;

/// Starts (or restarts) this process's worker.
pub fn start_worker(app: &AppHandle) {
    let state = app.state::<AppState>();
    let token = state.delivery.begin();
    let owner = format!("app-{}-{}", std::process::id(), &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let worker = state.cx.worker(&state.tuning, owner, fanout_core::worker::StopWhen::Cancelled, None);
    // A new run starts with a clean slate; only its own follower reports from here on.
    troubled(app, None);
    follow_health(app.clone(), worker.health(), token.clone());
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        match worker.run(token).await {
            Ok(summary) => log::info!("delivery stopped: {} sent, {} handed back", summary.sent, summary.handed_back),
            Err(e) => {
                // A run that ends only when cancelled pauses on local faults rather than ending,
                // so this is something else: say so where the user looks.
                log::error!("delivery stopped by an error: {e}");
                troubled(&handle, Some(format!("delivery stopped: {e}")));
            }
        }
    });
    let _ = DeliveryPaused { paused: false }.emit(app);
}

/// Turns the worker's health into the window's banner, the tray's line and one notification per
/// episode, until the run is cancelled.
fn follow_health(
    app: AppHandle,
    mut health: tokio::sync::watch::Receiver<fanout_core::worker::WorkerHealth>,
    token: tokio_util::sync::CancellationToken,
) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::select! {
                () = token.cancelled() => break,
                changed = health.changed() => if changed.is_err() { break },
            }
            let reason = match &*health.borrow_and_update() {
                fanout_core::worker::WorkerHealth::Delivering => None,
                fanout_core::worker::WorkerHealth::Paused { reason, .. } => Some(reason.clone()),
            };
            troubled(&app, reason);
        }
    });
}

/// Records and shows why delivery waits (or that it no longer does).
fn troubled(app: &AppHandle, reason: Option<String>) {
    let state = app.state::<AppState>();
    let newly = reason.is_some() && state.delivery.trouble().is_none();
    if !state.delivery.set_trouble(reason.clone()) {
        return;
    }
    match &reason {
        Some(why) => log::warn!("delivery paused, shown to the user: {why}"),
        None => log::info!("delivery goes on"),
    }
    if let Err(e) = (DeliveryTrouble { reason: reason.clone() }).emit(app) {
        log::warn!("cannot tell the windows that delivery waits: {e}");
    }
    crate::tray::refresh(app);
    if newly && state.settings().notify_failures {
        let strings = state.shell_strings();
        show(app, &strings.troubled(reason.as_deref().unwrap_or_default()), &strings.troubled_body);
    }
}

/// Resumes delivery when paused, pauses it otherwise (the tray's Pause/Resume).
pub fn toggle_delivery(app: &AppHandle) {
    if app.state::<AppState>().delivery.is_paused() {
        start_worker(app);
    } else {
        pause_worker(app);
    }
}

pub fn pause_worker(app: &AppHandle) {
    app.state::<AppState>().delivery.pause();
    // Paused by the user: that is what the window and the tray say now.
    troubled(app, None);
    let _ = DeliveryPaused { paused: true }.emit(app);
}

/// Renews sign-ins before they end (a Threads token within 30 days of its expiry), now and every
/// six hours while the app runs, so an account does not stop for want of logging in again; one
/// that cannot be renewed is a desktop notification saying to log in again.
pub fn renew_sign_ins(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut warned: HashSet<String> = HashSet::new();
        loop {
            let state = app.state::<AppState>();
            match state.cx.accounts().renew_sign_ins().await {
                Ok(renewals) => {
                    for renewal in renewals {
                        match renewal.outcome {
                            Ok(_) => log::info!("renewed the sign-in of {} for 60 days", renewal.account),
                            Err(why) => {
                                log::warn!("the sign-in of {} was not renewed: {why}", renewal.account);
                                // Said once a run of the app, not every six hours.
                                if state.settings().notify_failures && warned.insert(renewal.account.clone()) {
                                    let strings = state.shell_strings();
                                    show(&app, &strings.not_renewed(&renewal.account), &why);
                                }
                            }
                        }
                    }
                }
                Err(e) => log::warn!("sign-ins could not be renewed: {e}"),
            }
            tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
        }
    });
}

/// Follows the outbox's event log from its current end.
pub fn watch_outbox(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let mut follower = match Follower::from_now(state.cx.store.clone(), Duration::from_millis(200)) {
            Ok(follower) => follower,
            Err(e) => {
                log::error!("the outbox cannot be followed: {e}");
                return;
            }
        };
        let mut announced: HashSet<String> = HashSet::new();
        let mut failing = state.waiting_for_user();
        loop {
            let new = follower.next().await;
            let ids: Vec<DeliveryId> = {
                let mut seen = HashSet::new();
                new.iter().filter(|e| seen.insert(e.delivery_id)).map(|e| e.delivery_id).collect()
            };
            let outbox = state.cx.outbox(&state.tuning);
            let Ok(rows) = outbox.list(&Filter { ids, ..Filter::default() }) else { continue };
            // The newest step each delivery reported in this batch.
            let mut steps: HashMap<DeliveryId, Step> = HashMap::new();
            for e in &new {
                if let Some(step) = e.detail.as_deref().and_then(Step::parse) {
                    steps.insert(e.delivery_id, step);
                }
            }
            let views: Vec<DeliveryView> =
                rows.iter().map(|r| DeliveryView::from(r).with_step(steps.get(&r.delivery.id).copied())).collect();
            notify(&app, &state, &views, &mut announced);
            let _ = OutboxChanged { deliveries: views }.emit(&app);
            // The tray's menu counts the shares that need attention.
            let now_failing = state.waiting_for_user();
            if now_failing != failing {
                failing = now_failing;
                crate::tray::refresh(&app);
            }
        }
    });
}

/// A notification for each delivery that now waits for the user, and one per post whose every
/// delivery was sent.
fn notify(app: &AppHandle, state: &AppState, changed: &[DeliveryView], announced: &mut HashSet<String>) {
    let settings = state.settings();
    let strings = state.shell_strings();
    if settings.notify_failures {
        for d in changed.iter().filter(|d| {
            matches!(d.state.as_str(), "needs_attention" | "failed" | "unconfirmed") && announced.insert(d.id.clone())
        }) {
            let body = d.error.clone().unwrap_or_default();
            show(app, &strings.not_shared(&d.account_name), &body);
        }
    }
    if settings.notify_sent {
        let posts: HashMap<&str, ()> =
            changed.iter().filter(|d| d.state == "sent").map(|d| (d.post_id.as_str(), ())).collect();
        for post in posts.keys() {
            let Ok(post_id) = post.parse() else { continue };
            let Ok(rows) = state.cx.outbox(&state.tuning).list(&Filter { post: Some(post_id), ..Filter::default() })
            else {
                continue;
            };
            if rows.iter().all(|r| r.delivery.state == DeliveryState::Sent) && announced.insert(format!("post:{post}"))
            {
                let names: Vec<&str> = rows.iter().map(|r| r.account_name.as_str()).collect();
                show(app, &strings.shared(rows.len()), &names.join(", "));
            }
        }
    }
}

fn show(app: &AppHandle, title: &str, body: &str) {
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        log::warn!("cannot show a notification: {e}");
    }
}
