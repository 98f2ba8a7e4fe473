// `error_kind` labels a framework metric, which `metrics = false` turns off.
use obs_runtime::observed;

#[observed(metrics = false, error_kind)]
fn read(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

fn main() {
    let _ = read("x");
}
