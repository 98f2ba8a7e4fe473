//! OpenAI's chat completion wire format, as the gateway and the simulated providers speak it:
//! requests parsed into typed values, responses and stream chunks built as JSON, and token
//! counts read back through obs' own reader ([`OpenAiJson`]).

use obs_runtime::llm::{HasUsage, OpenAiJson, Usage};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A `POST /v1/chat/completions` body (the fields the demo uses; others are ignored).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct ChatRequest {
    /// The model asked for.
    pub(crate) model: String,
    /// The conversation.
    pub(crate) messages: Vec<Message>,
    /// Whether to answer as server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stream: Option<bool>,
    /// Stream options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
    /// Longest answer, in tokens (`max_completion_tokens` is the current name).
    #[serde(
        default,
        alias = "max_completion_tokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) max_tokens: Option<u32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) temperature: Option<f64>,
}

/// One message; `content` is a string or an array of parts (only text parts are read).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub(crate) struct Message {
    /// `system`, `user`, `assistant`, ...
    pub(crate) role: String,
    /// The content.
    #[serde(default)]
    pub(crate) content: Value,
}

/// `stream_options`.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub(crate) struct StreamOptions {
    /// Send a last chunk with the whole call's usage (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) include_usage: Option<bool>,
    /// Put the usage so far on every chunk (vLLM's extension; the gateway asks its providers
    /// for it, so a stream cut short still tells what it cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) continuous_usage_stats: Option<bool>,
}

impl ChatRequest {
    /// Whether the client asked for a stream.
    pub(crate) fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether the client asked for the final usage chunk.
    pub(crate) fn include_usage(&self) -> bool {
        self.stream_options
            .is_some_and(|o| o.include_usage == Some(true))
    }

    /// Whether the client asked for usage on every chunk.
    pub(crate) fn continuous_usage(&self) -> bool {
        self.stream_options
            .is_some_and(|o| o.continuous_usage_stats == Some(true))
    }

    /// Every message's text, concatenated.
    pub(crate) fn text_len(&self) -> usize {
        self.messages
            .iter()
            .map(|m| text_of(&m.content).len())
            .sum()
    }
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Token counts of one call in OpenAI's terms: `prompt` includes `cached`, `completion`
/// includes `reasoning`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tokens {
    /// All input tokens.
    pub(crate) prompt: u64,
    /// Input tokens read from the provider's prompt cache.
    pub(crate) cached: u64,
    /// All output tokens.
    pub(crate) completion: u64,
    /// Output tokens spent reasoning.
    pub(crate) reasoning: u64,
}

impl Tokens {
    /// OpenAI's `usage` object.
    pub(crate) fn to_json(self) -> Value {
        json!({
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": self.prompt + self.completion,
            "prompt_tokens_details": {"cached_tokens": self.cached},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning},
        })
    }

    /// The counts a response or chunk reports, read by obs' OpenAI reader; `None` without usage.
    pub(crate) fn read(response: &Value) -> Option<Tokens> {
        OpenAiJson(response).usage().map(Tokens::from)
    }

    /// The counts as obs' [`Usage`] (what `#[llm_call]` prices).
    pub(crate) fn usage(self) -> Usage {
        Usage {
            input: Some(self.prompt),
            output: Some(self.completion),
            cache_read: Some(self.cached),
            cache_creation: None,
            reasoning: Some(self.reasoning),
        }
    }
}

impl From<Usage> for Tokens {
    fn from(u: Usage) -> Self {
        Tokens {
            prompt: u.input.unwrap_or(0),
            cached: u.cache_read.unwrap_or(0),
            completion: u.output.unwrap_or(0),
            reasoning: u.reasoning.unwrap_or(0),
        }
    }
}

/// A whole (non-streamed) chat completion.
pub(crate) fn completion(id: &str, model: &str, created: u64, text: &str, tokens: Tokens) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": tokens.to_json(),
    })
}

/// One chunk of a streamed completion: `delta` for choice 0, an optional finish reason, and
/// `usage` (`null` unless given, as OpenAI sends it when usage was asked for).
pub(crate) fn chunk(
    id: &str,
    model: &str,
    created: u64,
    delta: Value,
    finish_reason: Option<&str>,
    usage: Option<Tokens>,
) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        "usage": usage.map(Tokens::to_json),
    })
}

/// The last chunk of a stream whose client asked for usage: no choices, the whole call's usage.
pub(crate) fn usage_chunk(id: &str, model: &str, created: u64, tokens: Tokens) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": tokens.to_json(),
    })
}

/// An error body: `{"error": {"message", "type", "param", "code"}}`.
pub(crate) fn error(message: &str, kind: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// The `code` of an error body.
pub(crate) fn error_code(body: &Value) -> Option<&str> {
    body.get("error")?.get("code")?.as_str()
}

/// A `GET /v1/models` answer.
pub(crate) fn model_list<'a>(models: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    let data: Vec<Value> = models
        .map(|(id, owner)| json!({"id": id, "object": "model", "created": 0, "owned_by": owner}))
        .collect();
    json!({"object": "list", "data": data})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_round_trips_through_obs_reader() {
        let tokens = Tokens {
            prompt: 120,
            cached: 64,
            completion: 40,
            reasoning: 16,
        };
        let body = completion("c1", "gpt-4o", 0, "hi", tokens);
        assert_eq!(Tokens::read(&body), Some(tokens));
        let usage = Tokens::read(&body).unwrap().usage();
        assert_eq!(usage.fresh_input(), Some(56));
        assert_eq!(usage.output_excluding_reasoning(), Some(24));
        let plain = chunk("c1", "gpt-4o", 0, json!({"content": "a"}), None, None);
        assert_eq!(Tokens::read(&plain), None);
        assert_eq!(
            Tokens::read(&usage_chunk("c1", "m", 0, tokens)),
            Some(tokens)
        );
    }

    #[test]
    fn requests_parse_with_both_token_limit_names_and_part_arrays() {
        let r: ChatRequest = serde_json::from_value(json!({
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "abc"}]}],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_completion_tokens": 9,
            "unknown": 1
        }))
        .unwrap();
        assert!(r.is_stream() && r.include_usage() && !r.continuous_usage());
        assert_eq!((r.max_tokens, r.text_len()), (Some(9), 3));
        assert_eq!(error_code(&error("m", "t", "c")), Some("c"));
    }
}
