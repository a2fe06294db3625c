//! The Matrix homeserver stand-in: password login, joining rooms by alias, transactions that
//! give back the same event, rooms that refuse, media, and errors in Synapse's shape.

use fanout_sandbox::{
    Fault, FaultPlan, RouteFaults, SANDBOX_MATRIX_PASSWORD, SANDBOX_MATRIX_PRIVATE_ROOM, SANDBOX_MATRIX_READ_ONLY_ROOM,
    SANDBOX_MATRIX_ROOM, SANDBOX_MATRIX_SERVER, SANDBOX_MATRIX_TOKEN, SANDBOX_MATRIX_USER, SANDBOX_MATRIX_USER_ID,
    Sandbox, SandboxConfig,
};
use serde_json::{Value, json};

use crate::{client, json, png, start, start_with};

fn api(sandbox: &Sandbox, path: &str) -> String {
    format!("{}/_matrix/{path}", sandbox.url())
}

/// A room's alias on the sandbox's homeserver, from its localpart.
fn alias(localpart: &str) -> String {
    format!("#{localpart}:{SANDBOX_MATRIX_SERVER}")
}

fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn login(sandbox: &Sandbox, user: &str, password: &str) -> (u16, Value) {
    let body = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": user }, "password": password });
    let answer = client().post(api(sandbox, "client/v3/login")).json(&body).send().await.expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

async fn join(sandbox: &Sandbox, token: &str, room: &str) -> (u16, Value) {
    let answer = client()
        .post(api(sandbox, &format!("client/v3/join/{}", segment(room))))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

async fn send(sandbox: &Sandbox, token: &str, room: &str, txn: &str, body: &str) -> (u16, Value) {
    let answer = client()
        .put(api(sandbox, &format!("client/v3/rooms/{}/send/m.room.message/{txn}", segment(room))))
        .bearer_auth(token)
        .json(&json!({ "msgtype": "m.text", "body": body }))
        .send()
        .await
        .expect("answered");
    (answer.status().as_u16(), json(answer).await)
}

#[tokio::test]
async fn a_password_login_gives_a_token_that_joins_the_demo_room_by_its_alias() {
    let sandbox = start().await;
    assert_eq!(
        login(&sandbox, SANDBOX_MATRIX_USER, "not-it").await,
        (403, json!({ "errcode": "M_FORBIDDEN", "error": "Invalid username or password" }))
    );
    let (status, session) = login(&sandbox, SANDBOX_MATRIX_USER, SANDBOX_MATRIX_PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user_id"], SANDBOX_MATRIX_USER_ID);
    let token = session["access_token"].as_str().expect("a token");
    assert!(token.starts_with("syt_"), "shaped like Synapse's: {token}");

    let me = json(
        client().get(api(&sandbox, "client/v3/account/whoami")).bearer_auth(token).send().await.expect("answered"),
    )
    .await;
    assert_eq!(me["user_id"], SANDBOX_MATRIX_USER_ID);

    let (status, joined) = join(&sandbox, token, &alias(SANDBOX_MATRIX_ROOM)).await;
    assert_eq!(status, 200, "{joined}");
    let room = joined["room_id"].as_str().expect("room id");
    assert_eq!(room, "!FanoutBakeryRoom:fanout.sandbox", "the alias's room, on the sandbox's server name");
    let by_address = format!("#{SANDBOX_MATRIX_ROOM}:127.0.0.1:{}", sandbox.port());
    assert_eq!(join(&sandbox, token, &by_address).await.1["room_id"], room, "the server also answers to its address");
    let name = json(
        client()
            .get(api(&sandbox, &format!("client/v3/rooms/{}/state/m.room.name", segment(room))))
            .bearer_auth(token)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(name, json!({ "name": "Fanout Bakery" }));

    assert_eq!(
        join(&sandbox, token, &alias(SANDBOX_MATRIX_PRIVATE_ROOM)).await,
        (403, json!({ "errcode": "M_FORBIDDEN", "error": "You are not invited to this room." }))
    );
    let (status, missing) = join(&sandbox, token, &alias("nowhere")).await;
    assert_eq!((status, missing["errcode"].as_str()), (404, Some("M_NOT_FOUND")), "{missing}");
    let (status, missing) = join(&sandbox, token, "#fanout-bakery:matrix.org").await;
    assert_eq!((status, missing["errcode"].as_str()), (404, Some("M_NOT_FOUND")), "{missing}");
}

#[tokio::test]
async fn a_repeated_transaction_gives_back_its_event_and_adds_nothing() {
    let sandbox = start().await;
    let (_, room) = join(&sandbox, SANDBOX_MATRIX_TOKEN, &alias(SANDBOX_MATRIX_ROOM)).await;
    let room = room["room_id"].as_str().expect("room id").to_owned();
    let (status, first) = send(&sandbox, SANDBOX_MATRIX_TOKEN, &room, "txn-1", "Fresh rye").await;
    assert_eq!(status, 200, "{first}");
    let (_, again) = send(&sandbox, SANDBOX_MATRIX_TOKEN, &room, "txn-1", "Fresh rye").await;
    assert_eq!(again["event_id"], first["event_id"], "the same transaction, the same event");
    assert_eq!(sandbox.state().matrix_events.len(), 1, "and nothing added");

    let (_, other_device) = login(&sandbox, SANDBOX_MATRIX_USER, SANDBOX_MATRIX_PASSWORD).await;
    let other = other_device["access_token"].as_str().expect("token");
    let (_, elsewhere) = send(&sandbox, other, &room, "txn-1", "Fresh rye").await;
    assert_ne!(elsewhere["event_id"], first["event_id"], "transaction ids are per access token");
    send(&sandbox, SANDBOX_MATRIX_TOKEN, &room, "txn-2", "Spelt").await;

    let page = json(
        client()
            .get(api(&sandbox, &format!("client/v3/rooms/{}/messages?dir=b&limit=2", segment(&room))))
            .bearer_auth(SANDBOX_MATRIX_TOKEN)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    let bodies: Vec<&str> =
        page["chunk"].as_array().expect("chunk").iter().filter_map(|e| e["content"]["body"].as_str()).collect();
    assert_eq!(bodies, ["Spelt", "Fresh rye"], "newest first");
    let end = page["end"].as_str().expect("more to read");
    let rest = json(
        client()
            .get(api(&sandbox, &format!("client/v3/rooms/{}/messages?dir=b&from={end}", segment(&room))))
            .bearer_auth(SANDBOX_MATRIX_TOKEN)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(rest["chunk"].as_array().map(Vec::len), Some(1), "the oldest one: {rest}");
    assert!(rest.get("end").is_none(), "and no further");
}

#[tokio::test]
async fn a_room_with_a_higher_send_level_refuses_messages_and_tokens_are_checked() {
    let sandbox = start().await;
    let (status, joined) = join(&sandbox, SANDBOX_MATRIX_TOKEN, &alias(SANDBOX_MATRIX_READ_ONLY_ROOM)).await;
    assert_eq!(status, 200, "a public room: anyone may join");
    let room = joined["room_id"].as_str().expect("room id");
    let (status, refused) = send(&sandbox, SANDBOX_MATRIX_TOKEN, room, "t1", "hello").await;
    assert_eq!(status, 403);
    assert_eq!(
        refused["error"],
        "You don't have permission to post that to the room. user_level (0) < send_level (50)"
    );
    assert!(sandbox.state().matrix_events.is_empty());

    let (status, unknown) = send(&sandbox, "syt_nobody", room, "t2", "hello").await;
    assert_eq!((status, unknown["errcode"].as_str()), (401, Some("M_UNKNOWN_TOKEN")));
    sandbox.revoke_token(SANDBOX_MATRIX_TOKEN);
    let (status, revoked) = send(&sandbox, SANDBOX_MATRIX_TOKEN, room, "t3", "hello").await;
    assert_eq!((status, revoked["errcode"].as_str()), (401, Some("M_UNKNOWN_TOKEN")), "a revoked token");
}

#[tokio::test]
async fn an_upload_gives_an_mxc_address_that_downloads_the_same_bytes() {
    let sandbox = start().await;
    let answer = client()
        .post(api(&sandbox, "media/v3/upload?filename=rye.png"))
        .bearer_auth(SANDBOX_MATRIX_TOKEN)
        .header("content-type", "image/png")
        .body(png(4096))
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 200);
    let mxc = json(answer).await["content_uri"].as_str().expect("content_uri").to_owned();
    let path = mxc.strip_prefix("mxc://").expect("an mxc address");
    let download = client()
        .get(api(&sandbox, &format!("client/v1/media/download/{path}")))
        .bearer_auth(SANDBOX_MATRIX_TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.bytes().await.expect("bytes").to_vec(), png(4096));
    let media = sandbox.state().matrix_media;
    assert_eq!((media[0].filename.as_deref(), media[0].bytes), (Some("rye.png"), 4096));
    let config = json(
        client()
            .get(api(&sandbox, "client/v1/media/config"))
            .bearer_auth(SANDBOX_MATRIX_TOKEN)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(config["m.upload.size"], 50 * 1024 * 1024);
}

#[tokio::test]
async fn a_rate_limit_fault_is_m_limit_exceeded_with_retry_after_ms() {
    let plan = FaultPlan::default().with_route(
        "PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}",
        RouteFaults { latency_ms: 0, faults: vec![Fault::status(429).retry_after(1.5)] },
    );
    let sandbox = start_with(SandboxConfig { faults: plan, ..SandboxConfig::default() }).await;
    let answer = client()
        .put(api(&sandbox, "client/v3/rooms/%21x%3Ay/send/m.room.message/t"))
        .bearer_auth(SANDBOX_MATRIX_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 429);
    assert_eq!(answer.headers()["retry-after"], "2", "whole seconds, rounded up");
    assert_eq!(
        json(answer).await,
        json!({ "errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 1500 })
    );
    let unknown = client().get(api(&sandbox, "client/v3/nothing")).send().await.expect("answered");
    assert_eq!(unknown.status(), 404);
    assert_eq!(json(unknown).await["errcode"], "M_UNRECOGNIZED");
}
