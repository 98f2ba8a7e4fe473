//! `#[observed]` on an `async fn` whose future is not `Send` (it holds an `Rc` across an
//! `.await`): the observed future is not `Send` either, and runs where such futures run — on a
//! `LocalSet`, or polled in place.

#![deny(warnings)]

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::FutureExt;
use obs_runtime::observed;
use obs_ui_tests::outcomes;

/// Whether a value is `Send`, decided where its type is known (autoref specialization).
struct SendProbe<'a, T>(&'a T);

trait IsSend {
    fn is_send(&self) -> bool {
        true
    }
}
impl<T: Send> IsSend for SendProbe<'_, T> {}

trait NotSend {
    fn is_send(&self) -> bool {
        false
    }
}
impl<T> NotSend for &SendProbe<'_, T> {}

#[observed]
async fn not_send(n: u32) -> u32 {
    let local = Rc::new(n);
    tokio::task::yield_now().await;
    *local + 1
}

#[observed]
async fn push_local(log: Rc<RefCell<Vec<u32>>>, value: u32) -> Result<usize, String> {
    tokio::task::yield_now().await;
    if value == 0 {
        return Err("zero".to_owned());
    }
    log.borrow_mut().push(value);
    Ok(log.borrow().len())
}

#[observed]
async fn ready_not_send() -> usize {
    let local = Rc::new([1, 2, 3]);
    std::future::ready(()).await;
    local.len()
}

#[observed]
async fn send(n: u32) -> u32 {
    n
}

fn main() {
    let future = not_send(1);
    assert!(!(&SendProbe(&future)).is_send());
    assert!((&SendProbe(&send(1))).is_send());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    local.block_on(&runtime, async {
        assert_eq!(tokio::task::spawn_local(future).await.unwrap(), 2);
        assert_eq!(push_local(log.clone(), 5).await, Ok(1));
        assert_eq!(push_local(log.clone(), 0).await, Err("zero".to_owned()));
        assert_eq!(send(3).await, 3);
    });
    assert_eq!(*log.borrow(), [5]);

    // Completes on its first poll.
    assert_eq!(ready_not_send().now_or_never(), Some(3));

    assert_eq!(outcomes!("not_send"), [1, 0, 0, 0]);
    assert_eq!(outcomes!("push_local"), [1, 1, 0, 0]);
    assert_eq!(outcomes!("ready_not_send"), [1, 0, 0, 0]);
    assert_eq!(outcomes!("send"), [1, 0, 0, 0]);
}
