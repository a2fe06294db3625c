//! The two Graph paths that several Meta products answer, dispatched by the node they name.
//! `GET /graph/{version}/{id}` reads an Instagram user, container or media; else a WhatsApp
//! number, business account or `debug_token`; else a Facebook user, Page or object.
//! `POST /graph/{version}/{id}/media` uploads WhatsApp media when `{id}` is the sandbox's phone
//! number, and makes an Instagram container otherwise. Only the crate root imports this module,
//! so no product module has to import another to forward a request. It holds no product's
//! behaviour: every answer comes from the product's own module.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::meta::{Params, SANDBOX_WHATSAPP, with_usage};
use crate::service::Service;
use crate::{Shared, graph, instagram, whatsapp};

pub(crate) const ROUTES: &[&str] = &["GET /graph/{version}/{id}", "POST /graph/{version}/{id}/media"];

pub(crate) const SERVICE: Service =
    Service::part(routes, ROUTES, &[], |status, shape, _| crate::meta::error_for_status(status, shape));

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/graph/{version}/{id}", get(read_node))
        .route("/graph/{version}/{id}/media", post(upload_media))
}

async fn read_node(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match Params::read(query.as_deref(), &headers, &Bytes::new()) {
        Ok(p) => p,
        Err(fail) => return fail.into_response(),
    };
    let token = params.token(&headers);
    let who = match graph::principal(&shared, token.clone()) {
        Ok(who) => who,
        Err(fail) => return with_usage(fail.into_response(), None, (0, 0)),
    };
    let node = who.node(&id);
    if let Some(answer) = instagram::read_node(&shared, &node, &who) {
        return answer;
    }
    if let Some(answer) = whatsapp::read_node(&shared, &node, &who, &params) {
        return answer;
    }
    graph::read_node(&shared, &node, &who, token)
}

async fn upload_media(
    State(shared): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if id == SANDBOX_WHATSAPP.1 {
        whatsapp::upload_media(State(shared), Path((version, id)), RawQuery(query), headers, body).await
    } else {
        instagram::create_container(State(shared), Path((version, id)), RawQuery(query), headers, body).await
    }
}
