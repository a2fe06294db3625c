//! The commands the windows call: each parses its arguments, makes one call into fanout-core (or
//! the app's runtime), and maps the result to transport types. No SQL, HTTP or image code here.

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::clock::Timestamp;
use fanout_core::drafts;
use fanout_core::media::Focus;
use fanout_core::model::{DeliveryState, DraftId, HeaderKind, MediaRef, PostId, Template};
use fanout_core::outbox::Resolution;
use fanout_core::plan::PlannedFile;
use fanout_core::post::{self, Draft, MediaDetail};
use fanout_core::queue;
use fanout_core::secrets::Secret;
use fanout_core::store::deliveries::Filter;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{AppError, Result};
use crate::models::{
    AccountView, AppInfo, BucketRequest, ComposerState, DeliveryView, DraftFileView, DraftInput, DraftProblemView,
    DraftSave, DraftSummary, DraftView, EditResult, HandoffView, HistoryQuery, LinkCardView, LinkRequest, MediaOrder,
    MediaReceived, MediaView, MetaLinked, MetaPermission, NewSlotInput, NextSlotView, OccurrenceView, PlanView,
    PlannedFileView, QueuedView, QuotaView, RecipientListView, Settings, ShareResult, SlotView, TargetPlanView,
    TargetText, TemplateView,
};
use crate::state::{AppState, lock};
use crate::{demo, protocol, runtime};

fn draft(state: &AppState, input: &DraftInput) -> Result<Draft> {
    let ids: Vec<String> = input.media.iter().map(|m| m.id.clone()).collect();
    let media_details = input
        .media
        .iter()
        .map(|m| MediaDetail {
            name: state.attachments.get(&m.id).map(|a| a.name),
            alt_text: m.alt_text.clone(),
            focus: match (m.focus_x, m.focus_y) {
                (Some(x), Some(y)) => Focus::new(x, y),
                _ => None,
            },
        })
        .collect();
    Ok(Draft {
        text: input.text.clone(),
        media: state.attachments.paths(&ids)?,
        media_details,
        targets: input.targets.clone(),
        texts: input.texts.iter().map(|t| (t.account_id.clone(), t.text.clone())).collect(),
        story: input.story,
        again: input.again,
        scheduled_at: input.scheduled_at.map(|ms| Timestamp(ms as i64)),
        first_comments: input.first_comments.iter().map(|c| (c.account_id.clone(), c.text.clone())).collect(),
        recipients: input
            .messaging
            .iter()
            .filter_map(|m| m.list.as_ref().map(|list| (m.account_id.clone(), list.clone())))
            .collect(),
        templates: input
            .messaging
            .iter()
            .filter_map(|m| {
                let t = m.template.as_ref()?;
                let header = match t.header.as_deref() {
                    Some("image") => Some(HeaderKind::Image),
                    Some("video") => Some(HeaderKind::Video),
                    Some("document") => Some(HeaderKind::Document),
                    _ => None,
                };
                let template =
                    Template { name: t.name.clone(), language: t.language.clone(), params: t.params.clone(), header };
                Some((m.account_id.clone(), template))
            })
            .collect(),
        replaces: input.replaces.as_deref().map(parse_post_id).transpose()?,
        orders: MediaOrder::to_core(&input.orders),
    })
}

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    // The first window's first call: the UI is up and can be used.
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    ANNOUNCED.call_once(|| {
        if let Some(started) = crate::STARTED.get() {
            log::info!("interactive after {} ms", started.elapsed().as_millis());
        }
    });
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: state.cx.data_dir.display().to_string(),
        secret_store: state.secret_store.clone(),
        paused: state.delivery.is_paused(),
        delivery_trouble: state.delivery.trouble(),
        demo_server: state.demo_url(),
        settings: state.settings(),
    }
}

#[tauri::command]
#[specta::specta]
pub fn save_settings(app: AppHandle, state: State<'_, AppState>, settings: Settings) -> Result<AppInfo> {
    crate::apply_settings(&app, &state.settings(), &settings)?;
    state.settings_file.save(&settings)?;
    *lock(&state.settings) = settings;
    crate::tray::refresh(&app);
    Ok(app_info(state))
}

/// The tray's and notifications' texts in the user's language, from the UI's i18n layer.
#[tauri::command]
#[specta::specta]
pub fn set_shell_strings(app: AppHandle, state: State<'_, AppState>, strings: crate::strings::ShellStrings) {
    *lock(&state.shell_strings) = strings;
    crate::tray::refresh(&app);
}

#[tauri::command]
#[specta::specta]
pub fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountView>> {
    let accounts = state.cx.accounts();
    let list = accounts.list()?;
    let pictures = accounts.with_pictures()?;
    list.iter()
        .map(|a| {
            let id = a.id.to_string();
            let picture = pictures.contains(&id).then(|| protocol::avatar_url(&id));
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
    Ok(state.cx.accounts().whatsapp_templates(&account_id).await?.iter().map(TemplateView::from).collect())
}

#[tauri::command]
#[specta::specta]
pub async fn link_account(state: State<'_, AppState>, request: LinkRequest) -> Result<AccountView> {
    let (name, credentials) = match request {
        LinkRequest::Mastodon { server, token, name } => {
            (name, Credentials::Mastodon { server, token: Secret::new(token.trim()) })
        }
        LinkRequest::Discord { webhook_url, name } => {
            (name, Credentials::Discord { webhook_url: Secret::new(webhook_url.trim()) })
        }
        LinkRequest::Facebook { page_id, token, name } => {
            (name, Credentials::Facebook { graph: None, page_id, token: Secret::new(token.trim()) })
        }
        LinkRequest::Threads { token, bucket, name } => (
            name,
            Credentials::Threads {
                api: None,
                token: Secret::new(token.trim()),
                bucket: bucket.map(BucketRequest::host),
                expires_at: None,
            },
        ),
        LinkRequest::Bluesky { handle, app_password, pds, name } => (
            name,
            Credentials::Bluesky {
                pds: pds.filter(|p| !p.trim().is_empty()),
                handle,
                app_password: Secret::new(app_password.trim()),
            },
        ),
        LinkRequest::ChatWebhook { service, webhook_url, bucket, name } => {
            use fanout_core::networks::chat_webhooks::Chat;
            let chat = match service.as_str() {
                "slack" => Chat::Slack,
                "teams" => Chat::Teams,
                "google_chat" => Chat::GoogleChat,
                other => return Err(AppError::new("invalid_input", format!("unknown team chat '{other}'"))),
            };
            let bucket = bucket.map(BucketRequest::host);
            (name, Credentials::ChatWebhook { chat, url: Secret::new(webhook_url.trim()), bucket })
        }
        LinkRequest::Telegram { chat, token, name } => {
            (name, Credentials::Telegram { api: None, chat, token: Secret::new(token.trim()) })
        }
        LinkRequest::Matrix { homeserver, room, user, password, token, name } => {
            let login = match (user.filter(|u| !u.trim().is_empty()), password, token) {
                (Some(user), Some(password), _) => {
                    fanout_core::accounts::MatrixLogin::Password { user, password: Secret::new(password) }
                }
                (None, _, Some(token)) => fanout_core::accounts::MatrixLogin::Token(Secret::new(token.trim())),
                _ => {
                    return Err(AppError::new(
                        "invalid_input",
                        "give a user name and its password, or an access token",
                    ));
                }
            };
            (name, Credentials::Matrix { homeserver, room, login })
        }
        LinkRequest::Whatsapp { phone_number_id, business_account_id, token, name } => (
            name,
            Credentials::WhatsApp {
                graph: None,
                phone_number_id,
                business_account_id,
                token: Secret::new(token.trim()),
            },
        ),
        LinkRequest::Instagram { user_id, page_id, token, bucket, name } => (
            name,
            Credentials::Instagram {
                graph: None,
                user_id,
                page_id,
                token: Secret::new(token.trim()),
                bucket: bucket.map(BucketRequest::host),
            },
        ),
    };
    let name = name.filter(|n| !n.trim().is_empty());
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
async fn own_app(
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
    let token = login.finish(&state.cx.http, &app, &api, &code, state.cx.clock.now()).await?;
    lock(&state.threads_login).take();
    let credentials = Credentials::Threads {
        api: demo.then(|| api.clone()),
        token: token.token,
        bucket: None,
        expires_at: token.expires_at,
    };
    let accounts = state.cx.accounts();
    let account = accounts.add(NewAccount { name: None, credentials, enabled: false, demo }).await?;
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
    let graph = fanout_core::accounts::graph_endpoint(Some(&graph))?;
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
const LOGIN_WAIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Waits for a sign-in's code unless the user cancels it (or starts another sign-in).
async fn wait_for_browser(
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
    let token = login.finish(&state.cx.http, &code).await?;
    let credentials = Credentials::Mastodon { server: login.server().to_owned(), token };
    let account = accounts.add(NewAccount { name: None, credentials, enabled: false, demo }).await?;
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

/// Opens the system's file picker for photos and videos and attaches what the user picks.
/// `FANOUT_PICK_FILES` (paths separated like `PATH`) answers for the picker in automated runs.
#[tauri::command]
#[specta::specta]
pub async fn pick_media(app: AppHandle, state: State<'_, AppState>) -> Result<Vec<MediaView>> {
    let paths: Vec<std::path::PathBuf> = match std::env::var_os("FANOUT_PICK_FILES") {
        Some(list) => std::env::split_paths(&list).collect(),
        None => {
            let picked = tauri::async_runtime::spawn_blocking(move || {
                app.dialog()
                    .file()
                    .add_filter(
                        "Photos, videos and PDFs",
                        &["jpg", "jpeg", "png", "gif", "webp", "heic", "mp4", "mov", "pdf"],
                    )
                    .blocking_pick_files()
            })
            .await?;
            picked.unwrap_or_default().into_iter().filter_map(|p| p.into_path().ok()).collect()
        }
    };
    paths.iter().map(|p| Ok(MediaView::from(&state.attachments.add_path(p)?))).collect()
}

/// Attaches a pasted or dropped file from its bytes.
#[tauri::command]
#[specta::specta]
pub async fn attach_bytes(state: State<'_, AppState>, name: String, data: Vec<u8>) -> Result<MediaView> {
    Ok(MediaView::from(&state.attachments.add_bytes(&name, &data)?))
}

#[tauri::command]
#[specta::specta]
pub fn detach_media(state: State<'_, AppState>, id: String) {
    state.attachments.remove(&id);
}

/// The files dropped on or handed to the calling window since it last asked.
#[tauri::command]
#[specta::specta]
pub fn take_received_media(window: tauri::WebviewWindow, state: State<'_, AppState>) -> MediaReceived {
    lock(&state.received).remove(window.label()).unwrap_or_default()
}

/// The composer's live check: per target, the text count, the problems and the files it will get.
#[tauri::command]
#[specta::specta]
pub async fn review_draft(app: AppHandle, draft_input: DraftInput) -> Result<PlanView> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let review = post::review(&outbox, &state.cx.registry, &state.cx.variants(), &draft, state.cx.clock.now())?;
        let file_view = |file: &PlannedFile| match file {
            PlannedFile::Image { source, variant } => PlannedFileView {
                media_id: state.attachments.id_of(source),
                mime: variant.format.mime().to_owned(),
                width: Some(variant.width),
                height: Some(variant.height),
                bytes: variant.bytes as f64,
                changes: variant.changes.clone(),
                preview: protocol::variant_url(&variant.path),
            },
            PlannedFile::Document { source, bytes } => PlannedFileView {
                media_id: state.attachments.id_of(source),
                mime: "application/pdf".to_owned(),
                width: None,
                height: None,
                bytes: *bytes as f64,
                changes: Vec::new(),
                preview: None,
            },
            PlannedFile::Video { source, bytes } => PlannedFileView {
                media_id: state.attachments.id_of(source),
                mime: "video/mp4".to_owned(),
                width: None,
                height: None,
                bytes: *bytes as f64,
                changes: Vec::new(),
                preview: None,
            },
        };
        Ok(PlanView {
            ready: review.is_ready(),
            targets: review
                .plans
                .iter()
                .map(|(account, plan)| {
                    let story = draft.story && state.cx.registry.get(account.network).story_target().is_some();
                    TargetPlanView::new(account, plan, story, file_view)
                })
                .collect(),
            problems: review.problems.iter().map(DraftProblemView::from).collect(),
        })
    })
    .await?
}

/// Queues the post: one delivery per target, in one transaction; the worker takes it from there.
#[tauri::command]
#[specta::specta]
pub async fn share(app: AppHandle, draft_input: DraftInput) -> Result<ShareResult> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let (post_id, deliveries) = post::enqueue(
            &outbox,
            &state.cx.registry,
            &state.cx.variants(),
            &state.cx.media_dir(),
            &draft,
            state.cx.clock.now(),
        )?;
        release(&state, &draft_input);
        Ok(ShareResult {
            post_id: post_id.to_string(),
            deliveries: deliveries.iter().map(|(id, _)| id.to_string()).collect(),
        })
    })
    .await?
}

/// The card of the text's first link, as the networks that show one will (read once per address
/// while the app runs; none when there is no link or the page cannot be read in 5 seconds).
#[tauri::command]
#[specta::specta]
pub async fn link_preview(app: AppHandle, text: String) -> Result<Option<LinkCardView>> {
    let Some(link) = fanout_core::link_card::first_link(&text).map(str::to_owned) else {
        return Ok(None);
    };
    let state = app.state::<AppState>();
    if let Some(known) = lock(&state.link_cards).get(&link) {
        return Ok(known.clone());
    }
    let card = match fanout_core::link_card::read(&state.cx.http, &link).await {
        None => None,
        Some(card) => {
            let picture = match &card.image {
                Some(address) => {
                    fanout_core::link_card::cached_picture(&state.cx.http, &state.cx.variants(), address).await
                }
                None => None,
            };
            Some(LinkCardView {
                url: card.url,
                host: card.host,
                title: card.title,
                description: card.description,
                image: picture.as_deref().and_then(protocol::variant_url),
            })
        }
    };
    lock(&state.link_cards).insert(link, card.clone());
    Ok(card)
}

/// Keeps the composer's draft in the data folder, its files copied in by content hash.
#[tauri::command]
#[specta::specta]
pub async fn save_draft(app: AppHandle, save: DraftSave) -> Result<DraftSummary> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let id = save.id.as_deref().map(parse_draft_id).transpose()?;
        let media_dir = state.cx.media_dir();
        let media = save
            .media
            .iter()
            .map(|m| {
                Ok(MediaRef {
                    alt_text: m.alt_text.as_ref().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
                    focus: m.focus_x.zip(m.focus_y).and_then(|(x, y)| Focus::new(x, y)),
                    ..state.attachments.store(&m.id, &media_dir)?
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let draft =
            drafts::save(&state.cx.store, id, &save.name, save.state.into_content(), media, state.cx.clock.now())?;
        Ok(DraftSummary::from(&draft))
    })
    .await?
}

#[tauri::command]
#[specta::specta]
pub fn list_drafts(state: State<'_, AppState>) -> Result<Vec<DraftSummary>> {
    Ok(drafts::list(&state.cx.store)?.iter().map(DraftSummary::from).collect())
}

/// Opens a draft: its state, and its files attached to the composer again.
#[tauri::command]
#[specta::specta]
pub async fn open_draft(app: AppHandle, id: String) -> Result<DraftView> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let draft = drafts::get(&state.cx.store, parse_draft_id(&id)?)?;
        let (media, missing, kept) = reattach(
            &state,
            draft.media.iter().map(|m| (m.path.as_path(), m.file_name.as_str(), m.alt_text.clone(), m.focus)),
        );
        Ok(DraftView {
            id: draft.id.to_string(),
            name: draft.name.clone(),
            state: ComposerState::from_content(&draft.content, &kept),
            media,
            missing,
        })
    })
    .await?
}

#[tauri::command]
#[specta::specta]
pub fn delete_draft(state: State<'_, AppState>, id: String) -> Result<bool> {
    Ok(drafts::delete(&state.cx.store, parse_draft_id(&id)?)?)
}

/// Kept files (path, the user's name for it, alt text, focus) attached to the composer again;
/// the names of those gone from the data folder; and where each file is now (none: gone).
fn reattach<'a>(
    state: &AppState,
    files: impl IntoIterator<Item = (&'a std::path::Path, &'a str, Option<String>, Option<Focus>)>,
) -> (Vec<DraftFileView>, Vec<String>, Vec<Option<usize>>) {
    let mut media = Vec::new();
    let mut missing = Vec::new();
    let mut kept = Vec::new();
    for (path, name, alt_text, focus) in files {
        match state.attachments.add_stored(path, name) {
            Ok(attachment) => {
                kept.push(Some(media.len()));
                media.push(DraftFileView {
                    media: MediaView::from(&attachment),
                    alt_text,
                    focus_x: focus.map(|f| f.x),
                    focus_y: focus.map(|f| f.y),
                });
            }
            Err(_) => {
                kept.push(None);
                missing.push(name.to_owned());
            }
        }
    }
    (media, missing, kept)
}

/// The attachments a share, an edit or the queue has copied into the post are no longer the
/// composer's.
fn release(state: &AppState, input: &DraftInput) {
    for media in &input.media {
        state.attachments.remove(&media.id);
    }
}

fn parse_draft_id(id: &str) -> Result<DraftId> {
    id.parse().map_err(|_| fanout_core::Error::invalid(format!("'{id}' is not a draft's id")).into())
}

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

/// A post in the outbox as a draft: to edit it, or to duplicate it. Its files are attached to
/// the composer again.
#[tauri::command]
#[specta::specta]
pub async fn open_post(app: AppHandle, post_id: String) -> Result<DraftView> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let post = parse_post_id(&post_id)?;
        let outbox = state.cx.outbox(&state.tuning);
        let draft = post::draft_of(&outbox, post)?;
        // A post's files come back under the names the user's files had, kept with the post.
        let (media, missing, kept) = reattach(
            &state,
            draft.media.iter().zip(&draft.media_details).map(|(path, detail)| {
                let name = detail.name.as_deref().unwrap_or("file");
                (path.as_path(), name, detail.alt_text.clone(), detail.focus)
            }),
        );
        let pairs = |v: &[(String, String)]| {
            v.iter().map(|(a, t)| TargetText { account_id: a.clone(), text: t.clone() }).collect::<Vec<_>>()
        };
        Ok(DraftView {
            id: post.to_string(),
            name: String::new(),
            state: ComposerState {
                text: draft.text.clone(),
                targets: draft.targets.clone(),
                texts: pairs(&draft.texts),
                first_comments: pairs(&draft.first_comments),
                story: draft.story,
                later: draft.scheduled_at.is_some(),
                scheduled_at: draft.scheduled_at.map(|t| t.0 as f64),
                messaging: Vec::new(),
                orders: MediaOrder::from_core(draft.orders.iter().map(|(a, o)| (a, o)), &kept),
            },
            media,
            missing,
        })
    })
    .await?
}

/// Edits a post that has not gone out: the composer's draft takes its place for every delivery
/// that has not started, in one transaction.
#[tauri::command]
#[specta::specta]
pub async fn edit_post(app: AppHandle, post_id: String, draft_input: DraftInput) -> Result<EditResult> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let old = parse_post_id(&post_id)?;
        let draft = draft(&state, &draft_input)?;
        let outbox = state.cx.outbox(&state.tuning);
        let edited = post::edit(
            &outbox,
            &state.cx.registry,
            &state.cx.variants(),
            &state.cx.media_dir(),
            old,
            &draft,
            state.cx.clock.now(),
        )?;
        release(&state, &draft_input);
        let ids: Vec<_> = edited.unchanged.iter().map(|d| d.id).collect();
        let unchanged = if ids.is_empty() {
            Vec::new()
        } else {
            outbox.list(&Filter { ids, ..Filter::default() })?.iter().map(DeliveryView::from).collect()
        };
        Ok(EditResult {
            post_id: edited.post.to_string(),
            deliveries: edited.deliveries.iter().map(|(id, _)| id.to_string()).collect(),
            unchanged,
        })
    })
    .await?
}

/// Cancels every delivery of a post that has not gone out; how many.
#[tauri::command]
#[specta::specta]
pub fn cancel_post(state: State<'_, AppState>, post_id: String) -> Result<u32> {
    let post = parse_post_id(&post_id)?;
    Ok(state.cx.outbox(&state.tuning).cancel_post(post, state.cx.clock.now())? as u32)
}

fn parse_post_id(id: &str) -> Result<PostId> {
    id.parse().map_err(|_| AppError::new("invalid_input", format!("'{id}' is not a post id")))
}

fn slot_view(slot: &queue::Slot, now: Timestamp) -> SlotView {
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

/// Opens a URL in the system's handler; tests read it from `FANOUT_OPEN_URL_FILE` instead.
fn open_external(url: &str) -> Result<()> {
    match std::env::var_os("FANOUT_OPEN_URL_FILE") {
        Some(file) => {
            std::fs::write(file, url).map_err(|e| AppError::new("app", format!("cannot write the address: {e}")))
        }
        None => tauri_plugin_opener::open_url(url, None::<&str>)
            .map_err(|e| AppError::new("app", format!("cannot open {url}: {e}"))),
    }
}

/// Hands the post to an app no API reaches (WhatsApp chats and Status, Messenger, Facebook's
/// share dialog, Telegram…): its share page opens with the text filled in, the text is also on
/// the clipboard, and the photos, prepared for that app, are shown in the file manager to attach.
#[tauri::command]
#[specta::specta]
pub async fn hand_off(
    app: AppHandle,
    state: State<'_, AppState>,
    to: String,
    text: String,
    media: Vec<String>,
) -> Result<HandoffView> {
    use fanout_core::handoff::{self, Intent};
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let intent = Intent::parse(&to).ok_or_else(|| AppError::new("invalid_input", format!("no hand-off to '{to}'")))?;
    let files = state.attachments.paths(&media)?;
    let shared = handoff::intent(intent, &text, None, files.len())?;
    let out = state.cx.data_dir.join("handoff").join(intent.id());
    let prepared = tauri::async_runtime::spawn_blocking(move || {
        // Last time's files are not this post's.
        let _ = std::fs::remove_dir_all(&out);
        handoff::prepare_media(intent, &files, &out)
    })
    .await
    .map_err(|e| AppError::new("app", format!("preparation stopped: {e}")))??;
    let mut notes = shared.notes;
    if !text.trim().is_empty()
        && let Err(e) = app.clipboard().write_text(text.trim().to_owned())
    {
        tracing::warn!(error = %e, "the hand-off text was not copied");
        notes.push("the text could not be put on the clipboard; copy it from the composer".into());
    }
    if let Some(first) = prepared.first()
        && std::env::var_os("FANOUT_OPEN_URL_FILE").is_none()
    {
        let _ = tauri_plugin_opener::reveal_item_in_dir(first);
    }
    open_external(&shared.url)?;
    Ok(HandoffView {
        app: intent.display_name().into(),
        notes,
        files: u32::try_from(prepared.len()).unwrap_or(u32::MAX),
    })
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

/// Opens the data folder in the file manager.
#[tauri::command]
#[specta::specta]
pub fn open_data_folder(state: State<'_, AppState>) -> Result<()> {
    tauri_plugin_opener::open_path(&state.cx.data_dir, None::<&str>)
        .map_err(|e| AppError::new("app", format!("cannot open {}: {e}", state.cx.data_dir.display())))
}

/// Shows the quick-share window (from the tray, the shortcut or the main window).
#[tauri::command]
#[specta::specta]
pub fn show_quick_share(app: AppHandle) -> Result<()> {
    crate::windows::show_quick_share(&app, None)
}

/// Brings the main window forward, on a view.
#[tauri::command]
#[specta::specta]
pub fn show_main(app: AppHandle, view: Option<String>) -> Result<()> {
    crate::windows::show_main(&app, view.as_deref())
}

/// The clipboard's text, for the quick-share window.
#[tauri::command]
#[specta::specta]
pub fn clipboard_text(app: AppHandle) -> Option<String> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    app.clipboard().read_text().ok().filter(|t| !t.trim().is_empty())
}
