//! The collector's address, parsed once with `http::Uri` into scheme, host, port and path, so
//! validation, the readiness check and both transports read the same values.
//!
//! An endpoint is a URL as RFC 3986 defines it, which is what the OTLP exporter specification
//! asks for: a missing port is the scheme's default (80 for `http`, 443 for `https`). OTLP's
//! conventional 4317 (gRPC) and 4318 (HTTP) are the defaults of the whole setting when no
//! endpoint is given at all, not of a missing port: `http://collector` is port 80.

use std::fmt;
use std::str::FromStr;

/// The scheme of an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`.
    Http,
    /// `https://`.
    Https,
}

impl Scheme {
    /// The port a URL of this scheme means when it names none: 80 or 443.
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    /// `http` or `https`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// A collector's address: scheme, host, port (the scheme's default when the URL names none) and
/// base path. Parse one with [`Endpoint::parse`] or `str::parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    /// Without the brackets of an IPv6 literal.
    host: String,
    port: u16,
    /// Empty, or `/a/b` without a trailing slash.
    path: String,
}

impl Endpoint {
    /// Parses `text`, such as `http://collector:4317` or `http://collector/otlp`.
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        // `http::Uri` drops a fragment without a word; refuse it instead.
        if text.contains('#') {
            return Err(EndpointError::Unsupported("a fragment (`#...`)"));
        }
        let uri: http::Uri = text.parse().map_err(EndpointError::Syntax)?;
        let scheme = match uri.scheme_str() {
            None => return Err(EndpointError::MissingScheme),
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(other) => return Err(EndpointError::UnsupportedScheme(other.to_owned())),
        };
        let authority = uri.authority().ok_or(EndpointError::MissingHost)?;
        if authority.as_str().contains('@') {
            return Err(EndpointError::Unsupported("user info (`user@`)"));
        }
        if uri.query().is_some() {
            return Err(EndpointError::Unsupported("a query (`?...`)"));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(EndpointError::MissingHost);
        }
        // `http::Uri` reads an unparsable port (`:port`, `:99999`) as no port at all: read the
        // text after the host ourselves.
        let port_text = authority.as_str()[host.len()..].trim_start_matches(':');
        let port = match port_text {
            "" => scheme.default_port(),
            digits => match digits.parse::<u16>() {
                Ok(0) | Err(_) => return Err(EndpointError::InvalidPort(digits.to_owned())),
                Ok(port) => port,
            },
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
            path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, the scheme's default applied.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base path: empty, or `/a/b` without a trailing slash.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `scheme://host:port`, the port always written.
    pub fn origin(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.scheme.as_str(), self.host, self.port)
        } else {
            format!("{}://{}:{}", self.scheme.as_str(), self.host, self.port)
        }
    }

    /// The OTLP/HTTP URL of `signal` (`traces`, `metrics`): the base path followed by
    /// `/v1/{signal}`, as the specification builds per-signal URLs from a base endpoint.
    pub fn signal_url(&self, signal: &str) -> String {
        format!("{}{}/v1/{signal}", self.origin(), self.path)
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

/// Why an endpoint was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum EndpointError {
    /// `http::Uri` could not parse it.
    Syntax(http::uri::InvalidUri),
    /// It has no scheme (`collector:4317`).
    MissingScheme,
    /// A scheme other than `http` or `https`.
    UnsupportedScheme(String),
    /// It has no host.
    MissingHost,
    /// The port is not a number from 1 to 65535.
    InvalidPort(String),
    /// It has a part that export would ignore (user info, a query, a fragment).
    Unsupported(&'static str),
    /// `https://`: obs has no TLS support built in, so it cannot send there.
    TlsUnsupported,
    /// A path on a gRPC endpoint, which gRPC would ignore.
    PathOnGrpc(String),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(_) => f.write_str("it is not a valid URL"),
            Self::MissingScheme => f.write_str("it has no scheme: write it as http://host:port"),
            Self::UnsupportedScheme(s) => write!(f, "scheme `{s}` is not supported: use http://"),
            Self::MissingHost => f.write_str("it has no host"),
            Self::InvalidPort(p) => write!(f, "port `{p}` is not a number from 1 to 65535"),
            Self::Unsupported(part) => write!(f, "it has {part}, which OTLP export does not use"),
            Self::TlsUnsupported => f.write_str(
                "https:// needs TLS, which obs does not support: export over http:// to a \
                 collector or agent nearby, and let it forward over TLS",
            ),
            Self::PathOnGrpc(p) => write!(
                f,
                "a gRPC endpoint takes no path (`{p}` would be ignored): remove it, or use \
                 protocol http/protobuf"
            ),
        }
    }
}

impl std::error::Error for EndpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Syntax(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (Scheme, String, u16, String) {
        let e = Endpoint::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (
            e.scheme(),
            e.host().to_owned(),
            e.port(),
            e.path().to_owned(),
        )
    }

    #[test]
    fn a_missing_port_is_the_schemes_default() {
        assert_eq!(parts("http://collector").2, 80);
        assert_eq!(parts("http://collector:").2, 80);
        assert_eq!(parts("http://collector/").2, 80);
        assert_eq!(parts("https://collector").2, 443);
        assert_eq!(parts("http://collector:4317").2, 4317);
        assert_eq!(
            Endpoint::parse("http://collector").unwrap().origin(),
            "http://collector:80"
        );
    }

    #[test]
    fn hosts_paths_and_case() {
        assert_eq!(
            parts("HTTP://Collector:1/otlp/"),
            (Scheme::Http, "Collector".into(), 1, "/otlp".into())
        );
        let v6 = Endpoint::parse("http://[::1]:4318").unwrap();
        assert_eq!((v6.host(), v6.port()), ("::1", 4318));
        assert_eq!(v6.origin(), "http://[::1]:4318");
        assert_eq!(v6.signal_url("traces"), "http://[::1]:4318/v1/traces");
    }

    #[test]
    fn signal_urls_extend_the_base_path() {
        let e = Endpoint::parse("http://h:4318").unwrap();
        assert_eq!(e.signal_url("traces"), "http://h:4318/v1/traces");
        assert_eq!(e.signal_url("metrics"), "http://h:4318/v1/metrics");
        let e = Endpoint::parse("http://h/otlp/").unwrap();
        assert_eq!(e.signal_url("metrics"), "http://h:80/otlp/v1/metrics");
    }

    #[test]
    fn refusals() {
        use EndpointError as E;
        let refused = |text: &str| Endpoint::parse(text).expect_err(text);
        assert!(matches!(refused("collector:4317"), E::MissingScheme));
        assert!(matches!(refused("127.0.0.1:4317"), E::MissingScheme));
        assert!(matches!(refused("ftp://x"), E::UnsupportedScheme(s) if s == "ftp"));
        assert!(matches!(refused("http://"), E::Syntax(_)));
        assert!(matches!(refused(""), E::Syntax(_)));
        assert!(matches!(refused("http://h/a b"), E::Syntax(_)));
        assert!(matches!(refused("http://host:port"), E::InvalidPort(p) if p == "port"));
        assert!(matches!(refused("http://host:99999"), E::InvalidPort(_)));
        assert!(matches!(refused("http://host:0"), E::InvalidPort(_)));
        assert!(matches!(refused("http://u:p@h:1"), E::Unsupported(_)));
        assert!(matches!(refused("http://h/p?q=1"), E::Unsupported(_)));
        assert!(matches!(refused("http://h/p#f"), E::Unsupported(_)));
        let syntax = refused("http://h/a b");
        assert!(std::error::Error::source(&syntax).is_some());
    }
}
