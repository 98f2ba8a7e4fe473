//! Histogram bounds in whole units (nanoseconds, bytes, tokens), so a value that is a whole
//! number is counted with integer compares and no float math. Used by the families whose
//! storage is their own (`#[llm_call]`'s rows, the HTTP server layer).

/// Bucket bounds in whole units (rounded), `per_unit` of them in one unit of `bounds` (`1e9`
/// nanoseconds per second, 1 byte per byte), for counting without float math.
#[cfg_attr(not(any(feature = "llm", feature = "serve")), allow(dead_code))]
pub(crate) const fn unit_bounds<const N: usize>(bounds: &[f64], per_unit: f64) -> [u64; N] {
    let mut out = [0u64; N];
    let mut i = 0;
    while i < N {
        out[i] = (bounds[i] * per_unit + 0.5) as u64;
        i += 1;
    }
    out
}

/// The bucket of `units` in `bounds` (whole units, increasing): the first whose bound is at least
/// `units`, found by a scan from the smallest (durations, chunk times and body sizes sit in the
/// low buckets), or `bounds.len()` for `+Inf`.
#[cfg_attr(not(any(feature = "llm", feature = "serve")), allow(dead_code))]
#[inline(always)]
pub(crate) fn bucket(bounds: &[u64], units: u64) -> usize {
    let mut bucket = 0;
    while bucket < bounds.len() && bounds[bucket] < units {
        bucket += 1;
    }
    bucket
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_lands_in_the_first_bucket_whose_bound_it_does_not_exceed() {
        let bounds: [u64; 3] = unit_bounds(&[0.025, 1.0, 2.5], 1e9);
        assert_eq!(bounds, [25_000_000, 1_000_000_000, 2_500_000_000]);
        assert_eq!(bucket(&bounds, 0), 0);
        assert_eq!(bucket(&bounds, 25_000_000), 0);
        assert_eq!(bucket(&bounds, 25_000_001), 1);
        assert_eq!(bucket(&bounds, 3_000_000_000), 3);
    }
}
