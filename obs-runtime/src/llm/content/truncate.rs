//! Fitting captured content into a byte limit while it stays valid JSON of the conventions'
//! schema.
//!
//! 1. If the whole array fits, it is kept as it is.
//! 2. Otherwise every long string (text, reasoning, tool arguments and results, ids, names; never
//!    `type`, `role`, `finish_reason`, `modality`, `mime_type`) is cut to the same byte cap, at a
//!    char boundary, followed by `…[truncated N bytes]`; the largest cap that fits is taken.
//! 3. If even a cap of [`MIN_CAP`] bytes does not fit, whole items are dropped: the oldest input
//!    messages, the last output messages or system-instruction parts, and a part
//!    `{"type": "truncated", "messages_dropped": N}` (`parts_dropped` for instructions) takes
//!    their place, so the count is in the JSON.
//! 4. If not even one item fits, one message holding only that part stands in (`[]` as the last
//!    resort). The result never exceeds the limit.

use serde_json::{Map, Value, json};

/// The smallest cap on each string before whole messages are dropped instead: below it, keeping
/// fewer messages readable is worth more than keeping every message as a stub.
pub(crate) const MIN_CAP: usize = 128;

/// What the items are, which says which to drop and where the drop count goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Input messages: the oldest (first) are dropped.
    Input,
    /// Output messages: the last are dropped.
    Output,
    /// System-instruction parts: the last are dropped.
    Instructions,
}

/// A fitted JSON array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fitted {
    /// The JSON text.
    pub json: String,
    /// Whether any string was cut or item dropped.
    pub truncated: bool,
    /// How many whole items were dropped.
    pub dropped: usize,
}

/// `items` as a JSON array of at most `max` bytes (see the module docs).
pub(crate) fn fit(items: Vec<Value>, shape: Shape, max: usize) -> Fitted {
    let n = items.len();
    let array = Value::Array(items);
    let full = array.to_string();
    if full.len() <= max {
        return Fitted {
            json: full,
            truncated: false,
            dropped: 0,
        };
    }
    let Value::Array(items) = array else {
        return fallback(&[], shape, n, max);
    };
    // Items in drop order: the first dropped comes first.
    let order: Vec<usize> = match shape {
        Shape::Input => (0..n).collect(),
        Shape::Output | Shape::Instructions => (0..n).rev().collect(),
    };
    let marker_bound = json_len(&marker(shape, n)) + 1;
    let total = |kept: &[usize], cap: usize| -> usize {
        let items: usize = kept
            .iter()
            .map(|&i| json_len(&capped(&items[i], cap)))
            .sum();
        let dropped = if kept.len() < n { marker_bound } else { 0 };
        2 + items + kept.len().saturating_sub(1) + dropped
    };

    // The most items that fit with strings at the minimum cap, keeping the last in drop order.
    let at_min: Vec<usize> = order
        .iter()
        .map(|&i| json_len(&capped(&items[i], MIN_CAP)))
        .collect();
    let mut first_kept = n;
    let mut sum = 2 + marker_bound;
    while first_kept > 0 {
        let extra = at_min[first_kept - 1] + usize::from(first_kept < n);
        if sum + extra > max {
            break;
        }
        sum += extra;
        first_kept -= 1;
    }
    let (kept, lo) = if first_kept < n {
        (&order[first_kept..], MIN_CAP)
    } else {
        // Not even one item at the minimum cap: the last in drop order, with a smaller cap.
        (&order[n.saturating_sub(1)..], 0)
    };
    let mut kept: Vec<usize> = kept.to_vec();
    kept.sort_unstable();
    if kept.is_empty() || total(&kept, lo) > max {
        return fallback(&items, shape, n, max);
    }
    // The largest cap that fits, by bisection over caps known to fit (`lo`) or not (`hi`).
    let (mut lo, mut hi) = (lo, longest_string(&items).max(lo) + 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if total(&kept, mid) <= max {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let dropped = n - kept.len();
    let mut out: Vec<Value> = kept.iter().map(|&i| capped(&items[i], lo)).collect();
    if dropped > 0 {
        attach_marker(&mut out, shape, dropped);
    }
    let json = Value::Array(out).to_string();
    if json.len() > max {
        return fallback(&items, shape, n, max);
    }
    Fitted {
        json,
        truncated: true,
        dropped,
    }
}

/// The part that counts dropped items.
fn marker(shape: Shape, dropped: usize) -> Value {
    match shape {
        Shape::Input | Shape::Output => json!({"type": "truncated", "messages_dropped": dropped}),
        Shape::Instructions => json!({"type": "truncated", "parts_dropped": dropped}),
    }
}

/// Puts the drop count where the dropped items were: first in the first input message's parts,
/// last in the last output message's parts, or as the last instruction part.
fn attach_marker(items: &mut Vec<Value>, shape: Shape, dropped: usize) {
    let marker = marker(shape, dropped);
    match shape {
        Shape::Input => {
            if let Some(p) = items.first_mut().and_then(parts_of) {
                p.insert(0, marker);
            }
        }
        Shape::Output => {
            if let Some(p) = items.last_mut().and_then(parts_of) {
                p.push(marker);
            }
        }
        Shape::Instructions => items.push(marker),
    }
}

fn parts_of(message: &mut Value) -> Option<&mut Vec<Value>> {
    message.get_mut("parts")?.as_array_mut()
}

/// One stand-in holding only the drop count, or `[]` when even that does not fit.
fn fallback(items: &[Value], shape: Shape, dropped: usize, max: usize) -> Fitted {
    let short = |v: Option<&Value>| {
        let s = v.and_then(Value::as_str).unwrap_or("");
        Value::String(s[..floor_boundary(s, 16)].to_owned())
    };
    let stand_in = match shape {
        Shape::Input => {
            let newest = items.last();
            json!([{"role": short(newest.and_then(|m| m.get("role"))), "parts": [marker(shape, dropped)]}])
        }
        Shape::Output => {
            let first = items.first();
            json!([{
                "role": short(first.and_then(|m| m.get("role"))),
                "parts": [marker(shape, dropped)],
                "finish_reason": short(first.and_then(|m| m.get("finish_reason"))),
            }])
        }
        Shape::Instructions => json!([marker(shape, dropped)]),
    };
    let json = stand_in.to_string();
    Fitted {
        json: if json.len() <= max {
            json
        } else {
            "[]".to_owned()
        },
        truncated: true,
        dropped,
    }
}

/// Keys whose string values are never cut: they are short and the schema constrains them.
const UNCUT: &[&str] = &["type", "role", "finish_reason", "modality", "mime_type"];

/// `value` with every cuttable string longer than `cap` bytes cut (see the module docs).
fn capped(value: &Value, cap: usize) -> Value {
    match value {
        Value::String(s) => Value::String(cut(s, cap)),
        Value::Array(items) => items.iter().map(|v| capped(v, cap)).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if UNCUT.contains(&k.as_str()) && v.is_string() {
                        v.clone()
                    } else {
                        capped(v, cap)
                    };
                    (k.clone(), v)
                })
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

/// `s` cut to at most `cap` bytes at a char boundary, with the marker; unchanged when that would
/// not make it shorter. A string already cut before (a long stream's text, which stops being
/// gathered at the limit: see `streamed.rs`) is cut ahead of its marker, and the marker counts the
/// bytes of both cuts.
fn cut(s: &str, cap: usize) -> String {
    if s.len() <= cap {
        return s.to_owned();
    }
    let (head, earlier) = split_marked(s);
    let keep = floor_boundary(head, cap);
    let cut = marked(&head[..keep], head.len() - keep + earlier);
    if cut.len() < s.len() {
        cut
    } else {
        s.to_owned()
    }
}

const MARKER_START: &str = "…[truncated ";
const MARKER_END: &str = " bytes]";

/// `kept` followed by the marker saying `dropped` bytes were cut after it.
pub(crate) fn marked(kept: &str, dropped: usize) -> String {
    format!("{kept}{MARKER_START}{dropped}{MARKER_END}")
}

/// A string that ends in the marker, as its kept text and the count the marker gives; else the
/// string and 0.
fn split_marked(s: &str) -> (&str, usize) {
    let split = s.strip_suffix(MARKER_END).and_then(|rest| {
        let (head, count) = rest.rsplit_once(MARKER_START)?;
        let all_digits = !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit());
        Some((head, count.parse().ok().filter(|_| all_digits)?))
    });
    split.unwrap_or((s, 0))
}

/// The largest char boundary of `s` at or below `at`.
pub(crate) fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn longest_string(items: &[Value]) -> usize {
    fn walk(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len(),
            Value::Array(items) => items.iter().map(walk).max().unwrap_or(0),
            Value::Object(map) => map.values().map(walk).max().unwrap_or(0),
            _ => 0,
        }
    }
    items.iter().map(walk).max().unwrap_or(0)
}

/// The length of `value`'s compact JSON text, without building it.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_message(role: &str, text: &str) -> Value {
        json!({"role": role, "parts": [{"type": "text", "content": text}]})
    }

    fn parse(fitted: &Fitted, max: usize) -> Vec<Value> {
        assert!(fitted.json.len() <= max, "{} > {max}", fitted.json.len());
        match serde_json::from_str(&fitted.json) {
            Ok(Value::Array(items)) => items,
            other => panic!("not a JSON array: {other:?}"),
        }
    }

    /// The kept text before the marker, checked to be a prefix of `original`.
    fn kept_prefix<'a>(content: &'a str, original: &str) -> &'a str {
        let (kept, _) = content
            .split_once("…[truncated ")
            .expect("a visible marker");
        assert!(original.starts_with(kept), "not a prefix: {kept:?}");
        kept
    }

    #[test]
    fn a_string_cut_before_is_cut_ahead_of_its_marker_with_the_counts_added() {
        let earlier = marked(&"a".repeat(300), 5000);
        assert_eq!(cut(&earlier, 100), marked(&"a".repeat(100), 5200));
        // Text that only looks like a marker somewhere else is cut as any text.
        let plain = format!("{}{MARKER_START}x{MARKER_END}", "b".repeat(300));
        assert_eq!(
            cut(&plain, 100),
            marked(&"b".repeat(100), plain.len() - 100)
        );
        assert_eq!(split_marked("no marker"), ("no marker", 0));
    }

    #[test]
    fn what_fits_is_kept_as_it_is() {
        let items = vec![text_message("user", "short")];
        let fitted = fit(items.clone(), Shape::Input, 512);
        assert_eq!(fitted.json, Value::Array(items).to_string());
        assert!(!fitted.truncated);
    }

    #[test]
    fn a_long_text_is_cut_with_a_marker_and_stays_valid_json() {
        let text = "All work and no play. ".repeat(2000);
        let fitted = fit(vec![text_message("user", &text)], Shape::Input, 4096);
        let items = parse(&fitted, 4096);
        let content = items[0]["parts"][0]["content"].as_str().unwrap();
        let kept = kept_prefix(content, &text);
        assert!(
            kept.len() > 3500,
            "the cap is the largest that fits: {}",
            kept.len()
        );
        assert!(fitted.truncated);
        assert_eq!(fitted.dropped, 0);
        assert_eq!(items[0]["role"], "user");
    }

    #[test]
    fn multibyte_text_is_cut_on_char_boundaries_for_every_limit() {
        let text = "😀漢字é".repeat(3000) + "\"quoted\"\n\u{1}";
        for max in (512..3000).step_by(37) {
            let fitted = fit(vec![text_message("user", &text)], Shape::Input, max);
            let items = parse(&fitted, max);
            let content = items[0]["parts"][0]["content"].as_str().unwrap();
            kept_prefix(content, &text);
        }
    }

    #[test]
    fn many_messages_drop_the_oldest_with_the_count_in_the_json() {
        let items: Vec<Value> = (0..500)
            .map(|i| text_message("user", &format!("message {i} {}", "x".repeat(90))))
            .collect();
        let fitted = fit(items, Shape::Input, 2048);
        let kept = parse(&fitted, 2048);
        assert!(fitted.dropped > 400, "{}", fitted.dropped);
        assert_eq!(kept.len() + fitted.dropped, 500);
        assert_eq!(
            kept[0]["parts"][0],
            json!({"type": "truncated", "messages_dropped": fitted.dropped})
        );
        let newest = kept.last().unwrap()["parts"][0]["content"]
            .as_str()
            .unwrap();
        assert!(newest.starts_with("message 499 "), "{newest}");
        // Kept messages are whole: 100-byte texts are under the minimum cap.
        assert!(!fitted.json.contains("…[truncated"));
    }

    #[test]
    fn output_drops_the_last_choices() {
        let items: Vec<Value> = (0..50)
            .map(|i| {
                json!({"role": "assistant", "parts": [{"type": "text", "content": format!("choice {i} {}", "y".repeat(200))}], "finish_reason": "stop"})
            })
            .collect();
        let fitted = fit(items, Shape::Output, 1024);
        let kept = parse(&fitted, 1024);
        assert!(fitted.dropped > 0);
        let first = kept[0]["parts"][0]["content"].as_str().unwrap();
        assert!(first.starts_with("choice 0 "));
        let last_parts = kept.last().unwrap()["parts"].as_array().unwrap();
        assert_eq!(
            last_parts.last().unwrap(),
            &json!({"type": "truncated", "messages_dropped": fitted.dropped})
        );
        assert!(kept.iter().all(|m| m["finish_reason"] == "stop"));
    }

    #[test]
    fn an_item_that_cannot_fit_leaves_a_stand_in_with_the_count() {
        let parts: Vec<Value> = (0..300)
            .map(|i| json!({"type": "tool_call", "name": format!("t{i}"), "arguments": {"i": i}}))
            .collect();
        let message = json!({"role": "assistant", "parts": parts, "finish_reason": "tool_call"});
        let fitted = fit(vec![message], Shape::Output, 512);
        let kept = parse(&fitted, 512);
        assert_eq!(
            kept,
            [
                json!({"role": "assistant", "parts": [{"type": "truncated", "messages_dropped": 1}], "finish_reason": "tool_call"})
            ]
        );
    }

    #[test]
    fn instructions_drop_their_last_parts() {
        let parts: Vec<Value> = (0..40)
            .map(|i| json!({"type": "text", "content": format!("rule {i}: {}", "z".repeat(100))}))
            .collect();
        let fitted = fit(parts, Shape::Instructions, 1024);
        let kept = parse(&fitted, 1024);
        assert_eq!(
            kept[0]["content"].as_str().unwrap().get(..7),
            Some("rule 0:")
        );
        assert_eq!(
            kept.last().unwrap(),
            &json!({"type": "truncated", "parts_dropped": fitted.dropped})
        );
    }

    #[test]
    fn any_mix_of_messages_fits_every_limit_and_keeps_the_schema() {
        // A fixed pseudo-random sequence (xorshift), so the test is deterministic.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        let words = ["héllo", "漢字", "😀", "\"q\"", "\n", "plain", "x"];
        for round in 0..24 {
            let messages: Vec<Value> = (0..1 + next(40))
                .map(|_| {
                    let parts: Vec<Value> = (0..1 + next(4))
                        .map(|_| {
                            let text: String = (0..next(400)).map(|_| words[next(words.len())]).collect();
                            if next(3) == 0 {
                                json!({"type": "tool_call", "id": "c1", "name": "t", "arguments": {"q": text}})
                            } else {
                                json!({"type": "text", "content": text})
                            }
                        })
                        .collect();
                    json!({"role": "user", "parts": parts, "finish_reason": "stop"})
                })
                .collect();
            let shape = [Shape::Input, Shape::Output][round % 2];
            for max in [512, 700, 1500, 4096, 20_000] {
                let fitted = fit(messages.clone(), shape, max);
                let kept = parse(&fitted, max);
                assert!(!kept.is_empty() || fitted.json == "[]");
                for message in &kept {
                    assert!(message["role"].is_string(), "{message}");
                    assert!(message["parts"].is_array(), "{message}");
                    assert_eq!(message["finish_reason"], "stop", "{message}");
                }
                assert_eq!(fitted.dropped > 0, fitted.json.contains("messages_dropped"));
            }
        }
    }
}
