//! The one registration on the sandbox's side: every platform it stands in for is a [`Service`]
//! in [`SERVICES`] — its routes, the route names fault plans use, the paths whose errors take its
//! shape, and the demo accounts it serves. The router, the fault layer and the demo all read this
//! list; adding a platform is its module and one line here.

use std::sync::Arc;

use axum::Router;

use crate::Shared;
use crate::service::Service;

pub(crate) static SERVICES: &[&Service] = &[
    &crate::mastodon::SERVICE,
    &crate::mastodon::oauth::SERVICE,
    &crate::discord::SERVICE,
    &crate::graph::SERVICE,
    &crate::meta_routes::SERVICE,
    &crate::instagram::SERVICE,
    &crate::login::SERVICE,
    &crate::threads::SERVICE,
    &crate::whatsapp::SERVICE,
    &crate::telegram::SERVICE,
    &crate::chats::SERVICE,
    &crate::bluesky::SERVICE,
    &crate::matrix::SERVICE,
    &crate::nostr::SERVICE,
];

/// The service a path belongs to, by its longest matching prefix; Mastodon's when none matches
/// (the sandbox was first a Mastodon server, and its root answers like one).
pub(crate) fn of_path(path: &str) -> &'static Service {
    SERVICES
        .iter()
        .flat_map(|s| s.prefixes.iter().map(move |p| (*p, *s)))
        .filter(|(prefix, _)| path.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(&crate::mastodon::SERVICE, |(_, s)| s)
}

/// Every route template the sandbox serves, as fault plans and request records name them.
pub(crate) fn known_routes() -> impl Iterator<Item = &'static str> {
    SERVICES.iter().flat_map(|s| s.templates.iter().copied())
}

/// Every service's routes together.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    SERVICES.iter().fold(Router::new(), |router, s| router.merge((s.routes)()))
}

/// The demo accounts the sandbox at `url` serves, in the services' order.
pub(crate) fn demo_accounts(url: &str) -> Vec<crate::DemoAccount> {
    SERVICES.iter().flat_map(|s| (s.demo)(url)).collect()
}
