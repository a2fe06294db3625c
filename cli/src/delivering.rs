//! Running the worker from the command line: `fanout worker`, and `--wait`, which delivers what
//! was just queued and prints each state change until every delivery has settled. A signal stops
//! it gracefully.

use std::collections::HashMap;
use std::time::Duration;

use fanout_core::error::Result;
use fanout_core::follow::Follower;
use fanout_core::model::{DeliveryId, DeliveryState};
use fanout_core::outbox::Step;
use fanout_core::store::deliveries::Filter;
use fanout_core::worker::{RunSummary, StopWhen};
use tokio_util::sync::CancellationToken;

use crate::args::WorkerTuning;
use crate::context::Context;
use crate::{exit, output};

/// Cancels `token` on Ctrl-C, SIGTERM or SIGHUP (the terminal was closed), so a stop is graceful:
/// what is in flight finishes and is recorded, nothing new starts.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hangup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hangup.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        err!("stopping: finishing what is in flight…");
        token.cancel();
    });
}

/// Runs a worker until `ids` settle, printing each state change; returns the exit code.
pub async fn wait_and_report(cx: &Context, tuning: &WorkerTuning, ids: &[DeliveryId], json: bool) -> Result<u8> {
    let names: HashMap<DeliveryId, String> = {
        let rows = cx.outbox(&tuning.to_core()).list(&Filter { ids: ids.to_vec(), ..Filter::default() })?;
        rows.iter()
            .map(|r| {
                let to = r.delivery.recipient.as_ref().map(|p| format!(" → {}", p.label())).unwrap_or_default();
                (r.delivery.id, format!("{} ({}){to}", r.account_name, r.network.display_name()))
            })
            .collect()
    };
    let mut follower = Follower::from_now(cx.store.clone(), Duration::from_millis(100))?;
    let done = CancellationToken::new();
    let printer = {
        let names = names.clone();
        let done = done.clone();
        tokio::spawn(async move {
            loop {
                let finished = done.is_cancelled();
                for e in follower.poll() {
                    if let Some(name) = names.get(&e.delivery_id)
                        && !json
                    {
                        let detail = e.detail.unwrap_or_default();
                        let detail = Step::parse(&detail).map_or(detail, Step::describe);
                        out!("  {:<40} {:<16} {}", name, e.state.as_str(), detail);
                    }
                }
                if finished {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let cancel = CancellationToken::new();
    cancel_on_signal(cancel.clone());
    let result = run_worker_with(cx, tuning, StopWhen::Settled(ids.to_vec()), cancel).await;
    done.cancel();
    let _ = printer.await;
    result?;
    let rows = cx.outbox(&tuning.to_core()).list(&Filter { ids: ids.to_vec(), ..Filter::default() })?;
    let now = cx.clock.now();
    if json {
        println!(
            "{}",
            crate::terminal::json(&serde_json::Value::Array(rows.iter().map(output::delivery_json).collect()))
        );
    } else {
        out!();
        for row in &rows {
            let mark = if row.delivery.state == DeliveryState::Sent { "✓" } else { "✗" };
            out!(
                "{mark} {:<40} {:<16} {}",
                names.get(&row.delivery.id).cloned().unwrap_or_default(),
                row.delivery.state.as_str(),
                output::state_note(row, now)
            );
        }
    }
    let all_sent = rows.iter().all(|r| r.delivery.state == DeliveryState::Sent);
    Ok(if all_sent { 0 } else { exit::NOT_SENT })
}

pub async fn run_worker(cx: &Context, tuning: &WorkerTuning, stop_when: StopWhen) -> Result<RunSummary> {
    let cancel = CancellationToken::new();
    cancel_on_signal(cancel.clone());
    run_worker_with(cx, tuning, stop_when, cancel).await
}

async fn run_worker_with(
    cx: &Context,
    tuning: &WorkerTuning,
    stop_when: StopWhen,
    cancel: CancellationToken,
) -> Result<RunSummary> {
    crate::context::worker(cx, tuning, stop_when).run(cancel).await
}
