//! Helpers shared by the integration tests: running the real validators that
//! `scripts/install-validators.sh` installs.
//!
//! - `promtool check metrics` (Debian package `prometheus`) for the Prometheus text format 0.0.4;
//! - the official Python client's parsers (PyPI `prometheus-client`, in a venv under `target/`)
//!   for OpenMetrics 1.0 (strict) and, to read values back, the text format.
//!
//! A missing validator fails the test with the command that installs it: these tests never pass
//! by skipping.

pub mod allocations;
pub mod audit;
pub mod collector;
pub mod spans;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;

/// Where `scripts/install-validators.sh` puts the Python venv.
fn venv_python() -> PathBuf {
    if let Some(p) = std::env::var_os("OBS_VALIDATOR_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/validators-venv/bin/python")
}

fn missing(what: &str) -> ! {
    panic!(
        "{what} is not installed; run `bash scripts/install-validators.sh` (CI runs it through .ci/run)"
    )
}

/// Runs `program args` with `input` on standard input; returns (exit code, stdout, stderr).
fn run(
    program: &std::path::Path,
    args: &[&str],
    input: &str,
) -> std::io::Result<(i32, String, String)> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output()?;
    writer
        .join()
        .expect("stdin writer thread")
        .expect("writing to the validator's stdin");
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `promtool check metrics` over `text`: `Ok(())` when it exits 0 with no lint findings,
/// else `Err` with its exit code and output.
pub fn promtool_check(text: &str) -> Result<(), String> {
    let (code, stdout, stderr) = match run("promtool".as_ref(), &["check", "metrics"], text) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing("promtool"),
        Err(e) => panic!("running promtool: {e}"),
    };
    if code == 0 && stdout.trim().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "promtool exited {code}\nstdout: {stdout}\nstderr: {stderr}"
        ))
    }
}

/// One sample as the Python parser read it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ParsedSample {
    /// Sample name (`x_total`, `x_bucket`, ...).
    pub name: String,
    /// Label pairs.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Value (carried through JSON as Python's `repr`, so `inf` and `nan` survive).
    #[serde(deserialize_with = "float_text")]
    pub value: f64,
}

/// One family as the Python parser read it.
#[derive(Debug, Clone, Deserialize)]
pub struct ParsedFamily {
    /// Family name (OpenMetrics: counters without `_total`).
    pub name: String,
    /// `counter`, `gauge`, `histogram`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// HELP text, unescaped.
    pub help: String,
    /// Unit (OpenMetrics only; empty when none).
    pub unit: String,
    /// Samples in exposition order.
    pub samples: Vec<ParsedSample>,
}

impl ParsedFamily {
    /// The value of the sample `name` whose labels include all of `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
    }
}

fn float_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

const PARSE_SCRIPT: &str = r#"
import json, sys
fmt = sys.argv[1]
text = sys.stdin.read()
if fmt == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(text):
    samples = []
    for s in fam.samples:
        samples.append({"name": s.name, "labels": dict(s.labels), "value": repr(float(s.value))})
    out.append({"name": fam.name, "type": fam.type, "help": fam.documentation,
                "unit": getattr(fam, "unit", "") or "", "samples": samples})
print(json.dumps(out))
"#;

fn python_parse(text: &str, format: &str) -> Result<Vec<ParsedFamily>, String> {
    let python = venv_python();
    if !python.exists() {
        missing("the prometheus-client Python venv");
    }
    let (code, stdout, stderr) = run(&python, &["-c", PARSE_SCRIPT, format], text)
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    if code != 0 {
        return Err(format!("the {format} parser refused the input:\n{stderr}"));
    }
    serde_json::from_str(&stdout).map_err(|e| format!("parser output {stdout:?}: {e}"))
}

/// Parses `text` with the official Python client's strict OpenMetrics 1.0 parser.
pub fn openmetrics_parse(text: &str) -> Result<Vec<ParsedFamily>, String> {
    python_parse(text, "openmetrics")
}

/// Parses `text` with the official Python client's Prometheus text-format parser.
pub fn text_parse(text: &str) -> Result<Vec<ParsedFamily>, String> {
    python_parse(text, "text")
}

/// The family called `name` in `families`, or a panic listing the names there are.
pub fn family<'a>(families: &'a [ParsedFamily], name: &str) -> &'a ParsedFamily {
    families.iter().find(|f| f.name == name).unwrap_or_else(|| {
        let names: Vec<_> = families.iter().map(|f| f.name.as_str()).collect();
        panic!("no family `{name}` among {names:?}")
    })
}

/// A response read by [`http_get`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, String)>,
    /// The body, as sent (not decompressed).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

/// `GET path` on `addr` over HTTP/1.0, with extra `headers`.
pub fn http_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> std::io::Result<HttpResponse> {
    http_request("GET", addr, path, headers, &[])
}

/// `method path` on `addr` over HTTP/1.0 (so the server closes the connection and never chunks),
/// with extra `headers` and `body` (`Content-Length` is added when there is one).
pub fn http_request(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header block in the response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// A loopback port that was free a moment ago (nothing listens on it now): for servers a test
/// starts, and as a collector that is down. Never the same port twice in one process, so tests
/// running in parallel (or a collector stopped and restarted on its port) cannot be handed a
/// port another test holds or is about to bind.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("binding a free loopback port")
            .port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// A child process killed (and reaped) when dropped, so a failing test leaves nothing running.
#[derive(Debug)]
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
