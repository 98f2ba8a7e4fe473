//! Token usage of one call, read from a provider's response (or its stream of chunks), normalised
//! to the semantic conventions so that nothing is counted twice.
//!
//! # The rule
//!
//! A [`Usage`] follows `gen_ai.usage.*`: [`input`](Usage::input) is ALL input tokens, cache reads
//! and cache writes included; [`cache_read`](Usage::cache_read) and
//! [`cache_creation`](Usage::cache_creation) are parts of it. [`output`](Usage::output) is all
//! output tokens, reasoning included; [`reasoning`](Usage::reasoning) is part of it. So fresh
//! input is `input - cache_read - cache_creation` ([`Usage::fresh_input`]) and visible output is
//! `output - reasoning` ([`Usage::output_excluding_reasoning`]). A count the provider did not
//! send is `None`, never 0; a value that is not a non-negative integer counts as not sent.
//!
//! Per shape:
//!
//! - **OpenAI chat completion** (`usage.prompt_tokens`, ...): `prompt_tokens` already includes the
//!   cached tokens and `completion_tokens` the reasoning tokens, so they map as they are:
//!   input = `prompt_tokens`, cache_read = `prompt_tokens_details.cached_tokens`, output =
//!   `completion_tokens`, reasoning = `completion_tokens_details.reasoning_tokens`. OpenAI reports
//!   no cache writes: cache_creation stays `None`.
//! - **Anthropic messages** (`usage.input_tokens`, ...): `input_tokens` EXCLUDES cache reads and
//!   writes, so input = `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`
//!   (an absent cache field adds nothing; input is `None` only when `input_tokens` is absent).
//!   output = `output_tokens`, which includes extended thinking; Anthropic does not report the
//!   thinking part apart, so reasoning stays `None`.
//!
//! # Streams
//!
//! Every provider's stream reports usage as counts *so far*: OpenAI sends one final chunk with
//! `usage` (with `stream_options.include_usage`), Anthropic sends input and cache counts in
//! `message_start` (under `message.usage`) and cumulative counts in each `message_delta`. So a
//! stream's usage is merged count by count, a later count replacing an earlier one
//! ([`Usage::update`]), never added: [`ResponseSummary`] does that for any [`HasUsage`] chunk.
//!
//! # Which shape
//!
//! A JSON value does not say which provider it came from, and field names are not enough: OpenAI's
//! Responses API also says `input_tokens`, but there it INCLUDES cached tokens, while Anthropic's
//! excludes them. Guessing would silently double- or under-count, so the caller names the shape:
//! [`OpenAiJson`] / [`AnthropicJson`] (or [`JsonShape`]). The caller knows it: `#[llm_call]` has
//! the provider as a literal.

use serde_json::Value;

/// Token counts of one call, each `None` when the provider did not report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// All input tokens, cache reads and writes included (`gen_ai.usage.input_tokens`).
    pub input: Option<u64>,
    /// All output tokens, reasoning included (`gen_ai.usage.output_tokens`).
    pub output: Option<u64>,
    /// Input tokens served from the provider's cache (`gen_ai.usage.cache_read.input_tokens`).
    pub cache_read: Option<u64>,
    /// Input tokens written to the provider's cache (`gen_ai.usage.cache_creation.input_tokens`).
    pub cache_creation: Option<u64>,
    /// Output tokens spent on reasoning (`gen_ai.usage.reasoning.output_tokens`).
    pub reasoning: Option<u64>,
}

impl Usage {
    /// Input tokens neither read from nor written to the cache: `input - cache_read -
    /// cache_creation`, an absent cache count taken as none (saturating at 0). `None` when input is.
    pub fn fresh_input(&self) -> Option<u64> {
        let cached = self
            .cache_read
            .unwrap_or(0)
            .saturating_add(self.cache_creation.unwrap_or(0));
        self.input.map(|input| input.saturating_sub(cached))
    }

    /// Output tokens that are not reasoning: `output - reasoning`, an absent reasoning count taken
    /// as none (saturating at 0). `None` when output is.
    pub fn output_excluding_reasoning(&self) -> Option<u64> {
        self.output
            .map(|output| output.saturating_sub(self.reasoning.unwrap_or(0)))
    }

    /// Takes a later report of the same call's counts: each count it has replaces this one, each
    /// it lacks keeps this one (streamed counts are cumulative, so nothing is added twice).
    pub fn update(&mut self, later: Usage) {
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
        self.cache_read = later.cache_read.or(self.cache_read);
        self.cache_creation = later.cache_creation.or(self.cache_creation);
        self.reasoning = later.reasoning.or(self.reasoning);
    }
}

/// A response, or a chunk of a streamed response, that can tell its token usage; what
/// `#[llm_call]` reads from the function's value (the `Ok` value of a `Result`), or from each
/// item of a stream.
///
/// Only [`usage`](HasUsage::usage) is required. The other methods feed the span's
/// `gen_ai.response.*` attributes and default to "not known".
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not tell its token usage",
    label = "`obs_runtime::llm::HasUsage` is not implemented for this type",
    note = "implement `HasUsage` for it, or name a view with `usage = ...` (such as `OpenAiJson` or `AnthropicJson` for provider JSON)"
)]
pub trait HasUsage {
    /// The usage this response or chunk reports (for a chunk: counts so far), or `None` when it
    /// carries none at all.
    fn usage(&self) -> Option<Usage>;

    /// The model that answered (`gen_ai.response.model`).
    fn response_model(&self) -> Option<&str> {
        None
    }

    /// The provider's id of the response (`gen_ai.response.id`).
    fn response_id(&self) -> Option<&str> {
        None
    }

    /// Calls `f` with each finish reason this response or chunk reports, one per choice
    /// (`gen_ai.response.finish_reasons`).
    fn finish_reasons(&self, f: &mut dyn FnMut(&str)) {
        let _ = f;
    }
}

impl HasUsage for Usage {
    fn usage(&self) -> Option<Usage> {
        Some(*self)
    }
}

impl<T: HasUsage + ?Sized> HasUsage for &T {
    fn usage(&self) -> Option<Usage> {
        (**self).usage()
    }
    fn response_model(&self) -> Option<&str> {
        (**self).response_model()
    }
    fn response_id(&self) -> Option<&str> {
        (**self).response_id()
    }
    fn finish_reasons(&self, f: &mut dyn FnMut(&str)) {
        (**self).finish_reasons(f)
    }
}

impl<T: HasUsage> HasUsage for Option<T> {
    fn usage(&self) -> Option<Usage> {
        self.as_ref()?.usage()
    }
    fn response_model(&self) -> Option<&str> {
        self.as_ref()?.response_model()
    }
    fn response_id(&self) -> Option<&str> {
        self.as_ref()?.response_id()
    }
    fn finish_reasons(&self, f: &mut dyn FnMut(&str)) {
        if let Some(inner) = self {
            inner.finish_reasons(f);
        }
    }
}

/// The whole of a call's response, gathered from its value or from each of its stream's chunks:
/// usage merged by [`Usage::update`], and (when asked for) the response's details.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseSummary {
    /// The usage so far; `None` if nothing reported any.
    pub usage: Option<Usage>,
    /// The details, once one was asked for (boxed: most calls, without a span, never read them).
    pub details: Option<Box<ResponseDetails>>,
}

/// The span's `gen_ai.response.*` details of a response: the first model and id seen, and every
/// finish reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseDetails {
    /// `gen_ai.response.model`.
    pub model: Option<String>,
    /// `gen_ai.response.id`.
    pub id: Option<String>,
    /// `gen_ai.response.finish_reasons`, in the order reported.
    pub finish_reasons: Vec<String>,
}

impl ResponseDetails {
    /// Takes the details of a response or the next chunk.
    pub fn push<R: HasUsage + ?Sized>(&mut self, chunk: &R) {
        if self.model.is_none() {
            self.model = chunk.response_model().map(str::to_owned);
        }
        if self.id.is_none() {
            self.id = chunk.response_id().map(str::to_owned);
        }
        chunk.finish_reasons(&mut |reason| self.finish_reasons.push(reason.to_owned()));
    }
}

impl ResponseSummary {
    /// Takes the usage of a response or the next chunk; with `details`, also its model, id and
    /// finish reasons (which allocate, so they are read only when a span will show them).
    pub fn push<R: HasUsage + ?Sized>(&mut self, chunk: &R, details: bool) {
        if let Some(later) = chunk.usage() {
            self.usage.get_or_insert_with(Usage::default).update(later);
        }
        if details {
            self.details.get_or_insert_default().push(chunk);
        }
    }
}

/// Which provider's JSON shape a response or stream chunk has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonShape {
    /// OpenAI chat completion (`usage.prompt_tokens`, `usage.completion_tokens`, ...).
    OpenAiChat,
    /// Anthropic messages (`usage.input_tokens`, `usage.output_tokens`, ...).
    AnthropicMessages,
}

impl JsonShape {
    /// The usage of a response, chunk or event of this shape; `None` without a `usage` object.
    pub fn usage(self, response: &Value) -> Option<Usage> {
        match self {
            JsonShape::OpenAiChat => Some(openai_usage(
                response.get("usage").filter(|u| u.is_object())?,
            )),
            JsonShape::AnthropicMessages => {
                let usage = anthropic_message(response)
                    .get("usage")
                    .filter(|u| u.is_object())?;
                Some(anthropic_usage(usage))
            }
        }
    }
}

/// An OpenAI chat-completion response or stream chunk, as JSON.
#[derive(Clone, Copy, Debug)]
pub struct OpenAiJson<'a>(pub &'a Value);

impl HasUsage for OpenAiJson<'_> {
    fn usage(&self) -> Option<Usage> {
        JsonShape::OpenAiChat.usage(self.0)
    }
    fn response_model(&self) -> Option<&str> {
        self.0.get("model")?.as_str()
    }
    fn response_id(&self) -> Option<&str> {
        self.0.get("id")?.as_str()
    }
    fn finish_reasons(&self, f: &mut dyn FnMut(&str)) {
        let choices = self.0.get("choices").and_then(Value::as_array);
        for choice in choices.into_iter().flatten() {
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                f(reason);
            }
        }
    }
}

/// An Anthropic messages response, or an event of its stream (`message_start`, `message_delta`,
/// ...), as JSON.
#[derive(Clone, Copy, Debug)]
pub struct AnthropicJson<'a>(pub &'a Value);

impl HasUsage for AnthropicJson<'_> {
    fn usage(&self) -> Option<Usage> {
        JsonShape::AnthropicMessages.usage(self.0)
    }
    fn response_model(&self) -> Option<&str> {
        anthropic_message(self.0).get("model")?.as_str()
    }
    fn response_id(&self) -> Option<&str> {
        anthropic_message(self.0).get("id")?.as_str()
    }
    fn finish_reasons(&self, f: &mut dyn FnMut(&str)) {
        // A whole message says `stop_reason`; a `message_delta` event says `delta.stop_reason`.
        let reason = match self.0.get("type").and_then(Value::as_str) {
            Some("message_delta") => self.0.get("delta").and_then(|d| d.get("stop_reason")),
            _ => anthropic_message(self.0).get("stop_reason"),
        };
        if let Some(reason) = reason.and_then(Value::as_str) {
            f(reason);
        }
    }
}

/// The message object of an Anthropic response or event: `message_start` nests it under
/// `message`; a whole response and the other events are their own.
fn anthropic_message(value: &Value) -> &Value {
    match value.get("type").and_then(Value::as_str) {
        Some("message_start") => value.get("message").unwrap_or(value),
        _ => value,
    }
}

/// A count at `path` under `value`, if it is a non-negative integer.
fn count(value: &Value, path: &[&str]) -> Option<u64> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_u64()
}

fn openai_usage(usage: &Value) -> Usage {
    Usage {
        input: count(usage, &["prompt_tokens"]),
        output: count(usage, &["completion_tokens"]),
        cache_read: count(usage, &["prompt_tokens_details", "cached_tokens"]),
        cache_creation: None,
        reasoning: count(usage, &["completion_tokens_details", "reasoning_tokens"]),
    }
}

/// Anthropic's counts, normalised: its `input_tokens` excludes the cache, so the cache counts
/// are added to it.
fn anthropic_usage(usage: &Value) -> Usage {
    let cache_read = count(usage, &["cache_read_input_tokens"]);
    let cache_creation = count(usage, &["cache_creation_input_tokens"]);
    let cached = cache_read
        .unwrap_or(0)
        .saturating_add(cache_creation.unwrap_or(0));
    Usage {
        input: count(usage, &["input_tokens"]).map(|fresh| fresh.saturating_add(cached)),
        output: count(usage, &["output_tokens"]),
        cache_read,
        cache_creation,
        reasoning: None,
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_counts_map_as_they_are_since_prompt_tokens_include_cached_ones() {
        let response = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "o4-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0}
            }
        });
        let usage = OpenAiJson(&response).usage().unwrap();
        assert_eq!(
            usage,
            Usage {
                input: Some(2006),
                output: Some(300),
                cache_read: Some(1920),
                cache_creation: None,
                reasoning: Some(192),
            }
        );
        assert_eq!(usage.fresh_input(), Some(86));
        assert_eq!(usage.output_excluding_reasoning(), Some(108));
    }

    #[test]
    fn anthropic_input_is_the_sum_since_input_tokens_exclude_the_cache() {
        let response = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 50, "cache_creation_input_tokens": 1000,
                "cache_read_input_tokens": 4000, "output_tokens": 120
            }
        });
        let usage = AnthropicJson(&response).usage().unwrap();
        assert_eq!(
            usage,
            Usage {
                input: Some(5050),
                output: Some(120),
                cache_read: Some(4000),
                cache_creation: Some(1000),
                reasoning: None,
            }
        );
        assert_eq!(usage.fresh_input(), Some(50));
        assert_eq!(usage.output_excluding_reasoning(), Some(120));
    }

    #[test]
    fn a_missing_count_stays_missing() {
        let openai = json!({"usage": {"prompt_tokens": 10}});
        let usage = OpenAiJson(&openai).usage().unwrap();
        assert_eq!(
            usage,
            Usage {
                input: Some(10),
                ..Usage::default()
            }
        );
        assert_eq!(usage.output_excluding_reasoning(), None);
        assert_eq!(usage.fresh_input(), Some(10));

        let anthropic = json!({"usage": {"output_tokens": 7, "cache_read_input_tokens": 3}});
        let usage = AnthropicJson(&anthropic).usage().unwrap();
        assert_eq!(
            usage,
            Usage {
                input: None,
                output: Some(7),
                cache_read: Some(3),
                ..Usage::default()
            }
        );
        assert_eq!(usage.fresh_input(), None);
    }

    #[test]
    fn no_usage_object_or_bad_counts_give_nothing() {
        assert_eq!(OpenAiJson(&json!({"choices": []})).usage(), None);
        assert_eq!(OpenAiJson(&json!({"usage": null})).usage(), None);
        assert_eq!(AnthropicJson(&json!("text")).usage(), None);
        let bad = json!({"usage": {"prompt_tokens": -1, "completion_tokens": "12", "prompt_tokens_details": 5}});
        assert_eq!(OpenAiJson(&bad).usage(), Some(Usage::default()));
    }

    #[test]
    fn openai_stream_takes_the_usage_of_the_final_include_usage_chunk() {
        let chunks = [
            json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}], "usage": null}),
            json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hel"}}], "usage": null}),
            json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "lo"}}], "usage": null}),
            json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": null}),
            json!({"id": "c", "object": "chat.completion.chunk", "choices": [], "usage": {
                "prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240,
                "prompt_tokens_details": {"cached_tokens": 1024},
                "completion_tokens_details": {"reasoning_tokens": 0}
            }}),
        ];
        let mut acc = ResponseSummary::default();
        for chunk in &chunks[..4] {
            acc.push(&OpenAiJson(chunk), true);
        }
        assert_eq!(acc.usage, None);
        assert_eq!(acc.details.as_ref().unwrap().finish_reasons, ["stop"]);
        assert_eq!(acc.details.as_ref().unwrap().id.as_deref(), Some("c"));
        acc.push(&OpenAiJson(&chunks[4]), true);
        assert_eq!(
            acc.usage,
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
    fn anthropic_stream_merges_message_start_and_cumulative_message_deltas() {
        let events = [
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                "model": "claude-x", "content": [], "stop_reason": null,
                "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2048, "output_tokens": 1}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "ping"}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 15}}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 31}}),
            json!({"type": "message_stop"}),
        ];
        let mut acc = ResponseSummary::default();
        assert_eq!(acc.usage, None);
        for event in &events {
            acc.push(&AnthropicJson(event), true);
        }
        assert_eq!(
            acc.details.as_ref().unwrap().model.as_deref(),
            Some("claude-x")
        );
        assert_eq!(acc.details.as_ref().unwrap().id.as_deref(), Some("msg_1"));
        assert_eq!(
            acc.details.as_ref().unwrap().finish_reasons,
            ["end_turn", "end_turn"]
        );
        // 31, not 1 + 15 + 31: the counts are cumulative.
        assert_eq!(
            acc.usage,
            Some(Usage {
                input: Some(2073),
                output: Some(31),
                cache_read: Some(2048),
                cache_creation: Some(0),
                reasoning: None,
            })
        );
    }

    #[test]
    fn anthropic_stream_takes_cumulative_input_counts_from_message_delta_too() {
        let mut acc = ResponseSummary::default();
        acc.push(&AnthropicJson(&json!({"type": "message_start", "message": {"usage": {"input_tokens": 10, "output_tokens": 1}}})), false);
        acc.push(&AnthropicJson(&json!({"type": "message_delta", "usage": {"input_tokens": 12, "cache_read_input_tokens": 100, "output_tokens": 9}})), false);
        assert_eq!(
            acc.usage,
            Some(Usage {
                input: Some(112),
                output: Some(9),
                cache_read: Some(100),
                cache_creation: None,
                reasoning: None,
            })
        );
    }

    #[test]
    fn anthropic_stream_cut_before_message_delta_keeps_the_start_counts() {
        let mut acc = ResponseSummary::default();
        acc.push(&AnthropicJson(&json!({"type": "message_start", "message": {"usage": {"input_tokens": 10, "output_tokens": 1}}})), false);
        acc.push(&AnthropicJson(&json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}})), false);
        assert_eq!(
            acc.usage,
            Some(Usage {
                input: Some(10),
                output: Some(1),
                ..Usage::default()
            })
        );
    }
}
