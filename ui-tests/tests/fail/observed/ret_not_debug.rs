// `ret` records the return value with `Debug`, so the return type must implement it.
use obs_runtime::observed;

struct Secret(u32);

#[observed(ret)]
fn make() -> Secret {
    Secret(1)
}

fn main() {
    let _ = make().0;
}
