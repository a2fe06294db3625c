//! Two worker processes on one database: every delivery is claimed and sent exactly once.

use std::process::Stdio;

use crate::harness::Harness;

#[test]
fn two_worker_processes_claim_each_of_500_deliveries_exactly_once() {
    let h = Harness::new("{}");
    let names: Vec<String> = (0..10).map(|i| format!("d{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        h.add_discord(name, 7000 + u32::try_from(i).unwrap_or(0), &format!("hook-{i}"), true);
    }
    for p in 0..50 {
        let text = format!("post {p}");
        let mut args = vec!["post", text.as_str()];
        for name in &names {
            args.extend(["--to", name.as_str()]);
        }
        h.ok(&args);
    }
    assert_eq!(h.outbox().len(), 500);

    let workers: Vec<_> = (0..2)
        .map(|_| {
            h.command(&["worker", "--once", "--pace-ms", "0", "--concurrency", "4"])
                .env("FANOUT_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn worker")
        })
        .collect();
    let mut sent_by = Vec::new();
    for w in workers {
        let out = w.wait_with_output().expect("worker ends");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "worker failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let sent: usize = stdout
            .split_whitespace()
            .zip(stdout.split_whitespace().skip(1))
            .find(|(_, w)| *w == "sent,")
            .and_then(|(n, _)| n.parse().ok())
            .expect("the worker's closing line says how many it sent");
        sent_by.push(sent);
    }
    assert_eq!(sent_by.iter().sum::<usize>(), 500, "the two workers together sent each delivery once: {sent_by:?}");
    let rows = h.outbox();
    assert!(rows.iter().all(|r| r["state"] == "sent" && r["attempts"] == 1), "each sent in one attempt");
    let requests = h.sandbox.requests().into_iter().filter(|r| r.route == "POST /api/webhooks/{id}/{token}").count();
    assert_eq!(requests, 500, "the platform saw 500 publishes, not more");
    let mut texts: Vec<(String, String)> =
        h.sandbox.state().discord_messages.into_iter().map(|m| (m.webhook_id, m.content)).collect();
    texts.sort();
    let before = texts.len();
    texts.dedup();
    assert_eq!(before, texts.len(), "no message was posted twice to one webhook");
}
