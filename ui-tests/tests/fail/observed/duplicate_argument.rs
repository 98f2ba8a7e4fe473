// An argument given twice.
use obs_runtime::observed;

#[observed(level = "debug", name = "complete", level = "info")]
fn complete(model: &str) -> usize {
    model.len()
}

fn main() {
    let _ = complete("m");
}
