//! Many tokio tasks and OS threads audit into one log at once, durable and buffered: the log is
//! one total order (whole canonical lines, `seq` 1..N without gaps, the chain intact), every
//! event is in it exactly once, and each producer's events keep their order.

use std::collections::HashMap;
use std::time::Duration;

use obs_runtime::audit::{AuditConfig, AuditEvent, AuditLog, AuditOutcome, Rotation, SyncPolicy};
use obs_tests::audit::{fresh_dir, read_chain};

const TASKS: u64 = 32;
const PER_TASK: u64 = 100;
const THREADS: u64 = 4;
const PER_THREAD: u64 = 300;

fn event(producer: u64, n: u64) -> AuditEvent {
    AuditEvent::new("rate_limit.refuse")
        .actor(format!("key-{producer}"), "api_key")
        .field("producer", producer)
        .field("n", n)
        .field("note", "quote \" backslash \\ newline \n tab \t é")
        .outcome(AuditOutcome::Failure, Some("rate_limited"))
}

#[test]
fn concurrent_producers_make_one_gapless_total_order() {
    let dir = fresh_dir("concurrency");
    let mut config = AuditConfig::new(&dir, "gateway");
    config.sync = SyncPolicy::GroupCommit(Duration::from_millis(1));
    // Small segments, so rotation happens under concurrent load too.
    config.rotate = Rotation {
        max_bytes: 256 << 10,
        max_age: None,
        gzip: false,
    };
    let log = AuditLog::open(config).unwrap();

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for n in 0..PER_THREAD {
                    // Half durable, half buffered, interleaved.
                    if n % 2 == 0 {
                        log.record(event(TASKS + t, n)).unwrap();
                    } else {
                        log.append(event(TASKS + t, n)).unwrap();
                    }
                }
            })
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let log = log.clone();
                tokio::spawn(async move {
                    for n in 0..PER_TASK {
                        log.record_async(event(task, n)).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    log.shutdown().unwrap();

    // read_chain checks every line is whole canonical JSON and the chain links.
    let segments = read_chain(&dir);
    assert!(segments.len() > 1, "expected rotation under load");
    let all: Vec<_> = segments.into_iter().flat_map(|s| s.records).collect();
    for (i, r) in all.iter().enumerate() {
        assert_eq!(
            r["seq"].as_u64(),
            Some(i as u64 + 1),
            "seq gap at record {i}"
        );
    }
    let mut next: HashMap<u64, u64> = HashMap::new();
    let mut events = 0;
    for r in all.iter().filter(|r| r["kind"] == "event") {
        events += 1;
        let producer = r["fields"]["producer"].as_u64().unwrap();
        let n = r["fields"]["n"].as_u64().unwrap();
        let expected = next.entry(producer).or_insert(0);
        assert_eq!(
            n, *expected,
            "producer {producer}: out of order or duplicated"
        );
        *expected += 1;
    }
    assert_eq!(events, TASKS * PER_TASK + THREADS * PER_THREAD);
    for p in 0..TASKS {
        assert_eq!(next[&p], PER_TASK);
    }
    for t in 0..THREADS {
        assert_eq!(next[&(TASKS + t)], PER_THREAD);
    }
}
