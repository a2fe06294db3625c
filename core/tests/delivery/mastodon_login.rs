//! Signing in to Mastodon instead of pasting a token, against the sandbox's Mastodon: Fanout
//! registers itself once per server, the browser (played here with HTTP requests) allows it on the
//! server's page and comes back to the loopback address, and the code becomes the account's token.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::mastodon_login::MastodonLogin;
use fanout_core::model::DeliveryState;

use super::{Env, env};

const APPS: &str = "POST /api/v1/apps";
const TOKEN: &str = "POST /oauth/token";

/// Opens the authorization page and follows its link with id `choice` ("continue" or "cancel"),
/// as the user's browser would.
async fn choose(url: &str, choice: &str) -> String {
    let page = reqwest::get(url).await.expect("the authorization page opens").text().await.expect("html");
    let marker = format!("id=\"{choice}\" href=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("the page offers {choice}: {page}")) + marker.len();
    let link = page[start..].split('"').next().expect("a link").replace("&amp;", "&");
    reqwest::get(&link).await.expect("the browser comes back to Fanout").text().await.expect("html")
}

impl Env {
    /// A whole sign-in: start, the user's choice in the browser, the code, the token.
    async fn sign_in(&self, choice: &str) -> fanout_core::Result<fanout_core::secrets::Secret> {
        let login = MastodonLogin::start(&self.accounts(), &self.http, &self.sandbox.url()).await?;
        let (code, page) =
            tokio::join!(login.wait_for_code(Duration::from_secs(10)), choose(login.authorize_url(), choice));
        let code = code?;
        assert!(page.contains("Fanout is linked"), "{page}");
        login.finish(&self.http, &code).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_registers_fanout_once_and_links_an_account_that_posts() {
    let env = env("{}").await;
    let login =
        MastodonLogin::start(&env.accounts(), &env.http, &format!("{}/", env.sandbox.url())).await.expect("start");
    assert_eq!(login.server(), env.sandbox.url(), "the address is normalised");
    let url = url::Url::parse(login.authorize_url()).expect("an address");
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/oauth/authorize");
    assert_eq!(q["scope"], "read:accounts read:statuses write:media write:statuses");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["redirect_uri"].starts_with("http://127.0.0.1:") && q["state"].len() >= 32);
    drop(login);

    let token = env.sign_in("continue").await.expect("signed in");
    let account = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::Mastodon)
                .text("server", env.sandbox.url())
                .secret("token", token.clone()),
            enabled: true,
            demo: false,
        })
        .await
        .expect("the token works");
    assert!(account.name.starts_with("@demo_"), "{}", account.name);
    let sent = env.post("Signed in, not pasted", vec![], &[&account]);
    env.deliver(&sent).await;
    assert_eq!(env.delivery(sent[0]).state, DeliveryState::Sent);
    let status = env.sandbox.state().mastodon_statuses.pop().expect("a status");
    assert_eq!(status.text, "Signed in, not pasted");

    // A second sign-in (another loopback port) uses the same registration, checked first.
    let again = env.sign_in("continue").await.expect("signed in again");
    assert_ne!(again.expose(), token.expose(), "every sign-in gets its own token");
    assert_eq!(env.requests(APPS).len(), 1, "Fanout registers once per server");
    assert_eq!(env.requests(TOKEN).len(), 4, "each sign-in after the first start: a check of the registration, a code");

    // Nothing secret in the database: not the tokens, not the registration.
    let db = std::fs::read(env.dir.path().join("fanout.db")).expect("read the database");
    let db = String::from_utf8_lossy(&db);
    assert!(!db.contains(token.expose()) && !db.contains("sandbox-client-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_the_server_forgot_is_made_again_before_the_browser_opens() {
    let env = env("{}").await;
    env.sign_in("continue").await.expect("signed in");
    env.sandbox.forget_mastodon_apps();
    env.sign_in("continue").await.expect("signed in with a new registration");
    assert_eq!(env.requests(APPS).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_sign_in_says_so_and_links_nothing() {
    let env = env("{}").await;
    let error = env.sign_in("cancel").await.expect_err("denied");
    assert_eq!(
        error.to_string(),
        "Signing in to Mastodon was not completed: The resource owner or authorization server denied the request."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_mastodon_or_is_down_is_named_with_what_to_do() {
    let plan = format!(r#"{{"routes": {{"{APPS}": {{"faults": [{{"status": 404}}, {{"status": 422}}]}}}}}}"#);
    let env = env(&plan).await;
    let host = env.sandbox.url().replace("http://", "");
    let error = MastodonLogin::start(&env.accounts(), &env.http, &env.sandbox.url()).await.expect_err("404");
    assert_eq!(
        error.to_string(),
        format!("{host} does not answer like a Mastodon server (HTTP 404 for /api/v1/apps); check the address")
    );
    let error = MastodonLogin::start(&env.accounts(), &env.http, &env.sandbox.url()).await.expect_err("422");
    assert_eq!(error.to_string(), format!("{host} refused to register Fanout: Validation failed"));

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("addr").port()
    };
    let error = MastodonLogin::start(&env.accounts(), &env.http, &format!("http://127.0.0.1:{closed}"))
        .await
        .expect_err("nobody listens");
    assert!(error.to_string().starts_with(&format!("cannot reach 127.0.0.1:{closed}: ")), "{error}");

    let error =
        MastodonLogin::start(&env.accounts(), &env.http, "https://example.org/@someone").await.expect_err("a path");
    assert!(error.to_string().contains("give the Mastodon server's address only"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_failing_at_the_exchange_asks_to_try_again_later() {
    let plan = format!(r#"{{"routes": {{"{TOKEN}": {{"faults": [{{"status": 503}}]}}}}}}"#);
    let env = env(&plan).await;
    let error = env.sign_in("continue").await.expect_err("503");
    assert!(
        error.to_string().ends_with("could not sign in right now (HTTP 503); try again in a few minutes"),
        "{error}"
    );
}
