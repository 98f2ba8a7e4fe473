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

/// Words that name a secret on their own (`db_password`, `client_secret`, `auth_token`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "credential",
    "credentials",
];

/// Word pairs that name a secret (`openai_api_key`, `ssh_private_key`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("secret", "key"),
    ("access", "key"),
    ("signing", "key"),
];

/// Words with which `token` counts tokens instead of naming one (`max_tokens` has no `token`
/// word; `token_count` and `token_limit` do).
const COUNTING_WORDS: &[&str] = &[
    "count", "counts", "limit", "max", "min", "total", "num", "usage", "budget", "len",
];

/// Whether a name looks like it holds a secret: one of its snake_case words is `password`,
/// `passwd`, `secret`, `token`, `apikey`, `authorization`, `credential(s)`, or two adjacent
/// words are `api key`, `private key`, ... (`OpenAiApiKey` and `openai_api_key` alike). A name
/// that counts tokens (`token_count`, `token_limit`) is not one.
pub fn looks_secret(name: &str) -> bool {
    let snake = snake_case(name.trim_start_matches("r#"));
    let words: Vec<&str> = snake.split('_').filter(|w| !w.is_empty()).collect();
    let counts_tokens =
        words.contains(&"token") && words.iter().any(|w| COUNTING_WORDS.contains(w));
    let secret_word = words
        .iter()
        .any(|w| SECRET_WORDS.contains(w) && !(*w == "token" && counts_tokens));
    let secret_pair = words
        .windows(2)
        .any(|pair| SECRET_PAIRS.contains(&(pair[0], pair[1])));
    secret_word || secret_pair
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "db_password",
            "passwd",
            "token",
            "auth_token",
            "access_token",
            "api_key",
            "apikey",
            "ApiKey",
            "openai_api_key",
            "OPENAI_API_KEY",
            "secret",
            "client_secret",
            "authorization",
            "credentials",
            "private_key",
            "signing_key",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "key",
            "model",
            "max_tokens",
            "tokens",
            "token_count",
            "input_tokens",
            "keyword",
            "user",
            "secretary_general",
            "authored_by",
            "primary_key",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

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
