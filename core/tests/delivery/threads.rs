//! Threads against the sandbox: a photo refused without a bucket, the daily quota, a lost publish
//! settled by the container's status, and sign-ins renewed before they end. (A carousel through an
//! S3-compatible bucket, moto's server, is in `servers/threads.rs`.)

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{DeliveryState, FailureKind};
use fanout_core::secrets::Secret;
use fanout_sandbox::SANDBOX_THREADS_TOKEN;

use super::{Env, env};

const PUBLISH: &str = "POST /threads/{version}/{id}/threads_publish";

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_near_its_end_is_renewed_for_sixty_days_and_keeps_publishing() {
    let env = env("{}").await;
    let now = env.clock.now().0 / 1000;
    let link = |days: i64| NewAccount {
        name: Some(format!("threads-{days}")),
        credentials: Credentials::new(fanout_core::model::NetworkKind::Threads)
            .text("api", format!("{}/threads", env.sandbox.url()))
            .secret("token", Secret::new(SANDBOX_THREADS_TOKEN))
            .text("expires_at", (now + days * 86_400).to_string()),
        enabled: true,
        demo: true,
    };
    let soon = env.accounts().add(link(10)).await.expect("ten days left");
    env.sandbox.set_threads_quota(250);
    let renewals = env.accounts().renew_sign_ins().await.expect("renewed");
    assert_eq!(renewals.len(), 1, "only the one near its end: {renewals:?}");
    assert_eq!(renewals[0].account, "threads-10");
    let at = renewals[0].outcome.clone().expect("Threads renewed it");
    assert!((at - now - 60 * 86_400).abs() < 60, "60 days from now: {}", at - now);
    let facts = env.accounts().cached_facts(&soon).expect("facts").expect("kept");
    assert_eq!(facts["token_expires_at"], at, "the account shows the new expiry");
    let secret = env.accounts().secret_of(&soon).await.expect("secret");
    assert_ne!(secret.expose(), SANDBOX_THREADS_TOKEN, "the new token is kept");
    let ids = env.post("Still here after the renewal", vec![], &[&soon]);
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent, "{:?}", env.delivery(ids[0]).last_error);

    // Renewed now, so not again until it nears its end once more.
    assert!(env.accounts().renew_sign_ins().await.expect("nothing to do").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_renewal_says_to_log_in_again_and_an_ended_sign_in_is_left_alone() {
    let link = |env: &Env, days: i64| NewAccount {
        name: Some(format!("threads-{days}")),
        credentials: Credentials::new(fanout_core::model::NetworkKind::Threads)
            .text("api", format!("{}/threads", env.sandbox.url()))
            .secret("token", Secret::new(SANDBOX_THREADS_TOKEN))
            .text("expires_at", (env.clock.now().0 / 1000 + days * 86_400).to_string()),
        enabled: true,
        demo: true,
    };
    let env = env("{}").await;
    let near = env.accounts().add(link(&env, 5)).await.expect("linked");
    env.sandbox.revoke_token(SANDBOX_THREADS_TOKEN);
    let renewals = env.accounts().renew_sign_ins().await.expect("ran");
    assert_eq!(renewals.len(), 1, "{renewals:?}");
    let why = renewals[0].outcome.clone().expect_err("refused");
    assert!(why.contains("log in with Threads again") && !why.contains(SANDBOX_THREADS_TOKEN), "{why}");
    let secret = env.accounts().secret_of(&near).await.expect("secret");
    assert_eq!(secret.expose(), SANDBOX_THREADS_TOKEN, "nothing replaced on a refusal");

    let ended = super::env("{}").await;
    ended.accounts().add(link(&ended, -1)).await.expect("linked though ended");
    assert!(ended.accounts().renew_sign_ins().await.expect("ran").is_empty(), "an ended sign-in cannot be renewed");
    assert!(ended.requests("GET /threads/refresh_access_token").is_empty());
}
