use std::time::{Duration, Instant};

use fanout_sandbox::{CloseWhen, Fault, FaultPlan, RouteFaults, SandboxConfig};
use serde_json::json;

use crate::{client, json, post_status, put_faults, start, start_with};

const STATUSES: &str = "POST /api/v1/statuses";

fn plan(route: &str, latency_ms: u64, faults: Vec<Fault>) -> FaultPlan {
    FaultPlan::default().with_route(route, RouteFaults { latency_ms, faults })
}

#[tokio::test]
async fn status_faults_apply_times_then_the_route_succeeds() {
    let sandbox = start_with(SandboxConfig {
        faults: plan(STATUSES, 0, vec![Fault::status(503).times(2)]),
        ..SandboxConfig::default()
    })
    .await;
    for attempt in 1..=2 {
        let response = post_status(&sandbox, json!({"status": "hi"}), None).await.expect("answered");
        assert_eq!(response.status(), 503, "attempt {attempt} is faulted");
        assert!(json(response).await["error"].is_string(), "Mastodon-shaped error body");
    }
    assert!(sandbox.state().mastodon_statuses.is_empty(), "a status fault never touches state");
    let response = post_status(&sandbox, json!({"status": "hi"}), None).await.expect("answered");
    assert_eq!(response.status(), 200, "after the faults are used up the route behaves normally");
    let faults: Vec<Option<String>> = sandbox.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults, vec![Some("status 503".to_owned()), Some("status 503".to_owned()), None]);
}

#[tokio::test]
async fn rate_limits_carry_retry_after_in_each_networks_shape() {
    let sandbox = start_with(SandboxConfig {
        faults: plan(STATUSES, 0, vec![Fault::status(429).retry_after(2.0)])
            .with_route(
                "POST /api/webhooks/{id}/{token}",
                RouteFaults { latency_ms: 0, faults: vec![Fault::status(429).retry_after(1.5)] },
            )
            .with_route(
                "GET /api/v2/instance",
                RouteFaults { latency_ms: 0, faults: vec![Fault::status(503).retry_after(7.0)] },
            ),
        ..SandboxConfig::default()
    })
    .await;
    let mastodon = post_status(&sandbox, json!({"status": "x"}), None).await.expect("answered");
    assert_eq!(mastodon.status(), 429);
    assert_eq!(mastodon.headers()["retry-after"], "2", "Mastodon says when to retry");
    assert_eq!(json(mastodon).await["error"], "Too many requests");

    let discord = client()
        .post(format!("{}/api/webhooks/1/t?wait=true", sandbox.url()))
        .json(&json!({"content": "x"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(discord.status(), 429);
    assert_eq!(discord.headers()["retry-after"], "2", "whole seconds, rounded up");
    assert_eq!(discord.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(
        json(discord).await,
        json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
    );

    let unavailable = client().get(format!("{}/api/v2/instance", sandbox.url())).send().await.expect("answered");
    assert_eq!(unavailable.status(), 503);
    assert_eq!(unavailable.headers()["retry-after"], "7", "retry_after works on any status");
}

#[tokio::test]
async fn a_hung_request_stays_pending_and_is_logged_unanswered() {
    let sandbox =
        start_with(SandboxConfig { faults: plan(STATUSES, 0, vec![Fault::hang()]), ..SandboxConfig::default() }).await;
    let started = Instant::now();
    let result = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client")
        .post(format!("{}/api/v1/statuses", sandbox.url()))
        .bearer_auth("t")
        .json(&json!({"status": "hang"}))
        .send()
        .await;
    let error = result.expect_err("a hung request is never answered");
    assert!(error.is_timeout(), "the client gave up, the server did not answer: {error}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let log = sandbox.requests();
    assert_eq!(log.len(), 1, "the hung request is visible in the log");
    assert_eq!(log[0].status, None, "it was never answered");
    assert_eq!(log[0].fault.as_deref(), Some("hang"));
    assert!(sandbox.state().mastodon_statuses.is_empty());
}

#[tokio::test]
async fn close_before_drops_the_connection_without_handling() {
    let sandbox = start_with(SandboxConfig {
        faults: plan(STATUSES, 0, vec![Fault::close(CloseWhen::Before)]),
        ..SandboxConfig::default()
    })
    .await;
    let error = post_status(&sandbox, json!({"status": "lost"}), Some("k1"))
        .await
        .expect_err("the connection is closed without a response");
    assert!(!error.is_timeout(), "a closed connection, not a timeout: {error}");
    assert!(sandbox.state().mastodon_statuses.is_empty(), "close before handles nothing");
    let log = sandbox.requests();
    assert_eq!(log.len(), 1, "the client's request arrived once");
    assert_eq!((log[0].status, log[0].fault.as_deref()), (None, Some("close before")));
}

#[tokio::test]
async fn close_after_creates_the_status_but_loses_the_answer() {
    let sandbox = start_with(SandboxConfig {
        faults: plan(STATUSES, 0, vec![Fault::close(CloseWhen::After)]),
        ..SandboxConfig::default()
    })
    .await;
    post_status(&sandbox, json!({"status": "outcome lost"}), Some("k1"))
        .await
        .expect_err("the client never sees the answer");
    let state = sandbox.state();
    assert_eq!(state.mastodon_statuses.len(), 1, "the status WAS created: the client must reconcile");
    assert_eq!(state.mastodon_statuses[0].text, "outcome lost");
    let retry = post_status(&sandbox, json!({"status": "outcome lost"}), Some("k1")).await.expect("answered");
    assert_eq!(retry.status(), 200, "the fault was used up");
    assert_eq!(json(retry).await["id"], state.mastodon_statuses[0].id.as_str(), "the key reconciles the retry");
    assert_eq!(sandbox.state().mastodon_statuses.len(), 1);
    assert_eq!(sandbox.requests()[0].fault.as_deref(), Some("close after"));
}

#[tokio::test]
async fn truncate_sends_headers_and_half_a_body() {
    let sandbox =
        start_with(SandboxConfig { faults: plan(STATUSES, 0, vec![Fault::truncate()]), ..SandboxConfig::default() })
            .await;
    let response = post_status(&sandbox, json!({"status": "cut"}), None).await.expect("headers arrive");
    assert_eq!(response.status(), 200, "the status line is sent");
    assert!(response.content_length().is_some_and(|n| n > 0), "the headers promise the whole body");
    assert!(response.bytes().await.is_err(), "the body is cut off mid-way");
    assert_eq!(sandbox.state().mastodon_statuses.len(), 1, "the request was handled");
    assert_eq!(sandbox.requests()[0].status, Some(200));
}

#[tokio::test]
async fn malformed_answers_200_with_a_body_that_is_not_json() {
    let sandbox = start_with(SandboxConfig {
        faults: plan("POST /api/webhooks/{id}/{token}", 0, vec![Fault::malformed()]),
        ..SandboxConfig::default()
    })
    .await;
    let response = client()
        .post(format!("{}/api/webhooks/1/t?wait=true", sandbox.url()))
        .json(&json!({"content": "x"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("a complete body");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err(), "not JSON: {text}");
    assert_eq!(sandbox.state().discord_messages.len(), 1, "the request was handled");
}

#[tokio::test]
async fn latency_delays_every_request_of_the_route_and_star_covers_the_rest() {
    let sandbox = start_with(SandboxConfig {
        faults: plan(STATUSES, 150, vec![])
            .with_route("*", RouteFaults { latency_ms: 0, faults: vec![Fault::status(500)] }),
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..2 {
        let started = Instant::now();
        let response = post_status(&sandbox, json!({"status": "slow"}), None).await.expect("answered");
        assert_eq!(response.status(), 200, "latency alone does not fail a request");
        assert!(started.elapsed() >= Duration::from_millis(150), "held for latency_ms");
    }
    assert_eq!(sandbox.requests()[0].fault.as_deref(), Some("latency 150ms"));
    let instance = client().get(format!("{}/api/v2/instance", sandbox.url())).send().await.expect("answered");
    assert_eq!(instance.status(), 500, "\"*\" applies to routes without an entry");
}

#[tokio::test]
async fn a_request_held_by_latency_is_already_in_the_log() {
    let sandbox = start_with(SandboxConfig { faults: plan(STATUSES, 400, vec![]), ..SandboxConfig::default() }).await;
    let url = sandbox.url();
    let pending = tokio::spawn(async move {
        client().post(format!("{url}/api/v1/statuses")).bearer_auth("t").json(&json!({"status": "x"})).send().await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let log = sandbox.requests();
    assert_eq!(log.len(), 1, "logged on arrival, before the latency is over");
    assert_eq!(log[0].status, None, "not answered yet");
    let response = pending.await.expect("task").expect("answered");
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.requests()[0].status, Some(200), "filled in once answered");
}

#[tokio::test]
async fn the_plan_can_be_replaced_at_run_time_over_http() {
    let sandbox = start().await;
    assert_eq!(post_status(&sandbox, json!({"status": "a"}), None).await.expect("answered").status(), 200);
    let plan = r#"{"routes":{"POST /api/v1/statuses":{"faults":[{"status":502}]}}}"#;
    let put = put_faults(&sandbox, plan).await;
    assert_eq!(put.status(), 200);
    assert_eq!(
        post_status(&sandbox, json!({"status": "b"}), None).await.expect("answered").status(),
        502,
        "the new plan applies at once"
    );
    let current =
        json(client().get(format!("{}/_sandbox/faults", sandbox.url())).send().await.expect("answered")).await;
    assert_eq!(current, serde_json::from_str::<serde_json::Value>(plan).expect("json"), "GET returns the plan");

    let typo = put_faults(&sandbox, r#"{"routes":{"POST /api/v1/statuses":{"faults":[{"stauts":502}]}}}"#).await;
    assert_eq!(typo.status(), 400, "a typo in a plan is refused, not ignored");
    assert!(json(typo).await["error"].as_str().is_some_and(|e| e.contains("stauts")));

    sandbox.set_faults(FaultPlan::default());
    assert_eq!(post_status(&sandbox, json!({"status": "c"}), None).await.expect("answered").status(), 200);
}
