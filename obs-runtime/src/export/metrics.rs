//! Periodic OTLP push of every family in a registry: counters as monotonic cumulative sums,
//! gauges as gauges, histograms with their bucket boundaries, all cumulative. A worker thread
//! with its own runtime reads the registry on each tick (the same read the exposition does, so
//! recording is untouched), and a failed push is counted and retried with fresh values on the
//! next tick.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_http::HttpClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::stats::{DropReason, Signal, count_dropped, count_sent};
use super::{ExportError, OtlpConfig, Protocol};
use crate::expose::unit_of;
use crate::metrics::{FamilyView, MetricType, OverflowFamily, RefusedFamily, Registry, Sample};

/// Keeps metric export running; dropping it (or [`MetricsGuard::shutdown`]) pushes once more and
/// stops.
#[derive(Debug)]
pub struct MetricsGuard {
    stop: Option<mpsc::Sender<()>>,
    worker: Option<JoinHandle<()>>,
}

impl MetricsGuard {
    /// Pushes the final values and stops; waits at most the export timeout for that push.
    pub fn shutdown(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for MetricsGuard {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

enum Transport {
    Grpc(MetricsServiceClient<tonic::transport::Channel>),
    Http(Box<opentelemetry_http::hyper::HyperClient>, String),
}

/// Starts pushing every family of `registry` to the collector in `config` every `interval`
/// (longer than zero).
pub fn start_metrics_export(
    config: &OtlpConfig,
    registry: &'static Registry,
    interval: Duration,
) -> Result<MetricsGuard, ExportError> {
    if interval.is_zero() {
        return Err(ExportError::InvalidOption {
            option: "interval",
            reason: "must be longer than zero",
        });
    }
    let endpoint = config.validate()?;
    super::stats::ensure_registered();
    let resource = resource_proto(config);
    let timeout = config.batch.export_timeout;
    let protocol = config.protocol;
    let metrics_url = endpoint.signal_url("metrics");
    let endpoint = endpoint.origin();
    let (stop, stopped) = mpsc::channel::<()>();
    let setup = move || match protocol {
        Protocol::Grpc => tonic::transport::Channel::from_shared(endpoint)
            .map(|channel| {
                Transport::Grpc(MetricsServiceClient::new(
                    channel.timeout(timeout).connect_lazy(),
                ))
            })
            .map_err(|e| ExportError::Build(Box::new(e))),
        Protocol::HttpProtobuf => Ok(Transport::Http(
            Box::new(opentelemetry_http::hyper::HyperClient::with_default_connector(timeout, None)),
            metrics_url,
        )),
    };
    let worker = super::worker::spawn("obs-otlp-metrics", setup, move |runtime, transport| {
        let start = now_nanos();
        loop {
            let last = matches!(
                stopped.recv_timeout(interval),
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected)
            );
            let (request, points) = collect(registry, &resource, start);
            let delivered = runtime.block_on(async {
                tokio::time::timeout(timeout, push(&transport, request))
                    .await
                    .unwrap_or(false)
            });
            if delivered {
                count_sent(Signal::Metrics, points);
            } else {
                count_dropped(Signal::Metrics, DropReason::ExportFailed, points);
            }
            if last {
                return;
            }
        }
    })?;
    Ok(MetricsGuard {
        stop: Some(stop),
        worker: Some(worker),
    })
}

async fn push(transport: &Transport, request: ExportMetricsServiceRequest) -> bool {
    match transport {
        Transport::Grpc(client) => client.clone().export(request).await.is_ok(),
        Transport::Http(client, url) => {
            let body = bytes::Bytes::from(request.encode_to_vec());
            let Ok(http_request) = http::Request::post(url.as_str())
                .header(http::header::CONTENT_TYPE, "application/x-protobuf")
                .body(body)
            else {
                return false;
            };
            client
                .send_bytes(http_request)
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Attribute keys the semantic conventions type as integers: their label values (text in
/// Prometheus) are pushed as integers.
const INT_ATTRIBUTES: &[&str] = &["http.response.status_code", "server.port"];

/// A label as an OTLP attribute: an integer where the conventions type `key` so and the value
/// is one, else text.
fn attribute_kv(key: &str, value: &str) -> KeyValue {
    match value.parse::<i64>() {
        Ok(n) if INT_ATTRIBUTES.contains(&key) => KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue {
                value: Some(any_value::Value::IntValue(n)),
            }),
            ..Default::default()
        },
        _ => string_kv(key, value),
    }
}

fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

fn resource_proto(config: &OtlpConfig) -> Resource {
    use opentelemetry::Value;
    let attributes = config
        .resource()
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.to_string(),
                other => other.to_string(),
            };
            string_kv(k.as_str(), &text)
        })
        .collect();
    Resource {
        attributes,
        ..Default::default()
    }
}

/// The UCUM unit OpenTelemetry uses for a base unit in a Prometheus name.
fn ucum(unit: &'static str) -> &'static str {
    match unit {
        "seconds" => "s",
        "bytes" => "By",
        "ratio" => "1",
        "meters" => "m",
        "grams" => "g",
        "joules" => "J",
        "volts" => "V",
        "amperes" => "A",
        "celsius" => "Cel",
        other => other,
    }
}

/// One export request over every family; returns it with its number of data points.
fn collect(
    registry: &Registry,
    resource: &Resource,
    start: u64,
) -> (ExportMetricsServiceRequest, u64) {
    let now = now_nanos();
    let families = registry.families();
    let overflow = OverflowFamily::over(&families);
    let refused = RefusedFamily::over(&families);
    let mut metrics = Vec::with_capacity(families.len() + 2);
    let mut points = 0u64;
    let all = families
        .iter()
        .map(|f| *f as &dyn FamilyView)
        .chain(overflow.as_ref().map(|o| o as &dyn FamilyView))
        .chain(refused.as_ref().map(|r| r as &dyn FamilyView));
    for family in all {
        let (metric, n) = convert(family, start, now);
        points += n;
        metrics.push(metric);
    }
    let request = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource.clone()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "obs".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    (request, points)
}

/// One family as an OTLP metric, with its number of data points.
fn convert(family: &dyn FamilyView, start: u64, now: u64) -> (Metric, u64) {
    let desc = family.desc();
    // A semantic convention's name and unit where the family has them, else both derived from
    // the Prometheus name (`_total` dropped, the unit suffix in UCUM).
    let (name, unit) = match desc.otlp {
        Some(otlp) => (otlp.name, otlp.unit),
        None => (
            match desc.metric_type {
                MetricType::Counter => desc.name.strip_suffix("_total").unwrap_or(desc.name),
                _ => desc.name,
            },
            unit_of(desc.name, desc.metric_type).map_or("", ucum),
        ),
    };
    let mut numbers = Vec::new();
    let mut histograms = Vec::new();
    family.visit(&mut |values, sample| {
        // Under each label's semantic-convention key where it has one; an empty value (an
        // absent label in Prometheus terms, such as `error_type` on success) is left out.
        let attributes: Vec<KeyValue> = desc
            .labels
            .iter()
            .zip(values)
            .filter(|(_, v)| !v.is_empty())
            .map(|(l, v)| attribute_kv(l.attribute_key(), v))
            .collect();
        let value = match sample {
            Sample::Unsigned(v) => Some(number_data_point::Value::AsInt(v as i64)),
            Sample::Signed(v) => Some(number_data_point::Value::AsInt(v)),
            Sample::Float(v) => Some(number_data_point::Value::AsDouble(v)),
            Sample::Histogram {
                bounds,
                cumulative,
                sum,
                ..
            } => {
                let mut previous = 0;
                let bucket_counts = cumulative
                    .iter()
                    .map(|&c| {
                        let n = c - previous;
                        previous = c;
                        n
                    })
                    .collect();
                histograms.push(HistogramDataPoint {
                    attributes: attributes.clone(),
                    start_time_unix_nano: start,
                    time_unix_nano: now,
                    count: cumulative.last().copied().unwrap_or(0),
                    sum: Some(sum),
                    bucket_counts,
                    explicit_bounds: bounds.to_vec(),
                    ..Default::default()
                });
                None
            }
        };
        if let Some(value) = value {
            numbers.push(NumberDataPoint {
                attributes,
                start_time_unix_nano: start,
                time_unix_nano: now,
                value: Some(value),
                ..Default::default()
            });
        }
    });
    let cumulative = AggregationTemporality::Cumulative as i32;
    let points = (numbers.len() + histograms.len()) as u64;
    let data = match desc.metric_type {
        MetricType::Counter => metric::Data::Sum(Sum {
            data_points: numbers,
            aggregation_temporality: cumulative,
            is_monotonic: true,
        }),
        MetricType::Gauge => metric::Data::Gauge(Gauge {
            data_points: numbers,
        }),
        MetricType::Histogram => metric::Data::Histogram(Histogram {
            data_points: histograms,
            aggregation_temporality: cumulative,
        }),
    };
    let metric = Metric {
        name: name.to_owned(),
        description: desc.help.to_owned(),
        unit: unit.to_owned(),
        data: Some(data),
        ..Default::default()
    };
    (metric, points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bounded, metrics};

    metrics! {
        /// Families for the conversion tests.
        pub CONVERTED in "test_export_convert" {
            /// Operations, by semantic-convention keys.
            #[otlp(name = "gen_ai.client.operations", unit = "{operation}")]
            operations_total: Counter {
                #[otlp(key = "gen_ai.operation.name")]
                gen_ai_operation_name: Bounded<4>,
                #[otlp(key = "server.address")]
                server_address: Bounded<4>,
                route: Bounded<4>,
            },
            /// Calls, by error type (empty on success).
            calls_total: Counter { error_type: Bounded<4>, ok: bool },
        }
    }

    /// Each data point's attributes as `(key, value)` pairs.
    fn attributes(metric: &Metric) -> Vec<Vec<(String, String)>> {
        let Some(metric::Data::Sum(sum)) = &metric.data else {
            panic!("not a sum: {metric:?}");
        };
        sum.data_points
            .iter()
            .map(|p| {
                p.attributes
                    .iter()
                    .map(|kv| {
                        let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                            Some(any_value::Value::StringValue(s)) => s.clone(),
                            other => panic!("not a string: {other:?}"),
                        };
                        (kv.key.clone(), value)
                    })
                    .collect()
            })
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn labels_with_keys_are_pushed_under_their_keys() {
        let family = &CONVERTED.operations_total;
        family.with(("chat", "api.openai.com", "/a")).inc();
        let (metric, points) = convert(family, 1, 2);
        assert_eq!(
            (metric.name.as_str(), points),
            ("gen_ai.client.operations", 1)
        );
        assert_eq!(
            attributes(&metric),
            [pairs(&[
                ("gen_ai.operation.name", "chat"),
                ("server.address", "api.openai.com"),
                ("route", "/a"),
            ])]
        );
    }

    #[test]
    fn an_empty_label_value_is_left_out_of_the_attributes() {
        let family = &CONVERTED.calls_total;
        family.with(("timeout", false)).inc();
        family.with(("", true)).add(2);
        let (metric, points) = convert(family, 1, 2);
        assert_eq!(points, 2);
        assert_eq!(
            attributes(&metric),
            [
                pairs(&[("error_type", "timeout"), ("ok", "false")]),
                pairs(&[("ok", "true")]),
            ]
        );
    }
}
