//! Team chats' webhooks against the sandbox — Slack, Teams Workflows, Google Chat: linking checks
//! the address, text reaches each, a picture without a public bucket is refused up front, a lost
//! answer to Google Chat is settled by its message id, Slack's `Retry-After` is honoured, each
//! chat's own text limit, and demo webhooks that follow the demo server to its new port. (Pictures
//! from a public bucket and the fan-out beside a real Synapse and PDS are in `servers/chats.rs`.)

use fanout_core::model::{DeliveryState, FailureKind};
use fanout_core::networks::chat_webhooks::Chat;
use fanout_core::post::Draft;
use fanout_sandbox::{SANDBOX_GOOGLE_CHAT_WEBHOOK, SANDBOX_SLACK_WEBHOOK, SANDBOX_TEAMS_WEBHOOK};

use super::common::chats::SLACK;
use super::env;

const GOOGLE: &str = "POST /v1/spaces/{space}/messages";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_teams_and_google_chat_each_get_the_text_and_refuse_files_up_front() {
    let env = env("{}").await;
    let slack = env.chat(Chat::Slack, SANDBOX_SLACK_WEBHOOK).await.expect("slack");
    let teams = env.chat(Chat::Teams, SANDBOX_TEAMS_WEBHOOK).await.expect("teams");
    let google = env.chat(Chat::GoogleChat, SANDBOX_GOOGLE_CHAT_WEBHOOK).await.expect("google chat");
    assert_eq!(
        [slack.name.as_str(), teams.name.as_str(), google.name.as_str()],
        ["Slack: B0NEWS", "Microsoft Teams: 5a9f0c0d", "Google Chat: AAAAfanout"]
    );
    for account in [&slack, &teams, &google] {
        assert!(!account.endpoint.contains("sandbox-"), "no secret in the endpoint: {}", account.endpoint);
    }

    let ids = env.post("Team meeting moved to 3 pm — https://example.org/agenda", vec![], &[&slack, &teams, &google]);
    env.deliver(&ids).await;
    for id in &ids {
        assert_eq!(env.delivery(*id).state, DeliveryState::Sent, "{:?}", env.delivery(*id).last_error);
    }
    let mut services: Vec<(String, String)> =
        env.sandbox.state().chat_messages.into_iter().map(|m| (m.service, m.text)).collect();
    services.sort();
    let text = "Team meeting moved to 3 pm — https://example.org/agenda".to_owned();
    assert_eq!(
        services,
        [("google_chat".into(), text.clone()), ("slack".into(), text.clone()), ("teams".into(), text)]
    );

    let refused = fanout_core::post::enqueue(
        &env.outbox(),
        &fanout_core::networks::Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        &Draft {
            text: "With a photo".into(),
            media: vec![env.photo()],
            targets: vec![slack.name.clone()],
            ..Draft::default()
        },
        env.clock.now(),
    )
    .expect_err("a webhook without a public bucket has nowhere to show a picture from");
    assert!(
        refused.to_string().contains("fetches photos and videos from a public address and has nowhere to find them"),
        "{refused}"
    );

    let wrong = env.chat(Chat::Slack, "/services/T0FANOUT/B0NEWS/not-the-token").await.expect_err("a dead webhook");
    assert!(wrong.to_string().contains("invalid_token"), "{wrong}");
    let shape = env.chat(Chat::GoogleChat, "/v1/spaces/AAAAfanout/messages?key=k").await.expect_err("no token");
    assert!(shape.to_string().contains("key=…&token=…"), "{shape}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_google_chat_answer_is_settled_by_its_message_id_and_slack_waits_as_told() {
    // Linking takes each route's first call (the empty probe).
    let plan = format!(
        r#"{{"routes": {{"{GOOGLE}": {{"faults": [{{"pass": true}}, {{"close": "after"}}]}}, "{SLACK}": {{"faults": [{{"pass": true}}, {{"status": 429, "retry_after": 1}}, {{"pass": true}}, {{"close": "after"}}]}}}}}}"#
    );
    let env = env(&plan).await;
    let google = env.chat(Chat::GoogleChat, SANDBOX_GOOGLE_CHAT_WEBHOOK).await.expect("google chat");
    let slack = env.chat(Chat::Slack, SANDBOX_SLACK_WEBHOOK).await.expect("slack");

    let started = std::time::Instant::now();
    let ids = env.post("Lunch is served", vec![], &[&google, &slack]);
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent, "{:?}", env.delivery(ids[0]).last_error);
    assert_eq!(env.delivery(ids[1]).state, DeliveryState::Sent, "{:?}", env.delivery(ids[1]).last_error);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "Slack's Retry-After was honoured");
    let messages = env.sandbox.state().chat_messages;
    let google_count = messages.iter().filter(|m| m.service == "google_chat").count();
    assert_eq!(google_count, 1, "sent again with the same message id: refused as a duplicate, recorded as sent");
    assert!(env.delivery(ids[0]).remote_id.is_some_and(|id| id.contains("/messages/client-")));

    let lost = env.post("Coffee too", vec![], &[&slack]);
    env.deliver(&lost).await;
    let d = env.delivery(lost[0]);
    assert_eq!(d.state, DeliveryState::Unconfirmed);
    assert_eq!(d.last_error.map(|e| e.kind), Some(FailureKind::OutcomeUnknown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_chat_refuses_a_text_over_its_own_limit_before_anything_is_queued() {
    let env = env("{}").await;
    let slack = env.chat(Chat::Slack, SANDBOX_SLACK_WEBHOOK).await.expect("slack");
    let teams = env.chat(Chat::Teams, SANDBOX_TEAMS_WEBHOOK).await.expect("teams");
    let google = env.chat(Chat::GoogleChat, SANDBOX_GOOGLE_CHAT_WEBHOOK).await.expect("google chat");
    // Slack and Google Chat count characters; Teams counts the bytes of its 28 KB payload.
    for (account, limit, unit_bytes) in [(&slack, 40_000, 1), (&teams, 20_000, 2), (&google, 4_096, 1)] {
        let at_limit = limit / unit_bytes;
        let refused = fanout_core::post::enqueue(
            &env.outbox(),
            &fanout_core::networks::Registry::default(),
            &env.variants(),
            &env.dir.path().join("media"),
            &Draft { text: "é".repeat(at_limit + 1), targets: vec![account.name.clone()], ..Draft::default() },
            env.clock.now(),
        )
        .expect_err("over the limit");
        let message = refused.to_string();
        let over = (at_limit + 1) * unit_bytes;
        assert!(message.contains(&format!("{over}/{limit}")), "{}: {message}", account.name);
        let fits = env.post(&"é".repeat(at_limit), vec![], &[account]);
        env.deliver(&fits).await;
        let d = env.delivery(fits[0]);
        assert_eq!(d.state, DeliveryState::Sent, "{}: exactly the limit is taken: {:?}", account.name, d.last_error);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_webhooks_follow_the_demo_server_to_its_new_port() {
    let env = env("{}").await;
    let slack = env.chat(Chat::Slack, SANDBOX_SLACK_WEBHOOK).await.expect("slack");
    let mastodon = env.mastodon("Demo Mastodon", "demo-token").await;
    // The demo server comes back on another port after a restart.
    let moved = fanout_sandbox::Sandbox::start(fanout_sandbox::SandboxConfig::default()).await.expect("sandbox");
    assert_eq!(env.accounts().rebase_demo(&moved.url()).await.expect("rebased"), 2);
    let ids = env.post("After the restart", vec![], &[&slack, &mastodon]);
    env.deliver(&ids).await;
    for id in &ids {
        assert_eq!(env.delivery(*id).state, DeliveryState::Sent, "{:?}", env.delivery(*id).last_error);
    }
    let state = moved.state();
    assert_eq!(state.chat_messages.len(), 1, "the webhook's whole address moved, its secret included");
    assert_eq!(state.mastodon_statuses.len(), 1);
    assert!(env.sandbox.state().chat_messages.is_empty(), "nothing went to the old address");
    let again = env.accounts().rebase_demo(&moved.url()).await.expect("rebased");
    assert_eq!(again, 0, "already there");
}
