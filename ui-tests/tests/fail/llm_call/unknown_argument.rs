use obs_runtime::llm_call;

#[llm_call(provider = "openai", model = model, temprature = 0.2)]
async fn complete(model: &str) -> Result<obs_runtime::llm::Usage, std::io::Error> {
    let _ = model;
    Ok(obs_runtime::llm::Usage::default())
}

fn main() {}
