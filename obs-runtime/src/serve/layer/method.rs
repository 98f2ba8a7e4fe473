//! `http.request.method` as a bounded label: the methods the semantic conventions call known
//! (RFC 9110's and PATCH), anything else `_OTHER`.

use http::Method;

/// The label values, by index: the known methods, then `_OTHER`.
pub(super) const VALUES: [&str; 10] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "_OTHER",
];

/// How many values the label has.
pub(super) const COUNT: usize = VALUES.len();

/// The index of `method` in [`VALUES`]: a comparison per known method (the standard ones are an
/// enum inside `http::Method`), no string compare or hashing.
#[inline]
pub(super) fn index(method: &Method) -> usize {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .position(|known| known == method)
        .unwrap_or(COUNT - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_methods_keep_their_name_and_others_are_other() {
        for name in &VALUES[..COUNT - 1] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(VALUES[index(&method)], *name);
        }
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(VALUES[index(&custom)], "_OTHER");
        // Methods are case-sensitive: `get` is not GET.
        let lower = Method::from_bytes(b"get").unwrap();
        assert_eq!(VALUES[index(&lower)], "_OTHER");
    }
}
