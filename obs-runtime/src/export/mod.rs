//! OTLP export (feature `otlp`): `#[observed]` spans, which are `tracing` spans, sent to an
//! OpenTelemetry collector over gRPC or HTTP/protobuf through `tracing-opentelemetry`, with
//! resource attributes, parent-based ratio sampling, and a batching processor that never blocks
//! the instrumented code and counts whatever it drops (`obs_export_dropped_total{signal,
//! reason}`); every family of a registry pushed periodically ([`start_metrics_export`]); and
//! W3C trace-context propagation helpers.
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
pub use exemplars::{ExemplarLayer, exemplar_layer};
pub use metrics::{MetricsGuard, start_metrics_export};
pub use propagation::{extract, inject, inject_current, set_parent};
pub use stats::{DropReason, Signal, dropped, sent};

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (default port 4317).
    Grpc,
    /// OTLP/HTTP with protobuf bodies (default port 4318; `/v1/traces` is appended).
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
    /// The collector, `http://host:port` (or `https://`).
    pub endpoint: String,
    /// The transport.
    pub protocol: Protocol,
    /// Share of root traces sampled, in `0.0..=1.0`; children follow their parent.
    pub sample_ratio: f64,
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
            batch: BatchOptions::default(),
        }
    }

    /// Checks the endpoint and the sampling ratio.
    pub fn validate(&self) -> Result<(), ExportError> {
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return Err(ExportError::InvalidSampleRatio(self.sample_ratio));
        }
        let bad = |reason: &str| ExportError::InvalidEndpoint {
            endpoint: self.endpoint.clone(),
            reason: reason.to_owned(),
        };
        let rest = self
            .endpoint
            .strip_prefix("http://")
            .or_else(|| self.endpoint.strip_prefix("https://"))
            .ok_or_else(|| bad("it must start with http:// or https://"))?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            return Err(bad("it has no host"));
        }
        if let Some((_, port)) = authority.rsplit_once(':')
            && !authority.ends_with(']')
            && port.parse::<u16>().is_err()
        {
            return Err(bad("its port is not a number from 0 to 65535"));
        }
        Ok(())
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

    /// The OTLP/HTTP URL of `signal` (`traces`, `metrics`): the endpoint with `/v1/{signal}`
    /// when it has no path of its own.
    fn signal_url(&self, signal: &str) -> String {
        let trimmed = self.endpoint.trim_end_matches('/');
        let after_scheme = trimmed.split_once("://").map_or(trimmed, |(_, r)| r);
        if after_scheme.contains('/') {
            trimmed.to_owned()
        } else {
            format!("{trimmed}/v1/{signal}")
        }
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
pub enum ExportError {
    /// The endpoint is not a usable URL.
    InvalidEndpoint {
        /// The endpoint given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The sampling ratio is outside `0.0..=1.0`.
    InvalidSampleRatio(f64),
    /// The exporter could not be built.
    Build(String),
    /// The export thread could not be started.
    Io(std::io::Error),
    /// Shutdown finished, but not everything was delivered.
    Undelivered(String),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidEndpoint { endpoint, reason } => {
                write!(f, "invalid OTLP endpoint `{endpoint}`: {reason}")
            }
            Self::InvalidSampleRatio(r) => {
                write!(
                    f,
                    "invalid sampling ratio {r}: it must be between 0.0 and 1.0"
                )
            }
            Self::Build(e) => write!(f, "cannot build the OTLP exporter: {e}"),
            Self::Io(e) => write!(f, "cannot start the export thread: {e}"),
            Self::Undelivered(e) => write!(f, "export shut down with losses: {e}"),
        }
    }
}

impl std::error::Error for ExportError {}

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
                .map_err(|e| ExportError::Undelivered(e.to_string())),
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
                .map_err(|e| ExportError::Undelivered(e.to_string())),
            None => Ok(()),
        }
    }
}

impl Drop for TracesGuard {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown_inner(Duration::from_secs(5)) {
            eprintln!("obs: {e}");
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
    config.validate()?;
    stats::ensure_registered();
    let protocol = config.protocol;
    let endpoint = config.endpoint.clone();
    let traces_url = config.signal_url("traces");
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
            let mut exporter = built.map_err(|e| ExportError::Build(e.to_string()))?;
            opentelemetry_sdk::trace::SpanExporter::set_resource(&mut exporter, &exporter_resource);
            Ok::<_, ExportError>(exporter)
        },
        config.batch,
    )?;
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            config.sample_ratio,
        ))))
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

    #[test]
    fn configuration_is_validated() {
        let ok = OtlpConfig::new("svc", "http://127.0.0.1:4317", Protocol::Grpc);
        assert!(ok.validate().is_ok());
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
    fn http_traces_url() {
        let c = OtlpConfig::new("s", "http://h:4318", Protocol::HttpProtobuf);
        assert_eq!(c.signal_url("traces"), "http://h:4318/v1/traces");
        assert_eq!(c.signal_url("metrics"), "http://h:4318/v1/metrics");
        let c = OtlpConfig::new("s", "http://h:4318/custom/traces", Protocol::HttpProtobuf);
        assert_eq!(c.signal_url("traces"), "http://h:4318/custom/traces");
    }
}
