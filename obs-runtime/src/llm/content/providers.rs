//! Ready [`HasMessages`] views: OpenAI chat and Anthropic messages JSON, and plain strings.
//!
//! Provider finish reasons map to the conventions' values (`stop`, `length`, `content_filter`,
//! `tool_call`); a reason with no equivalent is kept as the provider spells it. OpenAI tool-call
//! arguments, a JSON string, are parsed (kept as the string when they do not parse). Part types
//! the conventions do not model (files, documents, server tools) are kept as a part with only
//! their `type`, without their content.

use std::borrow::Cow;

use serde_json::Value;

use super::messages::{HasMessages, Message, Part};
use crate::llm::usage::{AnthropicJson, OpenAiJson};

/// A prompt: one `user` text message. As a returned answer: one `assistant` text message with
/// finish reason `stop` (a returned string is a finished answer).
impl HasMessages for str {
    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        out.push(Message::text("user", self));
    }

    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        out.push(Message::text("assistant", self).with_finish_reason("stop"));
    }
}

/// As [`str`].
impl HasMessages for String {
    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        self.as_str().input_messages(out);
    }

    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        self.as_str().output_messages(out);
    }
}

/// An OpenAI chat-completion request (`messages`, string or array content, tool calls, tool
/// results) or response (`choices[].message` and `finish_reason`). System and developer messages
/// stay in the input messages, as the conventions ask for instructions that are part of the chat
/// history.
impl HasMessages for OpenAiJson<'_> {
    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        for message in array(self.0, "messages") {
            out.push(openai_message(message, "user"));
        }
    }

    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        for choice in array(self.0, "choices") {
            let message = choice.get("message").unwrap_or(&Value::Null);
            let mut m = openai_message(message, "assistant");
            let reason = str_at(choice, "finish_reason").map(openai_finish_reason);
            m.finish_reason = Some(Cow::Borrowed(reason.unwrap_or("")));
            out.push(m);
        }
    }
}

/// An Anthropic messages request (`system`, `messages` with content blocks, `tool_use` and
/// `tool_result` included) or response (`content` blocks and `stop_reason`).
impl HasMessages for AnthropicJson<'_> {
    fn system_instructions<'s>(&'s self, out: &mut Vec<Part<'s>>) {
        match self.0.get("system") {
            Some(Value::String(text)) => out.push(Part::Text(Cow::Borrowed(text))),
            Some(Value::Array(blocks)) => out.extend(blocks.iter().map(anthropic_part)),
            _ => {}
        }
    }

    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        for message in array(self.0, "messages") {
            let role = str_at(message, "role").unwrap_or("user");
            out.push(Message::new(role, anthropic_parts(message.get("content"))));
        }
    }

    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        let Some(content) = self.0.get("content") else {
            return;
        };
        let role = str_at(self.0, "role").unwrap_or("assistant");
        let reason = str_at(self.0, "stop_reason").map(anthropic_finish_reason);
        out.push(
            Message::new(role, anthropic_parts(Some(content)))
                .with_finish_reason(reason.unwrap_or("")),
        );
    }
}

pub(super) fn array<'v>(value: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

pub(super) fn str_at<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key)?.as_str()
}

fn cow<'v>(value: &'v Value, key: &str) -> Option<Cow<'v, str>> {
    str_at(value, key).map(Cow::Borrowed)
}

fn openai_message<'v>(message: &'v Value, default_role: &'v str) -> Message<'v> {
    let role = str_at(message, "role").unwrap_or(default_role);
    let mut parts = Vec::new();
    if let Some(reasoning) = str_at(message, "reasoning_content") {
        parts.push(Part::Reasoning(Cow::Borrowed(reasoning)));
    }
    let content = message.get("content").filter(|c| !c.is_null());
    if matches!(role, "tool" | "function") {
        parts.push(Part::ToolCallResponse {
            id: cow(message, "tool_call_id"),
            response: Cow::Borrowed(content.unwrap_or(&Value::Null)),
        });
    } else {
        match content {
            Some(Value::String(text)) => parts.push(Part::Text(Cow::Borrowed(text))),
            Some(Value::Array(items)) => parts.extend(items.iter().map(openai_part)),
            _ => {}
        }
    }
    if let Some(refusal) = str_at(message, "refusal") {
        parts.push(Part::Text(Cow::Borrowed(refusal)));
    }
    for call in array(message, "tool_calls") {
        let function = call.get("function").or_else(|| call.get("custom"));
        let function = function.unwrap_or(&Value::Null);
        let arguments = str_at(function, "arguments").or_else(|| str_at(function, "input"));
        parts.push(Part::ToolCall {
            id: cow(call, "id"),
            name: cow(function, "name").unwrap_or_default(),
            arguments: arguments.map(parse_arguments),
        });
    }
    if let Some(call) = message.get("function_call") {
        parts.push(Part::ToolCall {
            id: None,
            name: cow(call, "name").unwrap_or_default(),
            arguments: str_at(call, "arguments").map(parse_arguments),
        });
    }
    Message {
        role: Cow::Borrowed(role),
        parts,
        name: cow(message, "name"),
        finish_reason: None,
    }
}

/// OpenAI's arguments: a JSON string, parsed; kept as the string when it does not parse.
pub(super) fn parse_arguments(text: &str) -> Cow<'static, Value> {
    Cow::Owned(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

fn openai_part(item: &Value) -> Part<'_> {
    match str_at(item, "type").unwrap_or("") {
        "text" => Part::Text(cow(item, "text").unwrap_or_default()),
        "refusal" => Part::Text(cow(item, "refusal").unwrap_or_default()),
        "image_url" => {
            let image = item.get("image_url").unwrap_or(&Value::Null);
            let url = str_at(image, "url").or_else(|| item.get("image_url")?.as_str());
            url_part(url.unwrap_or(""), "image")
        }
        "input_audio" => {
            let audio = item.get("input_audio").unwrap_or(&Value::Null);
            Part::Blob {
                modality: Cow::Borrowed("audio"),
                mime_type: str_at(audio, "format").map(|f| Cow::Owned(format!("audio/{f}"))),
                content: cow(audio, "data").unwrap_or_default(),
            }
        }
        other => Part::Other(Cow::Borrowed(other)),
    }
}

/// A URL part: `data:` URLs become a blob with their media type, others a URI.
fn url_part<'v>(url: &'v str, default_modality: &'static str) -> Part<'v> {
    if let Some((header, data)) = url.strip_prefix("data:").and_then(|r| r.split_once(',')) {
        let mime = header.split(';').next().filter(|m| !m.is_empty());
        return Part::Blob {
            modality: Cow::Borrowed(modality(mime, default_modality)),
            mime_type: mime.map(Cow::Borrowed),
            content: Cow::Borrowed(data),
        };
    }
    Part::Uri {
        modality: Cow::Borrowed(default_modality),
        mime_type: None,
        uri: Cow::Borrowed(url),
    }
}

fn modality(mime: Option<&str>, default: &'static str) -> &'static str {
    match mime.and_then(|m| m.split('/').next()) {
        Some("image") => "image",
        Some("audio") => "audio",
        Some("video") => "video",
        _ => default,
    }
}

pub(super) fn openai_finish_reason(reason: &str) -> &str {
    match reason {
        "tool_calls" | "function_call" => "tool_call",
        other => other,
    }
}

pub(super) fn anthropic_finish_reason(reason: &str) -> &str {
    match reason {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_call",
        "refusal" => "content_filter",
        other => other,
    }
}

fn anthropic_parts(content: Option<&Value>) -> Vec<Part<'_>> {
    match content {
        Some(Value::String(text)) => vec![Part::Text(Cow::Borrowed(text))],
        Some(Value::Array(blocks)) => blocks.iter().map(anthropic_part).collect(),
        _ => Vec::new(),
    }
}

fn anthropic_part(block: &Value) -> Part<'_> {
    match str_at(block, "type").unwrap_or("") {
        "text" => Part::Text(cow(block, "text").unwrap_or_default()),
        "thinking" => Part::Reasoning(cow(block, "thinking").unwrap_or_default()),
        "tool_use" => Part::ToolCall {
            id: cow(block, "id"),
            name: cow(block, "name").unwrap_or_default(),
            arguments: block.get("input").map(Cow::Borrowed),
        },
        "tool_result" => Part::ToolCallResponse {
            id: cow(block, "tool_use_id"),
            response: Cow::Borrowed(block.get("content").unwrap_or(&Value::Null)),
        },
        "image" => {
            let source = block.get("source").unwrap_or(&Value::Null);
            match str_at(source, "type") {
                Some("base64") => {
                    let mime = str_at(source, "media_type");
                    Part::Blob {
                        modality: Cow::Borrowed(modality(mime, "image")),
                        mime_type: mime.map(Cow::Borrowed),
                        content: cow(source, "data").unwrap_or_default(),
                    }
                }
                Some("url") => url_part(str_at(source, "url").unwrap_or(""), "image"),
                _ => Part::Other(Cow::Borrowed("image")),
            }
        }
        other => Part::Other(Cow::Borrowed(other)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::messages::message_json;
    use super::super::redact::RuleRedactor;
    use super::*;

    fn input<V: HasMessages>(view: V) -> Value {
        let mut messages = Vec::new();
        view.input_messages(&mut messages);
        let redactor = RuleRedactor::default();
        Value::Array(
            messages
                .iter()
                .map(|m| message_json(m, &redactor, false))
                .collect(),
        )
    }

    fn output<V: HasMessages>(view: V) -> Value {
        let mut messages = Vec::new();
        view.output_messages(&mut messages);
        let redactor = RuleRedactor::default();
        Value::Array(
            messages
                .iter()
                .map(|m| message_json(m, &redactor, true))
                .collect(),
        )
    }

    #[test]
    fn openai_request_becomes_the_structured_form() {
        let request = json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "name": "ann", "content": [
                    {"type": "text", "text": "What is in this image? Mail me at ann@example.com"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\",\"api_key\":\"k-123\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "rainy, 57°F"}
            ]
        });
        let got = input(OpenAiJson(&request));
        let want = json!([
            {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
            {"role": "user", "name": "ann", "parts": [
                {"type": "text", "content": "What is in this image? Mail me at [REDACTED:email]"},
                {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"},
                {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0K"}
            ]},
            {"role": "assistant", "parts": [
                {"type": "tool_call", "id": "call_1", "name": "get_weather",
                 "arguments": {"location": "Paris", "api_key": "[REDACTED:secret]"}}
            ]},
            {"role": "tool", "parts": [
                {"type": "tool_call_response", "id": "call_1", "response": "rainy, 57°F"}
            ]}
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn openai_response_becomes_output_messages_with_mapped_finish_reasons() {
        let response = json!({
            "id": "chatcmpl-1", "model": "gpt-4o",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"},
                {"index": 1, "message": {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "not json"}}
                ]}, "finish_reason": "tool_calls"},
                {"index": 2, "message": {"role": "assistant", "content": "cut"}, "finish_reason": "length"}
            ]
        });
        let want = json!([
            {"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}], "finish_reason": "stop"},
            {"role": "assistant", "parts": [
                {"type": "tool_call", "id": "call_2", "name": "f", "arguments": "not json"}
            ], "finish_reason": "tool_call"},
            {"role": "assistant", "parts": [{"type": "text", "content": "cut"}], "finish_reason": "length"}
        ]);
        assert_eq!(output(OpenAiJson(&response)), want);
    }

    #[test]
    fn anthropic_request_gives_system_instructions_apart_and_content_blocks() {
        let request = json!({
            "model": "claude-x",
            "system": [{"type": "text", "text": "You are terse."}],
            "messages": [
                {"role": "user", "content": "Weather in Paris? key sk-ant-api03-abcdefghij0123456789"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Need the tool.", "signature": "sig"},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rainy"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
                    {"type": "document", "source": {"type": "text", "data": "..."}}
                ]}
            ]
        });
        let view = AnthropicJson(&request);
        let mut system = Vec::new();
        view.system_instructions(&mut system);
        assert_eq!(system, [Part::Text("You are terse.".into())]);
        let got = input(view);
        let want = json!([
            {"role": "user", "parts": [
                {"type": "text", "content": "Weather in Paris? key [REDACTED:anthropic_api_key]"}
            ]},
            {"role": "assistant", "parts": [
                {"type": "reasoning", "content": "Need the tool."},
                {"type": "tool_call", "id": "toolu_1", "name": "get_weather", "arguments": {"city": "Paris"}}
            ]},
            {"role": "user", "parts": [
                {"type": "tool_call_response", "id": "toolu_1", "response": "rainy"},
                {"type": "blob", "modality": "image", "mime_type": "image/jpeg", "content": "/9j/4AAQ"},
                {"type": "document"}
            ]}
        ]);
        assert_eq!(got, want);

        let string_system = json!({"system": "Plain.", "messages": []});
        let view = AnthropicJson(&string_system);
        let mut system = Vec::new();
        view.system_instructions(&mut system);
        assert_eq!(system, [Part::Text("Plain.".into())]);
    }

    #[test]
    fn anthropic_response_becomes_one_output_message() {
        let response = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_2", "name": "lookup", "input": {"q": "x"}}
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 5, "output_tokens": 7}
        });
        let want = json!([{
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Checking."},
                {"type": "tool_call", "id": "toolu_2", "name": "lookup", "arguments": {"q": "x"}}
            ],
            "finish_reason": "tool_call"
        }]);
        assert_eq!(output(AnthropicJson(&response)), want);
        let end_turn = json!({"role": "assistant", "content": [], "stop_reason": "end_turn"});
        assert_eq!(output(AnthropicJson(&end_turn))[0]["finish_reason"], "stop");
    }

    #[test]
    fn a_plain_string_is_one_user_message_or_one_finished_answer() {
        let got = input("Hi there");
        assert_eq!(
            got,
            json!([{"role": "user", "parts": [{"type": "text", "content": "Hi there"}]}])
        );
        assert_eq!(
            output(String::from("Hello")),
            json!([{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}])
        );
    }
}
