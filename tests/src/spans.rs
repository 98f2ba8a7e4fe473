//! A `tracing` layer that keeps every span it sees (name, parent, fields, events, whether it
//! closed), for tests that check what an annotated function recorded on its span.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::span;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as a test subscriber saw it.
#[derive(Debug, Clone, Default)]
pub struct SeenSpan {
    /// The span's name.
    pub name: String,
    /// Its parent's name.
    pub parent: Option<String>,
    /// Its fields as text, as recorded at creation and later.
    pub fields: BTreeMap<String, String>,
    /// The fields of each event inside it.
    pub events: Vec<BTreeMap<String, String>>,
    /// The subscriber saw the span close (its last handle dropped).
    pub closed: bool,
}

#[derive(Default)]
struct FieldText(BTreeMap<String, String>);

impl tracing::field::Visit for FieldText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Collects every span (with its parent, fields and events) into a shared list.
#[derive(Clone, Default)]
pub struct Collect(pub Arc<Mutex<Vec<SeenSpan>>>);

struct Index(usize);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Collect {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("new span");
        let mut fields = FieldText::default();
        attrs.record(&mut fields);
        let mut spans = self.0.lock().unwrap();
        spans.push(SeenSpan {
            name: attrs.metadata().name().to_owned(),
            parent: span.parent().map(|p| p.name().to_owned()),
            fields: fields.0,
            events: Vec::new(),
            closed: false,
        });
        span.extensions_mut().insert(Index(spans.len() - 1));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("recorded span");
        let mut fields = FieldText::default();
        values.record(&mut fields);
        let index = span.extensions().get::<Index>().expect("index").0;
        self.0.lock().unwrap()[index].fields.extend(fields.0);
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).expect("closed span");
        let index = span.extensions().get::<Index>().expect("index").0;
        self.0.lock().unwrap()[index].closed = true;
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = FieldText::default();
        event.record(&mut fields);
        if let Some(span) = ctx.event_span(event) {
            let index = span.extensions().get::<Index>().expect("index").0;
            self.0.lock().unwrap()[index].events.push(fields.0);
        }
    }
}

/// Runs `f` with a collecting subscriber as this thread's default; returns what it saw.
pub fn spans_of(f: impl FnOnce()) -> Vec<SeenSpan> {
    let collect = Collect::default();
    let subscriber = tracing_subscriber::registry().with(collect.clone());
    tracing::subscriber::with_default(subscriber, f);
    collect.0.lock().unwrap().clone()
}
