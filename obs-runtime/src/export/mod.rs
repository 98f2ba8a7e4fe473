//! OTLP export (feature `otlp`): `#[observed]` spans, which are `tracing` spans, sent to an
//! OpenTelemetry collector over gRPC or HTTP/protobuf through `tracing-opentelemetry`, with
//! resource attributes, parent-based ratio sampling, and a batching processor that never blocks
//! the instrumented code and counts whatever it drops (`obs_export_dropped_total{signal,
//! reason}`); every family of a registry pushed periodically ([`start_metrics_export`]); and
//! W3C trace-context propagation helpers.
//!
//! The endpoint is parsed once into an [`Endpoint`] (a missing port is the scheme's default, 80);
//! `https://` is refused, as obs has no TLS support built in, and so is anything else that export
//! would ignore. Errors keep their cause: [`ExportError`]'s `source()` is the endpoint's, the
//! exporter's or the OS's error.
//!
//! ```no_run
//! use obs_runtime::export::{OtlpConfig, Protocol, traces_layer};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let config = OtlpConfig::new("checkout", "http://127.0.0.1:4317", Protocol::Grpc);
//! let (layer, guard) = traces_layer(&config).expect("valid configuration");
//! tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();
//! // ... run; `guard` flushes and shuts export down when dropped.
//! # drop(guard);
//! ```

mod batch;
mod endpoint;
mod exemplars;
mod metrics;
mod propagation;
mod stats;
mod worker;

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::registry::LookupSpan;

pub use batch::BatchOptions;
pub use endpoint::{Endpoint, EndpointError, Scheme};
pub use exemplars::{ExemplarLayer, exemplar_layer};
pub use metrics::{MetricsGuard, start_metrics_export};
pub use propagation::{
    TraceContext, TraceContextLayer, extract, inject, inject_current, inject_request, set_parent,
};
pub use stats::{DropReason, Signal, dropped, sent};

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (collectors listen on 4317 by convention; the endpoint must say so).
    Grpc,
    /// OTLP/HTTP with protobuf bodies (4318 by convention); `/v1/traces` and `/v1/metrics` are
    /// appended to the endpoint's path.
    HttpProtobuf,
}

/// Where and how to export.
#[derive(Debug, Clone)]
pub struct OtlpConfig {
    /// `service.name`.
    pub service_name: String,
    /// `service.version`.
    pub service_version: Option<String>,
    /// `service.instance.id`; a random one per process when `None`.
    pub service_instance_id: Option<String>,
    /// `deployment.environment.name`.
    pub deployment_environment: Option<String>,
    /// More resource attributes.
    pub resource_attributes: Vec<(String, String)>,
    /// The collector, `http://host:port` (a missing port is 80: see [`Endpoint`]). `https://` is
    /// refused: obs has no TLS support built in.
    pub endpoint: String,
    /// The transport.
    pub protocol: Protocol,
    /// Share of traces sampled, in `0.0..=1.0`.
    pub sample_ratio: f64,
    /// Whether a span with a parent follows its parent's decision (the ratio then applies to
    /// root spans only); when `false` the ratio applies to every trace id.
    pub parent_based: bool,
    /// Batching and queue bounds.
    pub batch: BatchOptions,
}

impl OtlpConfig {
    /// A configuration for `service_name` exporting to `endpoint` over `protocol`, sampling
    /// everything.
    pub fn new(
        service_name: impl Into<String>,
        endpoint: impl Into<String>,
        protocol: Protocol,
    ) -> Self {
        Self {
            service_name: service_name.into(),
            service_version: None,
            service_instance_id: None,
            deployment_environment: None,
            resource_attributes: Vec::new(),
            endpoint: endpoint.into(),
            protocol,
            sample_ratio: 1.0,
            parent_based: true,
            batch: BatchOptions::default(),
        }
    }

    /// Checks every setting; returns the parsed endpoint, which is what export connects to.
    pub fn validate(&self) -> Result<Endpoint, ExportError> {
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return Err(ExportError::InvalidSampleRatio(self.sample_ratio));
        }
        self.batch.validate()?;
        let invalid = |source| ExportError::InvalidEndpoint {
            endpoint: self.endpoint.clone(),
            source,
        };
        let endpoint = Endpoint::parse(&self.endpoint).map_err(invalid)?;
        if endpoint.scheme() == Scheme::Https {
            return Err(invalid(EndpointError::TlsUnsupported));
        }
        if self.protocol == Protocol::Grpc && !endpoint.path().is_empty() {
            return Err(invalid(EndpointError::PathOnGrpc(
                endpoint.path().to_owned(),
            )));
        }
        Ok(endpoint)
    }

    /// The sampler the settings describe.
    fn sampler(&self) -> Sampler {
        let ratio = Sampler::TraceIdRatioBased(self.sample_ratio);
        if self.parent_based {
            Sampler::ParentBased(Box::new(ratio))
        } else {
            ratio
        }
    }

    pub(crate) fn resource(&self) -> Resource {
        let instance = self
            .service_instance_id
            .clone()
            .unwrap_or_else(random_instance_id);
        let mut attributes = vec![
            KeyValue::new("service.instance.id", instance),
            KeyValue::new("telemetry.sdk.name", "obs"),
            KeyValue::new("telemetry.sdk.language", "rust"),
            KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ];
        if let Some(v) = &self.service_version {
            attributes.push(KeyValue::new("service.version", v.clone()));
        }
        if let Some(env) = &self.deployment_environment {
            attributes.push(KeyValue::new("deployment.environment.name", env.clone()));
        }
        attributes.extend(
            self.resource_attributes
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        );
        Resource::builder_empty()
            .with_service_name(self.service_name.clone())
            .with_attributes(attributes)
            .build()
    }
}

/// A random `service.instance.id` (128 bits, hex).
fn random_instance_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut a = state.build_hasher();
    a.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    let mut b = state.build_hasher();
    b.write_u32(std::process::id());
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// Why export could not be set up or shut down cleanly.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// The endpoint cannot be exported to; the source says why.
    InvalidEndpoint {
        /// The endpoint given.
        endpoint: String,
        /// What is wrong with it.
        source: EndpointError,
    },
    /// The sampling ratio is outside `0.0..=1.0`.
    InvalidSampleRatio(f64),
    /// An option would make export drop or stall everything.
    InvalidOption {
        /// The option, as its field or argument is named.
        option: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The exporter could not be built.
    Build(BoxError),
    /// The export thread could not be started.
    Io(std::io::Error),
    /// Shutdown finished, but not everything was delivered.
    Undelivered(BoxError),
}

/// A cause of any error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidEndpoint { endpoint, .. } => {
                write!(f, "invalid OTLP endpoint `{endpoint}`")
            }
            Self::InvalidSampleRatio(r) => {
                write!(
                    f,
                    "invalid sampling ratio {r}: it must be between 0.0 and 1.0"
                )
            }
            Self::InvalidOption { option, reason } => {
                write!(f, "invalid export option `{option}`: {reason}")
            }
            Self::Build(_) => f.write_str("cannot build the OTLP exporter"),
            Self::Io(_) => f.write_str("cannot start the export thread"),
            Self::Undelivered(_) => f.write_str("export shut down with losses"),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidEndpoint { source, .. } => Some(source),
            Self::Build(e) | Self::Undelivered(e) => Some(&**e),
            Self::Io(e) => Some(e),
            Self::InvalidSampleRatio(_) | Self::InvalidOption { .. } => None,
        }
    }
}

/// `error` and its causes, joined by `: `, for a report of one line.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Keeps trace export running; dropping it flushes and shuts down (within 5 s).
#[derive(Debug)]
pub struct TracesGuard {
    provider: Option<SdkTracerProvider>,
}

impl TracesGuard {
    /// Exports everything ended so far.
    pub fn flush(&self) -> Result<(), ExportError> {
        match &self.provider {
            Some(p) => p
                .force_flush()
                .map_err(|e| ExportError::Undelivered(Box::new(e))),
            None => Ok(()),
        }
    }

    /// Flushes and stops export within `timeout`; reports what could not be delivered.
    pub fn shutdown(mut self, timeout: Duration) -> Result<(), ExportError> {
        self.shutdown_inner(timeout)
    }

    fn shutdown_inner(&mut self, timeout: Duration) -> Result<(), ExportError> {
        match self.provider.take() {
            Some(p) => p
                .shutdown_with_timeout(timeout)
                .map_err(|e| ExportError::Undelivered(Box::new(e))),
            None => Ok(()),
        }
    }
}

impl Drop for TracesGuard {
    fn drop(&mut self) {
        // What was not delivered is already counted in `obs_export_dropped_total`; say why.
        if let Err(e) = self.shutdown_inner(Duration::from_secs(5)) {
            tracing::warn!(target: "obs::export", error = %error_chain(&e), "span export stopped");
        }
    }
}

/// The `tracing` layer exporting spans as configured, and the guard that keeps export running.
/// Also installs the W3C trace-context propagator globally.
pub fn traces_layer<S>(
    config: &OtlpConfig,
) -> Result<
    (
        tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>,
        TracesGuard,
    ),
    ExportError,
>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let endpoint = config.validate()?;
    stats::ensure_registered();
    let protocol = config.protocol;
    let traces_url = endpoint.signal_url("traces");
    let endpoint = endpoint.origin();
    let timeout = config.batch.export_timeout;
    let resource = config.resource();
    let exporter_resource = resource.clone();
    let processor = batch::BatchProcessor::start(
        move || {
            let built = match protocol {
                Protocol::Grpc => opentelemetry_otlp::SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(endpoint)
                    .with_timeout(timeout)
                    .build(),
                Protocol::HttpProtobuf => opentelemetry_otlp::SpanExporter::builder()
                    .with_http()
                    .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                    .with_endpoint(traces_url)
                    .with_timeout(timeout)
                    .build(),
            };
            // The provider hands its resource to processors, not to the exporter our
            // processor owns on its own thread: give it here.
            let mut exporter = built.map_err(|e| ExportError::Build(Box::new(e)))?;
            opentelemetry_sdk::trace::SpanExporter::set_resource(&mut exporter, &exporter_resource);
            Ok::<_, ExportError>(exporter)
        },
        config.batch,
    )?;
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(config.sampler())
        .with_resource(resource)
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let tracer = provider.tracer("obs");
    let layer = tracing_opentelemetry::layer().with_tracer(tracer);
    Ok((
        layer,
        TracesGuard {
            provider: Some(provider),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn configuration_is_validated() {
        let ok = OtlpConfig::new("svc", "http://127.0.0.1:4317", Protocol::Grpc);
        assert_eq!(ok.validate().unwrap().port(), 4317);
        let mut bad = ok.clone();
        bad.sample_ratio = 1.5;
        assert!(matches!(
            bad.validate(),
            Err(ExportError::InvalidSampleRatio(_))
        ));
        for endpoint in ["127.0.0.1:4317", "http://", "http://host:port", "ftp://x"] {
            let mut bad = ok.clone();
            bad.endpoint = endpoint.into();
            assert!(
                matches!(bad.validate(), Err(ExportError::InvalidEndpoint { .. })),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn https_is_refused_for_both_transports() {
        for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
            let config = OtlpConfig::new("svc", "https://collector:4317", protocol);
            let error = config.validate().unwrap_err();
            assert!(
                matches!(
                    &error,
                    ExportError::InvalidEndpoint {
                        source: EndpointError::TlsUnsupported,
                        ..
                    }
                ),
                "{error:?}"
            );
            assert!(error.source().unwrap().to_string().contains("TLS"));
        }
    }

    #[test]
    fn a_grpc_path_is_refused_an_http_path_is_a_base() {
        let grpc = OtlpConfig::new("s", "http://h:4317/otlp", Protocol::Grpc);
        assert!(matches!(
            grpc.validate(),
            Err(ExportError::InvalidEndpoint {
                source: EndpointError::PathOnGrpc(_),
                ..
            })
        ));
        let http = OtlpConfig::new("s", "http://h:4318/otlp", Protocol::HttpProtobuf);
        let endpoint = http.validate().unwrap();
        assert_eq!(
            endpoint.signal_url("traces"),
            "http://h:4318/otlp/v1/traces"
        );
        assert_eq!(
            endpoint.signal_url("metrics"),
            "http://h:4318/otlp/v1/metrics"
        );
    }

    #[test]
    fn batch_options_that_would_lose_everything_are_refused() {
        let ok = OtlpConfig::new("s", "http://h:4317", Protocol::Grpc);
        for (patch, option) in [
            (
                (|b: &mut BatchOptions| b.max_queue = 0) as fn(&mut BatchOptions),
                "max_queue",
            ),
            (|b| b.max_batch = 0, "max_batch"),
            (|b| b.delay = Duration::ZERO, "delay"),
            (|b| b.export_timeout = Duration::ZERO, "export_timeout"),
        ] {
            let mut bad = ok.clone();
            patch(&mut bad.batch);
            assert!(
                matches!(bad.validate(), Err(ExportError::InvalidOption { option: o, .. }) if o == option),
                "{option}"
            );
        }
    }

    #[test]
    fn errors_keep_their_cause() {
        let config = OtlpConfig::new("s", "http://h/a b", Protocol::HttpProtobuf);
        let error = config.validate().unwrap_err();
        let endpoint = error.source().expect("the endpoint error");
        assert!(endpoint.is::<EndpointError>());
        let uri = endpoint.source().expect("http's own error");
        assert!(uri.is::<http::uri::InvalidUri>());
        assert!(!error.to_string().contains(&endpoint.to_string()));

        let io = ExportError::from(std::io::Error::other("no threads"));
        assert_eq!(io.source().unwrap().to_string(), "no threads");
        assert!(!io.to_string().contains("no threads"));
    }
}
