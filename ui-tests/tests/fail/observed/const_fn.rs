// A `const fn` cannot record metrics or spans: there is no clock or registry in const evaluation.
use obs_runtime::observed;

#[observed]
const fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
