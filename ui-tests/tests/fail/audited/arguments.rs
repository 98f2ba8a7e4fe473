use obs_runtime::audited;

// `actor_type` without `actor`.
#[audited(action = "config.update", actor_type = "service", mode = "buffered")]
fn typed() {}

// A resource type that is not a literal.
#[audited(action = "config.update", resource(type = kind, id = key), mode = "buffered")]
fn resource(kind: &str, key: &str) {
    let _ = (kind, key);
}

// The same field twice.
#[audited(action = "config.update", fields(key), hash(key), mode = "buffered")]
fn twice(key: &str) {
    let _ = key;
}

// An unknown mode.
#[audited(action = "config.update", mode = "eventually")]
fn mode() {}

fn main() {}
