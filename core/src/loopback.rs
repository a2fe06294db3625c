//! The native-app OAuth redirect (RFC 8252 §7.3): Fanout listens on a free port of 127.0.0.1,
//! the provider sends the browser back to `http://127.0.0.1:PORT/callback` with a code and the
//! login's `state`, and the tab is answered with a page saying the user can go back to Fanout.
//! Every login gets a fresh `state` and PKCE verifier (S256), so a code meant for another login,
//! or stolen on the way, is useless.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// A random URL-safe token of `bytes` random bytes.
pub(crate) fn random_token(bytes: usize) -> String {
    let data: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// A listener waiting for one login's return.
#[derive(Debug)]
pub struct Loopback {
    listener: TcpListener,
    state: String,
    verifier: String,
    redirect_uri: String,
}

impl Loopback {
    /// Listens on a free loopback port.
    pub async fn start() -> Result<Loopback> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::io("cannot listen on 127.0.0.1 for the login's return", e))?;
        let port = listener.local_addr().map_err(|e| Error::io("no local address", e))?.port();
        Ok(Loopback {
            listener,
            state: random_token(24),
            verifier: random_token(48),
            redirect_uri: format!("http://127.0.0.1:{port}/callback"),
        })
    }

    /// `http://127.0.0.1:PORT/callback`.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The `state` the authorization request carries and the return must bring back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE verifier, sent with the code when exchanging it.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The PKCE challenge (S256 of the verifier) for the authorization request.
    pub fn challenge(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(self.verifier.as_bytes()))
    }

    /// Waits for the browser to come back with a code (ignoring other requests, such as a
    /// favicon) and answers it with a page saying the user can close the tab. `provider` names
    /// the login in errors ("Facebook Login was not completed: …").
    pub async fn wait_for_code(&self, timeout: Duration, provider: &str) -> Result<String> {
        tokio::time::timeout(timeout, self.accept_code(provider)).await.map_err(|_| {
            Error::Network(format!(
                "the login did not come back within {} minutes; start it again",
                timeout.as_secs().div_ceil(60)
            ))
        })?
    }

    async fn accept_code(&self, provider: &str) -> Result<String> {
        loop {
            let (mut stream, _) =
                self.listener.accept().await.map_err(|e| Error::io("the login's return could not be received", e))?;
            let mut buffer = vec![0u8; 8192];
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
            let target = request.lines().next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or("");
            let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else { continue };
            if url.path() != "/callback" {
                let _ =
                    stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                continue;
            }
            let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
            let outcome = self.outcome(&query, provider);
            let (title, text) = match &outcome {
                Ok(_) => ("Fanout is linked", "You can close this tab and go back to Fanout."),
                Err(_) => ("Fanout was not linked", "Go back to Fanout to see why and try again."),
            };
            let html = format!(
                "<!doctype html><meta charset=utf-8><title>{title}</title><body style=\"font-family:system-ui;margin:3rem\"><h1>{title}</h1><p>{text}</p>"
            );
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            return outcome;
        }
    }

    fn outcome(&self, query: &HashMap<String, String>, provider: &str) -> Result<String> {
        if query.get("state") != Some(&self.state) {
            return Err(Error::invalid("the login's return did not carry this login's state; start it again"));
        }
        if let Some(code) = query.get("code").filter(|c| !c.is_empty()) {
            return Ok(code.clone());
        }
        let why = query.get("error_description").or(query.get("error_reason")).or(query.get("error"));
        Err(Error::Network(format!("{provider} was not completed: {}", why.map_or("no reason given", String::as_str))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn visit(url: &str) -> String {
        reqwest::get(url).await.expect("answered").text().await.expect("a page")
    }

    #[tokio::test]
    async fn the_code_comes_back_only_with_this_logins_state() {
        let loopback = Loopback::start().await.expect("listens");
        assert!(loopback.redirect_uri().starts_with("http://127.0.0.1:"));
        assert_eq!(loopback.challenge().len(), 43, "S256 of the verifier, base64url without padding");
        let back = format!("{}?code=abc&state={}", loopback.redirect_uri(), loopback.state());
        let favicon = loopback.redirect_uri().replace("/callback", "/favicon.ico");
        let (code, page) = tokio::join!(loopback.wait_for_code(Duration::from_secs(5), "Test login"), async {
            reqwest::get(&favicon).await.expect("404 answered");
            visit(&back).await
        });
        assert_eq!(code.expect("a code"), "abc");
        assert!(page.contains("Fanout is linked"), "{page}");

        let other = Loopback::start().await.expect("listens");
        let forged = format!("{}?code=abc&state=someone-else", other.redirect_uri());
        let (code, page) = tokio::join!(other.wait_for_code(Duration::from_secs(5), "Test login"), visit(&forged));
        assert!(code.expect_err("refused").to_string().contains("state"));
        assert!(page.contains("not linked"));

        let denied = Loopback::start().await.expect("listens");
        let back = format!("{}?error=access_denied&state={}", denied.redirect_uri(), denied.state());
        let (code, _) = tokio::join!(denied.wait_for_code(Duration::from_secs(5), "Test login"), visit(&back));
        assert_eq!(code.expect_err("refused").to_string(), "Test login was not completed: access_denied");
    }

    #[tokio::test]
    async fn a_login_that_never_returns_times_out_with_what_to_do() {
        let loopback = Loopback::start().await.expect("listens");
        let error = loopback.wait_for_code(Duration::from_millis(50), "Test login").await.expect_err("times out");
        assert!(error.to_string().contains("start it again"), "{error}");
    }
}
