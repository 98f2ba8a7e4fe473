//! `#[observed]` on `async fn` (free, method, `self: Arc<Self>`, generic, recursive, with `?` and
//! early `return`) and on sync functions returning `impl Future`; the observed futures stay `Send`
//! when the body's is, so they can be spawned on a multi-threaded runtime.

#![deny(warnings)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use obs_runtime::observed;
use obs_ui_tests::{outcomes, assert_send};

#[observed]
async fn double(x: u32) -> u32 {
    tokio::task::yield_now().await;
    x * 2
}

#[observed]
async fn parse_positive(text: &str) -> Result<u32, String> {
    let n: u32 = text.parse().map_err(|_| format!("not a number: {text}"))?;
    if n == 0 {
        return Err("zero".to_owned());
    }
    Ok(double(n).await)
}

#[observed]
async fn nothing() {}

#[observed]
async fn generic_len<T>(items: Vec<T>) -> usize
where
    T: Send + 'static,
{
    tokio::time::sleep(Duration::from_millis(1)).await;
    items.len()
}

#[observed]
async fn countdown(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    // Async recursion goes through a box, as without the attribute.
    Box::pin(countdown(n - 1)).await + 1
}

#[observed]
fn later(x: u32) -> impl Future<Output = u32> {
    async move { x + 1 }
}

#[observed]
fn later_borrowed<'a>(text: &'a str) -> impl Future<Output = usize> + Send + 'a {
    async move {
        tokio::task::yield_now().await;
        text.len()
    }
}

#[observed]
fn later_result(fail: bool) -> impl Future<Output = Result<u8, std::io::Error>> {
    async move {
        if fail {
            return Err(std::io::Error::other("failed"));
        }
        Ok(1)
    }
}

/// A client with async methods.
#[derive(Debug, Default)]
pub struct Client {
    sent: Vec<String>,
}

impl Client {
    #[observed]
    async fn send(&mut self, message: &str) -> usize {
        tokio::task::yield_now().await;
        self.sent.push(message.to_owned());
        self.sent.len()
    }

    #[observed]
    async fn count(&self) -> usize {
        self.sent.len()
    }

    #[observed]
    async fn shared(self: Arc<Self>) -> usize {
        tokio::task::yield_now().await;
        self.sent.len()
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(tokio::spawn(assert_send(double(4))).await.unwrap(), 8);
        assert_eq!(parse_positive("3").await, Ok(6));
        assert_eq!(parse_positive("0").await, Err("zero".to_owned()));
        assert_eq!(parse_positive("x").await, Err("not a number: x".to_owned()));
        nothing().await;
        let spawned = tokio::spawn(assert_send(generic_len(vec!["a", "b"])));
        assert_eq!(spawned.await.unwrap(), 2);
        assert_eq!(later(1).await, 2);
        assert_eq!(assert_send(later_borrowed("abc")).await, 3);
        assert!(later_result(true).await.is_err());
        assert_eq!(later_result(false).await.unwrap(), 1);

        let mut client = Client::default();
        assert_eq!(client.send("a").await, 1);
        assert_eq!(assert_send(client.send("b")).await, 2);
        assert_eq!(client.count().await, 2);
        let client = Arc::new(client);
        let task = tokio::spawn(assert_send(Arc::clone(&client).shared()));
        assert_eq!(task.await.unwrap(), 2);
        assert_eq!(countdown(3).await, 3);

        // A future created and dropped without being polled is not a call; one dropped while
        // pending is a cancelled call.
        drop(double(1));
        // Polled once (its 1 ms sleep cannot be over yet) and dropped: deterministic, unlike a
        // zero timeout racing the timer.
        let polled_once = futures_util::FutureExt::now_or_never(generic_len(vec![1]));
        assert!(polled_once.is_none());
    });

    for (function, expected) in [
        ("double", [2, 0, 0, 0]),
        ("parse_positive", [1, 2, 0, 0]),
        ("nothing", [1, 0, 0, 0]),
        ("generic_len", [1, 0, 0, 1]),
        ("later", [1, 0, 0, 0]),
        ("later_borrowed", [1, 0, 0, 0]),
        ("later_result", [1, 1, 0, 0]),
        ("send", [2, 0, 0, 0]),
        ("count", [1, 0, 0, 0]),
        ("shared", [1, 0, 0, 0]),
        ("countdown", [4, 0, 0, 0]),
    ] {
        assert_eq!(outcomes!(function), expected, "{function}");
    }
}
