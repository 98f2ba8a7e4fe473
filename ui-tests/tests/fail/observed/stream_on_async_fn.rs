// `stream` observes the stream a sync function returns; an `async fn` is observed as a future.
use obs_runtime::observed;

#[observed(stream)]
async fn numbers() -> Vec<u32> {
    vec![1, 2]
}

fn main() {
    let _ = numbers();
}
