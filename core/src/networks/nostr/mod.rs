//! Nostr: a signed kind-1 note, sent to every relay the user writes to. The account is a key — a
//! new one, an `nsec`, or a NIP-49 `ncryptsec` opened with its password — kept in the secret
//! store as an `nsec`; its endpoint is the relays the user named, where Fanout reads the user's
//! relay list (NIP-65, kind 10002), Blossom server list (BUD-03, kind 10063) and profile (kind 0).
//!
//! A delivery uploads each file to the Blossom server (`blossom`), then reads the write relays,
//! signs the note — the files' addresses in its text with a NIP-92 `imeta` tag each, hashtags as
//! `t` tags — and checkpoints the signed note and the relays before "publish starting". Each
//! relay's answer is checkpointed as it comes (`Progress`). A resend is the same signed event, so
//! it is idempotent by its id: a relay that has it answers "duplicate:". A note is published when
//! one relay took it; when none did, every relay's reason is given. A reconcile asks the relays
//! for the note's id.

mod blossom;
mod limits;
mod relay;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use nostr::prelude::{
    EncryptedSecretKey, Event, EventBuilder, Filter, FinalizeEvent, FromBech32, Keys, Kind, PublicKey, Tag,
    Timestamp as NostrTime, ToBech32,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::link::{Field, LinkValues, Linking};
use super::{Job, Look, Network, Picture, StepError, Verified};
use crate::clock::Timestamp;
use crate::error::Error;
use crate::model::{Account, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "Nostr";
/// The most relays a link names, and a note goes to.
const MAX_RELAYS: usize = 8;
/// How many times a note goes out with no relay confirming it before the user is asked. Each send
/// is the same signed note, so even a relay that kept every one has it once.
const MAX_SENDS: u32 = 3;

#[derive(Debug, Clone, Copy, Default)]
pub struct Nostr;

/// How far a delivery got, checkpointed after each step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Progress {
    /// The files uploaded so far, in order.
    #[serde(default)]
    files: Vec<Blob>,
    /// The signed note (NIP-01 JSON), fixed before any relay is asked: every send is this event.
    #[serde(default)]
    note: Option<String>,
    /// The relays it goes to, read when it was signed.
    #[serde(default)]
    relays: Vec<String>,
    /// Each relay's answer so far.
    #[serde(default)]
    answers: BTreeMap<String, Answer>,
    /// How many times the note was sent.
    #[serde(default)]
    sends: u32,
}

impl Progress {
    fn note(&self) -> Option<Event> {
        self.note.as_deref().and_then(|json| Event::from_json(json).ok()).filter(|e| e.verify().is_ok())
    }
}

/// A file on the Blossom server, as the note shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Blob {
    url: String,
    sha256: String,
    mime: String,
    size: u64,
    /// `WIDTHxHEIGHT`, for a picture.
    dim: Option<String>,
    alt: Option<String>,
}

/// What one relay made of the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "message", rename_all = "snake_case")]
enum Answer {
    /// `OK true` (a "duplicate:" too: it has the note).
    Accepted(String),
    /// `OK false` with its reason: it did not keep the note.
    Refused(String),
    /// No connection: the note was not sent there.
    Unreachable(String),
    /// Sent, and no answer came: it may have the note.
    Lost(String),
}

impl Answer {
    fn of(result: Result<relay::Ok, relay::Trouble>) -> Answer {
        match result {
            Ok(ok) if ok.accepted => Answer::Accepted(ok.message),
            Ok(ok) => {
                Answer::Refused(if ok.message.is_empty() { "refused, without a reason".into() } else { ok.message })
            }
            Err(relay::Trouble::Unreachable(why)) => Answer::Unreachable(why),
            Err(relay::Trouble::Lost(why)) => Answer::Lost(why),
        }
    }

    fn words(&self) -> &str {
        match self {
            Self::Accepted(m) | Self::Refused(m) | Self::Unreachable(m) | Self::Lost(m) => m,
        }
    }
}

/// A relay address as kept: `wss://`, or `ws://` only on this machine; an `https://` address
/// (a relay's web page) means its `wss://`.
fn relay_address(input: &str) -> crate::error::Result<String> {
    let input = input.trim().trim_end_matches('/');
    let with_scheme = if input.contains("://") { input.to_owned() } else { format!("wss://{input}") };
    let mut url =
        url::Url::parse(&with_scheme).map_err(|_| Error::invalid(format!("'{input}' is not a relay's address")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let scheme = match url.scheme() {
        "wss" | "https" => "wss",
        "ws" | "http" if loopback => "ws",
        "ws" | "http" => {
            return Err(Error::invalid(format!(
                "the relay {input} must use wss:// (plain ws:// is only accepted for this machine's own test relays)"
            )));
        }
        other => return Err(Error::invalid(format!("the relay {input} must be a wss:// address, not {other}://"))),
    };
    if url.host_str().is_none() || url.set_scheme(scheme).is_err() {
        return Err(Error::invalid(format!("'{input}' is not a relay's address")));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The relays in a link's text (space- or comma-separated), checked, without repeats.
fn relay_addresses(text: &str) -> crate::error::Result<Vec<String>> {
    let mut relays: Vec<String> = Vec::new();
    for part in text.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()) {
        let relay = relay_address(part)?;
        if !relays.contains(&relay) {
            relays.push(relay);
        }
    }
    match relays.len() {
        0 => Err(Error::invalid("name at least one relay, like wss://relay.damus.io")),
        n if n > MAX_RELAYS => Err(Error::invalid(format!("name at most {MAX_RELAYS} relays (you named {n})"))),
        _ => Ok(relays),
    }
}

/// The relays the account was linked with.
fn home_relays(account: &Account) -> Vec<String> {
    account.endpoint.split_whitespace().filter_map(|r| relay_address(r).ok()).collect()
}

fn keys(secret: &Secret) -> Result<Keys, Failure> {
    Keys::parse(secret.expose()).map_err(|_| {
        Failure::new(
            FailureKind::Unauthorized,
            format!("{NAME}: the account's key cannot be read; link the account again"),
        )
    })
}

/// A relay's host, for messages.
fn host(relay: &str) -> String {
    url::Url::parse(relay).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| relay.to_owned())
}

/// Every relay's answer, for a message: "relay.damus.io: blocked: …; nos.lol: no answer".
fn answers_words(answers: &BTreeMap<String, Answer>) -> String {
    answers.iter().map(|(relay, answer)| format!("{}: {}", host(relay), answer.words())).collect::<Vec<_>>().join("; ")
}

/// What the user keeps on their relays: where they write, their media servers, their profile.
#[derive(Debug, Default)]
struct Lists {
    write: Vec<String>,
    servers: Vec<String>,
    name: Option<String>,
    picture: Option<String>,
    /// How many relays answered, and why the others did not.
    answered: usize,
    trouble: Vec<String>,
}

/// Reads the newest relay list, server list and profile of `author` from `relays`, all at once.
async fn read_lists(relays: &[String], author: PublicKey) -> Lists {
    let filter = Filter::new().author(author).kinds([Kind::Metadata, Kind::RelayList, Kind::BlossomServerList]);
    let asks = relays.iter().map(|relay| {
        let filter = filter.clone();
        async move {
            let mut connection = relay::Relay::connect(relay).await?;
            let events = connection.fetch(filter).await;
            connection.close().await;
            events
        }
    });
    let mut lists = Lists::default();
    let mut newest: BTreeMap<u16, Event> = BTreeMap::new();
    for (relay, answer) in relays.iter().zip(futures::future::join_all(asks).await) {
        match answer {
            Ok(events) => {
                lists.answered += 1;
                for event in events.into_iter().filter(|e| e.pubkey == author) {
                    let kind = event.kind.as_u16();
                    if newest.get(&kind).is_none_or(|had| had.created_at < event.created_at) {
                        newest.insert(kind, event);
                    }
                }
            }
            Err(trouble) => lists.trouble.push(format!("{}: {}", host(relay), trouble.describe())),
        }
    }
    let tags = |kind: Kind, name: &str| -> Vec<Vec<String>> {
        newest.get(&kind.as_u16()).map_or_else(Vec::new, |event| {
            event.tags.iter().map(|t| t.as_slice().to_vec()).filter(|t| t.first().is_some_and(|n| n == name)).collect()
        })
    };
    for tag in tags(Kind::RelayList, "r") {
        // ["r", url] is read and written; ["r", url, "write"] written only; "read" not written.
        if tag.get(2).is_none_or(|marker| marker == "write")
            && let Some(relay) = tag.get(1).and_then(|r| relay_address(r).ok())
            && !lists.write.contains(&relay)
            && lists.write.len() < MAX_RELAYS
        {
            lists.write.push(relay);
        }
    }
    for tag in tags(Kind::BlossomServerList, "server") {
        if let Some(server) = tag.get(1).and_then(|s| super::link::base("the media server", s).ok()) {
            lists.servers.push(server);
        }
    }
    if let Some(profile) = newest.get(&Kind::Metadata.as_u16()) {
        let about: Value = serde_json::from_str(&profile.content).unwrap_or(Value::Null);
        let text = |key: &str| about.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        lists.name = text("display_name").or_else(|| text("name")).map(|n| super::excerpt(n, 80));
        lists.picture = text("picture").map(str::to_owned);
    }
    lists
}

/// The hashtags of a text, without `#`, each once.
fn hashtags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(tag) = word.strip_prefix('#') else { continue };
        let tag: String = tag.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let tag = tag.to_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// The note: the text with each file's address after it, a NIP-92 `imeta` tag per file and a
/// `t` tag per hashtag, signed at `now`.
fn note(keys: &Keys, text: &str, files: &[Blob], now: u64) -> Result<Event, Failure> {
    let mut content = text.trim().to_owned();
    for file in files {
        if !content.is_empty() {
            content.push('\n');
        }
        content.push_str(&file.url);
    }
    let mut builder = EventBuilder::new(Kind::TextNote, content).custom_created_at(NostrTime::from(now));
    for tag in hashtags(text) {
        builder = builder.tag(Tag::hashtag(tag));
    }
    for file in files {
        let mut imeta = vec![
            "imeta".to_owned(),
            format!("url {}", file.url),
            format!("m {}", file.mime),
            format!("x {}", file.sha256),
            format!("size {}", file.size),
        ];
        imeta.extend(file.dim.as_ref().map(|d| format!("dim {d}")));
        imeta.extend(file.alt.as_ref().map(|a| format!("alt {}", a.replace('\n', " "))));
        builder = builder.tag(Tag::parse(imeta).map_err(|e| Failure::rejected(format!("{NAME}: {e}")))?);
    }
    builder.finalize(keys).map_err(|e| Failure::rejected(format!("{NAME}: the note could not be signed: {e}")))
}

/// A time in whole seconds, as Nostr keeps it.
fn seconds(at: Timestamp) -> u64 {
    u64::try_from(at.millis() / 1000).unwrap_or_default()
}

/// A picture's size, where it can be read from its header.
fn dimensions(file: &super::UploadFile) -> Option<String> {
    if !file.mime.starts_with("image/") {
        return None;
    }
    image::image_dimensions(&file.path).ok().map(|(w, h)| format!("{w}x{h}"))
}

/// Where a published note can be read: njump shows any note by id; none for this machine's relays.
fn note_url(relays: &[String], id: &str) -> Option<String> {
    relays.iter().any(|r| !r.starts_with("ws://")).then(|| format!("https://njump.me/{id}"))
}

fn published(event: &Event, relays: &[String]) -> Published {
    let id = event.id.to_bech32().unwrap_or_else(|_| event.id.to_hex());
    Published { url: note_url(relays, &id), remote_id: id }
}

impl Nostr {
    /// Where files go: the server the user named, else the first of their server list.
    async fn media_server(&self, job: &Job<'_>, author: PublicKey) -> Result<String, Failure> {
        if let Some(server) = super::fact(job.facts, "media_server") {
            return Ok(server);
        }
        let lists = read_lists(&home_relays(job.account), author).await;
        let cached = job.facts.and_then(|f| f.get("servers")).and_then(Value::as_array).and_then(|s| s.first());
        lists.servers.first().cloned().or_else(|| cached.and_then(Value::as_str).map(str::to_owned)).ok_or_else(|| {
            Failure::rejected(format!(
                "{NAME}: the account has no media server for photos and videos: link it again with a Blossom server, or publish a server list (kind 10063)"
            ))
        })
    }

    async fn send(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let keys = keys(job.secret)?;
        let mut progress = job.steps_done::<Progress>();
        if progress.note().is_none() {
            let total = job.media.len();
            if progress.files.len() < total {
                let server = self.media_server(job, keys.public_key()).await?;
                for (n, file) in job.media.iter().enumerate().skip(progress.files.len()) {
                    job.progress(crate::outbox::Step::Upload { n: n + 1, total });
                    let stored = blossom::upload(job.http, &server, &keys, file, seconds(job.now())).await?;
                    progress.files.push(Blob {
                        mime: stored.mime.filter(|m| !m.is_empty()).unwrap_or_else(|| file.mime.clone()),
                        url: stored.url,
                        sha256: stored.sha256,
                        size: stored.size,
                        dim: dimensions(file),
                        alt: file.description.clone(),
                    });
                    job.save_steps(&progress)?;
                }
            }
            let text = job.post.text_for(job.account.id).to_owned();
            if text.trim().is_empty() && progress.files.is_empty() {
                return Err(Failure::rejected("there is nothing to send: the post has no text and no files").into());
            }
            let home = home_relays(job.account);
            let lists = read_lists(&home, keys.public_key()).await;
            let cached: Vec<String> = job
                .facts
                .and_then(|f| f.get("write_relays"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            progress.relays = [lists.write, cached, home].into_iter().find(|r| !r.is_empty()).unwrap_or_default();
            let signed = note(&keys, &text, &progress.files, seconds(job.now()))?;
            progress.note = Some(signed.as_json());
            progress.answers.clear();
            job.save_steps(&progress)?;
        }
        let Some(signed) = progress.note() else {
            return Err(Failure::transient(format!("{NAME}: the signed note could not be read back")).into());
        };
        job.publish_starting().await?;
        progress.sends += 1;
        job.save_steps(&progress)?;
        let relays = progress.relays.clone();
        let waiting: Vec<String> =
            relays.iter().filter(|r| !matches!(progress.answers.get(*r), Some(Answer::Accepted(_)))).cloned().collect();
        for relay in &waiting {
            let result = match relay::Relay::connect(relay).await {
                Ok(mut connection) => {
                    job.moment(super::Moment::InFlight).await;
                    let answer = connection.publish(&signed).await;
                    connection.close().await;
                    answer
                }
                Err(trouble) => Err(trouble),
            };
            progress.answers.insert(relay.clone(), Answer::of(result));
            job.save_steps(&progress)?;
        }
        job.moment(super::Moment::AfterResponse).await;
        let answers = &progress.answers;
        if answers.values().any(|a| matches!(a, Answer::Accepted(_))) {
            for (relay, answer) in answers.iter().filter(|(_, a)| !matches!(a, Answer::Accepted(_))) {
                tracing::info!(relay = %host(relay), answer = answer.words(), "a relay did not take the note");
            }
            return Ok(published(&signed, &relays));
        }
        let words = answers_words(answers);
        let lost = answers.values().any(|a| matches!(a, Answer::Lost(_)));
        let failure = if lost && progress.sends >= MAX_SENDS {
            Failure::rejected(format!(
                "{NAME}: no relay confirmed the note after {} sends ({words}); it is the same signed note each time, so sending it again cannot post it twice",
                progress.sends
            ))
        } else if lost {
            Failure::new(
                FailureKind::OutcomeUnknown,
                format!("{NAME}: no relay confirmed the note ({words}) — a relay may have it"),
            )
        } else if answers.values().any(|a| matches!(a, Answer::Refused(m) if m.starts_with("rate-limited:"))) {
            Failure::new(FailureKind::RateLimited, format!("{NAME}: the relays ask to slow down ({words})"))
                .with_retry_after(Some(Duration::from_secs(60)))
        } else if answers.values().all(|a| matches!(a, Answer::Unreachable(_))) {
            Failure::transient(format!("{NAME}: no relay could be reached ({words})"))
        } else {
            Failure::rejected(format!("{NAME}: no relay took the note ({words})"))
        };
        Err(failure.into())
    }

    /// Asks each relay the note went to whether it has it.
    async fn find(&self, job: &Job<'_>) -> Result<Reconciled, StepError> {
        let progress = job.steps_done::<Progress>();
        let Some(signed) = progress.note() else {
            // Never signed, so never sent.
            return Ok(Reconciled::NotPublished);
        };
        let asks = progress.relays.iter().map(|relay| {
            let filter = Filter::new().id(signed.id).limit(1);
            async move {
                let mut connection = relay::Relay::connect(relay).await?;
                let found = connection.fetch(filter).await;
                connection.close().await;
                found
            }
        });
        let mut unsure = Vec::new();
        for (relay, found) in progress.relays.iter().zip(futures::future::join_all(asks).await) {
            match found {
                Ok(events) if events.iter().any(|e| e.id == signed.id) => {
                    let Published { remote_id, url } = published(&signed, &progress.relays);
                    return Ok(Reconciled::Published { remote_id, url });
                }
                Ok(_) => {}
                Err(trouble) => unsure.push(format!("{}: {}", host(relay), trouble.describe())),
            }
        }
        if unsure.is_empty() {
            return Ok(Reconciled::NotPublished);
        }
        Err(Failure::transient(format!(
            "{NAME}: the relays could not all be asked for the note ({}); asking again later",
            unsure.join("; ")
        ))
        .into())
    }
}

/// The key a link gives: a new one, an `nsec` (or hex), or an `ncryptsec` opened with its password.
async fn key_of(values: &LinkValues) -> crate::error::Result<Keys> {
    let Some(key) = values.secret("key") else {
        return Ok(Keys::generate());
    };
    let key = key.expose().to_owned();
    if key.starts_with("ncryptsec1") {
        let Some(password) = values.secret("password") else {
            return Err(Error::invalid("the ncryptsec key needs its password: give it too"));
        };
        let encrypted = EncryptedSecretKey::from_bech32(&key)
            .map_err(|_| Error::invalid("that ncryptsec key is damaged: copy it again from where you keep it"))?;
        let password = password.expose().to_owned();
        // scrypt takes a moment and much memory: off the async threads.
        let opened = tokio::task::spawn_blocking(move || encrypted.decrypt(&password))
            .await
            .map_err(|e| Error::invalid(format!("the ncryptsec key could not be opened: {e}")))?;
        return opened.map(Keys::new).map_err(|_| {
            Error::invalid(
                "the password does not open this ncryptsec key (or its cost is over 2^18): check the password",
            )
        });
    }
    if key.starts_with("npub1") {
        return Err(Error::invalid(
            "that is your public key (npub): give the private key, nsec1…, or leave it empty for a new one",
        ));
    }
    Keys::parse(&key).map_err(|_| {
        Error::invalid(
            "that is not a Nostr private key: give an nsec1… or ncryptsec1… key, or leave it empty for a new one",
        )
    })
}

impl Network for Nostr {
    fn kind(&self) -> NetworkKind {
        NetworkKind::Nostr
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Nostr]
    }

    fn look(&self) -> Look {
        Look {
            color: "#7b3fe4",
            logo: None,
            logo_color: "#8E30EB",
            accent: Some("#7b3fe4"),
            link_length: None,
            ..Look::FEED
        }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("nostr:{}", account.remote_id.as_deref().unwrap_or_default()))
    }

    fn link_about(&self) -> &'static str {
        "A Nostr key (new, nsec or ncryptsec) and the relays you write to; photos go to a Blossom server"
    }

    fn link_fields(&self) -> &'static [Field] {
        const FIELDS: &[Field] = &[
            Field::text("relays", "your relays, separated by spaces").example("wss://relay.damus.io wss://nos.lol"),
            Field::secret("key", "private key (nsec1… or ncryptsec1…; none makes a new one)").optional(),
            Field::secret("password", "ncryptsec key's password").optional(),
            Field::address("media", "a Blossom server for photos and videos")
                .optional()
                .example("https://blossom.band"),
        ];
        FIELDS
    }

    fn prepare_link<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        values: &'a LinkValues,
        _now: Timestamp,
    ) -> BoxFuture<'a, crate::error::Result<Linking>> {
        async move {
            let relays = relay_addresses(values.given("relays"))?;
            let keys = key_of(values).await?;
            let nsec = keys.secret_key().to_bech32().map_err(|e| Error::invalid(format!("the key: {e}")))?;
            let npub = keys.public_key().to_bech32().map_err(|e| Error::invalid(format!("the key: {e}")))?;
            let mut linking = Linking::new(relays.join(" "), Secret::new(nsec)).remote(npub);
            if let Some(media) = values.text("media") {
                linking.facts.insert("media_server".into(), json!(super::link::base("the media server", media)?));
            }
            Ok(linking)
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("Nostr: {}", verified.display_name)
    }

    fn handle(&self, account: &Account, facts: Option<&Value>) -> Option<String> {
        let npub = account.remote_id.as_deref()?;
        let short = format!("{}…{}", &npub[..npub.len().min(12)], &npub[npub.len().saturating_sub(6)..]);
        super::fact(facts, "name").map(|name| format!("{name} · {short}")).or(Some(short))
    }

    fn page_url(&self, account: &Account, _facts: Option<&Value>) -> Option<String> {
        let npub = account.remote_id.as_deref()?;
        note_url(&home_relays(account), npub)
    }

    fn pacing(&self) -> Duration {
        // Relays limit how fast one key writes; a few seconds apart is well within all seen.
        Duration::from_secs(2)
    }

    fn verify<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        _now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let keys = keys(secret)?;
            let relays = home_relays(account);
            let lists = read_lists(&relays, keys.public_key()).await;
            if lists.answered == 0 {
                return Err(Failure::transient(format!(
                    "{NAME}: none of the relays could be reached ({})",
                    lists.trouble.join("; ")
                )));
            }
            let npub = keys.public_key().to_bech32().map_err(|e| Failure::rejected(format!("{NAME}: {e}")))?;
            let short = format!("{}…", &npub[..npub.len().min(16)]);
            let facts = json!({
                "name": lists.name,
                "write_relays": lists.write,
                "servers": lists.servers,
            });
            Ok(Verified {
                remote_id: npub,
                display_name: lists.name.clone().unwrap_or(short),
                cache: Some(facts),
                secret: None,
                picture: Picture::address(lists.picture),
            })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.send(job).boxed()
    }

    fn reconcile<'a, 'j: 'a>(
        &'a self,
        job: &'a mut Job<'j>,
        _started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        self.find(job).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_addresses_are_wss_and_checked() {
        assert_eq!(
            relay_addresses("relay.damus.io, wss://nos.lol/").expect("two"),
            ["wss://relay.damus.io", "wss://nos.lol"]
        );
        assert_eq!(relay_addresses("https://nos.lol nos.lol").expect("one"), ["wss://nos.lol"]);
        assert_eq!(
            relay_addresses("ws://127.0.0.1:7000/nostr/demo").expect("loopback"),
            ["ws://127.0.0.1:7000/nostr/demo"]
        );
        assert_eq!(
            relay_addresses("http://127.0.0.1:7000/nostr/demo").expect("rebased"),
            ["ws://127.0.0.1:7000/nostr/demo"]
        );
        assert!(relay_addresses("ws://relay.example.org").is_err(), "plain ws leaves the machine");
        assert!(relay_addresses("  ").is_err());
        assert_eq!(relay_addresses("wss://r.example.org/x").expect("a path"), ["wss://r.example.org/x"]);
        let nine: String = (0..9).map(|i| format!("wss://r{i}.example.org ")).collect();
        assert!(relay_addresses(&nine).is_err());
    }

    #[test]
    fn a_note_carries_its_files_hashtags_and_a_valid_signature() {
        let keys = Keys::generate();
        let file = Blob {
            url: "https://blossom.example/ab.jpg".into(),
            sha256: "ab".repeat(32),
            mime: "image/jpeg".into(),
            size: 1234,
            dim: Some("800x600".into()),
            alt: Some("A loaf".into()),
        };
        let event = note(&keys, "Fresh bread #Bakery #bakery, #rye!", std::slice::from_ref(&file), 1_700_000_000)
            .expect("signed");
        assert!(event.verify().is_ok());
        assert_eq!(event.content, "Fresh bread #Bakery #bakery, #rye!\nhttps://blossom.example/ab.jpg");
        let tags: Vec<Vec<String>> = event.tags.iter().map(|t| t.as_slice().to_vec()).collect();
        assert!(tags.contains(&vec!["t".into(), "bakery".into()]));
        assert!(tags.contains(&vec!["t".into(), "rye".into()]));
        assert_eq!(tags.iter().filter(|t| t[0] == "t").count(), 2, "each hashtag once");
        let imeta = tags.iter().find(|t| t[0] == "imeta").expect("imeta");
        assert!(imeta.contains(&format!("url {}", file.url)) && imeta.contains(&"dim 800x600".to_owned()));
        assert_eq!(event.created_at.as_secs(), 1_700_000_000);
    }

    #[test]
    fn progress_round_trips_through_its_checkpoint() {
        let mut progress = Progress { relays: vec!["wss://a.example".into()], ..Progress::default() };
        progress.answers.insert("wss://a.example".into(), Answer::Refused("blocked: no".into()));
        let value = serde_json::to_value(&progress).expect("json");
        assert_eq!(value["answers"]["wss://a.example"], json!({ "outcome": "refused", "message": "blocked: no" }));
        assert_eq!(serde_json::from_value::<Progress>(value).expect("back"), progress);
    }
}
