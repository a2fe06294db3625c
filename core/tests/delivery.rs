//! The worker and the networks against the sandbox over real HTTP on loopback: every step, every
//! fault kind, and the promise that nothing is lost and nothing is published twice. Everything here
//! runs in-process; the tests that start a real server (a PDS, Synapse, moto) are in `servers.rs`.

use std::path::PathBuf;
use std::time::Duration;

use fanout_core::model::{Account, DeliveryState, FailureKind, Health};
use fanout_core::networks::Registry;
use fanout_core::outbox::RetryPolicy;
use fanout_core::post::{self, Draft};
use fanout_core::secrets::{Secret, SecretStore};

mod common;
use common::{Env, env, env_from, env_with, fast_policy};

#[path = "delivery/bluesky_sandbox.rs"]
mod bluesky_sandbox;
#[path = "delivery/chats.rs"]
mod chats;
#[path = "delivery/edit.rs"]
mod edit;
#[path = "delivery/facebook.rs"]
mod facebook;
#[path = "delivery/instagram.rs"]
mod instagram;
#[path = "delivery/local_faults.rs"]
mod local_faults;
#[path = "delivery/mastodon_login.rs"]
mod mastodon_login;
#[path = "delivery/matrix_sandbox.rs"]
mod matrix_sandbox;
#[path = "delivery/nostr.rs"]
mod nostr;
#[path = "delivery/order.rs"]
mod order;
#[path = "delivery/queue.rs"]
mod queue;
#[path = "delivery/telegram.rs"]
mod telegram;
#[path = "delivery/threads.rs"]
mod threads;
#[path = "delivery/whatsapp.rs"]
mod whatsapp;

const STATUSES: &str = "POST /api/v1/statuses";
const WEBHOOK: &str = "POST /api/webhooks/{id}/{token}";

impl Env {
    fn requests(&self, route: &str) -> Vec<fanout_sandbox::RequestRecord> {
        self.sandbox.requests().into_iter().filter(|r| r.route == route).collect()
    }
}

/// The demo is the sandbox's list of accounts, linked through each network's own fields and
/// checks: every one of them links and takes a post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_account_the_sandbox_serves_links_through_its_networks_fields_and_takes_a_post() {
    let env = env("{}").await;
    let accounts = env.accounts();
    let demos = fanout_sandbox::demo_accounts(&env.sandbox.url());
    assert!(demos.iter().any(|d| d.starter) && demos.iter().any(|d| !d.starter), "a first demo, and more on request");
    let mut linked = Vec::new();
    for demo in demos {
        let credentials =
            env.registry.credentials(demo.network, demo.values).unwrap_or_else(|e| panic!("{}: {e}", demo.name));
        let new =
            fanout_core::accounts::NewAccount { name: Some(demo.name.into()), credentials, enabled: true, demo: true };
        linked.push(accounts.add(new).await.unwrap_or_else(|e| panic!("{} links: {e}", demo.name)));
    }
    assert!(linked.len() >= 9, "{} demo accounts", linked.len());
    let targets: Vec<&Account> = linked.iter().collect();
    let ids = env.post("Fresh bread at nine, for every demo account", vec![], &targets);
    env.deliver(&ids).await;
    for id in ids {
        let delivery = env.delivery(id);
        assert_eq!(delivery.state, DeliveryState::Sent, "{:?}", delivery.last_error);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_target_gets_its_own_text_and_the_photo_carries_its_alt_text() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 111, "hook-d").await;
    let draft = Draft {
        text: "The long version, for Mastodon".into(),
        media: vec![env.photo()],
        media_details: vec![post::MediaDetail {
            alt_text: Some("  A green hill under a yellow sun  ".into()),
            focus: fanout_core::media::Focus::new(0.2, 0.8),
            name: None,
        }],
        targets: vec![m.name.clone(), d.name.clone()],
        texts: vec![(d.id.to_string(), "Short, for the team".into())],
        ..Draft::default()
    };
    let ids = env.enqueue(&draft);
    env.deliver(&ids).await;
    let state = env.sandbox.state();
    assert_eq!(state.mastodon_statuses[0].text, "The long version, for Mastodon", "Mastodon gets the post's text");
    assert_eq!(state.discord_messages[0].content, "Short, for the team", "Discord gets its own text");
    assert_eq!(
        state.mastodon_media[0].description.as_deref(),
        Some("A green hill under a yellow sun"),
        "the alt text goes with the upload, trimmed"
    );
    let post_id = env.delivery(ids[0]).post_id;
    let kept =
        env.outbox().store().read(|tx| fanout_core::store::posts::get(tx, post_id)).expect("read").expect("post");
    assert_eq!(kept.media[0].focus, fanout_core::media::Focus::new(0.2, 0.8), "the focus point is kept with the post");
    assert_eq!(kept.text_for(m.id), "The long version, for Mastodon");
    assert_eq!(kept.text_for(d.id), "Short, for the team", "a restart still knows each target's text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_post_goes_to_a_network_without_stories_as_an_ordinary_post_never_cropped_to_nine_by_sixteen() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let draft = Draft {
        text: "Story time".into(),
        media: vec![env.photo()],
        targets: vec![m.name.clone()],
        story: true,
        ..Draft::default()
    };
    let review =
        post::review(&env.outbox(), &Registry::default(), &env.variants(), &draft, env.clock.now()).expect("review");
    let Some(fanout_core::plan::PlannedFile::Image { variant, .. }) = review.plans[0].1.files.first() else {
        panic!("the photo is planned as an image: {:?}", review.plans[0].1);
    };
    let (w, h) = image::image_dimensions(env.photo()).expect("the demo photo");
    let (source, planned) = (f64::from(w) / f64::from(h), f64::from(variant.width) / f64::from(variant.height));
    assert!(
        (planned - source).abs() < 0.01,
        "{}×{} keeps the photo's own shape ({w}×{h})",
        variant.width,
        variant.height
    );
    assert!((planned - 9.0 / 16.0).abs() > 0.05, "Mastodon has no stories: nothing is made 9:16");
    let ids = env.enqueue(&draft);
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent);
    assert_eq!(env.sandbox.state().mastodon_statuses[0].text, "Story time", "an ordinary post carries the text");
    let post_id = env.delivery(ids[0]).post_id;
    let kept =
        env.outbox().store().read(|tx| fanout_core::store::posts::get(tx, post_id)).expect("read").expect("post");
    assert!(kept.story, "the worker knows it is a story after a restart");
    let sent = env.requests("POST /api/v2/media");
    assert_eq!(sent.len(), 1, "one upload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_with_a_photo_reaches_mastodon_and_discord_once_each() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 111, "hook-d").await;
    let ids = env.post("Hello from the test", vec![env.photo()], &[&m, &d]);
    env.deliver(&ids).await;

    for id in &ids {
        let delivery = env.delivery(*id);
        assert_eq!(delivery.state, DeliveryState::Sent, "delivery {id}: {:?}", delivery.last_error);
        assert!(delivery.remote_id.is_some(), "a sent delivery records the remote id");
    }
    let state = env.sandbox.state();
    assert_eq!(state.mastodon_statuses.len(), 1, "one status");
    assert_eq!(state.mastodon_statuses[0].media_ids.len(), 1, "with the photo attached");
    assert_eq!(
        state.mastodon_statuses[0].idempotency_key.as_deref(),
        Some(ids[0].to_string().as_str()),
        "keyed by the delivery id"
    );
    assert_eq!(state.discord_messages.len(), 1, "one Discord message");
    assert_eq!(
        state.discord_messages[0].attachments,
        vec!["photo.jpg".to_owned()],
        "with the photo, fitted (a smaller JPEG than the PNG)"
    );
    assert_eq!(env.requests("POST /api/v2/media").len(), 1, "the photo is uploaded once");
    assert!(!env.requests("GET /api/v1/media/{id}").is_empty(), "the 202 upload is polled until processed");
    let sent = env.delivery(ids[0]);
    assert!(sent.remote_url.as_deref().is_some_and(|u| u.starts_with("http://127.0.0.1")), "the permalink is kept");
    // Where a person checks by eye: the account's page and the channel show the post.
    for account in [&m, &d] {
        let page = env.accounts().page_url(&account.name).expect("page").expect("each network has a page");
        let html = reqwest::get(&page).await.expect("get").text().await.expect("text");
        assert!(html.contains("Hello from the test"), "{page} shows the post: {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_retry_after_is_honoured() {
    let env =
        env(&format!(r#"{{"routes": {{"{STATUSES}": {{"faults": [{{"status": 429, "retry_after": 2}}]}}}}}}"#)).await;
    let m = env.mastodon("m", "token-m").await;
    let ids = env.post("rate limited", vec![], &[&m]);
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent);
    let attempts = env.requests(STATUSES);
    assert_eq!(attempts.len(), 2, "one refused attempt, one that went through");
    let gap = attempts[1].at_ms - attempts[0].at_ms;
    assert!(gap >= 2000, "the second attempt came {gap} ms after the first: before the 2 s Retry-After");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_storm_backs_off_with_jitter_then_fails_with_the_last_error() {
    let policy = RetryPolicy {
        base: Duration::from_millis(200),
        cap: Duration::from_secs(5),
        max_attempts: 5,
        reconcile_after: Duration::from_millis(100),
    };
    let env = env_with(
        &format!(r#"{{"routes": {{"{STATUSES}": {{"faults": [{{"status": 503, "times": 1000}}]}}}}}}"#),
        policy,
        Duration::from_secs(5),
    )
    .await;
    let m = env.mastodon("m", "token-m").await;
    let ids = env.post("storm", vec![], &[&m]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Failed, "the retry budget of 5 is spent");
    let error = d.last_error.expect("the last error is kept");
    assert!(
        error.message.contains("503") && error.message.contains("5 attempts"),
        "says what and how often: {}",
        error.message
    );
    let attempts = env.requests(STATUSES);
    assert_eq!(attempts.len(), 5, "exactly the budget of attempts");
    let gaps: Vec<u64> = attempts.windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect();
    for (i, gap) in gaps.iter().enumerate() {
        let ceiling = 200u64 << i;
        assert!(*gap <= ceiling + 400, "wait {i} was {gap} ms, above its backoff ceiling {ceiling} ms: {gaps:?}");
    }
    assert!(env.sandbox.state().mastodon_statuses.is_empty(), "nothing was posted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_times_out_and_the_post_is_made_exactly_once() {
    let env = env_with(
        &format!(r#"{{"routes": {{"{STATUSES}": {{"faults": [{{"hang": true}}]}}, "POST /api/v2/media": {{"faults": [{{"hang": true}}]}}}}}}"#),
        fast_policy(),
        Duration::from_secs(1),
    )
    .await;
    let m = env.mastodon("m", "token-m").await;
    let ids = env.post("hung", vec![env.photo()], &[&m]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    assert_eq!(env.requests("POST /api/v2/media").len(), 2, "the hung upload timed out and was retried");
    let publishes = env.requests(STATUSES);
    assert_eq!(publishes.len(), 2, "the hung publish was followed by one reconciling request");
    assert!(publishes.iter().all(|r| r.idempotency_key == Some(ids[0].to_string())), "both with the same key");
    assert_eq!(env.sandbox.state().mastodon_statuses.len(), 1, "one status, never two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_lost_after_the_post_was_made_is_reconciled_never_reposted() {
    let plan = format!(
        r#"{{"routes": {{"{STATUSES}": {{"faults": [{{"close": "after"}}]}}, "{WEBHOOK}": {{"faults": [{{"close": "after"}}]}}}}}}"#
    );
    let env = env(&plan).await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 222, "hook-d").await;
    let ids = env.post("lost answer", vec![], &[&m, &d]);
    env.deliver(&ids).await;

    let mastodon = env.delivery(ids[0]);
    assert_eq!(mastodon.state, DeliveryState::Sent, "Mastodon's idempotency key settles it: {:?}", mastodon.last_error);
    assert_eq!(env.sandbox.state().mastodon_statuses.len(), 1, "the status exists once");

    let discord = env.delivery(ids[1]);
    assert_eq!(discord.state, DeliveryState::Unconfirmed, "Discord cannot be asked: the user decides");
    let error = discord.last_error.expect("the reason is shown");
    assert_eq!(error.kind, FailureKind::OutcomeUnknown);
    assert!(!error.message.contains("fanout"), "core words it without the CLI's commands: {}", error.message);
    assert_eq!(env.requests(WEBHOOK).len(), 1, "no blind resend to Discord");
    assert_eq!(env.sandbox.state().discord_messages.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_truncated_answers_are_classified_not_panics() {
    let plan = format!(
        r#"{{"routes": {{"{STATUSES}": {{"faults": [{{"malformed": true}}, {{"truncate": true}}]}},
             "POST /api/v2/media": {{"faults": [{{"malformed": true}}]}},
             "{WEBHOOK}": {{"faults": [{{"truncate": true}}]}}}}}}"#
    );
    let env = env(&plan).await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 333, "hook-d").await;
    let first = env.post("malformed one", vec![env.photo()], &[&m, &d]);
    env.deliver(&first).await;
    assert_eq!(env.delivery(first[0]).state, DeliveryState::Sent, "{:?}", env.delivery(first[0]).last_error);
    let statuses = env.sandbox.state().mastodon_statuses;
    assert_eq!(statuses.len(), 1, "a malformed then a truncated answer still make one status");
    assert_eq!(env.requests(STATUSES).len(), 3, "the original request and two reconciling repeats");
    assert_eq!(env.requests("POST /api/v2/media").len(), 2, "a malformed upload answer is retried");
    let discord = env.delivery(first[1]);
    assert_eq!(discord.state, DeliveryState::Unconfirmed, "a cut-off Discord answer leaves the outcome open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_pauses_its_account_while_others_go_on_until_reconnected() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-soon-revoked").await;
    let d = env.discord("d", 444, "hook-d").await;
    env.sandbox.revoke_token("token-soon-revoked");
    let first = env.post("first", vec![], &[&m, &d]);
    let second = env.post("second", vec![], &[&m, &d]);
    let all: Vec<_> = first.iter().chain(&second).copied().collect();
    env.deliver(&all).await;

    let refused = env.delivery(first[0]);
    assert_eq!(refused.state, DeliveryState::NeedsAttention);
    assert!(refused.last_error.as_ref().is_some_and(|e| e.message.contains("reconnect")), "tells the user what to do");
    assert_eq!(env.delivery(second[0]).state, DeliveryState::Queued, "the account's next delivery waits, untried");
    assert_eq!(env.delivery(first[1]).state, DeliveryState::Sent, "the other account's deliveries go on");
    assert_eq!(env.delivery(second[1]).state, DeliveryState::Sent);
    let account = env.accounts().find("m").expect("account");
    assert_eq!(account.health, Health::NeedsReconnect);
    assert_eq!(env.requests(STATUSES).len(), 1, "a refused token is not tried again by itself");

    env.secrets.set(&account.secret_key(), &Secret::new("token-fresh")).expect("new token");
    let fixed = env.accounts().verify("m").await.expect("the new token works");
    assert_eq!(fixed.health, Health::Ok);
    env.deliver(&all).await;
    assert_eq!(env.delivery(first[0]).state, DeliveryState::Sent, "reconnecting requeues what stopped for it");
    assert_eq!(env.delivery(second[0]).state, DeliveryState::Sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_to_different_accounts_are_in_flight_together() {
    let env = env(r#"{"routes": {"*": {"latency_ms": 300}}}"#).await;
    let mut targets = Vec::new();
    for i in 0..8 {
        targets.push(env.discord(&format!("d{i}"), 500 + i, &format!("hook-{i}")).await);
    }
    env.sandbox.clear_requests();
    let refs: Vec<&Account> = targets.iter().collect();
    let ids = env.post("fan out", vec![], &refs);
    env.deliver(&ids).await;
    assert!(ids.iter().all(|id| env.delivery(*id).state == DeliveryState::Sent));
    let arrivals: Vec<u64> = env.requests(WEBHOOK).iter().map(|r| r.at_ms).collect();
    assert_eq!(arrivals.len(), 8);
    let spread = arrivals.iter().max().unwrap_or(&0) - arrivals.iter().min().unwrap_or(&0);
    // Each answer takes 300 ms: one after another, the last request would come 2.1 s after the first.
    assert!(spread < 300, "all eight requests should be in flight together; they arrived over {spread} ms");
}

/// A repeat is found however many posts went to the account after it within the week (the check
/// once looked at the 50 newest only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_is_asked_about_however_many_posts_came_after_it_in_the_week() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    env.post("Sourdough is back", vec![], &[&m]);
    for n in 0..60 {
        env.post(&format!("Today's special, number {n}"), vec![], &[&m]);
    }
    let draft = Draft { text: "Sourdough  is back".into(), targets: vec![m.name.clone()], ..Draft::default() };
    let review =
        post::review(&env.outbox(), &Registry::default(), &env.variants(), &draft, env.clock.now()).expect("reviewed");
    let codes: Vec<&str> = review.problems.iter().map(|p| p.code()).collect();
    assert_eq!(codes, ["duplicate"], "the repeat under 60 newer posts is still seen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_post_to_the_same_account_within_a_week_asks_first() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 7, "hook-d").await;
    let photo = env.photo();
    let first = env.post("Fresh  bread\ntoday", vec![photo.clone()], &[&m]);
    let draft = |text: &str, media: Vec<PathBuf>, again: bool| Draft {
        text: text.into(),
        media,
        targets: vec![m.name.clone(), d.name.clone()],
        again,
        ..Draft::default()
    };
    let refused = post::enqueue(
        &env.outbox(),
        &Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        &draft("Fresh bread today", vec![photo.clone()], false),
        env.clock.now(),
    )
    .expect_err("the same text (spacing aside) and photo went to m a moment ago");
    let message = refused.to_string();
    let fanout_core::Error::NotReady(not_ready) = &refused else { panic!("a draft problem: {message}") };
    assert_eq!(not_ready.problems.iter().map(|p| p.code()).collect::<Vec<_>>(), ["duplicate"], "{message}");
    assert!(message.contains("the same post went to 'm' at "), "{message}");
    assert!(!message.contains("'d'"), "d never got it: {message}");

    // Another photo, another text, a week later, or asked for: not the same post.
    let other = env.dir.path().join("other.png");
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 10, 10])).save(&other).expect("write another photo");
    let review = |draft: &Draft, now: fanout_core::clock::Timestamp| {
        post::review(&env.outbox(), &Registry::default(), &env.variants(), draft, now).expect("reviewed")
    };
    let now = env.clock.now();
    let duplicates = |r: &post::Review| r.problems.iter().filter(|p| p.code() == "duplicate").count();
    assert_eq!(duplicates(&review(&draft("Fresh bread today", vec![other], false), now)), 0);
    assert_eq!(duplicates(&review(&draft("Fresh rolls today", vec![photo.clone()], false), now)), 0);
    let week = fanout_core::clock::Timestamp(now.0 + 7 * 24 * 3600 * 1000 + 60_000);
    assert_eq!(duplicates(&review(&draft("Fresh bread today", vec![photo.clone()], false), week)), 0);
    let again = env.enqueue(&draft("Fresh bread today", vec![photo.clone()], true));
    assert_eq!(again.len(), 2, "--again shares it to both");

    // A share that was cancelled does not count.
    let solo = |again| Draft { targets: vec![d.name.clone()], ..draft("Only for d", vec![], again) };
    let cancelled = env.enqueue(&solo(false));
    env.outbox().cancel(&cancelled[0].to_string(), env.clock.now()).expect("cancelled");
    assert_eq!(env.enqueue(&solo(false)).len(), 1, "the cancelled one was never shared");
    assert_eq!(first.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_account_keeps_its_profile_picture_fitted_small_and_a_missing_one_is_no_error() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let jpeg = env.accounts().picture(m.id).expect("read").expect("Mastodon's avatar is kept");
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    let (w, h) = image::load_from_memory(&jpeg).map(|i| (i.width(), i.height())).expect("decodes");
    assert!(
        w.max(h) <= fanout_core::accounts::PICTURE_SIDE,
        "{w}×{h} fitted to at most {}",
        fanout_core::accounts::PICTURE_SIDE
    );
    assert!(env.accounts().with_pictures().expect("list").contains(&m.id.to_string()));
    // A network that has no picture links all the same, with none.
    let slack =
        env.chat(fanout_core::networks::chat_webhooks::Chat::Slack, fanout_sandbox::SANDBOX_SLACK_WEBHOOK).await;
    let slack = slack.expect("slack");
    assert_eq!(env.accounts().picture(slack.id).expect("read"), None);
    // Checking the account again keeps it.
    env.accounts().verify(&m.name).await.expect("verify");
    assert!(env.accounts().picture(m.id).expect("read").is_some());
}

/// Discord's webhook avatar (from its CDN), a Telegram channel's photo (`getFile`, then the file),
/// a Matrix room's avatar (the authenticated media download) and a WhatsApp business profile's
/// picture are kept as the other networks' are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_telegram_matrix_and_whatsapp_accounts_keep_their_pictures_and_show_their_handles() {
    let env = env("{}").await;
    let discord = env.discord("d", 111, "hook-d").await;
    let telegram = env.telegram("@fanoutbakery").await.expect("telegram");
    let matrix = env
        .sandbox_matrix(fanout_sandbox::SANDBOX_MATRIX_ROOM, fanout_sandbox::SANDBOX_MATRIX_PASSWORD)
        .await
        .expect("matrix");
    let whatsapp = env.whatsapp(fanout_sandbox::SANDBOX_WHATSAPP_TOKEN).await;
    for account in [&discord, &telegram, &matrix, &whatsapp] {
        let jpeg = env.accounts().picture(account.id).expect("read");
        let jpeg = jpeg.unwrap_or_else(|| panic!("{:?} keeps its picture", account.network));
        let (w, h) = image::load_from_memory(&jpeg).map(|i| (i.width(), i.height())).expect("decodes");
        assert_eq!((w, h), (128, 128), "{:?}: the 192×192 picture fitted small", account.network);
    }
    let requested: Vec<String> = env.sandbox.requests().iter().map(|r| r.path.clone()).collect();
    assert!(requested.iter().any(|p| p == "/file/bot[token]/profile_photos/file_1.jpg"), "{requested:?}");
    assert!(
        requested.iter().any(|p| p.ends_with("/whatsapp_business_profile")),
        "the business profile was read: {requested:?}"
    );
    // Each shows the name people know it by, never an internal id; a webhook has none.
    let handle = |a: &fanout_core::model::Account| env.accounts().handle(a).expect("read");
    assert_eq!(handle(&telegram).as_deref(), Some("@fanoutbakery"));
    assert_eq!(handle(&matrix).as_deref(), Some(fanout_sandbox::SANDBOX_MATRIX_USER_ID));
    assert_eq!(handle(&whatsapp).as_deref(), Some(fanout_sandbox::SANDBOX_WHATSAPP.2));
    assert_eq!(handle(&discord), None);
    let logged = format!("{:?}", env.sandbox.requests());
    assert!(!logged.contains("/file/bot7000000001:sandbox-bot-token"), "the request log keeps no token");
}
