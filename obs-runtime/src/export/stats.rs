//! What export delivered and what it lost, as framework families:
//! `obs_export_sent_total{signal}` and `obs_export_dropped_total{signal, reason}`.

use crate::LabelValue;
use crate::metrics::{
    ComputedFamily, FamilyDesc, LabelDesc, LabelValues, MetricType, Sample, SelfFamilies,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// A kind of telemetry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelValue)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metric points.
    Metrics,
    /// Log records.
    Logs,
}

/// Why telemetry was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelValue)]
pub enum DropReason {
    /// The export queue was full (the collector is slow or down).
    QueueFull,
    /// The collector refused the batch or could not be reached in time.
    ExportFailed,
    /// Still queued when shutdown's time ran out.
    Shutdown,
}

const SIGNALS: usize = <Signal as LabelValue>::CARDINALITY;
const REASONS: usize = <DropReason as LabelValue>::CARDINALITY;

struct Stats {
    sent: [AtomicU64; SIGNALS],
    dropped: [[AtomicU64; REASONS]; SIGNALS],
}

static STATS: Stats = Stats {
    sent: [const { AtomicU64::new(0) }; SIGNALS],
    dropped: [const { [const { AtomicU64::new(0) }; REASONS] }; SIGNALS],
};

/// Counts `n` items of `signal` delivered.
pub fn count_sent(signal: Signal, n: u64) {
    ensure_registered();
    STATS.sent[signal.index()].fetch_add(n, Ordering::Relaxed);
}

/// Counts `n` items of `signal` dropped for `reason`.
pub fn count_dropped(signal: Signal, reason: DropReason, n: u64) {
    ensure_registered();
    STATS.dropped[signal.index()][reason.index()].fetch_add(n, Ordering::Relaxed);
}

/// Items of `signal` delivered so far.
pub fn sent(signal: Signal) -> u64 {
    STATS.sent[signal.index()].load(Ordering::Relaxed)
}

/// Items of `signal` dropped for `reason` so far.
pub fn dropped(signal: Signal, reason: DropReason) -> u64 {
    STATS.dropped[signal.index()][reason.index()].load(Ordering::Relaxed)
}

fn sent_samples(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for (s, signal) in Signal::VALUES.iter().enumerate() {
        f(
            &[signal],
            Sample::Unsigned(STATS.sent[s].load(Ordering::Relaxed)),
        );
    }
}

fn dropped_samples(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for (s, signal) in Signal::VALUES.iter().enumerate() {
        for (r, reason) in DropReason::VALUES.iter().enumerate() {
            let n = STATS.dropped[s][r].load(Ordering::Relaxed);
            f(&[signal, reason], Sample::Unsigned(n));
        }
    }
}

const SIGNAL: LabelDesc = LabelDesc {
    name: "signal",
    values: LabelValues::Fixed(<Signal as LabelValue>::VALUES),
    otlp_key: None,
};
const REASON: LabelDesc = LabelDesc {
    name: "reason",
    values: LabelValues::Fixed(<DropReason as LabelValue>::VALUES),
    otlp_key: None,
};

static FAMILIES: SelfFamilies<2> = SelfFamilies::new([
    ComputedFamily::new(
        FamilyDesc {
            name: "obs_export_sent_total",
            help: "Telemetry items (spans, metric points, log records) delivered to the OTLP collector, by signal.",
            metric_type: MetricType::Counter,
            labels: &[SIGNAL],
            otlp: None,
        },
        (),
        sent_samples,
    ),
    ComputedFamily::new(
        FamilyDesc {
            name: "obs_export_dropped_total",
            help: "Telemetry items lost on the way to the OTLP collector, by signal and reason.",
            metric_type: MetricType::Counter,
            labels: &[SIGNAL, REASON],
            otlp: None,
        },
        (),
        dropped_samples,
    ),
]);

/// Joins the export families to the global registry, once (a refusal is reported through
/// `tracing`, see `SelfFamilies::ensure_registered`).
pub(crate) fn ensure_registered() {
    FAMILIES.ensure_registered();
}
