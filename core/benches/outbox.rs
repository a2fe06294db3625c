//! Outbox throughput beside a bare rusqlite loop with the same pragmas (WAL, synchronous=FULL), and
//! the wall time of one post fanned out to 10 sandbox accounts with 100 ms of latency beside one
//! round trip, all measured in the same run. `make bench`; figures go in the README.
//!
//! The `with history` groups run the same work on an outbox that already holds 1,000 or 50,000
//! sent posts spread over the past year, beside the same bare floor: the outbox must not slow down
//! as its history grows (`cargo bench --workspace --bench outbox -- "with history"`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Bencher, Criterion, SamplingMode, criterion_group, criterion_main};
use fanout_core::accounts::{Accounts, Credentials, NewAccount};
use fanout_core::clock::{Clock, SystemClock, Timestamp};
use fanout_core::model::{Account, AccountId, DeliveryId, Health, NetworkKind, Post, PostId};
use fanout_core::networks::Registry;
use fanout_core::outbox::{Outbox, RetryPolicy};
use fanout_core::secrets::{FileStore, Secret};
use fanout_core::store::{Store, accounts, deliveries, posts};
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

/// The floor of an enqueue: a post and 10 jobs in one transaction.
fn bare_enqueue(b: &mut Bencher<'_>, bare: &mut Connection) {
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
}

/// The floor of a claim and its completion: two single-statement transactions.
fn bare_claim_complete(b: &mut Bencher<'_>) {
    b.iter_custom(|iters| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = bare(dir.path());
        {
            let tx = conn.transaction().expect("tx");
            tx.execute("INSERT INTO posts VALUES ('p', 'x', 0)", []).expect("post");
            for _ in 0..iters {
                tx.execute("INSERT INTO jobs VALUES (?1, 'p', 'queued', 0, NULL)", [uuid::Uuid::now_v7().to_string()])
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
}

fn enqueue(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (outbox, targets) = fanout_outbox(dir.path(), 10);
    let mut bare = bare(dir.path());
    let mut group = c.benchmark_group("enqueue one post to 10 targets");
    group.bench_function("fanout Outbox::enqueue", |b| {
        b.iter(|| outbox.enqueue(&post(), &targets, NOW).expect("enqueue"));
    });
    group.bench_function("bare rusqlite insert (1 + 10 rows, one transaction)", |b| bare_enqueue(b, &mut bare));
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
    group.bench_function("bare rusqlite UPDATE … RETURNING + UPDATE", bare_claim_complete);
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

/// An outbox file that already holds `posts` sent posts, written once. Work that adds to it runs
/// on a copy, taken afresh once it has grown by a tenth, so the history under measure stays
/// within 10% of the size it is named for.
struct History {
    label: &'static str,
    posts: u64,
    dir: tempfile::TempDir,
    accounts: Vec<AccountId>,
    /// The copy in use and how many posts were added to it.
    copy: std::cell::RefCell<Option<(Outbox, u64)>>,
    /// The copies used up, deleted only when the benches are done: on a disk mounted with
    /// `discard` (as this VM's is) a deleted file's blocks are trimmed in the next fsync, which
    /// would be timed.
    spent: std::cell::RefCell<Vec<tempfile::TempDir>>,
}

impl History {
    /// `posts` posts spread evenly over the 52 weeks before `NOW`, each sent to 3 of 10 accounts
    /// with its queued and sent events: written in ONE transaction, straight into the tables.
    fn seeded(label: &'static str, posts: usize) -> History {
        const SPAN: i64 = 52 * 7 * 24 * 3_600_000;
        let dir = tempfile::tempdir().expect("tempdir");
        let (outbox, accounts) = fanout_outbox(dir.path(), 10);
        let posts = i64::try_from(posts).expect("posts");
        outbox
            .store()
            .write(|tx| {
                let mut post = tx.prepare("INSERT INTO posts (id, text, created_at) VALUES (?1, ?2, ?3)")?;
                let mut delivery = tx.prepare(
                    "INSERT INTO deliveries (id, post_id, account_id, state, attempts, next_attempt_at,
                                             created_at, updated_at, remote_id, remote_url)
                     VALUES (?1, ?2, ?3, 'sent', 1, ?4, ?4, ?5, ?6, ?7)",
                )?;
                let mut event =
                    tx.prepare("INSERT INTO delivery_events (delivery_id, at, state, detail) VALUES (?1, ?2, ?3, ?4)")?;
                for i in 0..posts {
                    let at = NOW.0 - SPAN + SPAN * i / posts;
                    let id = PostId::new().to_string();
                    let text = format!(
                        "History post {i}: what happened this week, a few sentences long like most posts are, \
                         with a link to read on https://example.com/news/{i}"
                    );
                    post.execute(params![id, text, at])?;
                    for k in [0, 3, 7] {
                        let account = accounts[(i as usize + k) % accounts.len()];
                        let delivery_id = DeliveryId::new().to_string();
                        let url = format!("https://example.com/@a/{i}{k}");
                        delivery.execute(params![delivery_id, id, account.to_string(), at, at + 2_000, i, url])?;
                        event.execute(params![delivery_id, at, "queued", Option::<String>::None])?;
                        event.execute(params![delivery_id, at + 2_000, "sent", url])?;
                    }
                }
                Ok(())
            })
            .expect("seed");
        History {
            label,
            posts: u64::try_from(posts).expect("posts"),
            dir,
            accounts,
            copy: Default::default(),
            spent: Default::default(),
        }
    }

    /// The seeded outbox itself, for work that only reads.
    fn open(&self) -> Outbox {
        let store = Arc::new(Store::open(&self.dir.path().join("fanout.db")).expect("open"));
        Outbox::new(store, RetryPolicy::default())
    }

    /// An outbox with this history, to add `posts` posts to.
    fn adding(&self, posts: u64) -> Outbox {
        let mut copy = self.copy.borrow_mut();
        match copy.as_mut() {
            Some((outbox, added)) if *added + posts <= self.posts / 10 => {
                *added += posts;
                outbox.clone()
            }
            _ => {
                let outbox = self.fresh_copy();
                *copy = Some((outbox.clone(), posts));
                outbox
            }
        }
    }

    fn fresh_copy(&self) -> Outbox {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["fanout.db", "fanout.db-wal"] {
            let from = self.dir.path().join(name);
            if from.exists() {
                let to = dir.path().join(name);
                std::fs::copy(&from, &to).expect("copy");
                // On disk before the clock starts: the first checkpoint's fsync would write out
                // the whole copy and be timed.
                std::fs::File::open(&to).and_then(|f| f.sync_all()).expect("sync");
            }
        }
        let store = Arc::new(Store::open(&dir.path().join("fanout.db")).expect("open"));
        self.spent.borrow_mut().push(dir);
        Outbox::new(store, RetryPolicy::default())
    }
}

fn with_history(c: &mut Criterion) {
    let histories = [History::seeded("1k", 1_000), History::seeded("50k", 50_000)];
    let modest = |group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>| {
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    };

    let dir = tempfile::tempdir().expect("tempdir");
    let mut floor = bare(dir.path());
    let mut group = c.benchmark_group("with history: enqueue one post to 10 targets");
    modest(&mut group);
    // About 100 posts a sample, so a fresh copy of the 1k history stays within 10% of it.
    group.sample_size(40).measurement_time(Duration::from_secs(2));
    group.bench_function("bare rusqlite insert (floor)", |b| bare_enqueue(b, &mut floor));
    for history in &histories {
        group.bench_function(format!("fanout Outbox::enqueue, {} posts of history", history.label), |b| {
            // Every 10 posts their deliveries are marked sent (not timed), as a worker sends them:
            // the outbox holds its history and a few waiting, not a backlog the size of the sample.
            b.iter_custom(|iters| {
                let outbox = history.adding(iters);
                let mut elapsed = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let now = left.min(10);
                    let start = Instant::now();
                    for _ in 0..now {
                        outbox.enqueue(&post(), &history.accounts, NOW).expect("enqueue");
                    }
                    elapsed += start.elapsed();
                    left -= now;
                    outbox
                        .store()
                        .write(|tx| Ok(tx.execute("UPDATE deliveries SET state = 'sent' WHERE state = 'queued'", [])?))
                        .expect("sent");
                }
                elapsed
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("with history: claim and complete one delivery");
    modest(&mut group);
    group.bench_function("bare rusqlite UPDATE … RETURNING + UPDATE (floor)", bare_claim_complete);
    for history in &histories {
        group.bench_function(format!("fanout claim_due + sent, {} posts of history", history.label), |b| {
            // A post to the 10 accounts at a time (its enqueue not timed): the outbox holds what
            // it does while a post goes out, not a backlog the size of the sample.
            b.iter_custom(|iters| {
                let outbox = history.adding(iters.div_ceil(history.accounts.len() as u64));
                let mut elapsed = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    outbox.enqueue(&post(), &history.accounts, NOW).expect("enqueue");
                    let now = left.min(history.accounts.len() as u64);
                    let start = Instant::now();
                    for _ in 0..now {
                        let d = outbox.claim_due("bench", NOW, LEASE, 1).expect("claim").pop().expect("due");
                        outbox.sent(&d, "bench", NOW, "1", None).expect("sent");
                    }
                    elapsed += start.elapsed();
                    left -= now;
                }
                // What a short last round left waiting would pile up in the next sample's claims.
                outbox
                    .store()
                    .write(|tx| Ok(tx.execute("UPDATE deliveries SET state = 'sent' WHERE state = 'queued'", [])?))
                    .expect("sent");
                elapsed
            });
        });
    }
    group.finish();

    // What `fanout outbox --json` reads by default: the newest 50.
    let newest = deliveries::Filter { limit: Some(50), ..Default::default() };
    let mut group = c.benchmark_group("with history: the outbox list (newest 50)");
    modest(&mut group);
    for history in &histories {
        let outbox = history.open();
        group.bench_function(format!("fanout Outbox::list, {} posts of history", history.label), |b| {
            b.iter(|| assert_eq!(outbox.list(&newest).expect("list").len(), 50));
        });
    }
    group.finish();

    // The store's part of the duplicate check for one account over the last week, finding
    // nothing: the whole week's texts compared as `post::shared_before` compares them.
    let normalized = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let since = Timestamp(NOW.0 - 7 * 24 * 3_600_000);
    let mut group = c.benchmark_group("with history: duplicate check, one account, last week");
    modest(&mut group);
    for history in &histories {
        let outbox = history.open();
        let account = history.accounts[0];
        group.bench_function(format!("posts::recent_with_text, {} posts of history", history.label), |b| {
            b.iter(|| {
                outbox
                    .store()
                    .read(|tx| posts::recent_with_text(tx, account, since, |t| normalized(t) == "not there"))
                    .expect("read")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, enqueue, claim_complete, fan_out, with_history);
criterion_main!(benches);
