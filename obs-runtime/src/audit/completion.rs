//! A one-shot result the writer thread hands to a waiting caller: a blocked thread (unparked)
//! or a task (woken). No async runtime needed.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};

use super::error::AuditError;

/// Where the result goes once it is set.
pub(crate) struct Completion {
    state: Mutex<State>,
}

struct State {
    result: Option<Result<(), AuditError>>,
    waiter: Waiter,
}

enum Waiter {
    None,
    Thread(Thread),
    Task(Waker),
}

impl Completion {
    /// An empty completion.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                result: None,
                waiter: Waiter::None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a plain value: usable whatever a panicking holder left.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the result (the first one wins) and wakes the waiter.
    pub(crate) fn complete(&self, result: Result<(), AuditError>) {
        let waiter = {
            let mut state = self.lock();
            if state.result.is_some() {
                return;
            }
            state.result = Some(result);
            std::mem::replace(&mut state.waiter, Waiter::None)
        };
        match waiter {
            Waiter::None => {}
            Waiter::Thread(t) => t.unpark(),
            Waiter::Task(w) => w.wake(),
        }
    }

    /// Blocks the calling thread until the result is set.
    pub(crate) fn wait(&self) -> Result<(), AuditError> {
        loop {
            {
                let mut state = self.lock();
                if let Some(result) = state.result.take() {
                    return result;
                }
                state.waiter = Waiter::Thread(thread::current());
            }
            thread::park();
        }
    }

    /// Waits for the result without blocking a thread.
    pub(crate) fn wait_async(self: Arc<Self>) -> CompletionFuture {
        CompletionFuture(self)
    }
}

/// The future of [`Completion::wait_async`].
pub(crate) struct CompletionFuture(Arc<Completion>);

impl Future for CompletionFuture {
    type Output = Result<(), AuditError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.0.lock();
        if let Some(result) = state.result.take() {
            return Poll::Ready(result);
        }
        match &state.waiter {
            Waiter::Task(w) if w.will_wake(cx.waker()) => {}
            _ => state.waiter = Waiter::Task(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    #[test]
    fn a_blocked_thread_gets_the_result() {
        let c = Completion::new();
        let c2 = Arc::clone(&c);
        let t = thread::spawn(move || c2.wait());
        thread::sleep(std::time::Duration::from_millis(10));
        c.complete(Err(AuditError::Closed));
        assert!(matches!(t.join().unwrap(), Err(AuditError::Closed)));
    }

    #[test]
    fn a_result_set_first_is_returned_at_once_and_only_the_first_counts() {
        let c = Completion::new();
        c.complete(Ok(()));
        c.complete(Err(AuditError::Closed));
        assert!(c.wait().is_ok());
    }

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_task_is_woken_once_with_the_result() {
        let c = Completion::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(Arc::clone(&c).wait_async());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        c.complete(Ok(()));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(matches!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    }
}
