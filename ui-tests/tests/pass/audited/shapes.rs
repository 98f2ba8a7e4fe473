//! `#[audited]` on every shape it takes: sync, `async fn`, a returned `impl Future`, a boxed
//! future in an `#[async_trait]` impl, methods taking `&self`, `&mut self` and `self` (the body
//! consuming what the event recorded), generics, `?` and early `return`, in both modes, with the
//! shared arguments. No log is installed, so a durable call returns the audit failure as its
//! error and a buffered one returns its own value.

#![deny(warnings)]

use std::future::Future;

use obs_runtime::audit::AuditError;
use obs_runtime::{ErrorKind, audited};
use obs_ui_tests::{assert_send, outcomes};

#[derive(Debug, ErrorKind)]
enum ConfigError {
    NotFound,
    Audit(#[allow(dead_code)] AuditError),
}

impl From<AuditError> for ConfigError {
    fn from(e: AuditError) -> Self {
        Self::Audit(e)
    }
}

/// Durable without a log: the body ran, then its `Ok` became the audit failure.
fn is_audit_failure<T>(result: Result<T, ConfigError>) -> bool {
    matches!(result, Err(ConfigError::Audit(AuditError::Config(_))))
}

struct Ctx {
    user: String,
}

#[audited(action = "config.update", actor = ctx.user, actor_type = "user", resource(type = "config_key", id = key), fields(key, size = value.len()), redact(value))]
fn update(ctx: &Ctx, key: &str, value: String) -> Result<usize, ConfigError> {
    if key.is_empty() {
        return Err(ConfigError::NotFound);
    }
    let owned = value; // the body takes what the event recorded
    Ok(owned.len())
}

#[audited(action = "config.read", fields(key), mode = "buffered", error_kind, record(key))]
async fn read(key: String) -> Result<String, ConfigError> {
    std::future::ready(()).await;
    Ok(key)
}

#[audited(action = "key.rotate", hash(api_key), resource(type = "api_key", id = id))]
async fn rotate(id: u64, api_key: Vec<u8>) -> Result<(), ConfigError> {
    let _ = (id, api_key);
    Ok(())
}

#[audited(action = "model.warm", fields(model))]
fn warm(model: &'static str) -> impl Future<Output = Result<&'static str, ConfigError>> + Send {
    // Nothing in the body names the error type: the declared `Output` does.
    async move { Ok(model) }
}

#[audited(action = "value.check", fields(n), mode = "buffered", span = false)]
fn check<T: Into<u64> + Copy>(n: u32, value: T) -> bool {
    value.into() > u64::from(n)
}

#[async_trait::async_trait]
trait Store {
    async fn put(&self, key: &str) -> Result<(), ConfigError>;
}

struct Memory {
    user: String,
    keys: Vec<String>,
}

#[async_trait::async_trait]
impl Store for Memory {
    #[audited(action = "store.put", actor = self.user, fields(key))]
    async fn put(&self, key: &str) -> Result<(), ConfigError> {
        let _ = key;
        Ok(())
    }
}

impl Memory {
    #[audited(action = "store.add", actor = self.user, actor_type = "service", fields(key, count = self.keys.len()))]
    fn add(&mut self, key: &str) -> Result<usize, ConfigError> {
        self.keys.push(key.to_owned());
        Ok(self.keys.len())
    }

    #[audited(action = "store.drain", actor = self.user, fields(count = self.keys.len()), mode = "buffered")]
    fn drain(self) -> Vec<String> {
        self.keys
    }
}

fn main() {
    let ctx = Ctx { user: "alice".into() };
    assert!(is_audit_failure(update(&ctx, "routing.model", "gpt-4o".into())));
    assert!(matches!(update(&ctx, "", String::new()), Err(ConfigError::NotFound)));
    assert!(check(1, 2u8));
    let mut memory = Memory { user: "svc".into(), keys: Vec::new() };
    assert!(is_audit_failure(memory.add("a")));
    assert_eq!(memory.keys.len(), 1);

    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        assert_eq!(assert_send(read("k".into())).await.unwrap(), "k");
        assert!(is_audit_failure(assert_send(rotate(7, b"sk-1".to_vec())).await));
        assert!(is_audit_failure(assert_send(warm("m")).await));
        assert!(is_audit_failure(assert_send(memory.put("b")).await));
    });
    assert_eq!(memory.drain(), vec!["a".to_owned()]);

    // `#[audited]` counts in `obs_function_*` like `#[observed]`, by what the caller got: both
    // calls of `update` returned an error (the audit failure, then the body's own).
    assert_eq!(outcomes!("update"), [0, 2, 0, 0]);
    assert_eq!(outcomes!("warm"), [0, 1, 0, 0]);
    assert_eq!(outcomes!("read"), [1, 0, 0, 0]);
}
