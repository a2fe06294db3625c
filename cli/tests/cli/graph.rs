//! Facebook Pages and Instagram from the command line: linked with a token on standard input,
//! a story shared to both with `--wait`, bad input named, and no token in any output or file.

use crate::harness::Harness;

#[test]
fn a_story_to_a_facebook_page_and_instagram_is_delivered_and_no_token_is_shown() {
    let h = Harness::new("{}");
    let (ig, _, page) = fanout_sandbox::SANDBOX_INSTAGRAM[0];
    let mut seen = h.add_facebook("bakery", page).all();
    seen += &h.add_instagram("bakery-ig", ig, page).all();
    assert!(
        seen.contains(&format!("Linked Facebook Page account 'bakery' ({page})"))
            && seen.contains(&format!("Linked Instagram account 'bakery-ig' ({ig})")),
        "says what was linked:\n{seen}"
    );
    let photo = h.photo();
    let run = h.ok(&[
        "post",
        "",
        "--story",
        "--media",
        photo.to_str().unwrap_or_default(),
        "--to",
        "bakery",
        "--to",
        "bakery-ig",
        "--wait",
    ]);
    seen += &run.all();
    let state = h.sandbox.state();
    assert_eq!(state.graph_objects.iter().filter(|o| o.kind == "story").count(), 1, "a Page story:\n{}", run.all());
    assert_eq!(state.instagram_media.iter().filter(|m| m.media_type == "STORIES").count(), 1, "an Instagram story");
    for row in h.outbox() {
        assert_eq!(row["state"], "sent", "{row}");
    }

    let wrong = h.run_with_stdin(&["accounts", "add", "facebook", "--page-id", "bakery", "--token-stdin"], "t\n");
    assert_ne!(wrong.code, 0);
    assert!(wrong.stderr.contains("Page id"), "names the bad value:\n{}", wrong.all());
    seen += &wrong.all();

    for token in [fanout_sandbox::SANDBOX_USER_TOKEN.to_owned(), fanout_sandbox::page_token(page)] {
        assert!(!seen.contains(&token), "a token was printed");
        let db = std::fs::read(h.data_dir().join("fanout.db")).expect("database");
        assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()), "a token is in the database");
    }
}

/// A login run in progress: `fanout` started with piped standard streams, read up to the login
/// address it printed.
struct LoginRun {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    printed: String,
    url: Option<String>,
}

impl LoginRun {
    fn start(h: &Harness, args: &[&str], stdin: &str) -> LoginRun {
        use std::io::{BufRead, Write};
        let mut child = h
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn fanout");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("write stdin");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let (mut printed, mut line, mut url) = (String::new(), String::new(), None);
        while stdout.read_line(&mut line).unwrap_or(0) > 0 {
            printed.push_str(&line);
            if line.starts_with("http") {
                url = Some(line.trim().to_owned());
                break;
            }
            line.clear();
        }
        LoginRun { child, stdin: Some(input), stdout, printed, url }
    }

    /// The `href` of the link with id `choice` on the login page.
    fn link(h: &Harness, url: &str, choice: &str) -> String {
        h.block_on(async {
            let page = reqwest::get(url).await.expect("the login page opens").text().await.expect("html");
            let marker = format!("id=\"{choice}\" href=\"");
            let start = page.find(&marker).expect("the login page offers the choice") + marker.len();
            page[start..].split('"').next().expect("a link").replace("&amp;", "&")
        })
    }

    fn finish(mut self) -> crate::harness::Run {
        use std::io::Read;
        drop(self.stdin.take());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("read stdout");
        self.printed.push_str(&rest);
        let mut stderr = String::new();
        self.child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
        let status = self.child.wait().expect("fanout finishes");
        crate::harness::Run { code: status.code().unwrap_or(-1), stdout: self.printed, stderr }
    }
}

/// Runs `fanout accounts link meta ARGS` with `stdin`, plays the user in the sandbox's login
/// dialog (following its "Continue" link, or "Cancel"), and returns the run.
fn log_in(h: &Harness, args: &[&str], stdin: &str, choice: &str) -> crate::harness::Run {
    let graph = format!("{}/graph", h.sandbox.url());
    let dialog = format!("{}/facebook-login", h.sandbox.url());
    let mut all = vec!["accounts", "link", "meta", "--no-browser", "--graph", &graph, "--dialog", &dialog];
    all.extend(args);
    let run = LoginRun::start(h, &all, stdin);
    if let Some(url) = &run.url {
        let link = LoginRun::link(h, url, choice);
        h.block_on(async {
            let back = reqwest::get(&link).await.expect("the app's loopback answers").text().await.expect("html");
            assert!(back.contains("Fanout"), "the browser lands on Fanout's page: {back}");
        });
    }
    run.finish()
}

#[test]
fn the_meta_login_discovers_every_page_and_instagram_account_and_links_them_in_one_step() {
    let h = Harness::new("{}");
    let secret = format!("{}\n", fanout_sandbox::SANDBOX_APP_SECRET);
    let run = log_in(&h, &["--app-id", fanout_sandbox::SANDBOX_APP_ID, "--enable"], &secret, "continue");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("Logged in as Sandbox User; linked 5 account(s)"), "{}", run.stdout);
    let listed = h.ok(&["accounts", "list", "--json"]);
    let accounts: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).expect("json");
    let networks: Vec<&str> = accounts.iter().filter_map(|a| a["network"].as_str()).collect();
    assert_eq!(networks, ["facebook", "instagram", "facebook", "instagram", "whatsapp"], "{}", listed.stdout);
    assert!(accounts.iter().all(|a| a["enabled"] == true));

    let photo = h.photo();
    let post = h.ok(&[
        "post",
        "Linked by login",
        "--media",
        photo.to_str().unwrap_or_default(),
        "--to",
        "Instagram: @fanout.books",
        "--wait",
    ]);
    assert_eq!(h.sandbox.state().instagram_media.len(), 1, "the linked account publishes: {}", post.all());

    // The app is remembered: a second login needs no id or secret, and doubles nothing.
    let again = log_in(&h, &[], "", "continue");
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stdout.contains("linked 0 account(s)") && again.stdout.contains("already linked"),
        "{}",
        again.stdout
    );

    let cancelled = log_in(&h, &[], "", "cancel");
    assert_ne!(cancelled.code, 0);
    assert!(cancelled.stderr.contains("not completed"), "says the login was not completed: {}", cancelled.all());

    let wrong = Harness::new("{}");
    let refused = log_in(&wrong, &["--app-id", fanout_sandbox::SANDBOX_APP_ID], "not-the-secret\n", "continue");
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("check the app id and secret"), "{}", refused.all());

    let db = std::fs::read(h.data_dir().join("fanout.db")).expect("database");
    let everything = format!("{}{}{}{}", run.all(), listed.all(), again.all(), post.all());
    for secret in [
        "sandbox-short-user-token",
        "sandbox-long-user-token",
        "sandbox-page-token",
        fanout_sandbox::SANDBOX_APP_SECRET,
    ] {
        assert!(!everything.contains(secret), "{secret} was printed");
        assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} is in the database");
    }
}

#[test]
fn a_whatsapp_number_messages_a_recipient_list_with_a_template_from_the_command_line() {
    let h = Harness::new("{}");
    let (waba, phone, _, _) = fanout_sandbox::SANDBOX_WHATSAPP;
    let graph = format!("{}/graph", h.sandbox.url());
    let add = |extra: &[&str]| {
        let mut args = vec!["accounts", "add", "whatsapp", "--phone-number-id", phone, "--graph", &graph];
        args.extend(extra);
        args.extend(["--token-stdin", "--name", "shop", "--enable"]);
        h.run_with_stdin(&args, &format!("{}\n", fanout_sandbox::SANDBOX_WHATSAPP_TOKEN))
    };
    let wrong = add(&["--business-account-id", "BAKERY"]);
    assert_ne!(wrong.code, 0);
    assert!(wrong.stderr.contains("'BAKERY' is not a WhatsApp Business Account id"), "{}", wrong.all());
    let linked = add(&["--business-account-id", waba]);
    assert_eq!(linked.code, 0, "{}", linked.all());
    let mut seen = linked.all();

    h.ok(&["recipients", "create", "shop", "Regulars"]);
    let no_opt_in = h.run(&["recipients", "add", "shop", "Regulars", "Ann +31612345678"]);
    assert_ne!(no_opt_in.code, 0);
    assert!(no_opt_in.stderr.contains("opted in"), "{}", no_opt_in.all());
    let list = h.data_dir().join("people.txt");
    std::fs::write(&list, "# regulars\nBart +32 470 12 34 56\n\nCarla 0049 151 2345 6789\n").expect("write list");
    let local = h.run(&["recipients", "add", "shop", "Regulars", "Ann 0612345678", "--opted-in"]);
    assert!(local.stderr.contains("'Ann 0612345678'") && local.stderr.contains("country code"), "{}", local.all());
    let added = h.ok(&[
        "recipients",
        "add",
        "shop",
        "Regulars",
        "Ann +31 6 1234 5678",
        "--file",
        list.to_str().unwrap_or_default(),
        "--opted-in",
    ]);
    assert!(added.stdout.contains("Regulars — 3 people"), "{}", added.stdout);

    let templates = h.ok(&["templates", "shop"]);
    assert!(
        templates.stdout.contains("weekly_news:en_US (MARKETING, image header, 2 value(s))"),
        "{}",
        templates.stdout
    );
    let photo = h.photo();
    let photo = photo.to_str().unwrap_or_default();
    let short = h.run(&["post", "", "--to", "shop", "--list", "Regulars", "--template", "weekly_news", "--value", "x"]);
    assert!(short.stderr.contains("takes 2 value(s) and 1 --value were given"), "{}", short.all());
    let run = h.ok(&[
        "post",
        "",
        "--media",
        photo,
        "--to",
        "shop",
        "--list",
        "Regulars",
        "--template",
        "weekly_news",
        "--value",
        "neighbours",
        "--value",
        "rye bread",
        "--wait",
    ]);
    seen += &run.all();
    assert!(run.stdout.contains("shop (3 people)"), "{}", run.stdout);
    assert!(run.stdout.contains("→ Ann (+31612345678)"), "each delivery names its person:\n{}", run.stdout);
    let messages = h.sandbox.state().whatsapp_messages;
    assert_eq!(messages.len(), 3, "{}", run.all());
    assert!(messages.iter().all(|m| m.status == "sent" && m.text.contains("neighbours")));
    let outbox: Vec<serde_json::Value> = h.outbox();
    assert!(outbox.iter().all(|row| row["state"] == "sent" && row["recipient"]["phone"].is_string()), "{outbox:?}");
    assert!(!seen.contains(fanout_sandbox::SANDBOX_WHATSAPP_TOKEN), "the token was printed");
}

/// Runs `fanout accounts link threads ARGS` with the app secret (if any) on standard input, plays
/// the user in the sandbox's Threads window, and pastes back the address it sends the browser to
/// (or `paste` instead, when given).
fn log_in_threads(h: &Harness, args: &[&str], secret: Option<&str>, paste: Option<&str>) -> crate::harness::Run {
    use std::io::Write;
    let api = format!("{}/threads", h.sandbox.url());
    let dialog = format!("{}/threads-login", h.sandbox.url());
    let mut all = vec!["accounts", "link", "threads", "--no-browser", "--api", &api, "--dialog", &dialog];
    all.extend(args);
    let mut run = LoginRun::start(h, &all, &secret.map(|s| format!("{s}\n")).unwrap_or_default());
    if let Some(url) = run.url.clone() {
        let back = LoginRun::link(h, &url, "continue");
        assert!(back.starts_with(fanout_core::threads_login::DEFAULT_REDIRECT), "{back}");
        let stdin = run.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{}", paste.unwrap_or(&back)).expect("paste the address");
    }
    run.finish()
}

#[test]
fn the_threads_login_links_the_profile_from_the_pasted_address_and_shows_how_long_it_lasts() {
    let h = Harness::new("{}");
    let none = h.run(&["accounts", "link", "threads", "--no-browser"]);
    assert_ne!(none.code, 0);
    assert!(none.stderr.contains("add the Threads use case"), "says how to make the app: {}", none.all());

    let run = log_in_threads(
        &h,
        &["--app-id", fanout_sandbox::SANDBOX_APP_ID, "--enable"],
        Some(fanout_sandbox::SANDBOX_APP_SECRET),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("Linked Threads account 'Threads: @fanout.bakery'; its sign-in lasts 60 days"),
        "{}",
        run.stdout
    );
    let post = h.ok(&["post", "Linked by the Threads login", "--to", "Threads: @fanout.bakery", "--wait"]);
    let posts = h.sandbox.state().threads_posts;
    assert_eq!(posts.len(), 1, "{}", post.all());

    // The app is remembered; an address from another login is refused.
    let stale =
        format!("{}?code=sandbox-threads-code-1&state=not-this-one#_", fanout_core::threads_login::DEFAULT_REDIRECT);
    let refused = log_in_threads(&h, &[], None, Some(&stale));
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("not from this login"), "{}", refused.all());
    let everything = format!("{}{}{}", run.all(), post.all(), refused.all());
    for secret in [fanout_sandbox::SANDBOX_THREADS_TOKEN, fanout_sandbox::SANDBOX_APP_SECRET, "sandbox-threads-short"] {
        assert!(!everything.contains(secret), "{secret} was printed");
    }
}

#[test]
fn signing_in_to_mastodon_links_the_account_with_nothing_pasted_and_nothing_secret_printed() {
    let h = Harness::new("{}");
    let server = h.sandbox.url();
    let sign_in = |choice: &str| {
        let run = LoginRun::start(
            &h,
            &["accounts", "link", "mastodon", "--server", &server, "--no-browser", "--enable", "--name", "baker"],
            "",
        );
        if let Some(url) = &run.url {
            let link = LoginRun::link(&h, url, choice);
            h.block_on(async { reqwest::get(&link).await.expect("the app's loopback answers") });
        }
        run.finish()
    };
    let run = sign_in("continue");
    assert_eq!(run.code, 0, "{}", run.all());
    let host = server.replace("http://", "");
    assert!(
        run.stdout.contains(&format!("Open this address in a browser, sign in to {host} and allow Fanout")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Signed in; linked Mastodon account 'baker'."), "{}", run.stdout);
    let post = h.ok(&["post", "Signed in from the terminal", "--to", "baker", "--wait"]);
    assert_eq!(h.sandbox.state().mastodon_statuses.len(), 1, "the account publishes: {}", post.all());

    let denied = sign_in("cancel");
    assert_ne!(denied.code, 0);
    assert!(denied.stderr.contains("Signing in to Mastodon was not completed"), "{}", denied.all());

    let everything = format!("{}{}{}", run.all(), post.all(), denied.all());
    assert!(!everything.contains("sandbox-mastodon-oauth") && !everything.contains("sandbox-client-secret"));
    let db = std::fs::read(h.data_dir().join("fanout.db")).expect("database");
    assert!(!db.windows(22).any(|w| w == b"sandbox-mastodon-oauth"), "a token is in the database");
}
