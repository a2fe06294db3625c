//! Editing a scheduled post: the new text, files, targets and time replace the old for every
//! delivery that has not started, in one transaction; what went out already is left alone and
//! named.

use std::time::Duration;

use fanout_core::clock::Timestamp;
use fanout_core::model::DeliveryState;
use fanout_core::networks::Registry;
use fanout_core::post::{self, Draft};

use super::{STATUSES, WEBHOOK, env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_post_goes_out_with_the_new_text_at_the_new_time_to_the_new_targets() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 111, "hook-d").await;
    let now = env.clock.now();
    let ids = env.enqueue(&Draft {
        text: "Opening at nine".into(),
        targets: vec![m.name.clone(), d.name.clone()],
        scheduled_at: Some(now.plus(Duration::from_secs(3600))),
        ..Draft::default()
    });
    let old = env.delivery(ids[0]).post_id;

    let mut draft = post::draft_of(&env.outbox(), old).expect("the post as a draft");
    assert_eq!(draft.text, "Opening at nine");
    assert_eq!(draft.targets.len(), 2, "both targets come back: {:?}", draft.targets);
    draft.text = "Opening at ten".into();
    draft.media = vec![env.photo()];
    draft.targets = vec![m.id.to_string()];
    let soon = env.clock.now().plus(Duration::from_millis(800));
    draft.scheduled_at = Some(soon);
    let edited = post::edit(
        &env.outbox(),
        &Registry::default(),
        &env.variants(),
        &env.dir.path().join("media"),
        old,
        &draft,
        env.clock.now(),
    )
    .expect("a post that has not started can be edited");
    assert!(edited.unchanged.is_empty());
    assert_eq!(edited.deliveries.len(), 1);
    let kept = edited.deliveries[0].0;
    assert_eq!(kept, ids[0], "the kept target keeps its delivery");
    let gone = env.outbox().get(ids[1]).expect("read");
    assert!(gone.is_none(), "Discord, taken off, has no delivery left: {gone:?}");
    let posts = env.outbox().store().read(|tx| fanout_core::store::posts::get(tx, old)).expect("read");
    assert!(posts.is_none(), "the old post is gone with its last delivery");

    env.deliver(&[kept]).await;
    let sent = env.delivery(kept);
    assert_eq!(sent.state, DeliveryState::Sent);
    let state = env.sandbox.state();
    assert_eq!(state.mastodon_statuses.len(), 1);
    assert_eq!(state.mastodon_statuses[0].text, "Opening at ten", "the new text goes out");
    assert_eq!(state.mastodon_media.len(), 1, "with the photo added in the edit");
    assert!(env.requests(WEBHOOK).is_empty(), "Discord, taken off, got nothing");
    let at = Timestamp(env.requests(STATUSES)[0].at_ms as i64);
    assert!(at.0 >= soon.0, "it went out at the new time, not before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_leaves_what_went_out_alone_and_says_so_and_cancel_all_stops_the_rest() {
    let env = env("{}").await;
    let m = env.mastodon("m", "token-m").await;
    let d = env.discord("d", 111, "hook-d").await;
    let edit = |old, draft: &Draft| {
        post::edit(
            &env.outbox(),
            &Registry::default(),
            &env.variants(),
            &env.dir.path().join("media"),
            old,
            draft,
            env.clock.now(),
        )
    };

    // Discord is off, so only Mastodon's delivery goes out; Discord's waits.
    let ids = env.post("Sale starts today", Vec::new(), &[&m, &d]);
    env.outbox().store().write(|tx| fanout_core::store::accounts::set_enabled(tx, d.id, false)).expect("off");
    env.deliver(&ids[..1]).await;
    env.outbox().store().write(|tx| fanout_core::store::accounts::set_enabled(tx, d.id, true)).expect("on");
    let old = env.delivery(ids[0]).post_id;
    let mut draft = post::draft_of(&env.outbox(), old).expect("draft");
    draft.text = "Sale starts today, until six".into();
    let edited = edit(old, &draft).expect("the waiting target can still change");
    assert_eq!(edited.unchanged.len(), 1, "the sent delivery is named: {:?}", edited.unchanged);
    assert_eq!((edited.unchanged[0].id, edited.unchanged[0].state), (ids[0], DeliveryState::Sent));
    assert_eq!(edited.deliveries.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![ids[1]]);
    assert_eq!(env.delivery(ids[0]).post_id, old, "the sent delivery stays with what it sent");
    let new = env.delivery(ids[1]).post_id;
    assert_ne!(new, old);
    let kept =
        env.outbox().store().read(|tx| fanout_core::store::posts::get(tx, old)).expect("read").expect("old post");
    assert_eq!(kept.text, "Sale starts today", "history keeps the text that went out");

    // Once everything has started or gone out, an edit is refused with what to do instead.
    env.deliver(&ids[1..]).await;
    assert_eq!(env.sandbox.state().discord_messages[0].content, "Sale starts today, until six");
    let e = edit(new, &post::draft_of(&env.outbox(), new).expect("draft")).expect_err("all sent");
    assert!(e.to_string().contains("can no longer be edited; share it again instead"), "{e}");
    let e = env.outbox().cancel_post(new, env.clock.now()).map(|n| n.to_string());
    assert_eq!(e.expect("nothing left to cancel"), "0");

    // Cancel all stops every delivery that has not gone out, in one go.
    let later = env.clock.now().plus(Duration::from_secs(3600));
    let ids = env.enqueue(&Draft {
        text: "Two targets".into(),
        targets: vec![m.name.clone(), d.name.clone()],
        scheduled_at: Some(later),
        ..Draft::default()
    });
    let two = env.delivery(ids[0]).post_id;
    assert_eq!(env.outbox().cancel_post(two, env.clock.now()).expect("cancel all"), 2);
    assert!(ids.iter().all(|id| env.delivery(*id).state == DeliveryState::Cancelled));
    let e = edit(two, &post::draft_of(&env.outbox(), two).expect("draft")).expect_err("cancelled");
    assert!(e.to_string().contains("can no longer be edited"), "{e}");
}
