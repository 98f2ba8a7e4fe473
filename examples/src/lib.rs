//! Shared pieces of the example programs: argument parsing.

use std::time::Duration;

/// Command-line options of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Requests to simulate before exiting.
    pub requests: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Address to serve `/metrics` on while running (`127.0.0.1:0` picks a free port).
    pub listen: Option<String>,
    /// Keep serving this long after the traffic ends.
    pub linger: Duration,
    /// Multiplier on simulated provider latency (0 runs as fast as possible).
    pub time_scale: f64,
    /// Print OpenMetrics instead of the Prometheus text format at the end.
    pub openmetrics: bool,
    /// Export spans to this OTLP/gRPC collector (and attach exemplars to samples).
    pub otlp: Option<String>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            requests: 500,
            concurrency: 8,
            listen: None,
            linger: Duration::ZERO,
            time_scale: 0.05,
            openmetrics: false,
            otlp: None,
        }
    }
}

impl Args {
    /// Usage text.
    pub const USAGE: &'static str = "usage: gateway [--requests N] [--concurrency N] [--listen ADDR] \
[--linger-secs S] [--time-scale X] [--openmetrics] [--otlp URL]";

    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut out = Self::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match flag.as_str() {
                "--requests" => out.requests = number(&flag, &value(&flag)?)?,
                "--concurrency" => out.concurrency = number::<usize>(&flag, &value(&flag)?)?.max(1),
                "--listen" => out.listen = Some(value(&flag)?),
                "--linger-secs" => {
                    out.linger =
                        Duration::from_secs_f64(number::<f64>(&flag, &value(&flag)?)?.max(0.0))
                }
                "--time-scale" => out.time_scale = number::<f64>(&flag, &value(&flag)?)?.max(0.0),
                "--openmetrics" => out.openmetrics = true,
                "--otlp" => out.otlp = Some(value(&flag)?),
                "-h" | "--help" => return Err("help".into()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(out)
    }
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag} takes a number, not `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let args = Args::parse(
            [
                "--requests",
                "20",
                "--listen",
                "127.0.0.1:0",
                "--openmetrics",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(args.requests, 20);
        assert_eq!(args.listen.as_deref(), Some("127.0.0.1:0"));
        assert!(args.openmetrics);
        assert!(Args::parse(["--requests".to_owned()]).is_err());
        assert!(Args::parse(["--requests", "many"].map(String::from)).is_err());
        assert!(Args::parse(["--bogus".to_owned()]).is_err());
    }
}
