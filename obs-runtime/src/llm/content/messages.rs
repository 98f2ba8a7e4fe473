//! Messages in the conventions' structured form ([`Message`], [`Part`]), what can give them
//! ([`HasMessages`]), and their JSON, every string redacted.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::redact::Redactor;

/// One message: an input message (`gen_ai.input.messages`) or a generated choice
/// (`gen_ai.output.messages`, with its finish reason).
#[derive(Clone, Debug, PartialEq)]
pub struct Message<'a> {
    /// Who wrote it: `system`, `user`, `assistant`, `tool`, or the provider's own role.
    pub role: Cow<'a, str>,
    /// Its content, in order.
    pub parts: Vec<Part<'a>>,
    /// The participant's name, when the request gives one.
    pub name: Option<Cow<'a, str>>,
    /// Why generation stopped; output messages only (serialised as `""` when unknown, since the
    /// conventions require it there).
    pub finish_reason: Option<Cow<'a, str>>,
}

impl<'a> Message<'a> {
    /// A message of `role` made of `parts`.
    pub fn new(role: impl Into<Cow<'a, str>>, parts: Vec<Part<'a>>) -> Self {
        Message {
            role: role.into(),
            parts,
            name: None,
            finish_reason: None,
        }
    }

    /// A message of `role` holding one text part.
    pub fn text(role: impl Into<Cow<'a, str>>, text: impl Into<Cow<'a, str>>) -> Self {
        Message::new(role, vec![Part::Text(text.into())])
    }

    /// The same message with a finish reason.
    pub fn with_finish_reason(mut self, reason: impl Into<Cow<'a, str>>) -> Self {
        self.finish_reason = Some(reason.into());
        self
    }
}

/// One part of a message, as the conventions' schema types it.
#[derive(Clone, Debug, PartialEq)]
pub enum Part<'a> {
    /// Text (`type: "text"`, `content`).
    Text(Cow<'a, str>),
    /// Reasoning or thinking text the model returned (`type: "reasoning"`, `content`).
    Reasoning(Cow<'a, str>),
    /// A tool call the model asked for (`type: "tool_call"`).
    ToolCall {
        /// The call's id.
        id: Option<Cow<'a, str>>,
        /// The tool's name.
        name: Cow<'a, str>,
        /// The arguments, as JSON.
        arguments: Option<Cow<'a, Value>>,
    },
    /// A tool's result sent to the model (`type: "tool_call_response"`).
    ToolCallResponse {
        /// The id of the call it answers.
        id: Option<Cow<'a, str>>,
        /// The result, as JSON (a string for a text result).
        response: Cow<'a, Value>,
    },
    /// Data referenced by URI (`type: "uri"`).
    Uri {
        /// `image`, `audio`, `video`.
        modality: Cow<'a, str>,
        /// The IANA media type, when known.
        mime_type: Option<Cow<'a, str>>,
        /// The URI.
        uri: Cow<'a, str>,
    },
    /// Inline data, base64 (`type: "blob"`).
    Blob {
        /// `image`, `audio`, `video`.
        modality: Cow<'a, str>,
        /// The IANA media type, when known.
        mime_type: Option<Cow<'a, str>>,
        /// The base64 data.
        content: Cow<'a, str>,
    },
    /// A part of another type, recorded by its type only (a generic part).
    Other(Cow<'a, str>),
}

/// Something that can give the messages of a call: a request (input messages and system
/// instructions) or a response (output messages). Every method defaults to giving nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not give its messages",
    label = "`obs_runtime::llm::content::HasMessages` is not implemented for this type",
    note = "implement `HasMessages` for it, or wrap provider JSON in `OpenAiJson` or `AnthropicJson`"
)]
pub trait HasMessages {
    /// Pushes the system instructions given apart from the chat history
    /// (`gen_ai.system_instructions`, such as Anthropic's `system`).
    fn system_instructions<'s>(&'s self, out: &mut Vec<Part<'s>>) {
        let _ = out;
    }

    /// Pushes the input messages, in the order they were sent (`gen_ai.input.messages`).
    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        let _ = out;
    }

    /// Pushes the output messages, one per choice (`gen_ai.output.messages`).
    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        let _ = out;
    }
}

impl<T: HasMessages + ?Sized> HasMessages for &T {
    fn system_instructions<'s>(&'s self, out: &mut Vec<Part<'s>>) {
        (**self).system_instructions(out);
    }

    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        (**self).input_messages(out);
    }

    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        (**self).output_messages(out);
    }
}

impl<T: HasMessages> HasMessages for Option<T> {
    fn system_instructions<'s>(&'s self, out: &mut Vec<Part<'s>>) {
        if let Some(inner) = self {
            inner.system_instructions(out);
        }
    }

    fn input_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        if let Some(inner) = self {
            inner.input_messages(out);
        }
    }

    fn output_messages<'s>(&'s self, out: &mut Vec<Message<'s>>) {
        if let Some(inner) = self {
            inner.output_messages(out);
        }
    }
}

/// `message` as the conventions' JSON, every string redacted; `output` adds the finish reason.
pub(crate) fn message_json(message: &Message<'_>, redactor: &dyn Redactor, output: bool) -> Value {
    let mut object = Map::new();
    object.insert(
        "role".into(),
        Value::String(message.role.clone().into_owned()),
    );
    let parts = message
        .parts
        .iter()
        .map(|p| part_json(p, redactor))
        .collect();
    object.insert("parts".into(), Value::Array(parts));
    if let Some(name) = &message.name {
        object.insert("name".into(), text(name, redactor));
    }
    if output {
        let reason = message.finish_reason.as_deref().unwrap_or("");
        object.insert("finish_reason".into(), Value::String(reason.to_owned()));
    }
    Value::Object(object)
}

/// `part` as the conventions' JSON, every string redacted.
pub(crate) fn part_json(part: &Part<'_>, redactor: &dyn Redactor) -> Value {
    match part {
        Part::Text(content) => json!({"type": "text", "content": text(content, redactor)}),
        Part::Reasoning(content) => {
            json!({"type": "reasoning", "content": text(content, redactor)})
        }
        Part::ToolCall {
            id,
            name,
            arguments,
        } => {
            let mut object = json!({"type": "tool_call", "name": text(name, redactor)});
            if let Some(id) = id {
                object["id"] = text(id, redactor);
            }
            if let Some(arguments) = arguments {
                object["arguments"] = structured(arguments, redactor);
            }
            object
        }
        Part::ToolCallResponse { id, response } => {
            let mut object =
                json!({"type": "tool_call_response", "response": structured(response, redactor)});
            if let Some(id) = id {
                object["id"] = text(id, redactor);
            }
            object
        }
        Part::Uri {
            modality,
            mime_type,
            uri,
        } => {
            let mut object =
                json!({"type": "uri", "modality": modality, "uri": text(uri, redactor)});
            if let Some(mime) = mime_type {
                object["mime_type"] = Value::String(mime.clone().into_owned());
            }
            object
        }
        Part::Blob {
            modality,
            mime_type,
            content,
        } => {
            // Base64 holds no secret the default rules could find; scanning it costs time.
            let mut object = json!({"type": "blob", "modality": modality, "content": content});
            if let Some(mime) = mime_type {
                object["mime_type"] = Value::String(mime.clone().into_owned());
            }
            object
        }
        Part::Other(kind) => json!({ "type": kind }),
    }
}

fn text(text: &str, redactor: &dyn Redactor) -> Value {
    Value::String(redactor.redact(text).into_owned())
}

/// A JSON value with its strings redacted, then its JSON text redacted too, so that rules that
/// need a key and its value (`"api_key": "..."`) see them together. When the redacted text is no
/// longer JSON (a rule cut through its syntax), the string-by-string result stands.
fn structured(value: &Value, redactor: &dyn Redactor) -> Value {
    let leaves = redact_leaves(value, redactor);
    if !(leaves.is_object() || leaves.is_array()) {
        return leaves;
    }
    let serialised = leaves.to_string();
    match redactor.redact(&serialised) {
        Cow::Borrowed(_) => leaves,
        Cow::Owned(redacted) => serde_json::from_str(&redacted).unwrap_or(leaves),
    }
}

fn redact_leaves(value: &Value, redactor: &dyn Redactor) -> Value {
    match value {
        Value::String(s) => text(s, redactor),
        Value::Array(items) => items.iter().map(|v| redact_leaves(v, redactor)).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_leaves(v, redactor)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::redact::{NoRedaction, RuleRedactor};
    use super::*;

    #[test]
    fn structured_values_are_redacted_by_key_and_by_leaf() {
        let args = json!({"password": "hunter22", "note": "mail bob@example.com", "n": 3});
        assert_eq!(
            structured(&args, &RuleRedactor::default()),
            json!({"password": "[REDACTED:secret]", "note": "mail [REDACTED:email]", "n": 3})
        );
        assert_eq!(structured(&args, &NoRedaction), args);
    }
}
