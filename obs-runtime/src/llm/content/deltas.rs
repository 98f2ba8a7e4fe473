//! The pieces of a streamed answer ([`Delta`]), what can give them ([`HasDeltas`]), and the ready
//! views of OpenAI chat-completion chunks and Anthropic messages stream events.
//!
//! A chunk gives each piece with the index of the choice it belongs to; `#[llm_call(stream)]`
//! joins them per choice (see `streamed.rs`) into the output messages of the call.

use serde_json::Value;

use super::providers::{anthropic_finish_reason, array, openai_finish_reason, str_at};
use crate::llm::usage::{AnthropicJson, OpenAiJson};

/// One piece of a streamed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delta<'a> {
    /// The message's role (`assistant`), usually sent once, first.
    Role(&'a str),
    /// Text to append to the message.
    Text(&'a str),
    /// Reasoning (thinking) text to append to the message.
    Reasoning(&'a str),
    /// A piece of a tool call: its id and name when first sent, then fragments of its arguments'
    /// JSON text, joined in order.
    ToolCall {
        /// The call's position among the message's tool calls (or content blocks), as the
        /// provider numbers it: the pieces of one call share it.
        index: u32,
        /// The call's id.
        id: Option<&'a str>,
        /// The tool's name.
        name: Option<&'a str>,
        /// A fragment of the arguments' JSON text.
        arguments: Option<&'a str>,
    },
    /// Why generation stopped, in the conventions' spelling (`stop`, `length`, `tool_call`,
    /// `content_filter`, or the provider's own word).
    FinishReason(&'a str),
}

/// A chunk of a streamed response that carries pieces of the answer: what `#[llm_call(stream)]`
/// reads with `output = View` to capture the streamed output messages.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not give the pieces of a streamed answer",
    label = "`obs_runtime::llm::content::HasDeltas` is not implemented for this type",
    note = "implement `HasDeltas` for the stream's chunk type, or wrap provider JSON chunks in `OpenAiJson` or `AnthropicJson`"
)]
pub trait HasDeltas {
    /// Calls `f` with each piece this chunk carries, in order, with the index of the choice it
    /// belongs to (0 for providers that answer with one message).
    fn deltas<'s>(&'s self, f: &mut dyn FnMut(u32, Delta<'s>));
}

impl<T: HasDeltas + ?Sized> HasDeltas for &T {
    fn deltas<'s>(&'s self, f: &mut dyn FnMut(u32, Delta<'s>)) {
        (**self).deltas(f);
    }
}

impl<T: HasDeltas> HasDeltas for Option<T> {
    fn deltas<'s>(&'s self, f: &mut dyn FnMut(u32, Delta<'s>)) {
        if let Some(inner) = self {
            inner.deltas(f);
        }
    }
}

/// An index at `key` of `value`, if it is one; else 0.
fn index_at(value: &Value, key: &str) -> u32 {
    let index = value.get(key).and_then(Value::as_u64);
    index.and_then(|i| u32::try_from(i).ok()).unwrap_or(0)
}

/// An OpenAI chat-completion chunk (`chat.completion.chunk`): per choice (`choices[].index`),
/// `delta.role`, `delta.content`, `delta.reasoning_content` (sent by OpenAI-compatible servers
/// with reasoning models), `delta.refusal` (as text, as in a whole response), `delta.tool_calls`
/// and `finish_reason`.
impl HasDeltas for OpenAiJson<'_> {
    fn deltas<'s>(&'s self, f: &mut dyn FnMut(u32, Delta<'s>)) {
        for choice in array(self.0, "choices") {
            let at = index_at(choice, "index");
            if let Some(delta) = choice.get("delta") {
                if let Some(role) = str_at(delta, "role") {
                    f(at, Delta::Role(role));
                }
                if let Some(reasoning) = str_at(delta, "reasoning_content") {
                    f(at, Delta::Reasoning(reasoning));
                }
                for key in ["content", "refusal"] {
                    if let Some(text) = str_at(delta, key) {
                        f(at, Delta::Text(text));
                    }
                }
                for call in array(delta, "tool_calls") {
                    let function = call.get("function").unwrap_or(&Value::Null);
                    f(
                        at,
                        Delta::ToolCall {
                            index: index_at(call, "index"),
                            id: str_at(call, "id"),
                            name: str_at(function, "name"),
                            arguments: str_at(function, "arguments"),
                        },
                    );
                }
            }
            if let Some(reason) = str_at(choice, "finish_reason") {
                f(at, Delta::FinishReason(openai_finish_reason(reason)));
            }
        }
    }
}

/// An Anthropic messages stream event: the role from `message_start`; text, thinking and tool-use
/// blocks from `content_block_start` and `content_block_delta` (`text_delta`, `thinking_delta`,
/// `input_json_delta`; a tool call is numbered by its block's `index`); the stop reason from
/// `message_delta`. One choice (0). Other events and deltas (`ping`, `signature_delta`, ...) give
/// nothing.
impl HasDeltas for AnthropicJson<'_> {
    fn deltas<'s>(&'s self, f: &mut dyn FnMut(u32, Delta<'s>)) {
        let event = self.0;
        match str_at(event, "type").unwrap_or("") {
            "message_start" => {
                if let Some(role) = event.get("message").and_then(|m| str_at(m, "role")) {
                    f(0, Delta::Role(role));
                }
            }
            "content_block_start" => {
                let block = event.get("content_block").unwrap_or(&Value::Null);
                let piece = match str_at(block, "type").unwrap_or("") {
                    "tool_use" => Some(Delta::ToolCall {
                        index: index_at(event, "index"),
                        id: str_at(block, "id"),
                        name: str_at(block, "name"),
                        arguments: None,
                    }),
                    kind => anthropic_text(block, kind),
                };
                if let Some(piece) = piece {
                    f(0, piece);
                }
            }
            "content_block_delta" => {
                let delta = event.get("delta").unwrap_or(&Value::Null);
                let piece = match str_at(delta, "type").unwrap_or("") {
                    "input_json_delta" => Some(Delta::ToolCall {
                        index: index_at(event, "index"),
                        id: None,
                        name: None,
                        arguments: str_at(delta, "partial_json"),
                    }),
                    kind => anthropic_text(delta, kind),
                };
                if let Some(piece) = piece {
                    f(0, piece);
                }
            }
            "message_delta" => {
                let reason = event.get("delta").and_then(|d| str_at(d, "stop_reason"));
                if let Some(reason) = reason {
                    f(0, Delta::FinishReason(anthropic_finish_reason(reason)));
                }
            }
            _ => {}
        }
    }
}

/// The text or thinking of an Anthropic content block or delta of type `kind` (`text` /
/// `text_delta`, `thinking` / `thinking_delta`).
fn anthropic_text<'v>(value: &'v Value, kind: &str) -> Option<Delta<'v>> {
    match kind {
        "text" | "text_delta" => str_at(value, "text").map(Delta::Text),
        "thinking" | "thinking_delta" => str_at(value, "thinking").map(Delta::Reasoning),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pieces<V: HasDeltas>(view: &V) -> Vec<(u32, Delta<'_>)> {
        let mut out = Vec::new();
        view.deltas(&mut |choice, delta| out.push((choice, delta)));
        out
    }

    #[test]
    fn an_openai_chunk_gives_its_pieces_per_choice() {
        let chunk = json!({"object": "chat.completion.chunk", "choices": [
            {"index": 1, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": null},
            {"index": 0, "delta": {"tool_calls": [
                {"index": 2, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\""}}
            ]}, "finish_reason": "tool_calls"},
            {"index": 3, "delta": {"reasoning_content": "hm", "refusal": "no"}}
        ]});
        let want = [
            (1, Delta::Role("assistant")),
            (1, Delta::Text("Hel")),
            (
                0,
                Delta::ToolCall {
                    index: 2,
                    id: Some("call_1"),
                    name: Some("f"),
                    arguments: Some("{\"a\""),
                },
            ),
            (0, Delta::FinishReason("tool_call")),
            (3, Delta::Reasoning("hm")),
            (3, Delta::Text("no")),
        ];
        assert_eq!(pieces(&OpenAiJson(&chunk)), want);
        assert_eq!(pieces(&OpenAiJson(&json!({"choices": []}))), []);
    }

    #[test]
    fn anthropic_events_give_role_blocks_and_stop_reason() {
        let events = [
            json!({"type": "message_start", "message": {"id": "msg_1", "role": "assistant", "content": []}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me"}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "x"}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}}),
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {}}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
            json!({"type": "ping"}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 3}}),
        ];
        let views: Vec<_> = events.iter().map(AnthropicJson).collect();
        let got: Vec<_> = views.iter().flat_map(pieces).collect();
        let want = [
            Delta::Role("assistant"),
            Delta::Reasoning(""),
            Delta::Reasoning("Let me"),
            Delta::Text("Hi"),
            Delta::ToolCall {
                index: 2,
                id: Some("toolu_1"),
                name: Some("get"),
                arguments: None,
            },
            Delta::ToolCall {
                index: 2,
                id: None,
                name: None,
                arguments: Some("{}"),
            },
            Delta::FinishReason("tool_call"),
        ];
        let want: Vec<_> = want.into_iter().map(|d| (0, d)).collect();
        assert_eq!(got, want);
    }
}
