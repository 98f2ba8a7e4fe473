use obs_runtime::llm_call;

#[llm_call(operation = "embeddings")]
async fn embed(text: &str) -> Result<obs_runtime::llm::Usage, std::io::Error> {
    let _ = text;
    Ok(obs_runtime::llm::Usage::default())
}

fn main() {}
