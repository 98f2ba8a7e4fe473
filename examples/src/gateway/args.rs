//! The demo's command line.

use std::path::PathBuf;
use std::time::Duration;

use obs_runtime::export::Protocol;

use super::catalog::Provider;
use super::provider::ProviderConfig;

/// Usage text.
pub(crate) const USAGE: &str = "\
usage: gateway [options]

Serves an OpenAI-compatible LLM gateway (and three simulated providers) on loopback until Ctrl-C,
or, with --requests, drives that many requests through it, prints a report and exits.

  --listen ADDR            gateway address (default 127.0.0.1:8080; with --requests 127.0.0.1:0)
  --requests N             send N chat requests through the gateway, report, exit
  --concurrency N          clients sending at once (default 8)
  --seed N                 seed of the simulation (default 1)
  --provider NAME:K=V,...  a provider's behaviour (NAME: openai, anthropic, gcp.gemini; K: latency_ms,
                           ttft_ms, tokens_per_second, error_rate, rate_limit_rate, stall_rate,
                           stall_ms, cached_ratio)
  --health-interval-ms N   how often each provider is probed (default 1000)
  --otlp-endpoint URL      export spans and metrics to this OTLP collector (http://host:4317)
  --otlp-protocol P        grpc (default) or http (OTLP/HTTP protobuf, http://host:4318)
  --audit-dir DIR          where the audit log goes (default: a new directory under the temp dir)
  --ground-truth FILE      write the simulation's ground truth (JSON) here
  --report-json FILE       write the report's figures (JSON) here
  --linger-secs S          after --requests, keep serving this long (for scrapes)";

/// The options.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) listen: Option<String>,
    pub(crate) requests: Option<u64>,
    pub(crate) concurrency: usize,
    pub(crate) seed: u64,
    pub(crate) providers: [ProviderConfig; 3],
    pub(crate) health_interval: Duration,
    pub(crate) otlp_endpoint: Option<String>,
    pub(crate) otlp_protocol: Protocol,
    pub(crate) audit_dir: Option<PathBuf>,
    pub(crate) ground_truth: Option<PathBuf>,
    pub(crate) report_json: Option<PathBuf>,
    pub(crate) linger: Duration,
}

/// Why the arguments were not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgsError {
    /// `--help`.
    Help,
    /// What is wrong.
    Invalid(String),
}

impl Default for Args {
    fn default() -> Self {
        Self {
            listen: None,
            requests: None,
            concurrency: 8,
            seed: 1,
            providers: Provider::ALL.map(ProviderConfig::default_for),
            health_interval: Duration::from_secs(1),
            otlp_endpoint: None,
            otlp_protocol: Protocol::Grpc,
            audit_dir: None,
            ground_truth: None,
            report_json: None,
            linger: Duration::ZERO,
        }
    }
}

impl Args {
    /// Parses the arguments after the program name.
    pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, ArgsError> {
        let mut out = Self::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "-h" || flag == "--help" {
                return Err(ArgsError::Help);
            }
            let value = args
                .next()
                .ok_or_else(|| ArgsError::Invalid(format!("{flag} needs a value")))?;
            match flag.as_str() {
                "--listen" => out.listen = Some(value),
                "--requests" => out.requests = Some(number(&flag, &value)?),
                "--concurrency" => out.concurrency = number::<usize>(&flag, &value)?.max(1),
                "--seed" => out.seed = number(&flag, &value)?,
                "--provider" => {
                    let (name, settings) = value.split_once(':').unwrap_or((&value, ""));
                    let provider = Provider::from_name(name).ok_or_else(|| {
                        ArgsError::Invalid(format!(
                            "--provider: unknown provider `{name}` (openai, anthropic, gcp.gemini)"
                        ))
                    })?;
                    out.providers[provider as usize]
                        .apply(settings)
                        .map_err(|e| ArgsError::Invalid(format!("--provider {name}: {e}")))?;
                }
                "--health-interval-ms" => {
                    out.health_interval =
                        Duration::from_millis(number::<u64>(&flag, &value)?.max(1));
                }
                "--otlp-endpoint" => out.otlp_endpoint = Some(value),
                "--otlp-protocol" => {
                    out.otlp_protocol = match value.as_str() {
                        "grpc" => Protocol::Grpc,
                        "http" => Protocol::HttpProtobuf,
                        _ => {
                            return Err(ArgsError::Invalid(format!(
                                "--otlp-protocol takes grpc or http, not `{value}`"
                            )));
                        }
                    }
                }
                "--audit-dir" => out.audit_dir = Some(value.into()),
                "--ground-truth" => out.ground_truth = Some(value.into()),
                "--report-json" => out.report_json = Some(value.into()),
                "--linger-secs" => {
                    let secs: f64 = number(&flag, &value)?;
                    if !(secs.is_finite() && secs >= 0.0) {
                        return Err(ArgsError::Invalid(format!(
                            "--linger-secs takes a non-negative number, not `{value}`"
                        )));
                    }
                    out.linger = Duration::from_secs_f64(secs);
                }
                other => return Err(ArgsError::Invalid(format!("unknown argument `{other}`"))),
            }
        }
        Ok(out)
    }

    /// The address to serve on.
    pub(crate) fn listen(&self) -> &str {
        match (&self.listen, self.requests) {
            (Some(addr), _) => addr,
            (None, Some(_)) => "127.0.0.1:0",
            (None, None) => "127.0.0.1:8080",
        }
    }
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, ArgsError> {
    text.parse()
        .map_err(|_| ArgsError::Invalid(format!("{flag} takes a number, not `{text}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, ArgsError> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_are_parsed_and_bad_ones_named() {
        let args = parse(&[
            "--requests",
            "20",
            "--provider",
            "gcp.gemini:error_rate=0.5",
            "--otlp-endpoint",
            "http://127.0.0.1:4317",
            "--linger-secs",
            "1.5",
        ])
        .unwrap();
        assert_eq!(args.requests, Some(20));
        assert_eq!(args.listen(), "127.0.0.1:0");
        assert_eq!(args.providers[Provider::Gemini as usize].error_rate, 0.5);
        assert_eq!(args.linger, Duration::from_millis(1500));
        assert_eq!(parse(&[]).unwrap().listen(), "127.0.0.1:8080");
        assert_eq!(parse(&["--help"]).unwrap_err(), ArgsError::Help);
        for (bad, named) in [
            (&["--requests"][..], "needs a value"),
            (&["--requests", "many"], "`many`"),
            (&["--bogus", "1"], "`--bogus`"),
            (&["--provider", "acme:x=1"], "`acme`"),
            (&["--provider", "openai:speed=1"], "`speed`"),
            (&["--otlp-protocol", "udp"], "`udp`"),
            (&["--linger-secs", "-1"], "`-1`"),
        ] {
            match parse(bad) {
                Err(ArgsError::Invalid(message)) => assert!(message.contains(named), "{message}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
