//! Linking and managing accounts: the forms, the browser sign-ins (Facebook, Threads, Mastodon),
//! checking, enabling and removing, WhatsApp recipient lists and templates, quotas, the demo.

use fanout_core::accounts::{LinkAs, NewAccount};
use fanout_core::model::NetworkKind;
use fanout_core::secrets::Secret;
use tauri::{AppHandle, State};

use super::open_external;
use super::outbox::open_link;
use crate::demo;
use crate::error::{AppError, Result};
use crate::models::{
    AccountView, BucketRequest, LinkFormView, LinkRequest, MetaLinked, MetaPermission, QuotaView, RecipientListView,
    TemplateView,
};
use crate::state::{AppState, lock};

#[tauri::command]
#[specta::specta]
pub fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountView>> {
    let accounts = state.cx.accounts();
    let list = accounts.list()?;
    let pictures = accounts.with_pictures()?;
    list.iter()
        .map(|a| {
            let id = a.id.to_string();
            let picture = pictures.contains(&id).then(|| crate::addresses::avatar_url(&id));
            Ok(AccountView { picture, ..AccountView::with_facts(&accounts, a)? })
        })
        .collect()
}

/// A WhatsApp account's recipient lists.
#[tauri::command]
#[specta::specta]
pub fn recipient_lists(state: State<'_, AppState>, account_id: String) -> Result<Vec<RecipientListView>> {
    Ok(state.cx.recipient_lists().lists(&account_id)?.iter().map(RecipientListView::from).collect())
}

#[tauri::command]
#[specta::specta]
pub fn create_recipient_list(
    state: State<'_, AppState>,
    account_id: String,
    name: String,
) -> Result<RecipientListView> {
    Ok(RecipientListView::from(&state.cx.recipient_lists().create(&account_id, &name)?))
}

/// Puts people on a list: `people` is one person per line ("Ann +31 6 1234 5678"); `opted_in`
/// is the user's confirmation that each agreed to be messaged. A bad line names its number.
#[tauri::command]
#[specta::specta]
pub fn add_recipients(
    state: State<'_, AppState>,
    account_id: String,
    list_id: String,
    people: String,
    opted_in: bool,
) -> Result<RecipientListView> {
    let parsed = people
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            fanout_core::recipients::parse_entry(line)
                .map_err(|e| AppError::new("invalid_input", format!("line {}: {e}", n + 1)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecipientListView::from(&state.cx.recipient_lists().add(&account_id, &list_id, &parsed, opted_in)?))
}

#[tauri::command]
#[specta::specta]
pub fn remove_recipient(
    state: State<'_, AppState>,
    account_id: String,
    list_id: String,
    phone: String,
) -> Result<RecipientListView> {
    Ok(RecipientListView::from(&state.cx.recipient_lists().remove(&account_id, &list_id, &phone)?))
}

#[tauri::command]
#[specta::specta]
pub fn delete_recipient_list(state: State<'_, AppState>, account_id: String, list_id: String) -> Result<()> {
    Ok(state.cx.recipient_lists().delete(&account_id, &list_id)?)
}

/// An Instagram or Threads account's 24-hour publishing quota, read now; none for others.
#[tauri::command]
#[specta::specta]
pub async fn publishing_quota(state: State<'_, AppState>, account_id: String) -> Result<Option<QuotaView>> {
    let quota = state.cx.accounts().publishing_quota(&account_id).await?;
    Ok(quota.map(|q| QuotaView {
        used: u32::try_from(q.used).unwrap_or(u32::MAX),
        total: u32::try_from(q.total).unwrap_or(u32::MAX),
    }))
}

/// A WhatsApp account's approved templates, read from Meta now.
#[tauri::command]
#[specta::specta]
pub async fn whatsapp_templates(state: State<'_, AppState>, account_id: String) -> Result<Vec<TemplateView>> {
    Ok(state.cx.accounts().templates(&account_id).await?.iter().map(TemplateView::from).collect())
}

/// The form for linking an account of each network, in the order the app offers them.
#[tauri::command]
#[specta::specta]
pub fn link_forms(state: State<'_, AppState>) -> Vec<LinkFormView> {
    let registry = &state.cx.registry;
    NetworkKind::ALL.iter().map(|kind| LinkFormView::of(registry.get(*kind).as_ref())).collect()
}

#[tauri::command]
#[specta::specta]
pub async fn link_account(state: State<'_, AppState>, request: LinkRequest) -> Result<AccountView> {
    let credentials = state
        .cx
        .registry
        .credentials(&request.network, request.values)?
        .bucket(request.bucket.map(BucketRequest::host));
    let name = request.name.filter(|n| !n.trim().is_empty());
    let account = state.cx.accounts().add(NewAccount { name, credentials, enabled: false, demo: false }).await?;
    Ok(AccountView::from(&account))
}

/// Whether a Meta app is saved (then a login needs no id or secret), and the permissions the
/// app must ask for, for the walkthrough.
#[tauri::command]
#[specta::specta]
pub async fn meta_app_status(state: State<'_, AppState>) -> Result<(bool, Vec<MetaPermission>)> {
    let saved = state.cx.accounts().saved_app(fanout_core::meta_login::APP_SECRET_KEY).await?.is_some();
    let permissions = fanout_core::meta_login::PERMISSIONS
        .iter()
        .map(|(name, why)| MetaPermission { name: (*name).into(), why: (*why).into() })
        .collect();
    Ok((saved, permissions))
}

/// The user's own app for a login: the id and secret given now (then saved under `key`), or the
/// one saved by an earlier login.
pub(super) async fn own_app(
    accounts: &fanout_core::accounts::Accounts,
    key: &'static str,
    what: &str,
    app_id: Option<String>,
    app_secret: Option<String>,
) -> Result<fanout_core::meta_login::MetaApp> {
    match (app_id.filter(|id| !id.trim().is_empty()), app_secret) {
        (Some(id), Some(secret)) => {
            let app = fanout_core::meta_login::MetaApp::new(&id, Secret::new(secret))?;
            accounts.save_app(key, &app).await?;
            Ok(app)
        }
        (Some(_), None) => Err(AppError::new("invalid_input", format!("enter the {what} app's secret too"))),
        (None, _) => accounts.saved_app(key).await?.ok_or_else(|| {
            AppError::new("invalid_input", format!("enter your {what} app's id and secret first (see how to make one)"))
        }),
    }
}

/// Whether a Threads app is saved (then a login needs no id or secret), and the redirect
/// address to register in it.
#[tauri::command]
#[specta::specta]
pub async fn threads_app_status(state: State<'_, AppState>) -> Result<(bool, String)> {
    let saved = state.cx.accounts().saved_app(fanout_core::threads_login::APP_SECRET_KEY).await?.is_some();
    Ok((saved, fanout_core::threads_login::DEFAULT_REDIRECT.to_owned()))
}

/// Starts Threads' login in the system browser; `finish_threads_login` takes the address the
/// browser was sent to. With `demo`, the demo sandbox plays Threads.
#[tauri::command]
#[specta::specta]
pub async fn start_threads_login(
    state: State<'_, AppState>,
    app_id: Option<String>,
    app_secret: Option<String>,
    demo: bool,
) -> Result<String> {
    use fanout_core::meta_login::MetaApp;
    use fanout_core::threads_login::{DEFAULT_REDIRECT, DIALOG_ROOT, ThreadsLogin};
    let accounts = state.cx.accounts();
    let (app, dialog, api) = if demo {
        let url = crate::demo::ensure_sandbox(&state).await?;
        let app = MetaApp::new(fanout_sandbox::SANDBOX_APP_ID, Secret::new(fanout_sandbox::SANDBOX_APP_SECRET))?;
        (app, format!("{url}/threads-login"), format!("{url}/threads"))
    } else {
        let app = own_app(&accounts, fanout_core::threads_login::APP_SECRET_KEY, "Threads", app_id, app_secret).await?;
        (app, DIALOG_ROOT.to_owned(), fanout_core::networks::threads::ROOT.to_owned())
    };
    let login = ThreadsLogin::start(&app, &dialog, DEFAULT_REDIRECT)?;
    let url = login.authorize_url().to_owned();
    *lock(&state.threads_login) = Some(crate::state::PendingThreadsLogin { login, app, api, demo });
    open_external(&url)?;
    Ok(url)
}

/// Finishes the Threads login with the address the browser was sent to, and links the profile
/// (switched off until the user turns it on).
#[tauri::command]
#[specta::specta]
pub async fn finish_threads_login(state: State<'_, AppState>, pasted: String) -> Result<AccountView> {
    let pending = lock(&state.threads_login)
        .as_ref()
        .map(|p| (p.login.clone(), p.app.clone(), p.api.clone(), p.demo))
        .ok_or_else(|| AppError::new("invalid_input", "start the Threads login first"))?;
    let (login, app, api, demo) = pending;
    let code = login.code_from(&pasted)?;
    let accounts = state.cx.accounts();
    let how = LinkAs { name: None, enabled: false, demo };
    let (account, _) = login.link(&accounts, &state.cx.http, &app, demo.then_some(api.as_str()), &code, how).await?;
    lock(&state.threads_login).take();
    Ok(AccountView::with_facts(&accounts, &account)?)
}

/// Facebook Login in the system browser: links every Page the login reaches and the Instagram
/// account linked to each, disabled until the user enables them. With `demo`, the demo sandbox
/// plays Facebook (its own app; the accounts are demo accounts).
#[tauri::command]
#[specta::specta]
pub async fn link_meta(
    state: State<'_, AppState>,
    app_id: Option<String>,
    app_secret: Option<String>,
    demo: bool,
) -> Result<MetaLinked> {
    use fanout_core::meta_login::{DIALOG_ROOT, LoopbackLogin, MetaApp};
    let accounts = state.cx.accounts();
    let (app, graph, dialog) = if demo {
        let url = crate::demo::ensure_sandbox(&state).await?;
        let app = MetaApp::new(fanout_sandbox::SANDBOX_APP_ID, Secret::new(fanout_sandbox::SANDBOX_APP_SECRET))?;
        (app, format!("{url}/graph"), format!("{url}/facebook-login"))
    } else {
        let app = own_app(&accounts, fanout_core::meta_login::APP_SECRET_KEY, "Meta", app_id, app_secret).await?;
        (app, fanout_core::meta_login::graph_root(), DIALOG_ROOT.to_owned())
    };
    let graph = fanout_core::networks::graph::endpoint(Some(&graph))?;
    let login = LoopbackLogin::start(&app, &dialog, &graph).await?;
    open_external(login.authorize_url())?;
    let code = wait_for_browser(&state, login.wait_for_code(LOGIN_WAIT), "the Facebook login was cancelled").await?;
    let found = login.finish(&state.cx.http, &app, &graph, &code).await?;
    let (linked, skipped) = accounts.link_assets(&graph, &found.assets, false, demo).await?;
    if demo {
        crate::demo::add_demo_recipients(&state, &linked)?;
    }
    Ok(MetaLinked { user_name: found.user_name, linked: linked.iter().map(AccountView::from).collect(), skipped })
}

/// How long a sign-in waits for the browser to come back.
pub(super) const LOGIN_WAIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Waits for a sign-in's code unless the user cancels it (or starts another sign-in).
pub(super) async fn wait_for_browser(
    state: &AppState,
    code: impl std::future::Future<Output = fanout_core::Result<String>>,
    cancelled: &str,
) -> Result<String> {
    let cancel = tokio_util::sync::CancellationToken::new();
    if let Some(earlier) = lock(&state.browser_login).replace(cancel.clone()) {
        earlier.cancel();
    }
    let code = tokio::select! {
        code = code => code,
        () = cancel.cancelled() => Err(fanout_core::Error::invalid(cancelled)),
    };
    lock(&state.browser_login).take();
    Ok(code?)
}

/// Stops waiting for the browser to come back from a sign-in (Facebook Login or Mastodon).
#[tauri::command]
#[specta::specta]
pub fn cancel_browser_login(state: State<'_, AppState>) {
    if let Some(login) = lock(&state.browser_login).take() {
        login.cancel();
    }
}

/// Signs in to a Mastodon server in the system browser (Fanout registers itself there once) and
/// links the account, disabled until the user enables it. With `demo`, the demo sandbox plays
/// the server.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_mastodon(state: State<'_, AppState>, server: String, demo: bool) -> Result<AccountView> {
    use fanout_core::mastodon_login::MastodonLogin;
    let server = if demo { crate::demo::ensure_sandbox(&state).await? } else { server };
    let accounts = state.cx.accounts();
    let login = MastodonLogin::start(&accounts, &state.cx.http, &server).await?;
    open_external(login.authorize_url())?;
    let code =
        wait_for_browser(&state, login.wait_for_code(LOGIN_WAIT), "signing in to Mastodon was cancelled").await?;
    let account = login.link(&accounts, &state.cx.http, &code, LinkAs { name: None, enabled: false, demo }).await?;
    Ok(AccountView::with_facts(&accounts, &account)?)
}

#[tauri::command]
#[specta::specta]
pub fn set_account_enabled(state: State<'_, AppState>, id: String, enabled: bool) -> Result<AccountView> {
    Ok(AccountView::from(&state.cx.accounts().set_enabled(&id, enabled)?))
}

/// Removes the account and its secret; returns how many unsent deliveries were cancelled.
#[tauri::command]
#[specta::specta]
pub async fn remove_account(state: State<'_, AppState>, id: String) -> Result<u32> {
    let (_, cancelled) = state.cx.accounts().remove(&id).await?;
    Ok(u32::try_from(cancelled).unwrap_or(u32::MAX))
}

#[tauri::command]
#[specta::specta]
pub async fn verify_account(state: State<'_, AppState>, id: String) -> Result<AccountView> {
    Ok(AccountView::from(&state.cx.accounts().verify(&id).await?))
}

/// "Try now" on an account a platform paused.
#[tauri::command]
#[specta::specta]
pub fn try_account_now(state: State<'_, AppState>, id: String) -> Result<AccountView> {
    Ok(AccountView::from(&state.cx.accounts().try_now(&id)?))
}

#[tauri::command]
#[specta::specta]
pub async fn start_demo(app: AppHandle, state: State<'_, AppState>) -> Result<Vec<AccountView>> {
    let accounts = demo::start(&state).await?;
    crate::tray::refresh(&app);
    Ok(accounts.iter().map(AccountView::from).collect())
}

/// Adds demo accounts for Bluesky, Matrix, Telegram, Slack, Teams and Google Chat (those the
/// demo does not have yet), served by the demo server.
#[tauri::command]
#[specta::specta]
pub async fn add_demo_networks(app: AppHandle, state: State<'_, AppState>) -> Result<Vec<AccountView>> {
    let accounts = demo::add_networks(&state).await?;
    crate::tray::refresh(&app);
    Ok(accounts.iter().map(AccountView::from).collect())
}

/// Opens the web page of an account's posts, to check by eye whether an unconfirmed post is there.
#[tauri::command]
#[specta::specta]
pub fn open_account_page(state: State<'_, AppState>, id: String) -> Result<()> {
    let url = state.cx.accounts().page_url(&id)?.ok_or_else(|| {
        AppError::new("invalid_input", "Fanout does not know this account's page; check the account in its own app")
    })?;
    open_link(url)
}
