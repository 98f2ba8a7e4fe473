//! The `tracing` layer that lets recordings carry exemplars: it follows, per thread, which span
//! is entered and whether its trace is sampled, so that a counter or histogram recorded inside it
//! stores its `trace_id` / `span_id` (see `metrics::Exemplars`).

use std::sync::OnceLock;

use opentelemetry::trace::TraceContextExt;
use tracing::dispatcher::WeakDispatch;
use tracing::span;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::metrics::{enable_exemplars, enter_span, exit_span};

/// Tracks the entered span's trace context for exemplars. Install it next to
/// [`traces_layer`](super::traces_layer) (whose OpenTelemetry contexts it reads).
#[derive(Debug, Default)]
pub struct ExemplarLayer {
    dispatch: OnceLock<WeakDispatch>,
}

/// A new [`ExemplarLayer`].
pub fn exemplar_layer() -> ExemplarLayer {
    ExemplarLayer::default()
}

impl<S> Layer<S> for ExemplarLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
        enable_exemplars();
    }

    fn on_enter(&self, id: &span::Id, _: Context<'_, S>) {
        let context = self
            .dispatch
            .get()
            .and_then(WeakDispatch::upgrade)
            .and_then(|d| tracing_opentelemetry::get_otel_context(id, &d))
            .and_then(|cx| {
                let span = cx.span();
                let sc = span.span_context();
                (sc.is_valid() && sc.is_sampled()).then(|| {
                    (
                        u128::from_be_bytes(sc.trace_id().to_bytes()),
                        u64::from_be_bytes(sc.span_id().to_bytes()),
                    )
                })
            });
        enter_span(context);
    }

    fn on_exit(&self, _: &span::Id, _: Context<'_, S>) {
        exit_span();
    }
}
