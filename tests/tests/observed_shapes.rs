//! What `#[observed]` generates through the shared seam for the shapes beyond plain functions:
//! streams of `Result` items (an `Err` item ends the call as `error`) and a function's own latency
//! bucket layout (`buckets(...)`), read back through the real OpenMetrics parser.

use futures_util::StreamExt;
use obs_runtime::observed::CallSite;
use obs_runtime::{Format, Registry, observed};
use obs_tests::{family, openmetrics_parse, promtool_check};

/// `[ok, error, panic, cancelled]` of `function` in this test binary.
fn outcomes(function: &str) -> [u64; 4] {
    CallSite::find(module_path!(), function)
        .unwrap_or_else(|| panic!("`{function}` was not called"))
        .snapshot()
        .outcomes
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
}

/// Yields `Ok(0..fail_at)`, then `Err` at `fail_at` (if below `n`), then more `Ok`s.
#[observed(stream)]
fn chunks(n: u32, fail_at: u32) -> impl futures_util::Stream<Item = Result<u32, String>> {
    futures_util::stream::iter(0..n).map(move |i| {
        if i == fail_at {
            Err(format!("chunk {i} failed"))
        } else {
            Ok(i)
        }
    })
}

#[test]
fn a_stream_that_yields_an_err_item_is_counted_error() {
    current_thread().block_on(async {
        // All `Ok`: ok.
        let all: Vec<_> = chunks(3, 99).collect().await;
        assert_eq!(all, vec![Ok(0), Ok(1), Ok(2)]);
        // Read past the error to the end: still error, and every item reaches the consumer.
        let all: Vec<_> = chunks(4, 1).collect().await;
        assert_eq!(all.len(), 4);
        assert!(all[1].is_err());
        // Stopped at the error, as `?` would: error.
        let mut stream = Box::pin(chunks(4, 0));
        assert!(stream.next().await.unwrap().is_err());
        drop(stream);
        // Dropped before the end with only `Ok` items: cancelled.
        let mut stream = Box::pin(chunks(4, 99));
        assert_eq!(stream.next().await, Some(Ok(0)));
        drop(stream);
    });
    assert_eq!(outcomes("chunks"), [1, 2, 0, 1]);
}

#[observed(buckets(0.25, 1, 30, 600))]
fn custom_layout() {}

#[test]
fn buckets_gives_a_function_its_own_latency_layout() {
    custom_layout();
    let text = Registry::global().encode(Format::OpenMetrics);
    promtool_check(&Registry::global().encode(Format::Text)).expect("promtool accepts the text");
    let families = openmetrics_parse(&text).expect("the OpenMetrics parser accepts it");
    let duration = family(&families, "obs_function_duration_seconds");
    let bounds: Vec<&str> = duration
        .samples
        .iter()
        .filter(|s| {
            s.name == "obs_function_duration_seconds_bucket"
                && s.labels.get("function").map(String::as_str) == Some("custom_layout")
        })
        .map(|s| s.labels["le"].as_str())
        .collect();
    assert_eq!(bounds, ["0.25", "1.0", "30.0", "600.0", "+Inf"]);
    let count = duration.value(
        "obs_function_duration_seconds_count",
        &[("function", "custom_layout")],
    );
    assert_eq!(count, Some(1.0));
}
