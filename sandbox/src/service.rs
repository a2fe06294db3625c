//! What a platform the sandbox stands in for is made of: its routes, the route names fault plans
//! use, the paths whose errors take its shape, and its demo accounts. Each platform's module
//! declares one; `services` lists them.

use std::sync::Arc;

use axum::Router;
use axum::response::Response;

use crate::Shared;

/// One platform the sandbox stands in for (several modules may make up one, as Meta's do).
pub(crate) struct Service {
    pub(crate) routes: fn() -> Router<Arc<Shared>>,
    /// `METHOD /template` of each route, as fault plans and request records name them.
    pub(crate) templates: &'static [&'static str],
    /// The path prefixes of its requests: an error answered before a route is reached (a fault,
    /// a body over the limit, an unknown path) takes the shape of the longest prefix's service.
    pub(crate) prefixes: &'static [&'static str],
    /// Its error answer for `status` (with the fault's shape) at the sandbox's time in ms.
    pub(crate) errors: fn(u16, ErrorShape, u64) -> Response,
    /// The demo accounts it serves, for the sandbox at the given address.
    pub(crate) demo: fn(&str) -> Vec<crate::DemoAccount>,
}

impl Service {
    /// A part of a platform with no demo account of its own.
    pub(crate) const fn part(
        routes: fn() -> Router<Arc<Shared>>,
        templates: &'static [&'static str],
        prefixes: &'static [&'static str],
        errors: fn(u16, ErrorShape, u64) -> Response,
    ) -> Self {
        Self { routes, templates, prefixes, errors, demo: |_| Vec::new() }
    }
}

/// What an injected error answer carries besides its status.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ErrorShape {
    pub(crate) retry_after: Option<f64>,
    pub(crate) code: Option<i64>,
    pub(crate) subcode: Option<i64>,
}
