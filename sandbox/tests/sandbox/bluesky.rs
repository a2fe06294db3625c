//! The Bluesky PDS stand-in: sessions that expire, refresh and rotate, the sign-in rate limit,
//! blobs, and posts written only if absent and validated as the lexicon says.

use std::time::Duration;

use fanout_sandbox::{
    Fault, FaultPlan, RouteFaults, SANDBOX_BLUESKY_DID, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD, Sandbox,
    SandboxConfig,
};
use serde_json::{Value, json};

use crate::{client, json, manual_clock, png, start, start_with};

fn xrpc(sandbox: &Sandbox, method: &str) -> String {
    format!("{}/xrpc/{method}", sandbox.url())
}

async fn sign_in(sandbox: &Sandbox, identifier: &str, password: &str) -> reqwest::Response {
    client()
        .post(xrpc(sandbox, "com.atproto.server.createSession"))
        .json(&json!({ "identifier": identifier, "password": password }))
        .send()
        .await
        .expect("answered")
}

/// (accessJwt, refreshJwt) of a new session of the sandbox's account.
async fn session(sandbox: &Sandbox) -> (String, String) {
    let answer = sign_in(sandbox, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD).await;
    assert_eq!(answer.status(), 200, "the sandbox's account signs in");
    let body = json(answer).await;
    let text = |k: &str| body[k].as_str().unwrap_or_else(|| panic!("{k} in {body}")).to_owned();
    (text("accessJwt"), text("refreshJwt"))
}

async fn get_session(sandbox: &Sandbox, token: &str) -> (u16, Value) {
    let answer =
        client().get(xrpc(sandbox, "com.atproto.server.getSession")).bearer_auth(token).send().await.expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

async fn refresh(sandbox: &Sandbox, refresh: &str) -> (u16, Value) {
    let answer = client()
        .post(xrpc(sandbox, "com.atproto.server.refreshSession"))
        .bearer_auth(refresh)
        .send()
        .await
        .expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

async fn upload(sandbox: &Sandbox, access: &str, bytes: Vec<u8>) -> (u16, Value) {
    let answer = client()
        .post(xrpc(sandbox, "com.atproto.repo.uploadBlob"))
        .bearer_auth(access)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

async fn put(sandbox: &Sandbox, access: &str, rkey: &str, record: Value) -> (u16, Value) {
    let body = json!({ "repo": SANDBOX_BLUESKY_DID, "collection": "app.bsky.feed.post", "rkey": rkey,
                       "record": record, "swapRecord": null });
    let answer = client()
        .post(xrpc(sandbox, "com.atproto.repo.putRecord"))
        .bearer_auth(access)
        .json(&body)
        .send()
        .await
        .expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

fn post(text: &str) -> Value {
    json!({ "$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-22T10:00:00.000Z" })
}

#[tokio::test]
async fn a_session_is_made_with_the_app_password_and_its_refresh_token_works_once() {
    let sandbox = start().await;
    let wrong = sign_in(&sandbox, SANDBOX_BLUESKY_HANDLE, "not-it").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        json(wrong).await,
        json!({ "error": "AuthenticationRequired", "message": "Invalid identifier or password" })
    );
    let by_did = sign_in(&sandbox, SANDBOX_BLUESKY_DID, SANDBOX_BLUESKY_PASSWORD).await;
    assert_eq!(by_did.status(), 200, "the DID works as well as the handle");
    assert_eq!(by_did.headers()["ratelimit-policy"], "30;w=300", "createSession says how many are left");
    assert_eq!(
        by_did.headers()["ratelimit-remaining"],
        "29",
        "counted per identifier, as the PDS does: the handle's wrong attempt is not the DID's"
    );
    let body = json(by_did).await;
    assert_eq!(body["handle"], SANDBOX_BLUESKY_HANDLE);
    assert_eq!(body["didDoc"]["service"][0]["serviceEndpoint"], sandbox.url(), "the PDS is this sandbox");

    let (access, refresh_token) = session(&sandbox).await;
    assert_eq!(get_session(&sandbox, &access).await.1["did"], SANDBOX_BLUESKY_DID);
    assert_eq!(
        get_session(&sandbox, &refresh_token).await,
        (400, json!({ "error": "InvalidToken", "message": "Invalid token type" })),
        "a refresh token is not an access token"
    );
    let (status, renewed) = refresh(&sandbox, &refresh_token).await;
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["accessJwt"], json!(access), "a new access token");
    assert_eq!(
        refresh(&sandbox, &refresh_token).await,
        (400, json!({ "error": "ExpiredToken", "message": "Token has been revoked" })),
        "a refresh token is rotated on use"
    );
    let renewed_access = renewed["accessJwt"].as_str().expect("accessJwt");
    assert_eq!(get_session(&sandbox, renewed_access).await.0, 200);
    let missing = client().get(xrpc(&sandbox, "com.atproto.server.getSession")).send().await.expect("answered");
    assert_eq!(missing.status(), 401);
    assert_eq!(json(missing).await["error"], "AuthMissing");
}

#[tokio::test]
async fn an_access_token_expires_after_its_lifetime_and_the_controls_end_sessions() {
    let sandbox = start_with(SandboxConfig {
        bluesky_access_lifetime: Duration::from_millis(300),
        clock: manual_clock(),
        ..SandboxConfig::default()
    })
    .await;
    let (access, refresh_token) = session(&sandbox).await;
    assert_eq!(get_session(&sandbox, &access).await.0, 200, "fresh");
    sandbox.advance(Duration::from_millis(400));
    assert_eq!(
        get_session(&sandbox, &access).await,
        (400, json!({ "error": "ExpiredToken", "message": "Token has expired" })),
        "the PDS's answer to an old access token"
    );
    let (status, renewed) = refresh(&sandbox, &refresh_token).await;
    assert_eq!(status, 200, "the refresh token outlives the access token: {renewed}");

    let sandbox = start().await;
    let (access, refresh_token) = session(&sandbox).await;
    sandbox.expire_bluesky_access_tokens();
    assert_eq!(get_session(&sandbox, &access).await.1["error"], "ExpiredToken");
    let (status, renewed) = refresh(&sandbox, &refresh_token).await;
    assert_eq!(status, 200, "expiring access tokens leaves refresh tokens working");
    sandbox.revoke_bluesky_sessions();
    let renewed_access = renewed["accessJwt"].as_str().expect("accessJwt");
    assert_eq!(get_session(&sandbox, renewed_access).await.1["error"], "ExpiredToken");
    let renewed_refresh = renewed["refreshJwt"].as_str().expect("refreshJwt");
    assert_eq!(refresh(&sandbox, renewed_refresh).await.1["message"], "Token has been revoked");
    assert_eq!(sign_in(&sandbox, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn signing_in_is_limited_to_thirty_times_in_five_minutes() {
    let sandbox = start().await;
    for n in 1..=30 {
        let answer = sign_in(&sandbox, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD).await;
        assert_eq!(answer.status(), 200, "sign-in {n} is within the limit");
    }
    let limited = sign_in(&sandbox, SANDBOX_BLUESKY_HANDLE, SANDBOX_BLUESKY_PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    let reset: u64 = limited.headers()["ratelimit-reset"].to_str().expect("ascii").parse().expect("seconds");
    let now = sandbox.clock().now_ms() / 1000;
    assert!((now + 290..=now + 301).contains(&reset), "the window ends 5 minutes after the first: {reset} vs {now}");
    assert_eq!(json(limited).await, json!({ "error": "RateLimitExceeded", "message": "Rate Limit Exceeded" }));
}

#[tokio::test]
async fn the_sign_in_limits_lift_when_their_windows_have_passed() {
    let sandbox = start_with(SandboxConfig { clock: manual_clock(), ..SandboxConfig::default() }).await;
    // One client for the 331 sign-ins: a new one each time would spend the test building them.
    let (client, url) = (client(), xrpc(&sandbox, "com.atproto.server.createSession"));
    let body = json!({ "identifier": SANDBOX_BLUESKY_HANDLE, "password": SANDBOX_BLUESKY_PASSWORD });
    let sign_in = || async { client.post(&url).json(&body).send().await.expect("answered") };
    let status = || async { sign_in().await.status() };
    for window in 1..=10 {
        for n in 1..=30 {
            assert_eq!(status().await, 200, "sign-in {n} of five minutes number {window} is within both limits");
        }
        assert_eq!(status().await, 429, "a 31st in the same five minutes is refused");
        sandbox.advance(Duration::from_secs(5 * 60));
    }
    let limited = sign_in().await;
    assert_eq!(limited.status(), 429, "300 sign-ins a day, however spread out");
    assert_eq!(limited.headers()["ratelimit-policy"], "300;w=86400", "refused by the daily limit");
    sandbox.advance(Duration::from_secs(24 * 3600 - 10 * 5 * 60));
    assert_eq!(status().await, 200, "a day after the first sign-ins, there is room again");
}

#[tokio::test]
async fn a_record_key_is_written_once_and_the_same_record_again_changes_nothing() {
    let sandbox = start().await;
    let (access, _) = session(&sandbox).await;
    let (status, blob) = upload(&sandbox, &access, png(2048)).await;
    assert_eq!(status, 200, "{blob}");
    let blob = blob["blob"].clone();
    assert_eq!(blob["mimeType"], "image/png");
    assert_eq!(blob["size"], 2048);
    assert!(blob["ref"]["$link"].as_str().is_some_and(|l| l.starts_with("bafkrei")), "{blob}");

    let mut record = post("Fresh rye today");
    record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": [{ "image": blob, "alt": "Rye" }] });
    let rkey = "3m5abcdefgh22";
    let (status, first) = put(&sandbox, &access, rkey, record.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["uri"], format!("at://{SANDBOX_BLUESKY_DID}/app.bsky.feed.post/{rkey}"));
    assert!(first["commit"]["rev"].is_string(), "a new record makes a commit");

    let (status, again) = put(&sandbox, &access, rkey, record.clone()).await;
    assert_eq!(status, 200, "the very same record is a no-op, as on the PDS: {again}");
    assert_eq!(again["cid"], first["cid"]);
    assert!(again.get("commit").is_none(), "and makes no commit");

    let (status, other) = put(&sandbox, &access, rkey, post("Something else")).await;
    assert_eq!(status, 400);
    let expected = format!("Record was at {}", first["cid"].as_str().expect("cid"));
    assert_eq!(other, json!({ "error": "InvalidSwap", "message": expected }), "swapRecord: null is create-only");

    let read = json(
        client()
            .get(format!(
                "{}?repo={SANDBOX_BLUESKY_HANDLE}&collection=app.bsky.feed.post&rkey={rkey}",
                xrpc(&sandbox, "com.atproto.repo.getRecord")
            ))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(read["value"]["text"], "Fresh rye today", "the first record stands");
    let listed = json(
        client()
            .get(format!(
                "{}?repo={SANDBOX_BLUESKY_DID}&collection=app.bsky.feed.post",
                xrpc(&sandbox, "com.atproto.repo.listRecords")
            ))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(listed["records"].as_array().map(Vec::len), Some(1), "{listed}");
    let state = sandbox.state();
    assert_eq!(state.bluesky_records.len(), 1);
    assert_eq!(state.bluesky_blobs.len(), 1);
    let blob_link = state.bluesky_blobs[0].cid.clone();
    let fetched = client()
        .get(format!("{}?did={SANDBOX_BLUESKY_DID}&cid={blob_link}", xrpc(&sandbox, "com.atproto.sync.getBlob")))
        .send()
        .await
        .expect("answered");
    assert_eq!(fetched.bytes().await.expect("bytes").to_vec(), png(2048), "the blob comes back as uploaded");
    let page = client()
        .get(format!("{}/bluesky/profile/{SANDBOX_BLUESKY_HANDLE}/post/{rkey}", sandbox.url()))
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Fresh rye today") && page.contains("1 image(s)"), "{page}");
}

#[tokio::test]
async fn large_blobs_and_posts_the_lexicon_forbids_are_refused_in_blueskys_words() {
    let sandbox = start().await;
    let (access, _) = session(&sandbox).await;
    let (status, big) = upload(&sandbox, &access, png(1_000_001)).await;
    assert_eq!((status, big["error"].as_str()), (400, Some("BlobTooLarge")), "{big}");
    assert_eq!(upload(&sandbox, &access, png(1_000_000)).await.0, 200, "exactly 1,000,000 bytes is allowed");

    let long = post(&"é".repeat(301));
    let (status, answer) = put(&sandbox, &access, "3m5abcdefgh23", long).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text"
    );
    assert_eq!(put(&sandbox, &access, "3m5abcdefgh24", post(&"é".repeat(300))).await.0, 200, "300 is allowed");

    let stranger =
        json!({ "$type": "blob", "ref": { "$link": "bafkreinotuploaded" }, "mimeType": "image/png", "size": 8 });
    let mut record = post("A photo nobody uploaded");
    record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": [{ "image": stranger, "alt": "" }] });
    let (status, answer) = put(&sandbox, &access, "3m5abcdefgh25", record).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("BlobNotFound")), "{answer}");

    let (status, answer) = put(&sandbox, &access, "not-a-tid", post("x")).await;
    assert_eq!(status, 400);
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("Invalid TID")), "{answer}");
    assert_eq!(sandbox.state().bluesky_records.len(), 1, "only the valid post was written");
}

#[tokio::test]
async fn a_rate_limit_fault_answers_in_xrpc_shape_with_its_reset() {
    let plan = FaultPlan::default().with_route(
        "POST /xrpc/com.atproto.repo.putRecord",
        RouteFaults { latency_ms: 0, faults: vec![Fault::status(429).retry_after(3.0)] },
    );
    let sandbox = start_with(SandboxConfig { faults: plan, ..SandboxConfig::default() }).await;
    let (access, _) = session(&sandbox).await;
    let now = sandbox.clock().now_ms() / 1000;
    let answer = client()
        .post(xrpc(&sandbox, "com.atproto.repo.putRecord"))
        .bearer_auth(&access)
        .json(&json!({}))
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 429);
    let reset: u64 = answer.headers()["ratelimit-reset"].to_str().expect("ascii").parse().expect("seconds");
    assert!((now + 3..=now + 5).contains(&reset), "the reset is the fault's 3 seconds away: {reset} vs {now}");
    assert_eq!(json(answer).await["error"], "RateLimitExceeded");
    let unknown = client().get(xrpc(&sandbox, "com.example.nothing")).send().await.expect("answered");
    assert_eq!(unknown.status(), 404);
    assert_eq!(json(unknown).await["error"], "XRPCNotSupported", "an unknown method, in XRPC shape");
}
