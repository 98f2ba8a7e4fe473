//! Server-sent events as OpenAI streams them: `data: {json}\n\n` per chunk, then
//! `data: [DONE]\n\n`.

use bytes::Bytes;
use serde_json::Value;

/// The event that ends a stream.
pub(crate) const DONE: &[u8] = b"data: [DONE]\n\n";

/// One event carrying `chunk`.
pub(crate) fn event(chunk: &Value) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"data: ");
    // Writing a `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut out, chunk);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// What one event said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    /// A chunk.
    Chunk(Value),
    /// `[DONE]`.
    Done,
    /// A `data:` payload that is not JSON.
    Malformed(String),
}

/// Splits a body, however its bytes arrive, into events.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    /// Takes the next bytes of the body.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole event, if one has arrived (comments and fields other than `data` are
    /// skipped; several `data` lines of one event are joined by `\n`, as the format says).
    pub(crate) fn next_event(&mut self) -> Option<Event> {
        loop {
            let end = self.buf.windows(2).position(|w| w == b"\n\n")?;
            let block: Vec<u8> = self.buf.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let data: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if data.is_empty() {
                continue;
            }
            let data = data.join("\n");
            return Some(if data == "[DONE]" {
                Event::Done
            } else {
                match serde_json::from_str(&data) {
                    Ok(v) => Event::Chunk(v),
                    Err(_) => Event::Malformed(data),
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_found_across_arbitrary_splits() {
        let mut wire = event(&json!({"a": 1})).to_vec();
        wire.extend_from_slice(b": a comment\n\n");
        wire.extend_from_slice(&event(&json!({"b": [2]})));
        wire.extend_from_slice(b"data: nope\n\n");
        wire.extend_from_slice(DONE);
        for split in 1..wire.len() {
            let mut decoder = Decoder::default();
            let mut seen = Vec::new();
            for part in wire.chunks(split) {
                decoder.push(part);
                while let Some(e) = decoder.next_event() {
                    seen.push(e);
                }
            }
            assert_eq!(
                seen,
                [
                    Event::Chunk(json!({"a": 1})),
                    Event::Chunk(json!({"b": [2]})),
                    Event::Malformed("nope".into()),
                    Event::Done
                ],
                "split {split}"
            );
        }
    }
}
