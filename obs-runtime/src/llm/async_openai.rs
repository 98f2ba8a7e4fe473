//! [`HasUsage`] for the response types of the [`async-openai`](async_openai) crate: the chat
//! completion response, its stream chunk, and the embeddings responses.
//!
//! Counts map as [`OpenAiJson`](super::OpenAiJson) maps the same JSON (see the
//! [usage rule](super::usage)): input = `prompt_tokens` (cached tokens included), cache_read =
//! `prompt_tokens_details.cached_tokens`, output = `completion_tokens` (reasoning included),
//! reasoning = `completion_tokens_details.reasoning_tokens`; cache_creation stays `None`. A detail
//! the response lacks stays `None`, never 0. The crate makes `prompt_tokens` and
//! `completion_tokens` required, so a response that has `usage` always has both. An embeddings
//! response has input only.
//!
//! Finish reasons are the API's strings: `stop`, `length`, `tool_calls`, `content_filter`,
//! `function_call`.
//!
//! [`HasDeltas`] for the stream chunk gives the pieces of a streamed answer as
//! [`OpenAiJson`](super::OpenAiJson) gives them from the same JSON (role, content, refusal as
//! text, tool-call pieces, and the finish reason in the conventions' spelling: `tool_call` for
//! `tool_calls` and `function_call`), for `#[llm_call(stream, output = ...)]`. The deprecated
//! `function_call` delta gives nothing.

use async_openai::types::chat::{
    CompletionUsage, CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
    FinishReason, Role,
};
use async_openai::types::embeddings::{
    CreateBase64EmbeddingResponse, CreateEmbeddingResponse, EmbeddingUsage,
};

use super::content::{Delta, HasDeltas};
use super::usage::{HasUsage, Usage};

/// `HasUsage` for a chat completion and for a chunk of a streamed one (usage only in the last
/// chunk, and only when the request set `stream_options.include_usage`): the two types have the
/// same fields, with choices of different types.
macro_rules! chat_completion {
    ($($ty:ty),*) => {$(
        impl HasUsage for $ty {
            fn usage(&self) -> Option<Usage> {
                self.usage.as_ref().map(completion_usage)
            }
            fn response_model(&self) -> Option<&str> {
                Some(&self.model)
            }
            fn response_id(&self) -> Option<&str> {
                Some(&self.id)
            }
            fn finish_reasons(&self, f: &mut dyn FnMut(&str)) {
                for reason in self.choices.iter().filter_map(|c| c.finish_reason) {
                    f(finish_reason(reason));
                }
            }
        }
    )*};
}
chat_completion!(
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse
);

/// `HasUsage` for the embeddings responses (float and base64): input tokens and the model.
macro_rules! embeddings {
    ($($ty:ty),*) => {$(
        impl HasUsage for $ty {
            fn usage(&self) -> Option<Usage> {
                Some(embedding_usage(&self.usage))
            }
            fn response_model(&self) -> Option<&str> {
                Some(&self.model)
            }
        }
    )*};
}
embeddings!(CreateEmbeddingResponse, CreateBase64EmbeddingResponse);

/// The pieces of a streamed answer (see the module docs).
impl HasDeltas for CreateChatCompletionStreamResponse {
    fn deltas<'s>(&'s self, f: &mut dyn FnMut(u32, Delta<'s>)) {
        for choice in &self.choices {
            let (at, delta) = (choice.index, &choice.delta);
            if let Some(role) = &delta.role {
                f(at, Delta::Role(role_name(role)));
            }
            for text in [&delta.content, &delta.refusal].into_iter().flatten() {
                f(at, Delta::Text(text));
            }
            for call in delta.tool_calls.iter().flatten() {
                let function = call.function.as_ref();
                f(
                    at,
                    Delta::ToolCall {
                        index: call.index,
                        id: call.id.as_deref(),
                        name: function.and_then(|c| c.name.as_deref()),
                        arguments: function.and_then(|c| c.arguments.as_deref()),
                    },
                );
            }
            if let Some(reason) = choice.finish_reason {
                let reason = match reason {
                    FinishReason::ToolCalls | FinishReason::FunctionCall => "tool_call",
                    other => finish_reason(other),
                };
                f(at, Delta::FinishReason(reason));
            }
        }
    }
}

/// The role as the API spells it.
fn role_name(role: &Role) -> &'static str {
    match role {
        Role::Developer => "developer",
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        Role::Function => "function",
    }
}

fn completion_usage(usage: &CompletionUsage) -> Usage {
    Usage {
        input: Some(usage.prompt_tokens.into()),
        output: Some(usage.completion_tokens.into()),
        cache_read: usage
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .map(u64::from),
        cache_creation: None,
        reasoning: usage
            .completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .map(u64::from),
    }
}

fn embedding_usage(usage: &EmbeddingUsage) -> Usage {
    Usage {
        input: Some(usage.prompt_tokens.into()),
        ..Usage::default()
    }
}

/// The reason as OpenAI's API spells it, which is what `gen_ai.response.finish_reasons` holds.
fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::usage::{OpenAiJson, ResponseSummary};
    use serde_json::{Value, json};

    /// `value` deserialized into one of the crate's types, checked to tell the same as
    /// `OpenAiJson` on the same JSON.
    macro_rules! same_as_json {
        ($value:expr) => {{
            let value: &Value = $value;
            let typed = serde_json::from_value(value.clone()).unwrap();
            assert_same(&typed, value);
            typed
        }};
    }

    fn assert_same(typed: &impl HasUsage, value: &Value) {
        let json = OpenAiJson(value);
        assert_eq!(typed.usage(), json.usage());
        assert_eq!(typed.response_model(), json.response_model());
        assert_eq!(typed.response_id(), json.response_id());
        let (mut typed_reasons, mut json_reasons) = (Vec::new(), Vec::new());
        typed.finish_reasons(&mut |r| typed_reasons.push(r.to_owned()));
        json.finish_reasons(&mut |r| json_reasons.push(r.to_owned()));
        assert_eq!(typed_reasons, json_reasons);
    }

    #[test]
    fn chat_response_maps_cached_and_reasoning_tokens_like_openai_json() {
        let response = json!({
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion",
            "created": 1741570283, "model": "o4-mini-2025-04-16",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Hello.", "refusal": null, "annotations": []},
                 "logprobs": null, "finish_reason": "stop"},
                {"index": 1, "message": {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                 "logprobs": null, "finish_reason": "tool_calls"}
            ],
            "usage": {
                "prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0,
                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
            },
            "service_tier": "default", "system_fingerprint": "fp_1"
        });
        let typed: CreateChatCompletionResponse = same_as_json!(&response);
        assert_eq!(
            typed.usage(),
            Some(Usage {
                input: Some(2006),
                output: Some(300),
                cache_read: Some(1920),
                cache_creation: None,
                reasoning: Some(192),
            })
        );
        let mut reasons = Vec::new();
        typed.finish_reasons(&mut |r| reasons.push(r.to_owned()));
        assert_eq!(reasons, ["stop", "tool_calls"]);
        assert_eq!(typed.response_model(), Some("o4-mini-2025-04-16"));
    }

    #[test]
    fn absent_details_stay_none_and_absent_usage_gives_none() {
        let response = json!({
            "id": "chatcmpl-2", "object": "chat.completion", "created": 1741570283, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        });
        let typed: CreateChatCompletionResponse = same_as_json!(&response);
        assert_eq!(
            typed.usage(),
            Some(Usage {
                input: Some(10),
                output: Some(5),
                ..Usage::default()
            })
        );

        let no_usage = json!({
            "id": "chatcmpl-3", "object": "chat.completion", "created": 1741570283, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "content_filter"}],
            "usage": null
        });
        let typed: CreateChatCompletionResponse = same_as_json!(&no_usage);
        assert_eq!(typed.usage(), None);
    }

    #[test]
    fn stream_takes_usage_from_the_final_include_usage_chunk_like_openai_json() {
        let chunk = |choices: Value, usage: Value| {
            json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1741570283,
                "model": "gpt-4.1-mini-2025-04-14", "service_tier": "default",
                "system_fingerprint": "fp_2", "choices": choices, "usage": usage})
        };
        let chunks = [
            chunk(
                json!([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": null}, "logprobs": null, "finish_reason": null}]),
                Value::Null,
            ),
            chunk(
                json!([{"index": 0, "delta": {"content": "Hel"}, "logprobs": null, "finish_reason": null}]),
                Value::Null,
            ),
            chunk(
                json!([{"index": 0, "delta": {"content": "lo"}, "logprobs": null, "finish_reason": null}]),
                Value::Null,
            ),
            chunk(
                json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]),
                Value::Null,
            ),
            chunk(
                json!([]),
                json!({"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240,
                    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}),
            ),
        ];
        let (mut typed, mut json) = (ResponseSummary::default(), ResponseSummary::default());
        for (i, value) in chunks.iter().enumerate() {
            let chunk: CreateChatCompletionStreamResponse = same_as_json!(value);
            typed.push(&chunk, true);
            json.push(&OpenAiJson(value), true);
            if i < 4 {
                assert_eq!(chunk.usage(), None, "chunk {i} carries no usage");
            }
        }
        assert_eq!(typed, json);
        let details = typed.details.as_ref().unwrap();
        assert_eq!(details.finish_reasons, ["stop"]);
        assert_eq!(details.id.as_deref(), Some("chatcmpl-s"));
        assert_eq!(
            typed.usage,
            Some(Usage {
                input: Some(1200),
                output: Some(40),
                cache_read: Some(1024),
                cache_creation: None,
                reasoning: Some(0),
            })
        );
    }

    #[test]
    fn stream_without_include_usage_has_no_usage() {
        let chunk = json!({"id": "chatcmpl-t", "object": "chat.completion.chunk", "created": 1,
            "model": "gpt-4o", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]});
        let typed: CreateChatCompletionStreamResponse = same_as_json!(&chunk);
        let mut summary = ResponseSummary::default();
        summary.push(&typed, true);
        assert_eq!(summary.usage, None);
        assert_eq!(summary.details.unwrap().finish_reasons, ["length"]);
    }

    #[test]
    fn stream_chunks_give_the_same_pieces_as_openai_json() {
        let chunk = |choices: Value| {
            json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1741570283,
                "model": "gpt-4.1-mini-2025-04-14", "choices": choices})
        };
        let chunks = [
            chunk(json!([
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null},
                {"index": 1, "delta": {"role": "assistant", "content": "", "refusal": null}, "finish_reason": null}
            ])),
            chunk(json!([{"index": 0, "delta": {"content": "Hel"}, "finish_reason": null}])),
            chunk(json!([{"index": 1, "delta": {"refusal": "I can't"}, "finish_reason": null}])),
            chunk(
                json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1",
                "type": "function", "function": {"name": "get", "arguments": "{\"a\""}}]}, "finish_reason": null}]),
            ),
            chunk(json!([{"index": 0, "delta": {"tool_calls": [{"index": 0,
                "function": {"arguments": ": 1}"}}]}, "finish_reason": "tool_calls"}])),
            chunk(json!([{"index": 1, "delta": {}, "finish_reason": "content_filter"}])),
        ];
        let mut seen = 0;
        for value in &chunks {
            let typed: CreateChatCompletionStreamResponse =
                serde_json::from_value(value.clone()).unwrap();
            let view = OpenAiJson(value);
            let (mut from_typed, mut from_json) = (Vec::new(), Vec::new());
            typed.deltas(&mut |at, d| from_typed.push((at, d)));
            view.deltas(&mut |at, d| from_json.push((at, d)));
            assert_eq!(from_typed, from_json, "{value}");
            seen += from_typed.len();
        }
        assert_eq!(seen, 10);
    }

    #[test]
    fn every_finish_reason_reads_as_its_api_string() {
        for reason in [
            "stop",
            "length",
            "tool_calls",
            "content_filter",
            "function_call",
        ] {
            let parsed: FinishReason = serde_json::from_value(json!(reason)).unwrap();
            assert_eq!(finish_reason(parsed), reason);
        }
    }

    #[test]
    fn embeddings_have_input_tokens_only() {
        let response = json!({
            "object": "list", "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.0023, -0.0093]}],
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        });
        let typed: CreateEmbeddingResponse = same_as_json!(&response);
        assert_eq!(
            typed.usage(),
            Some(Usage {
                input: Some(8),
                ..Usage::default()
            })
        );

        let base64 = json!({
            "object": "list", "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": 0, "embedding": "AAAAAA=="}],
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        });
        let typed: CreateBase64EmbeddingResponse = same_as_json!(&base64);
        assert_eq!(typed.usage().and_then(|u| u.input), Some(8));
    }
}
