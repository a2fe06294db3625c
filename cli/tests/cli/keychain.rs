//! The real OS keychain path on Linux: the Secret Service (gnome-keyring) on a private D-Bus
//! session. A linked account's token lives in the keychain only; removing the account deletes it.
//! `make test` installs dbus, gnome-keyring and secret-tool; without them this test fails.

use std::process::Command;

use crate::harness::{BIN, Harness};

const TOKEN: &str = "KEYCHAIN-SENTINEL-4242";

#[test]
fn the_token_lives_in_the_system_keychain_and_leaves_with_the_account() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        let found = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().expect("sh");
        assert!(found.status.success(), "{tool} is missing: run `make test`, which installs it");
    }
    let h = Harness::new("{}");
    let home = h.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let script = format!(
        r#"set -u
printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
F="{BIN} --data-dir {data}"
echo {TOKEN} | $F accounts add mastodon --server {url} --token-stdin --name m --enable || exit 11
$F post "through the keychain" --to m --wait || exit 12
echo "--- stored"
secret-tool search --all service fanout 2>&1
$F accounts remove m || exit 13
echo "--- after remove"
secret-tool search --all service fanout 2>&1
echo "--- end"
"#,
        data = h.data_dir().display(),
        url = h.sandbox.url(),
    );
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &script])
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &home)
        .env_remove("FANOUT_SECRET_STORE")
        .output()
        .expect("run dbus-run-session");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the keychain session failed ({:?}):\n{stdout}\n{stderr}", out.status.code());
    assert!(stdout.contains("kept in the system keychain"), "the keychain is the default store:\n{stdout}");
    assert!(stdout.contains("✓ m"), "a post went out with the token from the keychain:\n{stdout}");
    let stored = stdout.split("--- stored").nth(1).and_then(|s| s.split("--- after remove").next()).unwrap_or_default();
    assert!(stored.contains(&format!("secret = {TOKEN}")), "the keychain holds the token:\n{stored}");
    let after = stdout.split("--- after remove").nth(1).unwrap_or_default();
    assert!(!after.contains(TOKEN), "removing the account deletes its keychain item:\n{after}");
    assert!(!stdout.replace(stored, "").contains(TOKEN), "fanout never printed the token");
    assert!(!stderr.contains(TOKEN), "nor logged it");
    for name in ["fanout.db", "fanout.db-wal"] {
        let bytes = std::fs::read(h.data_dir().join(name)).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(TOKEN), "{name} holds no token");
    }
    assert!(!h.data_dir().join("secrets.json").exists(), "no plain secrets file with the keychain");
}
