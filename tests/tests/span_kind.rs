//! `#[observed(kind = "...")]` puts OpenTelemetry's span kind on the span as `otel.kind`, the field
//! tracing-opentelemetry reads, on both ways a span is built (with and without `fields(...)`).

use std::sync::{Arc, Mutex};

use obs_runtime::observed;
use tracing::field::{Field, Visit};
use tracing::span;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// A span's name and its `otel.kind`, if any.
type Seen = (String, Option<String>);

/// Every new span's name and kind.
#[derive(Clone, Default)]
struct Kinds(Arc<Mutex<Vec<Seen>>>);

struct KindField(Option<String>);

impl Visit for KindField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "otel.kind" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "otel.kind" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Kinds {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, _: &span::Id, _: Context<'_, S>) {
        let mut kind = KindField(None);
        attrs.record(&mut kind);
        let name = attrs.metadata().name().to_owned();
        self.0.lock().unwrap().push((name, kind.0));
    }
}

#[observed(kind = "server")]
fn handle() {}

#[observed(kind = "client", record(model))]
async fn call_provider(model: &str) -> usize {
    model.len()
}

#[observed(kind = "producer", fields(queue = "jobs"))]
fn enqueue() {}

#[observed]
fn internal_by_default() {}

#[test]
fn the_span_kind_is_recorded_as_otel_kind() {
    let kinds = Kinds::default();
    let subscriber = tracing_subscriber::registry().with(kinds.clone());
    tracing::subscriber::with_default(subscriber, || {
        handle();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(call_provider("gpt-4o")), 6);
        enqueue();
        internal_by_default();
    });
    let seen = kinds.0.lock().unwrap().clone();
    let kind_of = |suffix: &str| {
        seen.iter()
            .find(|(name, _)| name.ends_with(suffix))
            .unwrap_or_else(|| panic!("no span {suffix} in {seen:?}"))
            .1
            .clone()
    };
    assert_eq!(kind_of("::handle").as_deref(), Some("server"));
    assert_eq!(kind_of("::call_provider").as_deref(), Some("client"));
    assert_eq!(kind_of("::enqueue").as_deref(), Some("producer"));
    assert_eq!(kind_of("::internal_by_default"), None);
}
