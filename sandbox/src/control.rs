//! The `/_sandbox/*` endpoints through which a test or the CLI in another process reads the
//! request log and the created state, swaps the fault plan and revokes tokens. They are never
//! logged and never faulted, so inspecting the sandbox cannot change what it records.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::{FaultPlan, Shared, lock};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sandbox/requests", get(list_requests).delete(clear_requests))
        .route("/_sandbox/faults", get(get_faults).put(put_faults))
        .route("/_sandbox/state", get(state))
        .route("/_sandbox/revoke", post(revoke))
        .route("/_sandbox/graph/expire", post(expire_graph_token))
        .route("/_sandbox/graph/usage", post(graph_usage))
}

async fn expire_graph_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Revoke>(&body) {
        Ok(Revoke { token }) if !token.is_empty() => {
            lock(&shared.graph).expire(&token);
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => bad_request("token must not be empty".to_owned()),
        Err(error) => bad_request(format!("expected {{\"token\": \"...\"}}: {error}")),
    }
}

#[derive(Deserialize)]
struct Usage {
    page_id: String,
    percent: u32,
    #[serde(default)]
    regain_minutes: u32,
}

async fn graph_usage(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Usage>(&body) {
        Ok(usage) => {
            lock(&shared.graph).set_usage(&usage.page_id, usage.percent, usage.regain_minutes);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => bad_request(format!("expected {{\"page_id\", \"percent\", \"regain_minutes\"}}: {error}")),
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": message }))).into_response()
}

async fn list_requests(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(lock(&shared.log).records()).into_response()
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    lock(&shared.log).clear();
    StatusCode::NO_CONTENT
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(lock(&shared.faults).plan().clone()).into_response()
}

async fn put_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match FaultPlan::from_json(&text) {
        Ok(plan) => {
            shared.set_faults(plan.clone());
            axum::Json(plan).into_response()
        }
        Err(error) => bad_request(error.to_string()),
    }
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.state()).into_response()
}

#[derive(Deserialize)]
struct Revoke {
    token: String,
}

async fn revoke(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Revoke>(&body) {
        Ok(Revoke { token }) if !token.is_empty() => {
            shared.revoke(&token);
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => bad_request("token must not be empty".to_owned()),
        Err(error) => bad_request(format!("expected {{\"token\": \"...\"}}: {error}")),
    }
}
