//! The posting queue with the worker: posts added to the queue wait for their accounts' posting
//! times and go out when each comes, not before. The clock is a `ManualClock`, so no test waits
//! for a real posting time.

use std::sync::Arc;

use fanout_core::clock::{Clock, ManualClock, Timestamp};
use fanout_core::model::DeliveryState;
use fanout_core::networks::Registry;
use fanout_core::post::Draft;
use fanout_core::queue::{self, NewSlot};
use fanout_core::worker::StopWhen;

use super::{WEBHOOK, env};

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).expect("a time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_posts_take_each_accounts_next_free_time_and_go_out_when_it_comes() {
    let mut env = env("{}").await;
    // Monday 2 March 2026, two seconds before nine in Amsterdam.
    let clock = ManualClock::new(at("2026-03-02T08:59:58+01:00"));
    env.clock = Arc::new(clock.clone());
    env.discord("a", 1, "hook-a").await;
    env.discord("b", 2, "hook-b").await;
    let slot = |days: &str, time: &str, account: &str| NewSlot {
        days: days.parse().expect("days"),
        minute_of_day: queue::parse_time(time).expect("time"),
        zone: "Europe/Amsterdam".into(),
        accounts: vec![account.into()],
    };
    queue::add(&env.store, &slot("mon-fri", "09:00", "a"), clock.now()).expect("a's posting time");
    queue::add(&env.store, &slot("daily", "12:00", "b"), clock.now()).expect("b's posting time");

    let add = |text: &str| {
        let draft = Draft { text: text.into(), targets: vec!["a".into(), "b".into()], ..Draft::default() };
        let media = env.dir.path().join("media");
        queue::enqueue(&env.outbox(), &Registry::default(), &env.variants(), &media, &draft, clock.now())
            .expect("added to the queue")
    };
    let first = add("Open at nine");
    let second = add("Open at nine again");
    let plan = |posts: &[queue::QueuedPost]| -> Vec<(String, Vec<String>)> {
        posts
            .iter()
            .map(|q| (q.at.to_rfc3339(), q.deliveries.iter().map(|(_, acc)| acc.name.clone()).collect()))
            .collect()
    };
    let row = |t: &str, name: &str| (t.to_owned(), vec![name.to_owned()]);
    assert_eq!(plan(&first), [row("2026-03-02T08:00:00Z", "a"), row("2026-03-02T11:00:00Z", "b")]);
    assert_eq!(
        plan(&second),
        [row("2026-03-03T08:00:00Z", "a"), row("2026-03-03T11:00:00Z", "b")],
        "the second post takes the following free times"
    );

    env.run_worker(StopWhen::Idle).await;
    assert!(env.requests(WEBHOOK).is_empty(), "nothing goes before its time");

    clock.set(at("2026-03-02T09:00:01+01:00"));
    let a_first = first[0].deliveries[0].0;
    env.deliver(&[a_first]).await;
    assert_eq!(env.delivery(a_first).state, DeliveryState::Sent, "a's post went out at nine");
    let sent: Vec<(String, String)> =
        env.sandbox.state().discord_messages.into_iter().map(|m| (m.webhook_id, m.content)).collect();
    assert_eq!(sent, [("1".to_owned(), "Open at nine".to_owned())], "only a's first post, once");
    for waiting in [first[1].deliveries[0].0, second[0].deliveries[0].0, second[1].deliveries[0].0] {
        assert_eq!(env.delivery(waiting).state, DeliveryState::Queued, "the later ones wait for their times");
    }
}
