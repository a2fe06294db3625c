//! Threads with its files on an S3-compatible bucket (moto's server): a text post and a carousel
//! published once each, the carousel's files removed from the bucket after.

use fanout_core::model::DeliveryState;

use super::env;
use super::instagram::{Moto, bucket_host};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_post_and_a_carousel_through_a_bucket_are_published_once_each() {
    let moto = Moto::start();
    let env = env("{}").await;
    moto.create_bucket(&env.http, "fanout-threads").await;
    let threads = env.threads(Some(bucket_host(&moto, "fanout-threads"))).await;
    assert_eq!(threads.name, "Threads: @fanout.bakery");
    assert!(env.accounts().picture(threads.id).expect("read").is_some(), "the profile picture Threads names is kept");
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
