//! Running the gateway demo from a test: its stdout read line by line (with a time limit), its
//! ground truth and report read back from the JSON files it writes, killed when dropped.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use obs_examples::gateway::{GroundTruth, Report};
use obs_tests::KillOnDrop;

/// How long any one line may take to come.
const LINE_LIMIT: Duration = Duration::from_secs(120);

/// A running demo.
pub struct Demo {
    child: KillOnDrop,
    lines: Receiver<String>,
    /// Everything it printed so far.
    pub output: Vec<String>,
    /// The gateway's address (`127.0.0.1:port`).
    pub gateway: String,
    /// The providers' names and addresses, as printed.
    pub providers: Vec<(String, String)>,
    /// Its files: `truth.json`, `report.json`, `audit/`.
    pub dir: PathBuf,
}

impl Demo {
    /// Starts the demo with `args`, writing its files under a directory named after `name`;
    /// returns once it printed its addresses.
    pub fn start(name: &str, args: &[&str]) -> Demo {
        Self::start_with_env(name, args, &[])
    }

    /// [`Demo::start`], with environment variables `env` set for the demo.
    pub fn start_with_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Demo {
        let dir = std::env::temp_dir().join(format!("obs-gateway-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = |f: &str| dir.join(f).to_str().unwrap().to_owned();
        let mut child = Command::new(env!("CARGO_BIN_EXE_gateway"))
            .args(args)
            .args(["--ground-truth", &path("truth.json")])
            .args(["--report-json", &path("report.json")])
            .args(["--audit-dir", &path("audit")])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starts the demo");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut demo = Demo {
            child: KillOnDrop(child),
            lines,
            output: Vec::new(),
            gateway: String::new(),
            providers: Vec::new(),
            dir,
        };
        let first = demo.line_starting("gateway listening on http://");
        demo.gateway = first["gateway listening on http://".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        for _ in 0..3 {
            let line = demo.line_starting("provider ");
            let mut words = line.split_whitespace().skip(1);
            let name = words.next().unwrap().to_owned();
            let url = words.nth(1).unwrap();
            let addr = url["http://".len()..].split('/').next().unwrap().to_owned();
            demo.providers.push((name, addr));
        }
        demo
    }

    /// The next line starting with `prefix` (earlier lines are kept in `output`).
    pub fn line_starting(&mut self, prefix: &str) -> String {
        let started = Instant::now();
        loop {
            let left = LINE_LIMIT.saturating_sub(started.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.output.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no line `{prefix}...` in {LINE_LIMIT:?}; so far: {:#?}",
                        self.output
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the demo ended before `{prefix}...`: {:#?}", self.output)
                }
            }
        }
    }

    /// Waits for the demo to exit by itself; panics unless it succeeded. Returns all it printed.
    pub fn finish(&mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(LINE_LIMIT) {
            self.output.push(line);
        }
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < LINE_LIMIT, "the demo does not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            status.success(),
            "the demo failed ({status}): {:#?}",
            self.output
        );
        self.output.join("\n")
    }

    /// The ground truth it wrote.
    pub fn truth(&self) -> GroundTruth {
        read_json(&self.dir.join("truth.json"))
    }

    /// The report it wrote.
    pub fn report(&self) -> Report {
        read_json(&self.dir.join("report.json"))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Stopped first, so nothing writes into the directory as it goes.
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> T {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// Arguments that make every kind of event likely in a short run: streams that stall (their
/// clients give up) at every provider.
pub const EVENTFUL: &[&str] = &[
    "--provider",
    "openai:stall_rate=0.3",
    "--provider",
    "anthropic:stall_rate=0.3",
    "--provider",
    "gcp.gemini:stall_rate=0.3",
];

/// Whether `a` and `b` (dollar amounts summed in different orders) agree to within float
/// rounding.
pub fn same_cost(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-6)
}
