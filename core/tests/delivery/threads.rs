//! Threads against the sandbox: a text post, a carousel whose files go through an S3-compatible
//! bucket (moto's server) and are removed after, a photo refused without a bucket, the daily
//! quota, and a lost publish settled by the container's status.

use fanout_core::accounts::{BucketHost, Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, FailureKind};
use fanout_core::secrets::Secret;
use fanout_sandbox::SANDBOX_THREADS_TOKEN;

use super::instagram::{Moto, bucket_host};
use super::{Env, env};

const PUBLISH: &str = "POST /threads/{version}/{id}/threads_publish";

impl Env {
    async fn threads(&self, bucket: Option<BucketHost>) -> Account {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::Threads {
                    api: Some(format!("{}/threads", self.sandbox.url())),
                    token: Secret::new(SANDBOX_THREADS_TOKEN),
                    bucket,
                    expires_at: None,
                },
                enabled: true,
                demo: true,
            })
            .await
            .expect("link the sandbox's Threads profile")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_post_and_a_carousel_through_a_bucket_are_published_once_each() {
    let moto = Moto::start();
    let env = env("{}").await;
    moto.create_bucket(&env.http, "fanout-threads").await;
    let threads = env.threads(Some(bucket_host(&moto, "fanout-threads"))).await;
    assert_eq!(threads.name, "Threads: @fanout.bakery");
    let text = env.post("Fresh bread today", vec![], &[&threads]);
    let carousel = env.post("Loaves and the oven", vec![env.photo(), env.video()], &[&threads]);
    env.deliver(&[text[0], carousel[0]]).await;

    let posts = env.sandbox.state().threads_posts;
    let kinds: Vec<(&str, &str, usize)> =
        posts.iter().map(|p| (p.media_type.as_str(), p.text.as_str(), p.children)).collect();
    assert_eq!(kinds, [("TEXT", "Fresh bread today", 0), ("CAROUSEL", "Loaves and the oven", 2)]);
    for id in [text[0], carousel[0]] {
        let d = env.delivery(id);
        assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
        assert!(d.remote_url.is_some_and(|u| u.contains("/post/")), "a permalink");
    }
    let hosted = env.delivery(carousel[0]).checkpoint["hosted"].as_array().cloned().expect("staged");
    for file in hosted {
        let status = env.http.get(file["url"].as_str().expect("url")).send().await.expect("fetch").status();
        assert_eq!(status.as_u16(), 404, "removed from the bucket after publishing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_without_a_bucket_says_how_to_fix_it_and_a_spent_quota_waits() {
    let env = env("{}").await;
    let threads = env.threads(None).await;
    let refused = fanout_core::post::enqueue(
        &env.outbox(),
        &fanout_core::networks::Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        &fanout_core::post::Draft {
            text: "A loaf".into(),
            media: vec![env.photo()],
            targets: vec![threads.name.clone()],
            ..Default::default()
        },
        env.clock.now(),
    )
    .expect_err("refused before anything is queued");
    assert!(refused.to_string().contains("bucket"), "says a bucket is needed: {refused}");

    env.sandbox.set_threads_quota(0);
    let text = env.post("Over the limit", vec![], &[&threads]);
    env.run_worker(fanout_core::worker::StopWhen::Idle).await;
    let d = env.delivery(text[0]);
    assert_eq!(d.state, DeliveryState::RetryWait);
    assert_eq!(d.last_error.expect("why").kind, FailureKind::RateLimited);
    assert!(env.requests(PUBLISH).is_empty(), "the quota is read before publishing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_threads_publish_is_settled_by_the_container_status() {
    let env = env(&format!(r#"{{"routes": {{"{PUBLISH}": {{"faults": [{{"close": "after"}}]}}}}}}"#)).await;
    let threads = env.threads(None).await;
    let ids = env.post("Published, answer lost", vec![], &[&threads]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    assert!(d.remote_url.is_some(), "its permalink is found among the recent posts");
    assert_eq!(env.sandbox.state().threads_posts.len(), 1);
    assert_eq!(env.requests(PUBLISH).len(), 1, "never published again");
}
