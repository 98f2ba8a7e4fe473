//! The canonical JSON encoding every record is hashed and written in.
//!
//! - object keys sorted by their UTF-8 bytes, each once;
//! - no whitespace;
//! - strings escaped minimally: `"` and `\` with a backslash, `\n \r \t \b \f` by their short
//!   forms, the other control characters (below U+0020) as `\u00xx` (lower-case hex), everything
//!   else (including non-ASCII) as its UTF-8 bytes;
//! - integers only: a float anywhere is refused, and so is `null` (an absent value is an absent key).
//!
//! A record's line on disk is its canonical encoding, but a verifier re-encodes the parsed value
//! ([`encode`]) rather than trusting the bytes, so that content, not layout, is what is judged.

use std::fmt;

use serde_json::{Map, Value};

/// Why a value has no canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CanonicalError {
    /// A number that is not an integer, at this JSON pointer (`/details/ratio`).
    Float(String),
    /// A `null`, at this JSON pointer.
    Null(String),
    /// A record that is not a JSON object.
    NotObject,
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Float(at) => write!(f, "a float at `{at}` (audit records hold integers only)"),
            Self::Null(at) => write!(f, "a null at `{at}` (absent values are left out)"),
            Self::NotObject => f.write_str("a record that is not a JSON object"),
        }
    }
}

impl std::error::Error for CanonicalError {}

/// The canonical encoding of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    encode(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical encoding of `value` to `out` (on error, `out` may hold part of it).
pub fn encode(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    encode_at(value, out, &mut String::new())
}

/// Appends the canonical encoding of the object `map` without the keys in `skip` (a record
/// without its `hash` and `mac`).
pub fn encode_object_without(
    map: &Map<String, Value>,
    skip: &[&str],
    out: &mut Vec<u8>,
) -> Result<(), CanonicalError> {
    encode_object(map, skip, out, &mut String::new())
}

fn encode_at(value: &Value, out: &mut Vec<u8>, at: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => return Err(CanonicalError::Null(pointer(at))),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
            } else if let Some(i) = n.as_i64() {
                out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
            } else {
                return Err(CanonicalError::Float(pointer(at)));
            }
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = at.len();
                at.push('/');
                at.push_str(itoa::Buffer::new().format(i));
                encode_at(item, out, at)?;
                at.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(map) => encode_object(map, &[], out, at)?,
    }
    Ok(())
}

fn encode_object(
    map: &Map<String, Value>,
    skip: &[&str],
    out: &mut Vec<u8>,
    at: &mut String,
) -> Result<(), CanonicalError> {
    // serde_json's map is ordered by key unless some crate in the build enables its
    // `preserve_order` feature, so sort here rather than rely on it.
    let mut entries: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(key, out);
        out.push(b':');
        let len = at.len();
        at.push('/');
        // JSON pointer escaping (RFC 6901), for the error message only.
        at.push_str(&key.replace('~', "~0").replace('/', "~1"));
        encode_at(value, out, at)?;
        at.truncate(len);
    }
    out.push(b'}');
    Ok(())
}

fn pointer(at: &str) -> String {
    if at.is_empty() {
        "/".to_owned()
    } else {
        at.to_owned()
    }
}

/// How each byte is written in a string: `0` as itself, `u` as `\u00xx`, else `\` and this.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `s` as a canonical JSON string (quoted, minimally escaped).
pub fn string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let escape = ESCAPE[usize::from(bytes[i])];
        if escape == 0 {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            let b = bytes[i];
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(to_vec(v).unwrap()).unwrap()
    }

    #[test]
    fn keys_are_sorted_by_bytes_at_every_level() {
        let v = json!({"b": 1, "a": {"z": true, "Z": false, "é": 2, "e": 3}, "A": [ {"y": 1, "x": 2} ]});
        assert_eq!(
            canon(&v),
            r#"{"A":[{"x":2,"y":1}],"a":{"Z":false,"e":3,"z":true,"é":2},"b":1}"#
        );
    }

    #[test]
    fn strings_are_escaped_minimally() {
        let v = json!("q\" b\\ n\n r\r t\t b\u{8} f\u{c} nul\u{0} us\u{1f} del\u{7f} é ✓ /");
        assert_eq!(
            canon(&v),
            "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f del\u{7f} é ✓ /\""
        );
    }

    #[test]
    fn escaped_keys_sort_by_their_raw_bytes() {
        let v = json!({"a\"": 1, "a": 2, "a\n": 3});
        assert_eq!(canon(&v), r#"{"a":2,"a\n":3,"a\"":1}"#);
    }

    #[test]
    fn integers_of_both_signs_and_extremes() {
        let v = json!([0, -1, i64::MIN, u64::MAX]);
        assert_eq!(
            canon(&v),
            "[0,-1,-9223372036854775808,18446744073709551615]"
        );
    }

    #[test]
    fn floats_and_nulls_are_refused_with_where() {
        assert_eq!(
            to_vec(&json!({"details": {"ratio": 0.5}})),
            Err(CanonicalError::Float("/details/ratio".into()))
        );
        assert_eq!(
            to_vec(&json!({"a": [1, null]})),
            Err(CanonicalError::Null("/a/1".into()))
        );
        assert_eq!(to_vec(&Value::Null), Err(CanonicalError::Null("/".into())));
    }

    #[test]
    fn whitespace_and_order_of_the_input_do_not_matter() {
        let a: Value = serde_json::from_str("{ \"b\" : [1, 2],\n \"a\": \"x\" }").unwrap();
        let b: Value = serde_json::from_str(r#"{"a":"x","b":[1,2]}"#).unwrap();
        assert_eq!(to_vec(&a).unwrap(), to_vec(&b).unwrap());
        assert_eq!(canon(&a), r#"{"a":"x","b":[1,2]}"#);
    }

    #[test]
    fn agrees_with_serde_json_compact_output_on_sorted_input() {
        let v = json!({"k": "\u{1}\u{2}\"\\\t", "n": -5, "o": {"b": [true, false]}});
        assert_eq!(canon(&v), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn skipping_keys_of_a_record() {
        let v = json!({"hash": "h", "mac": "m", "seq": 1});
        let mut out = Vec::new();
        encode_object_without(v.as_object().unwrap(), &["hash", "mac"], &mut out).unwrap();
        assert_eq!(out, br#"{"seq":1}"#);
    }
}
