//! The collector harness itself (`obs_tests::collector`), proved without obs' own exporter: OTLP
//! requests written here by hand (OTLP/HTTP JSON, and protobuf encoded by a few lines below) go to
//! a real Rotel agent, and what its Python processor recorded must be exactly what was sent.

use std::time::Duration;

use obs_tests::collector::{Collector, ExportedSpan, MetricType, Temporality};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROOT_ID: &str = "00f067aa0ba902b7";
const CHILD_ID: &str = "b7ad6b7169203331";

fn post_json(collector: &Collector, path: &str, body: &serde_json::Value) {
    let response = collector.post(path, "application/json", &[], body.to_string().as_bytes());
    assert_eq!(
        response.status,
        200,
        "POST {path}: {}",
        String::from_utf8_lossy(&response.body)
    );
}

fn traces_json() -> serde_json::Value {
    json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "harness-svc"}},
            {"key": "service.version", "value": {"stringValue": "1.2.3"}},
        ]},
        "scopeSpans": [{
            "scope": {"name": "obs.harness", "version": "0.1.0"},
            "spans": [
                {
                    "traceId": TRACE_ID, "spanId": ROOT_ID,
                    "name": "gateway.request", "kind": 2,
                    "startTimeUnixNano": "1700000000000000000",
                    "endTimeUnixNano": "1700000000250000000",
                    "status": {"code": 1},
                    "attributes": [
                        {"key": "http.route", "value": {"stringValue": "/v1/chat"}},
                        {"key": "http.response.status_code", "value": {"intValue": "200"}},
                    ],
                },
                {
                    "traceId": TRACE_ID, "spanId": CHILD_ID, "parentSpanId": ROOT_ID,
                    "name": "llm.call", "kind": 3,
                    "startTimeUnixNano": "1700000000010000000",
                    "endTimeUnixNano": "1700000000240000000",
                    "status": {"code": 2, "message": "provider timeout"},
                    "attributes": [
                        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1234"}},
                        {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.25}},
                        {"key": "llm.streaming", "value": {"boolValue": true}},
                    ],
                    "events": [{"name": "exception", "timeUnixNano": "1700000000239000000",
                        "attributes": [{"key": "exception.type", "value": {"stringValue": "Timeout"}}]}],
                },
            ],
        }],
    }]})
}

#[test]
fn spans_sent_as_otlp_http_json_are_read_back_exactly() {
    let collector = Collector::start();
    assert!(collector.spans().is_empty());
    post_json(&collector, "/v1/traces", &traces_json());

    let spans = collector.wait_for_spans(|s| s.len() >= 2, WAIT);
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let root = spans.iter().find(|s| s.name == "gateway.request").unwrap();
    let child = spans.iter().find(|s| s.name == "llm.call").unwrap();
    for span in [root, child] {
        span.validate_ids().unwrap();
        assert_eq!(span.service_name(), Some("harness-svc"));
        assert_eq!(span.resource["service.version"], json!("1.2.3"));
        assert_eq!(span.scope_name, "obs.harness");
        assert_eq!(span.scope_version, "0.1.0");
        assert_eq!(span.trace_id, TRACE_ID);
    }

    assert_eq!(root.span_id, ROOT_ID);
    assert!(root.is_root());
    assert_eq!(root.kind, ExportedSpan::KIND_SERVER);
    assert_eq!(root.status_code, ExportedSpan::STATUS_OK);
    assert_eq!(root.status_message, "");
    assert_eq!(root.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(root.end_time_unix_nano, 1_700_000_000_250_000_000);
    assert_eq!(root.attr_str("http.route"), Some("/v1/chat"));
    assert_eq!(root.attr("http.response.status_code"), Some(&json!(200)));

    assert_eq!(child.span_id, CHILD_ID);
    assert_eq!(child.parent_span_id, root.span_id);
    assert_eq!(child.kind, ExportedSpan::KIND_CLIENT);
    assert_eq!(child.status_code, ExportedSpan::STATUS_ERROR);
    assert_eq!(child.status_message, "provider timeout");
    assert_eq!(
        child.attributes,
        [
            ("gen_ai.request.model", json!("gpt-4o")),
            ("gen_ai.usage.input_tokens", json!(1234)),
            ("gen_ai.request.temperature", json!(0.25)),
            ("llm.streaming", json!(true)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    );
    assert_eq!(child.events.len(), 1);
    assert_eq!(child.events[0].name, "exception");
    assert_eq!(child.events[0].time_unix_nano, 1_700_000_000_239_000_000);
    assert_eq!(
        child.events[0].attributes["exception.type"],
        json!("Timeout")
    );
    assert!(child.links.is_empty());
    assert!(child.received_unix_nano > 0);
}

#[test]
fn metrics_sent_as_otlp_http_json_are_read_back_exactly() {
    let collector = Collector::start();
    // Integers as JSON numbers: Rotel's JSON decoder drops the string form (see the test below).
    let body = json!({"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "harness-svc"}}]},
        "scopeMetrics": [{
            "scope": {"name": "obs.harness"},
            "metrics": [
                {
                    "name": "llm_requests", "description": "Requests by provider.", "unit": "1",
                    "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                        {"asInt": 7, "startTimeUnixNano": "1700000000000000000",
                         "timeUnixNano": "1700000060000000000",
                         "attributes": [{"key": "provider", "value": {"stringValue": "openai"}}]},
                        {"asInt": 2, "startTimeUnixNano": "1700000000000000000",
                         "timeUnixNano": "1700000060000000000",
                         "attributes": [{"key": "provider", "value": {"stringValue": "anthropic"}}]},
                    ]},
                },
                {
                    "name": "llm_request_duration", "description": "Latency.", "unit": "s",
                    "histogram": {"aggregationTemporality": 2, "dataPoints": [{
                        "startTimeUnixNano": "1700000000000000000",
                        "timeUnixNano": "1700000060000000000",
                        "count": 4, "sum": 3.75, "min": 0.05, "max": 2.5,
                        "explicitBounds": [0.1, 1.0, 2.5],
                        "bucketCounts": [1, 2, 1, 0],
                        "attributes": [{"key": "provider", "value": {"stringValue": "openai"}}],
                    }]},
                },
                {
                    "name": "queue_depth", "unit": "1",
                    "gauge": {"dataPoints": [{"asDouble": 1.5, "timeUnixNano": "1700000060000000000"}]},
                },
            ],
        }],
    }]});
    post_json(&collector, "/v1/metrics", &body);

    let metrics = collector.wait_for_metrics(|m| m.len() >= 4, WAIT);
    assert_eq!(metrics.len(), 4, "{metrics:#?}");
    for m in &metrics {
        assert_eq!(m.service_name(), Some("harness-svc"));
        assert_eq!(m.scope_name, "obs.harness");
    }

    let requests: Vec<_> = metrics
        .iter()
        .filter(|m| m.name == "llm_requests")
        .collect();
    assert_eq!(requests.len(), 2);
    let openai = requests
        .iter()
        .find(|m| m.has_attrs(&[("provider", "openai")]))
        .unwrap();
    assert_eq!(openai.metric_type, MetricType::Sum);
    assert_eq!(openai.monotonic, Some(true));
    assert_eq!(openai.temporality, Some(Temporality::Cumulative));
    assert_eq!(openai.description, "Requests by provider.");
    assert_eq!(openai.unit, "1");
    assert_eq!(openai.int_value, Some(7));
    assert_eq!(openai.value, Some(7.0));
    assert_eq!(openai.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(openai.time_unix_nano, 1_700_000_060_000_000_000);
    let anthropic = requests
        .iter()
        .find(|m| m.has_attrs(&[("provider", "anthropic")]))
        .unwrap();
    assert_eq!(anthropic.int_value, Some(2));

    let duration = metrics
        .iter()
        .find(|m| m.name == "llm_request_duration")
        .unwrap();
    assert_eq!(duration.metric_type, MetricType::Histogram);
    assert_eq!(duration.temporality, Some(Temporality::Cumulative));
    assert_eq!(duration.monotonic, None);
    assert_eq!(duration.unit, "s");
    assert_eq!(duration.attr_str("provider"), Some("openai"));
    assert_eq!(duration.count, Some(4));
    assert_eq!(duration.sum, Some(3.75));
    assert_eq!(duration.min, Some(0.05));
    assert_eq!(duration.max, Some(2.5));
    assert_eq!(duration.bucket_bounds, vec![0.1, 1.0, 2.5]);
    assert_eq!(duration.bucket_counts, vec![1, 2, 1, 0]);
    assert_eq!(duration.value, None);

    let depth = metrics.iter().find(|m| m.name == "queue_depth").unwrap();
    assert_eq!(depth.metric_type, MetricType::Gauge);
    assert_eq!(depth.value, Some(1.5));
    assert_eq!(depth.int_value, None);
    assert_eq!(depth.temporality, None);
}

#[test]
fn logs_sent_as_otlp_http_json_are_read_back() {
    let collector = Collector::start();
    let body = json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "harness-svc"}}]},
        "scopeLogs": [{"scope": {"name": "obs.audit"}, "logRecords": [{
            "timeUnixNano": "1700000000000000000",
            "severityNumber": 9, "severityText": "INFO",
            "body": {"stringValue": "config.update"},
            "attributes": [{"key": "actor", "value": {"stringValue": "alice"}}],
            "traceId": TRACE_ID, "spanId": ROOT_ID,
        }]}],
    }]});
    post_json(&collector, "/v1/logs", &body);
    let logs = collector.wait_for_logs(|l| !l.is_empty(), WAIT);
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!(log.resource["service.name"], json!("harness-svc"));
    assert_eq!(log.scope_name, "obs.audit");
    assert_eq!(log.severity_number, 9);
    assert_eq!(log.severity_text, "INFO");
    assert_eq!(log.body, json!("config.update"));
    assert_eq!(log.attributes["actor"], json!("alice"));
    assert_eq!(log.trace_id, TRACE_ID);
    assert_eq!(log.span_id, ROOT_ID);
    assert_eq!(log.time_unix_nano, 1_700_000_000_000_000_000);
}

/// Rotel takes ids of any length; `validate_ids` is what catches them.
#[test]
fn malformed_ids_get_through_rotel_and_are_caught_by_validate_ids() {
    let collector = Collector::start();
    let body = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "0102030405060708", "spanId": ROOT_ID, "name": "short-trace-id"},
        {"traceId": TRACE_ID, "spanId": "0000000000000000", "name": "zero-span-id"},
        {"traceId": TRACE_ID, "spanId": CHILD_ID, "parentSpanId": "0102", "name": "short-parent"},
    ]}]}]});
    post_json(&collector, "/v1/traces", &body);
    let spans = collector.wait_for_spans(|s| s.len() >= 3, WAIT);
    for span in &spans {
        let error = span.validate_ids().unwrap_err();
        match span.name.as_str() {
            "short-trace-id" => assert!(error.contains("trace_id"), "{error}"),
            "zero-span-id" => assert!(error.contains("all zeroes"), "{error}"),
            "short-parent" => assert!(error.contains("parent_span_id"), "{error}"),
            other => panic!("unexpected span {other}"),
        }
        assert!(span.service_name().is_none());
    }
}

/// Pins a gap of Rotel 0.0.1-alpha10's OTLP/JSON decoder that the module documentation warns of:
/// int64 point values and histogram counts sent as JSON strings (as the OTLP/JSON mapping has
/// them) are dropped, with a 200. If this starts failing, Rotel fixed it: update the docs.
#[test]
fn rotel_json_decoder_drops_string_encoded_int64_values() {
    let collector = Collector::start();
    let body = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "string_int_sum", "sum": {"aggregationTemporality": 2, "isMonotonic": true,
            "dataPoints": [{"asInt": "3", "timeUnixNano": "5"}]}},
        {"name": "string_count_histogram", "histogram": {"aggregationTemporality": 2,
            "dataPoints": [{"count": "1", "bucketCounts": ["1", "0"], "explicitBounds": [1.0],
                            "timeUnixNano": "5"}]}},
    ]}]}]});
    post_json(&collector, "/v1/metrics", &body);
    let metrics = collector.wait_for_metrics(|m| m.len() >= 2, WAIT);
    let sum = metrics.iter().find(|m| m.name == "string_int_sum").unwrap();
    assert_eq!(sum.metric_type, MetricType::Sum);
    assert_eq!((sum.value, sum.int_value), (None, None));
    let histogram = metrics
        .iter()
        .find(|m| m.name == "string_count_histogram")
        .unwrap();
    assert_eq!(histogram.metric_type, MetricType::Missing);
}

/// A minimal protobuf writer: enough of the wire format for OTLP requests.
mod pb {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
        varint(out, (u64::from(field) << 3) | u64::from(wire));
    }

    /// Length-delimited field (bytes, string, message, packed repeated).
    pub fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
        key(out, field, 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }

    /// Varint field (int32/uint32/bool/enum with non-negative values).
    pub fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
        key(out, field, 0);
        varint(out, v);
    }

    /// 64-bit field (fixed64, sfixed64, double), given as raw bits.
    pub fn fixed64(out: &mut Vec<u8>, field: u32, bits: u64) {
        key(out, field, 1);
        out.extend_from_slice(&bits.to_le_bytes());
    }

    /// A message field built by `f`.
    pub fn msg(out: &mut Vec<u8>, field: u32, f: impl FnOnce(&mut Vec<u8>)) {
        let mut inner = Vec::new();
        f(&mut inner);
        bytes(out, field, &inner);
    }

    /// `KeyValue { key, value: AnyValue { string_value } }` as field `field`.
    pub fn str_attr(out: &mut Vec<u8>, field: u32, k: &str, v: &str) {
        msg(out, field, |kv| {
            bytes(kv, 1, k.as_bytes());
            msg(kv, 2, |any| bytes(any, 1, v.as_bytes()));
        });
    }

    pub fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}

/// OTLP/HTTP protobuf, the encoding an exporter normally sends: ids as bytes, exact int64 values
/// (beyond f64's 2^53), fixed64 histogram counts and an exemplar all come through.
#[test]
fn spans_and_metrics_sent_as_otlp_http_protobuf_are_read_back_exactly() {
    use pb::*;
    let collector = Collector::start();

    // ExportTraceServiceRequest { resource_spans: [ResourceSpans { resource, scope_spans }] }
    let mut traces = Vec::new();
    msg(&mut traces, 1, |rs| {
        msg(rs, 1, |res| str_attr(res, 1, "service.name", "proto-svc"));
        msg(rs, 2, |ss| {
            msg(ss, 1, |scope| bytes(scope, 1, b"obs.proto"));
            msg(ss, 2, |span| {
                bytes(span, 1, &hex(TRACE_ID));
                bytes(span, 2, &hex(CHILD_ID));
                bytes(span, 4, &hex(ROOT_ID));
                bytes(span, 5, b"proto.span");
                uint(span, 6, 1); // SPAN_KIND_INTERNAL
                fixed64(span, 7, 1_700_000_000_000_000_123);
                fixed64(span, 8, 1_700_000_000_000_000_456);
                str_attr(span, 9, "k", "v");
                msg(span, 15, |status| {
                    bytes(status, 2, b"bad");
                    uint(status, 3, 2);
                });
            });
        });
    });
    let response = collector.post("/v1/traces", "application/x-protobuf", &[], &traces);
    assert_eq!(response.status, 200);

    // ExportMetricsServiceRequest with a monotonic int sum and a histogram with an exemplar.
    let big: i64 = (1 << 53) + 1;
    let mut metrics = Vec::new();
    msg(&mut metrics, 1, |rm| {
        msg(rm, 1, |res| str_attr(res, 1, "service.name", "proto-svc"));
        msg(rm, 2, |sm| {
            msg(sm, 1, |scope| bytes(scope, 1, b"obs.proto"));
            msg(sm, 2, |m| {
                bytes(m, 1, b"tokens");
                bytes(m, 3, b"{token}");
                msg(m, 7, |sum| {
                    msg(sum, 1, |dp| {
                        fixed64(dp, 3, 1_700_000_060_000_000_000);
                        fixed64(dp, 6, big as u64); // as_int (sfixed64)
                        str_attr(dp, 7, "direction", "input");
                    });
                    uint(sum, 2, 1); // DELTA
                    uint(sum, 3, 1); // monotonic
                });
            });
            msg(sm, 2, |m| {
                bytes(m, 1, b"latency");
                msg(m, 9, |h| {
                    msg(h, 1, |dp| {
                        fixed64(dp, 3, 1_700_000_060_000_000_000);
                        fixed64(dp, 4, 3); // count
                        fixed64(dp, 5, 0.75f64.to_bits()); // sum
                        let counts: Vec<u8> =
                            [2u64, 1].iter().flat_map(|c| c.to_le_bytes()).collect();
                        bytes(dp, 6, &counts); // bucket_counts, packed fixed64
                        bytes(dp, 7, &0.5f64.to_bits().to_le_bytes()); // explicit_bounds
                        msg(dp, 8, |ex| {
                            fixed64(ex, 2, 1_700_000_059_000_000_000);
                            fixed64(ex, 3, 0.4f64.to_bits()); // as_double
                            bytes(ex, 4, &hex(CHILD_ID));
                            bytes(ex, 5, &hex(TRACE_ID));
                        });
                    });
                    uint(h, 2, 2); // CUMULATIVE
                });
            });
        });
    });
    let response = collector.post("/v1/metrics", "application/x-protobuf", &[], &metrics);
    assert_eq!(response.status, 200);

    let spans = collector.wait_for_spans(|s| !s.is_empty(), WAIT);
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    span.validate_ids().unwrap();
    assert_eq!(span.name, "proto.span");
    assert_eq!(span.service_name(), Some("proto-svc"));
    assert_eq!(span.scope_name, "obs.proto");
    assert_eq!(
        (
            span.trace_id.as_str(),
            span.span_id.as_str(),
            span.parent_span_id.as_str()
        ),
        (TRACE_ID, CHILD_ID, ROOT_ID)
    );
    assert_eq!(span.kind, ExportedSpan::KIND_INTERNAL);
    assert_eq!(
        (span.status_code, span.status_message.as_str()),
        (ExportedSpan::STATUS_ERROR, "bad")
    );
    assert_eq!(span.start_time_unix_nano, 1_700_000_000_000_000_123);
    assert_eq!(span.end_time_unix_nano, 1_700_000_000_000_000_456);
    assert_eq!(span.attr_str("k"), Some("v"));

    let metrics = collector.wait_for_metrics(|m| m.len() >= 2, WAIT);
    assert_eq!(metrics.len(), 2, "{metrics:#?}");
    let tokens = metrics.iter().find(|m| m.name == "tokens").unwrap();
    assert_eq!(tokens.metric_type, MetricType::Sum);
    assert_eq!(tokens.monotonic, Some(true));
    assert_eq!(tokens.temporality, Some(Temporality::Delta));
    assert_eq!(tokens.unit, "{token}");
    assert_eq!(tokens.int_value, Some(big));
    assert!(tokens.has_attrs(&[("direction", "input")]));
    let latency = metrics.iter().find(|m| m.name == "latency").unwrap();
    assert_eq!(latency.metric_type, MetricType::Histogram);
    assert_eq!(latency.temporality, Some(Temporality::Cumulative));
    assert_eq!((latency.count, latency.sum), (Some(3), Some(0.75)));
    assert_eq!(latency.bucket_bounds, vec![0.5]);
    assert_eq!(latency.bucket_counts, vec![2, 1]);
    assert_eq!((latency.min, latency.max), (None, None));
    assert_eq!(latency.exemplars.len(), 1);
    let exemplar = &latency.exemplars[0];
    assert_eq!(exemplar.value, Some(0.4));
    assert_eq!(exemplar.int_value, None);
    assert_eq!(exemplar.trace_id, TRACE_ID);
    assert_eq!(exemplar.span_id, CHILD_ID);
    assert_eq!(exemplar.time_unix_nano, 1_700_000_059_000_000_000);
}

/// What an export-recovery test needs: the collector goes down (connections refused), comes back
/// on the same ports, receives again, and keeps what it had.
#[test]
fn stop_and_restart_keep_the_ports_and_receive_again() {
    let mut collector = Collector::start();
    let (grpc, http) = (collector.grpc_endpoint(), collector.http_endpoint());
    assert!(grpc.starts_with("http://127.0.0.1:"), "{grpc}");
    assert!(http.starts_with("http://127.0.0.1:"), "{http}");
    assert_ne!(grpc, http);

    post_json(&collector, "/v1/traces", &traces_json());
    collector.wait_for_spans(|s| s.len() >= 2, WAIT);

    collector.stop();
    assert!(!collector.is_running());
    let refused = obs_tests::collector::http_post(&collector.http_addr(), "/v1/traces", &[], b"");
    assert!(
        refused.is_err(),
        "the stopped collector answered: {refused:?}"
    );
    assert!(std::net::TcpStream::connect(collector.grpc_addr()).is_err());
    collector.stop(); // idempotent

    collector.restart();
    assert!(collector.is_running());
    assert_eq!(collector.grpc_endpoint(), grpc);
    assert_eq!(collector.http_endpoint(), http);
    // What arrived before the stop is still there.
    assert_eq!(collector.spans().len(), 2);

    let mut again = traces_json();
    again["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] = json!("after.restart");
    post_json(&collector, "/v1/traces", &again);
    let spans = collector.wait_for_spans(|s| s.len() >= 4, WAIT);
    assert!(spans.iter().any(|s| s.name == "after.restart"));

    collector.clear();
    assert!(collector.spans().is_empty());

    // A second restart without a stop first works too.
    collector.restart();
    post_json(&collector, "/v1/traces", &again);
    collector.wait_for_spans(|s| s.len() >= 2, WAIT);
}

/// Collectors started side by side get their own ports and directories.
#[test]
fn two_collectors_are_independent() {
    let a = Collector::start();
    let b = Collector::start();
    assert_ne!(a.http_endpoint(), b.http_endpoint());
    assert_ne!(a.grpc_endpoint(), b.grpc_endpoint());
    assert_ne!(a.dir(), b.dir());
    post_json(&a, "/v1/traces", &traces_json());
    a.wait_for_spans(|s| s.len() >= 2, WAIT);
    std::thread::sleep(Duration::from_millis(200));
    assert!(b.spans().is_empty());
    let dir = a.dir().to_owned();
    drop(a);
    assert!(!dir.exists(), "the directory outlived its collector");
}
