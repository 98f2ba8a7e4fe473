//! Seeded, reproducible randomness without a dependency: SplitMix64 for sequences, and a stable
//! hash of byte strings, so that what a simulated provider does with a request depends only on
//! the seed and the request, never on the order requests arrive in.

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        finish(self.0)
    }

    /// A number in `0..n` (`n` above 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        unit(self.next_u64()) < p
    }
}

/// SplitMix64's finaliser: every input bit affects every output bit.
fn finish(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in `[0, 1)` from 64 random bits (the top 53).
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// A stable 64-bit hash of `parts` under `seed` (FNV-1a, then the SplitMix64 finaliser): the
/// same on every run and platform, unlike std's randomly keyed hasher.
pub(crate) fn hash(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h = 0xCBF2_9CE4_8422_2325 ^ seed;
    for part in parts {
        for byte in part.iter().chain(&[0xFF]) {
            h ^= u64::from(*byte);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    finish(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_and_hashes_are_fixed_by_the_seed() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let first: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        assert_eq!(first, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(
            first,
            (0..4).map(|_| Rng::new(8).next_u64()).collect::<Vec<_>>()
        );
        assert_eq!(hash(1, &[b"ab", b"c"]), hash(1, &[b"ab", b"c"]));
        assert_ne!(hash(1, &[b"ab", b"c"]), hash(1, &[b"a", b"bc"]));
        assert_ne!(hash(1, &[b"x"]), hash(2, &[b"x"]));
        let mut r = Rng::new(3);
        assert!((0..1000).all(|_| (5..=9).contains(&r.between(5, 9))));
        assert!((0..1000).all(|_| (0.0..1.0).contains(&unit(r.next_u64()))));
    }
}
