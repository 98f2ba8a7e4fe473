//! `#[observed]` on methods of an `#[async_trait]` impl, written below `#[async_trait]` so it sees
//! the `Pin<Box<dyn Future + Send>>` signature `#[async_trait]` produced: the boxed future is
//! observed (timed from its first poll), and stays `Send`.

#![deny(warnings)]

use std::time::Duration;

use async_trait::async_trait;
use obs_runtime::observed;
use obs_ui_tests::outcomes;

/// A handler's error.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejected;

/// An async trait.
#[async_trait]
pub trait Handler {
    /// Handles `request` after `delay`.
    async fn handle(&self, request: &str, delay: Duration) -> Result<usize, Rejected>;
    /// Records a request.
    async fn remember(&mut self, request: String);
}

/// A handler keeping what it saw.
#[derive(Debug, Default)]
pub struct Service {
    seen: Vec<String>,
}

#[async_trait]
impl Handler for Service {
    #[observed]
    async fn handle(&self, request: &str, delay: Duration) -> Result<usize, Rejected> {
        tokio::time::sleep(delay).await;
        if request.is_empty() {
            return Err(Rejected);
        }
        Ok(request.len() + self.seen.len())
    }

    #[observed]
    async fn remember(&mut self, request: String) {
        tokio::task::yield_now().await;
        self.seen.push(request);
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut service = Service::default();
        service.remember("first".to_owned()).await;
        assert_eq!(service.handle("abc", Duration::ZERO).await, Ok(4));
        assert_eq!(service.handle("", Duration::ZERO).await, Err(Rejected));

        // Through a trait object, on another task.
        let shared: std::sync::Arc<dyn Handler + Send + Sync> = std::sync::Arc::new(service);
        let task = tokio::spawn(async move { shared.handle("ab", Duration::from_millis(1)).await });
        assert_eq!(task.await.unwrap(), Ok(3));
    });

    assert_eq!(outcomes!("remember"), [1, 0, 0, 0]);
    assert_eq!(outcomes!("handle"), [2, 1, 0, 0]);
}
