//! `fanout-sandbox` is a stand-in for the social networks Fanout posts to: an HTTP server on
//! 127.0.0.1 that speaks the documented subset of each network's API statefully, lets a test or
//! the `fanout` CLI inject faults per route (errors, hangs, dropped connections, broken bodies),
//! and logs every request it received. This module is the public API and the accept loop; it must
//! never listen on anything but loopback, and it owns no network-specific behaviour (that lives in
//! one module per network).

mod bluesky;
mod body;
mod chats;
mod clock;
mod containers;
mod control;
mod discord;
mod error;
mod faults;
mod graph;
mod graph_spec;
mod instagram;
mod log;
mod login;
mod mastodon;
mod matrix;
mod meta;
mod meta_routes;
mod nostr;
mod pages;
mod pictures;
mod service;
mod services;
mod telegram;
mod threads;
mod whatsapp;

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

pub use bluesky::{
    BlueskyBlobRecord, BlueskyRecord, SANDBOX_BLUESKY_DID, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD,
};
pub use chats::{
    ChatImageRecord, ChatMessageRecord, SANDBOX_GOOGLE_CHAT_WEBHOOK, SANDBOX_SLACK_WEBHOOK, SANDBOX_TEAMS_WEBHOOK,
};
pub use clock::SandboxClock;
pub use discord::DiscordMessageRecord;
pub use error::{Result, SandboxError};
pub use faults::{CloseWhen, Fault, FaultPlan, RouteFaults};
pub use graph::GraphObjectRecord;
pub use instagram::{InstagramContainerRecord, InstagramMediaRecord};
pub use log::RequestRecord;
pub use mastodon::oauth::OAUTH_USER as SANDBOX_MASTODON_OAUTH_USER;
pub use mastodon::{MastodonMediaRecord, MastodonStatusRecord};
pub use matrix::{
    MatrixEventRecord, MatrixMediaRecord, SANDBOX_MATRIX_PASSWORD, SANDBOX_MATRIX_PRIVATE_ROOM,
    SANDBOX_MATRIX_READ_ONLY_ROOM, SANDBOX_MATRIX_ROOM, SANDBOX_MATRIX_SERVER, SANDBOX_MATRIX_TOKEN,
    SANDBOX_MATRIX_USER, SANDBOX_MATRIX_USER_ID,
};
pub use meta::{
    SANDBOX_APP_ID, SANDBOX_APP_SECRET, SANDBOX_INSTAGRAM, SANDBOX_PAGES, SANDBOX_THREADS_TOKEN, SANDBOX_THREADS_USER,
    SANDBOX_USER_TOKEN, SANDBOX_WHATSAPP, SANDBOX_WHATSAPP_TOKEN, page_token,
};
pub use telegram::{SANDBOX_TELEGRAM_TOKEN, TelegramMessageRecord};
pub use threads::ThreadsPostRecord;
pub use whatsapp::{WhatsAppMediaRecord, WhatsAppMessageRecord};

/// Uploads of up to 100 MB must reach the handlers, so the limit sits a little above that.
pub(crate) const BODY_LIMIT: usize = 110 * 1024 * 1024;

/// How the sandbox starts. `Default` gives the values the real networks usually have.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// 0 picks any free port.
    pub port: u16,
    pub faults: FaultPlan,
    /// Time until an uploaded Mastodon media attachment is processed.
    pub media_processing: Duration,
    /// How long Mastodon remembers an `Idempotency-Key`.
    pub idempotency_ttl: Duration,
    pub mastodon_max_characters: usize,
    /// How many status polls an Instagram video or carousel container answers IN_PROGRESS.
    pub instagram_processing_polls: u32,
    /// How long a Bluesky access token lasts before it answers `ExpiredToken` (the PDS's is
    /// two hours); a test sets it short to see sessions refreshed.
    pub bluesky_access_lifetime: Duration,
    /// Where the sandbox reads the time: the OS clock by default. A test passes a clone of a
    /// clock it keeps (or calls [`Sandbox::advance`]) to move past lifetimes without sleeping.
    pub clock: SandboxClock,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            faults: FaultPlan::default(),
            media_processing: Duration::from_millis(150),
            idempotency_ttl: Duration::from_secs(3600),
            mastodon_max_characters: 500,
            instagram_processing_polls: 2,
            bluesky_access_lifetime: Duration::from_secs(2 * 3600),
            clock: SandboxClock::default(),
        }
    }
}

/// A snapshot of everything clients created in the sandbox.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SandboxState {
    pub mastodon_statuses: Vec<MastodonStatusRecord>,
    pub mastodon_media: Vec<MastodonMediaRecord>,
    pub discord_messages: Vec<DiscordMessageRecord>,
    /// Everything made through the Graph API (posts, photos, videos, stories), in order.
    #[serde(default)]
    pub graph_objects: Vec<GraphObjectRecord>,
    #[serde(default)]
    pub instagram_containers: Vec<InstagramContainerRecord>,
    #[serde(default)]
    pub instagram_media: Vec<InstagramMediaRecord>,
    #[serde(default)]
    pub threads_posts: Vec<ThreadsPostRecord>,
    #[serde(default)]
    pub telegram_messages: Vec<TelegramMessageRecord>,
    /// What the Slack, Teams and Google Chat webhooks took, in order.
    #[serde(default)]
    pub chat_messages: Vec<ChatMessageRecord>,
    #[serde(default)]
    pub whatsapp_messages: Vec<WhatsAppMessageRecord>,
    #[serde(default)]
    pub whatsapp_media: Vec<WhatsAppMediaRecord>,
    /// Every record in the Bluesky repositories (the newest version of each), in the order made.
    #[serde(default)]
    pub bluesky_records: Vec<BlueskyRecord>,
    #[serde(default)]
    pub bluesky_blobs: Vec<BlueskyBlobRecord>,
    /// Every event sent to a Matrix room, in order.
    #[serde(default)]
    pub matrix_events: Vec<MatrixEventRecord>,
    #[serde(default)]
    pub matrix_media: Vec<MatrixMediaRecord>,
}

/// A running sandbox server. Dropping it or calling [`Sandbox::shutdown`] stops it.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds 127.0.0.1:`config.port` and starts serving on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox> {
        faults::validate(&config.faults)?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| SandboxError::Bind { port: config.port, source })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind { port: config.port, source })?;
        let shared = Arc::new(Shared::new(&config, addr));
        let app = router(shared.clone());
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(accept_loop(listener, app, stopped));
        tracing::debug!(%addr, "sandbox listening");
        Ok(Sandbox { shared, addr, stop, server: Some(server) })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The clock the sandbox reads (a clone shares its time), for a test that wants its own code
    /// on the sandbox's time.
    pub fn clock(&self) -> SandboxClock {
        self.shared.clock.clone()
    }

    /// Moves the sandbox's time forward: tokens, sign-in limits, quotas, idempotency keys, media
    /// processing and messaging windows all see `by` pass at once. Latency faults stay real waits.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Replaces the fault plan; what the old plan had consumed is forgotten.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.set_faults(plan);
    }

    pub fn faults(&self) -> FaultPlan {
        lock(&self.shared.faults).plan().clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).records()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    pub fn state(&self) -> SandboxState {
        self.shared.state()
    }

    /// From now on, a Mastodon access token or a Discord webhook token equal to `token` answers 401.
    pub fn revoke_token(&self, token: &str) {
        self.shared.revoke(token);
    }

    /// Forgets every app registered on the sandbox's Mastodon, as a server does when its admin
    /// removes them: their client ids are refused from then on.
    pub fn forget_mastodon_apps(&self) {
        lock(&self.shared.mastodon).oauth.forget_clients();
    }

    /// Makes a Graph API token expire now: from then on it answers error 190/463.
    pub fn expire_graph_token(&self, token: &str) {
        lock(&self.shared.graph).expire(token);
    }

    /// Sets how much of a Page's Graph API budget is used (percent), and at 100 % how many
    /// minutes until it is back; every answer for the Page carries it in its usage headers.
    pub fn set_graph_usage(&self, page_id: &str, percent: u32, regain_minutes: u32) {
        lock(&self.shared.graph).set_usage(page_id, percent, regain_minutes);
    }

    /// Sets the Threads user's publishing quota for 24 hours (Meta's is 250).
    pub fn set_threads_quota(&self, total: u32) {
        lock(&self.shared.threads).quota = Some(total);
    }

    /// Sets an Instagram account's publishing quota for 24 hours (Meta's default is 100).
    pub fn set_instagram_quota(&self, user_id: &str, total: u32) {
        lock(&self.shared.instagram).quota.insert(user_id.to_owned(), total);
    }

    /// Records that `phone` (any form with its country code) wrote to the WhatsApp business
    /// number just now: free-form messages reach them for 24 hours.
    pub fn whatsapp_inbound(&self, phone: &str) {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        lock(&self.shared.whatsapp).inbound.insert(digits, self.shared.now_ms());
    }

    /// Makes every Bluesky access token issued so far expire now (as if its lifetime had passed):
    /// each answers `ExpiredToken` from now on, while the refresh tokens still work.
    pub fn expire_bluesky_access_tokens(&self) {
        lock(&self.shared.bluesky).expire_access_tokens();
    }

    /// Ends every Bluesky session issued so far, access and refresh tokens alike (as revoking
    /// the app password's sessions does): only signing in again helps.
    pub fn revoke_bluesky_sessions(&self) {
        lock(&self.shared.bluesky).revoke_sessions();
    }

    /// Stops accepting, drops every open connection (hung requests included) and waits for that.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            // The loop only has to abort its connection tasks; the timeout is a backstop so a
            // caller's shutdown can never hang on the sandbox.
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(1), server).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        // Aborting the loop drops its JoinSet, which aborts every connection task.
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish()
    }
}

/// Everything the handlers share. Each piece has its own lock so a slow upload never blocks the
/// log or the control endpoints.
pub(crate) struct Shared {
    pub(crate) base_url: String,
    /// `127.0.0.1:PORT`, what Mastodon calls its domain.
    pub(crate) host: String,
    pub(crate) media_processing: Duration,
    pub(crate) idempotency_ttl: Duration,
    pub(crate) mastodon_max_characters: usize,
    pub(crate) faults: Mutex<faults::FaultBook>,
    pub(crate) log: Mutex<log::RequestLog>,
    pub(crate) mastodon: Mutex<mastodon::MastodonState>,
    pub(crate) discord: Mutex<discord::DiscordState>,
    pub(crate) graph: Mutex<graph::GraphState>,
    pub(crate) instagram: Mutex<instagram::InstagramState>,
    pub(crate) threads: Mutex<threads::ThreadsState>,
    pub(crate) whatsapp: Mutex<whatsapp::WhatsAppState>,
    pub(crate) chats: Mutex<Vec<chats::ChatMessageRecord>>,
    pub(crate) bluesky: Mutex<bluesky::BlueskyState>,
    pub(crate) matrix: Mutex<matrix::MatrixState>,
    pub(crate) bluesky_access_lifetime: Duration,
    pub(crate) instagram_processing_polls: u32,
    pub(crate) clock: SandboxClock,
    revoked: Mutex<HashSet<String>>,
    /// The state of services that keep theirs here, one value per type (see `Shared::with`).
    states: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
}

impl Shared {
    fn new(config: &SandboxConfig, addr: SocketAddr) -> Shared {
        let host = format!("127.0.0.1:{}", addr.port());
        Shared {
            base_url: format!("http://{host}"),
            host,
            media_processing: config.media_processing,
            idempotency_ttl: config.idempotency_ttl,
            mastodon_max_characters: config.mastodon_max_characters,
            faults: Mutex::new(faults::FaultBook::new(config.faults.clone())),
            log: Mutex::new(log::RequestLog::default()),
            mastodon: Mutex::new(mastodon::MastodonState::default()),
            discord: Mutex::new(discord::DiscordState::default()),
            graph: Mutex::new(graph::GraphState::default()),
            instagram: Mutex::new(instagram::InstagramState::default()),
            threads: Mutex::new(threads::ThreadsState::default()),
            whatsapp: Mutex::new(whatsapp::WhatsAppState::default()),
            chats: Mutex::new(Vec::new()),
            bluesky: Mutex::new(bluesky::BlueskyState::default()),
            matrix: Mutex::new(matrix::MatrixState::default()),
            bluesky_access_lifetime: config.bluesky_access_lifetime,
            instagram_processing_polls: config.instagram_processing_polls,
            clock: config.clock.clone(),
            revoked: Mutex::new(HashSet::new()),
            states: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` on a service's own state of type `T`, made with `T::default()` at first use: a
    /// service keeps its state here, so adding one needs no field in `Shared`.
    pub(crate) fn with<T: Default + Send + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut states = lock(&self.states);
        let state = states.entry(TypeId::of::<T>()).or_insert_with(|| Box::new(T::default()));
        match state.downcast_mut::<T>() {
            Some(state) => f(state),
            None => unreachable!("the state under a type's id has that type"),
        }
    }

    pub(crate) fn set_faults(&self, plan: FaultPlan) {
        *lock(&self.faults) = faults::FaultBook::new(plan);
    }

    pub(crate) fn state(&self) -> SandboxState {
        let (mastodon_statuses, mastodon_media) = lock(&self.mastodon).snapshot();
        let (instagram_containers, instagram_media) = {
            let instagram = lock(&self.instagram);
            (instagram.containers.clone(), instagram.media.clone())
        };
        let (whatsapp_messages, whatsapp_media) = {
            let whatsapp = lock(&self.whatsapp);
            (whatsapp.messages.clone(), whatsapp.media.clone())
        };
        let (bluesky_records, bluesky_blobs) = {
            let bluesky = lock(&self.bluesky);
            (bluesky.records.clone(), bluesky.blobs())
        };
        let (matrix_events, matrix_media) = {
            let matrix = lock(&self.matrix);
            (matrix.events.clone(), matrix.media.clone())
        };
        SandboxState {
            mastodon_statuses,
            mastodon_media,
            discord_messages: lock(&self.discord).snapshot(),
            graph_objects: lock(&self.graph).snapshot(),
            instagram_containers,
            instagram_media,
            threads_posts: lock(&self.threads).posts.clone(),
            whatsapp_messages,
            whatsapp_media,
            telegram_messages: self.with(|state: &mut telegram::TelegramState| state.messages.clone()),
            chat_messages: lock(&self.chats).clone(),
            bluesky_records,
            bluesky_blobs,
            matrix_events,
            matrix_media,
        }
    }

    /// The sandbox's time in milliseconds since the UNIX epoch; handlers read the time only here.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    pub(crate) fn revoke(&self, token: &str) {
        lock(&self.revoked).insert(token.to_owned());
    }

    pub(crate) fn is_revoked(&self, token: &str) -> bool {
        lock(&self.revoked).contains(token)
    }
}

/// A poisoned lock only means another handler panicked mid-update; the sandbox keeps serving
/// rather than turning one bug into a failure of every later request.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A demo account the sandbox serves: what to link it with, by the network's link field keys
/// (core's `Network::link_fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// The network's id (`mastodon`).
    pub network: &'static str,
    pub name: &'static str,
    /// Part of the first demo (`fanout demo`, the app's "Start demo accounts"); otherwise added
    /// when the user asks for more.
    pub starter: bool,
    /// The values of its link fields, by key.
    pub values: Vec<(&'static str, String)>,
}

/// The demo accounts a sandbox at `url` serves, each platform's in turn.
pub fn demo_accounts(url: &str) -> Vec<DemoAccount> {
    services::demo_accounts(url)
}

pub(crate) use services::known_routes;

fn router(shared: Arc<Shared>) -> Router {
    let networks = services::routes()
        .fallback(unknown_route)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), graph_spec::check_request))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), faults::intercept));
    networks.merge(control::routes()).merge(pages::routes()).layer(DefaultBodyLimit::max(BODY_LIMIT)).with_state(shared)
}

async fn unknown_route(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    (services::of_path(request.uri().path()).errors)(404, service::ErrorShape::default(), shared.now_ms())
}

/// Lets a handler drop the TCP connection its request came on, without answering.
#[derive(Clone)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    pub(crate) fn kill(&self) {
        // notify_one keeps a permit, so the kill lands even if the connection task is not
        // waiting at this instant.
        self.0.notify_one();
    }
}

/// Our own accept loop rather than `axum::serve`: the close faults need to drop a connection
/// from inside a handler, and shutdown must cut hung requests instead of waiting for them.
async fn accept_loop(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                Err(error) => {
                    // Typically out of file descriptors: wait instead of spinning.
                    tracing::warn!(%error, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, app: Router) {
    let kill = ConnectionKill(Arc::new(Notify::new()));
    let handle = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(handle.clone());
        app.clone().oneshot(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    // with_upgrades: the Nostr relays are WebSockets, upgraded from a request on this connection.
    let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "sandbox connection ended with an error");
            }
        }
        () = kill.0.notified() => {}
    }
}

/// RFC 3339 in UTC with milliseconds (`2024-05-01T12:00:00.000Z`), the way Mastodon writes it.
/// Hand-rolled (Hinnant's days-to-civil) to avoid a date dependency for one format.
pub(crate) fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, ms % 1000)
}

/// FNV-1a: a stable hash, so the same token maps to the same account on every run and machine
/// (std's hasher makes no such promise).
pub(crate) fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z", "leap day");
        assert_eq!(rfc3339(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
    }

    #[tokio::test]
    async fn every_route_a_fault_plan_may_name_is_served_under_that_name() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.expect("starts");
        let client = reqwest::Client::new();
        for route in known_routes() {
            let (method, path) = route.split_once(' ').expect("METHOD /path");
            let path = path.replace("{id}", "1").replace("{token}", "t");
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
            client.request(method, format!("{}{path}", sandbox.url())).send().await.expect("answered");
        }
        let logged: Vec<String> = sandbox.requests().into_iter().map(|r| r.route).collect();
        let known: Vec<String> = known_routes().map(str::to_owned).collect();
        assert_eq!(logged, known, "fault plans are validated against this list, so it must match the router");
    }
}
