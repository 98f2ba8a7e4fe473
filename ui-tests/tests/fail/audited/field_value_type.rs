use obs_runtime::audited;

struct Model {
    name: String,
}

#[audited(action = "model.select", fields(model), mode = "buffered")]
fn select(model: &Model) {
    let _ = &model.name;
}

#[audited(action = "model.select", hash(size = model_size), mode = "buffered")]
fn sized(model_size: f64) {
    let _ = model_size;
}

fn main() {}
