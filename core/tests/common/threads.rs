//! The sandbox's Threads profile, linked with or without a bucket for its files (the bucket test,
//! on moto, is in the `servers` binary).

use fanout_core::accounts::{BucketHost, Credentials, NewAccount};
use fanout_core::model::Account;
use fanout_core::secrets::Secret;
use fanout_sandbox::SANDBOX_THREADS_TOKEN;

use super::Env;

impl Env {
    pub async fn threads(&self, bucket: Option<BucketHost>) -> Account {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::Threads)
                    .text("api", format!("{}/threads", self.sandbox.url()))
                    .secret("token", Secret::new(SANDBOX_THREADS_TOKEN))
                    .bucket(bucket),
                enabled: true,
                demo: true,
            })
            .await
            .expect("link the sandbox's Threads profile")
    }
}
