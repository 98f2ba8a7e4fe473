use obs_runtime::audited;

// Durable is the default mode: nothing to carry an audit failure.
#[audited(action = "cache.flush")]
fn flush() {}

// A value that is not a `Result`.
#[audited(action = "cache.count")]
async fn count() -> u32 {
    0
}

fn main() {}
