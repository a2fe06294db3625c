use std::time::Duration;

use fanout_sandbox::SandboxConfig;
use serde_json::json;

use crate::{TOKEN, client, json, manual_clock, post_status, start, start_with, upload_png};

#[tokio::test]
async fn instance_reports_the_limits_a_client_must_respect() {
    let sandbox = start_with(SandboxConfig { mastodon_max_characters: 1000, ..SandboxConfig::default() }).await;
    let response = client().get(format!("{}/api/v2/instance", sandbox.url())).send().await.expect("answered");
    assert_eq!(response.status(), 200, "the instance endpoint needs no token");
    let body = json(response).await;
    assert_eq!(body["domain"], format!("127.0.0.1:{}", sandbox.port()));
    assert_eq!(body["configuration"]["statuses"]["max_characters"], 1000, "configured limit is reported");
    assert_eq!(body["configuration"]["statuses"]["max_media_attachments"], 4);
    assert_eq!(body["configuration"]["media_attachments"]["image_size_limit"], 16_777_216);
}

#[tokio::test]
async fn verify_credentials_identifies_the_same_account_for_the_same_token() {
    let sandbox = start().await;
    let fetch = || async {
        json(
            client()
                .get(format!("{}/api/v1/accounts/verify_credentials", sandbox.url()))
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("answered"),
        )
        .await
    };
    let first = fetch().await;
    let second = fetch().await;
    assert_eq!(first["id"], second["id"], "a token always maps to one account");
    assert!(first["username"].as_str().is_some_and(|u| u.starts_with("demo_")));
    assert_eq!(first["acct"], first["username"]);
}

#[tokio::test]
async fn uploaded_media_goes_202_then_206_then_200_and_can_then_be_attached() {
    let sandbox = start_with(SandboxConfig { clock: manual_clock(), ..SandboxConfig::default() }).await;
    let upload = upload_png(&sandbox, 5120).await;
    assert_eq!(upload.status(), 202, "processing continues after the upload");
    let media = json(upload).await;
    assert!(media["url"].is_null(), "no url while processing");
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "A test image");
    let id = media["id"].as_str().expect("string id").to_owned();

    let poll = || async {
        client().get(format!("{}/api/v1/media/{id}", sandbox.url())).bearer_auth(TOKEN).send().await.expect("answered")
    };
    assert_eq!(poll().await.status(), 206, "still processing right after upload");
    sandbox.advance(Duration::from_millis(149));
    assert_eq!(poll().await.status(), 206, "still processing a moment before its 150 ms are up");
    sandbox.advance(Duration::from_millis(1));
    let response = poll().await;
    assert_eq!(response.status(), 200, "media is processed once its 150 ms have passed");
    let processed = json(response).await;
    assert!(processed["url"].as_str().is_some_and(|u| u.ends_with(".png")), "a processed medium has a url");

    let response =
        post_status(&sandbox, json!({"status": "With a picture", "media_ids": [id]}), None).await.expect("answered");
    assert_eq!(response.status(), 200);
    let status = json(response).await;
    assert_eq!(status["media_attachments"][0]["id"], id.as_str(), "the medium is attached");
    assert_eq!(status["content"], "<p>With a picture</p>");
    let state = sandbox.state();
    assert_eq!(state.mastodon_statuses.len(), 1);
    assert_eq!(state.mastodon_statuses[0].media_ids, vec![id.clone()]);
    assert_eq!(state.mastodon_media[0].content_type, "image/png");
    assert_eq!(state.mastodon_media[0].bytes, 5120);
    assert_eq!(poll().await.status(), 404, "attached media can no longer be fetched, as on Mastodon");
}

#[tokio::test]
async fn media_that_is_not_an_image_or_missing_is_refused() {
    let sandbox = start().await;
    let send = |form: reqwest::multipart::Form| {
        client().post(format!("{}/api/v2/media", sandbox.url())).bearer_auth(TOKEN).multipart(form).send()
    };
    let pdf = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.7 ...".to_vec())
            .file_name("a.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let response = send(pdf).await.expect("answered");
    assert_eq!(response.status(), 422, "the type comes from the bytes, not the claimed type");
    assert_eq!(json(response).await["error"], "Validation failed: File content type is invalid, File is invalid");
    let response = send(reqwest::multipart::Form::new().text("description", "x")).await.expect("answered");
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["error"], "Validation failed: File can't be blank");
    assert!(sandbox.state().mastodon_media.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_status_and_creates_one() {
    let sandbox = start().await;
    let first = json(post_status(&sandbox, json!({"status": "Once"}), Some("key-1")).await.expect("answered")).await;
    let again = post_status(&sandbox, json!({"status": "Once"}), Some("key-1")).await.expect("answered");
    assert_eq!(again.status(), 200, "a retried request succeeds");
    assert_eq!(json(again).await["id"], first["id"], "the retry gets the original status");
    assert_eq!(sandbox.state().mastodon_statuses.len(), 1, "a retry never duplicates the post");
    let other = json(post_status(&sandbox, json!({"status": "Once"}), Some("key-2")).await.expect("answered")).await;
    assert_ne!(other["id"], first["id"], "another key is another post");
    let first_id: u64 = first["id"].as_str().and_then(|s| s.parse().ok()).expect("numeric id");
    let other_id: u64 = other["id"].as_str().and_then(|s| s.parse().ok()).expect("numeric id");
    assert!(other_id > first_id, "status ids increase");
    assert_eq!(sandbox.state().mastodon_statuses[0].idempotency_key.as_deref(), Some("key-1"));
}

#[tokio::test]
async fn an_idempotency_key_is_forgotten_after_its_ttl() {
    let sandbox = start_with(SandboxConfig {
        idempotency_ttl: Duration::from_millis(100),
        clock: manual_clock(),
        ..SandboxConfig::default()
    })
    .await;
    post_status(&sandbox, json!({"status": "a"}), Some("k")).await.expect("answered");
    sandbox.advance(Duration::from_millis(150));
    post_status(&sandbox, json!({"status": "a"}), Some("k")).await.expect("answered");
    assert_eq!(sandbox.state().mastodon_statuses.len(), 2, "an expired key no longer deduplicates");
}

#[tokio::test]
async fn form_encoded_statuses_are_accepted_like_json() {
    let sandbox = start_with(SandboxConfig { media_processing: Duration::ZERO, ..SandboxConfig::default() }).await;
    let upload = upload_png(&sandbox, 100).await;
    assert_eq!(upload.status(), 200, "processing that takes no time finishes during the upload");
    let id = json(upload).await["id"].as_str().expect("id").to_owned();
    let response = client()
        .post(format!("{}/api/v1/statuses", sandbox.url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("status=Hello+%26+bye&visibility=unlisted&media_ids[]={id}"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let status = json(response).await;
    assert_eq!(status["content"], "<p>Hello &amp; bye</p>", "text is decoded and HTML-escaped");
    assert_eq!(status["visibility"], "unlisted");
    assert_eq!(status["media_attachments"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn invalid_statuses_get_mastodons_422_messages() {
    let sandbox =
        start_with(SandboxConfig { media_processing: Duration::from_secs(60), ..SandboxConfig::default() }).await;
    let error_of = |body: serde_json::Value| {
        let sandbox = &sandbox;
        async move {
            let response = post_status(sandbox, body, None).await.expect("answered");
            assert_eq!(response.status(), 422, "validation errors are 422");
            json(response).await["error"].as_str().unwrap_or_default().to_owned()
        }
    };
    assert_eq!(
        error_of(json!({"status": "x".repeat(501)})).await,
        "Validation failed: Text character limit of 500 exceeded"
    );
    assert_eq!(error_of(json!({"status": "  "})).await, "Validation failed: Text can't be blank");
    assert_eq!(
        error_of(json!({"status": "a", "media_ids": ["1", "2", "3", "4", "5"]})).await,
        "Cannot attach more than 4 files"
    );
    assert!(
        error_of(json!({"status": "a", "media_ids": ["999"]})).await.contains("999"),
        "an unknown media id is named"
    );
    let id = json(upload_png(&sandbox, 100).await).await["id"].as_str().expect("id").to_owned();
    assert_eq!(
        error_of(json!({"status": "a", "media_ids": [id]})).await,
        "Cannot attach files that have not finished processing. Try again in a moment!"
    );
    assert!(sandbox.state().mastodon_statuses.is_empty(), "no invalid status was created");

    let long_url = format!("https://example.com/{}", "p".repeat(600));
    let text = format!("{} {long_url}", "x".repeat(476));
    let response = post_status(&sandbox, json!({"status": text}), None).await.expect("answered");
    assert_eq!(response.status(), 200, "a URL counts 23 characters, so 476+1+23 = 500 fits");
}

#[tokio::test]
async fn another_accounts_media_cannot_be_seen_or_attached() {
    let sandbox = start_with(SandboxConfig { media_processing: Duration::ZERO, ..SandboxConfig::default() }).await;
    let id = json(upload_png(&sandbox, 100).await).await["id"].as_str().expect("id").to_owned();
    let response = client()
        .get(format!("{}/api/v1/media/{id}", sandbox.url()))
        .bearer_auth("someone-else")
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 404, "media belongs to its uploader");
    assert_eq!(json(response).await["error"], "Record not found");
    let response = client()
        .post(format!("{}/api/v1/statuses", sandbox.url()))
        .bearer_auth("someone-else")
        .json(&json!({"status": "stolen", "media_ids": [id]}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 422, "another account's medium cannot be attached");
}

#[tokio::test]
async fn a_missing_or_revoked_token_answers_401() {
    let sandbox = start().await;
    let response = client()
        .post(format!("{}/api/v1/statuses", sandbox.url()))
        .json(&json!({"status": "no token"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 401, "statuses need a token");
    assert_eq!(json(response).await["error"], "The access token is invalid");

    assert_eq!(post_status(&sandbox, json!({"status": "ok"}), None).await.expect("answered").status(), 200);
    sandbox.revoke_token(TOKEN);
    let response = post_status(&sandbox, json!({"status": "after revoke"}), None).await.expect("answered");
    assert_eq!(response.status(), 401, "a revoked token stops working at once");
    assert_eq!(json(response).await["error"], "The access token is invalid");
    assert_eq!(sandbox.state().mastodon_statuses.len(), 1, "nothing was posted after the revoke");
}

#[tokio::test]
async fn statuses_can_be_read_back_singly_and_per_account_newest_first() {
    let sandbox = start().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let status =
            json(post_status(&sandbox, json!({"status": format!("post {n}")}), None).await.expect("answered")).await;
        ids.push(status["id"].as_str().expect("id").to_owned());
    }
    let account_id = sandbox.state().mastodon_statuses[0].account_id.clone();
    let one = client()
        .get(format!("{}/api/v1/statuses/{}", sandbox.url(), ids[1]))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(one.status(), 200);
    let one = json(one).await;
    assert_eq!(one["content"], "<p>post 1</p>");
    assert!(one["url"].as_str().is_some_and(|u| u.starts_with(&sandbox.url()) && u.ends_with(&ids[1])));
    let missing =
        client().get(format!("{}/api/v1/statuses/1", sandbox.url())).bearer_auth(TOKEN).send().await.expect("answered");
    assert_eq!(missing.status(), 404, "an unknown status is not found");

    let listed = json(
        client()
            .get(format!("{}/api/v1/accounts/{account_id}/statuses?limit=2", sandbox.url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    let listed: Vec<&str> = listed.as_array().expect("an array").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(listed, vec![ids[2].as_str(), ids[1].as_str()], "newest first, limited to 2");
}
