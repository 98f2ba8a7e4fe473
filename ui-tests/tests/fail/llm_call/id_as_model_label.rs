use obs_runtime::llm_call;

struct Request {
    user_id: String,
    session_id: String,
}

#[llm_call(provider = "openai", model = req.user_id)]
async fn complete(req: &Request) -> Result<obs_runtime::llm::Usage, std::io::Error> {
    let _ = &req.session_id;
    Ok(obs_runtime::llm::Usage::default())
}

fn main() {}
