use obs_runtime::llm_call;

/// A view that does not implement `HasUsage`.
struct TextOnly<'a>(&'a serde_json::Value);

#[llm_call(provider = "openai", model = model, usage = TextOnly)]
async fn complete(model: &str) -> Result<serde_json::Value, std::io::Error> {
    Ok(serde_json::json!({ "model": model }))
}

fn main() {
    let _ = |v: TextOnly| v.0.clone();
}
