//! What the machine does wrong, not the platform: another program holding the database's write
//! lock while a post is in flight or while the worker is idle, an absurd rate-limit hint, an
//! answer that never ends, a database rolled back under Bluesky. Nothing may go out twice, and
//! the worker must come through each.

use std::time::{Duration, Instant};

use fanout_core::model::{DeliveryState, MAX_RETRY_HINT};
use fanout_core::worker::{StopWhen, Worker, WorkerConfig, WorkerHealth};
use tokio_util::sync::CancellationToken;

use super::{Env, WEBHOOK, env};

/// The app's lease: a lock shorter than it never costs the worker its delivery.
const APP_LEASE: Duration = Duration::from_secs(60);

impl Env {
    /// Holds the database's write lock from another connection for `hold`, as a backup tool or a
    /// `sqlite3` shell would; returns once the lock is taken.
    async fn hold_write_lock(&self, hold: Duration) -> tokio::task::JoinHandle<()> {
        let path = self.dir.path().join("fanout.db");
        let (taken, taken_rx) = tokio::sync::oneshot::channel();
        let held = tokio::task::spawn_blocking(move || {
            let conn = rusqlite::Connection::open(&path).expect("a second connection");
            conn.execute_batch("BEGIN IMMEDIATE").expect("the write lock");
            let _ = taken.send(());
            std::thread::sleep(hold);
            conn.execute_batch("COMMIT").expect("released");
        });
        taken_rx.await.expect("the lock was taken");
        held
    }

    fn worker(&self, stop_when: StopWhen) -> Worker {
        self.worker_with_lease(stop_when, APP_LEASE)
    }

    fn worker_with_lease(&self, stop_when: StopWhen, lease: Duration) -> Worker {
        Worker::new(
            self.outbox(),
            self.registry.clone(),
            self.secrets.clone(),
            self.http.clone(),
            self.clock.clone(),
            WorkerConfig {
                lease,
                stop_when,
                pacing: Some(Duration::ZERO),
                poll: Duration::from_millis(50),
                variants: self.variants(),
                ..WorkerConfig::default()
            },
        )
    }
}

/// A Discord post whose webhook answers after `answer_after`, delivered by a worker with `lease`
/// while another program takes the write lock for `hold` from the moment the request arrives:
/// it must go out once and be recorded as sent.
async fn locked_while_in_flight(hook: u32, answer_after: Duration, lease: Duration, hold: Duration) {
    let latency = answer_after.as_millis();
    let faults = format!(r#"{{"routes": {{"{WEBHOOK}": {{"latency_ms": {latency}}}}}}}"#);
    let env = super::env_with(&faults, super::fast_policy(), Duration::from_secs(120)).await;
    let discord = env.discord("team", hook, &format!("hook-{hook}")).await;
    let ids = env.post("Sent once, lock or no lock", vec![], &[&discord]);
    let worker = env.worker_with_lease(StopWhen::Settled(ids.clone()), lease);
    let run = tokio::spawn(async move { worker.run(CancellationToken::new()).await });
    let until = Instant::now() + Duration::from_secs(10);
    while env.requests(WEBHOOK).is_empty() {
        assert!(Instant::now() < until, "the post never left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let held = env.hold_write_lock(hold).await;
    let summary = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the worker settles the delivery")
        .expect("joined")
        .expect("a held lock is waited out, not a reason to stop");
    held.await.expect("released");

    let events = env.store.read(|tx| fanout_core::store::events::since(tx, 0)).expect("events");
    let story: Vec<String> = events.iter().map(|e| format!("{} {:?}", e.state, e.detail)).collect();
    assert_eq!(env.sandbox.state().discord_messages.len(), 1, "one message on Discord, never two: {story:#?}");
    assert_eq!(env.requests(WEBHOOK).len(), 1, "the webhook was called once: {story:#?}");
    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::Sent, "the outcome was recorded once the lock was gone: {story:#?}");
    assert_eq!(summary.sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_while_the_post_is_in_flight_never_makes_it_go_out_twice() {
    // The webhook answers after 3.5 s; meanwhile another program holds the write lock for 16 s,
    // longer than one write's busy wait, so recording "sent" fails at first.
    locked_while_in_flight(31, Duration::from_millis(3500), APP_LEASE, Duration::from_secs(16)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_longer_than_the_lease_leaves_the_delivery_with_the_task_still_running_it() {
    // The webhook answers after 15 s; another program holds the write lock for the first 12 of
    // them, so the 2 s lease cannot be renewed and runs out, and the worker's own next claim
    // takes the delivery back before the answer comes.
    locked_while_in_flight(34, Duration::from_secs(15), Duration::from_secs(2), Duration::from_secs(12)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_survives_a_database_locked_while_it_is_idle_and_says_it_is_paused() {
    let env = env("{}").await;
    let discord = env.discord("team", 32, "hook-idle").await;
    let worker = env.worker(StopWhen::Cancelled);
    let mut health = worker.health();
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let run = tokio::spawn(async move { worker.run(stop).await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let held = env.hold_write_lock(Duration::from_secs(12)).await;
    let paused = tokio::time::timeout(Duration::from_secs(20), health.wait_for(|h| *h != WorkerHealth::Delivering))
        .await
        .expect("the pause is reported")
        .expect("the worker is alive")
        .clone();
    let WorkerHealth::Paused { reason, .. } = paused else { panic!("paused") };
    assert!(reason.contains("locked") || reason.contains("busy"), "says why: {reason}");
    assert!(reason.contains(&env.dir.path().display().to_string()), "names the data folder: {reason}");
    assert!(reason.contains("another program is using the database"), "in words a user acts on: {reason}");
    held.await.expect("released");
    tokio::time::timeout(Duration::from_secs(40), health.wait_for(|h| *h == WorkerHealth::Delivering))
        .await
        .expect("delivery resumes by itself")
        .expect("the worker is alive");
    assert!(!run.is_finished(), "the loop is still running");

    let ids = env.post("After the lock", vec![], &[&discord]);
    let until = Instant::now() + Duration::from_secs(20);
    while env.delivery(ids[0]).state != DeliveryState::Sent {
        assert!(Instant::now() < until, "a post made after the lock goes out: {:?}", env.delivery(ids[0]));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    let summary = run.await.expect("joined").expect("stopped cleanly");
    assert_eq!(summary.sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_retry_hint_is_capped_and_retrying_clears_the_pause() {
    let env = env("{}").await;
    let channel = env.telegram("@fanoutbakery").await.expect("linked");
    let plan = r#"{"routes": {"POST /bot{token}/{method}": {"faults": [{"status": 429, "retry_after": 1000000000}]}}}"#;
    env.sandbox.set_faults(fanout_sandbox::FaultPlan::from_json(plan).expect("a plan"));
    let ids = env.post("Not parked until 2058", vec![], &[&channel]);
    env.run_worker(StopWhen::Idle).await;

    let d = env.delivery(ids[0]);
    assert_eq!(d.state, DeliveryState::RetryWait, "{:?}", d.last_error);
    let account = env.accounts().find(&channel.name).expect("the account");
    let paused = account.paused_until.expect("Telegram's hint pauses the account");
    let latest = fanout_core::clock::Clock::now(env.clock.as_ref()).plus(MAX_RETRY_HINT);
    assert!(paused.0 <= latest.0, "the pause is capped at a day: {paused:?}");
    assert!(paused.0 > latest.0 - 60_000, "a day, as the cap");

    env.outbox().retry(&ids[0].to_string(), env.clock.now()).expect("the user retries");
    let account = env.accounts().find(&channel.name).expect("the account");
    assert_eq!(account.paused_until, None, "retrying means now");
    env.run_worker(StopWhen::Idle).await;
    assert_eq!(env.delivery(ids[0]).state, DeliveryState::Sent, "sent after the retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_cut_off_at_the_limit() {
    let env = env("{}").await;
    // A webhook that answers its check, then answers the post with 200 and streams without end.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut request = [0u8; 8192];
                let n = stream.read(&mut request).await.unwrap_or(0);
                if request[..n].starts_with(b"GET ") {
                    let body = r#"{"id":"33","type":1,"name":"Endless","channel_id":"2","guild_id":"1"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let frame = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
                while stream.write_all(&frame).await.is_ok() {}
            });
        }
    });
    let discord = env
        .accounts()
        .add(fanout_core::accounts::NewAccount {
            name: Some("endless".into()),
            credentials: fanout_core::accounts::Credentials::new(fanout_core::model::NetworkKind::Discord).secret(
                "webhook",
                fanout_core::secrets::Secret::new(format!("http://{address}/api/webhooks/33/hook-endless")),
            ),
            enabled: true,
            demo: true,
        })
        .await
        .expect("the webhook answers its check");
    let ids = env.post("Into an endless answer", vec![], &[&discord]);
    let started = Instant::now();
    env.run_worker(StopWhen::Settled(ids.clone())).await;
    let d = env.delivery(ids[0]);
    assert_eq!(
        d.state,
        DeliveryState::Unconfirmed,
        "the answer was never read whole, so whether it went out is unknown: {:?}",
        d.last_error
    );
    let events = env.store.read(|tx| fanout_core::store::events::since(tx, 0)).expect("events");
    assert!(
        events.iter().any(|e| e.detail.as_deref().is_some_and(|t| t.contains("larger than the 4 MB"))),
        "says why: {events:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20), "cut off, not read for ever");
}
