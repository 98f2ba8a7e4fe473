use obs_runtime::llm_call;

/// A response type that does not implement `HasUsage`.
struct Reply {
    text: String,
}

#[llm_call(provider = "openai", model = model)]
async fn complete(model: &str) -> Result<Reply, std::io::Error> {
    Ok(Reply { text: model.to_owned() })
}

fn main() {
    let _ = |r: Reply| r.text;
}
