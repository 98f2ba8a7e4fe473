//! Runtime for `obs`: statically-typed metric families, registries and Prometheus / OpenMetrics
//! exposition. Re-exports the macros, so a service depends on this one crate.
//!
//! ```
//! use obs_runtime::{metrics, LabelValue, Bounded, Registry, Format};
//!
//! #[derive(Clone, Copy, LabelValue)]
//! pub enum Provider { OpenAi, Anthropic }
//!
//! metrics! {
//!     /// Gateway metrics.
//!     pub GATEWAY in "doc_gateway" {
//!         /// Requests handled, by provider.
//!         requests_total: Counter { provider: Provider },
//!         /// Request latency, by provider and model.
//!         #[buckets(0.1, 0.5, 1, 5)]
//!         request_duration_seconds: Histogram { provider: Provider, model: Bounded<32> },
//!     }
//! }
//!
//! GATEWAY.requests_total.with(Provider::OpenAi).inc();
//! GATEWAY.request_duration_seconds.with((Provider::Anthropic, "claude")).observe(0.3);
//! let text = Registry::global().encode(Format::Text);
//! assert!(text.contains("doc_gateway_requests_total{provider=\"open_ai\"} 1"));
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

// Lets the derive macros, which name `::obs_runtime`, be used inside this crate too.
extern crate self as obs_runtime;

pub mod expose;
pub mod metrics;
pub mod observed;
pub mod time;

#[cfg(feature = "otlp")]
#[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
pub mod export;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod health;
#[cfg(feature = "init")]
#[cfg_attr(docsrs, doc(cfg(feature = "init")))]
pub mod init;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub mod interop;
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub mod logs;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod serve;

pub use expose::Format;
#[cfg(feature = "init")]
#[cfg_attr(docsrs, doc(cfg(feature = "init")))]
pub use init::{Config, init};
pub use metrics::{
    Bounded, Counter, CounterFamily, FloatCounter, FloatCounterFamily, FloatGauge,
    FloatGaugeFamily, Gauge, GaugeFamily, Histogram, HistogramFamily, LabelValue, Registry,
};
pub use obs_macros::{ErrorKind, LabelValue, metrics, observed};
pub use observed::{ErrorKind, Outcome};

/// What generated code uses. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::metrics::{
        Collector, FamilyView, Group, Interner, LabelDesc, LabelSet, LabelType, LabelValue,
        LabelValues, NoLabels, series_product,
    };

    pub use crate::observed::{
        Call, CallHook, CallSite, ErrorKind, ErrorProbe, NoHook, ObservedFuture, ObservedStream,
        OtherOutcome, Outcome, Probe, RecordDebug, RecordDisplay, RecordNothing, ResultOutcome,
        error_kind_of,
    };
    pub use tracing;

    /// Runs a sync `#[observed]` body: times it, enters `span` around it, and classifies the
    /// result with `settle`. A panic is recorded by the call guard while unwinding.
    #[inline]
    pub fn observe_sync<R, H: CallHook>(
        site: Option<&'static CallSite>,
        hook: H,
        span: tracing::Span,
        body: impl FnOnce() -> R,
        settle: impl FnOnce(&R, &tracing::Span, &Call<H>) -> Outcome,
    ) -> R {
        let call = Call::start_with(site, hook);
        let _entered = span.enter();
        let result = body();
        call.finish(settle(&result, &span, &call));
        result
    }

    /// The span of a call with no recorded arguments: its two fields (`otel.status_code`,
    /// `error`) empty until the call ends.
    #[inline]
    pub fn span_no_values(callsite: &'static tracing::callsite::DefaultCallsite) -> tracing::Span {
        const NONE: [Option<&dyn tracing::Value>; 2] = [None; 2];
        if span_enabled(callsite) {
            span_new(callsite, &NONE)
        } else {
            tracing::Span::none()
        }
    }

    /// Whether a span of `callsite` is to be made: the checks of `tracing::span!`, compiled once
    /// here instead of in every annotated function. The level checks are inline; asking the
    /// subscriber is not.
    #[inline]
    pub fn span_enabled(callsite: &'static tracing::callsite::DefaultCallsite) -> bool {
        use tracing::callsite::Callsite as _;
        let level = *callsite.metadata().level();
        level <= tracing::level_filters::STATIC_MAX_LEVEL
            && level <= tracing::level_filters::LevelFilter::current()
            && span_interested(callsite)
    }

    #[inline(never)]
    fn span_interested(callsite: &'static tracing::callsite::DefaultCallsite) -> bool {
        use tracing::callsite::Callsite as _;
        let interest = callsite.interest();
        !interest.is_never()
            && (interest.is_always()
                || tracing::dispatcher::get_default(|d| d.enabled(callsite.metadata())))
    }

    /// A new span of `callsite` with one value per field of its metadata, in order (`None`:
    /// recorded later, or never).
    #[inline(never)]
    pub fn span_new(
        callsite: &'static tracing::callsite::DefaultCallsite,
        values: &[Option<&dyn tracing::Value>],
    ) -> tracing::Span {
        use tracing::callsite::Callsite as _;
        let meta = callsite.metadata();
        let fields = meta.fields();
        debug_assert_eq!(values.len(), fields.len());
        tracing::Span::new(meta, &fields.value_set_all(values))
    }

    /// A histogram family from bounds the macro has already validated; falls back to the
    /// default buckets should they ever be refused.
    pub fn histogram<L: LabelSet>(
        name: &'static str,
        help: &'static str,
        bounds: &[f64],
    ) -> crate::metrics::HistogramFamily<L> {
        crate::metrics::HistogramFamily::new(name, help, bounds).unwrap_or_else(|_| {
            crate::metrics::HistogramFamily::new(name, help, crate::metrics::DEFAULT_BUCKETS)
                .unwrap_or_else(|_| unreachable!("the default buckets are valid"))
        })
    }
}
