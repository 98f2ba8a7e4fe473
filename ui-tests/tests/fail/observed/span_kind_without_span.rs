// `kind` configures the span: with `span = false` there is none.
use obs_runtime::observed;

#[observed(span = false, kind = "server")]
fn handle() {}

fn main() {}
