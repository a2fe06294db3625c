use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::{client, json, png, start};

const WEBHOOK: &str = "/api/webhooks/123456789/hook-token";

fn file(name: &str, len: usize) -> Part {
    Part::bytes(png(len)).file_name(name.to_owned()).mime_str("image/png").expect("mime")
}

#[tokio::test]
async fn wait_true_with_json_returns_the_message_object() {
    let sandbox = start().await;
    let response = client()
        .post(format!("{}{WEBHOOK}?wait=true", sandbox.url()))
        .json(&json!({"content": "Hello Discord", "username": "Fanout"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200, "wait=true answers with the message");
    for header in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset-after"] {
        assert!(response.headers().contains_key(header), "Discord always sends {header}");
    }
    let message = json(response).await;
    assert_eq!(message["content"], "Hello Discord");
    assert_eq!(message["type"], 0);
    assert_eq!(message["webhook_id"], "123456789");
    assert!(message["timestamp"].as_str().is_some_and(|t| t.ends_with("+00:00")));
    let state = sandbox.state();
    assert_eq!(state.discord_messages.len(), 1);
    assert_eq!(state.discord_messages[0].id, message["id"].as_str().unwrap_or_default());
    assert_eq!(state.discord_messages[0].content, "Hello Discord");
}

#[tokio::test]
async fn without_wait_the_answer_is_an_empty_204() {
    let sandbox = start().await;
    let response = client()
        .post(format!("{}{WEBHOOK}", sandbox.url()))
        .json(&json!({"content": "fire and forget"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.expect("body").is_empty(), "204 has no body");
    assert_eq!(sandbox.state().discord_messages.len(), 1, "the message was still posted");
}

#[tokio::test]
async fn multipart_with_payload_json_and_files_creates_attachments() {
    let sandbox = start().await;
    let form = Form::new()
        .text("payload_json", json!({"content": "Two pictures"}).to_string())
        .part("files[0]", file("one.png", 2048))
        .part("files[1]", file("two.png", 4096));
    let response =
        client().post(format!("{}{WEBHOOK}?wait=true", sandbox.url())).multipart(form).send().await.expect("answered");
    assert_eq!(response.status(), 200);
    let message = json(response).await;
    assert_eq!(message["content"], "Two pictures", "content comes from payload_json");
    let attachments = message["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0]["filename"], "one.png");
    assert_eq!(attachments[1]["size"], 4096);
    assert_eq!(sandbox.state().discord_messages[0].attachments, vec!["one.png", "two.png"]);
}

#[tokio::test]
async fn invalid_messages_get_discords_error_bodies() {
    let sandbox = start().await;
    let url = format!("{}{WEBHOOK}?wait=true", sandbox.url());
    let empty = client().post(&url).json(&json!({"content": ""})).send().await.expect("answered");
    assert_eq!(empty.status(), 400);
    assert_eq!(json(empty).await, json!({"message": "Cannot send an empty message", "code": 50006}));

    let long = client().post(&url).json(&json!({"content": "x".repeat(2001)})).send().await.expect("answered");
    assert_eq!(long.status(), 400);
    let long = json(long).await;
    assert_eq!(long["code"], 50035);
    assert_eq!(long["errors"]["content"]["_errors"][0]["code"], "BASE_TYPE_MAX_LENGTH");

    let mut form = Form::new().text("payload_json", r#"{"content":"many"}"#);
    for n in 0..11 {
        form = form.part(format!("files[{n}]"), file(&format!("{n}.png"), 16));
    }
    let many = client().post(&url).multipart(form).send().await.expect("answered");
    assert_eq!(many.status(), 400, "more than 10 files is a form error");
    assert_eq!(json(many).await["code"], 50035);

    let big = Form::new().part("files[0]", file("big.png", 10 * 1024 * 1024 + 1));
    let big = client().post(&url).multipart(big).send().await.expect("answered");
    assert_eq!(big.status(), 413, "a file over 10 MiB is too large");
    assert_eq!(json(big).await, json!({"message": "Request entity too large", "code": 40005}));

    let broken = client()
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answered");
    assert_eq!(broken.status(), 400);
    assert!(sandbox.state().discord_messages.is_empty(), "no invalid message was posted");
}

#[tokio::test]
async fn a_revoked_webhook_token_answers_401_and_get_never_echoes_the_token() {
    let sandbox = start().await;
    let webhook = client().get(format!("{}{WEBHOOK}", sandbox.url())).send().await.expect("answered");
    assert_eq!(webhook.status(), 200);
    let text = webhook.text().await.expect("body");
    assert!(!text.contains("hook-token"), "the webhook token is a secret: {text}");
    let webhook: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(webhook["type"], 1);
    assert_eq!(webhook["id"], "123456789");

    sandbox.revoke_token("hook-token");
    let response = client()
        .post(format!("{}{WEBHOOK}?wait=true", sandbox.url()))
        .json(&json!({"content": "after revoke"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await, json!({"message": "Invalid Webhook Token", "code": 50027}));
    assert!(sandbox.state().discord_messages.is_empty());
}
