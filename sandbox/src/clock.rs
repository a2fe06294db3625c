//! The sandbox's time. Every expiry, window, quota, id and timestamp the sandbox keeps is read from
//! one `SandboxClock`, never from the operating system directly, so a test moves the sandbox past a
//! token's lifetime or a 24-hour window with `Sandbox::advance` instead of sleeping. It must not
//! depend on fanout-core (core's tests depend on the sandbox): a core test that wants its worker on
//! the same time wraps this clock in core's `Clock`. Real waits the sandbox makes on purpose
//! (latency faults, giving hyper time to flush) are not time it keeps, and stay real.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the UNIX epoch, as the sandbox sees them. Clones share one time: advancing
/// one advances them all, which is how a test and a running sandbox agree on it.
#[derive(Clone, Debug)]
pub struct SandboxClock(Arc<Time>);

#[derive(Debug)]
enum Time {
    /// The operating system's clock, plus how far the sandbox was moved ahead of it.
    System { ahead_ms: AtomicU64 },
    /// A time that stands still until it is advanced.
    Manual { now_ms: AtomicU64 },
}

impl SandboxClock {
    /// The operating system's clock; `advance` puts the sandbox ahead of it. The default, so a
    /// sandbox whose test never advances it behaves exactly as before the clock existed.
    pub fn system() -> SandboxClock {
        SandboxClock(Arc::new(Time::System { ahead_ms: AtomicU64::new(0) }))
    }

    /// A clock at `start_ms` that moves only when advanced: nothing in the sandbox expires or
    /// finishes processing by itself. Names the sandbox makes of the time alone (a Telegram
    /// album's `media_group_id`, a Slack message's `ts`) repeat while it stands still.
    pub fn manual(start_ms: u64) -> SandboxClock {
        SandboxClock(Arc::new(Time::Manual { now_ms: AtomicU64::new(start_ms) }))
    }

    pub fn now_ms(&self) -> u64 {
        match &*self.0 {
            Time::System { ahead_ms } => system_ms().saturating_add(ahead_ms.load(Ordering::SeqCst)),
            Time::Manual { now_ms } => now_ms.load(Ordering::SeqCst),
        }
    }

    /// Moves the time forward by `by` for everything sharing this clock.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let (Time::System { ahead_ms: counter } | Time::Manual { now_ms: counter }) = &*self.0;
        // fetch_update rather than fetch_add: an absurd advance saturates instead of wrapping round.
        let _ = counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |at| Some(at.saturating_add(ms)));
    }
}

impl Default for SandboxClock {
    fn default() -> Self {
        SandboxClock::system()
    }
}

fn system_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = SandboxClock::manual(1_000);
        let shared = clock.clone();
        assert_eq!(clock.now_ms(), 1_000, "it starts where it was set");
        shared.advance(Duration::from_millis(250));
        assert_eq!(clock.now_ms(), 1_250, "an advance through a clone moves the original too");
        clock.advance(Duration::MAX);
        assert_eq!(clock.now_ms(), u64::MAX, "an absurd advance saturates instead of wrapping round");
    }

    #[test]
    fn the_system_clock_follows_the_os_and_an_advance_puts_it_ahead() {
        let clock = SandboxClock::system();
        let before = system_ms();
        let read = clock.now_ms();
        assert!(read >= before && read <= system_ms(), "unadvanced, it reads the OS clock");
        clock.advance(Duration::from_secs(3600));
        let ahead = clock.now_ms() - system_ms();
        assert!((3_599_000..=3_600_000).contains(&ahead), "an hour ahead of the OS clock, not {ahead} ms");
    }
}
