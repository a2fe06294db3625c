//! Telegram against the sandbox's Bot API: linking checks the bot may post, text, a photo with
//! its caption, an album of three with the caption on the first, a text too long for a caption
//! sent before its photo, `retry_after` honoured, and a lost answer left for the user.

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState, FailureKind};
use fanout_core::secrets::Secret;
use fanout_sandbox::SANDBOX_TELEGRAM_TOKEN;

use super::{Env, env};

const SEND_MESSAGE: &str = "POST /bot{token}/{method}";

impl Env {
    pub(super) async fn telegram(&self, chat: &str) -> fanout_core::Result<Account> {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::Telegram)
                    .text("api", self.sandbox.url())
                    .text("chat", chat)
                    .secret("token", Secret::new(SANDBOX_TELEGRAM_TOKEN)),
                enabled: true,
                demo: true,
            })
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_a_captioned_photo_an_album_and_a_long_text_reach_the_channel() {
    let env = env("{}").await;
    let channel = env.telegram("@fanoutbakery").await.expect("the bot administers the channel");
    assert_eq!(channel.name, "Telegram: Fanout Bakery");
    assert_eq!(channel.remote_id.as_deref(), Some("-1001000000001"), "the @name is resolved to the chat's id");

    let text = env.post("Open till six today", vec![], &[&channel]);
    let photo = env.post("Rye, fresh", vec![env.photo()], &[&channel]);
    let album = env.post("Three loaves", vec![env.photo(), env.video(), env.photo()], &[&channel]);
    let long = "Our story. ".repeat(120);
    let long_photo = env.post(&long, vec![env.photo()], &[&channel]);
    let all: Vec<_> = [&text, &photo, &album, &long_photo].iter().flat_map(|i| i.iter().copied()).collect();
    env.deliver(&all).await;
    for id in &all {
        let d = env.delivery(*id);
        assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    }

    let messages = env.sandbox.state().telegram_messages;
    let seen: Vec<(&str, String, bool)> = messages
        .iter()
        .map(|m| (m.kind.as_str(), m.text.chars().take(20).collect(), m.media_group_id.is_some()))
        .collect();
    assert_eq!(
        seen,
        [
            ("text", "Open till six today".into(), false),
            ("photo", "Rye, fresh".into(), false),
            ("photo", "Three loaves".into(), true),
            ("video", String::new(), true),
            ("photo", String::new(), true),
            ("text", long.trim().chars().take(20).collect(), false),
            ("photo", String::new(), false),
        ],
        "each post once, in order"
    );
    let url = env.delivery(album[0]).remote_url.expect("a link to the channel's message");
    let page = env.http.get(&url).send().await.expect("opens").text().await.expect("html");
    assert!(page.contains("Three loaves") && page.contains("photo + video + photo"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_may_not_post_and_a_wrong_token_are_refused_when_linking() {
    let env = env("{}").await;
    let readers = env.telegram("@fanoutreaders").await.expect_err("only a member");
    assert!(readers.to_string().contains("add it as an administrator"), "{readers}");
    let unknown = env.telegram("@nosuchchannel").await.expect_err("no such chat");
    assert!(unknown.to_string().contains("chat not found"), "{unknown}");
    let wrong = env
        .accounts()
        .add(NewAccount {
            name: None,
            credentials: Credentials::new(fanout_core::model::NetworkKind::Telegram)
                .text("api", env.sandbox.url())
                .text("chat", "@fanoutbakery")
                .secret("token", Secret::new("not-a-token")),
            enabled: true,
            demo: true,
        })
        .await
        .expect_err("not a bot token");
    assert!(wrong.to_string().contains("@BotFather"), "{wrong}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_and_a_lost_answer_waits_for_the_user() {
    let plan = format!(
        r#"{{"routes": {{"{SEND_MESSAGE}": {{"faults": [{{"pass": true}}, {{"pass": true}}, {{"pass": true}}, {{"pass": true}}, {{"status": 429, "retry_after": 1}}, {{"pass": true}}, {{"close": "after"}}]}}}}}}"#
    );
    let env = env(&plan).await;
    // Linking takes the route's first four calls (getMe, getChat, getChatMember, getFile).
    let channel = env.telegram("@fanoutbakery").await.expect("linked");
    let started = std::time::Instant::now();
    let first = env.post("After a pause", vec![], &[&channel]);
    env.deliver(&first).await;
    assert_eq!(env.delivery(first[0]).state, DeliveryState::Sent);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "waited as Telegram asked");

    let lost = env.post("Lost on the way back", vec![], &[&channel]);
    env.deliver(&lost).await;
    let d = env.delivery(lost[0]);
    assert_eq!(d.state, DeliveryState::Unconfirmed, "{:?}", d.last_error);
    let error = d.last_error.expect("why");
    assert_eq!(error.kind, FailureKind::OutcomeUnknown);
    assert!(error.message.contains("mark it sent or send it again"), "{}", error.message);
    let sent = env.sandbox.state().telegram_messages.iter().filter(|m| m.text == "Lost on the way back").count();
    assert_eq!(sent, 1, "sent once, not again by itself");
}
