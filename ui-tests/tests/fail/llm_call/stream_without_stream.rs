use obs_runtime::llm_call;

#[llm_call(provider = "openai", model = model, stream)]
fn complete(model: &str) -> Vec<obs_runtime::llm::Usage> {
    let _ = model;
    Vec::new()
}

fn main() {}
