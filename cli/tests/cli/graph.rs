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
