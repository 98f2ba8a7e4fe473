// `self` cannot be recorded whole; record one of its fields with `fields(...)`.
use obs_runtime::observed;

#[derive(Debug)]
struct Client {
    model: String,
}

impl Client {
    #[observed(record(self))]
    fn complete(&self) -> usize {
        self.model.len()
    }
}

fn main() {
    let _ = Client {
        model: String::new(),
    }
    .complete();
}
