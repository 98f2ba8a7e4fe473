// An argument that `#[observed]` does not know (here a misspelling of `record`).
use obs_runtime::observed;

#[observed(records(model))]
fn complete(model: &str) -> usize {
    model.len()
}

fn main() {
    let _ = complete("m");
}
