//! A target's own order of the files: it gets them in that order, the others in the shared one,
//! the order is kept with the post (an edit opens it again), and an order that does not name each
//! file once is refused before anything is queued.

use fanout_core::plan::PlannedFile;
use fanout_core::post::{self, Draft, DraftProblem, MediaDetail};

use super::env;

/// A second photo, unlike `env.photo()`.
fn other_photo(env: &super::Env) -> std::path::PathBuf {
    let path = env.dir.path().join("other.png");
    image::RgbImage::from_pixel(64, 48, image::Rgb([200, 40, 40])).save(&path).expect("write photo");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_its_own_order_gets_the_files_in_that_order() {
    let env = env("{}").await;
    let shared = env.mastodon("shared", "token-a").await;
    let own = env.mastodon("own", "token-b").await;
    let alt = |text: &str| MediaDetail { alt_text: Some(text.into()), ..MediaDetail::default() };
    let draft = Draft {
        text: "Two loaves".into(),
        media: vec![env.photo(), other_photo(&env)],
        media_details: vec![alt("the white loaf"), alt("the red loaf")],
        targets: vec![shared.name.clone(), own.name.clone()],
        orders: vec![(own.name.clone(), vec![1, 0])],
        ..Draft::default()
    };
    let review =
        post::review(&env.outbox(), &Default::default(), &env.variants(), &draft, env.clock.now()).expect("review");
    let sources = |name: &str| -> Vec<String> {
        let (_, plan) = review.plans.iter().find(|(a, _)| a.name == name).expect("planned");
        plan.files
            .iter()
            .map(|f| match f {
                PlannedFile::Image { source, .. } => {
                    source.file_name().expect("a file name").to_string_lossy().into_owned()
                }
                other => panic!("an image: {other:?}"),
            })
            .collect()
    };
    assert_eq!(sources("shared"), ["photo.png", "other.png"], "the preview shows the shared order");
    assert_eq!(sources("own"), ["other.png", "photo.png"], "and the account's own order for it");
    let ids = env.enqueue(&draft);
    let post_id = env.delivery(ids[0]).post_id;
    let reopened = post::draft_of(&env.outbox(), post_id).expect("the post as a draft");
    assert_eq!(reopened.orders, [(own.id.to_string(), vec![1, 0])], "only the own order is kept, by account id");

    env.deliver(&ids).await;
    let state = env.sandbox.state();
    let described = |account: &str| -> Vec<String> {
        let status = state.mastodon_statuses.iter().find(|s| s.text == "Two loaves" && s.account_id == account);
        let status = status.unwrap_or_else(|| panic!("a status for {account}: {:?}", state.mastodon_statuses));
        status
            .media_ids
            .iter()
            .map(|id| {
                let media = state.mastodon_media.iter().find(|m| &m.id == id).expect("uploaded");
                media.description.clone().unwrap_or_default()
            })
            .collect()
    };
    let accounts: Vec<&str> = state.mastodon_statuses.iter().map(|s| s.account_id.as_str()).collect();
    assert_eq!(accounts.len(), 2, "one status per account");
    let (first, second) = (accounts[0], accounts[1]);
    let mut orders = [described(first), described(second)];
    orders.sort();
    assert_eq!(
        orders,
        [
            vec!["the red loaf".to_owned(), "the white loaf".to_owned()],
            vec!["the white loaf".into(), "the red loaf".into()]
        ],
        "one account got the red loaf first, the other the shared order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_that_does_not_name_each_file_once_is_refused() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-a").await;
    for bad in [vec![0, 0], vec![0], vec![0, 1, 2]] {
        let draft = Draft {
            text: "Two loaves".into(),
            media: vec![env.photo(), other_photo(&env)],
            targets: vec![m.name.clone()],
            orders: vec![(m.name.clone(), bad.clone())],
            ..Draft::default()
        };
        let review =
            post::review(&env.outbox(), &Default::default(), &env.variants(), &draft, env.clock.now()).expect("review");
        assert_eq!(review.problems, [DraftProblem::MediaOrder { account: "m".into(), files: 2 }], "{bad:?}");
        let refused = post::enqueue(
            &env.outbox(),
            &Default::default(),
            &env.variants(),
            &env.dir.path().join("media"),
            &draft,
            env.clock.now(),
        )
        .expect_err("refused");
        let fanout_core::Error::NotReady(not_ready) = &refused else { panic!("a draft problem: {refused}") };
        assert_eq!(
            not_ready.problems,
            [fanout_core::post::DraftProblem::MediaOrder { account: "m".into(), files: 2 }],
            "{refused}"
        );
        assert!(refused.to_string().contains("must name each of the 2 files once"), "{refused}");
    }
    assert!(env.outbox().list(&Default::default()).expect("list").is_empty(), "nothing was queued");
}
