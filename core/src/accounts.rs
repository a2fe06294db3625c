//! Linked accounts: add (verified with one API call), list, enable/disable, remove (the secret
//! too), verify. New accounts start disabled unless the user says otherwise: sharing to an account
//! is opt-in. A refused credential marks the account `needs_reconnect`; a transient error never
//! does — a flaky network must not disconnect anyone.

use std::sync::Arc;

use url::Url;

use crate::clock::{Clock, Timestamp};
use crate::error::{Error, Result};
use crate::model::{Account, AccountId, FailureKind, Health, MediaHost, NetworkKind, secret_key};
use crate::networks::Registry;
use crate::secrets::{Secret, SecretStore};
use crate::store::{Store, accounts, cache, deliveries};

/// What the user gives to link an account.
#[derive(Debug, Clone)]
pub enum Credentials {
    Mastodon {
        server: String,
        token: Secret,
    },
    /// The whole webhook URL is the secret: its last segment is the token.
    Discord {
        webhook_url: Secret,
    },
    /// A Facebook Page: its id and a Page token, or a user token that manages the Page (the
    /// Page's own token is then read and kept instead).
    Facebook {
        /// The Graph API root, `https://graph.facebook.com` unless testing.
        graph: Option<String>,
        page_id: String,
        token: Secret,
    },
    /// An Instagram professional account and the Facebook Page it is linked to, whose token
    /// publishes for both; the Page also stages the media Instagram fetches.
    Instagram {
        graph: Option<String>,
        user_id: String,
        page_id: String,
        token: Secret,
        /// Where Instagram fetches media from: the Page (`None`) or a bucket of the user's.
        bucket: Option<BucketHost>,
    },
    /// A Threads profile's access token; photos and videos need a bucket (Threads fetches them
    /// by address), text needs none.
    Threads {
        /// The Threads API root, `https://graph.threads.net` unless testing.
        api: Option<String>,
        token: Secret,
        bucket: Option<BucketHost>,
        /// When the token expires (seconds since 1970), where the login said.
        expires_at: Option<i64>,
    },
    /// A Matrix room: the homeserver, the room (its `!id` or `#alias`), and the user's access
    /// token — or a user name and password, logged in once for a token (the password is not kept).
    Matrix {
        homeserver: String,
        room: String,
        login: MatrixLogin,
    },
    /// A Bluesky account: its handle (or DID), an app password, and its PDS (bsky.social unless
    /// it has its own).
    Bluesky {
        pds: Option<String>,
        handle: String,
        app_password: Secret,
    },
    /// A Slack, Teams or Google Chat incoming webhook: its whole address is the secret. Webhooks
    /// carry no files: with a bucket that has a public address, pictures go there and the
    /// message shows them from it.
    ChatWebhook {
        chat: crate::networks::chat_webhooks::Chat,
        url: Secret,
        bucket: Option<BucketHost>,
    },
    /// A Telegram channel or group (`@name` or its numeric id) and the token of a bot that is an
    /// administrator there.
    Telegram {
        /// The Bot API's root, `https://api.telegram.org` unless testing.
        api: Option<String>,
        chat: String,
        token: Secret,
    },
    /// A WhatsApp Business phone number: its id, the WhatsApp Business Account it belongs to
    /// (where its templates are) and a token with `whatsapp_business_messaging`, such as a
    /// system user's.
    WhatsApp {
        graph: Option<String>,
        phone_number_id: String,
        business_account_id: String,
        token: Secret,
    },
}

impl Credentials {
    /// The network these credentials link to.
    pub fn network(&self) -> NetworkKind {
        match self {
            Credentials::Mastodon { .. } => NetworkKind::Mastodon,
            Credentials::Discord { .. } => NetworkKind::Discord,
            Credentials::Facebook { .. } => NetworkKind::Facebook,
            Credentials::Instagram { .. } => NetworkKind::Instagram,
            Credentials::Threads { .. } => NetworkKind::Threads,
            Credentials::Matrix { .. } => NetworkKind::Matrix,
            Credentials::Bluesky { .. } => NetworkKind::Bluesky,
            Credentials::ChatWebhook { chat, .. } => chat.kind(),
            Credentials::Telegram { .. } => NetworkKind::Telegram,
            Credentials::WhatsApp { .. } => NetworkKind::WhatsApp,
        }
    }
}

/// How a Matrix account signs in: an access token, or a password swapped for one when linking.
#[derive(Debug, Clone)]
pub enum MatrixLogin {
    Token(Secret),
    Password { user: String, password: Secret },
}

/// An S3-compatible bucket (AWS, MinIO, Cloudflare R2, Backblaze B2…) for media a platform
/// fetches by address. The bucket can stay private: Fanout hands out presigned addresses.
#[derive(Debug, Clone)]
pub struct BucketHost {
    /// The S3 endpoint, e.g. `https://s3.eu-central-1.amazonaws.com`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key` (MinIO and most self-hosted).
    pub path_style: bool,
    /// Where anyone can read the bucket's files; a team chat needs it (its pictures are shown
    /// from there for as long as the message is read).
    pub public_url: Option<String>,
}

impl BucketHost {
    fn media_host(&self) -> Result<MediaHost> {
        let endpoint = parse_base("the bucket's endpoint", &self.endpoint)?;
        let name = self.bucket.trim();
        if name.len() < 3
            || name.len() > 63
            || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Err(Error::invalid(format!(
                "'{name}' is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
            )));
        }
        if self.access_key_id.trim().is_empty() || self.secret_access_key.expose().trim().is_empty() {
            return Err(Error::invalid("the bucket needs an access key id and its secret key"));
        }
        let region = if self.region.trim().is_empty() { "us-east-1" } else { self.region.trim() };
        Ok(MediaHost::S3 {
            endpoint: endpoint.as_str().trim_end_matches('/').to_owned(),
            bucket: name.to_owned(),
            region: region.to_owned(),
            access_key_id: self.access_key_id.trim().to_owned(),
            path_style: self.path_style,
            public_url: match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                Some(address) => Some(parse_base("the bucket's public address", address)?.to_string()),
                None => None,
            },
        })
    }
}

/// What renewing one account's sign-in came to: its new expiry (seconds since 1970), or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct Renewal {
    pub account: String,
    pub outcome: std::result::Result<i64, String>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: Option<String>,
    pub credentials: Credentials,
    pub enabled: bool,
    pub demo: bool,
}

/// The side of a kept profile picture, in pixels (shown at 32 to 48 CSS pixels, sharp at 2×).
pub const PICTURE_SIDE: u32 = 128;

#[derive(Debug, Clone)]
pub struct Accounts {
    store: Arc<Store>,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    registry: Registry,
}

/// Runs blocking secret-store work off the async threads (the keychain talks D-Bus synchronously).
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Secrets(format!("the secret store task failed: {e}")))?
}

/// `address` on `base`'s scheme, host and port (path and query kept); `None` if it is not an address.
fn rebased(address: &str, base: &Url) -> Option<String> {
    let mut url = url::Url::parse(address).ok()?;
    url.set_scheme(base.scheme()).ok()?;
    url.set_host(base.host_str()).ok()?;
    url.set_port(base.port()).ok()?;
    let mut text = url.to_string();
    if !address.ends_with('/') && text.ends_with('/') {
        text.pop();
    }
    Some(text)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_base(what: &str, input: &str) -> Result<Url> {
    let input = input.trim();
    let with_scheme = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let url =
        Url::parse(&with_scheme).map_err(|_| Error::invalid(format!("{what} '{input}' is not a valid address")))?;
    if url.host_str().is_none() {
        return Err(Error::invalid(format!("{what} '{input}' has no host name")));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid(format!(
                "{what} must use https:// (plain http is only accepted for this machine's own test servers)"
            )));
        }
        other => return Err(Error::invalid(format!("{what} must be an https:// address, not {other}://"))),
    }
    Ok(url)
}

fn origin(url: &Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s
}

/// A Mastodon server address, normalised to its origin.
pub fn mastodon_endpoint(server: &str) -> Result<String> {
    let url = parse_base("the Mastodon server", server)?;
    if !matches!(url.path(), "" | "/") {
        return Err(Error::invalid(format!(
            "give the Mastodon server's address only, like https://mastodon.social (not a path such as {})",
            url.path()
        )));
    }
    Ok(origin(&url))
}

/// The Graph API root with its version (`https://graph.facebook.com/v26.0`); a root given without
/// a version gets the one Fanout speaks.
pub fn graph_endpoint(root: Option<&str>) -> Result<String> {
    let url = parse_base("the Graph API address", root.unwrap_or(crate::networks::graph::FACEBOOK_ROOT))?;
    let path = url.path().trim_end_matches('/');
    let versioned = path.rsplit('/').next().is_some_and(|last| {
        last.strip_prefix('v').is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    });
    let path = if versioned { path.to_owned() } else { format!("{path}/{}", crate::networks::graph::VERSION) };
    Ok(format!("{}{path}", origin(&url)))
}

/// A Facebook Page id: digits only (the number in the Page's About → Page transparency).
/// A Graph object id the user typed: digits only.
pub fn numeric_id(what: &str, input: &str) -> Result<String> {
    let id = input.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "'{id}' is not a {what}: it is a number, shown in WhatsApp Manager and the app dashboard's API setup"
        )));
    }
    Ok(id.to_owned())
}

pub fn page_id(input: &str) -> Result<String> {
    let id = input.trim();
    if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "'{id}' is not a Facebook Page id: it is a number, shown under the Page's About → Page transparency"
        )));
    }
    Ok(id.to_owned())
}

/// Splits a webhook URL into the endpoint kept in the database and the token kept as a secret.
/// Never puts the URL itself into an error: it is a credential.
pub fn discord_endpoint(webhook: &Secret) -> Result<(String, Secret)> {
    let bad = || {
        Error::invalid(
            "the Discord webhook URL is not of the form https://discord.com/api/webhooks/ID/TOKEN \
             (copy it from the channel's Integrations → Webhooks)",
        )
    };
    let url = parse_base("the Discord webhook URL", webhook.expose()).map_err(|_| bad())?;
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let (prefix, id, token) = match segments.as_slice() {
        ["api", "webhooks", id, token] => ("api/webhooks".to_owned(), *id, *token),
        ["api", version, "webhooks", id, token] if version.starts_with('v') => {
            (format!("api/{version}/webhooks"), *id, *token)
        }
        _ => return Err(bad()),
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) || token.is_empty() {
        return Err(bad());
    }
    Ok((format!("{}/{prefix}/{id}", origin(&url)), Secret::new(token)))
}

impl Accounts {
    pub fn new(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
        registry: Registry,
    ) -> Self {
        Self { store, secrets, http, clock, registry }
    }

    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// Links an account: checks the credentials with one API call, saves the secret in the secret
    /// store and the account (without the secret) in the database.
    pub async fn add(&self, new: NewAccount) -> Result<Account> {
        let (network, endpoint, secret) = match &new.credentials {
            Credentials::Mastodon { server, token } => {
                if token.expose().trim().is_empty() {
                    return Err(Error::invalid("the access token is empty; paste it on standard input"));
                }
                (NetworkKind::Mastodon, mastodon_endpoint(server)?, Secret::new(token.expose().trim()))
            }
            Credentials::Discord { webhook_url } => {
                let (endpoint, token) = discord_endpoint(webhook_url)?;
                (NetworkKind::Discord, endpoint, token)
            }
            Credentials::Facebook { graph, page_id: page, token } => {
                if token.expose().trim().is_empty() {
                    return Err(Error::invalid("the access token is empty; paste it on standard input"));
                }
                page_id(page)?;
                (NetworkKind::Facebook, graph_endpoint(graph.as_deref())?, Secret::new(token.expose().trim()))
            }
            Credentials::Threads { api, token, .. } => {
                if token.expose().trim().is_empty() {
                    return Err(Error::invalid("the access token is empty; paste it on standard input"));
                }
                let root = api.as_deref().unwrap_or(crate::networks::threads::ROOT);
                let url = parse_base("the Threads API address", root)?;
                let path = url.path().trim_end_matches('/');
                let endpoint = if path.ends_with(crate::networks::threads::VERSION) {
                    format!("{}{path}", origin(&url))
                } else {
                    format!("{}{path}/{}", origin(&url), crate::networks::threads::VERSION)
                };
                (NetworkKind::Threads, endpoint, Secret::new(token.expose().trim()))
            }
            Credentials::Instagram { graph, user_id, page_id: page, token, .. } => {
                if token.expose().trim().is_empty() {
                    return Err(Error::invalid("the access token is empty; paste it on standard input"));
                }
                page_id(page)?;
                if user_id.trim().is_empty() || !user_id.trim().chars().all(|c| c.is_ascii_digit()) {
                    return Err(Error::invalid(format!(
                        "'{}' is not an Instagram user id: it is a number (the Page's instagram_business_account)",
                        user_id.trim()
                    )));
                }
                (NetworkKind::Instagram, graph_endpoint(graph.as_deref())?, Secret::new(token.expose().trim()))
            }
            Credentials::Matrix { homeserver, room, login } => {
                let base = parse_base("the homeserver's address", homeserver)?;
                let base = base.as_str().trim_end_matches('/').to_owned();
                let room = room.trim();
                // Room ids of room version 12 carry no server name; addresses always do.
                let valid = (room.starts_with('!') && room.len() > 1) || (room.starts_with('#') && room.contains(':'));
                if !valid {
                    return Err(Error::invalid(format!(
                        "'{room}' is not a Matrix room: give its id (!abc:example.org) or its address (#room:example.org)"
                    )));
                }
                let token = match login {
                    MatrixLogin::Token(token) if token.expose().trim().is_empty() => {
                        return Err(Error::invalid("the access token is empty; paste it on standard input"));
                    }
                    MatrixLogin::Token(token) => Secret::new(token.expose().trim()),
                    MatrixLogin::Password { user, password } => {
                        crate::networks::matrix::log_in(&self.http, &base, user, password, self.clock.now())
                            .await
                            .map_err(|f| Error::Network(format!("could not log in to {base}: {}", f.message)))?
                    }
                };
                (NetworkKind::Matrix, base, token)
            }
            Credentials::Bluesky { pds, handle, app_password } => {
                if app_password.expose().trim().is_empty() {
                    return Err(Error::invalid(
                        "the app password is empty; make one in Bluesky's Settings → App passwords",
                    ));
                }
                let handle = handle.trim().trim_start_matches('@');
                if !(handle.contains('.') || handle.starts_with("did:")) {
                    return Err(Error::invalid(format!(
                        "'{handle}' is not a Bluesky handle: it looks like name.bsky.social (or your own domain)"
                    )));
                }
                let base = parse_base("the PDS address", pds.as_deref().unwrap_or(crate::networks::bluesky::ROOT))?;
                (
                    NetworkKind::Bluesky,
                    base.as_str().trim_end_matches('/').to_owned(),
                    Secret::new(app_password.expose().trim()),
                )
            }
            Credentials::ChatWebhook { chat, url, .. } => {
                let (endpoint, _) = chat.parse(url.expose()).map_err(Error::invalid)?;
                (chat.kind(), endpoint, Secret::new(url.expose().trim()))
            }
            Credentials::Telegram { api, chat, token } => {
                let token = token.expose().trim();
                let looks_right = token.split_once(':').is_some_and(|(id, rest)| {
                    !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty()
                });
                if !looks_right {
                    return Err(Error::invalid(
                        "that is not a bot token: @BotFather gives one like 123456789:AAF…; paste it on standard input",
                    ));
                }
                let chat = chat.trim();
                let valid = (chat.starts_with('@') && chat.len() > 1)
                    || chat.strip_prefix('-').unwrap_or(chat).chars().all(|c| c.is_ascii_digit()) && !chat.is_empty();
                if !valid {
                    return Err(Error::invalid(format!(
                        "'{chat}' is not a Telegram chat: give a public channel's @name or the chat's numeric id"
                    )));
                }
                let base =
                    parse_base("the Bot API's address", api.as_deref().unwrap_or(crate::networks::telegram::ROOT))?;
                (NetworkKind::Telegram, base.as_str().trim_end_matches('/').to_owned(), Secret::new(token))
            }
            Credentials::WhatsApp { graph, phone_number_id, business_account_id, token } => {
                if token.expose().trim().is_empty() {
                    return Err(Error::invalid("the access token is empty; paste it on standard input"));
                }
                numeric_id("WhatsApp phone number id", phone_number_id)?;
                numeric_id("WhatsApp Business Account id", business_account_id)?;
                (NetworkKind::WhatsApp, graph_endpoint(graph.as_deref())?, Secret::new(token.expose().trim()))
            }
        };
        let (given_remote, options) = match &new.credentials {
            Credentials::Threads { bucket, .. } => (
                None,
                crate::model::AccountOptions {
                    media_host: bucket.as_ref().map(BucketHost::media_host).transpose()?,
                    ..Default::default()
                },
            ),
            Credentials::Facebook { page_id: page, .. } => (Some(page.trim().to_owned()), Default::default()),
            Credentials::Instagram { user_id, page_id: page, bucket, .. } => (
                Some(user_id.trim().to_owned()),
                crate::model::AccountOptions {
                    media_host: Some(match bucket {
                        Some(bucket) => bucket.media_host()?,
                        None => MediaHost::FacebookPage { page_id: page.trim().to_owned() },
                    }),
                    page_id: Some(page.trim().to_owned()),
                    business_account_id: None,
                },
            ),
            Credentials::Matrix { room, .. } => (Some(room.trim().to_owned()), Default::default()),
            Credentials::Bluesky { handle, .. } => {
                (Some(handle.trim().trim_start_matches('@').to_owned()), Default::default())
            }
            Credentials::Telegram { chat, .. } => (Some(chat.trim().to_owned()), Default::default()),
            Credentials::ChatWebhook { chat, bucket: Some(bucket), .. } => {
                if bucket.public_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
                    return Err(Error::invalid(format!(
                        "{} shows a picture from its address whenever the message is read, so the bucket needs \
                         its public address (where anyone can read its files, like https://media.example.org/)",
                        chat.name()
                    )));
                }
                (None, crate::model::AccountOptions { media_host: Some(bucket.media_host()?), ..Default::default() })
            }
            Credentials::WhatsApp { phone_number_id, business_account_id, .. } => (
                Some(phone_number_id.trim().to_owned()),
                crate::model::AccountOptions {
                    business_account_id: Some(business_account_id.trim().to_owned()),
                    ..Default::default()
                },
            ),
            _ => (None, Default::default()),
        };
        let now = self.clock.now();
        let mut account = Account {
            id: AccountId::new(),
            network,
            name: String::new(),
            endpoint,
            remote_id: given_remote,
            enabled: new.enabled,
            demo: new.demo,
            health: Health::Ok,
            health_detail: None,
            paused_until: None,
            created_at: now,
            options,
        };
        let host_secret = match &new.credentials {
            Credentials::Instagram { bucket: Some(bucket), .. }
            | Credentials::Threads { bucket: Some(bucket), .. }
            | Credentials::ChatWebhook { bucket: Some(bucket), .. } => Some(bucket.secret_access_key.clone()),
            _ => None,
        };
        if let Some(host) = &account.options.media_host {
            crate::networks::hosting::check(host, &self.http, host_secret.as_ref(), now)
                .await
                .map_err(|f| Error::Network(format!("the media host does not work: {}", f.message)))?;
        }
        let net = self.registry.get(network);
        let verified = net.verify(&self.http, &account, &secret, now).await.map_err(|f| {
            Error::Network(format!("could not link the {} account: {}", network.display_name(), f.message))
        })?;
        account.remote_id = Some(verified.remote_id.clone());
        account.name = match new.name {
            Some(name) => validate_name(&name)?,
            None => self.free_name(&default_name(network, &verified))?,
        };
        let secret = verified.secret.clone().unwrap_or(secret);
        let key = account.secret_key();
        let secrets = self.secrets.clone();
        blocking(move || secrets.set(&key, &secret)).await?;
        if let Some(host_secret) = host_secret {
            let key = crate::model::media_host_secret_key(account.id);
            let secrets = self.secrets.clone();
            blocking(move || secrets.set(&key, &host_secret)).await?;
        }
        let scope = net.cache_scope(&account);
        let mut facts = verified.cache.clone();
        if let (Credentials::Threads { expires_at: Some(at), .. }, Some(serde_json::Value::Object(map))) =
            (&new.credentials, facts.as_mut())
        {
            map.insert("token_expires_at".into(), serde_json::json!(at));
        }
        let stored = self.store.write(|tx| {
            accounts::insert(tx, &account)?;
            if let (Some(scope), Some(value)) = (&scope, &facts) {
                cache::put(tx, scope, value, now)?;
            }
            Ok(())
        });
        if let Err(e) = stored {
            // The account was not saved: leave no orphaned secret behind.
            for key in [account.secret_key(), crate::model::media_host_secret_key(account.id)] {
                let secrets = self.secrets.clone();
                let _ = blocking(move || secrets.delete(&key)).await;
            }
            return Err(e);
        }
        self.keep_picture(account.id, verified.picture.clone(), now).await;
        Ok(account)
    }

    /// Keeps the account's profile picture, read from where the platform said and fitted small
    /// (`PICTURE_SIDE`), in the database. Best effort: a picture that cannot be read or fitted
    /// leaves the account with its initials, and the link or check goes on.
    async fn keep_picture(&self, account: AccountId, picture: Option<crate::networks::Picture>, now: Timestamp) {
        let bytes = match picture {
            Some(crate::networks::Picture::Address(address)) => {
                crate::link_card::read_picture(&self.http, &address).await
            }
            Some(crate::networks::Picture::Bytes(bytes)) => Some(bytes),
            None => None,
        };
        let Some(bytes) = bytes else { return };
        let fitted = tokio::task::spawn_blocking(move || {
            crate::media::prepare_image_owned(
                bytes,
                &crate::media::ImageSpec::thumbnail(PICTURE_SIDE),
                &crate::media::FitOptions::default(),
                &crate::media::Limits::default(),
            )
        })
        .await;
        match fitted {
            Ok(Ok(variant)) => {
                if let Err(e) = self.store.write(|tx| crate::store::pictures::put(tx, account, &variant.bytes, now)) {
                    tracing::warn!(error = %e, "the account's picture could not be kept");
                }
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "the account's picture cannot be used"),
            Err(_) => {}
        }
    }

    /// The account's profile picture (a small JPEG), where one was kept.
    pub fn picture(&self, account: AccountId) -> Result<Option<Vec<u8>>> {
        self.store.read(|tx| crate::store::pictures::get(tx, account))
    }

    /// The accounts that have a profile picture.
    pub fn with_pictures(&self) -> Result<std::collections::HashSet<String>> {
        self.store.read(|tx| crate::store::pictures::accounts(tx))
    }

    /// Keeps the user's own Meta app (id and secret) in the secret store under `key`
    /// (`meta_login::APP_SECRET_KEY`, `threads_login::APP_SECRET_KEY`) for later logins.
    pub async fn save_app(&self, key: &'static str, app: &crate::meta_login::MetaApp) -> Result<()> {
        self.save_secret(key, &app.to_secret()).await
    }

    /// The app saved under `key` by an earlier login, if any.
    pub async fn saved_app(&self, key: &'static str) -> Result<Option<crate::meta_login::MetaApp>> {
        self.saved_secret(key).await?.as_ref().map(crate::meta_login::MetaApp::from_secret).transpose()
    }

    /// Keeps a login's own secret (an app registration, not an account's) under `key`.
    pub(crate) async fn save_secret(&self, key: &str, secret: &Secret) -> Result<()> {
        let (secrets, key, secret) = (self.secrets.clone(), key.to_owned(), secret.clone());
        blocking(move || secrets.set(&key, &secret)).await
    }

    /// The secret kept under `key` by [`Accounts::save_secret`], if any.
    pub(crate) async fn saved_secret(&self, key: &str) -> Result<Option<Secret>> {
        let (secrets, key) = (self.secrets.clone(), key.to_owned());
        blocking(move || secrets.get(&key)).await
    }

    /// Links every asset a login reached, each with its own token (already linked ones are
    /// skipped, not doubled). Returns what was linked and what was skipped, with why.
    pub async fn link_assets(
        &self,
        graph_endpoint: &str,
        assets: &[crate::meta_login::Asset],
        enabled: bool,
        demo: bool,
    ) -> Result<(Vec<Account>, Vec<String>)> {
        use crate::meta_login::Asset;
        let existing = self.list()?;
        let (mut linked, mut skipped) = (Vec::new(), Vec::new());
        for asset in assets {
            let (network, remote) = match asset {
                Asset::FacebookPage { page_id, .. } => (NetworkKind::Facebook, page_id),
                Asset::Instagram { user_id, .. } => (NetworkKind::Instagram, user_id),
                Asset::WhatsApp { phone_number_id, .. } => (NetworkKind::WhatsApp, phone_number_id),
            };
            if let Some(known) = existing.iter().find(|a| a.network == network && a.remote_id.as_ref() == Some(remote))
            {
                skipped.push(format!("{}: already linked as '{}'", asset.describe(), known.name));
                continue;
            }
            let credentials = match asset {
                Asset::FacebookPage { page_id, token, .. } => Credentials::Facebook {
                    graph: Some(graph_endpoint.to_owned()),
                    page_id: page_id.clone(),
                    token: token.clone(),
                },
                Asset::Instagram { user_id, page_id, token, .. } => Credentials::Instagram {
                    graph: Some(graph_endpoint.to_owned()),
                    user_id: user_id.clone(),
                    page_id: page_id.clone(),
                    token: token.clone(),
                    bucket: None,
                },
                Asset::WhatsApp { phone_number_id, business_account_id, token, .. } => Credentials::WhatsApp {
                    graph: Some(graph_endpoint.to_owned()),
                    phone_number_id: phone_number_id.clone(),
                    business_account_id: business_account_id.clone(),
                    token: token.clone(),
                },
            };
            match self.add(NewAccount { name: None, credentials, enabled, demo }).await {
                Ok(account) => linked.push(account),
                Err(e) => skipped.push(format!("{}: {e}", asset.describe())),
            }
        }
        Ok((linked, skipped))
    }

    fn free_name(&self, wanted: &str) -> Result<String> {
        let taken: Vec<String> = self.list()?.into_iter().map(|a| a.name).collect();
        let mut name = wanted.to_owned();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{wanted}-{n}");
            n += 1;
        }
        Ok(name)
    }

    pub fn list(&self) -> Result<Vec<Account>> {
        self.store.read(|tx| accounts::list(tx))
    }

    pub fn find(&self, reference: &str) -> Result<Account> {
        self.store.read(|tx| accounts::find(tx, reference))
    }

    pub fn set_enabled(&self, reference: &str, enabled: bool) -> Result<Account> {
        self.store.write(|tx| {
            let mut account = accounts::find(tx, reference)?;
            accounts::set_enabled(tx, account.id, enabled)?;
            account.enabled = enabled;
            Ok(account)
        })
    }

    /// The user's "try now" on an account a platform paused: the pause is lifted and what waits
    /// to retry on it is due at once. The platform may pause it again if it still asks to.
    pub fn try_now(&self, reference: &str) -> Result<Account> {
        let now = self.clock.now();
        self.store.write(|tx| {
            let account = accounts::find(tx, reference)?;
            accounts::clear_pause(tx, account.id)?;
            for id in deliveries::due_now_for_account(tx, account.id, now)? {
                crate::store::events::record(
                    tx,
                    id,
                    now,
                    crate::model::DeliveryState::RetryWait,
                    Some("trying now, as asked"),
                )?;
            }
            accounts::find(tx, &account.id.to_string())
        })
    }

    /// Unlinks an account: cancels what it still had to deliver, deletes its secret, keeps its
    /// history. Returns the account and how many deliveries were cancelled.
    pub async fn remove(&self, reference: &str) -> Result<(Account, usize)> {
        let now = self.clock.now();
        let (account, cancelled) = self.store.write(|tx| {
            let account = accounts::find(tx, reference)?;
            let cancelled = deliveries::cancel_for_account(tx, account.id, now)?;
            for id in &cancelled {
                crate::store::events::record(
                    tx,
                    *id,
                    now,
                    crate::model::DeliveryState::Cancelled,
                    Some("account removed"),
                )?;
            }
            accounts::mark_removed(tx, account.id, now)?;
            Ok((account, cancelled.len()))
        })?;
        let key = account.secret_key();
        let secrets = self.secrets.clone();
        blocking(move || secrets.delete(&key)).await?;
        if account.options.media_host.is_some() {
            let key = crate::model::media_host_secret_key(account.id);
            let secrets = self.secrets.clone();
            blocking(move || secrets.delete(&key)).await?;
        }
        Ok((account, cancelled))
    }

    /// Points the demo accounts at a sandbox that came back on `base_url` (a new port after a
    /// restart), keeping their history: their endpoints, and the secrets that are whole addresses
    /// (the team-chat webhooks). Returns how many were moved.
    pub async fn rebase_demo(&self, base_url: &str) -> Result<usize> {
        let base = url::Url::parse(base_url).map_err(|e| Error::invalid(format!("bad sandbox URL: {e}")))?;
        let moved = self.store.write(|tx| {
            let mut moved = Vec::new();
            for account in accounts::list(tx)?.into_iter().filter(|a| a.demo) {
                let Some(text) = rebased(&account.endpoint, &base) else { continue };
                if text != account.endpoint {
                    // A Matrix room's address names its server: `#room:127.0.0.1:PORT`.
                    let authority = |address: &str| {
                        url::Url::parse(address).ok().and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port()?)))
                    };
                    let remote = match (authority(&account.endpoint), authority(&text), account.remote_id.as_deref()) {
                        (Some(old), Some(new), Some(remote)) => Some(remote.replace(&old, &new)),
                        (_, _, remote) => remote.map(str::to_owned),
                    };
                    accounts::set_identity(tx, account.id, &text, remote.as_deref())?;
                    moved.push(account);
                }
            }
            Ok(moved)
        })?;
        for account in &moved {
            if matches!(account.network, NetworkKind::Slack | NetworkKind::Teams | NetworkKind::GoogleChat) {
                let address = self.secret_of(account).await?;
                if let Some(text) = rebased(address.expose(), &base) {
                    self.save_secret(&account.secret_key(), &Secret::new(text)).await?;
                }
            }
        }
        Ok(moved.len())
    }

    /// Checks the account's credentials with one API call and records its health. A refused
    /// credential marks it `needs_reconnect`; success clears that and puts back in the queue the
    /// deliveries that stopped for it.
    pub async fn verify(&self, reference: &str) -> Result<Account> {
        let account = self.find(reference)?;
        let secret = self.secret_of(&account).await?;
        let net = self.registry.get(account.network);
        let now = self.clock.now();
        match net.verify(&self.http, &account, &secret, now).await {
            Ok(verified) => {
                if let Some(better) = verified.secret.clone() {
                    let key = account.secret_key();
                    let secrets = self.secrets.clone();
                    blocking(move || secrets.set(&key, &better)).await?;
                }
                let scope = net.cache_scope(&account);
                // A token's expiry the platform does not repeat (a Threads login's) is kept.
                let mut facts = verified.cache.clone();
                if let (Some(old), Some(serde_json::Value::Object(map))) =
                    (self.cached_facts(&account)?.and_then(|f| f.get("token_expires_at").cloned()), facts.as_mut())
                {
                    map.entry("token_expires_at").or_insert(old);
                }
                let checked = self.store.write(|tx| {
                    accounts::set_health(tx, account.id, Health::Ok, None)?;
                    // The platform answered: whatever pause it once asked for, try now.
                    accounts::clear_pause(tx, account.id)?;
                    accounts::set_identity(tx, account.id, &account.endpoint, Some(&verified.remote_id))?;
                    if let (Some(scope), Some(value)) = (&scope, &facts) {
                        cache::put(tx, scope, value, now)?;
                    }
                    for id in deliveries::requeue_unauthorized(tx, account.id, now)? {
                        crate::store::events::record(
                            tx,
                            id,
                            now,
                            crate::model::DeliveryState::Queued,
                            Some("account reconnected"),
                        )?;
                    }
                    accounts::find(tx, &account.id.to_string())
                })?;
                self.keep_picture(account.id, verified.picture.clone(), now).await;
                Ok(checked)
            }
            Err(failure) if failure.kind == FailureKind::Unauthorized => {
                self.store
                    .write(|tx| accounts::set_health(tx, account.id, Health::NeedsReconnect, Some(&failure.message)))?;
                Err(Error::Network(format!("account '{}': {}", account.name, failure.message)))
            }
            Err(failure) => Err(Error::Network(format!(
                "account '{}' could not be checked right now: {} (its state is unchanged)",
                account.name, failure.message
            ))),
        }
    }

    pub async fn secret_of(&self, account: &Account) -> Result<Secret> {
        let key = secret_key(account.id);
        let secrets = self.secrets.clone();
        let name = account.name.clone();
        blocking(move || {
            secrets.get(&key)?.ok_or_else(|| {
                Error::Secrets(format!(
                    "the secret of account '{name}' is missing from {}; remove the account and link it again",
                    secrets.describe()
                ))
            })
        })
        .await
    }

    /// The cached facts (limits) of an account's network, if any.
    /// The web page where `reference`'s posts can be seen, where the network has one.
    /// The approved message templates of a WhatsApp account's business, read now.
    pub async fn whatsapp_templates(&self, reference: &str) -> Result<Vec<crate::networks::whatsapp::TemplateInfo>> {
        let account = self.find(reference)?;
        if account.network != NetworkKind::WhatsApp {
            return Err(Error::invalid(format!(
                "'{}' is not a WhatsApp account: only WhatsApp has templates",
                account.name
            )));
        }
        let secret = self.secret_of(&account).await?;
        crate::networks::whatsapp::templates(&self.http, &account, &secret)
            .await
            .map_err(|f| Error::Network(format!("could not read the templates of '{}': {}", account.name, f.message)))
    }

    /// How much of its 24-hour publishing quota an Instagram or Threads account has left, read
    /// now; `None` for networks without one.
    pub async fn publishing_quota(&self, reference: &str) -> Result<Option<crate::networks::containers::Quota>> {
        let account = self.find(reference)?;
        if !matches!(account.network, NetworkKind::Instagram | NetworkKind::Threads) {
            return Ok(None);
        }
        let secret = self.secret_of(&account).await?;
        crate::networks::containers::quota(&self.http, &account, &secret).await.map_err(|f| {
            Error::Network(format!("could not read the publishing quota of '{}': {}", account.name, f.message))
        })
    }

    pub fn page_url(&self, reference: &str) -> Result<Option<String>> {
        let account = self.find(reference)?;
        let facts = self.cached_facts(&account)?;
        Ok(self.registry.get(account.network).page_url(&account, facts.as_ref()))
    }

    /// Renews every sign-in that can be renewed before it ends: a Threads token within
    /// [`threads_login::RENEW_WITHIN_DAYS`](crate::threads_login::RENEW_WITHIN_DAYS) of its expiry
    /// is exchanged for one valid 60 more days, kept in the secret store, its new expiry shown on
    /// the account. One account's failure does not stop the others; each outcome is returned.
    pub async fn renew_sign_ins(&self) -> Result<Vec<Renewal>> {
        let now = self.clock.now();
        let now_secs = now.0 / 1000;
        let mut renewals = Vec::new();
        for account in self.list()?.into_iter().filter(|a| a.network == NetworkKind::Threads) {
            let mut facts = self.cached_facts(&account)?;
            let Some(expires_at) = facts.as_ref().and_then(|f| f.get("token_expires_at")).and_then(|v| v.as_i64())
            else {
                continue;
            };
            let left = expires_at - now_secs;
            if left <= 0 || left > crate::threads_login::RENEW_WITHIN_DAYS * 86_400 {
                continue;
            }
            let secret = self.secret_of(&account).await?;
            let outcome = match crate::threads_login::refresh(&self.http, &account.endpoint, &secret, now).await {
                Ok(renewed) => {
                    self.save_secret(&account.secret_key(), &renewed.token).await?;
                    let at = renewed.expires_at.unwrap_or(now_secs + 60 * 86_400);
                    if let (Some(scope), Some(serde_json::Value::Object(map))) =
                        (self.registry.get(account.network).cache_scope(&account), facts.as_mut())
                    {
                        map.insert("token_expires_at".into(), serde_json::json!(at));
                        let value = serde_json::Value::Object(map.clone());
                        self.store.write(|tx| cache::put(tx, &scope, &value, now))?;
                    }
                    Ok(at)
                }
                Err(e) => {
                    tracing::warn!(account = %account.id, error = %e, "a sign-in was not renewed");
                    Err(e.to_string())
                }
            };
            renewals.push(Renewal { account: account.name.clone(), outcome });
        }
        Ok(renewals)
    }

    /// How people know the account on its network (`@name`, a phone number), where it has such a
    /// name; never an internal id.
    pub fn handle(&self, account: &Account) -> Result<Option<String>> {
        let facts = self.cached_facts(account)?;
        Ok(self.registry.get(account.network).handle(account, facts.as_ref()))
    }

    pub fn cached_facts(&self, account: &Account) -> Result<Option<serde_json::Value>> {
        let Some(scope) = self.registry.get(account.network).cache_scope(account) else {
            return Ok(None);
        };
        Ok(self.store.read(|tx| cache::get(tx, &scope))?.map(|(v, _)| v))
    }
}

fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("an account name cannot be empty"));
    }
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::invalid("an account name is at most 64 printable characters"));
    }
    Ok(name.to_owned())
}

fn default_name(network: NetworkKind, verified: &crate::networks::Verified) -> String {
    let remote_id = verified.remote_id.as_str();
    match network {
        NetworkKind::Mastodon => remote_id.to_owned(),
        NetworkKind::Discord => {
            let tail: String = remote_id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            format!("discord-{tail}")
        }
        NetworkKind::Facebook => {
            let name: String = verified.display_name.chars().filter(|c| !c.is_control()).take(48).collect();
            if name.trim().is_empty() { format!("facebook-{remote_id}") } else { format!("Facebook: {}", name.trim()) }
        }
        NetworkKind::Instagram => format!("Instagram: {}", verified.display_name),
        NetworkKind::Threads => format!("Threads: {}", verified.display_name),
        NetworkKind::WhatsApp => format!("WhatsApp: {}", verified.display_name),
        NetworkKind::Matrix => format!("Matrix: {}", verified.display_name),
        NetworkKind::Telegram => format!("Telegram: {}", verified.display_name),
        NetworkKind::Slack | NetworkKind::Teams | NetworkKind::GoogleChat => verified.display_name.clone(),
        NetworkKind::Bluesky => format!("Bluesky: {}", verified.display_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalised_and_checked() {
        assert_eq!(mastodon_endpoint("mastodon.social").expect("bare host"), "https://mastodon.social");
        assert_eq!(mastodon_endpoint("https://example.org/").expect("slash"), "https://example.org");
        assert_eq!(mastodon_endpoint("http://127.0.0.1:8080").expect("loopback http"), "http://127.0.0.1:8080");
        assert!(mastodon_endpoint("http://example.org").is_err(), "plain http leaks the token");
        assert!(mastodon_endpoint("https://example.org/@me").is_err(), "a profile URL is not a server");
    }

    #[test]
    fn a_webhook_url_splits_into_endpoint_and_token_without_echoing_it() {
        let (endpoint, token) =
            discord_endpoint(&Secret::new("https://discord.com/api/webhooks/123456/sEcReT-tok")).expect("valid");
        assert_eq!(endpoint, "https://discord.com/api/webhooks/123456");
        assert_eq!(token.expose(), "sEcReT-tok");
        let err = discord_endpoint(&Secret::new("https://discord.com/api/hooks/sEcReT-tok")).expect_err("bad");
        assert!(!err.to_string().contains("sEcReT"), "an error must not repeat the secret URL: {err}");
    }
}
