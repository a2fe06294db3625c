//! Team chats beside real servers: one post fanned out to every chat and open network at once
//! (Matrix on a real Synapse and Bluesky on a real PDS among them), each target settling on its
//! own, and pictures shown from a public bucket on moto's S3 server with their alt text.

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{DeliveryState, FailureKind};
use fanout_core::networks::chat_webhooks::Chat;
use fanout_core::post::Draft;
use fanout_core::secrets::Secret;
use fanout_sandbox::{SANDBOX_GOOGLE_CHAT_WEBHOOK, SANDBOX_SLACK_WEBHOOK, SANDBOX_TEAMS_WEBHOOK};

use super::bluesky::Pds;
use super::common::chats::SLACK;
use super::env;
use super::instagram::{Moto, bucket_host};
use super::matrix::Synapse;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_post_fans_out_to_every_chat_at_once_and_each_target_settles_on_its_own() {
    let pds = Pds::start();
    let synapse = Synapse::start();
    synapse.register("alice", "alice-password");
    // Slack throttles once; Teams' webhook was removed.
    let plan = format!(
        r#"{{"routes": {{"{SLACK}": {{"faults": [{{"pass": true}}, {{"status": 429, "retry_after": 1}}]}}}}}}"#
    );
    let env = env(&plan).await;
    let owner = synapse.login(&env.http, "alice", "alice-password").await;
    let room = synapse.create_room(&env.http, &owner, "Staff", "staff").await;
    let matrix = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::Matrix)
                .text("homeserver", synapse.url.clone())
                .text("room", room.clone())
                .secret("token", Secret::new(owner.clone())),
            enabled: true,
            demo: false,
        })
        .await
        .expect("matrix");
    let telegram = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::Telegram)
                .text("api", env.sandbox.url())
                .text("chat", "@fanoutbakery")
                .secret("token", Secret::new(fanout_sandbox::SANDBOX_TELEGRAM_TOKEN)),
            enabled: true,
            demo: true,
        })
        .await
        .expect("telegram");
    let bluesky = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::Bluesky)
                .text("pds", pds.url.clone())
                .text("handle", pds.handle.clone())
                .secret("app_password", Secret::new(pds.password.clone())),
            enabled: true,
            demo: false,
        })
        .await
        .expect("bluesky");
    let slack = env.chat(Chat::Slack, SANDBOX_SLACK_WEBHOOK).await.expect("slack");
    let teams = env.chat(Chat::Teams, SANDBOX_TEAMS_WEBHOOK).await.expect("teams");
    let google = env.chat(Chat::GoogleChat, SANDBOX_GOOGLE_CHAT_WEBHOOK).await.expect("google chat");
    let mastodon = env.mastodon("staff-mastodon", "token-a").await;
    let discord = env.discord("staff-discord", 1, "token-1").await;
    env.sandbox.revoke_token("sandbox-teams-sig");

    let targets = [&matrix, &bluesky, &telegram, &slack, &teams, &google, &mastodon, &discord];
    let ids = env.post("Rota for next week is up", vec![], &targets);
    env.run_worker(fanout_core::worker::StopWhen::Settled(ids.clone())).await;
    let states: Vec<(String, DeliveryState)> =
        targets.iter().zip(&ids).map(|(a, id)| (a.name.clone(), env.delivery(*id).state)).collect();
    for ((name, state), id) in states.iter().zip(&ids) {
        if name.starts_with("Microsoft Teams") {
            let error = env.delivery(*id).last_error.expect("why");
            assert_eq!((*state, error.kind), (DeliveryState::NeedsAttention, FailureKind::Unauthorized), "{states:?}");
            assert!(error.message.contains("link it again"), "{}", error.message);
        } else {
            assert_eq!(*state, DeliveryState::Sent, "{name}: {states:?}");
        }
    }
    let messages = synapse.messages(&env.http, &owner, &room).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["content"]["body"], "Rota for next week is up");
    let did = bluesky.remote_id.clone().expect("the account's DID");
    let list = format!("{}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post", pds.url);
    let records: serde_json::Value = env.http.get(&list).send().await.expect("listed").json().await.expect("json");
    let texts: Vec<&str> =
        records["records"].as_array().expect("records").iter().filter_map(|r| r["value"]["text"].as_str()).collect();
    assert_eq!(texts, ["Rota for next week is up"], "one post in the real PDS's repository");
    let state = env.sandbox.state();
    assert_eq!(state.telegram_messages.len(), 1);
    let mut services: Vec<&str> = state.chat_messages.iter().map(|m| m.service.as_str()).collect();
    services.sort_unstable();
    assert_eq!(services, ["google_chat", "slack"], "Slack after its 429, Teams refused: {services:?}");
    assert_eq!(state.mastodon_statuses.len(), 1);
    assert_eq!(state.discord_messages.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_reach_each_chat_from_the_public_bucket_with_their_alt_text_and_stay_there() {
    let moto = Moto::start();
    let env = env("{}").await;
    moto.create_bucket(&env.http, "fanout-chats").await;
    let mut bucket = bucket_host(&moto, "fanout-chats");
    let private = env.chat_with(Chat::Slack, SANDBOX_SLACK_WEBHOOK, Some(bucket.clone())).await.expect_err("private");
    assert!(private.to_string().contains("the bucket needs its public address"), "{private}");
    // A bucket that is not public yet: its files cannot be read by the chats.
    bucket.public_url = Some(format!("{}/fanout-chats/", moto.url));
    let unreadable = env.chat_with(Chat::Slack, SANDBOX_SLACK_WEBHOOK, Some(bucket.clone())).await.expect_err("403");
    assert!(
        unreadable.to_string().contains("could not be read back through the bucket's public address; make the bucket"),
        "{unreadable}"
    );

    moto.make_public("fanout-chats");
    let mut targets = Vec::new();
    for (chat, path) in [
        (Chat::Slack, SANDBOX_SLACK_WEBHOOK),
        (Chat::Teams, SANDBOX_TEAMS_WEBHOOK),
        (Chat::GoogleChat, SANDBOX_GOOGLE_CHAT_WEBHOOK),
    ] {
        targets.push(env.chat_with(chat, path, Some(bucket.clone())).await.expect("a chat with a public bucket"));
    }
    let draft = Draft {
        text: "New loaves on the shelf".into(),
        media: vec![env.photo(), env.photo()],
        targets: targets.iter().map(|a| a.name.clone()).collect(),
        media_details: vec![fanout_core::post::MediaDetail {
            alt_text: Some("Rye loaves on a wooden shelf".into()),
            focus: None,
            name: None,
        }],
        ..Draft::default()
    };
    let ids = env.enqueue(&draft);
    env.deliver(&ids).await;
    for id in &ids {
        assert_eq!(env.delivery(*id).state, DeliveryState::Sent, "{:?}", env.delivery(*id).last_error);
    }
    let messages = env.sandbox.state().chat_messages;
    assert_eq!(messages.len(), 3);
    for message in &messages {
        assert_eq!(message.images.len(), 2, "{}: both pictures", message.service);
        for image in &message.images {
            assert!(image.url.starts_with(&format!("{}/fanout-chats/fanout/", moto.url)), "{}", image.url);
            assert!(!image.url.contains("X-Amz-Signature"), "a lasting address, not a presigned one: {}", image.url);
            let picture = reqwest::get(&image.url).await.expect("fetched").bytes().await.expect("bytes");
            assert!(fanout_core::media::sniff::detect(&picture).is_some_and(|k| k.is_image()), "{}", image.url);
        }
        assert_eq!(message.images[0].alt, "Rye loaves on a wooden shelf", "{}", message.service);
    }
    assert!(messages.iter().all(|m| m.text.contains("New loaves on the shelf")));
}
