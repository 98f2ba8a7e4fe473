//! JSON structured logs (feature `logs`): one JSON object per line with timestamp, level,
//! target, message, fields, the fields of the spans it happened in, and the current
//! `trace_id` / `span_id` when spans are exported (feature `otlp`). Values of sensitive fields
//! (`password`, `api_key`, `token`, `secret`, `authorization`, and any you add) are masked, and
//! so are bearer tokens and `sk-...` keys wherever they appear in a value or message.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED]";

/// Field names whose values are always masked (compared case-insensitively, `-` read as `_`).
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    "password",
    "api_key",
    "apikey",
    "token",
    "secret",
    "authorization",
];

/// Masks sensitive values.
#[derive(Debug, Clone)]
pub struct Redactor {
    fields: Vec<String>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new(DEFAULT_SENSITIVE_FIELDS.iter().copied())
    }
}

impl Redactor {
    /// A redactor masking the fields named in `fields` (and the value patterns).
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            fields: fields.into_iter().map(normalize).collect(),
        }
    }

    /// Also masks fields named `name`.
    pub fn with_field(mut self, name: &str) -> Self {
        self.fields.push(normalize(name));
        self
    }

    /// Whether a field of this name is masked whole.
    pub fn is_sensitive(&self, field: &str) -> bool {
        let field = normalize(field);
        self.fields
            .iter()
            .any(|f| field == *f || field.ends_with(&format!("_{f}")))
    }

    /// `text` with bearer tokens and `sk-...` keys masked.
    pub fn mask_patterns(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        loop {
            let bearer = find_ci(rest, "bearer ");
            let key = find_key(rest);
            let next = match (bearer, key) {
                (Some(b), Some(k)) => Some(if b.0 <= k.0 { b } else { k }),
                (b, k) => b.or(k),
            };
            let Some((start, secret_start)) = next else {
                out.push_str(rest);
                return out;
            };
            let secret_len = rest[secret_start..]
                .find(|c: char| !is_token_char(c))
                .unwrap_or(rest.len() - secret_start);
            if secret_len == 0 {
                out.push_str(&rest[..secret_start]);
                rest = &rest[secret_start..];
                continue;
            }
            out.push_str(&rest[..start]);
            out.push_str(&rest[start..secret_start]);
            out.push_str(REDACTED);
            rest = &rest[secret_start + secret_len..];
        }
    }

    fn value(&self, field: &str, value: Value) -> Value {
        if self.is_sensitive(field) {
            return Value::String(REDACTED.into());
        }
        match value {
            Value::String(s) => Value::String(self.mask_patterns(&s)),
            other => other,
        }
    }
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
}

/// `(match start, secret start)` of the first case-insensitive `needle`.
fn find_ci(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    let lower = haystack.to_ascii_lowercase();
    lower.find(needle).map(|i| (i, i + needle.len()))
}

/// `(match start, secret start)` of the first `sk-` key (at least 8 key characters, not inside a
/// word).
fn find_key(haystack: &str) -> Option<(usize, usize)> {
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(i) = haystack[from..].find("sk-").map(|i| i + from) {
        let starts_word = i == 0 || !(bytes[i - 1] as char).is_ascii_alphanumeric();
        let len = haystack[i + 3..]
            .find(|c: char| !is_token_char(c))
            .unwrap_or(haystack.len() - i - 3);
        if starts_word && len >= 8 {
            return Some((i, i + 3));
        }
        from = i + 3;
    }
    None
}

/// Collects an event's or span's fields as JSON values.
struct Fields<'a> {
    map: &'a mut Map<String, Value>,
    message: Option<String>,
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.put(field, Value::String(text));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
}

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.map.insert(field.name().to_owned(), value);
        }
    }
}

/// A span's recorded fields, kept in its extensions for the events inside it.
struct SpanFields(Map<String, Value>);

/// The JSON log layer; see the module docs.
pub struct JsonLayer<W> {
    writer: Mutex<W>,
    redactor: Redactor,
    /// The subscriber this layer is part of, to read span contexts while an event is being
    /// dispatched (when `dispatcher::get_default` answers with no subscriber).
    dispatch: std::sync::OnceLock<tracing::dispatcher::WeakDispatch>,
}

impl<W> std::fmt::Debug for JsonLayer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLayer")
            .field("redactor", &self.redactor)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> JsonLayer<W> {
    /// Writes lines to `writer`, masking with `redactor`.
    pub fn new(writer: W, redactor: Redactor) -> Self {
        Self {
            writer: Mutex::new(writer),
            redactor,
            dispatch: std::sync::OnceLock::new(),
        }
    }
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Write + Send + 'static,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut map = Map::new();
        attrs.record(&mut Fields {
            map: &mut map,
            message: None,
        });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(map));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut Fields {
                map: &mut fields.0,
                message: None,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        let mut visitor = Fields {
            map: &mut fields,
            message: None,
        };
        event.record(&mut visitor);
        let message = visitor.message.take().unwrap_or_default();
        let fields: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| {
                let v = self.redactor.value(&k, v);
                (k, v)
            })
            .collect();

        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::String(crate::time::rfc3339(std::time::SystemTime::now())),
        );
        line.insert(
            "level".into(),
            Value::String(event.metadata().level().as_str().to_owned()),
        );
        line.insert(
            "target".into(),
            Value::String(event.metadata().target().to_owned()),
        );
        line.insert(
            "message".into(),
            Value::String(self.redactor.mask_patterns(&message)),
        );
        line.insert("fields".into(), Value::Object(fields));
        if let Some(scope) = ctx.event_scope(event) {
            let spans: Vec<Value> = scope
                .from_root()
                .map(|span| {
                    let mut entry = Map::new();
                    entry.insert("name".into(), Value::String(span.name().to_owned()));
                    if let Some(f) = span.extensions().get::<SpanFields>() {
                        for (k, v) in &f.0 {
                            entry.insert(k.clone(), self.redactor.value(k, v.clone()));
                        }
                    }
                    Value::Object(entry)
                })
                .collect();
            if !spans.is_empty() {
                line.insert("spans".into(), Value::Array(spans));
            }
        }
        #[cfg(feature = "otlp")]
        if let Some(span) = ctx.event_span(event)
            && let Some(dispatch) = self.dispatch.get().and_then(|d| d.upgrade())
            && let Some((trace_id, span_id)) = otel_ids(&span.id(), &dispatch)
        {
            line.insert("trace_id".into(), Value::String(trace_id));
            line.insert("span_id".into(), Value::String(span_id));
        }
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writer.write_all(text.as_bytes());
    }
}

/// The trace and span ids of span `id`, when spans go through OpenTelemetry.
#[cfg(feature = "otlp")]
fn otel_ids(id: &tracing::span::Id, dispatch: &tracing::Dispatch) -> Option<(String, String)> {
    use opentelemetry::trace::TraceContextExt;
    let cx = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_fields() {
        let r = Redactor::default().with_field("ssn");
        for f in [
            "password",
            "API_KEY",
            "api-key",
            "db_password",
            "Authorization",
            "ssn",
        ] {
            assert!(r.is_sensitive(f), "{f}");
        }
        for f in ["user", "model", "tokens_used"] {
            assert!(!r.is_sensitive(f), "{f}");
        }
    }

    #[test]
    fn patterns() {
        let r = Redactor::default();
        assert_eq!(
            r.mask_patterns("auth: Bearer abc.def-123 ok"),
            "auth: Bearer [REDACTED] ok"
        );
        assert_eq!(
            r.mask_patterns("key=sk-proj-AbCdEf123456 and sk-ant-XYZ12345678"),
            "key=sk-[REDACTED] and sk-[REDACTED]"
        );
        assert_eq!(
            r.mask_patterns("task-sk-1 desk-top sk-short"),
            "task-sk-1 desk-top sk-short"
        );
        assert_eq!(r.mask_patterns("nothing here"), "nothing here");
    }
}
