//! Following the outbox's event log: what the CLI's `post --wait` prints and what the app's
//! watcher tells the window, both from this one follower. It starts at the log's end and hands
//! over each new event once, in order. A store that cannot be read for a moment (busy, locked)
//! is tried again at the next look; it never stops the follower.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::store::Store;
use crate::store::events::{self, DeliveryEvent};

pub struct Follower {
    store: Arc<Store>,
    seq: i64,
    every: Duration,
}

impl Follower {
    /// A follower of what is recorded from now on, looking every `every`.
    pub fn from_now(store: Arc<Store>, every: Duration) -> Result<Follower> {
        let seq = store.read(|tx| events::last_seq(tx))?;
        Ok(Follower { store, seq, every })
    }

    /// The events recorded since the last look, oldest first; none when the store cannot be
    /// read now (they come at the next look).
    pub fn poll(&mut self) -> Vec<DeliveryEvent> {
        match self.store.read(|tx| events::since(tx, self.seq)) {
            Ok(new) => {
                if let Some(last) = new.last() {
                    self.seq = last.seq;
                }
                new
            }
            Err(e) => {
                tracing::debug!(error = %e, "the outbox's events could not be read now; trying again");
                Vec::new()
            }
        }
    }

    /// Waits for the next events and returns them (at least one).
    pub async fn next(&mut self) -> Vec<DeliveryEvent> {
        loop {
            tokio::time::sleep(self.every).await;
            let new = self.poll();
            if !new.is_empty() {
                return new;
            }
        }
    }
}
