//! The queue between callers and the writer thread.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::completion::Completion;
use super::config::WhenFull;
use super::error::AuditError;
use super::event::AuditEvent;
use super::stats::{self, Count};

/// What callers hand to the writer.
// Events are nearly all of what is queued: boxing them would add an allocation per event.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Pending {
    /// An event with its id; `done` is set for a durable call, which waits on it.
    Event {
        event: AuditEvent,
        id: [u8; 16],
        done: Option<Arc<Completion>>,
    },
    /// Completed once everything queued before it is written and synced.
    Flush(Arc<Completion>),
}

impl Pending {
    /// Whether this is a buffered event (counted against the queue's capacity until written).
    pub(crate) fn is_buffered(&self) -> bool {
        matches!(self, Self::Event { done: None, .. })
    }
}

/// The queue's state, under its mutex.
pub(crate) struct State {
    /// Submitted, not yet taken by the writer.
    pub items: Vec<Pending>,
    /// Buffered events queued or held by the writer for another try, not yet written.
    pub buffered: usize,
    /// No more submissions (shutdown).
    pub closed: bool,
    /// The writer stopped for good, and why.
    pub stopped: Option<String>,
}

/// The queue, shared by the log's handles and its writer thread.
pub(crate) struct Queue {
    state: Mutex<State>,
    /// Wakes the writer when something is submitted.
    pub work: Condvar,
    /// Wakes appenders waiting for room.
    pub room: Condvar,
    capacity: usize,
    when_full: WhenFull,
}

impl Queue {
    pub(crate) fn new(capacity: usize, when_full: WhenFull) -> Self {
        Self {
            state: Mutex::new(State {
                items: Vec::new(),
                buffered: 0,
                closed: false,
                stopped: None,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            capacity,
            when_full,
        }
    }

    /// The state, locked (a panic elsewhere while holding it leaves plain data behind).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Submits `p`; a buffered event waits for room or is dropped per the full policy.
    pub(crate) fn submit(&self, p: Pending) -> Result<(), AuditError> {
        let buffered = p.is_buffered();
        let mut state = self.lock();
        loop {
            if let Some(why) = &state.stopped {
                return Err(AuditError::Stopped(why.clone()));
            }
            if state.closed {
                return Err(AuditError::Closed);
            }
            if !buffered || state.buffered < self.capacity {
                break;
            }
            match self.when_full {
                WhenFull::Block => {
                    state = self
                        .room
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                WhenFull::DropAndCount => {
                    stats::add(Count::Dropped, 1);
                    return Err(AuditError::QueueFull);
                }
            }
        }
        if buffered {
            state.buffered += 1;
        }
        if matches!(p, Pending::Event { .. }) {
            stats::queue_depth_add(1);
        }
        state.items.push(p);
        drop(state);
        self.work.notify_one();
        Ok(())
    }

    /// Takes everything submitted, waiting until something is or `deadline` passes (`None`: no
    /// deadline). Also says whether the queue is closed (nothing more will come).
    pub(crate) fn take(&self, deadline: Option<Instant>, into: &mut Vec<Pending>) -> bool {
        let mut state = self.lock();
        loop {
            if !state.items.is_empty() {
                std::mem::swap(&mut state.items, into);
                return state.closed;
            }
            if state.closed {
                return true;
            }
            match deadline {
                None => {
                    state = self
                        .work
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner)
                }
                Some(d) => {
                    let now = Instant::now();
                    if d <= now {
                        return false;
                    }
                    state = self
                        .work
                        .wait_timeout(state, d - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }

    /// `n` buffered events left the queue (written, or dropped at the end): room for others.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.lock();
        state.buffered = state.buffered.saturating_sub(n);
        drop(state);
        self.room.notify_all();
    }

    /// Refuses all further submissions.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.work.notify_one();
        self.room.notify_all();
    }

    /// The writer stopped for `why`: refuses all further submissions with that reason.
    pub(crate) fn stop(&self, why: String) {
        let mut state = self.lock();
        state.stopped = Some(why);
        state.closed = true;
        drop(state);
        self.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn buffered() -> Pending {
        Pending::Event {
            event: AuditEvent::new("a.b"),
            id: [0; 16],
            done: None,
        }
    }

    fn durable() -> Pending {
        Pending::Event {
            event: AuditEvent::new("a.b"),
            id: [0; 16],
            done: Some(Completion::new()),
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_under_fail_open_but_never_a_durable_event() {
        let q = Queue::new(2, WhenFull::DropAndCount);
        q.submit(buffered()).unwrap();
        q.submit(buffered()).unwrap();
        let before = stats::get(Count::Dropped);
        assert!(matches!(q.submit(buffered()), Err(AuditError::QueueFull)));
        assert!(stats::get(Count::Dropped) > before);
        q.submit(durable()).unwrap();
        assert_eq!(q.lock().items.len(), 3);
        q.release(1);
        q.submit(buffered()).unwrap();
    }

    #[test]
    fn a_full_queue_blocks_until_room_under_back_pressure() {
        let q = Arc::new(Queue::new(1, WhenFull::Block));
        q.submit(buffered()).unwrap();
        let q2 = Arc::clone(&q);
        let blocked = std::thread::spawn(move || q2.submit(buffered()));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!blocked.is_finished());
        assert_eq!(q.lock().items.len(), 1);
        q.release(1);
        blocked.join().unwrap().unwrap();
        assert_eq!(q.lock().items.len(), 2);
    }

    #[test]
    fn closing_wakes_a_blocked_appender_with_an_error_and_refuses_more() {
        let q = Arc::new(Queue::new(1, WhenFull::Block));
        q.submit(buffered()).unwrap();
        let q2 = Arc::clone(&q);
        let blocked = std::thread::spawn(move || q2.submit(buffered()));
        std::thread::sleep(Duration::from_millis(20));
        q.close();
        assert!(matches!(blocked.join().unwrap(), Err(AuditError::Closed)));
        assert!(matches!(q.submit(durable()), Err(AuditError::Closed)));
        q.stop("disk gone".into());
        assert!(matches!(q.submit(durable()), Err(AuditError::Stopped(w)) if w == "disk gone"));
    }

    #[test]
    fn take_returns_everything_in_order_or_times_out() {
        let q = Queue::new(8, WhenFull::Block);
        let mut got = Vec::new();
        let closed = q.take(Some(Instant::now() + Duration::from_millis(5)), &mut got);
        assert!(!closed && got.is_empty());
        q.submit(buffered()).unwrap();
        q.submit(Pending::Flush(Completion::new())).unwrap();
        assert!(!q.take(None, &mut got));
        assert!(got[0].is_buffered() && matches!(got[1], Pending::Flush(_)));
        q.close();
        got.clear();
        assert!(q.take(None, &mut got));
    }
}
