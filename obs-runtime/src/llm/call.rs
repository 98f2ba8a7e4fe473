//! One `#[llm_call]` call in progress, and what it records when it ends: the GenAI families of
//! its row, and the span's `gen_ai.response.*` and `gen_ai.usage.*` attributes.
//!
//! A call that returns a value records through [`LlmCall`], the call guard's hook: the settle
//! step hands its [`Recording`] the response ([`Recording::push`]) and the guard ends it exactly once, however
//! the call ends. A call that returns a stream records through [`LlmItems`], the stream's item
//! hook: every chunk is timed and read for usage, and the stream wrapper ends it exactly once
//! (stream ended, failed, or dropped).

use tracing::Span;

use super::content::{self, CaptureMode, Captured, HasDeltas, HasMessages, StreamedOutput};
use super::rows::PER_CHUNK_RAW;
use super::rows::{Ended, Row};
use super::semconv::{self, attr};
use super::shard::LocalHistogram;
use super::site::LlmSite;
use super::usage::{HasUsage, ResponseDetails, Usage};
use crate::observed::{CallHook, ItemHook, ItemTiming, Outcome};

/// The span attributes that are lists of strings. `tracing` has no list values, so they are
/// recorded as JSON text (`["stop"]`); the OTLP span export turns them back into string arrays.
pub const LIST_ATTRIBUTES: &[&str] = &[attr::RESPONSE_FINISH_REASONS, attr::REQUEST_STOP_SEQUENCES];

/// `list` as the JSON text of a list of strings.
fn json_list<S: AsRef<str>>(list: &[S]) -> String {
    let list: Vec<&str> = list.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&list).unwrap_or_default()
}

/// The span attribute with the call's cost in US dollars (no convention defines one).
pub const COST_ATTRIBUTE: &str = "obs.llm.cost_usd";

/// `error.type` of a call that panicked.
pub const ERROR_TYPE_PANIC: &str = "panic";
/// `error.type` of a call whose future or stream was dropped before it ended.
pub const ERROR_TYPE_CANCELLED: &str = "cancelled";

/// What one call has gathered, and the recording when it ends. Kept small (it is moved into the
/// call guard, and a move of more than about 128 bytes is a `memcpy` call): what only some calls
/// need is boxed apart.
#[derive(Debug)]
pub struct Recording {
    row: &'static Row,
    span: Span,
    usage: PackedUsage,
    error_type: Option<&'static str>,
    rare: Option<Box<Rare>>,
}

/// What only some calls gather: response details (with a span), chunk times (streams), content
/// for the event (the event modes), a stream's output so far (content capture on).
#[derive(Debug, Default)]
struct Rare {
    details: ResponseDetails,
    first_chunk_nanos: Option<u64>,
    /// A stream's times between chunks, recorded into the row when the call ends.
    per_chunk: LocalHistogram,
    event: EventContent,
    streamed: Option<Box<StreamedOutput>>,
}

/// A [`Usage`] in 48 bytes instead of 80: the counts, and a bit per count that was reported
/// (bit 7: some usage was reported at all).
#[derive(Debug, Default, Clone, Copy)]
struct PackedUsage {
    counts: [u64; 5],
    present: u8,
}

impl PackedUsage {
    const REPORTED: u8 = 1 << 7;

    /// Takes a later report: each count it has replaces this one ([`Usage::update`]).
    #[inline]
    fn update(&mut self, later: Usage) {
        let counts = [
            later.input,
            later.output,
            later.cache_read,
            later.cache_creation,
            later.reasoning,
        ];
        for (i, count) in counts.into_iter().enumerate() {
            if let Some(count) = count {
                self.counts[i] = count;
                self.present |= 1 << i;
            }
        }
        self.present |= Self::REPORTED;
    }

    /// The usage, or `None` when nothing reported any.
    #[inline]
    fn get(&self) -> Option<Usage> {
        if self.present & Self::REPORTED == 0 {
            return None;
        }
        let at = |i: usize| (self.present & (1 << i) != 0).then_some(self.counts[i]);
        Some(Usage {
            input: at(0),
            output: at(1),
            cache_read: at(2),
            cache_creation: at(3),
            reasoning: at(4),
        })
    }
}

/// Captured content waiting for the `gen_ai.client.inference.operation.details` event.
#[derive(Debug, Default)]
struct EventContent {
    input: Option<Captured>,
    output: Option<Captured>,
}

impl LlmSite {
    /// Starts a call of `model`: finds its row, and names `span` `{operation} {model}` with the
    /// request model recorded. Always inlined, so the recording is built in the call guard.
    #[inline(always)]
    pub fn start(&'static self, model: &str, span: &Span) -> Recording {
        if !span.is_disabled() {
            span.record("otel.name", format!("{} {model}", self.operation));
            span.record(attr::REQUEST_MODEL, model);
        }
        Recording {
            row: self.row(model),
            span: span.clone(),
            usage: PackedUsage::default(),
            error_type: None,
            rare: None,
        }
    }
}

impl Recording {
    /// Takes what a response, or the next chunk of a stream, reports.
    #[inline]
    pub fn push<R: HasUsage + ?Sized>(&mut self, response: &R) {
        if let Some(usage) = response.usage() {
            self.usage.update(usage);
        }
        if self.details() {
            self.rare().details.push(response);
        }
    }

    /// Whether the span is recorded (so response details are worth gathering).
    #[inline]
    fn details(&self) -> bool {
        !self.span.is_disabled()
    }

    /// The rarely needed parts, made on first use.
    #[inline]
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_default()
    }

    /// Captures the input messages `view` gives, if content capture is on (`mode`, else the
    /// process-wide mode): on the span now, and for the event when the call ends.
    pub fn capture_input<V: HasMessages + ?Sized>(&mut self, mode: Option<CaptureMode>, view: &V) {
        if let Some(captured) = content::capture_input(mode, view) {
            if captured.on_span() && self.details() {
                self.span
                    .record(content::INPUT_MESSAGES, captured.messages.as_str());
                if let Some(system) = &captured.system_instructions {
                    self.span
                        .record(content::SYSTEM_INSTRUCTIONS, system.as_str());
                }
            }
            if captured.on_event() {
                self.rare().event.input = Some(captured);
            }
        }
    }

    /// Captures the output messages `view` gives, as [`capture_input`](Self::capture_input).
    pub fn capture_output<V: HasMessages + ?Sized>(&mut self, mode: Option<CaptureMode>, view: &V) {
        if let Some(captured) = content::capture_output(mode, view) {
            self.record_output(captured);
        }
    }

    /// Records captured output: on the span now, and for the event when the call ends.
    fn record_output(&mut self, captured: Captured) {
        if captured.on_span() && self.details() {
            self.span
                .record(content::OUTPUT_MESSAGES, captured.messages.as_str());
        }
        if captured.on_event() {
            self.rare().event.output = Some(captured);
        }
    }

    /// Starts gathering a stream's output messages from its chunks ([`push_deltas`]), if content
    /// capture is on (`mode`, else the process-wide mode) and the content has somewhere to go:
    /// the mode is read here, once per call. They are recorded when the call ends, however it
    /// ends, with what arrived.
    ///
    /// [`push_deltas`]: Self::push_deltas
    pub fn capture_streamed_output(&mut self, mode: Option<CaptureMode>) {
        let mode = content::effective_mode(mode);
        if mode.on_event() || (mode.on_span() && self.details()) {
            let output = StreamedOutput::new(mode, content::global());
            self.rare().streamed = Some(Box::new(output));
        }
    }

    /// Whether a stream's output is being gathered ([`capture_streamed_output`] started it).
    ///
    /// [`capture_streamed_output`]: Self::capture_streamed_output
    #[inline]
    pub fn captures_streamed_output(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.streamed.is_some())
    }

    /// Takes the pieces of the answer a stream's chunk carries, when its output is being
    /// gathered; nothing otherwise.
    #[inline]
    pub fn push_deltas<V: HasDeltas + ?Sized>(&mut self, chunk: &V) {
        if let Some(output) = self.rare.as_mut().and_then(|r| r.streamed.as_mut()) {
            output.push_chunk(chunk);
        }
    }

    /// Sets the `error.type` of a call that ends in `error` (default: `_OTHER`).
    pub fn error_type(&mut self, error_type: &'static str) {
        self.error_type = Some(error_type);
    }

    /// Records the call: it ended with `outcome` after `nanos` nanoseconds.
    fn finish(&mut self, outcome: Outcome, nanos: u64) {
        let row = self.row;
        let error_type = match outcome {
            Outcome::Ok => None,
            Outcome::Error => Some(self.error_type.unwrap_or(semconv::ERROR_TYPE_OTHER)),
            Outcome::Panic => Some(ERROR_TYPE_PANIC),
            Outcome::Cancelled => Some(ERROR_TYPE_CANCELLED),
        };
        let cost = row.record_call(&Ended {
            nanos,
            error_type,
            ok: outcome == Outcome::Ok,
            usage: self.usage.get(),
            first_chunk_nanos: self.rare.as_ref().and_then(|r| r.first_chunk_nanos),
            per_chunk: self.rare.as_ref().map(|r| &r.per_chunk),
        });
        if self.details() {
            self.record_on_span(error_type, cost);
        }
        if let Some(streamed) = self.rare.as_mut().and_then(|r| r.streamed.take()) {
            self.record_streamed_output(*streamed);
        }
        if let Some(rare) = &self.rare
            && (rare.event.input.is_some() || rare.event.output.is_some())
        {
            self.emit_event(&rare.event);
        }
        // The span closes when the call ends, not when the stream holding this is dropped.
        self.span = Span::none();
    }

    #[cold]
    fn record_streamed_output(&mut self, output: StreamedOutput) {
        if let Some(captured) = output.finish() {
            self.record_output(captured);
        }
    }

    #[cold]
    fn emit_event(&self, event: &EventContent) {
        let row = self.row;
        self.span.in_scope(|| {
            content::emit_event(
                row.operation,
                row.provider,
                Some(&row.model),
                event.input.as_ref(),
                event.output.as_ref(),
            )
        });
    }

    #[cold]
    fn record_on_span(&self, error_type: Option<&'static str>, cost: Option<f64>) {
        let span = &self.span;
        if let Some(details) = self.rare.as_ref().map(|r| &r.details) {
            if let Some(model) = &details.model {
                span.record(attr::RESPONSE_MODEL, model.as_str());
            }
            if let Some(id) = &details.id {
                span.record(attr::RESPONSE_ID, id.as_str());
            }
            if !details.finish_reasons.is_empty() {
                span.record(
                    attr::RESPONSE_FINISH_REASONS,
                    json_list(&details.finish_reasons).as_str(),
                );
            }
        }
        if let Some(usage) = self.usage.get() {
            for (name, count) in [
                (attr::USAGE_INPUT_TOKENS, usage.input),
                (attr::USAGE_OUTPUT_TOKENS, usage.output),
                (attr::USAGE_CACHE_READ_INPUT_TOKENS, usage.cache_read),
                (
                    attr::USAGE_CACHE_CREATION_INPUT_TOKENS,
                    usage.cache_creation,
                ),
                (attr::USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning),
            ] {
                if let Some(count) = count {
                    span.record(name, as_i64(count));
                }
            }
        }
        if let Some(nanos) = self.rare.as_ref().and_then(|r| r.first_chunk_nanos) {
            span.record(attr::RESPONSE_TIME_TO_FIRST_CHUNK, nanos as f64 / 1e9);
        }
        if let Some(cost) = cost {
            span.record(COST_ATTRIBUTE, cost);
        }
        if let Some(error_type) = error_type {
            span.record(attr::ERROR_TYPE, error_type);
            if error_type != ERROR_TYPE_CANCELLED {
                span.record("otel.status_code", "ERROR");
            }
        }
    }
}

/// The call guard's hook of an `#[llm_call]` function returning a value.
#[derive(Debug)]
pub struct LlmCall(pub Recording);

impl CallHook for LlmCall {
    const ACTIVE: bool = true;

    fn on_end(mut self, outcome: Outcome, nanos: u64) {
        self.0.finish(outcome, nanos);
    }
}

/// The item hook of an `#[llm_call(stream)]` function: times each chunk and reads it with `read`
/// (which pushes what the chunk reports into the recording); with `error_kind`, the item that
/// fails the call names its `error.type` through `kind`.
pub struct LlmItems<F, K = NoErrorKind> {
    recording: Recording,
    read: F,
    kind: K,
}

/// No `error.type` from stream items: a failed stream is `_OTHER`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoErrorKind;

/// The `error.type` of a stream item, when it is an error of a known kind.
pub trait ItemErrorKind<T> {
    /// The kind of `item`'s error, or `None`.
    fn kind_of(&mut self, item: &T) -> Option<&'static str>;
}

impl<T> ItemErrorKind<T> for NoErrorKind {
    #[inline(always)]
    fn kind_of(&mut self, _: &T) -> Option<&'static str> {
        None
    }
}

impl<T, K: FnMut(&T) -> Option<&'static str>> ItemErrorKind<T> for K {
    #[inline]
    fn kind_of(&mut self, item: &T) -> Option<&'static str> {
        self(item)
    }
}

impl<F, K> std::fmt::Debug for LlmItems<F, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmItems")
            .field("recording", &self.recording)
            .finish_non_exhaustive()
    }
}

impl<F> LlmItems<F> {
    /// The hook for the stream `_stream`, whose items `read` reads (the stream is passed only so
    /// that `read`'s argument type is inferred from its items).
    pub fn new<S: futures_core::Stream>(_stream: &S, recording: Recording, read: F) -> Self
    where
        F: FnMut(&S::Item, &mut Recording),
    {
        Self {
            recording,
            read,
            kind: NoErrorKind,
        }
    }

    /// The hook, with the `error.type` of the item that fails the call read by `kind` (the
    /// stream is passed only so that `kind`'s argument type is inferred from its items).
    pub fn error_kinds<S, K>(self, _stream: &S, kind: K) -> LlmItems<F, K>
    where
        S: futures_core::Stream,
        K: FnMut(&S::Item) -> Option<&'static str>,
    {
        LlmItems {
            recording: self.recording,
            read: self.read,
            kind,
        }
    }
}

impl<T, F: FnMut(&T, &mut Recording), K: ItemErrorKind<T>> ItemHook<T> for LlmItems<F, K> {
    const TIMED: bool = true;

    /// Never fails the call itself (`#[observed]`'s classification does); names the error's
    /// kind for the call that it fails.
    #[inline]
    fn fails(&mut self, item: &T, _span: &Span) -> bool {
        if let Some(kind) = self.kind.kind_of(item) {
            self.recording.error_type(kind);
        }
        false
    }

    #[inline]
    fn on_item(&mut self, item: &T, timing: ItemTiming) {
        if timing.index() == 0 {
            self.recording.rare().first_chunk_nanos = Some(timing.since_start_nanos());
        } else {
            self.recording
                .rare()
                .per_chunk
                .observe_raw(&*PER_CHUNK_RAW, timing.since_previous_raw());
        }
        (self.read)(item, &mut self.recording);
    }

    fn on_end(&mut self, outcome: Outcome, nanos: u64, _span: &Span) {
        self.recording.finish(outcome, nanos);
    }
}

/// The `Ok` value of a return value or stream item that is a `Result`, or the value itself:
/// `(&&OkProbe(&value)).obs_ok()`, chosen by type where the macro expands.
#[derive(Debug)]
pub struct OkProbe<'a, T>(pub &'a T);

/// [`OkProbe`] of a `Result`: its `Ok` value.
pub trait OkOfResult<'a> {
    /// The `Ok` type.
    type Ok: ?Sized;
    /// The `Ok` value, or `None` for an `Err`.
    fn obs_ok(&self) -> Option<&'a Self::Ok>;
}

impl<'a, T, E> OkOfResult<'a> for &OkProbe<'a, Result<T, E>> {
    type Ok = T;
    #[inline(always)]
    fn obs_ok(&self) -> Option<&'a T> {
        self.0.as_ref().ok()
    }
}

/// [`OkProbe`] of any other value: the value itself.
pub trait OkOfOther<'a> {
    /// The value's type.
    type Ok: ?Sized;
    /// The value.
    fn obs_ok(&self) -> Option<&'a Self::Ok>;
}

impl<'a, T> OkOfOther<'a> for OkProbe<'a, T> {
    type Ok = T;
    #[inline(always)]
    fn obs_ok(&self) -> Option<&'a T> {
        Some(self.0)
    }
}

/// A request parameter recorded on the span (`gen_ai.request.temperature`, ...): numbers,
/// `bool`, strings, `Option`s of them (`None` records nothing) and lists of strings (stop
/// sequences, recorded as a list).
pub trait RequestValue {
    /// Records the value as `field` of `span`.
    fn record_on(&self, span: &Span, field: &'static str);
}

macro_rules! request_value {
    ($($t:ty),*) => {$(
        impl RequestValue for $t {
            fn record_on(&self, span: &Span, field: &'static str) {
                span.record(field, *self);
            }
        }
    )*};
}
request_value!(f64, i64, bool);

macro_rules! request_value_as {
    ($($t:ty => $as:ty),*) => {$(
        impl RequestValue for $t {
            fn record_on(&self, span: &Span, field: &'static str) {
                span.record(field, <$as>::from(*self));
            }
        }
    )*};
}
request_value_as!(f32 => f64, u32 => i64, u16 => i64, u8 => i64, i32 => i64, i16 => i64);

// Unsigned integers are recorded as `i64`: OpenTelemetry attributes have no unsigned type, and
// tracing-opentelemetry turns a `u64` field into a string.
impl RequestValue for u64 {
    fn record_on(&self, span: &Span, field: &'static str) {
        span.record(field, as_i64(*self));
    }
}

impl RequestValue for usize {
    fn record_on(&self, span: &Span, field: &'static str) {
        span.record(field, as_i64(*self as u64));
    }
}

/// `n` as an `i64`, saturating.
fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl RequestValue for str {
    fn record_on(&self, span: &Span, field: &'static str) {
        span.record(field, self);
    }
}

impl RequestValue for String {
    fn record_on(&self, span: &Span, field: &'static str) {
        span.record(field, self.as_str());
    }
}

impl<T: RequestValue> RequestValue for Option<T> {
    fn record_on(&self, span: &Span, field: &'static str) {
        if let Some(value) = self {
            value.record_on(span, field);
        }
    }
}

impl<T: RequestValue + ?Sized> RequestValue for &T {
    fn record_on(&self, span: &Span, field: &'static str) {
        (**self).record_on(span, field);
    }
}

impl<S: AsRef<str>> RequestValue for [S] {
    fn record_on(&self, span: &Span, field: &'static str) {
        span.record(field, json_list(self).as_str());
    }
}

impl<S: AsRef<str>> RequestValue for Vec<S> {
    fn record_on(&self, span: &Span, field: &'static str) {
        self.as_slice().record_on(span, field);
    }
}

/// Records `value` as the request parameter `field` of `span`.
#[inline]
pub fn record_request<V: RequestValue + ?Sized>(span: &Span, field: &'static str, value: &V) {
    value.record_on(span, field);
}
