//! `http.request.method` as a bounded label: the methods the layer knows, anything else
//! `_OTHER`, as the semantic conventions require.
//!
//! The known methods are RFC 9110's and PATCH, unless the environment variable
//! [`KNOWN_METHODS_ENV`] (`OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`) names others: a
//! comma-separated, case-sensitive list that replaces the default one (the conventions' rule, for
//! services that use methods such as `QUERY` or WebDAV's). It is read once, when the process
//! first needs it. Entries that are not valid method names are left out, and at most
//! [`MAX_KNOWN`] are kept; both are reported once with a `tracing` warning.

use std::sync::OnceLock;

use http::Method;

/// The environment variable that replaces the list of known methods.
pub const KNOWN_METHODS_ENV: &str = "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS";

/// Most known methods kept from [`KNOWN_METHODS_ENV`].
pub const MAX_KNOWN: usize = 16;

/// The label value of methods the layer does not know.
pub(super) const OTHER: &str = "_OTHER";

/// How many values the label can have: the known methods, then `_OTHER` at index
/// [`MAX_KNOWN`].
pub(super) const COUNT: usize = MAX_KNOWN + 1;

/// The default known methods.
const DEFAULT: [Method; 9] = [
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

/// The process's known methods.
static KNOWN: OnceLock<Vec<Method>> = OnceLock::new();

fn known() -> &'static [Method] {
    KNOWN.get_or_init(|| from_env(std::env::var(KNOWN_METHODS_ENV).ok().as_deref()))
}

/// The known methods `env` (the variable's value) names, or the default ones without it.
fn from_env(env: Option<&str>) -> Vec<Method> {
    let Some(list) = env else {
        return DEFAULT.to_vec();
    };
    let (methods, refused) = parse(list);
    if !refused.is_empty() {
        tracing::warn!(
            target: "obs::http",
            "{KNOWN_METHODS_ENV}: left out {refused:?} (not method names, repeated, or more than {MAX_KNOWN})"
        );
    }
    methods
}

/// The known methods of the list `list`, and the entries left out of it.
fn parse(list: &str) -> (Vec<Method>, Vec<String>) {
    let mut methods: Vec<Method> = Vec::new();
    let mut refused = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match Method::from_bytes(entry.as_bytes()) {
            Ok(method)
                if entry != OTHER && !methods.contains(&method) && methods.len() < MAX_KNOWN =>
            {
                methods.push(method)
            }
            _ => refused.push(entry.to_owned()),
        }
    }
    (methods, refused)
}

/// The label index of `method`: its position among the known methods, else `_OTHER`'s.
#[inline]
pub(super) fn index(method: &Method) -> usize {
    known()
        .iter()
        .position(|known| known == method)
        .unwrap_or(MAX_KNOWN)
}

/// The label value of index `index`.
pub(super) fn value(index: usize) -> &'static str {
    known().get(index).map_or(OTHER, Method::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_methods_keep_their_name_and_others_are_other() {
        for method in DEFAULT {
            assert_eq!(value(index(&method)), method.as_str());
        }
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(value(index(&custom)), OTHER);
        // Methods are case-sensitive: `get` is not GET.
        let lower = Method::from_bytes(b"get").unwrap();
        assert_eq!(value(index(&lower)), OTHER);
        assert_eq!(index(&custom), MAX_KNOWN);
    }

    #[test]
    fn a_list_from_the_environment_replaces_the_default_one() {
        let (methods, refused) = parse(" GET, QUERY,PROPFIND,,GET, bad method,_OTHER ");
        assert_eq!(
            methods.iter().map(Method::as_str).collect::<Vec<_>>(),
            ["GET", "QUERY", "PROPFIND"]
        );
        assert_eq!(refused, ["GET", "bad method", "_OTHER"]);
        // POST is no longer known.
        assert!(!methods.contains(&Method::POST));

        let many: Vec<String> = (0..MAX_KNOWN + 2).map(|i| format!("M{i}")).collect();
        let (methods, refused) = parse(&many.join(","));
        assert_eq!(methods.len(), MAX_KNOWN);
        assert_eq!(
            refused,
            [format!("M{MAX_KNOWN}"), format!("M{}", MAX_KNOWN + 1)]
        );

        assert_eq!(from_env(None), DEFAULT.to_vec());
    }
}
