//! `fanout demo`: the whole journey with no credentials. Starts the sandbox in this process, links
//! a demo Mastodon account and a demo Discord webhook served by it, shares a sample post with a
//! photo, and shows each delivery settle. Demo data lives in its own folder (`<data-dir>/demo`)
//! with its own file of (fake) secrets, so it never mixes with real accounts.

use std::sync::Arc;

use fanout_core::accounts::NewAccount;
use fanout_core::error::{Error, Result};
use fanout_core::post::{self, Draft};
use fanout_core::secrets::FileStore;

use crate::args::{Cli, WorkerTuning};
use crate::context::default_data_dir;
use crate::delivering::wait_and_report;
use crate::output::describe_account;

const PHOTO: &[u8] = include_bytes!("../assets/demo-photo.png");

pub async fn run(cli: &Cli) -> Result<u8> {
    let base = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir()?,
    };
    let dir = base.join("demo");
    let secrets = Arc::new(FileStore::new(dir.join("demo-secrets.json")));
    let cx = crate::context::with_secrets(&dir, secrets, cli.http_timeout)?;
    let sandbox = fanout_sandbox::Sandbox::start(fanout_sandbox::SandboxConfig::default())
        .await
        .map_err(|e| Error::invalid(format!("cannot start the sandbox: {e}")))?;
    out!("Fanout demo");
    out!("The sandbox — a stand-in Mastodon server and Discord webhook on this machine — is at {}", sandbox.url());

    let accounts = cx.accounts();
    // The sandbox gets a new port each run: replace the demo accounts of an earlier run.
    for old in accounts.list()?.into_iter().filter(|a| a.demo) {
        accounts.remove(&old.id.to_string()).await?;
    }
    let mut linked = Vec::new();
    for demo in fanout_sandbox::demo_accounts(&sandbox.url()).into_iter().filter(|d| d.starter) {
        let credentials = cx.registry.credentials(demo.network, demo.values)?;
        let new = NewAccount { name: Some(demo.name.into()), credentials, enabled: true, demo: true };
        linked.push(accounts.add(new).await?);
    }
    let names: Vec<String> = linked.iter().map(describe_account).collect();
    out!("Linked demo accounts: {}", names.join(", "));

    let photo = dir.join("sample-photo.png");
    std::fs::write(&photo, PHOTO).map_err(|e| Error::io(format!("cannot write {}", photo.display()), e))?;
    let draft = Draft {
        text:
            "Hello from Fanout! One post, every place at once — shared from my own machine. https://example.org/fanout"
                .into(),
        media: vec![photo],
        targets: linked.iter().map(|a| a.name.clone()).collect(),
        ..Draft::default()
    };
    let tuning = WorkerTuning { pace_ms: Some(0), retry_base_ms: 500, reconcile_ms: 500, ..WorkerTuning::defaults() };
    let outbox = cx.outbox(&tuning.to_core());
    let (post_id, deliveries) =
        post::enqueue(&outbox, &cx.registry, &cx.variants(), &cx.media_dir(), &draft, cx.clock.now())?;
    out!(
        "Queued post {} with a photo for {} accounts; delivering:",
        crate::output::short(&post_id.to_string()),
        deliveries.len()
    );
    let ids: Vec<_> = deliveries.iter().map(|(id, _)| *id).collect();
    let code = wait_and_report(&cx, &tuning, &ids, false).await?;

    let state = sandbox.state();
    out!();
    out!(
        "The sandbox received {} Mastodon status(es) with {} media and {} Discord message(s).",
        state.mastodon_statuses.len(),
        state.mastodon_media.len(),
        state.discord_messages.len()
    );
    out!("Demo data is in {} — look at it with `fanout --data-dir {} outbox`.", dir.display(), dir.display());
    sandbox.shutdown().await;
    Ok(code)
}
