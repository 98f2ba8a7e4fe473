//! Running a check: its future in a task of its own (so a panic is a failed run, not a dead
//! scheduler or report), bounded by its timeout; and the loop of a scheduled check.

use std::sync::Weak;
use std::time::{Duration, Instant, SystemTime};

use tokio::time::MissedTickBehavior;

use super::state::Run;
use super::{Check, CheckResult};

/// Runs `check` once.
pub(super) async fn once(check: &Check) -> Run {
    let started = Instant::now();
    let mut task = tokio::spawn((check.run)());
    let result = match tokio::time::timeout(check.timeout, &mut task).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) if e.is_panic() => CheckResult::unhealthy("the check panicked"),
        Ok(Err(_)) => CheckResult::unhealthy("the check was cancelled"),
        Err(_) => {
            task.abort();
            CheckResult::unhealthy(format!("no answer within {} ms", check.timeout.as_millis()))
        }
    };
    Run {
        result,
        took: started.elapsed(),
        at: SystemTime::now(),
        ended: Instant::now(),
    }
}

/// Runs `check` every `interval`, the first time at once, until its registry is gone.
pub(super) async fn every(check: Weak<Check>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(check) = check.upgrade() else { return };
        let run = once(&check).await;
        check.apply(run);
    }
}
