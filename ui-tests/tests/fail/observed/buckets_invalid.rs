// `buckets(...)` bounds are latencies in seconds: positive, finite and strictly increasing.
use obs_runtime::observed;

#[observed(buckets(1, 0.5, 120))]
fn unordered() {}

#[observed(buckets(-1, 10))]
fn negative() {}

#[observed(buckets())]
fn empty() {}

#[observed(metrics = false, buckets(1, 10))]
fn without_metrics() {}

fn main() {}
