//! Families without labels: one series each, reached with `.series()`; a group without a
//! namespace keeps the bare family names.

use obs_runtime::{Format, Registry, metrics};

metrics! {
    /// Label-less families, no namespace.
    pub PLAIN {
        /// Jobs started.
        plain_jobs_total: Counter,
        /// Bytes uploaded.
        plain_bytes_total: FloatCounter,
        /// Workers alive.
        plain_workers: Gauge,
        /// Load average.
        plain_load: FloatGauge,
        /// Job duration.
        plain_job_seconds: Histogram,
    }
}

fn main() {
    PLAIN.plain_jobs_total.series().inc();
    assert!(PLAIN.plain_bytes_total.series().add(512.0));
    PLAIN.plain_workers.series().set(4);
    PLAIN.plain_load.series().set(1.5);
    PLAIN.plain_job_seconds.series().observe(0.02);

    assert_eq!(PLAIN.plain_jobs_total.series().get(), 1);
    assert_eq!(PLAIN.plain_workers.series().get(), 4);
    assert_eq!(PLAIN.plain_job_seconds.series().count(), 1);

    let text = Registry::global().encode(Format::Text);
    assert!(text.contains("\nplain_jobs_total 1\n"), "{text}");
    assert!(text.contains("\nplain_workers 4\n"), "{text}");
    assert!(text.contains("\nplain_job_seconds_count 1\n"), "{text}");
}
