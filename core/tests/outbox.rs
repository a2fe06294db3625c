//! Storage and outbox tests: real SQLite files in a temporary folder, a manual clock.

use std::sync::Arc;
use std::time::Duration;

use fanout_core::clock::{Clock, ManualClock, Timestamp};
use fanout_core::model::{
    Account, AccountId, DeliveryState, Failure, FailureKind, Health, NetworkKind, Post, PostId, Recipient, Reconciled,
};
use fanout_core::outbox::{Outbox, Resolution, RetryPolicy};
use fanout_core::store::{self, Store, accounts, deliveries};
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: Timestamp = Timestamp(1_800_000_000_000);
const LEASE: Duration = Duration::from_secs(30);

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    outbox: Outbox,
    clock: ManualClock,
}

fn fixture() -> Fixture {
    fixture_with(RetryPolicy {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(60),
        max_attempts: 3,
        reconcile_after: Duration::from_secs(5),
    })
}

fn fixture_with(policy: RetryPolicy) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("fanout.db")).expect("open"));
    let outbox = Outbox::new(store.clone(), policy);
    Fixture { _dir: dir, store, outbox, clock: ManualClock::new(T0) }
}

fn add_account(store: &Store, name: &str, enabled: bool) -> AccountId {
    let account = Account {
        id: AccountId::new(),
        network: NetworkKind::Mastodon,
        name: name.into(),
        endpoint: "http://127.0.0.1:9".into(),
        remote_id: None,
        enabled,
        demo: false,
        health: Health::Ok,
        health_detail: None,
        paused_until: None,
        created_at: T0,
        options: Default::default(),
    };
    store.write(|tx| accounts::insert(tx, &account)).expect("insert account");
    account.id
}

fn post(text: &str, scheduled_at: Option<Timestamp>) -> Post {
    Post {
        id: PostId::new(),
        text: text.into(),
        media: vec![],
        created_at: T0,
        scheduled_at,
        texts: vec![],
        story: false,
        templates: vec![],
        first_comments: vec![],
        orders: vec![],
    }
}

fn state_of(f: &Fixture, id: fanout_core::model::DeliveryId) -> fanout_core::model::Delivery {
    f.outbox.get(id).expect("read").expect("delivery exists")
}

#[test]
fn migrations_run_from_an_empty_file_and_from_every_earlier_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let latest = store::migrations();
    latest.validate().expect("the migration list is consistent");

    let fresh = Store::open(&dir.path().join("fresh.db")).expect("open empty");
    let newest = fresh.schema_version().expect("version");
    assert!(newest >= 2, "a new file is brought to the newest schema");

    for version in 1..newest {
        let path = dir.path().join(format!("from-v{version}.db"));
        let old = Store::open_at_version(&path, version).expect("old schema");
        let id = AccountId::new();
        old.write(|tx| {
            // Written with the SQL of the old schema, as an old release would have.
            tx.execute(
                "INSERT INTO accounts (id, network, name, endpoint, remote_id, enabled, demo, health, \
                 health_detail, paused_until, created_at) \
                 VALUES (?1, 'mastodon', 'kept', 'http://127.0.0.1:9', NULL, 1, 0, 'ok', NULL, NULL, 0)",
                [id.to_string()],
            )?;
            let p = post("written under an old schema", None);
            tx.execute(
                "INSERT INTO posts (id, text, created_at, scheduled_at) VALUES (?1, ?2, 0, NULL)",
                [p.id.to_string(), p.text.clone()],
            )?;
            tx.execute(
                "INSERT INTO deliveries (id, post_id, account_id, state, next_attempt_at, created_at, updated_at)
                 VALUES ('d1', ?1, ?2, 'queued', 0, 0, 0)",
                [p.id.to_string(), id.to_string()],
            )?;
            if version >= 2 {
                tx.execute("INSERT INTO delivery_events (delivery_id, at, state) VALUES ('d1', 0, 'queued')", [])?;
            }
            Ok(())
        })
        .expect("data under the old schema");
        drop(old);
        let upgraded = Store::open(&path).expect("upgrade");
        assert_eq!(upgraded.schema_version().expect("version"), newest, "v{version} upgrades to the newest");
        let names: Vec<String> =
            upgraded.read(|tx| accounts::list(tx)).expect("list").into_iter().map(|a| a.name).collect();
        assert_eq!(names, vec!["kept".to_owned()], "an upgrade keeps the accounts of v{version}");
        let count: i64 =
            upgraded.read(|tx| Ok(tx.query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0))?)).expect("count");
        assert_eq!(count, 1, "an upgrade keeps the deliveries of v{version}");
        let dangling: i64 = upgraded
            .read(|tx| Ok(tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?))
            .expect("check");
        assert_eq!(dangling, 0, "every reference still holds after upgrading v{version}");
        let recipient: String =
            upgraded.read(|tx| Ok(tx.query_row("SELECT recipient FROM deliveries", [], |r| r.get(0))?)).expect("read");
        assert_eq!(recipient, "", "an old delivery goes to its account, not to a person");
        let post_id: String =
            upgraded.read(|tx| Ok(tx.query_row("SELECT post_id FROM deliveries", [], |r| r.get(0))?)).expect("post");
        let kept = upgraded
            .read(|tx| fanout_core::store::posts::get(tx, post_id.parse().expect("id")))
            .expect("read")
            .expect("the post is there");
        assert_eq!(kept.text, "written under an old schema", "an upgrade keeps the posts of v{version}");
        assert!(kept.texts.is_empty(), "an old post has no per-target texts");
    }
}

#[test]
fn a_post_reaches_one_account_once_per_recipient() {
    let f = fixture();
    let a = add_account(&f.store, "whatsapp", true);
    let person = |phone: &str, name: Option<&str>| Recipient { phone: phone.into(), name: name.map(Into::into) };
    let p = post("hello", None);
    let targets = [(a, Some(person("+31612345678", Some("Ann")))), (a, Some(person("+32470123456", None)))];
    let ids = f.outbox.enqueue_to(&p, &targets, T0).expect("enqueue");
    assert_eq!(ids.len(), 2);
    let first = state_of(&f, ids[0]);
    assert_eq!(first.recipient, Some(person("+31612345678", Some("Ann"))));
    assert_eq!(state_of(&f, ids[1]).recipient.map(|r| r.phone), Some("+32470123456".into()));
    let twice = [(a, Some(person("+31612345678", None))), (a, Some(person("+31612345678", None)))];
    assert!(f.outbox.enqueue_to(&post("again", None), &twice, T0).is_err(), "one delivery per recipient");
    let claimed = f.outbox.claim_due("w", T0, LEASE, 10).expect("claim");
    assert_eq!(claimed.len(), 1, "one at a time per account");
    assert!(claimed[0].recipient.is_some(), "the claim carries the recipient");
}

#[test]
fn the_database_is_durable_wal_with_foreign_keys() {
    let f = fixture();
    let (mode, sync, fk): (String, i64, i64) = f
        .store
        .read(|tx| {
            Ok((
                tx.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                tx.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
            ))
        })
        .expect("pragmas");
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL: a commit survives power loss");
    assert_eq!(fk, 1, "foreign keys are enforced");
}

#[test]
fn enqueue_is_one_transaction() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let ghost = AccountId::new();
    let err = f.outbox.enqueue(&post("hello", None), &[a, ghost], T0);
    assert!(err.is_err(), "a delivery to an account that does not exist must fail");
    let rows = f.outbox.list(&Default::default()).expect("list");
    assert!(rows.is_empty(), "a failed enqueue leaves neither the post nor any delivery behind");

    let ids = f.outbox.enqueue(&post("hello", None), &[a], T0).expect("enqueue");
    assert_eq!(ids.len(), 1);
    assert_eq!(state_of(&f, ids[0]).state, DeliveryState::Queued);
}

#[test]
fn claim_takes_only_due_work_one_per_account_and_never_for_disabled_accounts() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let b = add_account(&f.store, "b", true);
    let off = add_account(&f.store, "off", false);
    let later = T0.plus(Duration::from_secs(3600));
    f.outbox.enqueue(&post("first", None), &[a, b, off], T0).expect("enqueue");
    f.outbox.enqueue(&post("second", None), &[a], T0).expect("enqueue");
    f.outbox.enqueue(&post("scheduled", Some(later)), &[b], T0).expect("enqueue");

    let claimed = f.outbox.claim_due("w1", T0, LEASE, 10).expect("claim");
    let mut accounts: Vec<AccountId> = claimed.iter().map(|d| d.account_id).collect();
    accounts.sort();
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(accounts, expected, "one delivery per enabled account; disabled and scheduled ones wait");
    assert!(claimed.iter().all(|d| d.state == DeliveryState::Running && d.attempts == 1));

    let again = f.outbox.claim_due("w2", T0, LEASE, 10).expect("claim");
    assert!(again.is_empty(), "an account with a delivery under a live lease gets no second one");

    let at_a = claimed.iter().find(|d| d.account_id == a).expect("a's delivery");
    f.outbox.sent(at_a, "w1", T0, "1", None).expect("sent");
    let next = f.outbox.claim_due("w2", T0, LEASE, 10).expect("claim");
    assert_eq!(next.len(), 1, "once a's first delivery is done its second one is due");
    assert_eq!(next[0].account_id, a);
    f.outbox.sent(&next[0], "w2", T0, "3", None).expect("sent");

    f.clock.set(later);
    let at_b = claimed.iter().find(|d| d.account_id == b).expect("b's delivery");
    f.outbox.sent(at_b, "w1", later, "2", None).expect("sent");
    let scheduled = f.outbox.claim_due("w1", later, LEASE, 10).expect("claim");
    assert_eq!(scheduled.len(), 1, "a scheduled post is due at its time");
    assert_eq!(scheduled[0].account_id, b);
}

#[test]
fn an_expired_lease_is_reclaimed_and_carries_its_publish_mark() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let ids = f.outbox.enqueue(&post("hello", None), &[a], T0).expect("enqueue");
    let d = f.outbox.claim_due("dead", T0, LEASE, 1).expect("claim").remove(0);
    f.outbox.publish_starting(d.id, "dead", T0).expect("mark");

    assert!(
        f.outbox.claim_due("alive", T0.plus(LEASE / 2), LEASE, 1).expect("claim").is_empty(),
        "a live lease is respected"
    );
    let late = T0.plus(LEASE + Duration::from_millis(1));
    let reclaimed = f.outbox.claim_due("alive", late, LEASE, 1).expect("claim");
    assert_eq!(reclaimed.len(), 1, "an expired lease makes the delivery due again");
    assert_eq!(reclaimed[0].id, ids[0]);
    assert_eq!(reclaimed[0].publish_started_at, Some(T0), "the new owner learns a publish may have happened");
    assert_eq!(reclaimed[0].attempts, 1, "the dead worker's attempt goes on: a crash uses no retry budget");
    let stale = f.outbox.sent(&d, "dead", late, "x", None);
    assert!(stale.is_err(), "the old owner can no longer record an outcome");
    assert!(f.outbox.checkpoint(d.id, "dead", &serde_json::json!({"x": 1})).is_err(), "nor a checkpoint");
}

#[test]
fn backoff_is_fully_jittered_exponential_with_the_platform_hint_as_floor() {
    let policy = RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(20),
        max_attempts: 9,
        reconcile_after: Duration::ZERO,
    };
    let mut rng = StdRng::seed_from_u64(7);
    for attempts in 1..=8u32 {
        let ceiling = Duration::from_secs(1u64 << (attempts - 1)).min(Duration::from_secs(20));
        let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(attempts, None, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w <= ceiling), "attempt {attempts}: no wait above {ceiling:?}");
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 100, "attempt {attempts}: waits are spread out (jitter), not equal");
        let hinted = policy.backoff(attempts, Some(Duration::from_secs(30)), &mut rng);
        assert!(hinted >= Duration::from_secs(30), "a Retry-After of 30 s is a floor");
    }
}

#[test]
fn transient_failures_back_off_then_fail_with_the_last_error_when_the_budget_is_spent() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let id = f.outbox.enqueue(&post("hello", None), &[a], T0).expect("enqueue")[0];
    let mut rng = StdRng::seed_from_u64(1);
    let mut now = T0;
    for attempt in 1..=3u32 {
        let d = f.outbox.claim_due("w", now, LEASE, 1).expect("claim").pop().expect("due");
        assert_eq!(d.attempts, attempt);
        let failure =
            Failure::transient(format!("HTTP 503 number {attempt}")).with_retry_after(Some(Duration::from_secs(1)));
        let state = f.outbox.attempt_failed(&d, "w", now, &failure, &mut rng).expect("record");
        let after = state_of(&f, id);
        if attempt < 3 {
            assert_eq!(state, DeliveryState::RetryWait);
            assert!(after.next_attempt_at.0 >= now.0 + 1000, "never before the Retry-After");
            assert!(f.outbox.claim_due("w", now, LEASE, 1).expect("claim").is_empty(), "not due before its time");
            now = after.next_attempt_at;
        } else {
            assert_eq!(state, DeliveryState::Failed, "the budget of 3 attempts is spent");
            let error = after.last_error.expect("an error is kept");
            assert!(error.message.contains("HTTP 503 number 3"), "the last error is shown: {}", error.message);
            assert!(error.message.contains("3 attempts"), "and how many attempts were made: {}", error.message);
        }
    }
}

#[test]
fn refused_credentials_pause_the_account_not_the_others() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let b = add_account(&f.store, "b", true);
    f.outbox.enqueue(&post("one", None), &[a, b], T0).expect("enqueue");
    f.outbox.enqueue(&post("two", None), &[a, b], T0).expect("enqueue");
    let claimed = f.outbox.claim_due("w", T0, LEASE, 10).expect("claim");
    let at_a = claimed.iter().find(|d| d.account_id == a).expect("a");
    let at_b = claimed.iter().find(|d| d.account_id == b).expect("b");
    let refused = Failure::new(FailureKind::Unauthorized, "The access token is invalid");
    let state = f.outbox.attempt_failed(at_a, "w", T0, &refused, &mut rand::rng()).expect("record");
    assert_eq!(state, DeliveryState::NeedsAttention, "a refused token is never retried by itself");
    f.outbox.sent(at_b, "w", T0, "1", None).expect("sent");
    let account = f.store.read(|tx| accounts::get(tx, a)).expect("read").expect("exists");
    assert_eq!(account.health, Health::NeedsReconnect);
    let next = f.outbox.claim_due("w", T0, LEASE, 10).expect("claim");
    assert_eq!(next.iter().map(|d| d.account_id).collect::<Vec<_>>(), vec![b], "a's deliveries wait, b's go on");
}

#[test]
fn a_lost_outcome_is_reconciled_and_an_unknowable_one_waits_for_the_user() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let id = f.outbox.enqueue(&post("hello", None), &[a], T0).expect("enqueue")[0];
    let d = f.outbox.claim_due("w", T0, LEASE, 1).expect("claim").remove(0);
    f.outbox.publish_starting(d.id, "w", T0).expect("mark");
    let lost = Failure::new(FailureKind::OutcomeUnknown, "timed out");
    assert_eq!(
        f.outbox.attempt_failed(&d, "w", T0, &lost, &mut rand::rng()).expect("record"),
        DeliveryState::Unconfirmed
    );
    assert!(f.outbox.retry(&id.to_string(), T0).is_err(), "an unconfirmed delivery is never simply retried");
    assert!(f.outbox.claim_due("w", T0, LEASE, 1).expect("claim").is_empty(), "reconciliation waits a moment");

    let later = T0.plus(Duration::from_secs(5));
    let d = f.outbox.claim_due("w", later, LEASE, 1).expect("claim").remove(0);
    assert!(d.publish_started_at.is_some(), "the claimer knows it must reconcile first");
    f.outbox.reconciled(&d, "w", later, &Reconciled::Unknown("cannot tell".into())).expect("record");
    let after = state_of(&f, id);
    assert_eq!(after.state, DeliveryState::Unconfirmed);
    assert_eq!(after.next_attempt_at, Timestamp::NEVER, "nothing is sent again without the user");
    assert!(f.outbox.claim_due("w", Timestamp(i64::MAX - 1), LEASE, 1).expect("claim").is_empty());

    let resent = f.outbox.resolve(&id.to_string(), Resolution::Resend, later).expect("resolve");
    assert_eq!(resent.state, DeliveryState::Queued);
    assert_eq!(resent.publish_started_at, None, "the user said it is not live: publish afresh");
}

#[test]
fn user_changes_follow_the_state_machine() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let id = f.outbox.enqueue(&post("hello", None), &[a], T0).expect("enqueue")[0];
    let short = &id.to_string()[28..];
    assert!(f.outbox.retry(short, T0).is_err(), "a queued delivery has nothing to retry");
    let d = f.outbox.claim_due("w", T0, LEASE, 1).expect("claim").remove(0);
    let err = f.outbox.cancel(short, T0).expect_err("running");
    assert!(err.to_string().contains("being delivered right now"), "says why: {err}");
    f.outbox.attempt_failed(&d, "w", T0, &Failure::rejected("too long"), &mut rand::rng()).expect("record");
    let retried = f.outbox.retry(short, T0).expect("retry by the end of its id");
    assert_eq!(
        (retried.state, retried.attempts, retried.last_error),
        (DeliveryState::Queued, 0, None),
        "a retry starts afresh"
    );
    let cancelled = f.outbox.cancel(short, T0).expect("cancel");
    assert_eq!(cancelled.state, DeliveryState::Cancelled);
    assert!(f.outbox.cancel(short, T0).is_err(), "cancelling twice says it is already cancelled");
    let unknown = f.outbox.retry("zzzzzzzz", T0).expect_err("unknown");
    assert!(matches!(unknown, fanout_core::Error::UnknownDelivery(_)));
}

#[test]
fn two_connections_claiming_at_once_never_share_a_delivery() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fanout.db");
    let store = Arc::new(Store::open(&path).expect("open"));
    let outbox = Outbox::new(store.clone(), RetryPolicy::default());
    let accounts: Vec<AccountId> = (0..50).map(|i| add_account(&store, &format!("acct{i}"), true)).collect();
    for i in 0..10 {
        outbox.enqueue(&post(&format!("post {i}"), None), &accounts, T0).expect("enqueue");
    }
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = Arc::new(Store::open(&path).expect("second connection"));
                let outbox = Outbox::new(store, RetryPolicy::default());
                let owner = format!("w{w}");
                let mut mine = Vec::new();
                loop {
                    let claimed = outbox.claim_due(&owner, T0, LEASE, 7).expect("claim");
                    if claimed.is_empty() {
                        if !outbox.has_due_or_running(T0).expect("check") {
                            break;
                        }
                        std::thread::yield_now();
                        continue;
                    }
                    for d in claimed {
                        outbox.sent(&d, &owner, T0, "r", None).expect("complete");
                        mine.push(d.id);
                    }
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<_> = workers.into_iter().flat_map(|w| w.join().expect("worker thread")).collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 500, "every delivery was claimed");
    assert_eq!(all.len(), 500, "and none twice");
    let rows = store.read(|tx| deliveries::list(tx, &Default::default())).expect("list");
    assert!(
        rows.iter().all(|r| r.delivery.state == DeliveryState::Sent && r.delivery.attempts == 1),
        "each in exactly one attempt"
    );
    let _ = ManualClock::new(T0).now();
}

#[test]
fn a_scheduled_post_moves_until_it_starts_and_never_into_the_past() {
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let b = add_account(&f.store, "b", true);
    let later = Timestamp(T0.0 + 3_600_000);
    let p = post("for later", Some(later));
    let ids = f.outbox.enqueue(&p, &[a, b], T0).expect("enqueue");
    let moved_to = Timestamp(T0.0 + 7_200_000);
    assert_eq!(f.outbox.reschedule(p.id, moved_to, T0).expect("reschedule"), 2, "both deliveries move");
    for id in &ids {
        assert_eq!(state_of(&f, *id).next_attempt_at, moved_to, "a moved delivery is due at the new time");
    }
    let rows = f.outbox.list(&Default::default()).expect("list");
    assert!(rows.iter().all(|r| r.scheduled_at == Some(moved_to)), "the post shows its new time");
    let past = f.outbox.reschedule(p.id, Timestamp(T0.0 - 3_600_000), T0).expect_err("the past is refused");
    assert!(past.to_string().contains("is in the past"), "{past}");

    let claimed = f.outbox.claim_due("w", moved_to, LEASE, 1).expect("claim");
    assert_eq!(claimed.len(), 1, "one delivery starts");
    let started = f.outbox.reschedule(p.id, Timestamp(moved_to.0 + 1000), moved_to).expect_err("started");
    assert!(started.to_string().contains("no longer waiting"), "{started}");
}

#[test]
fn a_running_delivery_reports_its_steps_in_the_event_log() {
    use fanout_core::outbox::Step;
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let ids = f.outbox.enqueue(&post("with two photos", None), &[a], T0).expect("enqueue");
    f.outbox.progress(ids[0], T0, Step::Upload { n: 1, total: 2 }).expect("progress");
    f.outbox.progress(ids[0], T0, Step::Publish).expect("progress");
    let details: Vec<Option<Step>> = f
        .store
        .read(|tx| fanout_core::store::events::since(tx, 0))
        .expect("events")
        .into_iter()
        .map(|e| e.detail.as_deref().and_then(Step::parse))
        .collect();
    assert_eq!(details, vec![None, Some(Step::Upload { n: 1, total: 2 }), Some(Step::Publish)]);
    assert_eq!(Step::Upload { n: 1, total: 2 }.describe(), "uploading file 1 of 2");
    assert_eq!(Step::parse("scheduled for 2030-01-01"), None, "other details are not steps");
}

#[test]
fn a_follower_starts_at_the_newest_event() {
    let f = fixture();
    assert_eq!(
        f.store.read(|tx| fanout_core::store::events::last_seq(tx)).expect("seq"),
        0,
        "an empty log starts at 0"
    );
    let a = add_account(&f.store, "a", true);
    f.outbox.enqueue(&post("one", None), &[a], T0).expect("enqueue");
    f.outbox.enqueue(&post("two", None), &[a], T0).expect("enqueue");
    let all = f.store.read(|tx| fanout_core::store::events::since(tx, 0)).expect("events");
    let last = f.store.read(|tx| fanout_core::store::events::last_seq(tx)).expect("seq");
    assert_eq!(Some(last), all.last().map(|e| e.seq), "the newest event, without reading the whole log");
}

/// Whether `plan` reads the table under `alias` only through `index`: no step scans the whole
/// table or another of its indexes.
fn reads_only_through(plan: &[String], alias: &str, index: &str) -> bool {
    let steps: Vec<&String> = plan
        .iter()
        .filter(|s| s.starts_with(&format!("SCAN {alias}")) || s.starts_with(&format!("SEARCH {alias} ")))
        .collect();
    !steps.is_empty() && steps.iter().all(|s| s.starts_with("SEARCH") || s.contains(&format!("INDEX {index}")))
}

fn sorts(plan: &[String]) -> bool {
    plan.iter().any(|s| s.contains("USE TEMP B-TREE FOR") && s.contains("ORDER BY"))
}

#[test]
fn the_duplicate_check_reads_only_the_last_week_newest_first() {
    let f = fixture();
    let plan = f.store.read(|tx| store::posts::recent_with_text_plan(tx)).expect("plan");
    assert!(
        reads_only_through(&plan, "p", "posts_created"),
        "the week's posts are found by posts_created, not by reading every post: {plan:#?}"
    );
    assert!(!sorts(&plan), "the index gives the posts newest first, nothing is sorted: {plan:#?}");
}

#[test]
fn a_claim_reads_only_the_deliveries_it_could_take() {
    let f = fixture();
    let plan = f.store.read(|tx| deliveries::claim_due_plan(tx)).expect("plan");
    assert!(
        reads_only_through(&plan, "c", "deliveries_claimable"),
        "a claim reads the unsettled deliveries by deliveries_claimable, not the sent history: {plan:#?}"
    );
    assert_eq!(
        plan.iter().filter(|s| s.starts_with("USE TEMP B-TREE")).count(),
        1,
        "the index gives each account's deliveries in due order for the window; only the last pick, \
         among one delivery per account, is sorted: {plan:#?}"
    );
}

#[test]
fn the_workers_idle_checks_read_only_the_unsettled_deliveries() {
    let f = fixture();
    for plan in f.store.read(|tx| deliveries::idle_check_plans(tx)).expect("plans") {
        assert!(
            reads_only_through(&plan, "d", "deliveries_claimable"),
            "whether anything is due, and when, is read from the unsettled deliveries only: {plan:#?}"
        );
    }
}

#[test]
fn the_outbox_list_reads_only_the_newest_deliveries() {
    let f = fixture();
    // What `fanout outbox --json` asks for by default.
    let filter = deliveries::Filter { limit: Some(50), ..Default::default() };
    let plan = f.store.read(|tx| deliveries::list_plan(tx, &filter)).expect("plan");
    assert!(
        reads_only_through(&plan, "d", "deliveries_created"),
        "the list reads deliveries newest first by deliveries_created and stops at the limit: {plan:#?}"
    );
    assert!(!sorts(&plan), "the index gives the list's order, nothing is sorted: {plan:#?}");
}

#[test]
fn a_repeat_is_found_anywhere_in_the_week_however_many_posts_came_after() {
    const DAY: i64 = 24 * 3_600_000;
    let normalized = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let f = fixture();
    let a = add_account(&f.store, "a", true);
    let b = add_account(&f.store, "b", true);
    let at = |ms: i64, text: &str| Post { created_at: Timestamp(T0.0 + ms), ..post(text, None) };
    let share = |p: &Post, to: AccountId| {
        f.outbox.enqueue(p, &[to], p.created_at).expect("enqueue");
    };

    let older = at(-8 * DAY, "hello  world");
    share(&older, a);
    let repeated = at(-6 * DAY, "hello\n world ");
    share(&repeated, a);
    let cancelled = at(-5 * DAY, "hello world");
    share(&cancelled, a);
    f.outbox.cancel_post(cancelled.id, Timestamp(T0.0 - 5 * DAY)).expect("cancel");
    let elsewhere = at(-4 * DAY, "hello world");
    share(&elsewhere, b);
    let mut own_text = at(-3 * DAY, "something else");
    own_text.texts = vec![(a, "hello world".into())];
    share(&own_text, a);
    for i in 0..60 {
        share(&at(-3 * DAY + (i + 1) * 60_000, &format!("post {i}")), a);
    }

    let since = Timestamp(T0.0 - 7 * DAY);
    let found = f
        .store
        .read(|tx| store::posts::recent_with_text(tx, a, since, |text| normalized(text) == "hello world"))
        .expect("read");
    assert_eq!(
        found,
        vec![own_text.id, repeated.id],
        "the same text to the same account within the week is found even with 60 posts after it; not \
         one older than the week, cancelled, or to another account"
    );
}
