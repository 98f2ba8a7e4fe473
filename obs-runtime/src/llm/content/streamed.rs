//! The output of a streamed call, gathered from its chunks' [`Delta`]s while content capture is
//! on: per choice, its role, its parts in the order they began (text and reasoning joined, each
//! tool call joined by its index) and its last finish reason. When the call ends, however it ends,
//! what arrived becomes the output messages, through the same redaction and size limit as a
//! returned response's. Redaction sees each string joined, never piece by piece, so a secret split
//! across chunks is still found.
//!
//! # Bounded
//!
//! Memory is bounded by the size limit: the pieces' bytes stop being kept once all the strings
//! together hold `max_bytes` + [`CLIP_SLACK`] bytes (a new choice or part costs [`PIECE_COST`]
//! bytes of that too, so a stream of tiny pieces cannot grow without bound either). A string that
//! lost bytes is, when the call ends, redacted as kept, then its last [`CLIP_SLACK`] bytes are
//! not shown either (a secret cut at the limit may be too short for the redactor to recognise)
//! and it ends in the truncation marker, counting every byte not shown; the capture is marked
//! truncated.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value;

use super::deltas::{Delta, HasDeltas};
use super::messages::{Message, Part};
use super::providers::parse_arguments;
use super::redact::Redactor;
use super::truncate::{floor_boundary, marked};
use super::{CaptureMode, Captured, ContentCapture};

/// Bytes kept beyond the size limit, and then not shown, at the end of a string cut at the limit.
/// Longer than the partial match of any default redaction rule that could leak.
pub(crate) const CLIP_SLACK: usize = 256;
/// Bytes of the budget a new choice or part costs.
pub(crate) const PIECE_COST: usize = 32;
/// The longest role or finish reason kept (they are short words; a longer one is not kept).
const LABEL_MAX: usize = 64;

/// The output of one streamed call so far (see the module docs).
#[derive(Debug)]
pub(crate) struct StreamedOutput {
    mode: CaptureMode,
    config: Arc<ContentCapture>,
    budget: Budget,
    choices: Vec<Choice>,
}

/// What may still be kept.
#[derive(Debug)]
struct Budget {
    left: usize,
    /// Whether anything was not kept.
    clipped: bool,
}

#[derive(Debug)]
struct Choice {
    index: u32,
    role: Option<Box<str>>,
    parts: Vec<Piece>,
    finish_reason: Option<Box<str>>,
}

#[derive(Debug)]
enum Piece {
    Joined(Joined, Clip),
    ToolCall {
        index: u32,
        id: Clip,
        name: Clip,
        arguments: Clip,
    },
}

/// What a joined part is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Joined {
    Text,
    Reasoning,
}

/// A string joined from pieces, and how many bytes of them were not kept.
#[derive(Debug, Default)]
struct Clip {
    kept: String,
    unseen: usize,
}

impl Budget {
    /// Takes `cost` bytes, if there are that many left.
    fn charge(&mut self, cost: usize) -> bool {
        if self.left >= cost {
            self.left -= cost;
            true
        } else {
            self.clipped = true;
            false
        }
    }
}

impl Clip {
    /// Appends `piece`, as much of it as the budget allows; once a piece was not kept whole,
    /// nothing more is (the kept text is always a prefix of the whole).
    fn push(&mut self, piece: &str, budget: &mut Budget) {
        if self.unseen == 0 && piece.len() <= budget.left {
            self.kept.push_str(piece);
            budget.left -= piece.len();
            return;
        }
        let keep = if self.unseen == 0 {
            floor_boundary(piece, budget.left)
        } else {
            0
        };
        self.kept.push_str(&piece[..keep]);
        budget.left -= keep;
        self.unseen += piece.len() - keep;
        budget.clipped = true;
    }

    /// The text to show: as kept, or, when bytes were not kept, redacted, without its last
    /// [`CLIP_SLACK`] bytes, and marked.
    fn text(&self, redactor: &dyn Redactor) -> Cow<'_, str> {
        if self.unseen == 0 {
            return Cow::Borrowed(&self.kept);
        }
        let redacted = redactor.redact(&self.kept);
        let keep = floor_boundary(&redacted, redacted.len().saturating_sub(CLIP_SLACK));
        let hidden = redacted.len() - keep;
        Cow::Owned(marked(&redacted[..keep], self.unseen + hidden))
    }
}

impl StreamedOutput {
    /// Nothing yet, to be captured in `mode` (on) under `config`.
    pub(crate) fn new(mode: CaptureMode, config: Arc<ContentCapture>) -> Self {
        let left = config.max_bytes.saturating_add(CLIP_SLACK);
        StreamedOutput {
            mode,
            config,
            budget: Budget {
                left,
                clipped: false,
            },
            choices: Vec::new(),
        }
    }

    /// Takes the pieces of the next chunk.
    pub(crate) fn push_chunk<V: HasDeltas + ?Sized>(&mut self, chunk: &V) {
        chunk.deltas(&mut |at, delta| self.push(at, delta));
    }

    /// Takes one piece of choice `at`.
    pub(crate) fn push(&mut self, at: u32, delta: Delta<'_>) {
        let budget = &mut self.budget;
        let Some(choice) = choice_at(&mut self.choices, budget, at) else {
            return;
        };
        match delta {
            Delta::Role(role) => {
                if choice.role.is_none() {
                    choice.role = label(role, budget);
                }
            }
            Delta::FinishReason(reason) => choice.finish_reason = label(reason, budget),
            Delta::Text(text) => append(&mut choice.parts, budget, Joined::Text, text),
            Delta::Reasoning(text) => append(&mut choice.parts, budget, Joined::Reasoning, text),
            Delta::ToolCall {
                index,
                id,
                name,
                arguments,
            } => {
                let Some(Piece::ToolCall {
                    id: call_id,
                    name: call_name,
                    arguments: call_arguments,
                    ..
                }) = tool_call_at(&mut choice.parts, budget, index)
                else {
                    return;
                };
                for (clip, piece) in [
                    (call_id, id),
                    (call_name, name),
                    (call_arguments, arguments),
                ] {
                    if let Some(piece) = piece {
                        clip.push(piece, budget);
                    }
                }
            }
        }
    }

    /// The output messages of what arrived, one per choice in index order, redacted and fitted;
    /// `None` when nothing did.
    pub(crate) fn finish(mut self) -> Option<Captured> {
        self.choices.sort_by_key(|c| c.index);
        let redactor = &*self.config.redactor;
        let messages: Vec<Message<'_>> = self.choices.iter().map(|c| c.message(redactor)).collect();
        let mut captured = self.config.fit_output(self.mode, &messages)?;
        captured.truncated |= self.budget.clipped;
        Some(captured)
    }
}

/// Appends `text` to the last part if it is a `kind` part, else to a new one (if the budget
/// allows).
fn append(parts: &mut Vec<Piece>, budget: &mut Budget, kind: Joined, text: &str) {
    if text.is_empty() {
        return;
    }
    if !matches!(parts.last(), Some(Piece::Joined(k, _)) if *k == kind) {
        if !budget.charge(PIECE_COST) {
            return;
        }
        parts.push(Piece::Joined(kind, Clip::default()));
    }
    if let Some(Piece::Joined(_, clip)) = parts.last_mut() {
        clip.push(text, budget);
    }
}

/// The choice numbered `at`, added if the budget allows.
fn choice_at<'c>(
    choices: &'c mut Vec<Choice>,
    budget: &mut Budget,
    at: u32,
) -> Option<&'c mut Choice> {
    match choices.iter().position(|c| c.index == at) {
        Some(i) => Some(&mut choices[i]),
        None => {
            if !budget.charge(PIECE_COST) {
                return None;
            }
            choices.push(Choice {
                index: at,
                role: None,
                parts: Vec::new(),
                finish_reason: None,
            });
            choices.last_mut()
        }
    }
}

/// The tool call numbered `index` among `parts`, added if the budget allows.
fn tool_call_at<'p>(
    parts: &'p mut Vec<Piece>,
    budget: &mut Budget,
    index: u32,
) -> Option<&'p mut Piece> {
    let found = parts
        .iter()
        .rposition(|p| matches!(p, Piece::ToolCall { index: i, .. } if *i == index));
    match found {
        Some(i) => Some(&mut parts[i]),
        None => {
            if !budget.charge(PIECE_COST) {
                return None;
            }
            parts.push(Piece::ToolCall {
                index,
                id: Clip::default(),
                name: Clip::default(),
                arguments: Clip::default(),
            });
            parts.last_mut()
        }
    }
}

/// A role or finish reason to keep, if it is short.
fn label(text: &str, budget: &mut Budget) -> Option<Box<str>> {
    if text.len() <= LABEL_MAX {
        Some(text.into())
    } else {
        budget.clipped = true;
        None
    }
}

impl Choice {
    fn message<'s>(&'s self, redactor: &dyn Redactor) -> Message<'s> {
        let parts = self
            .parts
            .iter()
            .map(|piece| match piece {
                Piece::Joined(Joined::Text, clip) => Part::Text(clip.text(redactor)),
                Piece::Joined(Joined::Reasoning, clip) => Part::Reasoning(clip.text(redactor)),
                Piece::ToolCall {
                    id,
                    name,
                    arguments,
                    ..
                } => Part::ToolCall {
                    id: (!id.kept.is_empty()).then(|| id.text(redactor)),
                    name: name.text(redactor),
                    arguments: tool_arguments(arguments, redactor),
                },
            })
            .collect();
        let mut message = Message::new(self.role.as_deref().unwrap_or("assistant"), parts);
        message.finish_reason = self.finish_reason.as_deref().map(Cow::Borrowed);
        message
    }
}

/// Joined arguments: parsed when whole (kept as the string when they do not parse, as for a
/// returned response), the marked string when cut; none when nothing arrived.
fn tool_arguments<'s>(arguments: &'s Clip, redactor: &dyn Redactor) -> Option<Cow<'s, Value>> {
    if arguments.unseen == 0 {
        return (!arguments.kept.is_empty()).then(|| parse_arguments(&arguments.kept));
    }
    Some(Cow::Owned(Value::String(
        arguments.text(redactor).into_owned(),
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::redact::NoRedaction;
    use super::*;
    use crate::llm::{AnthropicJson, OpenAiJson};

    fn config(max_bytes: usize) -> Arc<ContentCapture> {
        let config = ContentCapture::new(CaptureMode::SpanAndEvent);
        Arc::new(config.with_max_bytes(max_bytes).unwrap())
    }

    fn openai_chunk(choices: Value) -> Value {
        json!({"object": "chat.completion.chunk", "model": "gpt-x", "choices": choices})
    }

    fn output(captured: &Captured) -> Value {
        serde_json::from_str(&captured.messages).expect("valid JSON")
    }

    /// The bytes the strings of `out` keep.
    fn kept_bytes(out: &StreamedOutput) -> usize {
        let clips = out
            .choices
            .iter()
            .flat_map(|c| &c.parts)
            .flat_map(|p| match p {
                Piece::Joined(_, c) => vec![c],
                Piece::ToolCall {
                    id,
                    name,
                    arguments,
                    ..
                } => vec![id, name, arguments],
            });
        clips.map(|c| c.kept.len()).sum()
    }

    #[test]
    fn openai_chunks_join_per_choice_with_roles_tool_calls_and_finish_reasons() {
        let chunks = [
            openai_chunk(json!([
                {"index": 0, "delta": {"role": "assistant", "content": ""}},
                {"index": 1, "delta": {"role": "assistant", "content": ""}}
            ])),
            openai_chunk(json!([{"index": 1, "delta": {"content": "Bon"}}])),
            openai_chunk(json!([{"index": 0, "delta": {"content": "Hel"}}])),
            openai_chunk(json!([{"index": 0, "delta": {"content": "lo"}}])),
            openai_chunk(
                json!([{"index": 1, "delta": {"content": "jour", "tool_calls": [
                    {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get", "arguments": "{\"ci"}}
                ]}}]),
            ),
            openai_chunk(json!([{"index": 1, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": "ty\":\"Paris\"}"}}
            ]}, "finish_reason": "tool_calls"}])),
            openai_chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])),
            json!({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}),
        ];
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, config(4096));
        for chunk in &chunks {
            out.push_chunk(&OpenAiJson(chunk));
        }
        let captured = out.finish().unwrap();
        assert_eq!(captured.mode, CaptureMode::SpanOnly);
        assert!(!captured.truncated);
        assert_eq!(
            output(&captured),
            json!([
                {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"},
                {"role": "assistant", "parts": [
                    {"type": "text", "content": "Bonjour"},
                    {"type": "tool_call", "id": "call_1", "name": "get", "arguments": {"city": "Paris"}}
                ], "finish_reason": "tool_call"}
            ])
        );
    }

    #[test]
    fn anthropic_events_join_into_one_message_of_blocks() {
        let events = [
            json!({"type": "message_start", "message": {"id": "msg_1", "role": "assistant", "content": [], "usage": {"input_tokens": 5}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Need "}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "the tool."}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Checking"}}),
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": "}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "\"Oslo\"}"}}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}),
            json!({"type": "message_stop"}),
        ];
        let mut out = StreamedOutput::new(CaptureMode::EventOnly, config(4096));
        for event in &events {
            out.push_chunk(&AnthropicJson(event));
        }
        assert_eq!(
            output(&out.finish().unwrap()),
            json!([{"role": "assistant", "parts": [
                {"type": "reasoning", "content": "Need the tool."},
                {"type": "text", "content": "Checking"},
                {"type": "tool_call", "id": "toolu_1", "name": "weather", "arguments": {"city": "Oslo"}}
            ], "finish_reason": "tool_call"}])
        );
    }

    #[test]
    fn a_secret_split_across_chunks_is_redacted_joined() {
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, config(4096));
        for piece in [
            "Your key: sk-proj-AbCd",
            "Ef0123456789AbCdEf0123",
            " and mail bo",
            "b@example.com",
        ] {
            out.push(0, Delta::Text(piece));
        }
        let text = output(&out.finish().unwrap())[0]["parts"][0]["content"].clone();
        assert_eq!(
            text,
            "Your key: [REDACTED:openai_api_key] and mail [REDACTED:email]"
        );
    }

    #[test]
    fn nothing_arrived_gives_nothing() {
        let out = StreamedOutput::new(CaptureMode::SpanOnly, config(4096));
        assert_eq!(out.finish(), None);
    }

    #[test]
    fn a_long_stream_keeps_a_bounded_prefix_and_the_marker_counts_the_rest() {
        let max = 1024;
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, config(max));
        let piece = "0123456789".repeat(10);
        let chunks = 10_000;
        for _ in 0..chunks {
            out.push(0, Delta::Text(&piece));
        }
        out.push(0, Delta::FinishReason("length"));
        assert!(kept_bytes(&out) <= max + CLIP_SLACK, "{}", kept_bytes(&out));
        let captured = out.finish().unwrap();
        assert!(captured.truncated);
        assert!(captured.messages.len() <= max);
        let message = &output(&captured)[0];
        assert_eq!(message["finish_reason"], "length");
        let text = message["parts"][0]["content"].as_str().unwrap();
        let (shown, rest) = text.split_once("…[truncated ").expect("a marker");
        let count: usize = rest.strip_suffix(" bytes]").unwrap().parse().unwrap();
        assert!(piece.repeat(chunks).starts_with(shown));
        assert!(shown.len() > max / 2, "{}", shown.len());
        assert_eq!(shown.len() + count, piece.len() * chunks);
    }

    #[test]
    fn a_secret_cut_at_the_limit_is_not_shown() {
        let max = 1024;
        // Two choices and their text parts leave this many bytes for text.
        let room = max + CLIP_SLACK - 4 * PIECE_COST;
        // The first choice's text takes all but 100 bytes; the second's key starts 10 bytes
        // before the room ends, and the 10 bytes kept are too short for the redaction rule. The
        // second text is short, so fitting the JSON does not cut it: only hiding the end of a
        // clipped text keeps the start of the key out.
        let first = "a".repeat(room - 100);
        let second = format!(
            "{} sk-proj-AbCdEf0123456789AbCdEf0123456789 more",
            "b".repeat(89)
        );
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, config(max));
        out.push(0, Delta::Text(&first));
        for piece in second.as_bytes().chunks(7) {
            out.push(1, Delta::Text(std::str::from_utf8(piece).unwrap()));
        }
        assert_eq!(kept_bytes(&out), room);
        let captured = out.finish().unwrap();
        assert!(
            !captured.messages.contains("sk-proj"),
            "{}",
            captured.messages
        );
        let shown = &output(&captured)[1]["parts"][0]["content"];
        assert_eq!(*shown, marked("", second.len()), "{}", captured.messages);
    }

    #[test]
    fn endless_new_choices_and_tool_calls_stay_bounded() {
        let max = 1024;
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, config(max));
        for i in 0..100_000 {
            out.push(i, Delta::Role("assistant"));
            out.push(
                0,
                Delta::ToolCall {
                    index: i,
                    id: None,
                    name: Some("t"),
                    arguments: None,
                },
            );
        }
        let pieces: usize = out.choices.iter().map(|c| 1 + c.parts.len()).sum();
        assert!(pieces <= (max + CLIP_SLACK) / PIECE_COST, "{pieces}");
        let captured = out.finish().unwrap();
        assert!(captured.truncated);
        assert!(captured.messages.len() <= max);
    }

    #[test]
    fn a_cut_tool_call_keeps_its_arguments_as_marked_text() {
        let max = 1024;
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, config(max));
        out.push(
            0,
            Delta::ToolCall {
                index: 0,
                id: Some("call_1"),
                name: Some("write"),
                arguments: Some("{\"body\": \""),
            },
        );
        for _ in 0..100 {
            out.push(
                0,
                Delta::ToolCall {
                    index: 0,
                    id: None,
                    name: None,
                    arguments: Some(&"x".repeat(100)),
                },
            );
        }
        let captured = out.finish().unwrap();
        let part = &output(&captured)[0]["parts"][0];
        assert_eq!(part["name"], "write");
        let arguments = part["arguments"].as_str().expect("arguments as text");
        assert!(arguments.starts_with("{\"body\": \"xxx"), "{arguments}");
        assert!(arguments.ends_with(" bytes]"), "{arguments}");
    }

    #[test]
    fn the_redactor_of_the_configuration_is_used() {
        let config = ContentCapture::new(CaptureMode::SpanOnly).with_redactor(NoRedaction);
        let mut out = StreamedOutput::new(CaptureMode::SpanOnly, Arc::new(config));
        out.push(0, Delta::Text("bob@example.com"));
        assert!(out.finish().unwrap().messages.contains("bob@example.com"));
    }
}
