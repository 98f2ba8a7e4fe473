// `record(...)` must name parameters of the function.
use obs_runtime::observed;

#[observed(record(model, x))]
fn complete(model: &str, prompt: &str) -> usize {
    model.len() + prompt.len()
}

fn main() {
    let _ = complete("m", "p");
}
