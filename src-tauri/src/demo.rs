//! Demo mode: the sandbox runs inside the app on 127.0.0.1 and serves demo accounts (labelled as
//! such everywhere), so a new user shares and watches deliveries with no credentials. The sandbox
//! forgets its posts when the app quits; the demo accounts are pointed at its new address on the
//! next start, so their history stays.

use fanout_core::accounts::NewAccount;
use fanout_core::model::{Account, NetworkKind};

use crate::error::{AppError, Result};
use crate::state::{AppState, lock};

/// `FANOUT_DEMO_PORT` fixes the sandbox's port (tests drive its fault plan there); else any free one.
fn port() -> u16 {
    std::env::var("FANOUT_DEMO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(0)
}

/// Starts the sandbox if it is not running, and points the demo accounts at it.
pub async fn ensure_sandbox(state: &AppState) -> Result<String> {
    let mut running = state.demo.lock().await;
    if let Some(sandbox) = running.as_ref() {
        return Ok(sandbox.url());
    }
    let config = fanout_sandbox::SandboxConfig { port: port(), ..Default::default() };
    let sandbox = fanout_sandbox::Sandbox::start(config)
        .await
        .map_err(|e| AppError::new("demo", format!("cannot start the demo server on this machine: {e}")))?;
    let url = sandbox.url();
    state.cx.accounts().rebase_demo(&url).await?;
    *lock(&state.demo_url) = Some(url.clone());
    *running = Some(sandbox);
    Ok(url)
}

/// Starts the demo: the sandbox, and the demo accounts it starts with (enabled: the user asked
/// for them) unless they exist already.
pub async fn start(state: &AppState) -> Result<Vec<Account>> {
    let url = ensure_sandbox(state).await?;
    let accounts = state.cx.accounts();
    let existing: Vec<Account> = accounts.list()?.into_iter().filter(|a| a.demo).collect();
    if !existing.is_empty() {
        return Ok(existing);
    }
    let wanted = fanout_sandbox::demo_accounts(&url).into_iter().filter(|d| d.starter);
    let mut linked = Vec::new();
    for demo in wanted {
        linked.push(link(state, demo).await?);
    }
    Ok(linked)
}

/// The sandbox's other demo accounts (the chats and open networks), each linked through its own
/// network's checks against the demo server; a network that has a demo account already is skipped.
pub async fn add_networks(state: &AppState) -> Result<Vec<Account>> {
    let url = ensure_sandbox(state).await?;
    let accounts = state.cx.accounts();
    let have: Vec<NetworkKind> = accounts.list()?.into_iter().filter(|a| a.demo).map(|a| a.network).collect();
    let wanted = fanout_sandbox::demo_accounts(&url).into_iter().filter(|d| !d.starter);
    let mut linked = Vec::new();
    for demo in wanted {
        if have.iter().any(|n| n.as_str() == demo.network) {
            continue;
        }
        linked.push(link(state, demo).await?);
    }
    Ok(linked)
}

/// Links a demo account the sandbox serves, switched on (the user asked for the demo).
async fn link(state: &AppState, demo: fanout_sandbox::DemoAccount) -> Result<Account> {
    let credentials = state.cx.registry.credentials(demo.network, demo.values)?;
    let new = NewAccount { name: Some(demo.name.into()), credentials, enabled: true, demo: true };
    Ok(state.cx.accounts().add(new).await?)
}

/// Gives a demo WhatsApp number a list of two demo customers (the sandbox's numbers stand for
/// people who opted in), so the demo can message someone.
pub fn add_demo_recipients(state: &AppState, linked: &[Account]) -> Result<()> {
    let lists = state.cx.recipient_lists();
    for account in linked.iter().filter(|a| a.network.features().messaging) {
        let list = lists.create(&account.id.to_string(), "Demo customers")?;
        let people: Vec<_> = ["Ann Demo +31 6 1234 5678", "Bart Demo +32 470 12 34 56"]
            .iter()
            .map(|line| fanout_core::recipients::parse_entry(line))
            .collect::<fanout_core::Result<_>>()?;
        lists.add(&account.id.to_string(), &list.id.to_string(), &people, true)?;
    }
    Ok(())
}

/// Whether any demo account exists (then the sandbox starts with the app).
pub fn has_demo_accounts(state: &AppState) -> bool {
    state.cx.accounts().list().map(|list| list.iter().any(|a| a.demo)).unwrap_or(false)
}
