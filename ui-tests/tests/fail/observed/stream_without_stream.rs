// `stream` needs a function returning `impl Stream`.
use obs_runtime::observed;

#[observed(stream)]
fn numbers() -> Vec<u32> {
    vec![1, 2]
}

fn main() {
    let _ = numbers();
}
