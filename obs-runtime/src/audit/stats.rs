//! The audit log's own families, summed over every log in the process and joined to the global
//! registry when the first log opens: `obs_audit_events_total`, `obs_audit_bytes_total`,
//! `obs_audit_fsync_duration_seconds` (histogram), `obs_audit_queue_depth` (gauge),
//! `obs_audit_dropped_total`, `obs_audit_repairs_total`, `obs_audit_errors_total`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Once};
use std::time::Duration;

use crate::metrics::{
    Collector, ComputedFamily, FamilyDesc, FamilyView, HistogramFamily, MetricType, Registry,
    Sample, SampleFn,
};

/// A count the writer and the callers add to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Count {
    /// Records written.
    Events,
    /// Bytes written.
    Bytes,
    /// Buffered events dropped.
    Dropped,
    /// Torn tails repaired.
    Repairs,
    /// Write, sync, rotation, retention and checkpoint failures.
    Errors,
}

static COUNTS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
static QUEUE_DEPTH: AtomicI64 = AtomicI64::new(0);

/// Adds `n` to `count`.
pub(crate) fn add(count: Count, n: u64) {
    COUNTS[count as usize].fetch_add(n, Ordering::Relaxed);
}

/// The value of `count` so far.
#[cfg(test)]
pub(crate) fn get(count: Count) -> u64 {
    COUNTS[count as usize].load(Ordering::Relaxed)
}

/// Moves the queue-depth gauge by `delta`.
pub(crate) fn queue_depth_add(delta: i64) {
    QUEUE_DEPTH.fetch_add(delta, Ordering::Relaxed);
}

/// Records one fsync's duration.
pub(crate) fn fsync_took(d: Duration) {
    FAMILIES.fsync.series().observe_duration(d);
}

/// Joins the families to the global registry, once (a refusal, when a user family took one of
/// the names, is reported as a `tracing` error with target `obs`).
pub(crate) fn ensure_registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(error) = Registry::global().register(&*FAMILIES) {
            tracing::error!(
                target: "obs",
                error = &error as &dyn std::error::Error,
                "obs: the audit self-metrics are not registered in the global registry"
            );
        }
    });
}

struct Families {
    computed: [ComputedFamily; 6],
    fsync: HistogramFamily,
}

impl Collector for Families {
    fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn FamilyView)) {
        for family in &self.computed {
            f(family);
        }
        f(&self.fsync);
    }
}

const fn counter(name: &'static str, help: &'static str, read: SampleFn<()>) -> ComputedFamily {
    ComputedFamily::new(
        FamilyDesc {
            name,
            help,
            metric_type: MetricType::Counter,
            labels: &[],
            otlp: None,
        },
        (),
        read,
    )
}

macro_rules! reader {
    ($count:ident) => {
        |_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)| {
            f(
                &[],
                Sample::Unsigned(COUNTS[Count::$count as usize].load(Ordering::Relaxed)),
            )
        }
    };
}

static FAMILIES: LazyLock<Families> = LazyLock::new(|| Families {
    computed: [
        counter(
            "obs_audit_events_total",
            "Audit records written (events, and the log's own repair, retention and rotate records).",
            reader!(Events),
        ),
        counter(
            "obs_audit_bytes_total",
            "Bytes of audit records written.",
            reader!(Bytes),
        ),
        ComputedFamily::new(
            FamilyDesc {
                name: "obs_audit_queue_depth",
                help: "Audit events queued and not yet written.",
                metric_type: MetricType::Gauge,
                labels: &[],
                otlp: None,
            },
            (),
            |_, f| f(&[], Sample::Signed(QUEUE_DEPTH.load(Ordering::Relaxed))),
        ),
        counter(
            "obs_audit_dropped_total",
            "Buffered audit events dropped: the queue was full under fail-open, or they were still unwritten when the log shut down.",
            reader!(Dropped),
        ),
        counter(
            "obs_audit_repairs_total",
            "Torn audit-log tails cut on reopen.",
            reader!(Repairs),
        ),
        counter(
            "obs_audit_errors_total",
            "Audit write, fsync, rotation, retention and checkpoint failures.",
            reader!(Errors),
        ),
    ],
    fsync: HistogramFamily::new(
        "obs_audit_fsync_duration_seconds",
        "Time taken by each fsync of an audit segment.",
        &[
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
        ],
    )
    .expect("constant, increasing bounds"),
});
