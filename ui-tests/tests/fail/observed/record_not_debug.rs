// An argument named in `record(...)` must be `Debug`: the error points at its name there.
use obs_runtime::observed;

struct Credentials {
    _key: String,
}

#[observed(record(model, credentials))]
fn call(model: &str, credentials: Credentials) -> usize {
    model.len() + credentials._key.len()
}

fn main() {}
