// With neither a span nor metrics, the attribute does nothing.
use obs_runtime::observed;

#[observed(span = false, metrics = false)]
fn complete(model: &str) -> usize {
    model.len()
}

fn main() {
    let _ = complete("m");
}
