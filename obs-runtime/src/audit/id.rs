//! UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits from a
//! per-thread generator seeded once from the OS, so an id costs no system call.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (practically never on a supported OS): std's per-thread hash keys
        // and the clock still make ids distinct across threads and runs.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        return std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            nanos,
        );
    }
    u64::from_le_bytes(bytes)
}

/// SplitMix64: a full-period generator whose outputs are well mixed even from close seeds.
fn next() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// A UUIDv7 for an event at `time`, as its 16 bytes.
pub(crate) fn uuid_v7(time: SystemTime) -> [u8; 16] {
    let ms = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let (a, b) = (next(), next());
    let mut id = [0u8; 16];
    id[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    id[6..8].copy_from_slice(&a.to_be_bytes()[..2]);
    id[8..].copy_from_slice(&b.to_be_bytes());
    id[6] = 0x70 | (id[6] & 0x0f); // version 7
    id[8] = 0x80 | (id[8] & 0x3f); // variant 10
    id
}

/// Appends `id` in the 8-4-4-4-12 hex form to `out`.
pub(crate) fn push_uuid(id: &[u8; 16], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in id.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::time::Duration;

    #[test]
    fn layout_version_variant_and_time() {
        let t = UNIX_EPOCH + Duration::from_millis(0x0123_4567_89ab);
        let id = uuid_v7(t);
        let mut s = Vec::new();
        push_uuid(&id, &mut s);
        let s = String::from_utf8(s).unwrap();
        assert_eq!(s.len(), 36);
        assert!(s.starts_with("01234567-89ab-7"), "{s}");
        assert!(matches!(s.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{s}");
    }

    #[test]
    fn ids_are_distinct_within_a_millisecond_and_across_threads() {
        let t = SystemTime::now();
        let mut seen: HashSet<[u8; 16]> = (0..10_000).map(|_| uuid_v7(t)).collect();
        let other = std::thread::spawn(move || (0..10_000).map(|_| uuid_v7(t)).collect::<Vec<_>>())
            .join()
            .unwrap();
        for id in other {
            assert!(seen.insert(id));
        }
        assert_eq!(seen.len(), 20_000);
    }
}
