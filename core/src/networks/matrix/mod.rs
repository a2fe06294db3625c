//! Matrix: text and files to one room of a homeserver, as the linked user. The account's endpoint
//! is the homeserver's base URL, its remote id the room's id, its secret the user's access token.
//!
//! Files are uploaded first (`POST /_matrix/media/v3/upload`, each `mxc://` address checkpointed),
//! then each message is sent with `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}`
//! — the text, then one event per file (`m.image`, `m.video`, `m.file`). The transaction id is the
//! delivery's id and the message's place in it, and the homeserver answers a repeated transaction
//! with the event it already made: a resend after a lost answer cannot post twice, so a publish
//! whose outcome is unknown is simply sent again with the same transaction id.

mod limits;

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Job, Look, Network, StepError, Verified, transport_failure};
use crate::clock::Timestamp;
use crate::http;
use crate::model::{Account, Failure, FailureKind, NetworkKind, Published, Reconciled};
use crate::profiles::Target;
use crate::secrets::Secret;

const NAME: &str = "Matrix";

#[derive(Debug, Clone, Copy)]
pub struct Matrix;

/// A path segment, percent-encoded (room ids and aliases carry `!`, `#` and `:`).
fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

fn url(account_base: &str, path: &str) -> String {
    format!("{}/{}", account_base.trim_end_matches('/'), path.trim_start_matches('/'))
}

fn room_id(account: &Account) -> Result<&str, Failure> {
    account
        .remote_id
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Failure::rejected("the account has no room; link it again"))
}

/// Sorts a homeserver's error answer (`{"errcode", "error", "retry_after_ms"}`).
fn classify(
    step: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Failure {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (errcode, what) = super::json_error(body, "errcode", "error");
    let errcode = errcode.as_str();
    match (status.as_u16(), errcode) {
        (_, "M_UNKNOWN_TOKEN" | "M_MISSING_TOKEN") | (401, _) => Failure::new(
            FailureKind::Unauthorized,
            format!("{NAME}: the homeserver no longer accepts the sign-in ({what}); link the account again"),
        ),
        (_, "M_LIMIT_EXCEEDED") | (429, _) => {
            let hint = value.get("retry_after_ms").and_then(Value::as_u64).map(Duration::from_millis);
            Failure::new(FailureKind::RateLimited, format!("{step}: the homeserver asks to slow down ({what})"))
                .with_retry_after(hint.or_else(|| http::retry_after(headers, now)))
        }
        (_, "M_FORBIDDEN") | (403, _) => Failure::rejected(format!(
            "{step}: the homeserver does not let this user post in the room ({what}); invite the user or give it permission to send messages"
        )),
        (_, "M_TOO_LARGE") | (413, _) => {
            Failure::rejected(format!("{step}: a file is larger than the homeserver takes ({what})"))
        }
        (500..=599, _) => {
            Failure::transient(format!("{step}: the homeserver answered HTTP {}: {what}", status.as_u16()))
                .with_retry_after(http::retry_after(headers, now))
        }
        _ => Failure::rejected(format!("{step}: the homeserver refused it: {what}")),
    }
}

/// Sends one request and reads its JSON answer. Every request here is safe to repeat (an upload
/// makes at most an unused file; a message carries its transaction id), so transport errors are
/// transient.
async fn call(request: reqwest::RequestBuilder, step: &str, now: Timestamp) -> Result<Value, Failure> {
    super::call_json(request, step, "the homeserver", |status, headers, body| {
        classify(step, status, headers, body, now)
    })
    .await
}

/// Logs in with a user name and password (`m.login.password`); returns the access token.
pub async fn log_in(
    http: &reqwest::Client,
    homeserver: &str,
    user: &str,
    password: &Secret,
    now: Timestamp,
) -> Result<Secret, Failure> {
    let body = json!({
        "type": "m.login.password",
        "identifier": { "type": "m.id.user", "user": user.trim() },
        "password": password.expose(),
        "initial_device_display_name": "Fanout",
    });
    let request = http.post(url(homeserver, "_matrix/client/v3/login")).json(&body);
    // Refused here means the user name or password, not a room's permissions.
    let answer = super::call_json(request, "logging in", "the homeserver", |status, headers, body| {
        let (errcode, what) = super::json_error(body, "errcode", "error");
        if matches!(errcode.as_str(), "M_FORBIDDEN" | "M_USER_DEACTIVATED") || status == StatusCode::FORBIDDEN {
            Failure::rejected(format!(
                "logging in: the homeserver refused the user name or password ({what}); check them and try again"
            ))
        } else {
            classify("logging in", status, headers, body, now)
        }
    })
    .await?;
    answer
        .get("access_token")
        .and_then(Value::as_str)
        .map(Secret::new)
        .ok_or_else(|| Failure::transient("logging in: the homeserver gave back no access token"))
}

fn msgtype(mime: &str) -> &'static str {
    if mime.starts_with("image/") {
        "m.image"
    } else if mime.starts_with("video/") {
        "m.video"
    } else {
        "m.file"
    }
}

/// How far a delivery got: each file's `mxc://` address and each message's event id, by index
/// (JSON `{"uploads": […], "events": […]}`, as earlier versions kept it).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    #[serde(default)]
    uploads: Vec<Option<String>>,
    #[serde(default)]
    events: Vec<Option<String>>,
}

impl Matrix {
    async fn upload(&self, job: &mut Job<'_>, index: usize) -> Result<String, StepError> {
        let mut progress: Progress = job.steps_done();
        if let Some(mxc) = super::step_done(&progress.uploads, index) {
            return Ok(mxc.clone());
        }
        super::containers::stopping(job)?;
        let media = job.media[index].clone();
        job.progress(crate::outbox::Step::Upload { n: index + 1, total: job.media.len() });
        let bytes = tokio::fs::read(&media.path).await.map_err(|e| {
            Failure::rejected(format!("media file {} cannot be read from the data folder: {e}", media.file_name))
        })?;
        let name: String = url::form_urlencoded::byte_serialize(media.file_name.as_bytes()).collect();
        let request = job
            .http
            .post(url(&job.account.endpoint, &format!("_matrix/media/v3/upload?filename={name}")))
            .bearer_auth(job.secret.expose())
            .header(reqwest::header::CONTENT_TYPE, media.mime.clone())
            .body(bytes);
        let step = format!("uploading {}", media.file_name);
        let answer = call(request, &step, job.now()).await?;
        let mxc = answer
            .get("content_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::transient(format!("{step}: the homeserver gave back no content address")))?
            .to_owned();
        super::set_step(&mut progress.uploads, index, mxc.clone());
        job.save_steps(&progress)?;
        Ok(mxc)
    }

    async fn send(&self, job: &mut Job<'_>) -> Result<Published, StepError> {
        let text = job.post.text_for(job.account.id).trim().to_owned();
        let room = room_id(job.account)?.to_owned();
        let mut contents = Vec::new();
        if !text.is_empty() {
            contents.push(json!({ "msgtype": "m.text", "body": text }));
        }
        for index in 0..job.media.len() {
            let mxc = self.upload(job, index).await?;
            let media = &job.media[index];
            let size = tokio::fs::metadata(&media.path).await.map(|m| m.len()).unwrap_or(0);
            contents.push(json!({
                "msgtype": msgtype(&media.mime),
                "body": media.description.clone().unwrap_or_else(|| media.file_name.clone()),
                "filename": media.file_name,
                "url": mxc,
                "info": { "mimetype": media.mime, "size": size },
            }));
        }
        if contents.is_empty() {
            return Err(Failure::rejected("there is nothing to send: the post has no text and no files").into());
        }
        let mut last = String::new();
        for (index, content) in contents.iter().enumerate() {
            let mut progress: Progress = job.steps_done();
            if let Some(id) = super::step_done(&progress.events, index) {
                last = id.clone();
                continue;
            }
            let txn = format!("fanout-{}-{index}", job.delivery.id);
            let path = format!("_matrix/client/v3/rooms/{}/send/m.room.message/{}", segment(&room), segment(&txn));
            job.publish_starting().await?;
            let request =
                job.http.put(url(&job.account.endpoint, &path)).bearer_auth(job.secret.expose()).json(content);
            let step = if contents.len() > 1 {
                format!("sending message {} of {}", index + 1, contents.len())
            } else {
                "sending the message".to_owned()
            };
            let response = job.send_publish(request).await.map_err(|e| transport_failure(&step, &e))?;
            let answer = job.read_publish(response).await;
            let body = answer.body.map_err(|e| transport_failure(&step, &e))?;
            if !answer.status.is_success() {
                return Err(classify(&step, answer.status, &answer.headers, &body, job.now()).into());
            }
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let id = value
                .get("event_id")
                .and_then(Value::as_str)
                .ok_or_else(|| Failure::transient(format!("{step}: the homeserver gave back no event id")))?
                .to_owned();
            super::set_step(&mut progress.events, index, id.clone());
            job.save_steps(&progress)?;
            last = id;
        }
        let url = self.page_url(job.account, job.facts).map(|room_url| format!("{room_url}/{last}"));
        Ok(Published { remote_id: last, url })
    }
}

impl Network for Matrix {
    fn link_about(&self) -> &'static str {
        "A Matrix room, as a user of its homeserver: an access token, or a user and its password (used once; only a token is kept)"
    }

    fn link_fields(&self) -> &'static [super::link::Field] {
        const FIELDS: &[super::link::Field] = &[
            super::link::Field::address("homeserver", "the homeserver's address").example("https://matrix.org"),
            super::link::Field::text("room", "the room's id or address").example("#news:example.org"),
            super::link::Field::text("user", "the user, to log in with a password")
                .way("password")
                .example("@me:example.org"),
            super::link::Field::secret("password", "password").way("password"),
            super::link::Field::secret("token", "access token").way("token"),
        ];
        FIELDS
    }

    fn prepare_link<'a>(
        &'a self,
        http: &'a reqwest::Client,
        values: &'a super::link::LinkValues,
        now: Timestamp,
    ) -> BoxFuture<'a, crate::error::Result<super::link::Linking>> {
        async move {
            let base = super::link::base("the homeserver's address", values.given("homeserver"))?;
            let room = values.given("room");
            // Room ids of room version 12 carry no server name; addresses always do.
            let valid = (room.starts_with('!') && room.len() > 1) || (room.starts_with('#') && room.contains(':'));
            if !valid {
                return Err(crate::error::Error::invalid(format!(
                    "'{room}' is not a Matrix room: give its id (!abc:example.org) or its address (#room:example.org)"
                )));
            }
            let token = match (values.text("user"), values.secret("password")) {
                (Some(user), Some(password)) => log_in(http, &base, user, &password, now)
                    .await
                    .map_err(|f| crate::error::Error::Network(format!("could not log in to {base}: {}", f.message)))?,
                _ => values.access_token()?,
            };
            Ok(super::link::Linking::new(base, token).remote(room))
        }
        .boxed()
    }

    fn default_name(&self, verified: &Verified) -> String {
        format!("Matrix: {}", verified.display_name)
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Matrix
    }

    fn targets(&self) -> &'static [Target] {
        &[Target::Matrix]
    }

    fn look(&self) -> Look {
        // Its logo from Simple Icons (CC0), shown only to name the network an account is on.
        const LOGO: &str = "M.632.55v22.9H2.28V24H0V0h2.28v.55zm7.043 7.26v1.157h.033c.309-.443.683-.784 1.117-1.024.433-.245.936-.365 1.5-.365.54 0 1.033.107 1.481.314.448.208.785.582 1.02 1.108.254-.374.6-.706 1.034-.992.434-.287.95-.43 1.546-.43.453 0 .872.056 1.26.167.388.11.716.286.993.53.276.245.489.559.646.951.152.392.23.863.23 1.417v5.728h-2.349V11.52c0-.286-.01-.559-.032-.812a1.755 1.755 0 0 0-.18-.66 1.106 1.106 0 0 0-.438-.448c-.194-.11-.457-.166-.785-.166-.332 0-.6.064-.803.189a1.38 1.38 0 0 0-.48.499 1.946 1.946 0 0 0-.231.696 5.56 5.56 0 0 0-.06.785v4.768h-2.35v-4.8c0-.254-.004-.503-.018-.752a2.074 2.074 0 0 0-.143-.688 1.052 1.052 0 0 0-.415-.503c-.194-.125-.476-.19-.854-.19-.111 0-.259.024-.439.074-.18.051-.36.143-.53.282-.171.138-.319.337-.439.595-.12.259-.18.6-.18 1.02v4.966H5.46V7.81zm15.693 15.64V.55H21.72V0H24v24h-2.28v-.55z";
        Look { color: "#0dbd8b", logo: Some(LOGO), logo_color: "#000000", ..Look::CHAT }
    }

    fn cache_scope(&self, account: &Account) -> Option<String> {
        Some(format!("matrix:{}:{}", account.endpoint, account.remote_id.as_deref().unwrap_or_default()))
    }

    /// The room on matrix.to, which opens it in the user's own client.
    fn page_url(&self, account: &Account, _facts: Option<&Value>) -> Option<String> {
        Some(format!("https://matrix.to/#/{}", account.remote_id.as_deref()?))
    }

    fn pacing(&self) -> Duration {
        Duration::from_millis(500)
    }

    fn handle(&self, _account: &Account, facts: Option<&Value>) -> Option<String> {
        super::fact(facts, "user_id")
    }

    fn verify<'a>(
        &'a self,
        http: &'a reqwest::Client,
        account: &'a Account,
        secret: &'a Secret,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Verified, Failure>> {
        async move {
            let base = &account.endpoint;
            let auth = |r: reqwest::RequestBuilder| r.bearer_auth(secret.expose());
            let me =
                call(auth(http.get(url(base, "_matrix/client/v3/account/whoami"))), "reading the user", now).await?;
            let user = me.get("user_id").and_then(Value::as_str).unwrap_or("?").to_owned();
            let wanted = room_id(account)?;
            let path = format!("_matrix/client/v3/join/{}", segment(wanted));
            let joined = call(auth(http.post(url(base, &path))).json(&json!({})), "joining the room", now)
                .await
                .map_err(|f| Failure {
                    message: format!("{} — check the room's id or address, and that {user} is invited", f.message),
                    ..f
                })?;
            let room = joined.get("room_id").and_then(Value::as_str).unwrap_or(wanted).to_owned();
            let name_path = format!("_matrix/client/v3/rooms/{}/state/m.room.name", segment(&room));
            let name = call(auth(http.get(url(base, &name_path))), "reading the room's name", now)
                .await
                .ok()
                .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| wanted.to_owned());
            let limit =
                call(auth(http.get(url(base, "_matrix/client/v1/media/config"))), "reading the upload limit", now)
                    .await
                    .ok()
                    .and_then(|v| v.get("m.upload.size").and_then(Value::as_u64));
            let facts = json!({ "user_id": user, "room_name": name, "upload_size": limit });
            // The room's avatar, best effort, through the authenticated media download.
            let avatar_path = format!("_matrix/client/v3/rooms/{}/state/m.room.avatar", segment(&room));
            let mut picture = None;
            if let Ok(avatar) = call(auth(http.get(url(base, &avatar_path))), "reading the room's avatar", now).await
                && let Some((server, media)) =
                    avatar.get("url").and_then(Value::as_str).and_then(|u| u.strip_prefix("mxc://")?.split_once('/'))
            {
                let path = format!("_matrix/client/v1/media/download/{}/{}", segment(server), segment(media));
                picture =
                    crate::link_card::read_image(auth(http.get(url(base, &path)))).await.map(super::Picture::Bytes);
            }
            Ok(Verified {
                remote_id: room,
                display_name: format!("{name} ({user})"),
                cache: Some(facts),
                secret: None,
                picture,
            })
        }
        .boxed()
    }

    fn deliver<'a, 'j: 'a>(&'a self, job: &'a mut Job<'j>) -> BoxFuture<'a, Result<Published, StepError>> {
        self.send(job).boxed()
    }

    /// Sending again is safe: the same transaction id gives back the event already made.
    fn reconcile<'a, 'j: 'a>(
        &'a self,
        _job: &'a mut Job<'j>,
        _started: Timestamp,
    ) -> BoxFuture<'a, Result<Reconciled, StepError>> {
        async move { Ok(Reconciled::NotPublished) }.boxed()
    }
}
