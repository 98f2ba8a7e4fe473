//! Several threads and tasks recording at once: exact totals, and an exposition that stays
//! consistent (valid, monotonic, `_count` equal to the `+Inf` bucket) while recording goes on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use obs_runtime::{Bounded, Format, LabelValue, Registry, metrics};
use obs_tests::{family, openmetrics_parse};

/// Shards the writers spread over.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Shard {
    /// First.
    A,
    /// Second.
    B,
    /// Third.
    C,
}

const SHARDS: [Shard; 3] = [Shard::A, Shard::B, Shard::C];

metrics! {
    /// Written from many threads.
    pub CONC in "conc" {
        /// Operations.
        ops_total: Counter { shard: Shard, odd: bool },
        /// Work amounts.
        work_total: FloatCounter { shard: Shard },
        /// Net level.
        level: Gauge { shard: Shard },
        /// Sizes.
        #[buckets(1, 2, 4, 8)]
        size_bytes: Histogram { shard: Shard },
        /// Waits.
        #[buckets(0.001, 0.01)]
        wait_seconds: Histogram,
        /// Keys seen.
        keys_total: Counter { key: Bounded<50> },
    }
}

const THREADS: u64 = 4;
const PER_THREAD: u64 = 50_000;

#[test]
fn threads_produce_exact_totals() {
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let shard = SHARDS[(i % 3) as usize];
                    CONC.ops_total.with((shard, t % 2 == 1)).inc();
                    CONC.work_total.with(shard).add(0.5);
                    CONC.level.with(shard).inc();
                    if i % 2 == 0 {
                        CONC.level.with(shard).dec();
                    }
                    CONC.size_bytes.with(shard).observe((i % 10) as f64);
                    CONC.wait_seconds
                        .series()
                        .observe_duration(Duration::from_micros(i % 20_000));
                    CONC.keys_total.with(&format!("k{}", i % 60)).inc();
                }
            });
        }
    });

    let per_shard = |shard: usize| {
        (0..PER_THREAD)
            .filter(|i| (i % 3) as usize == shard)
            .count() as u64
    };
    for (s, shard) in SHARDS.iter().enumerate() {
        let n = per_shard(s);
        let odd = CONC.ops_total.with((*shard, true)).get();
        let even = CONC.ops_total.with((*shard, false)).get();
        assert_eq!((odd, even), (n * THREADS / 2, n * THREADS / 2));
        assert_eq!(
            CONC.work_total.with(*shard).get(),
            0.5 * (n * THREADS) as f64
        );
        let decs = (0..PER_THREAD)
            .filter(|i| (i % 3) as usize == s && i % 2 == 0)
            .count() as i64;
        assert_eq!(
            CONC.level.with(*shard).get(),
            (n as i64 - decs) * THREADS as i64
        );
        let expected_sum: u64 = (0..PER_THREAD)
            .filter(|i| (i % 3) as usize == s)
            .map(|i| i % 10)
            .sum();
        let h = CONC.size_bytes.with(*shard);
        assert_eq!(h.count(), n * THREADS);
        assert_eq!(h.sum(), (expected_sum * THREADS) as f64);
    }
    let waits = CONC.wait_seconds.series();
    assert_eq!(waits.count(), PER_THREAD * THREADS);
    let micros: u64 = (0..PER_THREAD).map(|i| i % 20_000).sum::<u64>() * THREADS;
    assert!(
        (waits.sum() - micros as f64 / 1e6).abs() < 1e-6,
        "{}",
        waits.sum()
    );

    // 60 distinct keys against a cap of 50: 50 series plus the overflow series, nothing lost.
    let registry = Registry::new();
    CONC.register_into(&registry).unwrap();
    let text = registry.encode(Format::OpenMetrics);
    let families = openmetrics_parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let keys = family(&families, "conc_keys");
    assert_eq!(keys.samples.len(), 51);
    let total: f64 = keys.samples.iter().map(|s| s.value).sum();
    assert_eq!(total, (PER_THREAD * THREADS) as f64);
    let overflowed = keys
        .value("conc_keys_total", &[("key", "__overflow__")])
        .unwrap();
    let counted = family(&families, "obs_label_overflow")
        .value("obs_label_overflow_total", &[("family", "conc_keys_total")])
        .unwrap();
    assert_eq!(overflowed, counted);
    // Whichever 10 keys came last overflowed; each key was recorded at least this often.
    let rarest = (PER_THREAD / 60) * THREADS;
    assert!(overflowed >= (10 * rarest) as f64, "{overflowed}");
}

metrics! {
    /// Written from tokio tasks while being scraped.
    pub LIVE in "live" {
        /// Events.
        events_total: Counter { shard: Shard },
        /// Latency.
        #[buckets(0.25, 0.5, 1)]
        latency_seconds: Histogram { shard: Shard, route: Bounded<8> },
    }
}

/// Sample name + labels -> value, from our own rendering (only for monotonicity checks between
/// scrapes; format validity is the Python parser's job).
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.parse().expect("a number")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_record_while_the_exposition_stays_consistent() {
    const TASKS: u64 = 16;
    const EVENTS: u64 = 5_000;
    let registry: &'static Registry = Box::leak(Box::new(Registry::new()));
    LIVE.register_into(registry).unwrap();
    let done = std::sync::Arc::new(AtomicBool::new(false));

    let scraper = {
        let done = done.clone();
        tokio::task::spawn_blocking(move || {
            let mut previous = HashMap::new();
            let mut scrapes = 0;
            let mut validated = 0;
            while !done.load(Ordering::Acquire) || scrapes < 3 {
                let text = registry.encode(Format::OpenMetrics);
                let now = samples(&text);
                for (key, before) in &previous {
                    let after = now.get(key).copied().unwrap_or(0.0);
                    assert!(after >= *before, "{key} went from {before} to {after}");
                }
                for (key, count) in now.iter().filter(|(k, _)| k.contains("_count")) {
                    let inf =
                        key.replacen("_count{", "_bucket{", 1)
                            .replacen('}', ",le=\"+Inf\"}", 1);
                    assert_eq!(now.get(&inf), Some(count), "{key} vs {inf}");
                }
                // A few mid-flight scrapes go through the strict parser too.
                if scrapes % 20 == 0 && validated < 4 {
                    openmetrics_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
                    validated += 1;
                }
                previous = now;
                scrapes += 1;
            }
            scrapes
        })
    };

    let routes = ["/chat", "/embed", "/moderate"];
    let writers: Vec<_> = (0..TASKS)
        .map(|t| {
            tokio::spawn(async move {
                for i in 0..EVENTS {
                    let shard = SHARDS[((t + i) % 3) as usize];
                    LIVE.events_total.with(shard).inc();
                    let route = routes[(i % 3) as usize];
                    LIVE.latency_seconds
                        .with((shard, route))
                        .observe(0.125 * (i % 10) as f64);
                    if i % 100 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::Release);
    let scrapes = scraper.await.unwrap();
    assert!(scrapes >= 3);

    let total: u64 = SHARDS
        .iter()
        .map(|s| LIVE.events_total.with(*s).get())
        .sum();
    assert_eq!(total, TASKS * EVENTS);
    let observed: u64 = SHARDS
        .iter()
        .flat_map(|s| {
            routes
                .iter()
                .map(move |r| LIVE.latency_seconds.with((*s, *r)).count())
        })
        .sum();
    assert_eq!(observed, TASKS * EVENTS);
    let sum: f64 = SHARDS
        .iter()
        .flat_map(|s| {
            routes
                .iter()
                .map(move |r| LIVE.latency_seconds.with((*s, *r)).sum())
        })
        .sum();
    let expected: f64 = (0..EVENTS).map(|i| 0.125 * (i % 10) as f64).sum::<f64>() * TASKS as f64;
    assert_eq!(sum, expected);
    let text = registry.encode(Format::OpenMetrics);
    let families = openmetrics_parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let events: f64 = family(&families, "live_events")
        .samples
        .iter()
        .map(|s| s.value)
        .sum();
    assert_eq!(events, (TASKS * EVENTS) as f64);
}

metrics! {
    /// A small bounded family that fills up while threads race on it.
    pub RACE in "race" {
        /// Keys seen, capped at 1: the first key fills the table.
        keys_total: Counter { key: Bounded<1> },
    }
}

/// Threads that intern the same new value into a filling `Bounded` table at once: every recording
/// of a value that got interned lands in that value's series, and only the recordings of values
/// that found the table full go to the overflow series (and are counted as overflows).
///
/// Each table has one place, so its first key fills it. The racers walk the same tables without
/// waiting for each other: whichever is ahead pays for the insertion and the other catches up, so
/// they meet on many tables.
#[test]
fn racing_threads_on_a_filling_bounded_table_lose_no_recording() {
    use obs_runtime::metrics::{FamilyView, Sample};
    const TABLES: usize = 30_000;
    const RACERS: u64 = 2;
    let tables: Vec<_> = (0..TABLES)
        .map(|_| obs_runtime::CounterFamily::<RaceKeysTotalLabels>::new("race_keys_total", "Keys."))
        .collect();
    let start = std::sync::Barrier::new(RACERS as usize);
    std::thread::scope(|s| {
        for _ in 0..RACERS {
            s.spawn(|| {
                start.wait();
                for family in &tables {
                    family.with("first").inc();
                    family.with("second").inc();
                }
            });
        }
    });
    let expected: HashMap<String, u64> = [("first", RACERS), (OVERFLOW, RACERS)]
        .map(|(k, n)| (k.to_owned(), n))
        .into();
    let mut misplaced = 0;
    for family in &tables {
        let mut counts = HashMap::new();
        family.visit(&mut |labels, sample| {
            let Sample::Unsigned(n) = sample else {
                panic!("a counter sample")
            };
            counts.insert(labels[0].to_owned(), n);
        });
        if counts != expected || family.overflows() != Some(RACERS) {
            misplaced += 1;
        }
    }
    assert_eq!(
        misplaced, 0,
        "tables with misplaced recordings, of {TABLES}"
    );
}

const OVERFLOW: &str = obs_runtime::metrics::OVERFLOW_VALUE;
