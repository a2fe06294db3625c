//! `fanout edit` and `fanout cancel --post`: what a changed post sends and to whom, what had gone
//! out left as it was and said, and the ways they refuse.

use std::time::Duration;

use serde_json::Value;

use crate::harness::Harness;

/// A time `secs` from now, as `--at` takes it.
fn in_secs(secs: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::seconds(secs)).to_rfc3339()
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).expect("--json prints JSON")
}

/// What each Discord webhook of the sandbox received, by webhook id.
fn discord_texts(h: &Harness, webhook: &str) -> Vec<String> {
    h.sandbox.state().discord_messages.into_iter().filter(|m| m.webhook_id == webhook).map(|m| m.content).collect()
}

#[test]
fn an_edited_scheduled_post_sends_the_new_text_at_the_new_time_to_the_accounts_left() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    h.add_discord("b", 2, "hook-b", true);
    let queued = json(&h.ok(&["post", "Old words", "--to", "a", "--to", "b", "--at", &in_secs(3600), "--json"]).stdout);
    let old = queued["postId"].as_str().expect("a post id").to_owned();

    let short = &old[old.len() - 8..];
    let edited = h.ok(&["edit", short, "--text", "New words", "--at", &in_secs(2), "--to", "a", "--json"]);
    let edited = json(&edited.stdout);
    let new = edited["postId"].as_str().expect("the edited post's id");
    assert_ne!(new, old, "an edited post is a new post");
    assert_eq!(edited["replaces"], old.as_str(), "it says which post it replaced");
    let accounts: Vec<&str> =
        edited["deliveries"].as_array().expect("deliveries").iter().filter_map(|d| d["account"].as_str()).collect();
    assert_eq!(accounts, ["a"], "only the account left in --to: {edited}");
    assert_eq!(edited["unchanged"].as_array().map(Vec::len), Some(0), "nothing had started: {edited}");
    assert_eq!(edited["removed"][0]["account"], "b", "it says who was taken off: {edited}");

    let rows = h.outbox();
    assert_eq!(rows.len(), 1, "b's delivery is dropped, not kept cancelled: {rows:?}");
    assert_eq!(rows[0]["postId"], new, "the delivery belongs to the edited post");
    assert_eq!(rows[0]["text"], "New words");
    assert_eq!(rows[0]["scheduledAt"], edited["scheduledAt"], "at the new time");

    std::thread::sleep(Duration::from_secs(3));
    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    assert_eq!(discord_texts(&h, "1"), ["New words"], "a got the new text, once");
    assert!(discord_texts(&h, "2").is_empty(), "b, taken off the post, got nothing");
    assert_eq!(h.outbox()[0]["state"], "sent");
}

#[test]
fn an_edit_leaves_what_went_out_and_names_it() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    h.add_discord("b", 2, "hook-b", true);
    h.ok(&["post", "First words", "--to", "a", "--to", "b"]);
    h.ok(&["accounts", "disable", "b"]);
    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    h.ok(&["accounts", "enable", "b"]);
    let waiting = h.outbox().into_iter().find(|r| r["account"] == "b").expect("b's delivery");
    assert_eq!(waiting["state"], "queued", "b's waited while it was disabled");

    let delivery = waiting["id"].as_str().expect("an id");
    let run = h.ok(&["edit", &delivery[delivery.len() - 8..], "--text", "Second words"]);
    assert!(run.stdout.contains("a: already sent; not changed"), "the sent one is named: {}", run.stdout);
    assert!(run.stdout.contains("b (Discord webhook): as soon as a worker runs"), "{}", run.stdout);

    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    assert_eq!(discord_texts(&h, "1"), ["First words"], "what went out was not sent again");
    assert_eq!(discord_texts(&h, "2"), ["Second words"], "b got the edited text, once");
}

#[test]
fn a_post_that_went_out_cannot_be_edited() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    let sent = json(&h.ok(&["post", "Gone out", "--to", "a", "--wait", "--json"]).stdout);
    let post = sent[0]["postId"].as_str().expect("a post id");
    let run = h.run(&["edit", post, "--text", "Too late"]);
    assert_eq!(run.code, 3, "a state that does not allow the change:\n{}", run.all());
    assert!(run.stderr.contains("can no longer be edited; share it again instead"), "{}", run.stderr);
    let rows = h.outbox();
    assert_eq!((rows.len(), &rows[0]["text"]), (1, &Value::from("Gone out")), "nothing changed: {rows:?}");
}

#[test]
fn an_unknown_or_empty_edit_is_refused_clearly() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    let queued = json(&h.ok(&["post", "Waiting", "--to", "a", "--at", &in_secs(3600), "--json"]).stdout);
    let post = queued["postId"].as_str().expect("a post id");
    for reference in ["ffffffff", "0190c0de-0000-7000-8000-000000000000"] {
        for args in [&["edit", reference, "--text", "x"][..], &["cancel", "--post", reference][..]] {
            let run = h.run(args);
            assert_eq!(run.code, 3, "{args:?}:\n{}", run.all());
            assert!(
                run.stderr.contains(&format!("there is no post or delivery '{reference}' in the outbox")),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
    let run = h.run(&["edit", post]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stderr.contains("nothing to change"), "{}", run.stderr);
    let run = h.run(&["edit", post, "--alt", "one", "--alt", "two"]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stderr.contains("2 --alt for 0 file(s)"), "{}", run.stderr);
    assert_eq!(h.outbox()[0]["text"], "Waiting", "a refused edit changes nothing");
}

#[test]
fn an_edit_keeps_the_files_and_their_descriptions_unless_told() {
    let h = Harness::new("{}");
    h.add_mastodon("m", "token-m");
    let photo = h.photo().display().to_string();
    let at = in_secs(3600);
    let args = ["post", "With a photo", "--media", &photo, "--alt", "A loaf on a board", "--to", "m", "--at", &at];
    let queued = json(&h.ok(&[&args[..], &["--json"]].concat()).stdout);
    let post = queued["postId"].as_str().expect("a post id");
    h.ok(&["edit", post, "--text", "A new caption", "--now"]);
    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    let state = h.sandbox.state();
    let texts: Vec<&str> = state.mastodon_statuses.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["A new caption"], "sent once, with the new text, now");
    assert_eq!(state.mastodon_statuses[0].media_ids.len(), 1, "with the post's photo");
    let described: Vec<Option<&str>> = state.mastodon_media.iter().map(|m| m.description.as_deref()).collect();
    assert_eq!(described, [Some("A loaf on a board")], "the photo kept its description");
}

#[test]
fn cancelling_a_post_cancels_every_delivery_not_yet_sent() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    h.add_discord("b", 2, "hook-b", true);
    let queued =
        json(&h.ok(&["post", "Never mind", "--to", "a", "--to", "b", "--at", &in_secs(3600), "--json"]).stdout);
    let post = queued["postId"].as_str().expect("a post id");
    let run = h.ok(&["cancel", "--post", &post[post.len() - 8..]]);
    assert!(run.stdout.contains("Cancelled 2 deliveries of post"), "{}", run.stdout);
    assert!(h.outbox().iter().all(|r| r["state"] == "cancelled"), "{:?}", h.outbox());

    let again = h.run(&["cancel", "--post", post]);
    assert_eq!(again.code, 3, "{}", again.all());
    assert!(again.stderr.contains("nothing to cancel"), "{}", again.stderr);
    let edit = h.run(&["edit", post, "--text", "Back on"]);
    assert_eq!(edit.code, 3, "{}", edit.all());
    assert!(edit.stderr.contains("can no longer be edited"), "{}", edit.stderr);
    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    assert!(h.sandbox.state().discord_messages.is_empty(), "nothing cancelled went out");
}

#[test]
fn an_accounts_own_order_of_the_files_is_kept_through_an_edit() {
    let h = Harness::new("{}");
    h.add_mastodon("a", "token-a");
    h.add_mastodon("b", "token-b");
    let photo = h.photo().display().to_string();
    let at = in_secs(3600);
    let mut args = vec!["post", "Two views", "--media", &photo, "--alt", "front", "--media", &photo, "--alt", "back"];
    args.extend(["--to", "a", "--to", "b", "--order", "b=2,1", "--at", &at, "--json"]);
    let post = json(&h.ok(&args).stdout)["postId"].as_str().expect("a post id").to_owned();

    h.ok(&["edit", &post, "--text", "Two views, now", "--now"]);
    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    let state = h.sandbox.state();
    assert_eq!(state.mastodon_statuses.len(), 2, "one status each");
    let mut orders: Vec<Vec<String>> = state
        .mastodon_statuses
        .iter()
        .map(|s| {
            assert_eq!(s.text, "Two views, now");
            let described =
                |id: &String| state.mastodon_media.iter().find(|m| &m.id == id).and_then(|m| m.description.clone());
            s.media_ids.iter().filter_map(described).collect()
        })
        .collect();
    orders.sort();
    assert_eq!(orders, [["back", "front"], ["front", "back"]], "b got its own order, a the shared one");

    let run = h.run(&["post", "Again", "--media", &photo, "--media", &photo, "--to", "a", "--order", "a=1,1"]);
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stderr.contains("--order for 'a' must name each of the 2 --media files once"), "{}", run.stderr);
    assert!(run.stderr.contains("e.g. --order a=2,1"), "{}", run.stderr);
    let run = h.run(&["post", "Again", "--media", &photo, "--to", "a", "--order", "a=0"]);
    assert_eq!(run.code, 2, "a usage error: {}", run.all());
    assert!(run.stderr.contains("'0' is not a file's position: the first --media file is 1"), "{}", run.stderr);
}
