//! Who may call the gateway: the demo's API keys (each a client with its own rate limits), and
//! the administrator's key for the admin routes.

use http::HeaderMap;

use super::limiter::{Limits, Rate};

/// A client of the gateway.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Client {
    /// Its API key (the demo's keys are not secret: they only exist in this simulation).
    pub(crate) key: &'static str,
    /// Its id (the actor of its audit events; never a metric label).
    pub(crate) id: &'static str,
    /// Its limits.
    pub(crate) limits: Limits,
}

const STANDARD: Limits = Limits {
    requests: Rate {
        capacity: 100.0,
        per_second: 100.0,
    },
    tokens: Rate {
        capacity: 50_000.0,
        per_second: 25_000.0,
    },
};

/// The clients: two with generous limits, one with tight ones (so the load meets them).
pub(crate) const CLIENTS: &[Client] = &[
    Client {
        key: "sk-demo-alice",
        id: "alice",
        limits: STANDARD,
    },
    Client {
        key: "sk-demo-bob",
        id: "bob",
        limits: STANDARD,
    },
    Client {
        key: "sk-demo-burst",
        id: "burst",
        limits: Limits {
            requests: Rate {
                capacity: 2.0,
                per_second: 1.0,
            },
            tokens: Rate {
                capacity: 600.0,
                per_second: 200.0,
            },
        },
    },
];

/// The client whose key `headers` carry (`Authorization: Bearer <key>`).
pub(crate) fn client_of(headers: &HeaderMap) -> Option<&'static Client> {
    let key = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    CLIENTS.iter().find(|c| c.key == key.trim())
}

/// The header the admin key goes in.
pub(crate) const ADMIN_KEY_HEADER: &str = "x-admin-key";

/// The environment variable that sets the admin key (else a random one is made at start).
pub(crate) const ADMIN_KEY_ENV: &str = "OBS_GATEWAY_ADMIN_KEY";

/// The admin key.
#[derive(Clone)]
pub(crate) struct AdminKey(String);

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey(..)")
    }
}

impl AdminKey {
    /// From [`ADMIN_KEY_ENV`], or a new random key.
    pub(crate) fn from_env_or_random() -> Self {
        match std::env::var(ADMIN_KEY_ENV) {
            Ok(key) if !key.is_empty() => Self(key),
            _ => Self::random(),
        }
    }

    fn random() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        let part = |n: u64| {
            let mut h = state.build_hasher();
            h.write_u64(n);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.finish()
        };
        Self(format!("adm-{:016x}{:016x}", part(1), part(2)))
    }

    /// The key, to show the operator at start.
    pub(crate) fn reveal(&self) -> &str {
        &self.0
    }

    /// Who presents `presented`: `admin` for the right key, `anonymous` otherwise (compared
    /// without stopping at the first differing byte).
    pub(crate) fn identify(&self, presented: &str) -> &'static str {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        let differ =
            a.len() != b.len() || a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0;
        if differ { "anonymous" } else { "admin" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_identify_clients_and_the_admin() {
        let mut headers = HeaderMap::new();
        assert!(client_of(&headers).is_none());
        headers.insert("authorization", "Bearer sk-demo-bob".parse().unwrap());
        assert_eq!(client_of(&headers).unwrap().id, "bob");
        headers.insert("authorization", "Bearer sk-other".parse().unwrap());
        assert!(client_of(&headers).is_none());
        let admin = AdminKey("k1".into());
        assert_eq!(admin.identify("k1"), "admin");
        assert_eq!(admin.identify("k2"), "anonymous");
        assert_eq!(admin.identify("k1 "), "anonymous");
        assert!(AdminKey::random().reveal().starts_with("adm-"));
        assert!(!format!("{admin:?}").contains("k1"));
    }
}
