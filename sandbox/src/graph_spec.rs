//! The Graph API's node types as Meta's own description gives them (`specs/graph.json`, from
//! Meta's business SDK codegen specs): each type's fields and what each of its edges returns.
//! Every GET to a Graph node or edge the sandbox serves has its `fields` checked here first, and
//! a field the node type does not have is answered as Graph answers it — error #100, "Tried
//! accessing nonexisting field (x) on node type (T)" — so a client asking for one fails against
//! the sandbox as it would against Meta. It must never accept a field the description lacks.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::graph::{Principal, principal};
use crate::meta::{Params, SANDBOX_INSTAGRAM, SANDBOX_PAGES, SANDBOX_WHATSAPP, USER_ID, graph_error};
use crate::{Shared, lock};

#[derive(Deserialize)]
struct Description {
    nodes: HashMap<String, NodeDescription>,
}

#[derive(Deserialize)]
struct NodeDescription {
    #[serde(default)]
    apis: Vec<Api>,
    /// field → its type (`string`, another node type, `list<…>`).
    #[serde(default)]
    fields: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Api {
    edge: String,
    method: String,
    #[serde(rename = "return")]
    returns: Option<String>,
}

static DESCRIPTION: LazyLock<Result<Description, String>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../specs/graph.json")).map_err(|e| format!("specs/graph.json: {e}"))
});

fn node(name: &str) -> Option<&'static NodeDescription> {
    DESCRIPTION.as_ref().ok()?.nodes.get(name)
}

/// The node type a GET of `edge` on a `node` returns, as the description says.
pub(crate) fn edge_type(node_type: &str, edge: &str) -> Option<&'static str> {
    node(node_type)?
        .apis
        .iter()
        .find(|api| api.method == "GET" && api.edge == edge)
        .and_then(|api| api.returns.as_deref())
}

/// Checks a `fields` parameter (`a,b{c,d},e.limit(5)`) against `node_type`'s fields, nested
/// selections against the field's own node type where the description has it. The error is
/// Graph's own message.
pub(crate) fn check_fields(node_type: &str, fields: &str) -> Result<(), String> {
    let Some(described) = node(node_type) else { return Ok(()) };
    for item in split_top_level(fields) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let name_end = item.find(['.', '{', '(']).unwrap_or(item.len());
        let name = &item[..name_end];
        let Some(field_type) = described.fields.get(name) else {
            return Err(format!("(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"));
        };
        if let (Some(open), Some(close)) = (item.find('{'), item.rfind('}'))
            && open < close
        {
            let inner_type = field_type.strip_prefix("list<").and_then(|t| t.strip_suffix('>')).unwrap_or(field_type);
            check_fields(inner_type, &item[open + 1..close])?;
        }
    }
    Ok(())
}

/// Splits on the commas outside braces and parentheses.
fn split_top_level(fields: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in fields.char_indices() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&fields[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&fields[start..]);
    items
}

/// The node type of a Graph id the sandbox knows, for the token that asks.
fn type_of(shared: &Shared, id: &str, who: &Principal) -> Option<&'static str> {
    if id == "me" {
        return Some(match who {
            Principal::Page(_) => "Page",
            Principal::User | Principal::SystemUser => "User",
        });
    }
    if id == USER_ID {
        return Some("User");
    }
    if SANDBOX_PAGES.iter().any(|(page, _)| *page == id) {
        return Some("Page");
    }
    if SANDBOX_INSTAGRAM.iter().any(|ig| ig.0 == id) {
        return Some("IGUser");
    }
    if id == SANDBOX_WHATSAPP.0 {
        return Some("WhatsAppBusinessAccount");
    }
    {
        let instagram = lock(&shared.instagram);
        if instagram.containers.iter().any(|c| c.id == id) {
            return Some("ShadowIGMediaBuilder");
        }
        if instagram.media.iter().any(|m| m.id == id) {
            return Some("IGMedia");
        }
    }
    let kind = lock(&shared.graph).find(id).map(|o| o.kind.clone())?;
    match kind.as_str() {
        "post" => Some("PagePost"),
        "photo" => Some("Photo"),
        "video" => Some("AdVideo"),
        "story" => Some("Stories"),
        _ => None,
    }
}

/// The middleware: a GET of `/graph/{version}/{id}` or `/graph/{version}/{id}/{edge}` whose
/// `fields` name something the node type lacks is answered with Graph's error #100.
pub(crate) async fn check_request(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix("/graph/") else { return next.run(request).await };
    let segments: Vec<&str> = rest.split('/').collect();
    let (id, edge) = match segments.as_slice() {
        [_version, id] => (*id, None),
        [_version, id, edge] => (*id, Some(*edge)),
        _ => return next.run(request).await,
    };
    let Ok(params) = Params::read(request.uri().query(), request.headers(), &Bytes::new()) else {
        return next.run(request).await;
    };
    let Some(fields) = params.get("fields").map(str::to_owned) else { return next.run(request).await };
    let Ok(who) = principal(&shared, params.token(request.headers())) else { return next.run(request).await };
    let node_type = type_of(&shared, id, &who);
    let asked = match (node_type, edge) {
        (Some(t), None) => Some(t),
        (Some(t), Some(edge)) => edge_type(t, edge),
        (None, _) => None,
    };
    if let Some(asked) = asked
        && let Err(message) = check_fields(asked, &fields)
    {
        return graph_error(StatusCode::BAD_REQUEST, 100, None, "OAuthException", &message).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_is_read() {
        assert!(DESCRIPTION.is_ok(), "{:?}", DESCRIPTION.as_ref().err());
        assert!(node("ShadowIGMediaBuilder").is_some(), "the Instagram container type is described");
    }

    #[track_caller]
    fn check(node_type: &str, fields: &str, expect: Result<(), &str>) {
        let got = check_fields(node_type, fields);
        assert_eq!(got.as_ref().map(|_| ()).map_err(String::as_str), expect, "{node_type}?fields={fields}");
    }

    #[test]
    fn fields_a_node_type_lacks_are_refused_as_graph_refuses_them() {
        check("ShadowIGMediaBuilder", "status_code,status", Ok(()));
        check(
            "ShadowIGMediaBuilder",
            "status_code,status,error_message",
            Err("(#100) Tried accessing nonexisting field (error_message) on node type (ShadowIGMediaBuilder)"),
        );
        check("Page", "id,name,access_token,instagram_business_account{id,username}", Ok(()));
        check(
            "Page",
            "id,instagram_business_account{id,handle}",
            Err("(#100) Tried accessing nonexisting field (handle) on node type (IGUser)"),
        );
        check("IGMedia", "id,caption,timestamp,permalink", Ok(()));
        check("PagePost", "id,message.limit(1),created_time", Ok(()));
        check("Photo", "images", Ok(()));
        check(
            "Photo",
            "permalink_url",
            Err("(#100) Tried accessing nonexisting field (permalink_url) on node type (Photo)"),
        );
        check("NotDescribed", "anything", Ok(()));
    }

    #[test]
    fn edges_return_their_described_types() {
        assert_eq!(edge_type("IGUser", "media"), Some("IGMedia"));
        assert_eq!(edge_type("Page", "published_posts"), Some("PagePost"));
        assert_eq!(edge_type("IGUser", "content_publishing_limit"), Some("ContentPublishingLimitResponse"));
        assert_eq!(edge_type("IGMedia", "comments"), Some("IGComment"));
        assert_eq!(edge_type("User", "accounts"), Some("Page"));
        assert_eq!(edge_type("Page", "no_such_edge"), None);
    }
}
