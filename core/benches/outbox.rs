//! Outbox throughput beside a bare rusqlite loop with the same pragmas (WAL, synchronous=FULL), and
//! the wall time of one post fanned out to 10 sandbox accounts with 100 ms of latency beside one
//! round trip, all measured in the same run. `make bench`; figures go in the README.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fanout_core::accounts::{Accounts, Credentials, NewAccount};
use fanout_core::clock::{Clock, SystemClock, Timestamp};
use fanout_core::model::{Account, AccountId, Health, NetworkKind, Post, PostId};
use fanout_core::networks::Registry;
use fanout_core::outbox::{Outbox, RetryPolicy};
use fanout_core::secrets::{FileStore, Secret};
use fanout_core::store::{Store, accounts};
use fanout_core::worker::{StopWhen, Worker, WorkerConfig};
use rusqlite::{Connection, params};
use tokio_util::sync::CancellationToken;

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const LEASE: Duration = Duration::from_secs(60);

fn fanout_outbox(dir: &std::path::Path, accounts_n: usize) -> (Outbox, Vec<AccountId>) {
    let store = Arc::new(Store::open(&dir.join("fanout.db")).expect("open"));
    let ids = (0..accounts_n)
        .map(|i| {
            let account = Account {
                id: AccountId::new(),
                network: NetworkKind::Discord,
                name: format!("a{i}"),
                endpoint: "http://127.0.0.1:9/api/webhooks/1".into(),
                remote_id: None,
                enabled: true,
                demo: false,
                health: Health::Ok,
                health_detail: None,
                paused_until: None,
                created_at: NOW,
                options: Default::default(),
            };
            store.write(|tx| accounts::insert(tx, &account)).expect("account");
            account.id
        })
        .collect();
    (Outbox::new(store, RetryPolicy::default()), ids)
}

/// The floor: the same pragmas, plain tables, no state machine.
fn bare(dir: &std::path::Path) -> Connection {
    let conn = Connection::open(dir.join("bare.db")).expect("open");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         CREATE TABLE posts (id TEXT PRIMARY KEY, text TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;
         CREATE TABLE jobs (id TEXT PRIMARY KEY, post_id TEXT NOT NULL REFERENCES posts(id), state TEXT NOT NULL,
                            due INTEGER NOT NULL, owner TEXT) STRICT;
         CREATE INDEX jobs_due ON jobs(due) WHERE state = 'queued';",
    )
    .expect("schema");
    conn
}

fn post() -> Post {
    Post {
        id: PostId::new(),
        text: "benchmark post".into(),
        media: vec![],
        created_at: NOW,
        scheduled_at: None,
        texts: vec![],
        story: false,
        templates: vec![],
        first_comments: vec![],
        orders: vec![],
    }
}

fn enqueue(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (outbox, targets) = fanout_outbox(dir.path(), 10);
    let mut bare = bare(dir.path());
    let mut group = c.benchmark_group("enqueue one post to 10 targets");
    group.bench_function("fanout Outbox::enqueue", |b| {
        b.iter(|| outbox.enqueue(&post(), &targets, NOW).expect("enqueue"));
    });
    group.bench_function("bare rusqlite insert (1 + 10 rows, one transaction)", |b| {
        b.iter(|| {
            let tx = bare.transaction().expect("tx");
            let post_id = uuid::Uuid::now_v7().to_string();
            tx.execute("INSERT INTO posts VALUES (?1, 'benchmark post', 0)", [&post_id]).expect("post");
            for _ in 0..10 {
                tx.execute(
                    "INSERT INTO jobs VALUES (?1, ?2, 'queued', 0, NULL)",
                    params![uuid::Uuid::now_v7().to_string(), post_id],
                )
                .expect("job");
            }
            tx.commit().expect("commit");
        });
    });
    group.finish();
}

fn claim_complete(c: &mut Criterion) {
    let mut group = c.benchmark_group("claim and complete one delivery");
    group.bench_function("fanout claim_due + sent", |b| {
        b.iter_custom(|iters| {
            let dir = tempfile::tempdir().expect("tempdir");
            let (outbox, targets) = fanout_outbox(dir.path(), 100);
            let posts = (iters as usize).div_ceil(targets.len());
            for _ in 0..posts {
                outbox.enqueue(&post(), &targets, NOW).expect("enqueue");
            }
            let start = Instant::now();
            for _ in 0..iters {
                let d = outbox.claim_due("bench", NOW, LEASE, 1).expect("claim").pop().expect("due");
                outbox.sent(&d, "bench", NOW, "1", None).expect("sent");
            }
            start.elapsed()
        });
    });
    group.bench_function("bare rusqlite UPDATE … RETURNING + UPDATE", |b| {
        b.iter_custom(|iters| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut conn = bare(dir.path());
            {
                let tx = conn.transaction().expect("tx");
                tx.execute("INSERT INTO posts VALUES ('p', 'x', 0)", []).expect("post");
                for _ in 0..iters {
                    tx.execute(
                        "INSERT INTO jobs VALUES (?1, 'p', 'queued', 0, NULL)",
                        [uuid::Uuid::now_v7().to_string()],
                    )
                    .expect("job");
                }
                tx.commit().expect("commit");
            }
            let start = Instant::now();
            for _ in 0..iters {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).expect("tx");
                let id: String = tx
                    .query_row(
                        "UPDATE jobs SET state = 'running', owner = 'bench'
                         WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND due <= 1 ORDER BY due LIMIT 1)
                         RETURNING id",
                        [],
                        |r| r.get(0),
                    )
                    .expect("claim");
                tx.commit().expect("commit");
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).expect("tx");
                tx.execute("UPDATE jobs SET state = 'done', owner = NULL WHERE id = ?1 AND owner = 'bench'", [&id])
                    .expect("done");
                tx.commit().expect("commit");
            }
            start.elapsed()
        });
    });
    group.finish();
}

fn fan_out(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let plan = fanout_sandbox::FaultPlan::from_json(r#"{"routes": {"*": {"latency_ms": 100}}}"#).expect("plan");
    let sandbox = runtime
        .block_on(fanout_sandbox::Sandbox::start(fanout_sandbox::SandboxConfig { faults: plan, ..Default::default() }))
        .expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("fanout.db")).expect("open"));
    let secrets = Arc::new(FileStore::new(dir.path().join("secrets.json")));
    let http = fanout_core::http::client(&fanout_core::http::HttpConfig::default()).expect("client");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let linker = Accounts::new(store.clone(), secrets.clone(), http.clone(), clock.clone(), Registry::default());
    let targets: Vec<AccountId> = (0..10)
        .map(|i| {
            let url = format!("{}/api/webhooks/{}/hook-{i}", sandbox.url(), 900 + i);
            runtime
                .block_on(linker.add(NewAccount {
                    name: Some(format!("d{i}")),
                    credentials:
                        Credentials::new(fanout_core::model::NetworkKind::Discord).secret("webhook", Secret::new(url)),
                    enabled: true,
                    demo: true,
                }))
                .expect("link")
                .id
        })
        .collect();
    let outbox = Outbox::new(store.clone(), RetryPolicy::default());
    let mut group = c.benchmark_group("one post to sandbox accounts with 100 ms latency");
    group.sample_size(10);
    for n in [1usize, 10] {
        group.bench_function(format!("{n} account(s), enqueue to all sent"), |b| {
            b.iter(|| {
                let ids = outbox.enqueue(&post(), &targets[..n], clock.now()).expect("enqueue");
                let config = WorkerConfig {
                    stop_when: StopWhen::Settled(ids),
                    pacing: Some(Duration::ZERO),
                    poll: Duration::from_millis(20),
                    ..WorkerConfig::default()
                };
                let worker = Worker::new(
                    outbox.clone(),
                    Registry::default(),
                    secrets.clone(),
                    http.clone(),
                    clock.clone(),
                    config,
                );
                runtime.block_on(worker.run(CancellationToken::new())).expect("run")
            });
        });
    }
    group.finish();
    runtime.block_on(sandbox.shutdown());
}

criterion_group!(benches, enqueue, claim_complete, fan_out);
criterion_main!(benches);
