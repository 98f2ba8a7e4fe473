//! Latency bucket layouts of `#[observed]` call sites: the default, fit for LLM calls, and
//! per-function layouts checked at compile time.

use std::sync::OnceLock;

/// The default upper bounds, in seconds, of `obs_function_duration_seconds`.
///
/// Prometheus' defaults up to 10 s keep the resolution of fast functions (a cache lookup, a
/// routing decision) and the bounds dashboards already use. Above them: 20 s and 30 s split the
/// typical span of a long completion, 60 s is the idle timeout of common proxies and load
/// balancers, 120 s covers long reasoning-model and long streamed completions, and 300 s catches
/// agent loops and retries with back-off, so that only calls beyond five minutes land in `+Inf`.
pub const DEFAULT_LATENCY_BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
];

/// The bounds of a per-function layout (`#[observed(buckets(...))]`): `N` upper bounds in
/// seconds (`+Inf` implied). Made in a `static` beside the call site; the bounds are checked
/// when the `static` is evaluated, so a bad layout does not compile.
#[derive(Debug)]
pub struct LatencyBuckets<const N: usize> {
    seconds: [f64; N],
    nanos: [u64; N],
    le: OnceLock<Box<[Box<str>]>>,
}

impl<const N: usize> LatencyBuckets<N> {
    /// A layout with upper bounds `seconds`: at least one, finite, positive, strictly increasing.
    ///
    /// # Panics
    ///
    /// At compile time (it is evaluated in a `static`) when the bounds break those rules.
    pub const fn new(seconds: [f64; N]) -> Self {
        Self {
            seconds,
            nanos: bounds_nanos(&seconds),
            le: OnceLock::new(),
        }
    }
}

/// `seconds` in nanoseconds, checked.
const fn bounds_nanos<const N: usize>(seconds: &[f64; N]) -> [u64; N] {
    assert!(N > 0, "a bucket layout needs at least one bound");
    let mut out = [0u64; N];
    let mut i = 0;
    while i < N {
        let s = seconds[i];
        assert!(
            s.is_finite() && s > 0.0,
            "bucket bounds must be finite and positive"
        );
        assert!(
            s < (u64::MAX / 1_000_000_000) as f64,
            "bucket bounds must be below 18 billion seconds"
        );
        assert!(
            i == 0 || s > seconds[i - 1],
            "bucket bounds must strictly increase"
        );
        out[i] = (s * 1e9 + 0.5) as u64; // rounded: 0.025 s is 25_000_000 ns, not one less
        i += 1;
    }
    out
}

/// A call site's layout, whatever its size: what recording and exposition read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Upper bounds in seconds, without `+Inf`.
    pub(crate) seconds: &'static [f64],
    /// The same in nanoseconds.
    pub(crate) nanos: &'static [u64],
    /// The `le` labels, formatted on first exposition.
    pub(crate) le: &'static OnceLock<Box<[Box<str>]>>,
}

impl Layout {
    /// The `le` label values, `+Inf` last.
    pub(crate) fn le(&self) -> &'static [Box<str>] {
        self.le.get_or_init(|| le_labels(self.seconds))
    }

    /// The index of the bucket that `nanos` falls in (`seconds.len()` for `+Inf`).
    #[inline(always)]
    pub(crate) fn bucket(&self, nanos: u64) -> usize {
        // Calls of one function mostly land in one bucket, so this branch predicts well, and the
        // common case (under the first bound) does not wait for a search over every bound.
        match self.nanos.first() {
            Some(&first) if nanos <= first => 0,
            _ => self.nanos.partition_point(|&b| b < nanos),
        }
    }
}

pub(crate) use crate::metrics::le_labels;

/// The layout of a per-function `static`.
pub(crate) const fn custom<const N: usize>(buckets: &'static LatencyBuckets<N>) -> Layout {
    Layout {
        seconds: &buckets.seconds,
        nanos: &buckets.nanos,
        le: &buckets.le,
    }
}

static DEFAULT_NANOS: [u64; DEFAULT_LATENCY_BUCKETS.len()] = bounds_nanos(&DEFAULT_LATENCY_BUCKETS);
static DEFAULT_LE: OnceLock<Box<[Box<str>]>> = OnceLock::new();

/// The default layout.
pub(crate) const DEFAULT: Layout = Layout {
    seconds: &DEFAULT_LATENCY_BUCKETS,
    nanos: &DEFAULT_NANOS,
    le: &DEFAULT_LE,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_layout_reaches_past_two_minutes() {
        let bounds = DEFAULT.seconds;
        assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        assert!(bounds.contains(&120.0));
        assert_eq!(bounds.last(), Some(&300.0));
        // The bounds below 10 s are Prometheus' defaults.
        assert!(bounds.starts_with(crate::metrics::DEFAULT_BUCKETS));
        let le = DEFAULT.le();
        assert_eq!(le.len(), bounds.len() + 1);
        assert_eq!(&*le[14], "120.0");
        assert_eq!(&*le[16], "+Inf");
    }

    #[test]
    fn a_duration_lands_in_the_first_bucket_whose_bound_it_does_not_exceed() {
        let s = 1_000_000_000;
        assert_eq!(DEFAULT.bucket(0), 0);
        assert_eq!(DEFAULT.bucket(5_000_000), 0); // 5 ms: le="0.005" includes its bound
        assert_eq!(DEFAULT.bucket(5_000_001), 1);
        assert_eq!(DEFAULT.bucket(10 * s + 1), 11); // just over 10 s: 20, no longer +Inf
        assert_eq!(DEFAULT.bucket(90 * s), 14); // 120
        assert_eq!(DEFAULT.bucket(120 * s), 14);
        assert_eq!(DEFAULT.bucket(301 * s), 16); // +Inf
    }

    #[test]
    fn a_custom_layout_has_its_own_bounds() {
        static B: LatencyBuckets<3> = LatencyBuckets::new([0.5, 2.0, 45.0]);
        let layout = custom(&B);
        assert_eq!(layout.seconds, &[0.5, 2.0, 45.0]);
        assert_eq!(layout.nanos, &[500_000_000, 2_000_000_000, 45_000_000_000]);
        assert_eq!(layout.bucket(1_000_000_000), 1);
        assert_eq!(layout.bucket(50_000_000_000), 3);
        let le: Vec<&str> = layout.le().iter().map(|s| &**s).collect();
        assert_eq!(le, ["0.5", "2.0", "45.0", "+Inf"]);
    }
}
