//! Linked accounts: add (verified with one API call), list, enable/disable, remove (the secret
//! too), verify. New accounts start disabled unless the user says otherwise: sharing to an account
//! is opt-in. A refused credential marks the account `needs_reconnect`; a transient error never
//! does — a flaky network must not disconnect anyone.

use std::sync::Arc;

use url::Url;

use crate::clock::{Clock, Timestamp};
use crate::error::{Error, Result};
use crate::model::{Account, AccountId, FailureKind, Health, NetworkKind, secret_key};
use crate::networks::Registry;
pub use crate::networks::link::{BucketHost, Credentials};
use crate::secrets::{Secret, SecretStore};
use crate::store::{Store, accounts, cache, deliveries};

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

/// How a sign-in's account is kept: its name (the network's own when `None`), whether it is
/// shared to from the start, and whether it is a demo account.
#[derive(Debug, Clone, Default)]
pub struct LinkAs {
    pub name: Option<String>,
    pub enabled: bool,
    pub demo: bool,
}

impl LinkAs {
    pub fn account(self, credentials: Credentials) -> NewAccount {
        NewAccount { name: self.name, credentials, enabled: self.enabled, demo: self.demo }
    }
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

    /// The time by the accounts' clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// Links an account: checks the credentials with one API call, saves the secret in the secret
    /// store and the account (without the secret) in the database.
    pub async fn add(&self, new: NewAccount) -> Result<Account> {
        let network = new.credentials.network;
        let net = self.registry.get(network).clone();
        let linking = net.prepare_link(&self.http, &new.credentials.values, self.clock.now()).await?;
        let now = self.clock.now();
        let mut account = Account {
            id: AccountId::new(),
            network,
            name: String::new(),
            endpoint: linking.endpoint,
            remote_id: linking.remote_id,
            enabled: new.enabled,
            demo: new.demo,
            health: Health::Ok,
            health_detail: None,
            paused_until: None,
            created_at: now,
            options: linking.options,
        };
        let host_secret = linking.host_secret;
        if let Some(host) = &account.options.media_host {
            crate::networks::hosting::check(host, &self.http, host_secret.as_ref(), now)
                .await
                .map_err(|f| Error::Network(format!("the media host does not work: {}", f.message)))?;
        }
        let secret = linking.secret;
        let verified = net.verify(&self.http, &account, &secret, now).await.map_err(|f| {
            Error::Network(format!("could not link the {} account: {}", network.display_name(), f.message))
        })?;
        account.remote_id = Some(verified.remote_id.clone());
        account.name = match new.name {
            Some(name) => validate_name(&name)?,
            None => self.free_name(&net.default_name(&verified))?,
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
        if let Some(serde_json::Value::Object(map)) = facts.as_mut() {
            map.extend(linking.facts);
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
                Asset::FacebookPage { page_id, token, .. } => Credentials::new(NetworkKind::Facebook)
                    .text("graph", graph_endpoint)
                    .text("page_id", page_id.clone())
                    .secret("token", token.clone()),
                Asset::Instagram { user_id, page_id, token, .. } => Credentials::new(NetworkKind::Instagram)
                    .text("graph", graph_endpoint)
                    .text("user_id", user_id.clone())
                    .text("page_id", page_id.clone())
                    .secret("token", token.clone()),
                Asset::WhatsApp { phone_number_id, business_account_id, token, .. } => {
                    Credentials::new(NetworkKind::WhatsApp)
                        .text("graph", graph_endpoint)
                        .text("phone_number_id", phone_number_id.clone())
                        .text("business_account_id", business_account_id.clone())
                        .secret("token", token.clone())
                }
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
    /// The approved message templates of a messaging account's business (WhatsApp's), read now.
    pub async fn templates(&self, reference: &str) -> Result<Vec<crate::model::TemplateInfo>> {
        let account = self.find(reference)?;
        let network = self.registry.get(account.network);
        if !network.features().messaging {
            return Err(Error::invalid(format!(
                "'{}' is a {} account, which has no message templates (WhatsApp accounts have them)",
                account.name,
                account.network.display_name()
            )));
        }
        let secret = self.secret_of(&account).await?;
        network
            .templates(&self.http, &account, &secret)
            .await
            .map_err(|f| Error::Network(format!("could not read the templates of '{}': {}", account.name, f.message)))
    }

    /// How much of its 24-hour publishing quota an account has left, read now; `None` for
    /// networks without one.
    pub async fn publishing_quota(&self, reference: &str) -> Result<Option<crate::networks::containers::Quota>> {
        let account = self.find(reference)?;
        let network = self.registry.get(account.network);
        if !network.features().publishing_quota {
            return Ok(None);
        }
        let secret = self.secret_of(&account).await?;
        network.publishing_quota(&self.http, &account, &secret).await.map_err(|f| {
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
