//! Capture of message content for `#[llm_call]`: input and output messages in the GenAI
//! conventions' structured form, redacted and truncated, on the span and/or the
//! `gen_ai.client.inference.operation.details` event. Off by default.
//!
//! # Turning it on
//!
//! [`ENV_VAR`] (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`) selects a [`CaptureMode`]:
//! `NO_CONTENT` (the default), `SPAN_ONLY`, `EVENT_ONLY` or `SPAN_AND_EVENT`, read once, when
//! content is first asked for, unless [`configure`] set the process-wide [`ContentCapture`]
//! first. A mode given per call (the attribute's) takes precedence over the process-wide one.
//! With [`CaptureMode::NoContent`] the capture functions return `None` after one atomic load:
//! the message view is not read and nothing is allocated.
//!
//! # What is captured
//!
//! [`capture_input`] / [`capture_output`] read a [`HasMessages`] view (ready for
//! [`OpenAiJson`](crate::llm::OpenAiJson), [`AnthropicJson`](crate::llm::AnthropicJson), `str`
//! and `String`), pass every string through the [`Redactor`] (by default [`RuleRedactor`]: API
//! keys, bearer tokens, authorization headers, secret assignments, emails), and fit each JSON
//! array into [`ContentCapture::max_bytes`] (default [`DEFAULT_MAX_BYTES`]), cutting long strings
//! and then dropping whole messages, with visible markers, never splitting a character and never
//! leaving invalid JSON. The result, a [`Captured`], holds the JSON text of the attributes
//! [`INPUT_MESSAGES`], [`OUTPUT_MESSAGES`] and [`SYSTEM_INSTRUCTIONS`]: `tracing` has no
//! structured field values, so the conventions' "JSON string" form is used on spans and events
//! alike. [`emit_event`] emits the event for the event modes.
//!
//! # Streams
//!
//! A streamed answer arrives in pieces. A chunk type that implements [`HasDeltas`] (ready for
//! [`OpenAiJson`](crate::llm::OpenAiJson) chat-completion chunks,
//! [`AnthropicJson`](crate::llm::AnthropicJson) stream events and, with the `async-openai`
//! feature, that crate's stream chunk) gives them as [`Delta`]s: per choice, the role, text and
//! reasoning to append, tool-call pieces and the finish reason. `#[llm_call(stream, output =
//! View)]` joins them per choice while the stream runs, only when the call's mode (read once, when
//! the call starts) captures content, and turns what arrived into [`OUTPUT_MESSAGES`] when the
//! call ends: when the stream ends, fails, or is dropped. Each string is redacted joined, so a
//! secret split across chunks is still found. What is kept is bounded by the size limit: past
//! it, pieces are no longer kept, and the text ends in the truncation marker counting what was
//! not shown.
//!
//! # Source
//!
//! Field names and the event name were read from `open-telemetry/semantic-conventions` at commit
//! `953276ff4d0404cdddb515e7418e6a2cf43c2b0b`, the commit [`semconv`](crate::llm::semconv) cites:
//! `docs/gen-ai/gen-ai-input-messages.json`, `gen-ai-output-messages.json` and
//! `gen-ai-system-instructions.json` (the schemas: `role`, `parts`, `name`, `finish_reason`; the
//! part types `text`, `reasoning`, `tool_call`, `tool_call_response`, `uri`, `blob` and the
//! generic part), `model/gen-ai/registry.yaml` (the three attributes; system instructions only
//! when the API takes them apart from the chat history) and `model/gen-ai/events.yaml` (the event
//! name). The schemas in `open-telemetry/semantic-conventions-genai`
//! (`model/gen-ai/gen-ai-output-messages.json`, version `ae14c021`) since made `finish_reason`
//! optional and deprecated; it is still written here, as the older schema requires. The
//! environment variable and its four values are not in the conventions: they follow
//! `opentelemetry-python-contrib`'s `util/opentelemetry-util-genai` (README), the reference
//! implementation.
//!
//! # Size limit
//!
//! [`DEFAULT_MAX_BYTES`] is 16 KiB per attribute: a few thousand tokens of prompt or answer, with
//! JSON overhead, while a span carrying input, output and instructions stays well below the
//! sizes at which exporters and backends start to drop or cut attributes (OpenTelemetry Java's
//! GenAI instrumentation caps content at 8,192 characters by default).

mod deltas;
mod messages;
mod mode;
mod providers;
mod redact;
mod streamed;
mod truncate;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

pub use deltas::{Delta, HasDeltas};
pub use messages::{HasMessages, Message, Part};
pub use mode::{CaptureMode, ContentError, ENV_VAR};
pub use redact::{
    AuthorizationHeader, BearerToken, Email, MARKER_PREFIX, NoRedaction, PrefixedKey, Redactor,
    Rule, RuleRedactor, SecretAssignment,
};

pub(crate) use streamed::StreamedOutput;
use truncate::Shape;

/// The span and event attribute holding the input messages.
pub const INPUT_MESSAGES: &str = "gen_ai.input.messages";
/// The span and event attribute holding the output messages.
pub const OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
/// The span and event attribute holding system instructions given apart from the messages.
pub const SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
/// The name of the event that carries content in the event modes.
pub const EVENT_NAME: &str = "gen_ai.client.inference.operation.details";

/// The default size limit of each captured attribute's JSON, in bytes (see the module docs).
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024;
/// The smallest accepted size limit: room for the stand-in that counts what was dropped.
pub const MIN_MAX_BYTES: usize = 512;

/// How content is captured: the mode, the size limit of each attribute's JSON, and the redactor.
#[derive(Clone)]
pub struct ContentCapture {
    mode: CaptureMode,
    max_bytes: usize,
    redactor: Arc<dyn Redactor>,
}

impl std::fmt::Debug for ContentCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentCapture")
            .field("mode", &self.mode)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for ContentCapture {
    /// Capture off, [`DEFAULT_MAX_BYTES`], the default [`RuleRedactor`].
    fn default() -> Self {
        ContentCapture::new(CaptureMode::NoContent)
    }
}

impl ContentCapture {
    /// `mode`, with [`DEFAULT_MAX_BYTES`] and the default [`RuleRedactor`].
    pub fn new(mode: CaptureMode) -> Self {
        ContentCapture {
            mode,
            max_bytes: DEFAULT_MAX_BYTES,
            redactor: Arc::new(RuleRedactor::default()),
        }
    }

    /// The mode [`ENV_VAR`] selects, with the defaults; an error for a value that is not a mode.
    pub fn from_env() -> Result<Self, ContentError> {
        CaptureMode::from_env().map(ContentCapture::new)
    }

    /// The same with each attribute's JSON limited to `max_bytes` (at least [`MIN_MAX_BYTES`]).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Result<Self, ContentError> {
        if max_bytes < MIN_MAX_BYTES {
            return Err(ContentError::MaxBytesTooSmall {
                max_bytes,
                min: MIN_MAX_BYTES,
            });
        }
        self.max_bytes = max_bytes;
        Ok(self)
    }

    /// The same with `redactor` instead of the default one (to add a rule to the defaults, pass
    /// `RuleRedactor::default().with_rule(...)`).
    pub fn with_redactor(mut self, redactor: impl Redactor + 'static) -> Self {
        self.redactor = Arc::new(redactor);
        self
    }

    /// The mode used when a call gives none.
    pub fn mode(&self) -> CaptureMode {
        self.mode
    }

    /// The size limit of each attribute's JSON, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The system instructions and input messages of `view`, redacted and fitted, when
    /// `mode_override` (else this configuration's mode) captures content and the view gives any.
    pub fn capture_input<V: HasMessages + ?Sized>(
        &self,
        mode_override: Option<CaptureMode>,
        view: &V,
    ) -> Option<Captured> {
        let mode = mode_override.unwrap_or(self.mode);
        if !mode.is_on() {
            return None;
        }
        let (mut messages, mut system) = (Vec::new(), Vec::new());
        view.input_messages(&mut messages);
        view.system_instructions(&mut system);
        if messages.is_empty() && system.is_empty() {
            return None;
        }
        let redactor = &*self.redactor;
        let items = messages
            .iter()
            .map(|m| messages::message_json(m, redactor, false))
            .collect();
        let fitted = truncate::fit(items, Shape::Input, self.max_bytes);
        let instructions = (!system.is_empty()).then(|| {
            let parts = system.iter().map(|p| messages::part_json(p, redactor));
            truncate::fit(parts.collect(), Shape::Instructions, self.max_bytes)
        });
        let truncated = fitted.truncated || instructions.as_ref().is_some_and(|i| i.truncated);
        Some(Captured {
            mode,
            messages: fitted.json,
            system_instructions: instructions.map(|i| i.json),
            truncated,
            dropped: fitted.dropped,
        })
    }

    /// The output messages of `view`, redacted and fitted, when `mode_override` (else this
    /// configuration's mode) captures content and the view gives any.
    pub fn capture_output<V: HasMessages + ?Sized>(
        &self,
        mode_override: Option<CaptureMode>,
        view: &V,
    ) -> Option<Captured> {
        let mode = mode_override.unwrap_or(self.mode);
        if !mode.is_on() {
            return None;
        }
        let mut messages = Vec::new();
        view.output_messages(&mut messages);
        self.fit_output(mode, &messages)
    }

    /// `messages` as the output of a call captured in `mode` (on), redacted and fitted; `None`
    /// when there are none.
    fn fit_output(&self, mode: CaptureMode, messages: &[Message<'_>]) -> Option<Captured> {
        if messages.is_empty() {
            return None;
        }
        let items = messages
            .iter()
            .map(|m| messages::message_json(m, &*self.redactor, true))
            .collect();
        let fitted = truncate::fit(items, Shape::Output, self.max_bytes);
        Some(Captured {
            mode,
            messages: fitted.json,
            system_instructions: None,
            truncated: fitted.truncated,
            dropped: fitted.dropped,
        })
    }
}

/// Captured content of one side of a call, ready to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// Where it goes.
    pub mode: CaptureMode,
    /// The JSON array of [`INPUT_MESSAGES`] or [`OUTPUT_MESSAGES`] (`[]` when the input had only
    /// system instructions).
    pub messages: String,
    /// The JSON array of [`SYSTEM_INSTRUCTIONS`], for input that gave them apart.
    pub system_instructions: Option<String>,
    /// Whether any string was cut or message dropped to fit the size limit.
    pub truncated: bool,
    /// How many whole messages were dropped (also counted in the JSON).
    pub dropped: usize,
}

impl Captured {
    /// Whether it goes on the span.
    pub fn on_span(&self) -> bool {
        self.mode.on_span()
    }

    /// Whether it goes on the event.
    pub fn on_event(&self) -> bool {
        self.mode.on_event()
    }
}

const MODE_UNSET: u8 = u8::MAX;
/// The process-wide mode as `CaptureMode as u8`, or unset until first read or configured.
static MODE: AtomicU8 = AtomicU8::new(MODE_UNSET);
static CONFIG: RwLock<Option<Arc<ContentCapture>>> = RwLock::new(None);
static FROM_ENV: OnceLock<Arc<ContentCapture>> = OnceLock::new();

/// Sets the process-wide content capture, replacing the one read from [`ENV_VAR`] (calls already
/// capturing finish with the old one).
pub fn configure(capture: ContentCapture) {
    let mode = capture.mode;
    *CONFIG.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(capture));
    MODE.store(mode as u8, Ordering::Release);
}

/// The process-wide mode: the [`configure`]d one, else [`ENV_VAR`]'s (read once; a value that is
/// not a mode leaves capture off). One atomic load after the first call.
pub fn global_mode() -> CaptureMode {
    let mode = MODE.load(Ordering::Acquire);
    if mode != MODE_UNSET {
        return CaptureMode::ALL[usize::from(mode)];
    }
    let from_env = from_env().mode;
    let _ = MODE.compare_exchange(
        MODE_UNSET,
        from_env as u8,
        Ordering::AcqRel,
        Ordering::Acquire,
    );
    CaptureMode::ALL[usize::from(MODE.load(Ordering::Acquire))]
}

/// The process-wide configuration: the [`configure`]d one, else the one [`ENV_VAR`] selects.
pub fn global() -> Arc<ContentCapture> {
    let configured = CONFIG
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    configured.unwrap_or_else(|| Arc::clone(from_env()))
}

/// The mode of a call: `mode_override` (the attribute's) when given, else [`global_mode`].
pub fn effective_mode(mode_override: Option<CaptureMode>) -> CaptureMode {
    mode_override.unwrap_or_else(global_mode)
}

fn from_env() -> &'static Arc<ContentCapture> {
    FROM_ENV.get_or_init(|| Arc::new(ContentCapture::from_env().unwrap_or_default()))
}

/// What `#[llm_call]` calls with the request: [`ContentCapture::capture_input`] under the
/// process-wide configuration. `mode_override` is the attribute's mode, if it gives one. Returns
/// `None`, without reading `view`, when the mode is [`CaptureMode::NoContent`].
pub fn capture_input<V: HasMessages + ?Sized>(
    mode_override: Option<CaptureMode>,
    view: &V,
) -> Option<Captured> {
    let mode = effective_mode(mode_override);
    mode.is_on().then(global)?.capture_input(Some(mode), view)
}

/// What `#[llm_call]` calls with the response: [`ContentCapture::capture_output`] under the
/// process-wide configuration. `mode_override` is the attribute's mode, if it gives one. Returns
/// `None`, without reading `view`, when the mode is [`CaptureMode::NoContent`].
pub fn capture_output<V: HasMessages + ?Sized>(
    mode_override: Option<CaptureMode>,
    view: &V,
) -> Option<Captured> {
    let mode = effective_mode(mode_override);
    mode.is_on().then(global)?.capture_output(Some(mode), view)
}

/// Emits the [`EVENT_NAME`] event (level INFO, inside the current span) with the operation,
/// provider and request model, and whichever of `input` and `output` go on the event
/// ([`Captured::on_event`]), as the fields [`INPUT_MESSAGES`], [`SYSTEM_INSTRUCTIONS`] and
/// [`OUTPUT_MESSAGES`]. Emits nothing, and returns `false`, when neither does.
pub fn emit_event(
    operation: &str,
    provider: &str,
    request_model: Option<&str>,
    input: Option<&Captured>,
    output: Option<&Captured>,
) -> bool {
    let input = input.filter(|c| c.on_event());
    let output = output.filter(|c| c.on_event());
    if input.is_none() && output.is_none() {
        return false;
    }
    tracing::event!(
        name: "gen_ai.client.inference.operation.details",
        tracing::Level::INFO,
        gen_ai.operation.name = operation,
        gen_ai.provider.name = provider,
        gen_ai.request.model = request_model,
        gen_ai.system_instructions = input.and_then(|c| c.system_instructions.as_deref()),
        gen_ai.input.messages = input.map(|c| c.messages.as_str()),
        gen_ai.output.messages = output.map(|c| c.messages.as_str()),
    );
    true
}

#[cfg(test)]
mod tests;
