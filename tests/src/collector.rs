//! A real OpenTelemetry collector for the tests to export to: Rotel's `rotel-agent`, which
//! `scripts/install-validators.sh` installs from the PyPI wheel `rotel` (0.0.1a15, whose agent
//! reports itself as `0.0.1-alpha10`) into `target/validators-venv`.
//!
//! [`Collector::start`] runs one agent per call, on free loopback ports, with its own temporary
//! directory:
//!
//! ```text
//! rotel-agent start --exporter blackhole \
//!     --pid-file DIR/rotel-agent.pid --log-file DIR/rotel-agent.log \
//!     --otlp-grpc-endpoint 127.0.0.1:G --otlp-http-endpoint 127.0.0.1:H \
//!     --otlp-with-trace-processor   tests/collector/obs_collector_processor.py \
//!     --otlp-with-metrics-processor tests/collector/obs_collector_processor.py \
//!     --otlp-with-logs-processor    tests/collector/obs_collector_processor.py
//! ```
//!
//! where `DIR` is the temporary directory (the pid and log files are only used with `--daemon`),
//! with `OBS_COLLECTOR_OUT=DIR` in the agent's environment and every inherited `ROTEL_*` variable
//! removed (the agent reads its whole configuration from them too). The `blackhole`
//! exporter discards everything, so the agent never reaches for the network. The Python processor
//! (run by the system's `libpython3.11`, which the agent embeds) appends one JSON line per span,
//! metric data point and log record to `spans.jsonl`, `metrics.jsonl` and `logs.jsonl`, which
//! [`Collector::spans`], [`Collector::metrics`] and [`Collector::logs`] read back as
//! [`ExportedSpan`], [`ExportedMetric`] and [`ExportedLog`].
//!
//! What was observed, and what a test has to know:
//!
//! - The agent is ready 10–60 ms after it starts (a restart on the same ports too):
//!   [`Collector::start`] waits until an empty OTLP/HTTP protobuf `POST /v1/traces` answers 200
//!   and the gRPC port accepts connections. The first request may take some 40 ms more.
//! - The processor runs as a request arrives, but after the sender got its 200:
//!   a line is in the file within a few milliseconds. So always poll
//!   ([`Collector::wait_for_spans`], [`Collector::wait_for_metrics`],
//!   [`Collector::wait_for_logs`], every 20 ms) rather than read once.
//! - Rotel does not validate ids: an empty or 8-byte trace id goes through. Check them with
//!   [`ExportedSpan::validate_ids`].
//! - Rotel's OTLP/JSON decoder (not its protobuf one) drops 64-bit integers sent as JSON *strings*
//!   where the point value or a histogram count is concerned, although the OTLP/JSON mapping
//!   says they are strings: `"asInt": "3"` arrives as a point without value, and a histogram with
//!   `"count": "3"` or `"bucketCounts": ["1"]` arrives with no data at all
//!   ([`MetricType::Missing`]), all with a 200 answer. Numbers (`"asInt": 3`) work, and so do
//!   strings for timestamps and `intValue` attributes. A summary sent as OTLP/JSON also reaches
//!   the processor without data ([`MetricType::Missing`]).
//! - An exception escaping a Python processor panics the agent's pipeline and the whole agent
//!   exits. The processor therefore catches everything and writes it to `errors.jsonl`; every
//!   reader here panics when that file is not empty.
//!
//! A missing `rotel-agent` fails the test with the command that installs it: these tests never
//! pass by skipping.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::HttpResponse;

/// Attributes (resource, scope, span, event, link, data point or log record) by key. Values are
/// JSON: strings, numbers (`intValue` as an integer, `doubleValue` as a float, non-finite doubles
/// as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`), booleans, arrays (`arrayValue`),
/// objects (`kvlistValue`); `bytesValue` as a lower-case hex string.
pub type Attributes = BTreeMap<String, serde_json::Value>;

/// How long [`Collector::start`] and [`Collector::restart`] wait for the agent to be ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// One span as the collector received it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportedSpan {
    /// Resource attributes (`service.name`, `service.version`, ...).
    pub resource: Attributes,
    /// Instrumentation scope name (empty when none was sent).
    pub scope_name: String,
    /// Instrumentation scope version (empty when none was sent).
    pub scope_version: String,
    /// Instrumentation scope attributes.
    #[serde(default)]
    pub scope_attributes: Attributes,
    /// When the processor saw the span, in nanoseconds since the Unix epoch (collector clock).
    pub received_unix_nano: u64,
    /// Span name.
    pub name: String,
    /// Trace id as lower-case hex, exactly as many bytes as were sent (32 hex digits when valid).
    pub trace_id: String,
    /// Span id as lower-case hex (16 hex digits when valid).
    pub span_id: String,
    /// Parent span id as lower-case hex; empty for a root span.
    pub parent_span_id: String,
    /// W3C `tracestate`, as sent (empty when none).
    pub trace_state: String,
    /// Span flags (low 8 bits: W3C trace flags; bits 8–9: whether the parent is remote).
    pub flags: u32,
    /// Span kind, as the OTLP enum: see the `KIND_*` constants.
    pub kind: i32,
    /// Status code, as the OTLP enum: see the `STATUS_*` constants (0 when no status was sent).
    pub status_code: i32,
    /// Status message (empty when none).
    pub status_message: String,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
    /// Span attributes.
    pub attributes: Attributes,
    /// Attributes the sender reported as dropped.
    pub dropped_attributes_count: u32,
    /// Span events, in order.
    pub events: Vec<ExportedEvent>,
    /// Events the sender reported as dropped.
    pub dropped_events_count: u32,
    /// Span links, in order.
    pub links: Vec<ExportedLink>,
    /// Links the sender reported as dropped.
    pub dropped_links_count: u32,
}

/// A span event.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportedEvent {
    /// Event name.
    pub name: String,
    /// When it happened, nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Event attributes.
    pub attributes: Attributes,
}

/// A span link.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportedLink {
    /// Linked trace id, lower-case hex.
    pub trace_id: String,
    /// Linked span id, lower-case hex.
    pub span_id: String,
    /// Linked span's `tracestate`.
    pub trace_state: String,
    /// Link attributes.
    pub attributes: Attributes,
}

impl ExportedSpan {
    /// `SPAN_KIND_UNSPECIFIED`.
    pub const KIND_UNSPECIFIED: i32 = 0;
    /// `SPAN_KIND_INTERNAL`.
    pub const KIND_INTERNAL: i32 = 1;
    /// `SPAN_KIND_SERVER`.
    pub const KIND_SERVER: i32 = 2;
    /// `SPAN_KIND_CLIENT`.
    pub const KIND_CLIENT: i32 = 3;
    /// `SPAN_KIND_PRODUCER`.
    pub const KIND_PRODUCER: i32 = 4;
    /// `SPAN_KIND_CONSUMER`.
    pub const KIND_CONSUMER: i32 = 5;
    /// `STATUS_CODE_UNSET`.
    pub const STATUS_UNSET: i32 = 0;
    /// `STATUS_CODE_OK`.
    pub const STATUS_OK: i32 = 1;
    /// `STATUS_CODE_ERROR`.
    pub const STATUS_ERROR: i32 = 2;

    /// The resource's `service.name`, if it is a string.
    pub fn service_name(&self) -> Option<&str> {
        self.resource.get("service.name").and_then(|v| v.as_str())
    }

    /// The span attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&serde_json::Value> {
        self.attributes.get(key)
    }

    /// The span attribute `key`, if it is a string.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attr(key).and_then(|v| v.as_str())
    }

    /// Whether the span has no parent.
    pub fn is_root(&self) -> bool {
        self.parent_span_id.is_empty()
    }

    /// Checks what Rotel does not: a 16-byte non-zero trace id, an 8-byte non-zero span id, a
    /// parent span id that is empty or 8 non-zero bytes, and the same for every link.
    pub fn validate_ids(&self) -> Result<(), String> {
        let what = format!("span `{}`", self.name);
        check_id(&what, "trace_id", &self.trace_id, 16)?;
        check_id(&what, "span_id", &self.span_id, 8)?;
        if !self.parent_span_id.is_empty() {
            check_id(&what, "parent_span_id", &self.parent_span_id, 8)?;
        }
        for link in &self.links {
            check_id(&what, "link trace_id", &link.trace_id, 16)?;
            check_id(&what, "link span_id", &link.span_id, 8)?;
        }
        Ok(())
    }
}

fn check_id(what: &str, field: &str, hex: &str, bytes: usize) -> Result<(), String> {
    if hex.len() != bytes * 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{what}: {field} {hex:?} is not {bytes} bytes of hex"
        ));
    }
    if hex.bytes().all(|b| b == b'0') {
        return Err(format!("{what}: {field} is all zeroes"));
    }
    Ok(())
}

/// The kind of a metric, as the collector received it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    /// A sum (counter or up-down counter): see [`ExportedMetric::monotonic`].
    Sum,
    /// A gauge.
    Gauge,
    /// An explicit-bucket histogram.
    Histogram,
    /// An exponential histogram.
    ExponentialHistogram,
    /// A summary (which Rotel 0.0.1-alpha10 hands over without data: see [`MetricType::Missing`]).
    Summary,
    /// The metric arrived without data: Rotel could not decode its points (see the module
    /// documentation), or it has none. One record stands for the whole metric.
    #[serde(rename = "none")]
    Missing,
}

/// The aggregation temporality of a sum or a histogram.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Temporality {
    /// `AGGREGATION_TEMPORALITY_UNSPECIFIED` (invalid in OTLP).
    Unspecified,
    /// `AGGREGATION_TEMPORALITY_DELTA`.
    Delta,
    /// `AGGREGATION_TEMPORALITY_CUMULATIVE`.
    Cumulative,
}

/// One metric data point as the collector received it, with its metric's fields repeated.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportedMetric {
    /// Resource attributes (`service.name`, ...).
    pub resource: Attributes,
    /// Instrumentation scope name (empty when none was sent).
    pub scope_name: String,
    /// Instrumentation scope version (empty when none was sent).
    pub scope_version: String,
    /// Instrumentation scope attributes.
    #[serde(default)]
    pub scope_attributes: Attributes,
    /// When the processor saw the point, in nanoseconds since the Unix epoch (collector clock).
    pub received_unix_nano: u64,
    /// Metric name.
    pub name: String,
    /// Metric description.
    pub description: String,
    /// Metric unit (UCUM, e.g. `s`, `By`, `1`; empty when none).
    pub unit: String,
    /// Sum, gauge, histogram, ...
    #[serde(rename = "type")]
    pub metric_type: MetricType,
    /// For a sum: whether it is monotonic (a counter). `None` for other kinds.
    #[serde(default)]
    pub monotonic: Option<bool>,
    /// For a sum or a (exponential) histogram: its temporality. `None` for other kinds.
    #[serde(default)]
    pub temporality: Option<Temporality>,
    /// The data point's attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// The point's start time (0 when not sent), nanoseconds since the Unix epoch.
    #[serde(default)]
    pub start_time_unix_nano: u64,
    /// The point's time, nanoseconds since the Unix epoch.
    #[serde(default)]
    pub time_unix_nano: u64,
    /// Data point flags (bit 0: no recorded value).
    #[serde(default)]
    pub flags: u32,
    /// For a sum or a gauge: the value (an `asInt` too, as a float). `None` when the point
    /// arrived without a value.
    #[serde(default, deserialize_with = "opt_float")]
    pub value: Option<f64>,
    /// For a sum or a gauge sent as `asInt`: the exact integer. `None` for `asDouble`.
    #[serde(default)]
    pub int_value: Option<i64>,
    /// For a histogram, exponential histogram or summary: the number of observations.
    #[serde(default)]
    pub count: Option<u64>,
    /// For a histogram, exponential histogram or summary: the sum of observations (`None` when
    /// not sent).
    #[serde(default, deserialize_with = "opt_float")]
    pub sum: Option<f64>,
    /// For a histogram: the explicit upper bounds, without `+Inf`.
    #[serde(default, deserialize_with = "float_vec")]
    pub bucket_bounds: Vec<f64>,
    /// For a histogram: the count in each bucket (not cumulative), one more than the bounds.
    #[serde(default)]
    pub bucket_counts: Vec<u64>,
    /// For a (exponential) histogram: the minimum observation, when sent.
    #[serde(default, deserialize_with = "opt_float")]
    pub min: Option<f64>,
    /// For a (exponential) histogram: the maximum observation, when sent.
    #[serde(default, deserialize_with = "opt_float")]
    pub max: Option<f64>,
    /// For an exponential histogram: its scale.
    #[serde(default)]
    pub scale: Option<i32>,
    /// For an exponential histogram: the zero bucket's count.
    #[serde(default)]
    pub zero_count: Option<u64>,
    /// For an exponential histogram: index of the first positive bucket.
    #[serde(default)]
    pub positive_offset: Option<i32>,
    /// For an exponential histogram: the positive buckets' counts.
    #[serde(default)]
    pub positive_bucket_counts: Vec<u64>,
    /// For an exponential histogram: index of the first negative bucket.
    #[serde(default)]
    pub negative_offset: Option<i32>,
    /// For an exponential histogram: the negative buckets' counts.
    #[serde(default)]
    pub negative_bucket_counts: Vec<u64>,
    /// For a summary: `[quantile, value]` pairs.
    #[serde(default)]
    pub quantiles: Vec<[serde_json::Value; 2]>,
    /// For a sum, gauge or (exponential) histogram: the point's exemplars.
    #[serde(default)]
    pub exemplars: Vec<ExportedExemplar>,
}

/// An exemplar of a metric data point.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportedExemplar {
    /// When it was recorded, nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Trace id, lower-case hex (empty when none).
    pub trace_id: String,
    /// Span id, lower-case hex (empty when none).
    pub span_id: String,
    /// The measurement (an `asInt` too, as a float).
    #[serde(default, deserialize_with = "opt_float")]
    pub value: Option<f64>,
    /// The exact integer, for an `asInt` exemplar.
    #[serde(default)]
    pub int_value: Option<i64>,
    /// Attributes the aggregation filtered out.
    pub filtered_attributes: Attributes,
}

impl ExportedMetric {
    /// The resource's `service.name`, if it is a string.
    pub fn service_name(&self) -> Option<&str> {
        self.resource.get("service.name").and_then(|v| v.as_str())
    }

    /// The data point attribute `key`, if it is a string.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(|v| v.as_str())
    }

    /// Whether the data point's attributes include every `(key, string value)` of `attrs`.
    pub fn has_attrs(&self, attrs: &[(&str, &str)]) -> bool {
        attrs.iter().all(|(k, v)| self.attr_str(k) == Some(*v))
    }
}

/// One log record as the collector received it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportedLog {
    /// Resource attributes (`service.name`, ...).
    pub resource: Attributes,
    /// Instrumentation scope name (empty when none was sent).
    pub scope_name: String,
    /// Instrumentation scope version (empty when none was sent).
    pub scope_version: String,
    /// Instrumentation scope attributes.
    #[serde(default)]
    pub scope_attributes: Attributes,
    /// When the processor saw the record, in nanoseconds since the Unix epoch (collector clock).
    pub received_unix_nano: u64,
    /// When the event happened (0 when not sent), nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// When the event was observed (0 when not sent), nanoseconds since the Unix epoch.
    pub observed_time_unix_nano: u64,
    /// Severity number (1–24; 9 is INFO, 17 ERROR; 0 when not sent).
    pub severity_number: i32,
    /// Severity text, as sent.
    pub severity_text: String,
    /// The body, as JSON (see [`Attributes`] for how values map).
    pub body: serde_json::Value,
    /// Log record attributes.
    pub attributes: Attributes,
    /// Trace id, lower-case hex (empty when none).
    pub trace_id: String,
    /// Span id, lower-case hex (empty when none).
    pub span_id: String,
    /// Log record flags (W3C trace flags).
    pub flags: u32,
    /// Event name (empty when none).
    #[serde(default)]
    pub event_name: String,
}

fn json_float(v: &serde_json::Value) -> Result<f64, String> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not an f64")),
        serde_json::Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => Err(format!("{other:?} is not a float")),
        },
        other => Err(format!("{other} is not a float")),
    }
}

fn opt_float<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    v.as_ref()
        .map(json_float)
        .transpose()
        .map_err(serde::de::Error::custom)
}

fn float_vec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let v = Vec::<serde_json::Value>::deserialize(d)?;
    v.iter()
        .map(json_float)
        .collect::<Result<_, _>>()
        .map_err(serde::de::Error::custom)
}

/// Where `scripts/install-validators.sh` puts `rotel-agent` (or `$OBS_ROTEL_AGENT`).
fn rotel_agent() -> PathBuf {
    if let Some(p) = std::env::var_os("OBS_ROTEL_AGENT") {
        return p.into();
    }
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/validators-venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|dir| {
        dir.filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/rotel/rotel-agent"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "rotel-agent (PyPI `rotel`) is not installed under {}; run `bash scripts/install-validators.sh` \
             (CI runs it through .ci/run)",
            lib.display()
        )
    })
}

fn processor_path() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("collector/obs_collector_processor.py");
    let p = p
        .canonicalize()
        .unwrap_or_else(|e| panic!("the collector processor {}: {e}", p.display()));
    assert!(p.is_file(), "{} is not a file", p.display());
    p
}

fn unique_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "obs-collector-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// `POST path` with `body` on `addr` over HTTP/1.0, with extra `headers`.
pub fn http_post(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    crate::http_request("POST", addr, path, headers, body)
}

/// A running Rotel collector that records what it receives; see the module documentation.
///
/// Dropping it kills the agent (by PID) and removes its directory, unless the thread is
/// panicking: then the directory (agent logs, JSONL files) is kept and its path printed.
#[derive(Debug)]
pub struct Collector {
    agent: PathBuf,
    processor: PathBuf,
    dir: PathBuf,
    grpc_port: u16,
    http_port: u16,
    child: Option<Child>,
    /// How many times an agent was spawned (names the log files `agent-N.log`).
    spawns: u32,
}

impl Collector {
    /// Starts an agent on free loopback ports with a fresh temporary directory, and returns once
    /// it is ready to receive. Panics, with the install command, if `rotel-agent` is missing, and
    /// with the agent's log if it does not become ready.
    pub fn start() -> Collector {
        let agent = rotel_agent();
        let processor = processor_path();
        let dir = unique_dir();
        let mut last_error = String::new();
        // A free port can be taken by someone else between our probe and the agent's bind:
        // try again on other ports.
        for _ in 0..5 {
            let mut collector = Collector {
                agent: agent.clone(),
                processor: processor.clone(),
                dir: dir.clone(),
                grpc_port: crate::free_port(),
                http_port: crate::free_port(),
                child: None,
                spawns: 0,
            };
            if collector.grpc_port == collector.http_port {
                continue;
            }
            match collector.spawn() {
                Ok(()) => return collector,
                Err(e) => {
                    last_error = e;
                    collector.kill();
                    // Keep the directory for the next attempt.
                    collector.dir = PathBuf::new();
                }
            }
        }
        panic!("rotel-agent did not start:\n{last_error}");
    }

    /// The OTLP/gRPC endpoint, `http://127.0.0.1:PORT`.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    /// The OTLP/HTTP base endpoint, `http://127.0.0.1:PORT`: signals go to `/v1/traces`,
    /// `/v1/metrics` and `/v1/logs` under it (protobuf or JSON, optionally gzip).
    pub fn http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The OTLP/HTTP listener as `127.0.0.1:PORT`, for [`http_post`].
    pub fn http_addr(&self) -> String {
        format!("127.0.0.1:{}", self.http_port)
    }

    /// The OTLP/gRPC listener as `127.0.0.1:PORT`.
    pub fn grpc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.grpc_port)
    }

    /// The collector's directory: agent logs (`agent-N.log`) and the JSONL files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `POST path` to the OTLP/HTTP listener with `body` of type `content_type` (and any
    /// `extra_headers`, e.g. `Content-Encoding: gzip`).
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        extra_headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let mut headers = vec![("Content-Type", content_type)];
        headers.extend_from_slice(extra_headers);
        http_post(&self.http_addr(), path, &headers, body)
            .unwrap_or_else(|e| panic!("POST {path} to the collector: {e}\n{}", self.diagnose()))
    }

    /// Every span received so far (across restarts), in arrival order.
    pub fn spans(&self) -> Vec<ExportedSpan> {
        self.read("spans.jsonl")
    }

    /// Every metric data point received so far (across restarts), in arrival order.
    pub fn metrics(&self) -> Vec<ExportedMetric> {
        self.read("metrics.jsonl")
    }

    /// Every log record received so far (across restarts), in arrival order.
    pub fn logs(&self) -> Vec<ExportedLog> {
        self.read("logs.jsonl")
    }

    /// Polls [`Collector::spans`] until `pred` holds for them, and returns them; panics with what
    /// did arrive and the agent's log after `timeout`.
    pub fn wait_for_spans(
        &self,
        pred: impl Fn(&[ExportedSpan]) -> bool,
        timeout: Duration,
    ) -> Vec<ExportedSpan> {
        self.wait_for("spans", || self.spans(), pred, timeout, |s| s.name.clone())
    }

    /// Polls [`Collector::metrics`] until `pred` holds for them, and returns them; panics with
    /// what did arrive and the agent's log after `timeout`.
    pub fn wait_for_metrics(
        &self,
        pred: impl Fn(&[ExportedMetric]) -> bool,
        timeout: Duration,
    ) -> Vec<ExportedMetric> {
        self.wait_for(
            "metrics",
            || self.metrics(),
            pred,
            timeout,
            |m| m.name.clone(),
        )
    }

    /// Polls [`Collector::logs`] until `pred` holds for them, and returns them; panics with what
    /// did arrive and the agent's log after `timeout`.
    pub fn wait_for_logs(
        &self,
        pred: impl Fn(&[ExportedLog]) -> bool,
        timeout: Duration,
    ) -> Vec<ExportedLog> {
        self.wait_for(
            "logs",
            || self.logs(),
            pred,
            timeout,
            |l| l.body.to_string(),
        )
    }

    /// Forgets everything received so far (the JSONL files are emptied).
    pub fn clear(&self) {
        for name in ["spans.jsonl", "metrics.jsonl", "logs.jsonl"] {
            match std::fs::remove_file(self.dir.join(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("removing {name}: {e}"),
            }
        }
    }

    /// Whether the agent process is running (false after [`Collector::stop`], or if it died).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills the agent (SIGKILL, by PID) and waits for it to exit, so that its ports refuse
    /// connections: what an exporter sees when its collector goes down. What it received stays
    /// readable. Does nothing if it is already stopped.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Stops the agent if it runs, then starts a new one on the same ports, with the same
    /// directory (what was received before stays), and waits until it is ready.
    pub fn restart(&mut self) {
        self.kill();
        self.drop_torn_lines();
        // Ports just released can take a moment to be bindable again; the agent exits at once if
        // its bind fails, so try a few times.
        let mut last_error = String::new();
        for _ in 0..10 {
            match self.spawn() {
                Ok(()) => return,
                Err(e) => {
                    last_error = e;
                    self.kill();
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        panic!(
            "rotel-agent did not restart on ports {} and {}:\n{last_error}",
            self.grpc_port, self.http_port
        );
    }

    /// A line the killed agent left without its newline would run into the next agent's first
    /// line: cut it off.
    fn drop_torn_lines(&self) {
        for name in ["spans.jsonl", "metrics.jsonl", "logs.jsonl", "errors.jsonl"] {
            let path = self.dir.join(name);
            let Ok(text) = std::fs::read(&path) else {
                continue;
            };
            if !text.is_empty() && !text.ends_with(b"\n") {
                let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                std::fs::write(&path, &text[..keep])
                    .unwrap_or_else(|e| panic!("rewriting {}: {e}", path.display()));
            }
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Kills by the PID `Child` holds; an already-exited child is reaped all the same.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Spawns the agent on this collector's ports and waits until it is ready; `Err` carries its
    /// log when it exits or does not become ready in time.
    fn spawn(&mut self) -> Result<(), String> {
        self.spawns += 1;
        let log_path = self.dir.join(format!("agent-{}.log", self.spawns));
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
        let log2 = log.try_clone().expect("cloning the log file handle");
        let mut command = Command::new(&self.agent);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ROTEL_") {
                command.env_remove(&key);
            }
        }
        let processor = self.processor.as_os_str();
        command
            .arg("start")
            .arg("--exporter")
            .arg("blackhole")
            // Only used with --daemon, but never let two agents share the default /tmp paths.
            .arg("--pid-file")
            .arg(self.dir.join("rotel-agent.pid"))
            .arg("--log-file")
            .arg(self.dir.join("rotel-agent.log"))
            .arg("--otlp-grpc-endpoint")
            .arg(self.grpc_addr())
            .arg("--otlp-http-endpoint")
            .arg(self.http_addr())
            .arg("--otlp-with-trace-processor")
            .arg(processor)
            .arg("--otlp-with-metrics-processor")
            .arg(processor)
            .arg("--otlp-with-logs-processor")
            .arg(processor)
            .env("OBS_COLLECTOR_OUT", &self.dir)
            .env("NO_COLOR", "1")
            // No __pycache__ beside the processor in the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "running {}: {e}; run `bash scripts/install-validators.sh` (CI runs it through .ci/run)",
                self.agent.display()
            )
        });
        self.child = Some(child);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if !self.is_running() {
                return Err(format!(
                    "rotel-agent exited before it was ready; its log:\n{}",
                    read_tail(&log_path)
                ));
            }
            if self.ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "rotel-agent not ready after {READY_TIMEOUT:?}; its log:\n{}",
                    read_tail(&log_path)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// An empty OTLP/HTTP protobuf export answers 200, and the gRPC port accepts connections.
    fn ready(&self) -> bool {
        let http = http_post(
            &self.http_addr(),
            "/v1/traces",
            &[("Content-Type", "application/x-protobuf")],
            b"",
        )
        .map(|r| r.status == 200)
        .unwrap_or(false);
        let grpc_addr: SocketAddr = self.grpc_addr().parse().expect("a socket address");
        http && TcpStream::connect_timeout(&grpc_addr, Duration::from_millis(200)).is_ok()
    }

    fn read<T: DeserializeOwned>(&self, name: &str) -> Vec<T> {
        self.check_processor_errors();
        let path = self.dir.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("reading {}: {e}", path.display()),
        };
        // A line without its newline is still being written: leave it for the next read.
        let complete = match text.rfind('\n') {
            Some(i) => &text[..=i],
            None => "",
        };
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}: {e} in line {line}", path.display()))
            })
            .collect()
    }

    fn check_processor_errors(&self) {
        let path = self.dir.join("errors.jsonl");
        if let Ok(text) = std::fs::read_to_string(&path)
            && !text.trim().is_empty()
        {
            panic!(
                "the collector's Python processor failed (data was lost):\n{text}\n{}",
                self.diagnose()
            );
        }
    }

    fn wait_for<T>(
        &self,
        what: &str,
        read: impl Fn() -> Vec<T>,
        pred: impl Fn(&[T]) -> bool,
        timeout: Duration,
        label: impl Fn(&T) -> String,
    ) -> Vec<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let items = read();
            if pred(&items) {
                return items;
            }
            if Instant::now() > deadline {
                let labels: Vec<String> = items.iter().map(label).collect();
                panic!(
                    "timed out after {timeout:?} waiting for {what}; received {} so far: {labels:?}\n{}",
                    items.len(),
                    self.diagnose()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The agent's state and the tail of its current log, for failure messages.
    fn diagnose(&self) -> String {
        let state = match &self.child {
            Some(child) => format!("agent pid {}", child.id()),
            None => "agent stopped".to_owned(),
        };
        let log = self.dir.join(format!("agent-{}.log", self.spawns));
        format!(
            "{state}, directory {}; log {}:\n{}",
            self.dir.display(),
            log.display(),
            read_tail(&log)
        )
    }
}

fn read_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill();
        if self.dir.as_os_str().is_empty() {
            return;
        }
        if std::thread::panicking() {
            eprintln!(
                "collector directory kept for inspection: {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
