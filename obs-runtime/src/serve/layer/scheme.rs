//! `url.scheme`: what the layer's server speaks.

/// The scheme of the requests a server receives (`url.scheme`): a server that terminates TLS
/// itself, or sits behind a proxy that does, says so with [`HttpLayer::scheme`](super::HttpLayer::scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrlScheme {
    /// Plain HTTP (the default).
    #[default]
    Http,
    /// HTTP over TLS.
    Https,
}

impl UrlScheme {
    /// The label values, by the variants' order.
    pub(super) const VALUES: [&'static str; 2] = ["http", "https"];

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        Self::VALUES[self as usize]
    }
}
