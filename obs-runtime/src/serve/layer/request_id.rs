//! The request id: kept from the client's `x-request-id` when it is well formed, generated
//! otherwise, put on the request (so handlers and outgoing calls see it), on the server span and
//! on the response. Never a metric label: one value per request is the definition of unbounded.
//!
//! Well formed: 1 to [`MAX_LEN`] characters, each an ASCII letter or digit, `.`, `_` or `-`.
//! That admits UUIDs, ULIDs, hex and the usual `prefix-counter` forms, and keeps out anything a
//! log line, a header or a query could misread (spaces, quotes, `,`, `;`, control characters).
//! A generated id is a random (version 4) UUID in its 36-character text form.

use std::cell::Cell;
use std::hash::{BuildHasher, Hash, Hasher};

use bytes::Bytes;
use http::header::Entry;
use http::{HeaderMap, HeaderName, HeaderValue};

/// The header the id is read from and echoed in.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id kept, in bytes.
pub const MAX_LEN: usize = 128;

/// Whether `value` is a well-formed request id (see the [module](self) documentation).
pub fn is_well_formed(value: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The request's id: its `x-request-id` when well formed, else a new one, which replaces
/// whatever `x-request-id` the request carried. Cheap to clone either way: a client's id shares
/// the buffer the server parsed the request into, and a made one is one allocation shared by the
/// request's header and the response's.
pub(super) fn take_or_make(headers: &mut HeaderMap) -> HeaderValue {
    // One lookup (the header name hashed once) for both the read and the write.
    match headers.entry(REQUEST_ID_HEADER) {
        Entry::Occupied(entry) if is_well_formed(entry.get().as_bytes()) => entry.get().clone(),
        Entry::Occupied(mut entry) => {
            let id = header(generate());
            entry.insert(id.clone());
            id
        }
        Entry::Vacant(entry) => {
            let id = header(generate());
            entry.insert(id.clone());
            id
        }
    }
}

/// `text` (a generated id) as a header value.
fn header(text: [u8; UUID_LEN]) -> HeaderValue {
    // Hex digits and hyphens are valid header text.
    HeaderValue::from_maybe_shared(Bytes::from_owner(text))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Length of a UUID's text form.
const UUID_LEN: usize = 36;

thread_local! {
    /// This thread's generator state, seeded on first use.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// The next 64 random bits of this thread's generator (wyrand: one multiply per draw; request ids
/// need to be unique, not unpredictable). Seeded from std's per-process random hasher keys, the
/// thread and the time.
fn next_u64() -> u64 {
    STATE.with(|state| {
        let mut s = state.get();
        if s == 0 {
            let mut hasher = std::hash::RandomState::new().build_hasher();
            hasher.write_u64(crate::observed::call::now());
            std::thread::current().id().hash(&mut hasher);
            s = hasher.finish() | 1;
        }
        s = s.wrapping_add(0xa076_1d64_78bd_642f);
        state.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    })
}

/// A new random (version 4) UUID, as text.
pub(super) fn generate() -> [u8; UUID_LEN] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; UUID_LEN];
    let mut at = 0;
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text[at] = b'-';
            at += 1;
        }
        text[at] = HEX[usize::from(byte >> 4)];
        text[at + 1] = HEX[usize::from(byte & 0x0f)];
        at += 2;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_ids() {
        assert!(is_well_formed(b"abc-123"));
        assert!(is_well_formed(b"01J9Z3.req_7"));
        assert!(is_well_formed(&[b'a'; MAX_LEN]));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed(&[b'a'; MAX_LEN + 1]));
        assert!(!is_well_formed(b"has space"));
        assert!(!is_well_formed(b"quote\""));
        assert!(!is_well_formed(b"a,b"));
        assert!(!is_well_formed("é".as_bytes()));
    }

    #[test]
    fn generated_ids_are_version_4_uuids_and_differ() {
        let a = header(generate());
        let b = header(generate());
        assert_ne!(a, b);
        let text = a.to_str().unwrap();
        assert_eq!(text.len(), 36);
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{text}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{text}");
        assert!(is_well_formed(a.as_bytes()));
        let many: std::collections::HashSet<_> = (0..10_000).map(|_| generate()).collect();
        assert_eq!(many.len(), 10_000);
    }

    #[test]
    fn a_well_formed_id_is_kept_and_a_malformed_one_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("req-42"));
        assert_eq!(take_or_make(&mut headers), "req-42");

        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("two words"));
        let id = take_or_make(&mut headers);
        assert_ne!(id, "two words");
        assert_eq!(headers.get(REQUEST_ID_HEADER), Some(&id));

        let mut none = HeaderMap::new();
        let id = take_or_make(&mut none);
        assert_eq!(none.get(REQUEST_ID_HEADER), Some(&id));
    }
}
