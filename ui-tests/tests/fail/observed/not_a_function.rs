// `#[observed]` wraps functions only.
use obs_runtime::observed;

#[observed]
struct Service {
    name: String,
}

fn main() {
    let _ = Service {
        name: String::new(),
    }
    .name;
}
