//! Heap held by obs and by each peer for the render set (10,000 counter series + 1,000 histogram
//! series of 11 buckets), measured with a counting global allocator: bytes allocated and not freed
//! by building and populating the set, then again after one text rendering (whose output buffer is
//! freed: what stays is the library's own caches).
//!
//! Not a criterion benchmark: it prints a Markdown table. Run by `scripts/bench.sh`, or alone with
//! `cargo bench -p obs-runtime --bench memory`.

use std::alloc::System;

use obs_runtime::{Format, Registry};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod common;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes and blocks still allocated since `region` started.
#[derive(Clone, Copy)]
struct Held {
    bytes: isize,
    blocks: isize,
}

fn held(region: &Region<'_, System>) -> Held {
    let s = region.change();
    Held {
        bytes: s.bytes_allocated as isize - s.bytes_deallocated as isize,
        blocks: s.allocations as isize - s.deallocations as isize,
    }
}

/// Measures `populate` and then `render` (whose output is dropped) on the same live state.
fn measure<T>(
    labels: &common::RenderLabels,
    populate: impl FnOnce(&common::RenderLabels) -> T,
    render: impl FnOnce(&T) -> usize,
) -> (Held, Held, usize) {
    let region = Region::new(GLOBAL);
    let state = populate(labels);
    let populated = held(&region);
    let size = render(&state);
    let rendered = held(&region);
    // Kept alive until both readings are taken.
    drop(state);
    (populated, rendered, size)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing we need either.
    let labels = common::RenderLabels::new();

    let mut rows: Vec<(&str, Held, Held, usize)> = Vec::new();

    let (p, r, n) = measure(&labels, common::obs_populate, |()| {
        let registry = Registry::new();
        common::RENDER
            .register_into(&registry)
            .expect("a fresh registry");
        let size = registry.encode(Format::Text).len();
        // A registry is a process-long object; keep it, as a service would.
        Box::leak(Box::new(registry));
        size
    });
    rows.push(("obs", p, r, n));

    let (p, r, n) = measure(&labels, common::prom_populate, |prom| {
        let mut out = String::new();
        prometheus::TextEncoder::new()
            .encode_utf8(&prom.registry.gather(), &mut out)
            .expect("encodes");
        out.len()
    });
    rows.push(("prometheus 0.14", p, r, n));

    let (p, r, n) = measure(&labels, common::pc_populate, |registry| {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, registry).expect("encodes");
        out.len()
    });
    rows.push(("prometheus-client 0.25", p, r, n));

    let (p, r, n) = measure(&labels, common::metrics_populate, |recorder| {
        recorder.handle().render().len()
    });
    rows.push(("metrics 0.24 + exporter-prometheus 0.18", p, r, n));

    let (p, r, n) = measure(&labels, common::measured_populate, |m| {
        use measured::MetricGroup as _;
        let mut enc = measured::text::BufferedTextEncoder::new();
        let Ok(()) = m.collect_group_into(&mut enc);
        enc.finish().len()
    });
    rows.push(("measured 0.0.25", p, r, n));

    let obs_bytes = rows[0].1.bytes as f64;
    println!(
        "| library | heap held after populating | blocks | vs obs | heap held after one render | output bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, populated, rendered, size) in &rows {
        println!(
            "| {name} | {} B ({:.2} MiB) | {} | {:.2}x | {} B ({:.2} MiB) | {size} |",
            populated.bytes,
            populated.bytes as f64 / 1048576.0,
            populated.blocks,
            populated.bytes as f64 / obs_bytes,
            rendered.bytes,
            rendered.bytes as f64 / 1048576.0,
        );
    }
    per_series_slot();
    let (best, best_bytes) = rows[1..]
        .iter()
        .map(|(name, populated, _, _)| (*name, populated.bytes))
        .min_by_key(|(_, bytes)| *bytes)
        .unwrap_or(("none", isize::MAX));
    println!();
    println!(
        "Target (obs holds no more than the best peer): obs {} B, best peer {best} {best_bytes} B: **{}** (best peer / obs = {:.2}).",
        rows[0].1.bytes,
        if rows[0].1.bytes <= best_bytes {
            "MET"
        } else {
            "MISSED"
        },
        best_bytes as f64 / obs_bytes,
    );
}

/// Heap held per series slot by an empty obs counter family and an empty gauge family of the
/// render set's 10,201 slots: what a declared series costs before anything is recorded.
fn per_series_slot() {
    type Slots = common::RenderCTotalLabels;
    const SLOTS: usize = <Slots as obs_runtime::metrics::LabelSet>::SERIES;
    let per_slot = |held: Held| held.bytes as f64 / SLOTS as f64;
    let region = Region::new(GLOBAL);
    let counter = obs_runtime::CounterFamily::<Slots>::new("slots_total", "Slots.");
    let counter_bytes = per_slot(held(&region));
    let region = Region::new(GLOBAL);
    let gauge = obs_runtime::GaugeFamily::<Slots>::new("slots", "Slots.");
    let gauge_bytes = per_slot(held(&region));
    drop((counter, gauge));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!(
        "Per series slot (an empty family of {SLOTS} slots; {cpus} CPUs): counter {counter_bytes:.1} B, \
         gauge {gauge_bytes:.1} B. A counter keeps one 8-byte cell per stripe (one stripe per CPU, \
         at most 4) and a 1-byte \"recorded\" flag; a gauge one cell and the flag."
    );
}
