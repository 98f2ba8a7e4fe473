//! `#[observed(stream)]` on sync functions returning `impl Stream`: the call lasts until the
//! stream ends (ok) or is dropped before it ends (cancelled).

#![deny(warnings)]

use futures_util::{Stream, StreamExt, stream};
use obs_runtime::observed;
use obs_ui_tests::outcomes;

#[observed(stream)]
fn numbers(n: u32) -> impl Stream<Item = u32> {
    stream::iter(0..n)
}

#[observed(stream, name = "words", level = "debug")]
fn words<'a>(text: &'a str) -> impl Stream<Item = &'a str> + Send + 'a {
    stream::iter(text.split_whitespace())
}

/// A source of chunks.
#[derive(Debug)]
pub struct Source {
    chunks: Vec<String>,
}

impl Source {
    #[observed(stream)]
    fn chunks(&self) -> impl futures_util::Stream<Item = String> + '_ {
        stream::iter(self.chunks.iter().cloned()).then(|c| async move {
            tokio::task::yield_now().await;
            c
        })
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(numbers(3).collect::<Vec<_>>().await, [0, 1, 2]);
        let mut partial = Box::pin(numbers(10));
        assert_eq!(partial.next().await, Some(0));
        drop(partial);
        // Never polled: not a call.
        drop(numbers(5));

        assert_eq!(words("a b  c").collect::<Vec<_>>().await, ["a", "b", "c"]);

        let source = Source {
            chunks: vec!["x".into(), "y".into()],
        };
        assert_eq!(source.chunks().collect::<Vec<_>>().await, ["x", "y"]);
    });

    assert_eq!(outcomes!("numbers"), [1, 0, 0, 1]);
    assert_eq!(outcomes!("words"), [1, 0, 0, 0]);
    assert_eq!(outcomes!("chunks"), [1, 0, 0, 0]);
}
