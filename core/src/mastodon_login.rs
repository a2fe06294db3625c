//! Signing in to a Mastodon server the way its own apps do, instead of pasting a token: Fanout
//! registers itself as an app on the server (`POST /api/v1/apps`, once per server; the client id
//! and secret go to the secret store), opens the server's authorization page in the system
//! browser, receives the code on a loopback address ([`crate::loopback`], with `state` and PKCE)
//! and exchanges it for an access token (`POST /oauth/token`). Mastodon matches a loopback
//! redirect address whatever its port (RFC 8252 §7.3), so one registration serves every later
//! login on that server. A registration the server has since forgotten is noticed before the
//! browser opens (a `client_credentials` grant is refused) and made again.

use std::time::Duration;

use serde_json::{Value, json};

use crate::accounts::Accounts;
use crate::error::{Error, Result};
use crate::loopback::Loopback;
use crate::networks::mastodon::endpoint as mastodon_endpoint;
use crate::secrets::Secret;

/// The name the server shows on its authorization page and under "Authorized apps".
pub const CLIENT_NAME: &str = "Fanout";
/// What Fanout asks for, and why (the sign-in panel shows this list).
pub const SCOPES: &[(&str, &str)] = &[
    ("read:accounts", "see your account's name, to show which account is linked"),
    ("read:statuses", "read your own posts, to find one whose answer was lost"),
    ("write:media", "upload the photos and videos of your posts"),
    ("write:statuses", "publish posts"),
];

fn scope() -> String {
    SCOPES.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(" ")
}

/// Fanout's registration on one server.
#[derive(Debug, Clone)]
pub struct MastodonApp {
    pub client_id: String,
    pub client_secret: Secret,
}

impl MastodonApp {
    fn to_secret(&self) -> Secret {
        Secret::new(json!({ "client_id": self.client_id, "client_secret": self.client_secret.expose() }).to_string())
    }

    fn from_secret(secret: &Secret) -> Option<MastodonApp> {
        let value: Value = serde_json::from_str(secret.expose()).ok()?;
        Some(MastodonApp {
            client_id: value.get("client_id")?.as_str()?.to_owned(),
            client_secret: Secret::new(value.get("client_secret")?.as_str()?),
        })
    }
}

/// The secret store's key for the registration on `server` (an origin, as normalised).
fn app_key(server: &str) -> String {
    format!("mastodon-app:{server}")
}

/// A sign-in waiting for the browser to come back.
#[derive(Debug)]
pub struct MastodonLogin {
    loopback: Loopback,
    server: String,
    app: MastodonApp,
    authorize_url: String,
}

impl MastodonLogin {
    /// Normalises the server's address, finds or makes Fanout's registration there, listens on
    /// a loopback port and builds the authorization page's address.
    pub async fn start(accounts: &Accounts, http: &reqwest::Client, server: &str) -> Result<MastodonLogin> {
        let server = mastodon_endpoint(server)?;
        let loopback = Loopback::start().await?;
        let key = app_key(&server);
        let saved = accounts.saved_secret(&key).await?.as_ref().and_then(MastodonApp::from_secret);
        let app = match saved {
            Some(app) if still_registered(http, &server, &app).await? => app,
            _ => {
                let app = register(http, &server, loopback.redirect_uri()).await?;
                accounts.save_secret(&key, &app.to_secret()).await?;
                app
            }
        };
        let mut url = url::Url::parse(&format!("{server}/oauth/authorize"))
            .map_err(|e| Error::invalid(format!("the server's address is not valid: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", loopback.redirect_uri())
            .append_pair("scope", &scope())
            .append_pair("state", loopback.state())
            .append_pair("code_challenge", &loopback.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(MastodonLogin { loopback, server, app, authorize_url: url.to_string() })
    }

    /// Open this in the system browser (or print it where there is none).
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// The server, normalised (`https://mastodon.social`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Waits for the browser to come back with a code.
    pub async fn wait_for_code(&self, timeout: Duration) -> Result<String> {
        self.loopback.wait_for_code(timeout, "Signing in to Mastodon").await
    }

    /// Exchanges the code for the account's access token.
    /// Trades the code for a token and links the account with it: the sign-in's last step, the
    /// same for the CLI and the app.
    pub async fn link(
        &self,
        accounts: &Accounts,
        http: &reqwest::Client,
        code: &str,
        how: crate::accounts::LinkAs,
    ) -> Result<crate::model::Account> {
        let token = self.finish(http, code).await?;
        let credentials = crate::networks::link::Credentials::new(crate::model::NetworkKind::Mastodon)
            .text("server", self.server())
            .secret("token", token);
        accounts.add(how.account(credentials)).await
    }

    pub async fn finish(&self, http: &reqwest::Client, code: &str) -> Result<Secret> {
        let body = token_request(
            http,
            &self.server,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", &self.app.client_id),
                ("client_secret", self.app.client_secret.expose()),
                ("redirect_uri", self.loopback.redirect_uri()),
                ("code_verifier", self.loopback.verifier()),
                ("scope", &scope()),
            ],
        )
        .await?;
        match body {
            Ok(token) => Ok(token),
            Err(refusal) => Err(Error::Network(format!(
                "{} refused the sign-in ({refusal}); start it again",
                host_of(&self.server)
            ))),
        }
    }
}

fn host_of(server: &str) -> &str {
    server.split_once("://").map_or(server, |(_, host)| host)
}

fn unreachable(server: &str, e: &reqwest::Error) -> Error {
    Error::Network(format!("cannot reach {}: {}", host_of(server), crate::http::describe(e)))
}

/// `POST /api/v1/apps`: Fanout's registration, with the loopback address as its redirect.
async fn register(http: &reqwest::Client, server: &str, redirect_uri: &str) -> Result<MastodonApp> {
    let form = [("client_name", CLIENT_NAME), ("redirect_uris", redirect_uri), ("scopes", &scope())];
    let response =
        http.post(format!("{server}/api/v1/apps")).form(&form).send().await.map_err(|e| unreachable(server, &e))?;
    let status = response.status();
    let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.unwrap_or_default();
    let value: Option<Value> = serde_json::from_slice(&body).ok();
    let field = |name: &str| value.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_owned);
    if status.is_success()
        && let (Some(client_id), Some(client_secret)) = (field("client_id"), field("client_secret"))
    {
        return Ok(MastodonApp { client_id, client_secret: Secret::new(client_secret) });
    }
    let host = host_of(server);
    Err(match (status.as_u16(), field("error")) {
        (429, _) => {
            Error::Network(format!("{host} is limiting sign-ups of apps right now; try again in a few minutes"))
        }
        (404 | 405, _) | (_, None) if !status.is_success() => Error::Network(format!(
            "{host} does not answer like a Mastodon server (HTTP {} for /api/v1/apps); check the address",
            status.as_u16()
        )),
        (_, Some(message)) => Error::Network(format!("{host} refused to register Fanout: {message}")),
        _ => Error::Network(format!("{host} answered the app registration without a client id; check the address")),
    })
}

/// Whether the server still knows the registration: a `client_credentials` grant works only for
/// a client it knows.
async fn still_registered(http: &reqwest::Client, server: &str, app: &MastodonApp) -> Result<bool> {
    let outcome = token_request(
        http,
        server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &app.client_id),
            ("client_secret", app.client_secret.expose()),
            ("scope", "read"),
        ],
    )
    .await?;
    Ok(outcome.is_ok())
}

/// `POST /oauth/token`: the token, or the server's reason for refusing (never containing a secret).
async fn token_request(
    http: &reqwest::Client,
    server: &str,
    form: &[(&str, &str)],
) -> Result<std::result::Result<Secret, String>> {
    let response =
        http.post(format!("{server}/oauth/token")).form(form).send().await.map_err(|e| unreachable(server, &e))?;
    let status = response.status();
    let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.unwrap_or_default();
    let value: Option<Value> = serde_json::from_slice(&body).ok();
    if let Some(token) = value.as_ref().and_then(|v| v.get("access_token")).and_then(Value::as_str) {
        return Ok(Ok(Secret::new(token)));
    }
    let text = |name: &str| value.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_owned);
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(Error::Network(format!(
            "{} could not sign in right now (HTTP {}); try again in a few minutes",
            host_of(server),
            status.as_u16()
        )));
    }
    Ok(Err(match (text("error"), text("error_description")) {
        (Some(code), Some(description)) => format!("{code}: {description}"),
        (Some(code), None) => code,
        _ => format!("HTTP {}", status.as_u16()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_round_trips_through_the_secret_store_and_damage_is_not_an_app() {
        let app = MastodonApp { client_id: "id-1".into(), client_secret: Secret::new("s\"ecret") };
        let back = MastodonApp::from_secret(&app.to_secret()).expect("parses");
        assert_eq!((back.client_id.as_str(), back.client_secret.expose()), ("id-1", "s\"ecret"));
        assert!(MastodonApp::from_secret(&Secret::new("id:secret")).is_none());
        assert_eq!(app_key("https://mastodon.social"), "mastodon-app:https://mastodon.social");
    }

    #[test]
    fn the_scopes_are_the_narrow_ones_fanout_uses() {
        assert_eq!(scope(), "read:accounts read:statuses write:media write:statuses");
    }
}
