//! One function per command: read the arguments, make the core calls, print the result.

use std::io::{BufRead, IsTerminal, Write};

use fanout_core::accounts::{BucketHost, Credentials, LinkAs, NewAccount};
use fanout_core::clock::Timestamp;
use fanout_core::error::{Error, Result};
use fanout_core::model::{Account, DeliveryId, DeliveryState, NetworkKind, PostId};
use fanout_core::outbox::{Outbox, Resolution};
use fanout_core::post::{self, Draft, MediaDetail};
use fanout_core::secrets::Secret;
use fanout_core::store::deliveries::Filter;
use fanout_core::worker::{RunSummary, StopWhen};
use tokio_util::sync::CancellationToken;

use crate::args::{
    AccountsCommand, CancelArgs, Cli, Command, EditArgs, LinkCommand, PostArgs, QueueCommand, WorkerTuning,
};
use crate::context::Context;
use crate::delivering::{cancel_on_signal, run_worker, wait_and_report};
use crate::link_args::AddCommon;
use crate::output;

pub async fn run(cli: Cli) -> Result<u8> {
    match &cli.command {
        Command::Sandbox { port, faults } => sandbox(*port, faults.as_deref()).await,
        Command::Demo => crate::demo::run(&cli).await,
        Command::Prepare(args) => crate::prepare::run(args).await,
        Command::Plan(args) => crate::prepare::plan(args).await,
        Command::Handoff(args) => crate::prepare::handoff(args).await,
        command => {
            let cx = crate::context::open(&cli).await?;
            match command {
                Command::Accounts(sub) => accounts(&cx, sub).await,
                Command::Post(args) => post(&cx, args).await,
                Command::Queue(sub) => queue(&cx, sub),
                Command::Recipients(sub) => crate::whatsapp::recipients(&cx, sub).await,
                Command::Templates { account, json } => crate::whatsapp::templates(&cx, account, *json).await,
                Command::Outbox { json, limit } => outbox(&cx, *json, *limit),
                Command::Retry { id } => {
                    let d = cx.outbox(&WorkerTuning::defaults().to_core()).retry(id, cx.clock.now())?;
                    out!("Delivery {} is queued again with a fresh retry budget.", output::short(&d.id.to_string()));
                    Ok(0)
                }
                Command::Edit(args) => edit(&cx, args).await,
                Command::Cancel(CancelArgs { post: Some(post), .. }) => cancel_post(&cx, post),
                Command::Cancel(CancelArgs { id, .. }) => {
                    let id = id.as_deref().unwrap_or_default();
                    let d = cx.outbox(&WorkerTuning::defaults().to_core()).cancel(id, cx.clock.now())?;
                    out!("Delivery {} is cancelled.", output::short(&d.id.to_string()));
                    Ok(0)
                }
                Command::Resolve(args) => {
                    let how = if args.how.sent { Resolution::Sent } else { Resolution::Resend };
                    let d = cx.outbox(&WorkerTuning::defaults().to_core()).resolve(&args.id, how, cx.clock.now())?;
                    match how {
                        Resolution::Sent => out!("Delivery {} is marked sent.", output::short(&d.id.to_string())),
                        Resolution::Resend => out!(
                            "Delivery {} is queued to be sent again; the worker will send it.",
                            output::short(&d.id.to_string())
                        ),
                    }
                    Ok(0)
                }
                Command::Worker(args) => {
                    // Sign-ins near their end are renewed first, so what is due can still go.
                    for renewal in cx.accounts().renew_sign_ins().await? {
                        match renewal.outcome {
                            Ok(_) => out!("Renewed the sign-in of '{}' for 60 days.", renewal.account),
                            Err(why) => err!("The sign-in of '{}' was not renewed: {why}", renewal.account),
                        }
                    }
                    let stop_when = if args.once { StopWhen::Idle } else { StopWhen::Cancelled };
                    let summary = run_worker(&cx, &args.tuning, stop_when).await?;
                    out!("{}", summary_line(&summary));
                    Ok(0)
                }
                Command::Sandbox { .. }
                | Command::Demo
                | Command::Prepare(_)
                | Command::Plan(_)
                | Command::Handoff(_) => Ok(0),
            }
        }
    }
}

async fn sandbox(port: u16, faults: Option<&std::path::Path>) -> Result<u8> {
    let mut config = fanout_sandbox::SandboxConfig { port, ..Default::default() };
    if let Some(path) = faults {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read the fault plan {}", path.display()), e))?;
        config.faults = fanout_sandbox::FaultPlan::from_json(&text)
            .map_err(|e| Error::invalid(format!("fault plan {}: {e}", path.display())))?;
    }
    let sandbox = fanout_sandbox::Sandbox::start(config)
        .await
        .map_err(|e| Error::invalid(format!("cannot start the sandbox: {e}")))?;
    out!("{}", sandbox.url());
    let _ = std::io::stdout().flush();
    err!("Fanout sandbox listening on {} (Ctrl-C to stop)", sandbox.url());
    let stop = CancellationToken::new();
    cancel_on_signal(stop.clone());
    stop.cancelled().await;
    sandbox.shutdown().await;
    Ok(0)
}

fn read_secret_line(what: &str) -> Result<Secret> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Paste the {what}, then press Enter: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Error::invalid(format!("the {what} on standard input is not UTF-8 text"))
        } else {
            Error::io(format!("cannot read the {what} from standard input"), e)
        }
    })?;
    let value = line.trim();
    if value.is_empty() {
        return Err(Error::invalid(format!("no {what} on standard input; pipe it in, e.g. `… < token.txt`")));
    }
    Ok(Secret::new(value))
}

async fn accounts(cx: &Context, command: &AccountsCommand) -> Result<u8> {
    let accounts = cx.accounts();
    match command {
        AccountsCommand::Add(add) => {
            let mut credentials = Credentials::new(add.network);
            for (key, value) in &add.texts {
                credentials = credentials.text(key, value.clone());
            }
            for (key, what) in &add.secrets {
                credentials = credentials.secret(key, read_secret_line(what)?);
            }
            if let Some(bucket) = &add.bucket {
                credentials = credentials.bucket(bucket_host(bucket)?);
            }
            let common = &add.common;
            let account = accounts
                .add(NewAccount { name: common.name.clone(), credentials, enabled: common.enable, demo: false })
                .await?;
            if common.json {
                println!("{}", crate::terminal::json(&output::account_json(&account)));
            } else {
                out!(
                    "Linked {} account '{}' ({}), {}.",
                    account.network.display_name(),
                    account.name,
                    account.remote_id.as_deref().unwrap_or("?"),
                    if account.enabled {
                        "enabled".to_owned()
                    } else {
                        format!("disabled — enable it with `fanout accounts enable {}`", account.name)
                    }
                );
                out!("Its secret is kept in {}.", accounts.secrets().describe());
            }
            Ok(0)
        }
        AccountsCommand::List { json } => {
            let list = accounts.list()?;
            if *json {
                println!(
                    "{}",
                    crate::terminal::json(&serde_json::Value::Array(list.iter().map(output::account_json).collect()))
                );
            } else {
                print!("{}", output::accounts_table(&list));
            }
            Ok(0)
        }
        AccountsCommand::Enable { account } => {
            let a = accounts.set_enabled(account, true)?;
            out!("Account '{}' is enabled.", a.name);
            Ok(0)
        }
        AccountsCommand::Disable { account } => {
            let a = accounts.set_enabled(account, false)?;
            out!("Account '{}' is disabled; its queued deliveries wait until it is enabled again.", a.name);
            Ok(0)
        }
        AccountsCommand::Remove { account } => {
            let (a, cancelled) = accounts.remove(account).await?;
            out!(
                "Removed account '{}' and its secret{}.",
                a.name,
                if cancelled > 0 { format!("; {cancelled} unsent deliveries were cancelled") } else { String::new() }
            );
            Ok(0)
        }
        AccountsCommand::Link(LinkCommand::Meta { app_id, no_browser, wait_minutes, graph, dialog, common }) => {
            link_meta(cx, app_id.as_deref(), *no_browser, *wait_minutes, graph.as_deref(), dialog.as_deref(), common)
                .await
        }
        AccountsCommand::Link(LinkCommand::Mastodon { server, no_browser, wait_minutes, common }) => {
            link_mastodon(cx, server, *no_browser, *wait_minutes, common).await
        }
        AccountsCommand::Link(LinkCommand::Threads { app_id, redirect_uri, no_browser, api, dialog, common }) => {
            link_threads(cx, app_id.as_deref(), redirect_uri, *no_browser, api.as_deref(), dialog.as_deref(), common)
                .await
        }
        AccountsCommand::Verify { account } => {
            let a = accounts.verify(account).await?;
            out!("Account '{}' works: {}.", a.name, a.remote_id.as_deref().unwrap_or("?"));
            Ok(0)
        }
    }
}

/// The bucket given with --bucket…, its secret key read from the next line of standard input.
fn bucket_host(args: &crate::link_args::BucketArgs) -> Result<Option<BucketHost>> {
    let (Some(name), Some(endpoint)) = (&args.bucket, &args.bucket_endpoint) else {
        return Ok(None);
    };
    Ok(Some(BucketHost {
        endpoint: endpoint.clone(),
        bucket: name.clone(),
        region: args.bucket_region.clone(),
        access_key_id: args
            .bucket_key_id
            .clone()
            .ok_or_else(|| Error::invalid("--bucket needs --bucket-key-id (the bucket's access key id)"))?,
        secret_access_key: read_secret_line("bucket's secret key (second line)")?,
        path_style: args.bucket_path_style,
        public_url: args.bucket_public_url.clone(),
    }))
}

/// The user's own app for a login: `--app-id` with its secret from standard input (then saved
/// under `key`), or the one an earlier login saved; `None` when there is neither.
async fn own_app(
    accounts: &fanout_core::accounts::Accounts,
    key: &'static str,
    what: &str,
    app_id: Option<&str>,
) -> Result<Option<fanout_core::meta_login::MetaApp>> {
    match app_id {
        Some(id) => {
            let app = fanout_core::meta_login::MetaApp::new(id, read_secret_line(&format!("{what} app secret"))?)?;
            accounts.save_app(key, &app).await?;
            Ok(Some(app))
        }
        None => accounts.saved_app(key).await,
    }
}

async fn link_meta(
    cx: &Context,
    app_id: Option<&str>,
    no_browser: bool,
    wait_minutes: u64,
    graph: Option<&str>,
    dialog: Option<&str>,
    common: &AddCommon,
) -> Result<u8> {
    use fanout_core::meta_login::{DIALOG_ROOT, LoopbackLogin, PERMISSIONS};
    let accounts = cx.accounts();
    let Some(app) = own_app(&accounts, fanout_core::meta_login::APP_SECRET_KEY, "Meta", app_id).await? else {
        let permissions: Vec<&str> = PERMISSIONS.iter().map(|(p, _)| *p).collect();
        return Err(Error::invalid(format!(
            "no Meta app yet: create one at developers.facebook.com (type Business, add Facebook Login \
             with http://127.0.0.1 as a valid redirect, and ask for {}), then run this again with \
             --app-id ID and its secret on standard input",
            permissions.join(", ")
        )));
    };
    let graph = fanout_core::networks::graph::endpoint(graph)?;
    let login = LoopbackLogin::start(&app, dialog.unwrap_or(DIALOG_ROOT), &graph).await?;
    let url = login.authorize_url().to_owned();
    let opened = !no_browser && opener::open(&url).is_ok();
    if opened {
        out!("Log in to Facebook in the browser window that opened. If none did, open:\n{url}");
    } else {
        out!("Open this address in a browser and log in to Facebook:\n{url}");
    }
    let _ = std::io::stdout().flush();
    let code = login.wait_for_code(std::time::Duration::from_secs(wait_minutes.max(1) * 60)).await?;
    let found = login.finish(&cx.http, &app, &graph, &code).await?;
    if found.assets.is_empty() {
        out!(
            "Logged in as {}, but the login reached no Page: give the app access to your Pages and try again.",
            found.user_name
        );
        return Ok(1);
    }
    let (linked, skipped) = accounts.link_assets(&graph, &found.assets, common.enable, false).await?;
    if common.json {
        let list: Vec<serde_json::Value> = linked.iter().map(output::account_json).collect();
        println!("{}", crate::terminal::json(&serde_json::json!({ "linked": list, "skipped": skipped })));
    } else {
        out!("Logged in as {}; linked {} account(s):", found.user_name, linked.len());
        for account in &linked {
            let state = if account.enabled { "enabled" } else { "disabled until you enable it" };
            out!("  {} ({}), {state}", account.name, account.remote_id.as_deref().unwrap_or("?"));
        }
        for why in &skipped {
            out!("  skipped {why}");
        }
    }
    Ok(0)
}

/// "; enable it with `fanout accounts enable 'NAME'`" for an account linked disabled, else nothing.
fn enable_hint(account: &fanout_core::model::Account) -> String {
    if account.enabled {
        String::new()
    } else {
        format!("; enable it with `fanout accounts enable '{}'`", account.name)
    }
}

async fn link_mastodon(
    cx: &Context,
    server: &str,
    no_browser: bool,
    wait_minutes: u64,
    common: &AddCommon,
) -> Result<u8> {
    let accounts = cx.accounts();
    let login = fanout_core::mastodon_login::MastodonLogin::start(&accounts, &cx.http, server).await?;
    let url = login.authorize_url().to_owned();
    let host = login.server().split_once("://").map_or(login.server(), |(_, h)| h).to_owned();
    if !no_browser && opener::open(&url).is_ok() {
        out!("Sign in to {host} in the browser window that opened and allow Fanout. If none did, open:\n{url}");
    } else {
        out!("Open this address in a browser, sign in to {host} and allow Fanout:\n{url}");
    }
    let _ = std::io::stdout().flush();
    let code = login.wait_for_code(std::time::Duration::from_secs(wait_minutes.max(1) * 60)).await?;
    let how = LinkAs { name: common.name.clone(), enabled: common.enable, demo: false };
    let account = login.link(&accounts, &cx.http, &code, how).await?;
    if common.json {
        println!("{}", crate::terminal::json(&output::account_json(&account)));
    } else {
        out!("Signed in; linked Mastodon account '{}'{}.", account.name, enable_hint(&account));
    }
    Ok(0)
}

async fn link_threads(
    cx: &Context,
    app_id: Option<&str>,
    redirect_uri: &str,
    no_browser: bool,
    api: Option<&str>,
    dialog: Option<&str>,
    common: &AddCommon,
) -> Result<u8> {
    use fanout_core::threads_login::{DIALOG_ROOT, ThreadsLogin};
    let accounts = cx.accounts();
    let Some(app) = own_app(&accounts, fanout_core::threads_login::APP_SECRET_KEY, "Threads", app_id).await? else {
        return Err(Error::invalid(format!(
            "no Threads app yet: in your Meta app add the Threads use case, register {redirect_uri} as a \
             redirect callback URL, then run this again with --app-id THREADS_APP_ID and the Threads app \
             secret on standard input"
        )));
    };
    let login = ThreadsLogin::start(&app, dialog.unwrap_or(DIALOG_ROOT), redirect_uri)?;
    let url = login.authorize_url().to_owned();
    let opened = !no_browser && opener::open(&url).is_ok();
    if opened {
        out!("Allow Fanout in the browser window that opened. If none did, open:\n{url}");
    } else {
        out!("Open this address in a browser and allow Fanout:\n{url}");
    }
    out!(
        "Threads then sends the browser to {} — that page will not load. Copy its whole address from the \
         address bar and paste it here.",
        login.redirect_uri()
    );
    let _ = std::io::stdout().flush();
    let pasted = read_secret_line("address the browser was sent to")?;
    let code = login.code_from(pasted.expose())?;
    let how = LinkAs { name: common.name.clone(), enabled: common.enable, demo: false };
    let api = api.map(|a| a.trim_end_matches('/'));
    let (account, expires_at) = login.link(&accounts, &cx.http, &app, api, &code, how).await?;
    if common.json {
        println!("{}", crate::terminal::json(&output::account_json(&account)));
    } else {
        let days = expires_at.map(|at| (at - cx.clock.now().0 / 1000) / 86_400);
        out!(
            "Linked Threads account '{}'{}{}.",
            account.name,
            days.map(|d| format!("; its sign-in lasts {d} days (log in again before then)")).unwrap_or_default(),
            enable_hint(&account)
        );
    }
    Ok(0)
}

pub fn parse_at(text: &str) -> Result<Timestamp> {
    Timestamp::parse_rfc3339(text).ok_or_else(|| {
        Error::invalid(format!(
            "--at '{text}' is not a date and time in RFC 3339 form, such as 2026-12-01T09:30:00+01:00"
        ))
    })
}

/// A post's text: as given, from standard input (`-`) or from `--text-file`; it must be UTF-8.
/// `None` when neither was given.
fn read_text(text: Option<&str>, text_file: Option<&std::path::Path>) -> Result<Option<String>> {
    let (bytes, source) = match (text_file, text) {
        (Some(path), _) => (
            std::fs::read(path).map_err(|e| Error::invalid(format!("--text-file {}: {e}", path.display())))?,
            format!("--text-file {}", path.display()),
        ),
        (None, Some("-")) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                .map_err(|e| Error::io("cannot read the post's text from standard input", e))?;
            (bytes, "standard input".to_owned())
        }
        (None, text) => return Ok(text.map(str::to_owned)),
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        Error::invalid(format!(
            "the text from {source} is not UTF-8 (invalid bytes at byte {}); save it as UTF-8 and try again",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// `details` for `files` files with each `--alt` put in place, in order: the first describes the
/// first file. The others keep what they had.
fn with_alt(mut details: Vec<MediaDetail>, alt: &[String], files: usize) -> Result<Vec<MediaDetail>> {
    if alt.len() > files {
        return Err(Error::invalid(format!(
            "{} --alt for {files} file(s): give one --alt per file, in the order of the files",
            alt.len()
        )));
    }
    details.resize(files, MediaDetail::default());
    for (detail, text) in details.iter_mut().zip(alt) {
        detail.alt_text = Some(text.clone());
    }
    Ok(details)
}

async fn post(cx: &Context, args: &PostArgs) -> Result<u8> {
    let scheduled_at = args.at.as_deref().map(parse_at).transpose()?;
    let mut draft = Draft {
        text: read_text(args.text.as_deref(), args.text_file.as_deref())?.unwrap_or_default(),
        media: args.files.media.clone(),
        media_details: with_alt(Vec::new(), &args.files.alt, args.files.media.len())?,
        targets: args.to.clone(),
        scheduled_at,
        story: args.story,
        again: args.again,
        orders: args.files.order.clone(),
        ..Draft::default()
    };
    crate::whatsapp::fill_draft(cx, args, &mut draft).await?;
    let outbox = cx.outbox(&args.tuning.to_core());
    if args.queue {
        return post_to_queue(cx, &outbox, &draft, args.json);
    }
    let (post_id, deliveries) =
        post::enqueue(&outbox, &cx.registry, &cx.variants(), &cx.media_dir(), &draft, cx.clock.now())?;
    if args.json && !args.wait {
        let list: Vec<_> = deliveries
            .iter()
            .map(|(id, a)| serde_json::json!({"id": id.to_string(), "account": a.name, "network": a.network.as_str()}))
            .collect();
        println!("{}", crate::terminal::json(&serde_json::json!({"postId": post_id.to_string(), "deliveries": list})));
        return Ok(0);
    }
    if !args.json {
        let names = target_names(&deliveries);
        let when = match scheduled_at {
            Some(at) => format!(" for {}", at.to_rfc3339()),
            None => String::new(),
        };
        out!("Queued post {} for {}{when}.", output::short(&post_id.to_string()), names.join(", "));
    }
    if !args.wait {
        if !args.json {
            out!("A running worker delivers it (`fanout worker`), or post with --wait.");
        }
        return Ok(0);
    }
    let ids: Vec<DeliveryId> = deliveries.iter().map(|(id, _)| *id).collect();
    wait_and_report(cx, &args.tuning, &ids, args.json).await
}

/// Each account a post goes to, once, with how many people where it messages several.
fn target_names(deliveries: &[(DeliveryId, Account)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (_, a) in deliveries {
        let count = deliveries.iter().filter(|(_, b)| b.id == a.id).count();
        let name = if count > 1 { format!("{} ({count} people)", a.name) } else { a.name.clone() };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `fanout post --queue`: the draft at each account's next free posting time.
fn post_to_queue(cx: &Context, outbox: &Outbox, draft: &Draft, json: bool) -> Result<u8> {
    let queued =
        fanout_core::queue::enqueue(outbox, &cx.registry, &cx.variants(), &cx.media_dir(), draft, cx.clock.now())?;
    if json {
        println!("{}", crate::terminal::json(&output::queued_json(&queued)));
        return Ok(0);
    }
    let count = if queued.len() == 1 { "1 post".to_owned() } else { format!("{} posts", queued.len()) };
    out!("Queued {count} at the accounts' next free posting times:");
    for q in &queued {
        out!(
            "  post {} at {} → {}",
            output::short(&q.post.to_string()),
            output::local_time(q.at),
            target_names(&q.deliveries).join(", ")
        );
    }
    out!("A running worker delivers each at its time (`fanout worker`).");
    Ok(0)
}

/// `fanout queue …`: the posting times.
fn queue(cx: &Context, command: &QueueCommand) -> Result<u8> {
    use fanout_core::queue::{self, NewSlot};
    let now = cx.clock.now();
    let linked = cx.accounts().list()?;
    match command {
        QueueCommand::Add { days, at, zone, to, json } => {
            let zone = match zone {
                Some(zone) => zone.clone(),
                None => queue::machine_zone().ok_or_else(|| {
                    Error::invalid(
                        "cannot tell this machine's time zone; give one with --zone, e.g. --zone Europe/Amsterdam",
                    )
                })?,
            };
            let new =
                NewSlot { days: days.parse()?, minute_of_day: queue::parse_time(at)?, zone, accounts: to.clone() };
            let slot = queue::add(&cx.store, &new, now)?;
            let next = queue::next_occurrence(&slot, now)?;
            if *json {
                println!("{}", crate::terminal::json(&output::slot_json(&slot, &linked, next)));
            } else {
                out!(
                    "Added posting time {}: {} at {} ({}) for {}{}.",
                    slot.id,
                    slot.days,
                    slot.time(),
                    slot.zone,
                    output::account_names(&slot.accounts, &linked),
                    next.map(|at| format!("; next {}", output::local_time(at))).unwrap_or_default()
                );
            }
            Ok(0)
        }
        QueueCommand::List { json } => {
            let slots = queue::list(&cx.store)?;
            let mut listed = Vec::with_capacity(slots.len());
            for slot in slots {
                let next = if slot.accounts.is_empty() { None } else { queue::next_occurrence(&slot, now)? };
                listed.push((slot, next));
            }
            if *json {
                let list = listed.iter().map(|(slot, next)| output::slot_json(slot, &linked, *next)).collect();
                println!("{}", crate::terminal::json(&serde_json::Value::Array(list)));
            } else {
                print!("{}", output::slots_table(&listed, &linked));
            }
            Ok(0)
        }
        QueueCommand::Remove { id } => {
            let id: queue::SlotId = id.parse()?;
            queue::remove(&cx.store, id)?;
            out!("Removed posting time {id}; posts already queued at its times stay where they are.");
            Ok(0)
        }
        QueueCommand::Next { to, json } => {
            let accounts = cx.accounts();
            let ids = to.iter().map(|r| accounts.find(r).map(|a| a.id)).collect::<Result<Vec<_>>>()?;
            let free = queue::next_free(&cx.store, &ids, now)?;
            if *json {
                let list = free
                    .iter()
                    .map(|(id, at)| {
                        serde_json::json!({
                            "account": output::account_names(&[*id], &linked),
                            "accountId": id.to_string(),
                            "at": at.to_rfc3339(),
                        })
                    })
                    .collect();
                println!("{}", crate::terminal::json(&serde_json::Value::Array(list)));
            } else {
                for (id, at) in &free {
                    out!("{}: {}", output::account_names(&[*id], &linked), output::local_time(*at));
                }
            }
            Ok(0)
        }
    }
}

/// The post `reference` names: its id or a unique end of it (as `fanout post` printed it), or a
/// delivery's (as `fanout outbox` shows it), which stands for the delivery's post.
fn find_post(outbox: &Outbox, reference: &str) -> Result<PostId> {
    let wanted = reference.trim().to_lowercase();
    let unknown = || {
        Error::invalid(format!(
            "there is no post or delivery '{}' in the outbox (see `fanout outbox`)",
            reference.trim()
        ))
    };
    if let Ok(id) = wanted.parse::<PostId>() {
        if !outbox.list(&Filter { post: Some(id), limit: Some(1), ..Filter::default() })?.is_empty() {
            return Ok(id);
        }
        let delivery = outbox.get(DeliveryId(id.0))?.ok_or_else(unknown)?;
        return Ok(delivery.post_id);
    }
    if wanted.len() < 4 {
        return Err(unknown());
    }
    let mut found: Vec<PostId> = Vec::new();
    for row in outbox.list(&Filter::default())? {
        let d = &row.delivery;
        let named = d.post_id.to_string().ends_with(&wanted) || d.id.to_string().ends_with(&wanted);
        if named && !found.contains(&d.post_id) {
            found.push(d.post_id);
        }
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(unknown()),
        _ => Err(Error::invalid(format!(
            "'{}' is the end of more than one post's or delivery's id; give more of it (`fanout outbox --json` \
             shows them in full)",
            reference.trim()
        ))),
    }
}

async fn edit(cx: &Context, args: &EditArgs) -> Result<u8> {
    let changes_something = args.text.is_some()
        || args.text_file.is_some()
        || !args.files.media.is_empty()
        || !args.files.alt.is_empty()
        || !args.files.order.is_empty()
        || args.no_media
        || !args.to.is_empty()
        || args.at.is_some()
        || args.now
        || args.list.is_some();
    if !changes_something {
        return Err(Error::invalid(
            "nothing to change: give --text, --text-file, --media, --no-media, --alt, --order, --to, --at, --now or --list",
        ));
    }
    let outbox = cx.outbox(&WorkerTuning::defaults().to_core());
    let now = cx.clock.now();
    let old = find_post(&outbox, &args.post)?;
    let mut draft = post::draft_of(&outbox, old)?;
    let new_text = read_text(args.text.as_deref(), args.text_file.as_deref())?;
    if let Some(text) = &new_text {
        draft.text = text.clone();
    }
    if args.no_media {
        draft.media.clear();
        draft.media_details.clear();
        draft.orders.clear();
    } else if !args.files.media.is_empty() {
        draft.media = args.files.media.clone();
        draft.media_details.clear();
        // The post's orders were of its old files.
        draft.orders.clear();
    }
    // Given ones come first: the post's own are keyed by account id, these maybe by name.
    for (account, order) in &args.files.order {
        draft.orders.insert(0, (account.clone(), order.clone()));
    }
    draft.media_details = with_alt(draft.media_details, &args.files.alt, draft.media.len())?;
    let before = draft.targets.clone();
    if !args.to.is_empty() {
        draft.targets = args.to.clone();
    }
    draft.scheduled_at = match (&args.at, args.now) {
        (Some(at), _) => Some(parse_at(at)?),
        (None, true) => None,
        // A time that came while the post waited: it goes as soon as it can, as it would have.
        (None, false) => draft.scheduled_at.filter(|at| at.0 > now.0),
    };
    draft.again = args.again;
    if let Some(list) = &args.list {
        let accounts = cx.accounts();
        draft.recipients = draft
            .targets
            .iter()
            .filter(|r| accounts.find(r).is_ok_and(|a| a.network == NetworkKind::WhatsApp))
            .map(|r| (r.clone(), list.clone()))
            .collect();
    }
    let edited = post::edit(&outbox, &cx.registry, &cx.variants(), &cx.media_dir(), old, &draft, now)?;
    let unchanged = if edited.unchanged.is_empty() {
        Vec::new()
    } else {
        outbox.list(&Filter { ids: edited.unchanged.iter().map(|d| d.id).collect(), ..Filter::default() })?
    };
    let accounts = cx.accounts();
    let removed: Vec<Account> = before
        .iter()
        .filter_map(|r| accounts.find(r).ok())
        .filter(|a| {
            !edited.deliveries.iter().any(|(_, b)| b.id == a.id)
                && !unchanged.iter().any(|r| r.delivery.account_id == a.id)
        })
        .collect();
    if args.json {
        let json = output::edited_json(old, &edited, draft.scheduled_at, &unchanged, &removed);
        println!("{}", crate::terminal::json(&json));
        return Ok(0);
    }
    let when = match draft.scheduled_at {
        Some(at) => format!("scheduled for {}", at.to_rfc3339()),
        None => "as soon as a worker runs".to_owned(),
    };
    out!(
        "Edited post {}; it is now post {}:",
        output::short(&old.to_string()),
        output::short(&edited.post.to_string())
    );
    let mut shown: Vec<&Account> = Vec::new();
    for (_, account) in &edited.deliveries {
        if shown.iter().any(|a| a.id == account.id) {
            continue;
        }
        shown.push(account);
        let count = edited.deliveries.iter().filter(|(_, a)| a.id == account.id).count();
        let people = if count > 1 { format!(", {count} people") } else { String::new() };
        out!("  {} ({}{people}): {when}", account.name, account.network.display_name());
    }
    for row in &unchanged {
        let to = row.delivery.recipient.as_ref().map(|r| format!(" → {}", r.label())).unwrap_or_default();
        out!("  {}{to}: already {}; not changed", row.account_name, output::started_state(row.delivery.state));
    }
    for account in &removed {
        out!("  {}: taken off the post", account.name);
    }
    if new_text.is_some() {
        let own = draft.texts.iter().filter_map(|(r, _)| shown.iter().find(|a| a.id.to_string() == *r));
        for account in own {
            out!("  {} keeps the text written for it alone (change it in the app).", account.name);
        }
    }
    out!("A running worker delivers it (`fanout worker`).");
    Ok(0)
}

fn cancel_post(cx: &Context, reference: &str) -> Result<u8> {
    let outbox = cx.outbox(&WorkerTuning::defaults().to_core());
    let post = find_post(&outbox, reference)?;
    let short = output::short(&post.to_string());
    let cancelled = outbox.cancel_post(post, cx.clock.now())?;
    if cancelled == 0 {
        return Err(Error::Conflict(format!(
            "nothing to cancel: every delivery of post {short} has gone out or was cancelled already"
        )));
    }
    let sent = outbox.list(&Filter { post: Some(post), states: vec![DeliveryState::Sent], ..Filter::default() })?.len();
    let kept = match sent {
        0 => String::new(),
        1 => "; 1 had gone out and stays as it was".to_owned(),
        n => format!("; {n} had gone out and stay as they were"),
    };
    let what = if cancelled == 1 { "1 delivery".to_owned() } else { format!("{cancelled} deliveries") };
    out!("Cancelled {what} of post {short}{kept}.");
    Ok(0)
}

fn summary_line(s: &RunSummary) -> String {
    format!(
        "worker: {} sent, {} retrying, {} need attention, {} unconfirmed, {} failed, {} handed back",
        s.sent, s.retrying, s.needs_attention, s.unconfirmed, s.failed, s.handed_back
    )
}

fn outbox(cx: &Context, json: bool, limit: usize) -> Result<u8> {
    let rows =
        cx.outbox(&WorkerTuning::defaults().to_core()).list(&Filter { limit: Some(limit), ..Filter::default() })?;
    if json {
        println!(
            "{}",
            crate::terminal::json(&serde_json::Value::Array(rows.iter().map(output::delivery_json).collect()))
        );
    } else {
        print!("{}", output::outbox_table(&rows, cx.clock.now()));
    }
    Ok(0)
}
