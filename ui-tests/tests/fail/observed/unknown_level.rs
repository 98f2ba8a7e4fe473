// The level must be a `tracing` level.
use obs_runtime::observed;

#[observed(level = "verbose")]
fn complete(model: &str) -> usize {
    model.len()
}

fn main() {
    let _ = complete("m");
}
