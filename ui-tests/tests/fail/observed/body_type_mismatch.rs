// A body whose value does not match the declared return type: rustc's error points at the value
// and, through the never-taken return the expansion adds, at the return type written by the user.
use std::future::Future;

use obs_runtime::observed;

#[observed]
async fn count() -> u32 {
    "three"
}

#[observed]
fn later() -> impl Future<Output = u32> {
    async { "four" }
}

fn main() {}
