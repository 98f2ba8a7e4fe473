use obs_runtime::llm_call;

const PROVIDER: &str = "openai";

#[llm_call(provider = PROVIDER, operation = String::from("chat"), model = model)]
async fn complete(model: &str) -> Result<obs_runtime::llm::Usage, std::io::Error> {
    let _ = model;
    Ok(obs_runtime::llm::Usage::default())
}

fn main() {}
