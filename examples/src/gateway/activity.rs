//! Work not yet accounted for: a count of open requests and streams, so the demo can wait until
//! every one has been recorded (a stream whose client went away is recorded when the server
//! notices, a little after the client has left) before it reads its figures back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The count; clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Activity(Arc<AtomicUsize>);

/// One piece of open work; dropping it closes it.
#[derive(Debug)]
pub(crate) struct Open(Arc<AtomicUsize>);

impl Activity {
    /// Opens a piece of work.
    pub(crate) fn open(&self) -> Open {
        self.0.fetch_add(1, Ordering::SeqCst);
        Open(Arc::clone(&self.0))
    }

    /// Pieces open now.
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits until every one of `activities` is idle, polling every few milliseconds; `false` if
/// some still had open work after `limit`.
pub(crate) async fn settle(activities: &[&Activity], limit: Duration) -> bool {
    let started = Instant::now();
    loop {
        if activities.iter().all(|a| a.count() == 0) {
            return true;
        }
        if started.elapsed() >= limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
