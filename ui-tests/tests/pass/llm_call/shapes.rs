//! `#[llm_call]` on every shape: async, sync, a method, a stream of `Result` chunks with a JSON
//! view (and with its output captured), a response implementing `HasUsage` itself, request
//! parameters and the shared arguments.

use futures_util::{Stream, StreamExt};
use obs_runtime::llm::{AnthropicJson, HasUsage, OpenAiJson, Usage};
use obs_runtime::llm_call;

struct Reply {
    tokens: u64,
}

impl HasUsage for Reply {
    fn usage(&self) -> Option<Usage> {
        Some(Usage { output: Some(self.tokens), ..Usage::default() })
    }
}

struct Request {
    model: String,
    temperature: Option<f64>,
    max_tokens: u32,
}

#[llm_call(provider = "openai", model = req.model, temperature = req.temperature, max_tokens = req.max_tokens)]
async fn chat(req: &Request) -> Result<Reply, std::io::Error> {
    Ok(Reply { tokens: req.max_tokens.into() })
}

#[llm_call(provider = "anthropic", model = "claude-x", usage = AnthropicJson, record(prompt), level = "debug")]
fn sync_messages(prompt: &str) -> serde_json::Value {
    serde_json::json!({ "type": "message", "content": prompt, "usage": { "input_tokens": 3, "output_tokens": 1 } })
}

struct Client;

impl Client {
    #[llm_call(provider = "openai", operation = "embeddings", model = model, metrics = false)]
    async fn embed(&self, model: &str) -> Reply {
        let _ = model;
        Reply { tokens: 0 }
    }
}

#[llm_call(provider = "openai", model = model, usage = OpenAiJson, stream, server_address = "api.openai.com", server_port = 443u16)]
fn chat_stream(model: String) -> impl Stream<Item = Result<serde_json::Value, std::io::Error>> {
    futures_util::stream::iter(vec![Ok(serde_json::json!({ "model": model }))])
}

#[llm_call(provider = "anthropic", model = "claude-x", usage = AnthropicJson, output = AnthropicJson, capture = "span_only", stream)]
fn messages_stream() -> impl Stream<Item = serde_json::Value> {
    futures_util::stream::iter(vec![serde_json::json!({ "type": "content_block_delta", "index": 0,
        "delta": { "type": "text_delta", "text": "hi" } })])
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let req = Request { model: "gpt-4o".into(), temperature: Some(0.2), max_tokens: 5 };
        assert_eq!(chat(&req).await.unwrap().tokens, 5);
        assert_eq!(Client.embed("text-embedding-3-small").await.tokens, 0);
        let chunks: Vec<_> = chat_stream("gpt-4o".into()).collect().await;
        assert_eq!(chunks.len(), 1);
        assert_eq!(messages_stream().count().await, 1);
    });
    assert_eq!(sync_messages("hi")["usage"]["input_tokens"], 3);
}
