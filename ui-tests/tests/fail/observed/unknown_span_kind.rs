// `kind` is one of OpenTelemetry's span kinds; a misspelt one is refused with the closest.
use obs_runtime::observed;

#[observed(kind = "clinet")]
async fn call_provider() -> u32 {
    1
}

fn main() {}
