// A parameter named `error` would collide with the span field an `Err` is recorded in.
use obs_runtime::observed;

#[observed(record(attempt, error))]
fn retry(attempt: u32, error: &str) -> usize {
    attempt as usize + error.len()
}

fn main() {}
