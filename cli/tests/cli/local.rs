//! The data folder and the terminal: a lost or damaged database refused with the folder, the
//! cause and what to do; the folder private to its owner; SIGHUP handled like SIGTERM; nothing
//! from a platform or a post reaching the terminal raw.

use std::io::BufRead;
use std::time::{Duration, Instant};

use crate::harness::Harness;

#[test]
fn an_emptied_database_beside_existing_data_is_refused_with_how_to_restore_it() {
    let h = Harness::new("{}");
    h.add_discord("team", 1, "hook-a", true);
    assert!(h.data_dir().join("secrets.json").is_file(), "the file store keeps the webhook");
    std::fs::write(h.data_dir().join("fanout.db"), b"").expect("emptied");
    let _ = std::fs::remove_file(h.data_dir().join("fanout.db-wal"));
    for args in [&["outbox"][..], &["worker", "--once"][..]] {
        let run = h.run(args);
        assert_ne!(run.code, 0, "fanout {args:?} must not start afresh:\n{}", run.all());
        let folder = h.data_dir().display().to_string();
        assert!(run.stderr.contains(&folder), "names the data folder: {}", run.stderr);
        assert!(run.stderr.contains("is empty"), "says what is wrong: {}", run.stderr);
        assert!(run.stderr.contains("Restore fanout.db"), "says what to do: {}", run.stderr);
    }
    assert_eq!(
        std::fs::metadata(h.data_dir().join("fanout.db")).expect("still there").len(),
        0,
        "nothing was made anew"
    );
}

#[test]
fn a_damaged_database_is_refused_at_start() {
    let h = Harness::new("{}");
    h.add_discord("team", 1, "hook-a", true);
    let db = h.data_dir().join("fanout.db");
    let _ = std::fs::remove_file(h.data_dir().join("fanout.db-wal"));
    let mut bytes = std::fs::read(&db).expect("read");
    assert!(bytes.len() > 8192, "a database of several pages");
    for b in &mut bytes[4096..8192] {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).expect("damaged");
    let run = h.run(&["worker", "--once"]);
    assert_ne!(run.code, 0, "a damaged database is not delivered from:\n{}", run.all());
    assert!(run.stderr.contains("is damaged"), "says what is wrong: {}", run.stderr);
    assert!(run.stderr.contains(&h.data_dir().display().to_string()), "names the folder: {}", run.stderr);
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_the_database_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new("{}");
    h.add_discord("team", 1, "hook-a", true);
    h.ok(&["post", "Private", "--to", "team"]);
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&h.data_dir()), 0o700, "the data folder");
    assert_eq!(mode(&h.data_dir().join("fanout.db")), 0o600, "the database");
    let wal = h.data_dir().join("fanout.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal) & 0o077, 0, "its WAL");
    }

    std::fs::set_permissions(h.data_dir(), std::fs::Permissions::from_mode(0o755)).expect("opened up");
    h.ok(&["outbox"]);
    assert_eq!(mode(&h.data_dir()), 0o700, "a folder an older version left open is closed again");
}

#[cfg(unix)]
#[test]
fn closing_the_terminal_stops_the_worker_gracefully() {
    let h = Harness::new("{}");
    let mut worker = h
        .command(&["worker"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = worker.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::sleep(Duration::from_millis(800));
    let hup = std::process::Command::new("kill").args(["-HUP", &worker.id().to_string()]).status().expect("kill");
    assert!(hup.success());
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = worker.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < until, "the worker stops after SIGHUP");
        std::thread::sleep(Duration::from_millis(50));
    };
    let said: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(0), "a graceful stop, not death by signal: {status:?} {said:?}");
    assert!(said.iter().any(|l| l.contains("stopping")), "it said it was stopping: {said:?}");
}

#[test]
fn text_from_outside_reaches_the_terminal_escaped() {
    let h = Harness::new("{}");
    h.add_discord("team", 1, "hook-a", true);
    let text = "Hello \u{1b}[2J\u{1b}]0;owned\u{7}there\rSENT OK\u{202e}";
    let run = h.run(&["post", text, "--to", "team", "--wait"]);
    for raw in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
        assert!(!run.stdout.contains(raw), "{raw:?} reached standard output raw: {:?}", run.stdout);
        assert!(!run.stderr.contains(raw), "{raw:?} reached standard error raw: {:?}", run.stderr);
    }
    let outbox = h.ok(&["outbox"]);
    assert!(!outbox.stdout.contains('\u{1b}'), "{:?}", outbox.stdout);
    assert!(outbox.all().contains("\\u{1b}"), "shown as an escape instead: {}", outbox.all());
    let json = h.ok(&["outbox", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("still JSON");
    assert!(!json.stdout.contains('\u{202e}'), "{:?}", json.stdout);
    assert_eq!(rows[0]["text"].as_str().map(|t| t.contains('\u{1b}')), Some(true), "JSON keeps the text as it was");
}

#[test]
fn a_post_text_comes_from_standard_input_or_a_file_and_must_be_utf8() {
    let h = Harness::new("{}");
    h.add_discord("team", 1, "hook-a", true);
    let piped = h.run_with_stdin(&["post", "-", "--to", "team", "--at", "2099-01-01T00:00:00Z"], "From a pipe\n");
    assert_ne!(piped.code, 0, "a time decades ahead is refused:\n{}", piped.all());
    assert!(piped.stderr.contains("more than a year ahead"), "{}", piped.stderr);

    let piped = h.run_with_stdin(&["post", "-", "--to", "team"], "From a pipe\n");
    assert_eq!(piped.code, 0, "{}", piped.all());
    let file = h.dir.path().join("long.txt");
    let long = "a".repeat(1_000_000);
    std::fs::write(&file, &long).expect("write");
    let too_long = h.run(&["post", "--text-file", &file.display().to_string(), "--to", "team"]);
    assert_eq!(
        too_long.code,
        3,
        "a million characters can be given, and are refused by the limit:\n{}",
        too_long.all()
    );
    assert!(too_long.stderr.contains("1000000/2000"), "{}", too_long.stderr);

    let latin1 = h.dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9").expect("write");
    let refused = h.run(&["post", "--text-file", &latin1.display().to_string(), "--to", "team"]);
    assert_eq!(refused.code, 3, "bad input, not a local fault:\n{}", refused.all());
    assert!(refused.stderr.contains("is not UTF-8"), "{}", refused.stderr);
    let mut child = h
        .command(&["post", "-", "--to", "team"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"\xff\xfe bad").expect("write");
    let out = child.wait_with_output().expect("done");
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input is not UTF-8"));
}

/// In a mount namespace of its own (`unshare -rm`, no root needed where user namespaces are
/// allowed), the variants folder is a 16 KB tmpfs: fitting the photos fills it.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_while_fitting_photos_is_said_once_and_leaves_nothing_behind() {
    let h = Harness::new("{}");
    h.add_discord("a", 1, "hook-a", true);
    h.add_discord("b", 2, "hook-b", true);
    let photo = h.dir.path().join("big.png");
    let noisy = image::RgbImage::from_fn(1200, 900, |x, y| {
        let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).to_le_bytes();
        image::Rgb([v[0], v[1], v[2]])
    });
    noisy.save(&photo).expect("write the photo");
    let variants = h.data_dir().join("variants");
    std::fs::create_dir_all(&variants).expect("variants");
    let script = format!(
        "mount -t tmpfs -o size=16k tmpfs '{0}' || exit 99; \"$@\"; code=$?; echo LEFT:; ls -A '{0}'; exit $code",
        variants.display()
    );
    let photo_arg = photo.display().to_string();
    let data_dir = h.data_dir().display().to_string();
    let run = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script, "sh", crate::harness::BIN, "--data-dir", &data_dir])
        .args(["post", "Full disk", "--media", &photo_arg, "--to", "a", "--to", "b"])
        .env("FANOUT_SECRET_STORE", "file")
        .env("FANOUT_LOG", "error")
        .output()
        .expect("unshare runs (util-linux; scripts/ensure-deps.sh checks it)");
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_ne!(run.status.code(), Some(99), "a tmpfs can be mounted in a namespace here: {stderr}");
    assert_eq!(run.status.code(), Some(1), "a local failure, not a post to fix:\n{stdout}\n{stderr}");
    assert_eq!(stderr.matches("is full").count(), 1, "said once, not once per target: {stderr}");
    assert!(!stderr.contains("to fix"), "{stderr}");
    let left = stdout.split("LEFT:").nth(1).unwrap_or_default();
    assert!(!left.contains(".tmp"), "no partial file left in the variants folder: {left}");
    assert!(h.outbox().is_empty(), "nothing was queued");
}
