//! A `metrics!` group whose family name clashes with one already in the global registry: it still
//! records, stays out of the global registry, and says so through `tracing` (library code does
//! not print).

use std::sync::{Arc, Mutex};

use obs_runtime::{Format, Registry, metrics};
use tracing_subscriber::layer::{Context, SubscriberExt};

metrics! {
    /// Joins the global registry first.
    pub FIRST in "clash" {
        /// Calls.
        calls_total: Counter,
    }
    /// Same family name: refused by the global registry.
    pub SECOND in "clash" {
        /// Calls.
        calls_total: Counter,
    }
}

/// Keeps the level and fields of every event.
struct Events(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={:?}", field.name(), value));
            }
        }
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[test]
fn a_clashing_group_is_reported_through_tracing_and_still_records() {
    FIRST.calls_total.series().inc();
    let events = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Events(events.clone()));
    tracing::subscriber::with_default(subscriber, || SECOND.calls_total.series().inc());
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].starts_with("WARN"), "{events:?}");
    assert!(events[0].contains("clash_calls_total"), "{events:?}");
    assert_eq!(SECOND.calls_total.series().get(), 1);
    let global = Registry::global().encode(Format::Text);
    assert!(global.contains("clash_calls_total 1\n"), "{global}");
    assert!(!global.contains("clash_calls_total 2"), "{global}");
}
