//! A sentinel token, used for everything an account does, never shows up in the database file,
//! the logs or any output — only in the secret store.

use crate::harness::Harness;

const TOKEN: &str = "SENTINEL-mastodon-7f3a9c";
const HOOK: &str = "SENTINEL-webhook-5b2e11";

fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_sentinel_token_never_appears_in_the_database_logs_or_output() {
    let h = Harness::new("{}");
    let mut seen = String::new();
    seen += &h.add_mastodon("m", TOKEN).all();
    seen += &h.add_discord("d", 9001, HOOK, true).all();
    let photo = h.photo();
    for args in [
        vec!["accounts", "list"],
        vec!["accounts", "list", "--json"],
        vec!["accounts", "verify", "m"],
        vec!["accounts", "verify", "d"],
        vec!["post", "with a photo", "--media", photo.to_str().unwrap_or_default(), "--to", "m", "--to", "d", "--wait"],
        vec!["outbox", "--json"],
    ] {
        seen += &h.ok(&args).all();
    }
    // Failures are where secrets leak most: a refused token and a deleted webhook.
    h.sandbox.revoke_token(TOKEN);
    h.sandbox.revoke_token(HOOK);
    let refused = h.run(&["post", "after revoking", "--to", "m", "--to", "d", "--wait"]);
    assert_eq!(refused.code, 5, "{}", refused.all());
    assert!(refused.stdout.contains("needs_attention"), "{}", refused.stdout);
    seen += &refused.all();
    let verify = h.run(&["accounts", "verify", "m"]);
    assert_eq!(verify.code, 4, "{}", verify.all());
    seen += &verify.all();
    seen += &h.run(&["accounts", "verify", "d"]).all();
    seen += &h.run(&["outbox"]).all();
    seen += &h.run(&["accounts", "list", "--json"]).all();
    assert!(seen.contains("DEBUG") || seen.contains("debug") || seen.contains("reconnect"), "output was captured");
    for secret in [TOKEN, HOOK] {
        assert!(!seen.contains(secret), "a secret leaked into the output or logs:\n{seen}");
    }

    let secrets_file = h.data_dir().join("secrets.json");
    let mut checked = 0;
    for file in files_below(&h.data_dir()) {
        let bytes = std::fs::read(&file).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        if file == secrets_file {
            assert!(text.contains(TOKEN) && text.contains(HOOK), "the secret store holds the secrets");
            continue;
        }
        for secret in [TOKEN, HOOK] {
            assert!(!text.contains(secret), "{} contains a secret", file.display());
        }
        checked += 1;
    }
    assert!(checked >= 2, "the database file (and its WAL) were checked");

    let removed = h.ok(&["accounts", "remove", "m"]);
    assert!(!removed.all().contains(TOKEN));
    let left = std::fs::read_to_string(&secrets_file).expect("secrets file");
    assert!(!left.contains(TOKEN), "removing an account removes its secret");
    assert!(left.contains(HOOK), "and only its own");
}
