// `err` records the error of a `Result`; this function does not return one.
use obs_runtime::observed;

#[observed(err)]
fn count(items: &[u8]) -> usize {
    items.len()
}

fn main() {
    let _ = count(&[]);
}
