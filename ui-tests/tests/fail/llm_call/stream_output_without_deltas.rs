use futures_util::Stream;
use obs_runtime::llm::OpenAiJson;
use obs_runtime::llm_call;

/// A view that gives whole messages, not the pieces of a streamed answer.
struct Whole<'a>(&'a serde_json::Value);

impl obs_runtime::llm::HasMessages for Whole<'_> {}

#[llm_call(provider = "openai", model = "gpt-4o", usage = OpenAiJson, output = Whole, stream)]
fn chat_stream() -> impl Stream<Item = serde_json::Value> {
    futures_util::stream::iter(Vec::<serde_json::Value>::new())
}

fn main() {
    let _ = |v: Whole| v.0.clone();
}
