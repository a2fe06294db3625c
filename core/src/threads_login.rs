//! Threads' own login, with the user's own Meta app (its Threads app id and secret). Threads only
//! sends the browser back to an `https://` address registered in the app, so a loopback listener
//! (plain http) cannot receive it: the user registers [`DEFAULT_REDIRECT`] (or their own), and after
//! allowing Fanout, copies the address the browser was sent to — the page itself does not load —
//! and pastes it into Fanout. The `state` in it is checked, the code exchanged for a short-lived
//! token and that for a long-lived one (60 days), whose expiry the account then shows.
//!
//! `refresh` renews a long-lived token for 60 more days; `Accounts::renew_sign_ins` does so for
//! each Threads account within [`RENEW_WITHIN_DAYS`] of its end (the app at start and every six
//! hours, `fanout worker` when it starts).

use serde_json::Value;

use crate::error::{Error, Result};
use crate::meta_login::MetaApp;
use crate::secrets::Secret;

/// Where Threads' authorization window lives.
pub const DIALOG_ROOT: &str = "https://threads.net";
/// The redirect address Fanout suggests registering in the Threads app's settings.
pub const DEFAULT_REDIRECT: &str = "https://localhost/fanout/threads";
/// The key of the user's Threads app in the secret store.
pub const APP_SECRET_KEY: &str = "threads-app";
/// Every permission Fanout asks for, and why.
pub const PERMISSIONS: &[(&str, &str)] =
    &[("threads_basic", "read your Threads profile's name"), ("threads_content_publish", "publish to Threads")];

/// A login waiting for the user to paste the address Threads sent the browser to.
#[derive(Debug, Clone)]
pub struct ThreadsLogin {
    state: String,
    redirect_uri: String,
    authorize_url: String,
}

/// What a finished login gives.
#[derive(Debug, Clone)]
pub struct ThreadsToken {
    pub token: Secret,
    pub user_id: Option<String>,
    /// Seconds since 1970.
    pub expires_at: Option<i64>,
}

impl ThreadsLogin {
    pub fn start(app: &MetaApp, dialog_root: &str, redirect_uri: &str) -> Result<ThreadsLogin> {
        let redirect = url::Url::parse(redirect_uri.trim())
            .map_err(|_| Error::invalid(format!("'{}' is not an address", redirect_uri.trim())))?;
        if redirect.scheme() != "https" {
            return Err(Error::invalid("Threads sends the browser back only to an https:// address"));
        }
        let state = crate::loopback::random_token(24);
        let mut url = url::Url::parse(&format!("{}/oauth/authorize", dialog_root.trim_end_matches('/')))
            .map_err(|e| Error::invalid(format!("the Threads login's address is not valid: {e}")))?;
        let scope: Vec<&str> = PERMISSIONS.iter().map(|(p, _)| *p).collect();
        url.query_pairs_mut()
            .append_pair("client_id", &app.app_id)
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("scope", &scope.join(","))
            .append_pair("response_type", "code")
            .append_pair("state", &state);
        Ok(ThreadsLogin { state, redirect_uri: redirect.to_string(), authorize_url: url.to_string() })
    }

    /// Open this in the system browser (or print it where there is none).
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The code in what the user pasted: the whole address the browser was sent to (its state
    /// must be this login's), with or without the `#_` Threads appends.
    pub fn code_from(&self, pasted: &str) -> Result<String> {
        let pasted = pasted.trim();
        let url = url::Url::parse(pasted)
            .map_err(|_| Error::invalid("paste the whole address your browser was sent to, starting with https://"))?;
        let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        if let Some(error) = query.get("error_description").or(query.get("error_reason")).or(query.get("error")) {
            return Err(Error::Network(format!("the Threads login was not completed: {error}")));
        }
        if query.get("state") != Some(&self.state) {
            return Err(Error::invalid(
                "that address is not from this login (its state differs); start the login again",
            ));
        }
        query
            .get("code")
            .map(|code| code.trim_end_matches("#_").to_owned())
            .filter(|code| !code.is_empty())
            .ok_or_else(|| Error::invalid("that address carries no code; copy it after allowing Fanout"))
    }

    /// Trades the code for a long-lived token and links the profile with it: the sign-in's last
    /// step, the same for the CLI and the app. `api` is the Threads API's root when it is not the
    /// real one (the sandbox). Returns the account and when its sign-in ends (seconds).
    pub async fn link(
        &self,
        accounts: &crate::accounts::Accounts,
        http: &reqwest::Client,
        app: &MetaApp,
        api: Option<&str>,
        code: &str,
        how: crate::accounts::LinkAs,
    ) -> Result<(crate::model::Account, Option<i64>)> {
        let root = api.unwrap_or(crate::networks::threads::ROOT);
        let token = self.finish(http, app, root, code, accounts.now()).await?;
        let credentials = crate::networks::link::Credentials::new(crate::model::NetworkKind::Threads)
            .maybe_text("api", api)
            .secret("token", token.token)
            .maybe_text("expires_at", token.expires_at.map(|at| at.to_string()));
        Ok((accounts.add(how.account(credentials)).await?, token.expires_at))
    }

    /// Exchanges the code for a short-lived token, and that for a long-lived one.
    pub async fn finish(
        &self,
        http: &reqwest::Client,
        app: &MetaApp,
        api_root: &str,
        code: &str,
        now: crate::clock::Timestamp,
    ) -> Result<ThreadsToken> {
        let root = api_root.trim_end_matches('/');
        let form = [
            ("client_id", app.app_id.as_str()),
            ("client_secret", app.app_secret.expose()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code", code),
        ];
        let short = call(http.post(format!("{root}/oauth/access_token")).form(&form), "exchanging the code").await?;
        let short_token = token_of(&short, "exchanging the code")?;
        let user_id = crate::networks::graph::id_of(&short, "user_id");
        let mut url = url::Url::parse(&format!("{root}/access_token"))
            .map_err(|e| Error::invalid(format!("the Threads API address is not valid: {e}")))?;
        url.query_pairs_mut()
            .append_pair("grant_type", "th_exchange_token")
            .append_pair("client_secret", app.app_secret.expose())
            .append_pair("access_token", short_token.expose());
        let long = call(http.get(url.as_str()), "getting a long-lived token").await?;
        let token = token_of(&long, "getting a long-lived token")?;
        let expires_at = long.get("expires_in").and_then(Value::as_i64).map(|seconds| now.0 / 1000 + seconds);
        Ok(ThreadsToken { token, user_id, expires_at })
    }
}

fn token_of(answer: &Value, step: &str) -> Result<Secret> {
    answer
        .get("access_token")
        .and_then(Value::as_str)
        .map(Secret::new)
        .ok_or_else(|| Error::Network(format!("{step}: Threads gave back no token")))
}

/// How close to its expiry a Threads sign-in is renewed. Threads renews a long-lived token that
/// is at least a day old and not yet expired, for 60 days from then; one within 30 days of its
/// end is always old enough.
pub const RENEW_WITHIN_DAYS: i64 = 30;

/// Renews a long-lived token (`GET /refresh_access_token` with `th_refresh_token`) against the
/// Threads API at `api` (its versioned root is fine): the new token, valid 60 days from `now`.
pub async fn refresh(
    http: &reqwest::Client,
    api: &str,
    token: &Secret,
    now: crate::clock::Timestamp,
) -> Result<ThreadsToken> {
    let root = api.trim_end_matches('/');
    let root = root.strip_suffix(&format!("/{}", crate::networks::threads::VERSION)).unwrap_or(root);
    let mut url = url::Url::parse(&format!("{root}/refresh_access_token"))
        .map_err(|e| Error::invalid(format!("the Threads API address is not valid: {e}")))?;
    url.query_pairs_mut().append_pair("grant_type", "th_refresh_token").append_pair("access_token", token.expose());
    let step = "renewing the Threads sign-in";
    let response = http
        .get(url.as_str())
        .send()
        .await
        .map_err(|e| Error::Network(format!("{step}: {}", crate::http::describe(&e))))?;
    let status = response.status();
    let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
        .await
        .map_err(|e| Error::Network(format!("{step}: {}", crate::http::TransportError::describe(&e))))?;
    if let Some(error) = crate::networks::graph::GraphError::parse(&body) {
        return Err(Error::Network(format!(
            "{step}: Threads refused it ({}); log in with Threads again",
            crate::networks::excerpt(&error.message, 200)
        )));
    }
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(Error::Network(format!("{step}: Threads answered HTTP {}", status.as_u16())));
    }
    let token = token_of(&value, step)?;
    let expires_at = value.get("expires_in").and_then(Value::as_i64).map(|seconds| now.0 / 1000 + seconds);
    Ok(ThreadsToken { token, user_id: None, expires_at })
}

/// Sends one token request; an error names Threads' reason, never a token or the address.
async fn call(request: reqwest::RequestBuilder, step: &str) -> Result<Value> {
    let response =
        request.send().await.map_err(|e| Error::Network(format!("{step}: {}", crate::http::describe(&e))))?;
    let status = response.status();
    let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT)
        .await
        .map_err(|e| Error::Network(format!("{step}: {}", crate::http::TransportError::describe(&e))))?;
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() || value.get("error").is_some() {
        let why = crate::networks::graph::GraphError::parse(&body)
            .map(|e| e.message)
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        return Err(Error::Network(format!(
            "{step}: Threads refused it ({}); check the Threads app id and secret, and that the redirect address is registered",
            crate::networks::excerpt(&why, 200)
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pasted_address_must_be_this_logins() {
        let app = MetaApp::new("42", Secret::new("s")).expect("app");
        assert!(ThreadsLogin::start(&app, DIALOG_ROOT, "http://127.0.0.1/x").is_err(), "https only");
        let login = ThreadsLogin::start(&app, DIALOG_ROOT, DEFAULT_REDIRECT).expect("start");
        let url = url::Url::parse(login.authorize_url()).expect("url");
        assert_eq!(url.path(), "/oauth/authorize");
        let state = url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).expect("state");
        let good = format!("{DEFAULT_REDIRECT}?code=AQBx1&state={state}#_");
        assert_eq!(login.code_from(&good).expect("code"), "AQBx1");
        assert!(login.code_from(&format!("{DEFAULT_REDIRECT}?code=AQBx1&state=other")).is_err());
        let denied = format!("{DEFAULT_REDIRECT}?error=access_denied&error_reason=user_denied&state={state}");
        assert!(login.code_from(&denied).expect_err("denied").to_string().contains("user_denied"));
        assert!(login.code_from("AQBx1").expect_err("not an address").to_string().contains("whole address"));
    }
}
