//! Bad input: each case is refused with exit code 3 and a message that names the problem, and
//! nothing is queued.

use crate::harness::Harness;

#[test]
fn bad_input_is_refused_specifically_and_nothing_is_queued() {
    let h = Harness::new("{}");
    h.add_mastodon("m", "token-m");
    let off = h.add_discord("off", 42, "hook", false);
    assert!(off.stdout.contains("disabled"), "a new account starts disabled: {}", off.stdout);

    let dir = h.dir.path();
    let text_as_jpg = dir.join("notes.jpg");
    std::fs::write(&text_as_jpg, "just some text").expect("write");
    let empty = dir.join("empty.png");
    std::fs::write(&empty, "").expect("write");
    let long = "a".repeat(501);
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let (missing, folder, text_as_jpg, empty) =
        (path(&dir.join("missing.png")), path(dir), path(&text_as_jpg), path(&empty));

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["post", "hi", "--to", "nobody"], "no account named 'nobody'"),
        (vec!["post", "hi", "--to", "off"], "account 'off' is disabled; enable it with `fanout accounts enable off`"),
        (vec!["post", "   ", "--to", "m"], "the post is empty"),
        (vec!["post", &long, "--to", "m"], "text is 501/500 characters for Mastodon account 'm' (the server's limit)"),
        (vec!["post", "hi", "--media", &missing, "--to", "m"], "missing.png: no such file"),
        (vec!["post", "hi", "--media", &folder, "--to", "m"], "is a folder, not a file"),
        (vec!["post", "hi", "--media", &text_as_jpg, "--to", "m"], "notes.jpg: is not a JPEG, PNG, GIF or WebP image"),
        (vec!["post", "hi", "--media", &empty, "--to", "m"], "empty.png: is empty (0 bytes)"),
        (
            vec!["post", "hi", "--at", "tomorrow", "--to", "m"],
            "--at 'tomorrow' is not a date and time in RFC 3339 form",
        ),
        (vec!["post", "hi", "--at", "2020-01-01T00:00:00Z", "--to", "m"], "is in the past"),
        (vec!["post", "hi", "--at", "9999-12-31T00:00:00Z", "--to", "m"], "is more than a year ahead"),
        (vec!["post", "hi"], "name at least one account"),
        (vec!["retry", "deadbeef"], "no delivery 'deadbeef'"),
        (vec!["accounts", "enable", "ghost"], "no account named or numbered 'ghost'"),
    ];
    for (args, expected) in cases {
        let run = h.run(&args);
        assert_eq!(run.code, 3, "fanout {args:?} must exit 3 (refused input):\n{}", run.all());
        assert!(run.stderr.contains(expected), "fanout {args:?} must say {expected:?}, said:\n{}", run.stderr);
    }
    let several = h.run(&["post", &long, "--media", &missing, "--to", "m", "--to", "off"]);
    assert!(several.stderr.contains("3 problems"), "all problems are listed at once:\n{}", several.stderr);
    assert!(h.outbox().is_empty(), "nothing was queued by any refused post");

    let bad_server =
        h.run_with_stdin(&["accounts", "add", "mastodon", "--server", "http://example.org", "--token-stdin"], "t\n");
    assert_eq!(bad_server.code, 3, "{}", bad_server.all());
    assert!(bad_server.stderr.contains("must use https://"), "{}", bad_server.stderr);
    let unreachable =
        h.run_with_stdin(&["accounts", "add", "mastodon", "--server", "http://127.0.0.1:9", "--token-stdin"], "t\n");
    assert_eq!(unreachable.code, 4, "a server that cannot be reached is a network error:\n{}", unreachable.all());
    assert!(unreachable.stderr.contains("could not connect"), "{}", unreachable.stderr);
    let no_token =
        h.run_with_stdin(&["accounts", "add", "mastodon", "--server", &h.sandbox.url(), "--token-stdin"], "");
    assert_eq!(no_token.code, 3, "{}", no_token.all());
    assert!(no_token.stderr.contains("no access token on standard input"), "{}", no_token.stderr);
}

#[test]
fn unconfirmed_deliveries_are_settled_by_the_user() {
    let h = Harness::new(
        r#"{"routes": {"POST /api/webhooks/{id}/{token}": {"faults": [{"close": "after", "times": 2}]}}}"#,
    );
    h.add_discord("d", 7, "hook", true);
    let run = h.run(&["post", "first", "--to", "d", "--wait", "--reconcile-ms", "100"]);
    assert_eq!(run.code, 5, "--wait exits 5 when a delivery is not sent:\n{}", run.all());
    assert!(run.stdout.contains("unconfirmed"), "{}", run.stdout);
    let run = h.run(&["post", "second", "--to", "d", "--wait", "--reconcile-ms", "100"]);
    assert_eq!(run.code, 5);
    let rows = h.outbox();
    let id_of =
        |text: &str| rows.iter().find(|r| r["text"] == text).and_then(|r| r["id"].as_str()).expect("row").to_owned();
    let (first, second) = (id_of("first"), id_of("second"));

    let retry = h.run(&["retry", &first[first.len() - 8..]]);
    assert_eq!(retry.code, 3, "an unconfirmed delivery is not simply retried");
    assert!(retry.stderr.contains("may already be live"), "{}", retry.stderr);
    h.ok(&["resolve", &first[first.len() - 8..], "--sent"]);
    h.ok(&["resolve", &second, "--resend"]);
    h.ok(&["worker", "--once", "--pace-ms", "0"]);
    let rows = h.outbox();
    assert!(rows.iter().all(|r| r["state"] == "sent"), "both settled as sent: {rows:?}");
    let messages = h.sandbox.state().discord_messages;
    assert_eq!(messages.iter().filter(|m| m.content == "first").count(), 1, "marked sent: not sent again");
    assert_eq!(messages.iter().filter(|m| m.content == "second").count(), 2, "resent on the user's word");
}

#[test]
fn a_team_chat_takes_text_and_asks_for_a_public_bucket_for_pictures() {
    let h = Harness::new("{}");
    let webhook = format!("{}{}\n", h.sandbox.url(), fanout_sandbox::SANDBOX_SLACK_WEBHOOK);
    let private = h.run_with_stdin(
        &[
            "accounts",
            "add",
            "slack",
            "--webhook-stdin",
            "--bucket",
            "fanout-chats",
            "--bucket-endpoint",
            "http://127.0.0.1:9",
            "--bucket-key-id",
            "key",
        ],
        &format!("{webhook}secret\n"),
    );
    assert_eq!(private.code, 3, "{}", private.all());
    assert!(private.stderr.contains("the bucket needs its public address"), "{}", private.all());

    let linked =
        h.run_with_stdin(&["accounts", "add", "slack", "--webhook-stdin", "--name", "team", "--enable"], &webhook);
    assert_eq!(linked.code, 0, "{}", linked.all());
    let photo = h.photo();
    let refused = h.run(&["post", "Rolls", "--media", photo.to_str().unwrap_or_default(), "--to", "team"]);
    assert_eq!(refused.code, 3, "{}", refused.all());
    assert!(refused.stderr.contains("has nowhere to find them"), "{}", refused.all());
    h.ok(&["post", "Rolls at seven", "--to", "team", "--wait"]);
    let messages = h.sandbox.state().chat_messages;
    assert_eq!(messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["Rolls at seven"]);
    assert!(!format!("{}{}", linked.all(), refused.all()).contains("sandbox-slack-token"), "the webhook stays secret");
}

#[test]
fn the_same_post_again_is_refused_until_asked_for() {
    let h = Harness::new("{}");
    h.add_mastodon("m", "token-m");
    h.ok(&["post", "Open all weekend", "--to", "m"]);
    let again = h.run(&["post", "Open  all weekend", "--to", "m"]);
    assert_eq!(again.code, 3, "{}", again.all());
    assert!(
        again.stderr.contains("the same post went to 'm' at") && again.stderr.contains("--again"),
        "{}",
        again.all()
    );
    h.ok(&["post", "Open all weekend", "--to", "m", "--again"]);
    assert_eq!(h.outbox().len(), 2, "the refused one queued nothing");
}

#[test]
fn every_network_is_linked_by_the_options_its_fields_describe() {
    let h = Harness::new("{}");
    let room = format!("#{}:{}", fanout_sandbox::SANDBOX_MATRIX_ROOM, fanout_sandbox::SANDBOX_MATRIX_SERVER);
    let url = h.sandbox.url();
    let args = ["accounts", "add", "matrix", "--homeserver", &url, "--room", &room, "--user"];
    let linked = h.run_with_stdin(
        &[&args[..], &[fanout_sandbox::SANDBOX_MATRIX_USER, "--password-stdin", "--json"]].concat(),
        &format!("{}\n", fanout_sandbox::SANDBOX_MATRIX_PASSWORD),
    );
    assert_eq!(linked.code, 0, "{}", linked.all());
    assert!(linked.stdout.contains("\"network\":\"matrix\""), "{}", linked.stdout);
    let help = h.run(&["accounts", "add", "--help"]);
    for network in [
        "mastodon",
        "discord",
        "facebook",
        "instagram",
        "threads",
        "whatsapp",
        "matrix",
        "telegram",
        "slack",
        "teams",
        "google-chat",
        "bluesky",
    ] {
        assert!(
            help.stdout.contains(&format!("  {network} ")),
            "`accounts add {network}` is offered:\n{}",
            help.stdout
        );
    }
    let missing = h.run(&["accounts", "add", "bluesky", "--handle", "bakery.bsky.social"]);
    assert_eq!(missing.code, 2, "a usage error: {}", missing.all());
    assert!(missing.stderr.contains("--app-password-stdin"), "names the missing option: {}", missing.stderr);
}
