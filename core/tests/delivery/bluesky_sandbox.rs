//! Bluesky against the sandbox's PDS, where faults can be injected: a lost `putRecord` answer
//! settled by writing the same record again, a rate limit waited out, a photo over Bluesky's
//! 1,000,000 bytes fitted before upload, one sign-in serving many deliveries (refreshed, not
//! remade, when it expires), and a link card with the page's picture.

use std::time::Duration;

use fanout_core::accounts::{Credentials, NewAccount};
use fanout_core::model::{Account, DeliveryState};
use fanout_core::secrets::Secret;
use fanout_sandbox::{BlueskyRecord, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD, SandboxConfig};
use serde_json::Value;

use super::{Env, env, env_from, fast_policy};

const PUT_RECORD: &str = "POST /xrpc/com.atproto.repo.putRecord";
const UPLOAD_BLOB: &str = "POST /xrpc/com.atproto.repo.uploadBlob";
const CREATE_SESSION: &str = "POST /xrpc/com.atproto.server.createSession";
const REFRESH_SESSION: &str = "POST /xrpc/com.atproto.server.refreshSession";

impl Env {
    /// The sandbox's Bluesky account, linked with its handle and app password.
    async fn sandbox_bluesky(&self) -> Account {
        self.accounts()
            .add(NewAccount {
                name: None,
                credentials: Credentials::new(fanout_core::model::NetworkKind::Bluesky)
                    .text("pds", self.sandbox.url())
                    .text("handle", format!("@{SANDBOX_BLUESKY_HANDLE}"))
                    .secret("app_password", Secret::new(SANDBOX_BLUESKY_PASSWORD)),
                enabled: true,
                demo: true,
            })
            .await
            .expect("the sandbox's Bluesky account links")
    }

    /// The sandbox's post with this text; fails the test unless there is exactly one.
    fn the_bluesky_post(&self, text: &str) -> BlueskyRecord {
        let posts: Vec<BlueskyRecord> = self
            .sandbox
            .state()
            .bluesky_records
            .into_iter()
            .filter(|r| r.collection == "app.bsky.feed.post" && r.value["text"] == text)
            .collect();
        assert_eq!(posts.len(), 1, "one post with the text {text:?}, not {}", posts.len());
        posts.into_iter().next().expect("one")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_put_record_answer_is_written_again_with_its_record_key_and_stays_one_post() {
    let env = env(&format!(r#"{{"routes": {{"{PUT_RECORD}": {{"faults": [{{"close": "after"}}]}}}}}}"#)).await;
    let account = env.sandbox_bluesky().await;
    assert_eq!(account.name, format!("Bluesky: @{SANDBOX_BLUESKY_HANDLE}"));
    let ids = env.post("Lost on the way back", vec![env.photo()], &[&account]);
    env.deliver(&ids).await;

    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let post = env.the_bluesky_post("Lost on the way back");
    assert_eq!(d.checkpoint["rkey"], post.rkey.as_str(), "written under the record key chosen before publishing");
    assert_eq!(d.remote_id.as_deref(), Some(post.uri.as_str()));
    assert_eq!(env.requests(PUT_RECORD).len(), 2, "the lost write and the one that settled it");
    assert_eq!(env.requests(UPLOAD_BLOB).len(), 1, "the photo's blob was checkpointed, not uploaded again");
    assert_eq!(env.sandbox.state().bluesky_records.len(), 1, "one post, never two");

    let url = d.remote_url.expect("a demo post links to the sandbox's page");
    let page = env.http.get(&url).send().await.expect("opens").text().await.expect("html");
    assert!(page.contains("Lost on the way back") && page.contains("1 image(s)"), "{url}: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_post_waits_for_the_limits_reset() {
    let env =
        env(&format!(r#"{{"routes": {{"{PUT_RECORD}": {{"faults": [{{"status": 429, "retry_after": 2}}]}}}}}}"#)).await;
    let account = env.sandbox_bluesky().await;
    let ids = env.post("After a pause", vec![], &[&account]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let attempts = env.requests(PUT_RECORD);
    assert_eq!(attempts.len(), 2, "one refused, one written");
    let gap = attempts[1].at_ms - attempts[0].at_ms;
    assert!(gap >= 2000, "the second attempt came {gap} ms after the first, before ratelimit-reset");
    env.the_bluesky_post("After a pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_over_a_megabyte_is_fitted_before_it_is_uploaded() {
    let env = env("{}").await;
    let account = env.sandbox_bluesky().await;
    let path = env.dir.path().join("big.png");
    let mut noise = 0x2545_f491_u32;
    let mut next = move || {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        (noise & 31) as u8
    };
    let image = image::RgbImage::from_fn(2400, 1600, |x, y| {
        image::Rgb([(x / 12) as u8 + next(), (y / 8) as u8 + next(), 120 + next()])
    });
    image.save(&path).expect("write the PNG");
    let size = std::fs::metadata(&path).expect("written").len();
    assert!(size > 1_000_000, "the photo is {size} bytes, more than a Bluesky blob may be");

    let ids = env.post("A big photo", vec![path], &[&account]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let blobs = env.sandbox.state().bluesky_blobs;
    assert_eq!(blobs.len(), 1);
    assert!(blobs[0].size <= 1_000_000, "fitted under Bluesky's limit: {} bytes", blobs[0].size);
    let post = env.the_bluesky_post("A big photo");
    let image = &post.value["embed"]["images"][0];
    assert_eq!(image["image"]["ref"]["$link"], blobs[0].cid.as_str(), "the post shows the fitted photo");
    let (width, height) = (image["aspectRatio"]["width"].as_u64(), image["aspectRatio"]["height"].as_u64());
    assert_eq!(width, Some(2000), "fitted to Bluesky's 2000 px");
    assert!(height.is_some_and(|h| (1333..=1334).contains(&h)), "the proportions kept: {height:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sign_in_serves_many_deliveries_and_an_ended_session_is_refreshed_not_remade() {
    let config = SandboxConfig { bluesky_access_lifetime: Duration::from_secs(6), ..SandboxConfig::default() };
    let env = env_from(config, fast_policy(), Duration::from_secs(5)).await;
    let account = env.sandbox_bluesky().await;
    let calls = |route: &str| env.requests(route).len();
    assert!(
        env.accounts().picture(account.id).expect("read").is_some(),
        "the profile's avatar (app.bsky.actor.getProfile) is kept, with the sign-in's token"
    );

    let first: Vec<_> = ["One", "Two", "Three"].iter().flat_map(|t| env.post(t, vec![], &[&account])).collect();
    env.deliver(&first).await;
    for id in &first {
        assert_eq!(env.delivery(*id).state, DeliveryState::Sent, "{:?}", env.delivery(*id).last_error);
    }
    assert_eq!(calls(CREATE_SESSION), 1, "linking signed in; the three deliveries used that session");
    assert_eq!(calls(REFRESH_SESSION), 0, "the access token was still good");

    // The access token lives 6 seconds here: past that, the next delivery refreshes first. The
    // worker's clock is the sandbox's, so both see the 6.5 s pass at once.
    env.sandbox.advance(Duration::from_millis(6500));
    let later = env.post("Later", vec![], &[&account]);
    env.deliver(&later).await;
    assert_eq!(env.delivery(later[0]).state, DeliveryState::Sent, "{:?}", env.delivery(later[0]).last_error);
    assert_eq!((calls(CREATE_SESSION), calls(REFRESH_SESSION)), (1, 1), "refreshed, not signed in again");
    assert_eq!(calls(PUT_RECORD), 4, "and never refused for an old token");

    // The PDS ends the access token before its time (say, our clock is behind): the post is
    // refused with ExpiredToken, the session refreshed, and the same record sent again.
    env.sandbox.expire_bluesky_access_tokens();
    let expired = env.post("Expired early", vec![], &[&account]);
    env.deliver(&expired).await;
    assert_eq!(env.delivery(expired[0]).state, DeliveryState::Sent, "{:?}", env.delivery(expired[0]).last_error);
    assert_eq!((calls(CREATE_SESSION), calls(REFRESH_SESSION)), (1, 2));
    assert_eq!(calls(PUT_RECORD), 6, "the refused write and the one after the refresh");
    let refused = &env.requests(PUT_RECORD)[4];
    assert_eq!(refused.status, Some(400), "refused as ExpiredToken");

    // Every session revoked: refreshing fails too, so it signs in again.
    env.sandbox.revoke_bluesky_sessions();
    let revoked = env.post("Signed in again", vec![], &[&account]);
    env.deliver(&revoked).await;
    assert_eq!(env.delivery(revoked[0]).state, DeliveryState::Sent, "{:?}", env.delivery(revoked[0]).last_error);
    assert_eq!((calls(CREATE_SESSION), calls(REFRESH_SESSION)), (2, 3), "a refused refresh, then a new session");

    for text in ["One", "Two", "Three", "Later", "Expired early", "Signed in again"] {
        env.the_bluesky_post(text);
    }
    assert_eq!(env.sandbox.state().bluesky_records.len(), 6, "each post once");
    let logged: String = env.sandbox.requests().iter().map(|r| format!("{} {}\n", r.path, r.body_summary)).collect();
    assert!(!logged.contains(SANDBOX_BLUESKY_PASSWORD), "the password only travels in the sign-in body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_card_carries_the_pages_picture_fitted_and_checkpointed() {
    let env = env(&format!(r#"{{"routes": {{"{PUT_RECORD}": {{"faults": [{{"close": "after"}}]}}}}}}"#)).await;
    let account = env.sandbox_bluesky().await;
    let link = format!("{}/web/bakery", env.sandbox.url());
    let text = format!("This week at the bakery: {link}");
    let ids = env.post(&text, vec![], &[&account]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    assert_eq!(env.requests(PUT_RECORD).len(), 2, "the first answer was lost");
    assert_eq!(env.requests(UPLOAD_BLOB).len(), 1, "the picture was uploaded once: the retry used the checkpoint");
    assert!(d.checkpoint["card"]["thumb"].is_object(), "the card is checkpointed with its picture");
    assert_eq!(d.checkpoint["card_image"], Value::Null, "and the picture is done with");

    let post = env.the_bluesky_post(&text);
    let (repo, rkey) = (post.repo.clone(), post.rkey.clone());
    let read: Value = env
        .http
        .get(format!(
            "{}/xrpc/com.atproto.repo.getRecord?repo={repo}&collection=app.bsky.feed.post&rkey={rkey}",
            env.sandbox.url()
        ))
        .send()
        .await
        .expect("getRecord")
        .json()
        .await
        .expect("json");
    let external = &read["value"]["embed"]["external"];
    assert_eq!(read["value"]["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(external["uri"], link.as_str());
    assert_eq!(external["title"], "Fanout Bakery — sourdough and rye, baked daily");
    let thumb = &external["thumb"];
    let size = thumb["size"].as_u64().expect("the picture's size");
    assert!(size <= 1_000_000, "the 4.8 MB picture was fitted: {size} bytes");
    let cid = thumb["ref"]["$link"].as_str().expect("a blob ref");
    let picture = env
        .http
        .get(format!("{}/xrpc/com.atproto.sync.getBlob?did={repo}&cid={cid}", env.sandbox.url()))
        .send()
        .await
        .expect("getBlob")
        .bytes()
        .await
        .expect("bytes");
    let (width, height) = image::load_from_memory(&picture).map(|i| (i.width(), i.height())).expect("an image");
    assert_eq!((width, height), (1600, 1000), "a picture Bluesky can show, its proportions kept");

    // A page whose picture is broken still gets its card, without the picture.
    let menu = format!("{}/web/menu", env.sandbox.url());
    let text = format!("The menu: {menu}");
    let ids = env.post(&text, vec![], &[&account]);
    env.deliver(&ids).await;
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    let external = &env.the_bluesky_post(&text).value["embed"]["external"];
    assert_eq!(external["title"], "This week's menu at Fanout Bakery");
    assert!(external.get("thumb").is_none(), "no picture rather than a failed post: {external}");
    assert_eq!(env.requests(UPLOAD_BLOB).len(), 1, "nothing was uploaded for the broken picture");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_for_bluesky_is_refused_while_composing_with_the_reason() {
    let env = env("{}").await;
    let account = env.sandbox_bluesky().await;
    let draft = fanout_core::post::Draft {
        text: "The oven at work".into(),
        media: vec![env.video()],
        targets: vec![account.name.clone()],
        ..fanout_core::post::Draft::default()
    };
    let refused = fanout_core::post::enqueue(
        &env.outbox(),
        &fanout_core::networks::Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        &draft,
        env.clock.now(),
    )
    .expect_err("a video cannot go to Bluesky as an image embed");
    let message = refused.to_string();
    assert!(message.contains("clip.mp4"), "names the file: {message}");
    assert!(message.contains("does not send videos to Bluesky"), "says why: {message}");
    assert!(env.requests(UPLOAD_BLOB).is_empty(), "nothing was uploaded");
    assert!(env.sandbox.state().bluesky_records.is_empty(), "nothing was posted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_rolled_back_after_the_post_does_not_post_it_again() {
    let env = env("{}").await;
    let account = env.sandbox_bluesky().await;
    let ids = env.post("Once, even after a restore", vec![], &[&account]);
    // What a backup taken now holds for the delivery (as a lost WAL or a restored copy would).
    let db = rusqlite::Connection::open(env.dir.path().join("fanout.db")).expect("a second connection");
    let id = ids[0].to_string();
    let before: (String, String, i64) = db
        .query_row("SELECT state, checkpoint, attempts FROM deliveries WHERE id = ?1", [&id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("the queued delivery");
    env.deliver(&ids).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent);
    let rkey = env.the_bluesky_post("Once, even after a restore").rkey;

    db.execute(
        "UPDATE deliveries SET state = ?2, checkpoint = ?3, attempts = ?4, publish_started_at = NULL,
                remote_id = NULL, remote_url = NULL, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ?1",
        rusqlite::params![id, before.0, before.1, before.2],
    )
    .expect("rolled back");
    env.deliver(&ids).await;

    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "{:?}", d.last_error);
    assert_eq!(d.checkpoint["rkey"], rkey.as_str(), "the same record key, made from the delivery's id");
    assert_eq!(env.requests(PUT_RECORD).len(), 2, "written again, and refused as already there");
    let posts = env.sandbox.state().bluesky_records.into_iter().filter(|r| r.collection == "app.bsky.feed.post");
    assert_eq!(posts.count(), 1, "one post on Bluesky, never two");
}
