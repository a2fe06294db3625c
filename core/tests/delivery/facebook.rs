//! Facebook Pages against the sandbox's Graph API: every post kind with its permalink, linking
//! with a user token, unclear publishes reconciled, an expired token in the middle of a batch,
//! and throttling that pauses only the throttled Page.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryId, DeliveryState, FailureKind, Health};
use fanout_core::post::Draft;
use fanout_core::secrets::{Secret, SecretStore};
use fanout_core::worker::StopWhen;
use fanout_sandbox::{SANDBOX_PAGES, SANDBOX_USER_TOKEN, page_token};

use super::{Env, env};

const FEED: &str = "POST /graph/{version}/{id}/feed";
const PHOTOS: &str = "POST /graph/{version}/{id}/photos";

fn bakery() -> &'static str {
    SANDBOX_PAGES[0].0
}

fn books() -> &'static str {
    SANDBOX_PAGES[1].0
}

impl Env {
    async fn facebook(&self, page: &str, token: &str) -> Account {
        self.try_facebook(page, token).await.expect("link a sandbox Facebook Page")
    }

    async fn try_facebook(&self, page: &str, token: &str) -> fanout_core::Result<Account> {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::Facebook)
                    .text("graph", format!("{}/graph", self.sandbox.url()))
                    .text("page_id", page)
                    .secret("token", Secret::new(token)),
                enabled: true,
                demo: true,
            })
            .await
    }

    /// Runs a worker until nothing is due (a paused account's deliveries are not).
    async fn deliver_until_idle(&self) {
        self.run_worker(StopWhen::Idle).await;
    }

    fn sent_url(&self, id: DeliveryId) -> String {
        let d = self.delivery(id);
        assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
        d.remote_url.expect("a permalink is recorded")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_with_a_user_token_keeps_the_pages_own_token_and_nothing_else() {
    let env = env("{}").await;
    let page = env.facebook(bakery(), SANDBOX_USER_TOKEN).await;
    assert_eq!(page.name, "Facebook: Fanout Bakery");
    assert_eq!(page.remote_id.as_deref(), Some(bakery()));
    assert!(env.accounts().picture(page.id).expect("read").is_some(), "the Page's picture (its picture edge) is kept");
    let kept = env.secrets.get(&page.secret_key()).expect("read").expect("stored");
    assert_eq!(kept.expose(), page_token(bakery()), "the Page's own token is what posts as the Page");
    let db = std::fs::read(env.dir.path().join("fanout.db")).expect("read the database");
    for token in [SANDBOX_USER_TOKEN.to_owned(), page_token(bakery())] {
        assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "no token in the database");
    }
    let url = env.accounts().page_url(&page.name).expect("page url").expect("a page");
    assert!(url.ends_with(&format!("/facebook/{}", bakery())), "{url}");

    let wrong = env.try_facebook("999", SANDBOX_USER_TOKEN).await.expect_err("no such Page");
    assert!(wrong.to_string().contains("999"), "the error names the Page: {wrong}");
    let bad = env.try_facebook("12ab", SANDBOX_USER_TOKEN).await.expect_err("not an id");
    assert!(bad.to_string().contains("Page id"), "{bad}");
    let refused = env.try_facebook(bakery(), "not-a-token").await.expect_err("bad token");
    assert!(refused.to_string().contains("reconnect") || refused.to_string().contains("token"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_page_post_is_delivered_with_its_permalink() {
    let env = env("{}").await;
    let page = env.facebook(bakery(), &page_token(bakery())).await;
    let text = env.post("Fresh bread today https://bakery.example/menu.", vec![], &[&page]);
    let photo = env.post("One loaf", vec![env.photo()], &[&page]);
    let three = env.post("Three loaves", vec![env.photo(), env.photo(), env.photo()], &[&page]);
    let video = env.post("The oven at work", vec![env.video()], &[&page]);
    let story_photo = env.enqueue(&Draft {
        media: vec![env.photo()],
        targets: vec![page.name.clone()],
        story: true,
        ..Draft::default()
    });
    let story_video = env.enqueue(&Draft {
        media: vec![env.video()],
        targets: vec![page.name.clone()],
        story: true,
        ..Draft::default()
    });
    let all: Vec<DeliveryId> = [&text, &photo, &three, &video, &story_photo, &story_video]
        .iter()
        .flat_map(|ids| ids.iter().copied())
        .collect();
    env.deliver(&all).await;

    let objects = env.sandbox.state().graph_objects;
    let posts: Vec<_> = objects.iter().filter(|o| o.kind == "post").collect();
    assert_eq!(posts.len(), 3, "text, photo and three-photo posts: {posts:#?}");
    assert_eq!(posts[0].link.as_deref(), Some("https://bakery.example/menu"), "the link gets its preview");
    assert_eq!(posts[1].media.len(), 1);
    assert_eq!(posts[2].media.len(), 3, "the three photos are attached to one post");
    let photos: Vec<_> = objects.iter().filter(|o| o.kind == "photo").collect();
    assert_eq!(photos.len(), 5, "1 + 3 + the story's");
    assert!(photos.iter().all(|p| p.content_type.is_some()), "real image bytes arrived");
    let stories: Vec<_> = objects.iter().filter(|o| o.kind == "story").collect();
    assert_eq!(stories.len(), 2);
    let videos: Vec<_> = objects.iter().filter(|o| o.kind == "video").collect();
    assert_eq!(videos.len(), 2, "the feed video and the story's");
    assert_eq!(videos[0].message, "The oven at work");

    let url = env.sent_url(text[0]);
    let html = env.http.get(&url).send().await.expect("permalink opens").text().await.expect("page");
    assert!(html.contains("Fresh bread today"), "the permalink shows the post: {url}");
    for id in [photo[0], three[0], video[0], story_photo[0], story_video[0]] {
        env.sent_url(id);
    }
    let uploads = env.requests(PHOTOS);
    assert_eq!(uploads.len(), 5, "each photo uploaded once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_publish_answer_is_found_on_the_page_and_never_posted_twice() {
    let plan = format!(r#"{{"routes": {{"{FEED}": {{"faults": [{{"close": "after"}}, {{"close": "before"}}]}}}}}}"#);
    let env = env(&plan).await;
    let page = env.facebook(bakery(), &page_token(bakery())).await;
    let made = env.post("Made, but the answer was lost", vec![], &[&page]);
    env.deliver(&made).await;
    env.sent_url(made[0]);
    let posts = env.sandbox.state().graph_objects.into_iter().filter(|o| o.kind == "post").count();
    assert_eq!(posts, 1, "reconciled from the Page's posts, not published again");
    assert_eq!(env.requests(FEED).len(), 1);

    let lost = env.post("Never arrived", vec![env.photo(), env.photo()], &[&page]);
    env.deliver(&lost).await;
    env.sent_url(lost[0]);
    let state = env.sandbox.state().graph_objects;
    assert_eq!(state.iter().filter(|o| o.kind == "post").count(), 2, "not found, so published again: once");
    assert_eq!(state.iter().filter(|o| o.kind == "photo").count(), 2, "the photos' ids were kept, not re-uploaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclear_publish_error_is_reconciled_before_anything_is_published_again() {
    let plan = format!(r#"{{"routes": {{"{FEED}": {{"faults": [{{"status": 500, "code": 2}}]}}}}}}"#);
    let env = env(&plan).await;
    let page = env.facebook(bakery(), &page_token(bakery())).await;
    let ids = env.post("Code 2 on publish", vec![], &[&page]);
    env.deliver(&ids).await;
    env.sent_url(ids[0]);
    let reconciles = env.requests("GET /graph/{version}/{id}/published_posts").len();
    assert!(reconciles >= 1, "the Page's posts were read before publishing again");
    assert_eq!(env.sandbox.state().graph_objects.iter().filter(|o| o.kind == "post").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_mid_batch_stops_only_that_page_until_it_is_reconnected() {
    let env = env("{}").await;
    let a = env.facebook(bakery(), &page_token(bakery())).await;
    let b = env.facebook(books(), &page_token(books())).await;
    let first = env.post("first", vec![], &[&a, &b]);
    env.deliver(&first).await;
    env.sent_url(first[0]);
    env.sandbox.expire_graph_token(&page_token(bakery()));
    let second = env.post("second", vec![], &[&a, &b]);
    let third = env.post("third", vec![], &[&a, &b]);
    let rest: Vec<DeliveryId> = second.iter().chain(&third).copied().collect();
    env.deliver(&rest).await;

    let refused = env.delivery(second[0]);
    assert_eq!(refused.state, DeliveryState::NeedsAttention);
    let error = refused.last_error.expect("a reason");
    assert_eq!(error.kind, FailureKind::Unauthorized);
    assert!(error.message.contains("expired") && error.message.contains("reconnect"), "{}", error.message);
    assert_eq!(env.delivery(third[0]).state, DeliveryState::Queued, "nothing else of that Page is attempted");
    assert_eq!(env.accounts().find(&a.name).expect("a").health, Health::NeedsReconnect);
    env.sent_url(second[1]);
    env.sent_url(third[1]);
    let bakery_posts = |env: &Env| {
        env.sandbox.state().graph_objects.iter().filter(|o| o.kind == "post" && o.page_id == bakery()).count()
    };
    assert_eq!(bakery_posts(&env), 1);

    env.secrets.set(&a.secret_key(), &Secret::new(SANDBOX_USER_TOKEN)).expect("a fresh token");
    env.accounts().verify(&a.name).await.expect("the new token works");
    env.deliver(&rest).await;
    env.sent_url(second[0]);
    env.sent_url(third[0]);
    assert_eq!(bakery_posts(&env), 3, "each post once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_codes_pause_only_the_throttled_page_until_metas_hint() {
    for code in [4, 17, 32, 613, 80_001] {
        let plan = format!(
            r#"{{"routes": {{"{FEED}": {{"faults": [{{"status": 400, "code": {code}, "retry_after": 180}}]}}}}}}"#
        );
        let env = env(&plan).await;
        let a = env.facebook(bakery(), &page_token(bakery())).await;
        let b = env.facebook(books(), &page_token(books())).await;
        let started = env.clock.now();
        // One at a time, so the throttled answer is certainly the first Page's.
        let first = env.post("throttled", vec![], &[&a]);
        env.deliver_until_idle().await;
        let other = env.post("not throttled", vec![], &[&b]);
        env.deliver_until_idle().await;
        let waiting = env.delivery(first[0]);
        assert_eq!(waiting.state, DeliveryState::RetryWait, "code {code}: {:?}", waiting.last_error);
        assert_eq!(waiting.last_error.expect("why").kind, FailureKind::RateLimited);
        let paused = env.accounts().find(&a.name).expect("a");
        assert_eq!(paused.health, Health::RateLimited);
        let until = paused.paused_until.expect("paused");
        let wait = started.until(until);
        assert!(
            wait >= Duration::from_secs(170) && wait <= Duration::from_secs(200),
            "code {code}: 3 minutes, not {wait:?}"
        );
        assert!(waiting.next_attempt_at.0 >= until.0 - 1000, "the retry waits for the hint");
        env.sent_url(other[0]);
        assert_eq!(env.accounts().find(&b.name).expect("b").paused_until, None, "the other Page goes on");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_usage_budget_pauses_the_page_and_a_nearly_spent_one_slows_it() {
    let env = env("{}").await;
    let a = env.facebook(bakery(), &page_token(bakery())).await;
    let started = env.clock.now();
    env.sandbox.set_graph_usage(bakery(), 100, 7);
    let ids = env.post("over budget", vec![], &[&a]);
    env.deliver_until_idle().await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::RetryWait, "{:?}", d.last_error);
    let until = env.accounts().find(&a.name).expect("a").paused_until.expect("paused");
    let wait = started.until(until);
    assert!(wait >= Duration::from_secs(7 * 60 - 5) && wait <= Duration::from_secs(7 * 60 + 30), "{wait:?}");

    let env = super::env("{}").await;
    let a = env.facebook(bakery(), &page_token(bakery())).await;
    env.sandbox.set_graph_usage(bakery(), 95, 0);
    let started = env.clock.now();
    let ids = env.post("nearly over budget", vec![], &[&a]);
    env.deliver_until_idle().await;
    env.sent_url(ids[0]);
    let until = env.accounts().find(&a.name).expect("a").paused_until.expect("slowed down");
    assert!(started.until(until) >= Duration::from_secs(4 * 60), "the next delivery waits a few minutes");
}
