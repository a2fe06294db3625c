//! The Graph API's node fields, as Meta's own description (`specs/graph.json`) gives them: every
//! node and edge the sandbox serves answers a field its type lacks with Graph's error #100, so a
//! client asking for one fails here as it would against Meta.

use fanout_sandbox::{SANDBOX_INSTAGRAM, SANDBOX_PAGES, SANDBOX_USER_TOKEN, SANDBOX_WHATSAPP, SANDBOX_WHATSAPP_TOKEN};
use serde_json::Value;

use crate::{client, start};

/// A JPEG as far as the sandbox reads one: its magic and a start-of-frame segment (512×512).
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x00, 0x02, 0x00, 0x03];
    bytes.extend([0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9]);
    bytes
}

async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.expect("answered").json().await.expect("a JSON body")
}

async fn get(url: &str, token: &str) -> (u16, Value) {
    let response = client().get(url).bearer_auth(token).send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[track_caller]
fn refused(answer: &(u16, Value), field: &str, node_type: &str) {
    assert_eq!(answer.0, 400, "{answer:?}");
    assert_eq!(answer.1["error"]["code"], 100, "{answer:?}");
    assert_eq!(
        answer.1["error"]["message"],
        format!("(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn an_instagram_container_has_no_error_message_field() {
    let sandbox = start().await;
    let graph = format!("{}/graph/v26.0", sandbox.url());
    let (ig, _, page) = SANDBOX_INSTAGRAM[0];
    let token = fanout_sandbox::page_token(page);
    let form = reqwest::multipart::Form::new()
        .part("source", reqwest::multipart::Part::bytes(jpeg()).file_name("a.jpg"))
        .text("published", "false");
    let photo = answer(client().post(format!("{graph}/{page}/photos")).bearer_auth(&token).multipart(form)).await;
    let image_url = format!("{}/cdn/{}", sandbox.url(), photo["id"].as_str().expect("a photo id"));
    let form = [("image_url", image_url.as_str()), ("caption", "Fresh bread")];
    let container = answer(client().post(format!("{graph}/{ig}/media")).bearer_auth(&token).form(&form)).await;
    let id = container["id"].as_str().unwrap_or_else(|| panic!("a container: {container}"));

    let answer = get(&format!("{graph}/{id}?fields=status_code,status,error_message"), &token).await;
    refused(&answer, "error_message", "ShadowIGMediaBuilder");
    let answer = get(&format!("{graph}/{id}?fields=status_code,status"), &token).await;
    assert_eq!(answer.0, 200, "{answer:?}");
    assert!(answer.1["status_code"].is_string(), "{answer:?}");
}

#[tokio::test]
async fn every_node_and_edge_the_sandbox_serves_checks_its_fields() {
    let sandbox = start().await;
    let graph = format!("{}/graph/v26.0", sandbox.url());
    let (ig, _, page) = SANDBOX_INSTAGRAM[0];
    let page_token = fanout_sandbox::page_token(page);
    let (waba, ..) = SANDBOX_WHATSAPP;
    let user = SANDBOX_USER_TOKEN;
    let cases: &[(String, &str, &str)] = &[
        (format!("{graph}/me?fields=id,name,nickname"), user, "User"),
        (format!("{graph}/me?fields=id,name,nickname"), &page_token, "Page"),
        (format!("{graph}/{}?fields=id,name,nickname", SANDBOX_PAGES[0].0), &page_token, "Page"),
        (format!("{graph}/{ig}?fields=id,username,nickname"), &page_token, "IGUser"),
        (format!("{graph}/{waba}?fields=id,name,nickname"), SANDBOX_WHATSAPP_TOKEN, "WhatsAppBusinessAccount"),
        (format!("{graph}/me/accounts?fields=id,name,nickname"), user, "Page"),
        (format!("{graph}/{page}/published_posts?fields=id,message,nickname"), &page_token, "PagePost"),
        (format!("{graph}/{page}/videos?fields=id,description,nickname"), &page_token, "AdVideo"),
        (format!("{graph}/{page}/stories?fields=post_id,nickname"), &page_token, "Stories"),
        (format!("{graph}/{ig}/media?fields=id,caption,nickname"), &page_token, "IGMedia"),
        (
            format!("{graph}/{ig}/content_publishing_limit?fields=quota_usage,nickname"),
            &page_token,
            "ContentPublishingLimitResponse",
        ),
    ];
    for (url, token, node_type) in cases {
        refused(&get(url, token).await, "nickname", node_type);
        let fine = url.replace(",nickname", "");
        let answer = get(&fine, token).await;
        assert_eq!(answer.0, 200, "{fine}: {answer:?}");
    }
    let nested = get(&format!("{graph}/me/accounts?fields=id,instagram_business_account{{id,nickname}}"), user).await;
    refused(&nested, "nickname", "IGUser");
}
