use obs_runtime::audited;

#[audited(resource(type = "config_key", id = key), mode = "buffered")]
fn update(key: &str) {
    let _ = key;
}

fn main() {}
