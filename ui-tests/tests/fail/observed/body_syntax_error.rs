// A syntax error in the body: the only error is rustc's own, at the user's token.
use obs_runtime::observed;

#[observed]
fn complete(model: &str) -> usize {
    let n = model.len() +;
    n
}

fn main() {
    let _ = complete("m");
}
