//! Name conversions shared by the macros.

/// `OpenAi` -> `open_ai`, `HTTPServer` -> `http_server`, `Gpt4o` -> `gpt4o`.
pub fn snake_case(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `LLM_GATEWAY` or `llm_gateway` -> `LlmGateway`.
pub fn pascal_case(ident: &str) -> String {
    ident
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            first.unwrap_or_default() + &chars.as_str().to_lowercase()
        })
        .collect()
}

/// The positions `(first, second)` of the first value that occurs twice.
pub fn find_duplicate<T: PartialEq>(values: &[T]) -> Option<(usize, usize)> {
    values.iter().enumerate().find_map(|(j, v)| {
        values[..j]
            .iter()
            .position(|earlier| earlier == v)
            .map(|i| (i, j))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake() {
        assert_eq!(snake_case("OpenAi"), "open_ai");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("Gpt4o"), "gpt4o");
        assert_eq!(snake_case("RateLimited"), "rate_limited");
        assert_eq!(snake_case("Ok"), "ok");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn pascal() {
        assert_eq!(pascal_case("LLM_GATEWAY"), "LlmGateway");
        assert_eq!(pascal_case("requests_total"), "RequestsTotal");
    }

    #[test]
    fn duplicates() {
        assert_eq!(find_duplicate(&["a", "b", "a"]), Some((0, 2)));
        assert_eq!(find_duplicate(&["a", "b"]), None);
    }
}
