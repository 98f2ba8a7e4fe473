use std::sync::Mutex;

use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use super::*;
use crate::llm::{AnthropicJson, OpenAiJson};

/// A view whose every method panics: reading it at all fails the test.
struct Untouchable;

impl HasMessages for Untouchable {
    fn system_instructions<'s>(&'s self, _: &mut Vec<Part<'s>>) {
        panic!("system instructions read");
    }
    fn input_messages<'s>(&'s self, _: &mut Vec<Message<'s>>) {
        panic!("input read");
    }
    fn output_messages<'s>(&'s self, _: &mut Vec<Message<'s>>) {
        panic!("output read");
    }
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("valid JSON")
}

#[test]
fn off_by_default_nothing_is_read_or_built() {
    let capture = ContentCapture::default();
    assert_eq!(capture.mode(), CaptureMode::NoContent);
    assert_eq!(capture.capture_input(None, &Untouchable), None);
    assert_eq!(capture.capture_output(None, &Untouchable), None);
    // A call's own `NoContent` turns capture off under an enabled configuration.
    let on = ContentCapture::new(CaptureMode::SpanAndEvent);
    assert_eq!(
        on.capture_input(Some(CaptureMode::NoContent), &Untouchable),
        None
    );
}

#[test]
fn the_global_mode_is_configured_and_a_call_mode_takes_precedence() {
    // The only test that touches the process-wide configuration.
    configure(ContentCapture::new(CaptureMode::NoContent));
    assert_eq!(global_mode(), CaptureMode::NoContent);
    assert_eq!(effective_mode(None), CaptureMode::NoContent);
    assert_eq!(
        effective_mode(Some(CaptureMode::SpanOnly)),
        CaptureMode::SpanOnly
    );
    assert_eq!(capture_input(None, &Untouchable), None);
    assert_eq!(capture_output(None, &Untouchable), None);
    let forced = capture_input(Some(CaptureMode::SpanOnly), "hello").unwrap();
    assert!(forced.on_span() && !forced.on_event());

    configure(ContentCapture::new(CaptureMode::EventOnly).with_redactor(NoRedaction));
    assert_eq!(global_mode(), CaptureMode::EventOnly);
    let out = capture_output(None, "mail a@b.io").unwrap();
    assert_eq!(out.mode, CaptureMode::EventOnly);
    assert_eq!(
        parse(&out.messages),
        json!([{"role": "assistant", "parts": [{"type": "text", "content": "mail a@b.io"}], "finish_reason": "stop"}])
    );
    assert_eq!(
        capture_input(Some(CaptureMode::NoContent), &Untouchable),
        None
    );
    configure(ContentCapture::default());
    assert_eq!(capture_input(None, &Untouchable), None);
}

#[test]
fn captured_content_is_redacted_and_truncated_json_that_parses() {
    let long = "lorem ipsum ".repeat(400);
    let request = json!({"messages": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": format!("I am jane@example.com, key sk-proj-Ab12Cd34Ef56Gh78Ij90. {long}")}
    ]});
    let capture = ContentCapture::new(CaptureMode::SpanAndEvent)
        .with_max_bytes(1024)
        .unwrap();
    let captured = capture.capture_input(None, &OpenAiJson(&request)).unwrap();
    assert!(captured.messages.len() <= 1024);
    assert!(captured.truncated);
    assert_eq!(captured.dropped, 0);
    let messages = parse(&captured.messages);
    assert_eq!(messages[0]["parts"][0]["content"], "Answer briefly.");
    let user = messages[1]["parts"][0]["content"].as_str().unwrap();
    assert!(
        user.starts_with("I am [REDACTED:email], key [REDACTED:openai_api_key]. lorem ipsum"),
        "{user}"
    );
    assert!(user.contains("…[truncated "), "{user}");
    assert!(!captured.messages.contains("jane@") && !captured.messages.contains("sk-proj"));
}

#[test]
fn anthropic_system_goes_to_system_instructions() {
    let request = json!({
        "system": "You are terse. Contact ops@example.org.",
        "messages": [{"role": "user", "content": "Hi"}]
    });
    let captured = ContentCapture::new(CaptureMode::SpanOnly)
        .capture_input(None, &AnthropicJson(&request))
        .unwrap();
    assert_eq!(
        parse(captured.system_instructions.as_deref().unwrap()),
        json!([{"type": "text", "content": "You are terse. Contact [REDACTED:email]."}])
    );
    assert_eq!(
        parse(&captured.messages),
        json!([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])
    );
}

#[test]
fn a_view_without_messages_captures_nothing() {
    let empty = json!({"model": "gpt"});
    let on = ContentCapture::new(CaptureMode::SpanAndEvent);
    assert_eq!(on.capture_input(None, &OpenAiJson(&empty)), None);
    assert_eq!(on.capture_output(None, &AnthropicJson(&empty)), None);
}

#[test]
fn a_size_limit_below_the_minimum_is_an_error() {
    let err = ContentCapture::default().with_max_bytes(100).unwrap_err();
    assert_eq!(
        err,
        ContentError::MaxBytesTooSmall {
            max_bytes: 100,
            min: MIN_MAX_BYTES
        }
    );
    assert_eq!(
        ContentCapture::default()
            .with_max_bytes(MIN_MAX_BYTES)
            .unwrap()
            .max_bytes(),
        MIN_MAX_BYTES
    );
}

/// An event's name and its fields, as strings.
type Recorded = (String, Vec<(String, String)>);

/// Records each event's name and string fields.
#[derive(Default)]
struct Events(Mutex<Vec<Recorded>>);

impl Subscriber for &'static Events {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        struct Fields(Vec<(String, String)>);
        impl Visit for Fields {
            fn record_str(&mut self, field: &Field, value: &str) {
                self.0.push((field.name().to_owned(), value.to_owned()));
            }
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                self.0.push((field.name().to_owned(), format!("{value:?}")));
            }
        }
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        let name = event.metadata().name().to_owned();
        self.0.lock().unwrap().push((name, fields.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn the_event_carries_the_content_of_the_event_modes_only() {
    let events: &'static Events = Box::leak(Box::default());
    let capture = ContentCapture::new(CaptureMode::SpanAndEvent);
    let input = capture.capture_input(None, "Hi").unwrap();
    let output = capture.capture_output(None, "Hello").unwrap();
    let span_only = ContentCapture::new(CaptureMode::SpanOnly)
        .capture_output(None, "Hello")
        .unwrap();
    tracing::subscriber::with_default(events, || {
        assert!(emit_event(
            "chat",
            "openai",
            Some("gpt-4o"),
            Some(&input),
            Some(&output)
        ));
        assert!(!emit_event("chat", "openai", None, None, Some(&span_only)));
    });
    let events = events.0.lock().unwrap();
    assert_eq!(events.len(), 1);
    let (name, fields) = &events[0];
    assert_eq!(name, EVENT_NAME);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("gen_ai.operation.name"), Some("chat"));
    assert_eq!(field("gen_ai.provider.name"), Some("openai"));
    assert_eq!(field("gen_ai.request.model"), Some("gpt-4o"));
    assert_eq!(field(INPUT_MESSAGES), Some(input.messages.as_str()));
    assert_eq!(field(OUTPUT_MESSAGES), Some(output.messages.as_str()));
    assert_eq!(field(SYSTEM_INSTRUCTIONS), None);
}
