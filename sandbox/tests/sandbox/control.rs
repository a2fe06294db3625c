use std::time::{Duration, Instant};

use fanout_sandbox::{Fault, FaultPlan, RouteFaults, SandboxConfig};
use serde_json::json;

use crate::{client, json, post_status, start, start_with};

#[tokio::test]
async fn the_request_log_records_each_request_without_secrets() {
    let sandbox = start().await;
    post_status(&sandbox, json!({"status": "Hello log", "media_ids": []}), Some("idem-1")).await.expect("answered");
    client()
        .post(format!("{}/api/webhooks/42/very-secret-token?wait=true", sandbox.url()))
        .json(&json!({"content": "To Discord"}))
        .send()
        .await
        .expect("answered");
    client().get(format!("{}/_sandbox/state", sandbox.url())).send().await.expect("answered");

    let log = sandbox.requests();
    assert_eq!(log.len(), 2, "control endpoints are not logged");
    assert_eq!((log[0].seq, log[1].seq), (1, 2), "seq counts arrivals");
    assert_eq!(log[0].route, "POST /api/v1/statuses");
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].idempotency_key.as_deref(), Some("idem-1"));
    assert_eq!(log[0].text.as_deref(), Some("Hello log"));
    assert_eq!(log[0].body_summary, "json: media_ids[]=0, status (9 chars)");
    assert_eq!(log[0].status, Some(200));
    assert_eq!(log[1].route, "POST /api/webhooks/{id}/{token}");
    assert_eq!(log[1].path, "/api/webhooks/42/[token]", "the webhook token is redacted, the query dropped");
    assert_eq!(log[1].text.as_deref(), Some("To Discord"));
    assert!(log[0].at_ms > 1_600_000_000_000 && log[0].at_ms <= log[1].at_ms);
    let serialized = serde_json::to_string(&log).expect("serializable");
    assert!(!serialized.contains("very-secret-token"), "no token anywhere in the log");

    let over_http =
        json(client().get(format!("{}/_sandbox/requests", sandbox.url())).send().await.expect("answered")).await;
    assert_eq!(over_http.as_array().map(Vec::len), Some(2), "the log is readable over HTTP");
    assert_eq!(over_http[1]["path"], "/api/webhooks/42/[token]");
    let cleared = client().delete(format!("{}/_sandbox/requests", sandbox.url())).send().await.expect("answered");
    assert!(cleared.status().is_success());
    assert!(sandbox.requests().is_empty(), "DELETE clears the log");
    post_status(&sandbox, json!({"status": "x"}), None).await.expect("answered");
    assert_eq!(sandbox.requests()[0].seq, 3, "seq is never reused, so late answers cannot hit a newer record");
}

#[tokio::test]
async fn telegram_bot_tokens_and_slack_webhook_secrets_stay_out_of_the_request_log() {
    let sandbox = start().await;
    let token = fanout_sandbox::SANDBOX_TELEGRAM_TOKEN;
    let answer = client().post(format!("{}/bot{token}/getMe", sandbox.url())).send().await.expect("answered");
    assert!(answer.status().is_success(), "the bot is known: {}", answer.status());
    let answer = client()
        .post(format!("{}{}", sandbox.url(), fanout_sandbox::SANDBOX_SLACK_WEBHOOK))
        .json(&json!({"text": "To Slack"}))
        .send()
        .await
        .expect("answered");
    assert!(answer.status().is_success(), "the webhook took it: {}", answer.status());

    let log = sandbox.requests();
    assert_eq!(log[0].path, "/bot[token]/getMe", "the bot token is redacted from the path");
    assert_eq!(log[1].path, "/services/T0FANOUT/B0NEWS/[token]", "the Slack webhook's secret is redacted");
    let serialized = serde_json::to_string(&log).expect("serializable");
    let slack_secret = fanout_sandbox::SANDBOX_SLACK_WEBHOOK.rsplit('/').next().expect("a secret");
    for secret in [token, token.split(':').nth(1).expect("a secret part"), slack_secret] {
        assert!(!serialized.contains(secret), "{secret} appears in the log: {serialized}");
    }
}

#[tokio::test]
async fn unknown_routes_are_logged_and_answered_404() {
    let sandbox = start().await;
    let response = client().get(format!("{}/api/v1/nothing", sandbox.url())).send().await.expect("answered");
    assert_eq!(response.status(), 404);
    assert_eq!(json(response).await["error"], "Record not found");
    assert_eq!(sandbox.requests()[0].route, "GET (no route)", "a client calling a wrong path shows up in the log");
}

#[tokio::test]
async fn state_and_revoke_work_over_http() {
    let sandbox = start().await;
    post_status(&sandbox, json!({"status": "visible"}), None).await.expect("answered");
    let state = json(client().get(format!("{}/_sandbox/state", sandbox.url())).send().await.expect("answered")).await;
    assert_eq!(state["mastodon_statuses"][0]["text"], "visible");
    assert!(state["discord_messages"].as_array().is_some_and(Vec::is_empty));

    let revoke = client()
        .post(format!("{}/_sandbox/revoke", sandbox.url()))
        .json(&json!({"token": crate::TOKEN}))
        .send()
        .await
        .expect("answered");
    assert!(revoke.status().is_success());
    let response = post_status(&sandbox, json!({"status": "x"}), None).await.expect("answered");
    assert_eq!(response.status(), 401, "revoked over HTTP");
}

#[tokio::test]
async fn control_endpoints_are_never_faulted() {
    let sandbox = start_with(SandboxConfig {
        faults: FaultPlan::default()
            .with_route("*", RouteFaults { latency_ms: 0, faults: vec![Fault::hang().times(100)] }),
        ..SandboxConfig::default()
    })
    .await;
    let response = client().get(format!("{}/_sandbox/requests", sandbox.url())).send().await.expect("answered");
    assert_eq!(response.status(), 200, "\"*\" does not reach control endpoints");
}

#[tokio::test]
async fn shutdown_returns_promptly_while_a_request_hangs() {
    let sandbox = start_with(SandboxConfig {
        faults: FaultPlan::default().with_route("*", RouteFaults { latency_ms: 0, faults: vec![Fault::hang()] }),
        ..SandboxConfig::default()
    })
    .await;
    let url = sandbox.url();
    let hung = tokio::spawn({
        let url = url.clone();
        async move { client().get(format!("{url}/api/v2/instance")).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sandbox.requests().len(), 1, "the request is hanging inside the sandbox");
    let started = Instant::now();
    sandbox.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(1), "shutdown does not wait for hung requests");
    let outcome = tokio::time::timeout(Duration::from_secs(2), hung)
        .await
        .expect("the hung client is released by the shutdown")
        .expect("task");
    assert!(outcome.is_err(), "the hung request ends with a connection error");
    assert!(client().get(format!("{url}/api/v2/instance")).send().await.is_err(), "nothing listens after shutdown");
}

#[tokio::test]
async fn dropping_the_sandbox_stops_it() {
    let sandbox = start().await;
    let url = sandbox.url();
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(client().get(format!("{url}/api/v2/instance")).send().await.is_err(), "a dropped sandbox stops listening");
}

#[tokio::test]
async fn a_busy_port_is_an_error_not_a_panic() {
    let first = start().await;
    let second = fanout_sandbox::Sandbox::start(SandboxConfig { port: first.port(), ..SandboxConfig::default() }).await;
    assert!(second.is_err(), "two sandboxes cannot share a port");
}
