//! `fanout queue` and `fanout post --queue`: posting times per account, posts placed at each
//! account's next free one (a second post at the following ones), nothing sent before its time,
//! and the ways they refuse.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use serde_json::Value;

use crate::harness::Harness;

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).expect("--json prints JSON")
}

/// `now + hours`, on the minute: a daily posting time at its HH:MM next comes exactly then.
fn on_the_minute(now: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    let t = now + TimeDelta::hours(hours);
    t.with_second(0).and_then(|t| t.with_nanosecond(0)).expect("a time on the minute")
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn queued_posts_take_each_accounts_next_free_posting_times_and_wait_for_them() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    h.add_discord("b", 2, "hook-b", true);
    let now = Utc::now();
    let (at_a, at_b) = (on_the_minute(now, 2), on_the_minute(now, 3));
    let hhmm = |t: DateTime<Utc>| t.format("%H:%M").to_string();
    let added = json(
        &h.ok(&["queue", "add", "--days", "daily", "--at", &hhmm(at_a), "--zone", "UTC", "--to", "a", "--json"]).stdout,
    );
    assert_eq!(added["days"], "Every day");
    assert_eq!(added["nextAt"], rfc3339(at_a), "{added}");
    let run = h.ok(&["queue", "add", "--days", "mon-sun", "--at", &hhmm(at_b), "--zone", "utc", "--to", "b"]);
    assert!(run.stdout.contains(&format!("at {} (UTC) for b", hhmm(at_b))), "{}", run.stdout);

    let slots = json(&h.ok(&["queue", "list", "--json"]).stdout);
    let summary: Vec<(&str, &str, &str)> = slots
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| {
            (
                s["accounts"][0]["name"].as_str().unwrap_or(""),
                s["zone"].as_str().unwrap_or(""),
                s["nextAt"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let (next_a, next_b) = (rfc3339(at_a), rfc3339(at_b));
    assert!(
        summary.contains(&("a", "UTC", next_a.as_str())) && summary.contains(&("b", "UTC", next_b.as_str())),
        "{slots}"
    );
    let table = h.ok(&["queue", "list"]).stdout;
    assert!(table.starts_with("ID") && table.contains("Every day"), "{table}");

    let next = json(&h.ok(&["queue", "next", "--to", "b", "--to", "a", "--json"]).stdout);
    assert_eq!(next[0]["account"], "b");
    assert_eq!(next[0]["at"], next_b.as_str());
    assert_eq!(next[1]["at"], next_a.as_str());

    let first = json(&h.ok(&["post", "First", "--to", "a", "--to", "b", "--queue", "--json"]).stdout);
    let posts = first["posts"].as_array().expect("posts");
    assert_eq!(posts.len(), 2, "different times, one post each: {first}");
    assert_eq!(
        (&posts[0]["scheduledAt"], &posts[0]["deliveries"][0]["account"]),
        (&Value::from(next_a.clone()), &Value::from("a"))
    );
    assert_eq!(
        (&posts[1]["scheduledAt"], &posts[1]["deliveries"][0]["account"]),
        (&Value::from(next_b.clone()), &Value::from("b"))
    );

    let run = h.ok(&["post", "Second", "--to", "a", "--to", "b", "--queue"]);
    assert!(run.stdout.contains("Queued 2 posts"), "{}", run.stdout);
    assert!(run.stdout.contains("→ a") && run.stdout.contains("→ b"), "which post goes to whom: {}", run.stdout);
    let day = TimeDelta::days(1);
    let mut stored: Vec<(String, String, String)> = h
        .outbox()
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (field("text"), field("account"), field("scheduledAt"))
        })
        .collect();
    stored.sort();
    let row = |text: &str, account: &str, at: DateTime<Utc>| (text.to_owned(), account.to_owned(), rfc3339(at));
    assert_eq!(
        stored,
        [
            row("First", "a", at_a),
            row("First", "b", at_b),
            row("Second", "a", at_a + day),
            row("Second", "b", at_b + day)
        ],
        "the second post takes each account's following free time"
    );

    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    assert!(h.sandbox.state().discord_messages.is_empty(), "nothing goes before its time");
    assert!(h.outbox().iter().all(|r| r["state"] == "queued"));

    let first_slot = added["id"].as_i64().expect("a number").to_string();
    let run = h.ok(&["queue", "remove", &first_slot]);
    assert!(run.stdout.contains("posts already queued at its times stay"), "{}", run.stdout);
    assert_eq!(json(&h.ok(&["queue", "list", "--json"]).stdout).as_array().map(Vec::len), Some(1));
    assert_eq!(h.outbox().len(), 4, "removing a posting time leaves its posts");
}

#[test]
fn queue_mistakes_are_refused_with_what_to_do() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    let refused = |args: &[&str], code: i32, says: &[&str]| {
        let run = h.run(args);
        assert_eq!(run.code, code, "{args:?}:\n{}", run.all());
        for s in says {
            assert!(run.stderr.contains(s), "{args:?} says {s:?}: {}", run.stderr);
        }
    };
    refused(&["post", "Hello", "--to", "a", "--queue"], 3, &["'a' has no posting times", "fanout queue add"]);
    refused(&["queue", "next", "--to", "a"], 3, &["'a' has no posting times"]);
    refused(
        &["queue", "add", "--days", "funday", "--at", "09:30", "--to", "a"],
        3,
        &["'funday' is not a day", "mon-fri"],
    );
    refused(&["queue", "add", "--days", "mon", "--at", "25:00", "--to", "a"], 3, &["'25:00' is not a time of day"]);
    refused(
        &["queue", "add", "--days", "mon", "--at", "09:30", "--zone", "Mars/Olympus", "--to", "a", "--to", "zed"],
        3,
        &["2 problems", "'Mars/Olympus' is not a time zone", "Europe/Amsterdam", "no account named 'zed'"],
    );
    refused(&["queue", "remove", "99"], 3, &["no posting time 99", "fanout queue list"]);
    refused(&["queue", "remove", "first"], 3, &["'first' is not a posting time's number"]);
    refused(&["post", "Hello", "--to", "a", "--queue", "--at", "2030-01-01T09:00:00Z"], 2, &["--at"]);
    assert!(h.outbox().is_empty(), "nothing refused was queued");
    assert_eq!(
        h.ok(&["queue", "list"]).stdout.trim(),
        "No posting times yet. Add one with `fanout queue add --days mon-fri --at 09:30 --to ACCOUNT`."
    );
}
