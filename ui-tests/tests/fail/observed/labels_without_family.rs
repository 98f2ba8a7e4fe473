// `labels(...)` gives label values for `duration = ...` / `calls = ...`; alone it labels nothing.
use obs_runtime::observed;

#[observed(labels(model))]
fn complete(model: &str) -> usize {
    model.len()
}

fn main() {
    let _ = complete("m");
}
