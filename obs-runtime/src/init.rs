//! One-line setup (feature `init`): [`init`] installs everything a service needs from one
//! [`Config`] — the `/metrics` and health endpoints, OTLP span export and metric push, JSON logs
//! — and returns a guard whose shutdown flushes what is pending within a bounded time.
//!
//! The configuration comes from code, a TOML or YAML file, and the standard OpenTelemetry
//! environment variables, the environment overriding the file. Unknown keys, a bad endpoint, a
//! sampling ratio outside `0..=1` or a port in use give a typed error naming the field. So does
//! a setting that would do nothing: an `https://` endpoint (obs has no TLS), a path on a gRPC
//! endpoint, a push interval or sampler without `[otlp]`, `redact` without JSON logs, and the
//! `OTEL_EXPORTER_OTLP_*` variables obs does not implement (headers, compression, certificates,
//! per-signal endpoints, ...).
//!
//! ```toml
//! [service]
//! name = "llm-gateway"
//! version = "1.4.0"
//! environment = "production"
//!
//! [metrics]
//! listen = "0.0.0.0:9464"
//! push_interval_secs = 10
//!
//! [otlp]
//! endpoint = "http://otel-collector:4317"   # a missing port is 80, as in any http:// URL
//! protocol = "grpc"          # or "http/protobuf"
//! sample_ratio = 0.25
//! parent_based = true        # children follow their parent's decision
//!
//! [logs]
//! level = "info"             # RUST_LOG overrides
//! format = "json"            # or "none"
//! redact = ["ssn"]           # on top of password, api_key, token, secret, authorization
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tracing_subscriber::layer::SubscriberExt;

use crate::export::{
    Endpoint, EndpointError, ExportError, MetricsGuard, OtlpConfig, Protocol, TracesGuard,
    error_chain,
};
use crate::health::{CheckOptions, CheckResult, Health};
use crate::logs::{JsonLayer, Redactor};
use crate::metrics::Registry;
use crate::serve::{ServeError, Server};

/// Everything [`init`] sets up.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Who this service is.
    pub service: ServiceConfig,
    /// Serving and pushing metrics.
    pub metrics: MetricsConfig,
    /// OTLP export; off when absent.
    pub otlp: Option<OtlpSection>,
    /// Logging.
    pub logs: LogsConfig,
}

/// `[service]`: the resource attributes every signal carries.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// `service.name`.
    pub name: String,
    /// `service.version`.
    pub version: Option<String>,
    /// `deployment.environment.name`.
    pub environment: Option<String>,
    /// `service.instance.id` (random per process when absent).
    pub instance_id: Option<String>,
    /// More resource attributes.
    pub resource_attributes: BTreeMap<String, String>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            name: "unknown_service".into(),
            version: None,
            environment: None,
            instance_id: None,
            resource_attributes: BTreeMap::new(),
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address to serve `/metrics` and `/health/*` on; not served when absent.
    pub listen: Option<String>,
    /// Seconds between OTLP metric pushes; 10 when absent. Needs `[otlp]`.
    pub push_interval_secs: Option<f64>,
}

/// `[otlp]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OtlpSection {
    /// The collector, `http://host:port` (a missing port is 80; `https://` is refused, obs has
    /// no TLS). For `http/protobuf`, a path is the base that `/v1/traces` and `/v1/metrics`
    /// extend; a gRPC endpoint takes none.
    pub endpoint: String,
    /// `grpc` or `http/protobuf`.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// Share of traces sampled, `0.0..=1.0`.
    #[serde(default = "default_ratio")]
    pub sample_ratio: f64,
    /// Whether spans with a parent follow its decision (the ratio then picks root spans only).
    #[serde(default = "default_parent_based")]
    pub parent_based: bool,
}

fn default_parent_based() -> bool {
    true
}

fn default_protocol() -> String {
    "grpc".into()
}

fn default_ratio() -> f64 {
    1.0
}

/// `[logs]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    /// Directives such as `info` or `warn,my_crate=debug`; `RUST_LOG` overrides.
    pub level: String,
    /// `json` (one object per line on standard output) or `none`.
    pub format: String,
    /// Field names to mask, besides the defaults. Needs `format = "json"`.
    pub redact: Vec<String>,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: "json".into(),
            redact: Vec::new(),
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not valid TOML / YAML for a [`Config`] (an unknown key, a wrong type, ...);
    /// the source is the parser's error, which names the key and its place.
    Parse {
        /// The file, or `<toml>` / `<yaml>` for a string.
        origin: String,
        /// The parser's error.
        source: crate::export::BoxError,
    },
    /// A value is not acceptable.
    Invalid {
        /// The field, as `section.key` (or the environment variable it came from).
        field: String,
        /// The value given.
        value: String,
        /// Why not.
        reason: String,
    },
    /// The OTLP endpoint cannot be exported to; the source says why.
    Endpoint {
        /// The field, `otlp.endpoint`.
        field: String,
        /// The value given.
        value: String,
        /// What is wrong with it.
        source: EndpointError,
    },
}

impl ConfigError {
    /// The field or environment variable the error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Endpoint { field, .. } => Some(field),
            Self::Io { .. } | Self::Parse { .. } => None,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io { path, .. } => write!(f, "cannot read {path}"),
            Self::Parse { origin, .. } => write!(f, "invalid configuration in {origin}"),
            Self::Invalid {
                field,
                value,
                reason,
            } => write!(f, "invalid `{field}` = {value:?}: {reason}"),
            Self::Endpoint { field, value, .. } => write!(f, "invalid `{field}` = {value:?}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Parse { source, .. } => Some(&**source),
            Self::Endpoint { source, .. } => Some(source),
            Self::Invalid { .. } => None,
        }
    }
}

/// `OTEL_*` variables obs does not implement: refused rather than ignored, since each would
/// change what an OpenTelemetry SDK sends (and the span exporter would apply some of them to
/// spans but not to metrics).
const UNSUPPORTED_ENV: &[&str] = &[
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_PROPAGATORS",
];

impl Config {
    /// Parses TOML.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: "<toml>".into(),
            source: Box::new(e),
        })
    }

    /// Parses YAML.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Parse {
            origin: "<yaml>".into(),
            source: Box::new(e),
        })
    }

    /// Reads a `.toml`, `.yaml` or `.yml` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: shown.clone(),
            source,
        })?;
        let parsed = match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Self::from_yaml(&text),
            _ => Self::from_toml(&text),
        };
        parsed.map_err(|e| match e {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                origin: shown,
                source,
            },
            other => other,
        })
    }

    /// Applies the standard OpenTelemetry environment variables (and `RUST_LOG`) from the
    /// process environment, overriding what the file said: `OTEL_SERVICE_NAME`,
    /// `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`,
    /// `OTEL_TRACES_SAMPLER` (and `_ARG`) and `OTEL_SDK_DISABLED`. Other `OTEL_EXPORTER_OTLP_*`
    /// variables, which obs does not implement, are refused.
    pub fn with_env(self) -> Result<Self, ConfigError> {
        self.with_env_from(|k| std::env::var(k).ok())
    }

    /// [`Config::with_env`] reading variables through `var` (for tests and embedding).
    pub fn with_env_from(
        mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let invalid = |field: &str, value: &str, reason: &str| ConfigError::Invalid {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
        };
        if let Some(name) = UNSUPPORTED_ENV.iter().find(|name| var(name).is_some()) {
            return Err(invalid(
                name,
                &var(name).unwrap_or_default(),
                "obs does not implement this variable; unset it",
            ));
        }
        let disabled = match var("OTEL_SDK_DISABLED").as_deref().map(str::trim) {
            None | Some("") => false,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(other) => {
                return Err(invalid(
                    "OTEL_SDK_DISABLED",
                    other,
                    "expected true or false",
                ));
            }
        };
        if let Some(name) = var("OTEL_SERVICE_NAME") {
            self.service.name = name;
        }
        if let Some(attrs) = var("OTEL_RESOURCE_ATTRIBUTES") {
            for pair in attrs.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').ok_or_else(|| {
                    invalid(
                        "OTEL_RESOURCE_ATTRIBUTES",
                        pair,
                        "expected key=value pairs separated by commas",
                    )
                })?;
                let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
                match k.as_str() {
                    // OTEL_SERVICE_NAME wins over service.name in the attributes.
                    "service.name" if var("OTEL_SERVICE_NAME").is_none() => self.service.name = v,
                    "service.name" => {}
                    "service.version" => self.service.version = Some(v),
                    "deployment.environment" | "deployment.environment.name" => {
                        self.service.environment = Some(v)
                    }
                    "service.instance.id" => self.service.instance_id = Some(v),
                    _ => {
                        self.service.resource_attributes.insert(k, v);
                    }
                }
            }
        }
        if let Some(level) = var("RUST_LOG") {
            self.logs.level = level;
        }
        if disabled {
            // The specification's switch for every signal: no export, whatever else is set.
            self.otlp = None;
            return Ok(self);
        }
        let endpoint = var("OTEL_EXPORTER_OTLP_ENDPOINT");
        let protocol = var("OTEL_EXPORTER_OTLP_PROTOCOL");
        if endpoint.is_some() || protocol.is_some() {
            let section = self.otlp.get_or_insert_with(|| OtlpSection {
                endpoint: String::new(),
                protocol: default_protocol(),
                sample_ratio: default_ratio(),
                parent_based: default_parent_based(),
            });
            if let Some(e) = endpoint {
                section.endpoint = e;
            }
            if let Some(p) = protocol {
                section.protocol = p;
            }
            if section.endpoint.is_empty() {
                // The specification's defaults.
                section.endpoint = if section.protocol == "grpc" {
                    "http://localhost:4317".into()
                } else {
                    "http://localhost:4318".into()
                };
            }
        }
        if let Some(sampler) = var("OTEL_TRACES_SAMPLER") {
            let Some(otlp) = &mut self.otlp else {
                return Err(invalid(
                    "OTEL_TRACES_SAMPLER",
                    &sampler,
                    "spans are not exported (no [otlp] section nor OTEL_EXPORTER_OTLP_ENDPOINT), so nothing would be sampled",
                ));
            };
            let arg = var("OTEL_TRACES_SAMPLER_ARG");
            let ratio = match sampler.as_str() {
                "always_on" | "parentbased_always_on" => 1.0,
                "always_off" | "parentbased_always_off" => 0.0,
                "traceidratio" | "parentbased_traceidratio" => match &arg {
                    Some(a) => a.trim().parse::<f64>().map_err(|_| {
                        invalid(
                            "OTEL_TRACES_SAMPLER_ARG",
                            a,
                            "expected a number from 0 to 1",
                        )
                    })?,
                    None => 1.0,
                },
                other => {
                    return Err(invalid(
                        "OTEL_TRACES_SAMPLER",
                        other,
                        "supported: always_on, always_off, traceidratio and their parentbased_ forms",
                    ));
                }
            };
            otlp.sample_ratio = ratio;
            otlp.parent_based = sampler.starts_with("parentbased_");
        } else if let Some(arg) = var("OTEL_TRACES_SAMPLER_ARG") {
            return Err(invalid(
                "OTEL_TRACES_SAMPLER_ARG",
                &arg,
                "has no effect without OTEL_TRACES_SAMPLER=traceidratio or parentbased_traceidratio",
            ));
        }
        Ok(self)
    }

    /// Checks every value, naming the field of the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.checked().map(|_| ())
    }

    /// Checks every value; returns the export configuration and the parsed endpoint, when
    /// exporting.
    fn checked(&self) -> Result<Option<(OtlpConfig, Endpoint)>, ConfigError> {
        let invalid = |field: &str, value: String, reason: String| ConfigError::Invalid {
            field: field.into(),
            value,
            reason,
        };
        if self.service.name.trim().is_empty() {
            return Err(invalid(
                "service.name",
                self.service.name.clone(),
                "must not be empty".into(),
            ));
        }
        if let Some(listen) = &self.metrics.listen
            && listen.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(invalid(
                "metrics.listen",
                listen.clone(),
                "expected host:port with a numeric host, such as 0.0.0.0:9464".into(),
            ));
        }
        if let Some(secs) = self.metrics.push_interval_secs {
            if !(secs.is_finite() && secs > 0.0) {
                return Err(invalid(
                    "metrics.push_interval_secs",
                    secs.to_string(),
                    "must be a positive number".into(),
                ));
            }
            if self.otlp.is_none() {
                return Err(invalid(
                    "metrics.push_interval_secs",
                    secs.to_string(),
                    "metrics are pushed only to an [otlp] collector, and none is set".into(),
                ));
            }
        }
        if !matches!(self.logs.format.as_str(), "json" | "none") {
            return Err(invalid(
                "logs.format",
                self.logs.format.clone(),
                "expected json or none".into(),
            ));
        }
        if self.logs.format == "none" && !self.logs.redact.is_empty() {
            return Err(invalid(
                "logs.redact",
                self.logs.redact.join(","),
                "masks fields of JSON logs, which logs.format = \"none\" turns off".into(),
            ));
        }
        self.logs
            .level
            .parse::<tracing_subscriber::filter::Targets>()
            .map_err(|e| invalid("logs.level", self.logs.level.clone(), e.to_string()))?;
        let Some(otlp) = &self.otlp else {
            return Ok(None);
        };
        let config = self.otlp_config(otlp)?;
        let endpoint = config.validate().map_err(|e| match e {
            ExportError::InvalidSampleRatio(r) => invalid(
                "otlp.sample_ratio",
                r.to_string(),
                "must be between 0.0 and 1.0".into(),
            ),
            ExportError::InvalidEndpoint { endpoint, source } => ConfigError::Endpoint {
                field: "otlp.endpoint".into(),
                value: endpoint,
                source,
            },
            other => invalid("otlp", String::new(), error_chain(&other)),
        })?;
        Ok(Some((config, endpoint)))
    }

    fn otlp_config(&self, otlp: &OtlpSection) -> Result<OtlpConfig, ConfigError> {
        let protocol = match otlp.protocol.as_str() {
            "grpc" => Protocol::Grpc,
            "http/protobuf" => Protocol::HttpProtobuf,
            other => {
                return Err(ConfigError::Invalid {
                    field: "otlp.protocol".into(),
                    value: other.into(),
                    reason: "expected grpc or http/protobuf".into(),
                });
            }
        };
        let mut config =
            OtlpConfig::new(self.service.name.clone(), otlp.endpoint.clone(), protocol);
        config.service_version = self.service.version.clone();
        config.deployment_environment = self.service.environment.clone();
        config.service_instance_id = self.service.instance_id.clone();
        config.resource_attributes = self
            .service
            .resource_attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        config.sample_ratio = otlp.sample_ratio;
        config.parent_based = otlp.parent_based;
        Ok(config)
    }
}

/// Why [`init`] failed; the source is the error of the part that failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// The configuration is invalid.
    Config(ConfigError),
    /// The endpoints could not be served (`metrics.listen`).
    Serve(ServeError),
    /// Export could not start.
    Export(ExportError),
    /// A global `tracing` subscriber was already installed.
    SubscriberAlreadySet(tracing::subscriber::SetGlobalDefaultError),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Config(_) => "invalid configuration",
            Self::Serve(_) => "cannot serve `metrics.listen`",
            Self::Export(_) => "cannot start OTLP export",
            Self::SubscriberAlreadySet(_) => "cannot install the tracing subscriber",
        })
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Serve(e) => Some(e),
            Self::Export(e) => Some(e),
            Self::SubscriberAlreadySet(e) => Some(e),
        }
    }
}

impl From<ConfigError> for InitError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

/// Keeps everything [`init`] started running. Dropping it shuts down within 5 s.
#[derive(Debug)]
pub struct ObsGuard {
    health: Arc<Health>,
    server: Option<Server>,
    traces: Option<TracesGuard>,
    metrics: Option<MetricsGuard>,
}

/// What shutdown could not deliver.
#[derive(Debug, Default)]
pub struct ShutdownReport {
    /// Problems met, one line each with its causes (spans not delivered, the server not
    /// stopping cleanly, ...).
    pub problems: Vec<String>,
}

impl ObsGuard {
    /// The health registry behind `/health/ready`, to add checks to.
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// The address `/metrics` is served on, when it is.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().map(Server::local_addr)
    }

    /// Flushes spans and metrics and stops everything, spending at most about `timeout` on the
    /// spans; reports what could not be delivered.
    pub async fn shutdown(mut self, timeout: Duration) -> ShutdownReport {
        let mut report = ShutdownReport::default();
        if let Some(traces) = self.traces.take()
            && let Err(e) = tokio::task::spawn_blocking(move || traces.shutdown(timeout))
                .await
                .unwrap_or_else(|e| Err(ExportError::Undelivered(Box::new(e))))
        {
            report.problems.push(error_chain(&e));
        }
        if let Some(metrics) = self.metrics.take()
            && let Err(e) = tokio::task::spawn_blocking(move || metrics.shutdown()).await
        {
            report
                .problems
                .push(format!("metric push: {}", error_chain(&e)));
        }
        if let Some(server) = self.server.take()
            && let Err(e) = server.shutdown().await
        {
            report.problems.push(format!("server: {}", error_chain(&e)));
        }
        report
    }
}

/// Sets everything up from `config`: validates it, serves `/metrics` and `/health/*` (with a
/// check of the collector's reachability when exporting), exports spans and pushes metrics over
/// OTLP, and installs the global `tracing` subscriber with JSON logs. Call inside a tokio
/// runtime.
pub async fn init(config: Config) -> Result<ObsGuard, InitError> {
    let otlp = config.checked()?;
    let health = Arc::new(Health::new(
        config
            .service
            .version
            .clone()
            .unwrap_or_else(|| "unknown".into()),
    ));
    if let Some((_, endpoint)) = &otlp {
        let endpoint = endpoint.clone();
        health.add_check("otlp_collector", CheckOptions::default(), move || {
            let endpoint = endpoint.clone();
            async move { collector_reachable(&endpoint).await }
        });
    }

    // Bind first: a port in use fails before anything global has been installed.
    let server = match &config.metrics.listen {
        Some(addr) => Some(
            Server::bind(
                addr,
                crate::serve::router(Registry::global(), health.clone()),
            )
            .await
            .map_err(InitError::Serve)?,
        ),
        None => None,
    };
    let filter: tracing_subscriber::filter::Targets =
        config
            .logs
            .level
            .parse()
            .map_err(
                |e: tracing_subscriber::filter::ParseError| ConfigError::Invalid {
                    field: "logs.level".into(),
                    value: config.logs.level.clone(),
                    reason: e.to_string(),
                },
            )?;
    let (traces_layer, traces) = match &otlp {
        Some((otlp, _)) => {
            let (layer, guard) = crate::export::traces_layer(otlp).map_err(InitError::Export)?;
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let json = (config.logs.format == "json").then(|| {
        let redactor = config
            .logs
            .redact
            .iter()
            .fold(Redactor::default(), |r, f| r.with_field(f));
        JsonLayer::new(std::io::stdout(), redactor)
    });
    let exemplars = traces_layer.is_some().then(crate::export::exemplar_layer);
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(traces_layer)
        .with(exemplars)
        .with(json);
    tracing::subscriber::set_global_default(subscriber).map_err(InitError::SubscriberAlreadySet)?;

    let metrics = match &otlp {
        Some((otlp, _)) => {
            let interval =
                Duration::from_secs_f64(config.metrics.push_interval_secs.unwrap_or(10.0));
            Some(
                crate::export::start_metrics_export(otlp, Registry::global(), interval)
                    .map_err(InitError::Export)?,
            )
        }
        None => None,
    };
    Ok(ObsGuard {
        health,
        server,
        traces,
        metrics,
    })
}

/// The readiness check [`init`] adds for the collector: healthy when `endpoint`'s host and port
/// (the scheme's default when the URL names none) accept a TCP connection; degraded otherwise
/// (the service still works, its telemetry is being dropped and counted).
pub async fn collector_reachable(endpoint: &Endpoint) -> CheckResult {
    match tokio::net::TcpStream::connect((endpoint.host(), endpoint.port())).await {
        Ok(_) => CheckResult::healthy(),
        Err(e) => CheckResult::degraded(format!(
            "OTLP collector {} unreachable: {e}",
            endpoint.origin()
        )),
    }
}
