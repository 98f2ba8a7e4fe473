//! JSON logs: one object per line with timestamp, level, target, message, fields and the current
//! trace and span ids; sensitive fields and secret-looking values masked.

use std::io::Write;
use std::sync::{Arc, Mutex};

use obs_runtime::export::{OtlpConfig, Protocol, traces_layer};
use obs_runtime::logs::{JsonLayer, REDACTED, Redactor};
use obs_runtime::observed;
use tracing_subscriber::layer::SubscriberExt;

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

#[observed(record(user))]
fn login(user: &str, password: &str) -> bool {
    tracing::info!(password, api_key = "k-123", attempt = 2, "login for {user}");
    tracing::warn!(
        authorization = "Bearer eyJhbGciOi.J9.abc",
        "upstream said: invalid key sk-proj-AbCdEfGh1234"
    );
    !password.is_empty()
}

#[test]
fn json_lines_carry_trace_ids_and_mask_secrets() {
    let buffer = Buffer::default();
    let endpoint = format!("http://127.0.0.1:{}", obs_tests::free_port());
    let (otel, guard) = traces_layer(&OtlpConfig::new(
        "logs-test",
        endpoint,
        Protocol::HttpProtobuf,
    ))
    .unwrap();
    let subscriber = tracing_subscriber::registry()
        .with(otel)
        .with(JsonLayer::new(buffer.clone(), Redactor::default()));
    tracing::subscriber::with_default(subscriber, || {
        assert!(login("ada", "hunter2"));
        tracing::info!(model = "gpt-4o", "outside any span");
    });
    drop(guard);

    let lines = buffer.lines();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let first = &lines[0];
    assert_eq!(first["level"], "INFO");
    assert_eq!(first["target"], module_path!());
    assert_eq!(first["message"], "login for ada");
    assert_eq!(first["fields"]["password"], REDACTED);
    assert_eq!(first["fields"]["api_key"], REDACTED);
    assert_eq!(first["fields"]["attempt"], 2);
    let timestamp = first["timestamp"].as_str().unwrap();
    assert!(
        timestamp.ends_with('Z') && timestamp.len() == 24,
        "{timestamp}"
    );
    // Inside the observed call: its span, with the recorded argument, and the trace ids.
    assert_eq!(first["spans"][0]["user"], "\"ada\"");
    let trace_id = first["trace_id"].as_str().unwrap();
    let span_id = first["span_id"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32);
    assert_eq!(span_id.len(), 16);
    assert!(trace_id.chars().all(|c| c.is_ascii_hexdigit()) && trace_id != "0".repeat(32));

    let second = &lines[1];
    assert_eq!(second["level"], "WARN");
    assert_eq!(second["fields"]["authorization"], REDACTED);
    assert_eq!(
        second["message"],
        "upstream said: invalid key sk-[REDACTED]"
    );
    assert_eq!(second["trace_id"], trace_id, "same call, same trace");
    let everything = serde_json::to_string(&lines).unwrap();
    for secret in ["hunter2", "k-123", "eyJhbGciOi", "AbCdEfGh1234"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }

    let outside = &lines[2];
    assert_eq!(outside["fields"]["model"], "gpt-4o");
    assert!(outside.get("trace_id").is_none());
    assert!(outside.get("spans").is_none());
}
