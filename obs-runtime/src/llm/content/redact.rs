//! Redaction of captured content: a [`Redactor`] sees every string before it is serialised.
//!
//! [`RuleRedactor::default()`] masks, each with a marker naming what was removed
//! (`[REDACTED:<kind>]`):
//!
//! | rule | matches | kind |
//! |---|---|---|
//! | [`PrefixedKey`] | `sk-ant-…`, `sk-proj-…`, `sk-…` (at least 20 key characters, one a digit), `AKIA…`/`ASIA…` + 16, `AIza…` + 35 | `anthropic_api_key`, `openai_api_key`, `aws_access_key`, `google_api_key` |
//! | [`BearerToken`] | the token after `Bearer ` (at least 12 characters, one a digit) | `bearer_token` |
//! | [`AuthorizationHeader`] | the value after `Authorization:` / `Authorization=` when it starts with an auth scheme (`Basic`, `Bearer`, ...) or is one long token with a digit | `authorization` |
//! | [`SecretAssignment`] | the value after `api_key=`, `"api_key": "…"`, `password:`, `client_secret=`, ... | `secret` |
//! | [`Email`] | `local@domain.tld` | `email` |
//!
//! Keys must start a word (`task-based` holds no key), and the length and digit requirements keep
//! ordinary prose untouched. Add a rule of your own with [`RuleRedactor::with_rule`], or replace
//! the defaults with any [`Redactor`].

use std::borrow::Cow;
use std::ops::Range;

/// Masks sensitive text in captured content. Called on every string of every message part (and
/// on the JSON text of structured tool arguments) before it is serialised.
pub trait Redactor: Send + Sync {
    /// `text` with every secret it holds masked; borrowed when nothing was.
    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str>;
}

/// A redactor that masks nothing, to turn redaction off.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRedaction;

impl Redactor for NoRedaction {
    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(text)
    }
}

/// One kind of secret a [`RuleRedactor`] looks for.
pub trait Rule: Send + Sync {
    /// What the rule masks, shown in the marker `[REDACTED:<kind>]`.
    fn kind(&self) -> &str;
    /// The byte range of the first match starting at or after `from`, or `None`. A range that is
    /// empty or not on char boundaries is ignored.
    fn find(&self, text: &str, from: usize) -> Option<Range<usize>>;
}

/// A redactor applying a list of [`Rule`]s: every match is replaced by `[REDACTED:<kind>]`; of
/// overlapping matches the earliest wins, then the longest, then the rule added first.
pub struct RuleRedactor {
    rules: Vec<Box<dyn Rule>>,
}

impl std::fmt::Debug for RuleRedactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<&str> = self.rules.iter().map(|r| r.kind()).collect();
        f.debug_struct("RuleRedactor")
            .field("rules", &kinds)
            .finish()
    }
}

impl Default for RuleRedactor {
    /// The default rules: API keys, bearer tokens, authorization headers, secret assignments and
    /// email addresses.
    fn default() -> Self {
        RuleRedactor::empty()
            .with_rule(PrefixedKey::new("sk-ant-", 20, "anthropic_api_key"))
            .with_rule(PrefixedKey::new("sk-proj-", 20, "openai_api_key"))
            .with_rule(PrefixedKey::new("sk-", 20, "openai_api_key"))
            .with_rule(PrefixedKey::upper("AKIA", 16, "aws_access_key"))
            .with_rule(PrefixedKey::upper("ASIA", 16, "aws_access_key"))
            .with_rule(PrefixedKey::new("AIza", 35, "google_api_key").digit_optional())
            .with_rule(AuthorizationHeader)
            .with_rule(BearerToken)
            .with_rule(SecretAssignment)
            .with_rule(Email)
    }
}

impl RuleRedactor {
    /// A redactor without rules (add some with [`with_rule`](Self::with_rule)).
    pub fn empty() -> Self {
        RuleRedactor { rules: Vec::new() }
    }

    /// Also applies `rule`, after the ones already added.
    pub fn with_rule(mut self, rule: impl Rule + 'static) -> Self {
        self.rules.push(Box::new(rule));
        self
    }
}

impl Redactor for RuleRedactor {
    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let valid = |r: &Range<usize>, pos: usize| {
            r.start >= pos
                && r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        };
        let mut next: Vec<Option<Range<usize>>> = self
            .rules
            .iter()
            .map(|rule| rule.find(text, 0).filter(|r| valid(r, 0)))
            .collect();
        let mut out: Option<String> = None;
        let mut pos = 0;
        loop {
            for (rule, found) in self.rules.iter().zip(next.iter_mut()) {
                if found.as_ref().is_some_and(|r| r.start < pos) {
                    *found = rule.find(text, pos).filter(|r| valid(r, pos));
                }
            }
            let best = next
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.as_ref().map(|r| (i, r)))
                .min_by_key(|(i, r)| (r.start, std::cmp::Reverse(r.end), *i));
            let Some((i, range)) = best else { break };
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[pos..range.start]);
            push_marker(out, self.rules[i].kind());
            pos = range.end;
        }
        match out {
            None => Cow::Borrowed(text),
            Some(mut out) => {
                out.push_str(&text[pos..]);
                Cow::Owned(out)
            }
        }
    }
}

/// The start of every marker: `[REDACTED:<kind>]`.
pub const MARKER_PREFIX: &str = "[REDACTED:";

fn push_marker(out: &mut String, kind: &str) {
    out.push_str(MARKER_PREFIX);
    out.push_str(kind);
    out.push(']');
}

/// A key made of a fixed prefix and a body of key characters, starting a word: `sk-…`, `AKIA…`.
#[derive(Clone, Copy, Debug)]
pub struct PrefixedKey {
    /// The prefix, matched case-sensitively.
    pub prefix: &'static str,
    /// The fewest body characters after the prefix.
    pub min_body: usize,
    /// Body characters: `A-Z`, `0-9` only when `true`; else also `a-z`, `_` and `-`.
    pub upper_only: bool,
    /// Whether the body must hold a digit (keeps hyphenated prose such as `sk-…` words out).
    pub needs_digit: bool,
    /// The marker's kind.
    pub kind: &'static str,
}

impl PrefixedKey {
    /// A key whose body is `A-Za-z0-9_-`, at least `min_body` long with a digit.
    pub const fn new(prefix: &'static str, min_body: usize, kind: &'static str) -> Self {
        PrefixedKey {
            prefix,
            min_body,
            upper_only: false,
            needs_digit: true,
            kind,
        }
    }

    /// A key whose body is `A-Z0-9`, at least `min_body` long (no digit needed).
    pub const fn upper(prefix: &'static str, min_body: usize, kind: &'static str) -> Self {
        PrefixedKey {
            prefix,
            min_body,
            upper_only: true,
            needs_digit: false,
            kind,
        }
    }

    /// The same key without the digit requirement.
    pub const fn digit_optional(mut self) -> Self {
        self.needs_digit = false;
        self
    }

    fn is_body(&self, b: u8) -> bool {
        if self.upper_only {
            b.is_ascii_uppercase() || b.is_ascii_digit()
        } else {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
        }
    }
}

impl Rule for PrefixedKey {
    fn kind(&self) -> &str {
        self.kind
    }

    fn find(&self, text: &str, from: usize) -> Option<Range<usize>> {
        let bytes = text.as_bytes();
        let mut at = from;
        while let Some(i) = text.get(at..)?.find(self.prefix).map(|i| i + at) {
            at = i + 1;
            if !starts_word(bytes, i) {
                continue;
            }
            let body = i + self.prefix.len();
            let end = scan(bytes, body, |b| self.is_body(b));
            let long_enough = end - body >= self.min_body;
            let digit = !self.needs_digit || bytes[body..end].iter().any(u8::is_ascii_digit);
            if long_enough && digit {
                return Some(i..end);
            }
        }
        None
    }
}

/// The token after `Bearer ` (case-insensitive), at least 12 characters with a digit. The word
/// `Bearer` stays.
#[derive(Clone, Copy, Debug, Default)]
pub struct BearerToken;

impl Rule for BearerToken {
    fn kind(&self) -> &str {
        "bearer_token"
    }

    fn find(&self, text: &str, from: usize) -> Option<Range<usize>> {
        let bytes = text.as_bytes();
        let mut at = from;
        while let Some(i) = find_word_ci(bytes, b"bearer", at) {
            at = i + 1;
            let start = scan(bytes, i + 6, |b| b == b' ' || b == b'\t');
            if start == i + 6 {
                continue;
            }
            let end = scan(bytes, start, is_token68);
            if end - start >= 12 && bytes[start..end].iter().any(u8::is_ascii_digit) {
                return Some(start..end);
            }
        }
        None
    }
}

/// The value after `Authorization:` or `Authorization=` (case-insensitive, quotes allowed around
/// the name and value), up to the end of the line or the closing quote, when it starts with an
/// auth scheme (`Basic`, `Bearer`, `Digest`, `Token`, ...) or is a single token of at least 16
/// characters with a digit.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuthorizationHeader;

const AUTH_SCHEMES: &[&[u8]] = &[
    b"basic",
    b"bearer",
    b"digest",
    b"token",
    b"apikey",
    b"negotiate",
    b"ntlm",
    b"aws4-hmac-sha256",
];

impl Rule for AuthorizationHeader {
    fn kind(&self) -> &str {
        "authorization"
    }

    fn find(&self, text: &str, from: usize) -> Option<Range<usize>> {
        let bytes = text.as_bytes();
        let mut at = from;
        while let Some(i) = find_word_ci(bytes, b"authorization", at) {
            at = i + 1;
            let Some(start) = after_separator(bytes, i + 13) else {
                continue;
            };
            let end = scan(bytes, start, |b| {
                !matches!(b, b'\r' | b'\n' | b'"' | b'\'' | b'\\')
            });
            let value = &bytes[start..end];
            let word = scan(value, 0, is_token68);
            let schemed = word < value.len()
                && value[word] == b' '
                && AUTH_SCHEMES
                    .iter()
                    .any(|s| value[..word].eq_ignore_ascii_case(s));
            let token = word >= 16 && value[..word].iter().any(u8::is_ascii_digit);
            if schemed {
                return Some(start..trim_end(bytes, start, end));
            }
            if token {
                return Some(start..start + word);
            }
        }
        None
    }
}

/// The value assigned to a secret-named key: `api_key=…`, `"api_key": "…"`, `password: …`,
/// `client_secret=…`. Names are compared case-insensitively with `-` read as `_`, and a name
/// ending in `_<secret name>` counts too (`X-Api-Key`, `OPENAI_API_KEY`, `db_password`). The
/// secret names: `api_key`, `apikey`, `access_token`, `refresh_token`, `auth_token`,
/// `client_secret`, `secret_key`, `password`, `passwd`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecretAssignment;

const SECRET_NAMES: &[&[u8]] = &[
    b"api_key",
    b"apikey",
    b"access_token",
    b"refresh_token",
    b"auth_token",
    b"client_secret",
    b"secret_key",
    b"password",
    b"passwd",
];

impl Rule for SecretAssignment {
    fn kind(&self) -> &str {
        "secret"
    }

    fn find(&self, text: &str, from: usize) -> Option<Range<usize>> {
        let bytes = text.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            if !starts_word(bytes, i) || !bytes[i].is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let name_end = scan(bytes, i, |b| is_word(b) || b == b'-');
            let name = &bytes[i..name_end];
            let secret = SECRET_NAMES.iter().any(|s| names_secret(name, s));
            if secret && let Some(start) = after_separator(bytes, name_end) {
                let quote = start
                    .checked_sub(1)
                    .map(|q| bytes[q])
                    .filter(|q| *q == b'"' || *q == b'\'');
                let end = match quote {
                    Some(q) => scan(bytes, start, |b| {
                        b != q && !matches!(b, b'\\' | b'\r' | b'\n')
                    }),
                    None => scan(bytes, start, |b| {
                        !b.is_ascii_whitespace()
                            && !matches!(
                                b,
                                b',' | b';' | b'&' | b'"' | b'\'' | b')' | b'}' | b']' | b'\\'
                            )
                    }),
                };
                let already = bytes[start..end].starts_with(MARKER_PREFIX.as_bytes());
                if end > start && !already {
                    return Some(start..end);
                }
            }
            i = name_end.max(i + 1);
        }
        None
    }
}

/// An email address: `local@domain.tld`, the domain with a dot and a top-level part of at least
/// two letters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Email;

impl Rule for Email {
    fn kind(&self) -> &str {
        "email"
    }

    fn find(&self, text: &str, from: usize) -> Option<Range<usize>> {
        let bytes = text.as_bytes();
        let is_local =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
        let is_domain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
        let mut at = from;
        while let Some(i) = text.get(at..)?.find('@').map(|i| i + at) {
            at = i + 1;
            let mut start = i;
            while start > from && is_local(bytes[start - 1]) {
                start -= 1;
            }
            while start < i && bytes[start] == b'.' {
                start += 1;
            }
            let mut end = scan(bytes, i + 1, is_domain);
            while end > i + 1 && matches!(bytes[end - 1], b'.' | b'-') {
                end -= 1;
            }
            let domain = &text[i + 1..end];
            let labels_ok = domain.split('.').all(|l| !l.is_empty());
            let tld_ok = domain.rsplit_once('.').is_some_and(|(_, tld)| {
                tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
            });
            if start < i && labels_ok && tld_ok {
                return Some(start..end);
            }
        }
        None
    }
}

/// Whether `name` is the lowercase `secret`, or ends in `_secret` (`-` read as `_`, any case).
fn names_secret(name: &[u8], secret: &[u8]) -> bool {
    let Some(cut) = name.len().checked_sub(secret.len()) else {
        return false;
    };
    let same = |a: u8, s: u8| a.to_ascii_lowercase() == s || (a == b'-' && s == b'_');
    let tail = name[cut..].iter().zip(secret).all(|(a, s)| same(*a, *s));
    tail && (cut == 0 || matches!(name[cut - 1], b'_' | b'-'))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a word starts at `i`: the byte before it is not a word byte.
fn starts_word(bytes: &[u8], i: usize) -> bool {
    i == 0 || !is_word(bytes[i - 1])
}

/// The first index at or after `from` whose byte fails `keep`.
fn scan(bytes: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| !keep(*b)))
        .map_or(bytes.len(), |p| from + p)
}

/// Characters of an RFC 6750 `b64token` (without the trailing `=` distinction).
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// The first case-insensitive occurrence of the lowercase `word` at or after `from` that is a
/// whole word (no word byte on either side).
fn find_word_ci(bytes: &[u8], word: &[u8], from: usize) -> Option<usize> {
    let last = bytes.len().checked_sub(word.len())?;
    (from..=last).find(|&i| {
        bytes[i..i + word.len()].eq_ignore_ascii_case(word)
            && starts_word(bytes, i)
            && bytes.get(i + word.len()).is_none_or(|b| !is_word(*b))
    })
}

/// Where a value starts after a name ending at `i`: an optional closing quote, spaces, `:` or
/// `=`, spaces and an optional opening quote. `None` without a separator or value.
fn after_separator(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if matches!(bytes.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    j = scan(bytes, j, |b| b == b' ' || b == b'\t');
    if !matches!(bytes.get(j), Some(b':' | b'=')) {
        return None;
    }
    j = scan(bytes, j + 1, |b| b == b' ' || b == b'\t');
    if matches!(bytes.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    (j < bytes.len()).then_some(j)
}

/// `end` moved back over trailing spaces, not before `start`.
fn trim_end(bytes: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> String {
        RuleRedactor::default().redact(text).into_owned()
    }

    #[test]
    fn api_keys_of_each_provider_are_masked_with_their_kind() {
        let cases = [
            (
                "key sk-ant-api03-AbCdEf123456_ghIJKLmnop-QRSTuv done",
                "key [REDACTED:anthropic_api_key] done",
            ),
            (
                "use sk-proj-Ab12Cd34Ef56Gh78Ij90Kl_mn-op now",
                "use [REDACTED:openai_api_key] now",
            ),
            (
                "OPENAI=sk-AbCdEfGhIjKlMnOpQrSt1234567890abcdefghijklmn.",
                "OPENAI=[REDACTED:openai_api_key].",
            ),
            (
                "aws AKIAIOSFODNN7EXAMPLE and ASIAJEXAMPLEXEG2JICEA",
                "aws [REDACTED:aws_access_key] and [REDACTED:aws_access_key]",
            ),
            (
                "g: AIzaSyA-abcdefghijklmnopqrstuvwxyz01234!",
                "g: [REDACTED:google_api_key]!",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    #[test]
    fn bearer_tokens_and_authorization_headers_are_masked() {
        assert_eq!(
            redact("curl -H 'Authorization: Bearer eyJhbGciOi.J9eyJzdWIi.OjEyMzQ1Njc4OTB9' x"),
            "curl -H 'Authorization: [REDACTED:authorization]' x"
        );
        assert_eq!(
            redact("authorization=Basic dXNlcjpwYXNz\nnext line"),
            "authorization=[REDACTED:authorization]\nnext line"
        );
        assert_eq!(
            redact("send bearer abc123def456ghi789 with it"),
            "send bearer [REDACTED:bearer_token] with it"
        );
        assert_eq!(
            redact(r#"{"Authorization": "Token 9f8e7d6c5b4a"}"#),
            r#"{"Authorization": "[REDACTED:authorization]"}"#
        );
    }

    #[test]
    fn secret_assignments_are_masked() {
        assert_eq!(
            redact("url?api_key=abc123XYZ&q=1"),
            "url?api_key=[REDACTED:secret]&q=1"
        );
        assert_eq!(
            redact(r#"{"api_key": "hunter2-secret", "model": "gpt"}"#),
            r#"{"api_key": "[REDACTED:secret]", "model": "gpt"}"#
        );
        assert_eq!(
            redact("X-Api-Key: 0123abcd, Password = 'p@ss word'"),
            "X-Api-Key: [REDACTED:secret], Password = '[REDACTED:secret]'"
        );
        assert_eq!(
            redact("client_secret: s3cr3t"),
            "client_secret: [REDACTED:secret]"
        );
    }

    #[test]
    fn emails_are_masked() {
        assert_eq!(
            redact("Mail jane.doe+tag@mail.example.co.uk, or bob@example.com."),
            "Mail [REDACTED:email], or [REDACTED:email]."
        );
        assert_eq!(redact("<x_y@a-b.io>"), "<[REDACTED:email]>");
    }

    #[test]
    fn ordinary_text_is_untouched_and_borrowed() {
        let prose = [
            "A task-based approach: ask-sk-learn users; the disk-based cache.",
            "Reach the user at example dot com, or @handle on the forum.",
            "sk-learn and sk-this-is-a-very-long-hyphenated-phrase-here",
            "The bearer of bad news carried bearer bonds to the bank.",
            "Authorization: the process of granting access to a resource.",
            "The API key rotation policy; tokens: 1200; secret sauce.",
            "AKIA is not a key, nor is AKIAshortone, nor AIza alone.",
            "an email like foo@bar has no domain; a@b.c has a short TLD; 2@3.45",
            "emoji 🎉 and CJK 漢字 text with @ signs @@ and sk- prefixes",
        ];
        for text in prose {
            let out = RuleRedactor::default().redact(text);
            assert!(matches!(out, Cow::Borrowed(_)), "changed: {out}");
        }
    }

    #[test]
    fn a_user_rule_adds_to_the_defaults_and_a_user_redactor_replaces_them() {
        let with_github =
            RuleRedactor::default().with_rule(PrefixedKey::new("ghp_", 30, "github_token"));
        assert_eq!(
            with_github.redact("t ghp_abcdefghijklmnopqrstuvwxyz0123456789 e a@b.io"),
            "t [REDACTED:github_token] e [REDACTED:email]"
        );

        struct Names;
        impl Redactor for Names {
            fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
                if text.contains("Alice") {
                    Cow::Owned(text.replace("Alice", "[REDACTED:name]"))
                } else {
                    Cow::Borrowed(text)
                }
            }
        }
        assert_eq!(
            Names.redact("Alice a@b.io"),
            "[REDACTED:name] a@b.io",
            "a replacing redactor applies only its own rules"
        );
        assert_eq!(NoRedaction.redact("a@b.io"), "a@b.io");
    }

    #[test]
    fn a_rule_giving_a_bad_range_is_ignored_not_a_panic() {
        struct Bad;
        impl Rule for Bad {
            fn kind(&self) -> &str {
                "bad"
            }
            fn find(&self, _text: &str, from: usize) -> Option<Range<usize>> {
                Some(from + 1..from + 2)
            }
        }
        let redactor = RuleRedactor::empty().with_rule(Bad);
        assert_eq!(redactor.redact("é"), "é");
    }

    #[test]
    fn overlapping_matches_take_the_earliest_then_longest() {
        // The authorization value contains a bearer token: the header rule starts first.
        assert_eq!(
            redact("Authorization: Bearer abcdef1234567890 rest"),
            "Authorization: [REDACTED:authorization]"
        );
        // `sk-ant-` and `sk-` match the same range: the rule added first names it.
        assert_eq!(
            redact("sk-ant-abcdefghij0123456789"),
            "[REDACTED:anthropic_api_key]"
        );
    }
}
