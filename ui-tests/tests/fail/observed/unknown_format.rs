// `ret(...)` and `err(...)` take `Display` or `Debug`.
use obs_runtime::observed;

#[observed(ret(Json))]
fn count(items: &[u8]) -> usize {
    items.len()
}

fn main() {
    let _ = count(&[]);
}
