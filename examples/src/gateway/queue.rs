//! A bounded queue in front of the providers: at most `slots` requests hold an upstream slot at
//! once, at most `waiting` more wait for one, and the rest are refused at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::families::GATEWAY;

/// The queue.
#[derive(Debug)]
pub(crate) struct UpstreamQueue {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// An upstream slot, held until dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// The queue was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueFull;

impl UpstreamQueue {
    /// A queue of `slots` slots and `max_waiting` places to wait.
    pub(crate) fn new(slots: usize, max_waiting: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A slot, once one is free; refused when `max_waiting` requests already wait.
    pub(crate) async fn enter(&self) -> Result<Slot, QueueFull> {
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(self.holding(permit));
        }
        let reserved = self
            .waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                (w < self.max_waiting).then_some(w + 1)
            });
        if reserved.is_err() {
            return Err(QueueFull);
        }
        GATEWAY.queue_depth.series().inc();
        // Leaves the queue on every path, a cancelled wait included.
        let _waiting = scopeguard(|| {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            GATEWAY.queue_depth.series().dec();
        });
        match Arc::clone(&self.slots).acquire_owned().await {
            Ok(permit) => Ok(self.holding(permit)),
            // The semaphore is never closed.
            Err(_) => Err(QueueFull),
        }
    }

    fn holding(&self, permit: OwnedSemaphorePermit) -> Slot {
        GATEWAY.upstream_in_flight.series().inc();
        Slot { _permit: permit }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        GATEWAY.upstream_in_flight.series().dec();
    }
}

/// Runs `f` when dropped.
fn scopeguard<F: FnOnce()>(f: F) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_then_waiting_places_then_refusal() {
        let queue = Arc::new(UpstreamQueue::new(1, 1));
        let held = queue.enter().await.unwrap();
        let waiter = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.enter().await.map(drop) }
        });
        while queue.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(queue.enter().await.unwrap_err(), QueueFull);
        drop(held);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        assert_eq!(queue.waiting.load(Ordering::SeqCst), 0);
    }
}
