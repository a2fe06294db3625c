//! Instagram against the sandbox's container flow: media staged on the linked Page and fetched by
//! the sandbox as Instagram would, every post kind, a refused carousel item stopping everything
//! before any publish, the daily quota, and lost publish answers settled by the container status.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, FailureKind, Health};
use fanout_core::post::Draft;
use fanout_core::secrets::{Secret, SecretStore};
use fanout_sandbox::{SANDBOX_INSTAGRAM, SANDBOX_USER_TOKEN, page_token};

use super::common::instagram::bakery;
use super::{Env, env};

const CONTAINERS: &str = "POST /graph/{version}/{id}/media";
const PUBLISH: &str = "POST /graph/{version}/{id}/media_publish";

impl Env {
    async fn instagram(&self, (user, page): (&str, &str), token: &str) -> fanout_core::Result<Account> {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::Instagram)
                    .text("graph", format!("{}/graph", self.sandbox.url()))
                    .text("user_id", user)
                    .text("page_id", page)
                    .secret("token", Secret::new(token)),
                enabled: true,
                demo: true,
            })
            .await
    }

    async fn bakery_instagram(&self) -> Account {
        self.instagram(bakery(), &page_token(bakery().1)).await.expect("link the sandbox's Instagram account")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_checks_the_page_is_linked_and_keeps_the_pages_token() {
    let env = env("{}").await;
    let account = env.instagram(bakery(), SANDBOX_USER_TOKEN).await.expect("linked with the user's token");
    assert_eq!(account.name, "Instagram: @fanout.bakery");
    let kept = env.secrets.get(&account.secret_key()).expect("read").expect("stored");
    assert_eq!(kept.expose(), page_token(bakery().1), "the Page's token publishes for both");
    let url = env.accounts().page_url(&account.name).expect("url").expect("a profile");
    assert!(url.ends_with("/instagram/fanout.bakery"), "{url}");

    let other_page = SANDBOX_INSTAGRAM[1].2;
    let wrong = env.instagram((bakery().0, other_page), SANDBOX_USER_TOKEN).await.expect_err("not linked");
    assert!(wrong.to_string().contains("not linked"), "says what to fix: {wrong}");
    let bad = env.instagram(("@bakery", bakery().1), SANDBOX_USER_TOKEN).await.expect_err("not an id");
    assert!(bad.to_string().contains("Instagram user id"), "{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_instagram_post_is_published_once_and_the_staged_files_removed() {
    let env = env("{}").await;
    let ig = env.bakery_instagram().await;
    assert!(
        env.accounts().picture(ig.id).expect("read").is_some(),
        "the profile picture Instagram names (profile_picture_url) is kept"
    );
    let image = env.enqueue(&Draft {
        text: "A loaf".into(),
        media: vec![env.photo()],
        targets: vec![ig.name.clone()],
        first_comments: vec![(ig.name.clone(), "More at the shop #sourdough".into())],
        ..Draft::default()
    });
    let reel = env.post("The oven at work", vec![env.video()], &[&ig]);
    let carousel = env.post("Three loaves", vec![env.photo(), env.photo(), env.photo()], &[&ig]);
    let story = env.enqueue(&Draft {
        media: vec![env.photo()],
        targets: vec![ig.name.clone()],
        story: true,
        ..Draft::default()
    });
    let story_video = env.enqueue(&Draft {
        media: vec![env.video()],
        targets: vec![ig.name.clone()],
        story: true,
        ..Draft::default()
    });
    let all: Vec<_> = [&image, &reel, &carousel, &story, &story_video].iter().flat_map(|i| i.iter().copied()).collect();
    env.deliver(&all).await;

    let state = env.sandbox.state();
    let kinds: Vec<&str> = state.instagram_media.iter().map(|m| m.media_type.as_str()).collect();
    assert_eq!(kinds.len(), 5, "each post published once: {kinds:?}");
    for kind in ["IMAGE", "REELS", "CAROUSEL", "STORIES"] {
        assert!(kinds.contains(&kind), "a {kind} was published: {kinds:?}");
    }
    let carousel_post = state.instagram_media.iter().find(|m| m.media_type == "CAROUSEL").expect("carousel");
    assert_eq!((carousel_post.children, carousel_post.caption.as_str()), (3, "Three loaves"));
    let image_post = state.instagram_media.iter().find(|m| m.media_type == "IMAGE").expect("image");
    assert_eq!(image_post.comments, ["More at the shop #sourdough"], "the first comment, under its post only");
    assert!(carousel_post.comments.is_empty());
    assert_eq!(env.requests(PUBLISH).len(), 5, "one publish request per post");
    let staged: Vec<_> = state.graph_objects.iter().filter(|o| o.kind == "photo" || o.kind == "video").collect();
    assert_eq!(staged.len(), 7, "every file was staged on the Page once");
    assert!(staged.iter().all(|o| o.deleted && !o.published), "and removed after publishing, never shown on the Page");
    let fetches = env.requests("GET /cdn/{id}").len();
    assert_eq!(fetches, 7, "Instagram fetched each staged file");

    let url = env.delivery(image[0]).remote_url.expect("a permalink");
    let html = env.http.get(&url).send().await.expect("opens").text().await.expect("page");
    assert!(html.contains("A loaf"), "the permalink shows the post: {url}");
    for id in &all {
        assert_eq!(env.delivery(*id).state, DeliveryState::Sent, "{:?}", env.delivery(*id).last_error);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carousel_whose_third_image_is_refused_fails_with_that_reason_before_any_publish() {
    let plan = format!(
        r#"{{"routes": {{"{CONTAINERS}": {{"faults": [{{"pass": true, "times": 2}},
             {{"status": 400, "code": 36003, "subcode": 2207009}}]}}}}}}"#
    );
    let env = env(&plan).await;
    let ig = env.bakery_instagram().await;
    let ids = env.post("Three loaves", vec![env.photo(), env.photo(), env.photo()], &[&ig]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::NeedsAttention);
    let error = d.last_error.expect("a reason");
    assert_eq!(error.kind, FailureKind::Rejected);
    assert!(error.message.contains("item 3 of 3") && error.message.contains("aspect ratio"), "{}", error.message);
    assert!(env.requests(PUBLISH).is_empty(), "nothing was published");
    assert!(env.sandbox.state().instagram_media.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_daily_quota_waits_instead_of_publishing() {
    let env = env("{}").await;
    let ig = env.bakery_instagram().await;
    env.sandbox.set_instagram_quota(bakery().0, 0);
    let started = env.clock.now();
    let ids = env.post("Over the limit", vec![env.photo()], &[&ig]);
    env.run_worker(fanout_core::worker::StopWhen::Idle).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::RetryWait, "{:?}", d.last_error);
    assert!(d.last_error.expect("why").message.contains("0 of 0 posts in 24 hours"));
    assert!(env.requests(PUBLISH).is_empty(), "the quota is read before publishing");
    let account = env.accounts().find(&ig.name).expect("account");
    assert_eq!(account.health, Health::RateLimited);
    assert!(started.until(account.paused_until.expect("paused")) >= Duration::from_secs(3500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_publish_answer_is_settled_by_the_container_status() {
    let plan = format!(r#"{{"routes": {{"{PUBLISH}": {{"faults": [{{"close": "after"}}, {{"close": "before"}}]}}}}}}"#);
    let env = env(&plan).await;
    let ig = env.bakery_instagram().await;
    let made = env.enqueue(&Draft {
        text: "Published, answer lost".into(),
        media: vec![env.photo()],
        targets: vec![ig.name.clone()],
        first_comments: vec![(ig.name.clone(), "#bread #bakery".into())],
        ..Draft::default()
    });
    env.deliver(&made).await;
    let d = env.delivery(made[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    assert!(d.remote_url.is_some_and(|u| u.contains("/instagram/p/")), "its permalink is found");
    assert_eq!(env.sandbox.state().instagram_media.len(), 1);
    assert_eq!(env.requests(PUBLISH).len(), 1, "PUBLISHED: never asked again");
    let comments = env.sandbox.state().instagram_media[0].comments.clone();
    assert_eq!(comments, ["#bread #bakery"], "the first comment is added after the settled publish, once");

    let lost = env.post("Never arrived", vec![env.photo()], &[&ig]);
    env.deliver(&lost).await;
    assert_eq!(env.delivery(lost[0]).state, DeliveryState::Sent);
    let state = env.sandbox.state();
    assert_eq!(state.instagram_media.len(), 2, "FINISHED: published again, once");
    assert_eq!(state.instagram_containers.len(), 2, "with the container it already had");
}
