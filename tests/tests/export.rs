//! OTLP export without a collector: W3C trace context round trips, and a collector that is down
//! neither slows the instrumented code nor grows memory, while every lost span is counted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use obs_runtime::export::{
    BatchOptions, DropReason, OtlpConfig, Protocol, Signal, dropped, inject, sent, set_parent,
    traces_layer,
};
use obs_runtime::observed;
use obs_tests::free_port;
use tracing_subscriber::layer::SubscriberExt;

#[observed]
fn handle_request(n: u64) -> u64 {
    n.wrapping_mul(31).rotate_left(7)
}

/// Makes `span` the child of an incoming sampled W3C parent, and returns the `traceparent` it
/// sends on.
fn continue_sampled_parent(span: &tracing::Span) -> String {
    let incoming: HashMap<String, String> = [(
        "traceparent".to_owned(),
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
    )]
    .into();
    assert!(set_parent(span, &incoming));
    let mut outgoing = HashMap::new();
    inject(span, &mut outgoing);
    outgoing["traceparent"].clone()
}

#[test]
fn trace_context_continues_across_services() {
    let config = OtlpConfig::new(
        "propagation",
        format!("http://127.0.0.1:{}", free_port()),
        Protocol::HttpProtobuf,
    );
    let (layer, guard) = traces_layer(&config).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("server");
        let traceparent = &continue_sampled_parent(&span);
        let parts: Vec<&str> = traceparent.split('-').collect();
        assert_eq!(parts.len(), 4, "{traceparent}");
        assert_eq!(parts[0], "00");
        assert_eq!(parts[1], "0af7651916cd43dd8448eb211c80319c", "same trace");
        assert_eq!(parts[2].len(), 16);
        assert_ne!(parts[2], "b7ad6b7169203331", "a span of its own");
        assert_eq!(parts[3], "01", "sampled, as its parent was");

        // Headers work as carriers too.
        let mut headers = http::HeaderMap::new();
        inject(&span, &mut headers);
        assert_eq!(
            headers["traceparent"].to_str().unwrap(),
            traceparent.as_str()
        );

        let malformed: HashMap<String, String> =
            [("traceparent".to_owned(), "00-zz-yy-01".to_owned())].into();
        assert!(!set_parent(&tracing::info_span!("other"), &malformed));
    });
    drop(guard);
}

#[test]
fn a_collector_that_is_down_costs_no_latency_and_loses_nothing_silently() {
    const CALLS: u64 = 20_000;
    let time_calls = || {
        let started = Instant::now();
        for i in 0..CALLS {
            std::hint::black_box(handle_request(i));
        }
        started.elapsed()
    };

    // Baseline: the same spans, with export disabled (no OpenTelemetry layer at all).
    let baseline = tracing::subscriber::with_default(tracing_subscriber::registry(), time_calls);

    let mut config = OtlpConfig::new(
        "down",
        format!("http://127.0.0.1:{}", free_port()),
        Protocol::Grpc,
    );
    config.batch = BatchOptions {
        max_queue: 256,
        max_batch: 64,
        delay: Duration::from_millis(50),
        export_timeout: Duration::from_millis(200),
    };
    let before_full = dropped(Signal::Traces, DropReason::QueueFull);
    let before_failed = dropped(Signal::Traces, DropReason::ExportFailed);
    let before_sent = sent(Signal::Traces);
    let before_shutdown = dropped(Signal::Traces, DropReason::Shutdown);
    let (layer, guard) = traces_layer(&config).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let exporting = tracing::subscriber::with_default(subscriber, time_calls);
    // Whatever is still queued when shutdown's time runs out is reported, and counted.
    let _ = guard.shutdown(Duration::from_secs(2));

    // Generous: the OpenTelemetry layer itself costs something per span; what must not happen
    // is waiting on the network.
    let per_call = exporting.as_secs_f64() / CALLS as f64;
    assert!(
        exporting < baseline * 20 + Duration::from_millis(200) && per_call < 200e-6,
        "export made calls slow: {exporting:?} against {baseline:?} without export"
    );
    // Nothing arrived, and every span is accounted for as dropped (queue full, failed export,
    // or still queued at shutdown), never silently.
    assert_eq!(sent(Signal::Traces), before_sent);
    let lost = (dropped(Signal::Traces, DropReason::QueueFull) - before_full)
        + (dropped(Signal::Traces, DropReason::ExportFailed) - before_failed);
    let at_shutdown = dropped(Signal::Traces, DropReason::Shutdown) - before_shutdown;
    assert!(
        lost > 0 && lost + at_shutdown >= CALLS - 256,
        "lost {lost}, {at_shutdown} at shutdown, of {CALLS}"
    );
    // The queue is bounded: most spans were refused at the door rather than held.
    assert!(dropped(Signal::Traces, DropReason::QueueFull) - before_full > CALLS / 2);
}

#[test]
fn a_sampler_that_is_not_parent_based_decides_for_children_too() {
    let sampled_flag = |parent_based: bool| {
        let mut config = OtlpConfig::new(
            "sampler",
            format!("http://127.0.0.1:{}", free_port()),
            Protocol::HttpProtobuf,
        );
        config.sample_ratio = 0.0;
        config.parent_based = parent_based;
        let (layer, guard) = traces_layer(&config).unwrap();
        let flag =
            tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
                continue_sampled_parent(&tracing::info_span!("server"))
                    .rsplit('-')
                    .next()
                    .unwrap()
                    .to_owned()
            });
        drop(guard);
        flag
    };
    // A sampled parent keeps its children sampled only when the sampler follows parents.
    assert_eq!(sampled_flag(true), "01");
    assert_eq!(sampled_flag(false), "00");
}
