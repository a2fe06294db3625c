//! Team chats' webhooks on the sandbox, linked as the user links them; both binaries post to them
//! (the real-server tests with a bucket on moto or beside a real Synapse and PDS).

use fanout_core::accounts::{BucketHost, Credentials, NewAccount};
use fanout_core::model::Account;
use fanout_core::networks::chat_webhooks::Chat;
use fanout_core::secrets::Secret;

use super::Env;

pub const SLACK: &str = "POST /services/{team}/{bot}/{token}";

impl Env {
    pub async fn chat(&self, chat: Chat, path: &str) -> fanout_core::Result<Account> {
        self.chat_with(chat, path, None).await
    }

    pub async fn chat_with(&self, chat: Chat, path: &str, bucket: Option<BucketHost>) -> fanout_core::Result<Account> {
        let url = format!("{}{path}", self.sandbox.url());
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(chat.kind()).secret("webhook", Secret::new(url)).bucket(bucket),
                enabled: true,
                demo: true,
            })
            .await
    }
}
