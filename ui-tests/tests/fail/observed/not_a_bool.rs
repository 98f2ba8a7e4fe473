// `span = ...` and `metrics = ...` take `true` or `false`.
use obs_runtime::observed;

#[observed(span = "off")]
fn count(items: &[u8]) -> usize {
    items.len()
}

fn main() {
    let _ = count(&[]);
}
