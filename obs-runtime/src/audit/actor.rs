//! Who acts: [`Actor`], and the actor of the current task or scope, set once per request by the
//! application and read by every event built meanwhile ([`AuditEvent::new`](super::AuditEvent::new)
//! and `#[audited]` without `actor`).
//!
//! No async runtime is assumed: [`with_actor`] wraps a future and makes its actor current on the
//! polling thread for the length of each `poll` (so it follows the task across threads), and
//! [`scope_actor`] does the same around a closure.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Who performed an action: an id and a type (`user`, `service`, `api_key`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    id: String,
    kind: String,
}

impl Actor {
    /// The actor `id` of type `kind`.
    pub fn new(id: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: kind.into(),
        }
    }

    /// The actor's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The actor's type.
    pub fn kind(&self) -> &str {
        &self.kind
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Actor>>> = const { RefCell::new(None) };
}

/// The actor of the current task or scope, if one is set.
pub fn current_actor() -> Option<Actor> {
    CURRENT.with(|c| c.borrow().as_deref().cloned())
}

/// Puts `actor` in place as the current actor until dropped, then restores the previous one
/// (also when the scope unwinds).
struct Installed {
    previous: Option<Arc<Actor>>,
}

impl Installed {
    fn new(actor: Option<Arc<Actor>>) -> Self {
        Self {
            previous: CURRENT.with(|c| c.replace(actor)),
        }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with `actor` as the current actor.
pub fn scope_actor<R>(actor: Actor, f: impl FnOnce() -> R) -> R {
    let _installed = Installed::new(Some(Arc::new(actor)));
    f()
}

/// `f` with `actor` as the current actor whenever it is polled.
pub fn with_actor<F: Future>(actor: Actor, f: F) -> WithActor<F> {
    WithActor {
        actor: Arc::new(actor),
        inner: f,
    }
}

pin_project_lite::pin_project! {
    /// A future with its own current actor: see [`with_actor`].
    #[must_use = "futures do nothing unless polled"]
    pub struct WithActor<F> {
        actor: Arc<Actor>,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for WithActor<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _installed = Installed::new(Some(Arc::clone(this.actor)));
        this.inner.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn alice() -> Actor {
        Actor::new("alice", "user")
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert_eq!(current_actor(), None);
        scope_actor(alice(), || {
            assert_eq!(current_actor(), Some(alice()));
            scope_actor(Actor::new("cron", "service"), || {
                assert_eq!(current_actor().unwrap().id(), "cron");
            });
            assert_eq!(current_actor(), Some(alice()));
        });
        assert_eq!(current_actor(), None);
    }

    #[test]
    fn restored_when_the_scope_panics() {
        let r = std::panic::catch_unwind(|| scope_actor(alice(), || panic!("boom")));
        assert!(r.is_err());
        assert_eq!(current_actor(), None);
    }

    #[test]
    fn a_wrapped_future_sees_its_actor_only_while_polled() {
        let mut polls = 0;
        let fut = std::future::poll_fn(|cx| {
            polls += 1;
            assert_eq!(current_actor(), Some(alice()));
            if polls < 2 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(current_actor())
            }
        });
        let mut fut = std::pin::pin!(with_actor(alice(), fut));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(current_actor(), None);
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Some(alice())));
        assert_eq!(current_actor(), None);
    }
}
