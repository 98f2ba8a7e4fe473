use obs_runtime::llm_call;

obs_runtime::metrics! {
    /// Mine.
    pub MINE in "ui_llm_own" {
        /// Calls.
        calls_total: Counter { outcome: obs_runtime::Outcome },
    }
}

#[llm_call(provider = "openai", model = model, calls = MINE.calls_total)]
async fn complete(model: &str) -> Result<obs_runtime::llm::Usage, std::io::Error> {
    let _ = model;
    Ok(obs_runtime::llm::Usage::default())
}

fn main() {}
