//! Linking Meta accounts the way a desktop app should: the user's own Meta app (its id and
//! secret in the secret store), Facebook Login in the system browser with a loopback redirect
//! (`http://127.0.0.1:PORT/callback`, a random `state`, PKCE S256), the code exchanged for a
//! long-lived user token, then every asset that token reaches discovered — Pages (with their own
//! tokens), the Instagram accounts linked to them, and the WhatsApp numbers of each business
//! account `debug_token` names for `whatsapp_business_messaging` — so the user links any of them in
//! one step. Pages and Instagram publish with Page tokens, which do not expire when derived from a
//! long-lived user token; a WhatsApp number is messaged with the user token, whose end it shows.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::loopback::Loopback;
use crate::networks::graph::{self, Graph};
use crate::secrets::Secret;

/// Where Facebook Login's dialog lives (its version comes from the Graph endpoint).
pub const DIALOG_ROOT: &str = "https://www.facebook.com";
/// Every permission Fanout asks for, and why (the walkthrough shows this list).
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("pages_show_list", "see which Pages you manage"),
    ("pages_read_engagement", "read a Page's posts, to find one whose answer was lost"),
    ("pages_manage_posts", "publish posts, photos and videos on your Pages"),
    ("publish_video", "publish videos and video stories"),
    ("business_management", "find the Instagram and WhatsApp accounts of your business"),
    ("instagram_basic", "read your Instagram account's name and posts"),
    ("instagram_content_publish", "publish to Instagram"),
    ("whatsapp_business_management", "find your WhatsApp Business numbers and their message templates"),
    ("whatsapp_business_messaging", "send WhatsApp messages to the people on your recipient lists"),
];
/// The Graph API root the login's accounts use (`graph_endpoint` adds the version).
pub fn graph_root() -> String {
    graph::FACEBOOK_ROOT.to_owned()
}

/// The key of the user's Meta app in the secret store.
pub const APP_SECRET_KEY: &str = "meta-app";

/// The user's own Meta app, from developers.facebook.com.
#[derive(Debug, Clone)]
pub struct MetaApp {
    pub app_id: String,
    pub app_secret: Secret,
}

impl MetaApp {
    /// Kept as `app_id:secret` under one key.
    pub fn to_secret(&self) -> Secret {
        Secret::new(format!("{}:{}", self.app_id, self.app_secret.expose()))
    }

    pub fn from_secret(secret: &Secret) -> Result<MetaApp> {
        let (id, secret) = secret
            .expose()
            .split_once(':')
            .ok_or_else(|| Error::invalid("the stored Meta app is damaged; enter its id and secret again"))?;
        MetaApp::new(id, Secret::new(secret))
    }

    pub fn new(app_id: &str, app_secret: Secret) -> Result<MetaApp> {
        let app_id = app_id.trim();
        if app_id.is_empty() || !app_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(format!(
                "'{app_id}' is not a Meta app id: it is the number at the top of your app's dashboard on developers.facebook.com"
            )));
        }
        if app_secret.expose().trim().is_empty() {
            return Err(Error::invalid("the Meta app secret is empty: copy it from App settings → Basic"));
        }
        Ok(MetaApp { app_id: app_id.to_owned(), app_secret: Secret::new(app_secret.expose().trim()) })
    }
}

/// One thing a login reached that can be linked as an account.
#[derive(Debug, Clone, PartialEq)]
pub enum Asset {
    FacebookPage {
        page_id: String,
        name: String,
        token: Secret,
    },
    Instagram {
        user_id: String,
        username: String,
        page_id: String,
        page_name: String,
        token: Secret,
    },
    /// A WhatsApp Business phone number, messaged with the user's own token (it expires: the
    /// account shows when).
    WhatsApp {
        phone_number_id: String,
        business_account_id: String,
        number: String,
        name: String,
        token: Secret,
    },
}

impl Asset {
    /// "Facebook Page Fanout Bakery", "Instagram @fanout.bakery (through Fanout Bakery)".
    pub fn describe(&self) -> String {
        match self {
            Asset::FacebookPage { name, .. } => format!("Facebook Page {name}"),
            Asset::Instagram { username, page_name, .. } => format!("Instagram @{username} (through {page_name})"),
            Asset::WhatsApp { number, name, .. } => format!("WhatsApp {name} ({number})"),
        }
    }
}

/// What a finished login gives: the assets, and when the user token would have expired.
#[derive(Debug, Clone)]
pub struct Login {
    pub assets: Vec<Asset>,
    pub user_name: String,
}

/// A login waiting for the browser to come back to the loopback address.
#[derive(Debug)]
pub struct LoopbackLogin {
    loopback: Loopback,
    authorize_url: String,
}

/// The Graph endpoint's version (`v26.0`) and origin, for the dialog's path.
fn version_of(graph_endpoint: &str) -> &str {
    graph_endpoint.rsplit('/').next().filter(|v| v.starts_with('v')).unwrap_or(graph::VERSION)
}

impl LoopbackLogin {
    /// Listens on a free loopback port and builds the dialog's address.
    pub async fn start(app: &MetaApp, dialog_root: &str, graph_endpoint: &str) -> Result<LoopbackLogin> {
        let loopback = Loopback::start().await?;
        let scope: Vec<&str> = PERMISSIONS.iter().map(|(p, _)| *p).collect();
        let mut url = url::Url::parse(&format!(
            "{}/{}/dialog/oauth",
            dialog_root.trim_end_matches('/'),
            version_of(graph_endpoint)
        ))
        .map_err(|e| Error::invalid(format!("the login dialog's address is not valid: {e}")))?;
        url.query_pairs_mut()
            .append_pair("client_id", &app.app_id)
            .append_pair("redirect_uri", loopback.redirect_uri())
            .append_pair("state", loopback.state())
            .append_pair("response_type", "code")
            .append_pair("scope", &scope.join(","))
            .append_pair("code_challenge", &loopback.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(LoopbackLogin { loopback, authorize_url: url.to_string() })
    }

    /// Open this in the system browser (or print it where there is none).
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// Waits for the browser to come back with a code.
    pub async fn wait_for_code(&self, timeout: Duration) -> Result<String> {
        self.loopback.wait_for_code(timeout, "Facebook Login").await
    }

    /// Exchanges the code for a long-lived user token and discovers what it reaches.
    pub async fn finish(
        &self,
        http: &reqwest::Client,
        app: &MetaApp,
        graph_endpoint: &str,
        code: &str,
    ) -> Result<Login> {
        let short = exchange(
            http,
            graph_endpoint,
            &[
                ("client_id", app.app_id.as_str()),
                ("client_secret", app.app_secret.expose()),
                ("redirect_uri", self.loopback.redirect_uri()),
                ("code", code),
                ("code_verifier", self.loopback.verifier()),
            ],
        )
        .await?;
        let long = exchange(
            http,
            graph_endpoint,
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", app.app_id.as_str()),
                ("client_secret", app.app_secret.expose()),
                ("fb_exchange_token", short.expose()),
            ],
        )
        .await?;
        discover(http, graph_endpoint, &long).await
    }
}

/// `GET /oauth/access_token` with these parameters; the token, never echoed in an error.
async fn exchange(http: &reqwest::Client, graph_endpoint: &str, query: &[(&str, &str)]) -> Result<Secret> {
    let mut url = url::Url::parse(&format!("{}/oauth/access_token", graph_endpoint.trim_end_matches('/')))
        .map_err(|e| Error::invalid(format!("the Graph API address is not valid: {e}")))?;
    url.query_pairs_mut().extend_pairs(query);
    let response = http
        .get(url.as_str())
        .send()
        .await
        .map_err(|e| Error::Network(format!("exchanging the login for a token: {}", crate::http::describe(&e))))?;
    let status = response.status();
    let body = crate::http::read_body(response, crate::http::ANSWER_LIMIT).await.unwrap_or_default();
    if let Some(error) = graph::GraphError::parse(&body) {
        return Err(Error::Network(format!(
            "Meta refused the login ({} — Graph error {}); check the app id and secret and try again",
            error.message, error.code
        )));
    }
    let value: Value = serde_json::from_slice(&body).map_err(|_| {
        Error::Network(format!("exchanging the login for a token: unreadable answer (HTTP {})", status.as_u16()))
    })?;
    value
        .get("access_token")
        .and_then(Value::as_str)
        .map(Secret::new)
        .ok_or_else(|| Error::Network("exchanging the login for a token: no token in the answer".into()))
}

/// Every Page the user token manages, with its own token, and each Page's Instagram account.
pub async fn discover(http: &reqwest::Client, graph_endpoint: &str, user_token: &Secret) -> Result<Login> {
    let g = Graph::new("Facebook", http, graph_endpoint, user_token);
    let failed = |f: crate::model::Failure| Error::Network(format!("reading what the login reached: {}", f.message));
    let me = g.call("reading the user", g.get("me?fields=id,name")).await.map_err(failed)?;
    let pages = g
        .call(
            "reading the Pages",
            g.get("me/accounts?fields=id,name,access_token,instagram_business_account{id,username}&limit=100"),
        )
        .await
        .map_err(failed)?;
    let mut assets = Vec::new();
    for page in pages.get("data").and_then(Value::as_array).into_iter().flatten() {
        let (Some(page_id), Some(token)) = (graph::id_of(page, "id"), page.get("access_token").and_then(Value::as_str))
        else {
            continue;
        };
        let name = page.get("name").and_then(Value::as_str).unwrap_or("a Page").to_owned();
        assets.push(Asset::FacebookPage { page_id: page_id.clone(), name: name.clone(), token: Secret::new(token) });
        if let Some(ig) = page.get("instagram_business_account")
            && let Some(user_id) = graph::id_of(ig, "id")
        {
            let username = ig.get("username").and_then(Value::as_str).unwrap_or(&user_id).to_owned();
            assets.push(Asset::Instagram { user_id, username, page_id, page_name: name, token: Secret::new(token) });
        }
    }
    assets.extend(whatsapp_numbers(&g, user_token).await.map_err(failed)?);
    let user_name = me.get("name").and_then(Value::as_str).unwrap_or("you").to_owned();
    Ok(Login { assets, user_name })
}

/// The WhatsApp Business numbers the login reaches: the business accounts `debug_token` names
/// for `whatsapp_business_messaging`, and each one's phone numbers.
async fn whatsapp_numbers(
    g: &Graph<'_>,
    user_token: &Secret,
) -> std::result::Result<Vec<Asset>, crate::model::Failure> {
    let token: String = url::form_urlencoded::byte_serialize(user_token.expose().as_bytes()).collect();
    let debug = g.call("reading what the login granted", g.get(&format!("debug_token?input_token={token}"))).await?;
    let businesses: Vec<String> = debug
        .get("data")
        .and_then(|d| d.get("granular_scopes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("scope").and_then(Value::as_str) == Some("whatsapp_business_messaging"))
        .flat_map(|s| s.get("target_ids").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|id| id.as_str().map(str::to_owned).or_else(|| id.as_u64().map(|n| n.to_string())))
        .collect();
    let mut assets = Vec::new();
    for business in businesses {
        let path = format!("{business}/phone_numbers?fields=id,display_phone_number,verified_name");
        let numbers = g.call("reading the WhatsApp numbers", g.get(&path)).await?;
        for number in numbers.get("data").and_then(Value::as_array).into_iter().flatten() {
            let Some(id) = graph::id_of(number, "id") else { continue };
            assets.push(Asset::WhatsApp {
                phone_number_id: id.clone(),
                business_account_id: business.clone(),
                number: number.get("display_phone_number").and_then(Value::as_str).unwrap_or(&id).to_owned(),
                name: number.get("verified_name").and_then(Value::as_str).unwrap_or("WhatsApp Business").to_owned(),
                token: user_token.clone(),
            });
        }
    }
    Ok(assets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_numbers_and_secrets_round_trip() {
        assert!(MetaApp::new("app", Secret::new("s")).is_err());
        assert!(MetaApp::new("123", Secret::new("  ")).is_err());
        let app = MetaApp::new(" 123 ", Secret::new("abc:def")).expect("valid");
        let back = MetaApp::from_secret(&app.to_secret()).expect("parses");
        assert_eq!((back.app_id.as_str(), back.app_secret.expose()), ("123", "abc:def"));
    }

    #[tokio::test]
    async fn the_dialog_address_carries_state_pkce_and_every_permission() {
        let app = MetaApp::new("42", Secret::new("s")).expect("app");
        let login = LoopbackLogin::start(&app, DIALOG_ROOT, "https://graph.facebook.com/v26.0").await.expect("start");
        let url = url::Url::parse(login.authorize_url()).expect("url");
        assert_eq!(url.path(), "/v26.0/dialog/oauth");
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "42");
        assert!(q["redirect_uri"].starts_with("http://127.0.0.1:") && q["redirect_uri"].ends_with("/callback"));
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["state"].len() >= 32 && q["code_challenge"].len() == 43);
        assert!(PERMISSIONS.iter().all(|(p, _)| q["scope"].contains(p)));
    }
}
