// Options that configure the span conflict with `span = false`.
use obs_runtime::observed;

#[observed(span = false, name = "complete", record(model))]
fn complete(model: &str) -> usize {
    model.len()
}

fn main() {
    let _ = complete("m");
}
