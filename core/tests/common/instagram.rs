//! The sandbox's Instagram account, which the container-flow tests and the bucket test link.

use fanout_sandbox::SANDBOX_INSTAGRAM;

/// (Instagram user id, its Page).
pub fn bakery() -> (&'static str, &'static str) {
    (SANDBOX_INSTAGRAM[0].0, SANDBOX_INSTAGRAM[0].2)
}
