//! The exposition, checked by the real validators: `promtool check metrics` for the text format,
//! the official Python OpenMetrics parser for OpenMetrics, and the Python text parser to read
//! values back.

use std::time::Duration;

use obs_runtime::metrics::{LABEL_OVERFLOW_METRIC, MAX_VALUE_LEN, OVERFLOW_VALUE, REFUSED_METRIC};
use obs_runtime::{Bounded, Format, LabelValue, Registry, metrics};
use obs_tests::{family, openmetrics_parse, promtool_check, text_parse};

/// Providers, with one value that needs every escape.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Provider {
    /// OpenAI.
    OpenAi,
    /// Anthropic.
    Anthropic,
    /// A value that needs every escape.
    #[label(rename = "we\"ird\\pro\nvider é")]
    Weird,
}

/// Outcomes.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Outcome {
    /// Success.
    Ok,
    /// Refused by the provider's rate limit.
    RateLimited,
}

metrics! {
    /// Everything the exposition must render.
    pub EXPO in "expo" {
        /// Requests handled, by provider and outcome.
        requests_total: Counter { provider: Provider, outcome: Outcome, streamed: bool },
        /// Spend in "dollars", with a \ backslash and
        /// two lines.
        cost_dollars_total: FloatCounter { provider: Provider },
        /// Requests in flight.
        in_flight: Gauge,
        /// Share of the token budget left.
        budget_ratio: FloatGauge { provider: Provider },
        /// Request latency.
        #[buckets(0.05, 0.1, 0.5, 1, 5)]
        request_duration_seconds: Histogram { provider: Provider, model: Bounded<3> },
        /// Declared and never recorded into.
        never_total: Counter { provider: Provider },
        /// Prompt sizes, default buckets.
        prompt_bytes: Histogram,
    }
}

fn registry() -> Registry {
    let registry = Registry::new();
    EXPO.register_into(&registry).expect("registers");
    registry
}

fn record() {
    use Outcome::*;
    use Provider::*;
    EXPO.requests_total.with((OpenAi, Ok, false)).add(3);
    EXPO.requests_total.with((Weird, RateLimited, true)).inc();
    EXPO.cost_dollars_total.with(Anthropic).add(0.125);
    EXPO.cost_dollars_total.with(Anthropic).add(0.25);
    EXPO.in_flight.series().add(-2);
    EXPO.budget_ratio.with(Weird).set(0.75);
    let latency = &EXPO.request_duration_seconds;
    latency.with((OpenAi, "gpt-4o")).observe(0.07);
    latency.with((OpenAi, "gpt-4o")).observe(3.0);
    latency
        .with((Anthropic, "claude \"opus\"\nü\\"))
        .observe_duration(Duration::from_millis(250));
    latency.with((Anthropic, "third")).observe(0.01);
    // Past the cap of 3 distinct models: both land in the overflow series.
    latency.with((Anthropic, "fourth")).observe(10.0);
    latency.with((OpenAi, "fifth")).observe(0.2);
    EXPO.prompt_bytes.series().observe(512.0);
}

static RECORD: std::sync::Once = std::sync::Once::new();

fn recorded_registry() -> Registry {
    RECORD.call_once(record);
    registry()
}

#[test]
fn text_format_passes_promtool() {
    let text = recorded_registry().encode(Format::Text);
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n--- exposition ---\n{text}"));
}

#[test]
fn text_format_values_read_back() {
    let text = recorded_registry().encode(Format::Text);
    let families = text_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));

    let requests = family(&families, "expo_requests");
    assert_eq!(requests.kind, "counter");
    assert_eq!(requests.help, "Requests handled, by provider and outcome.");
    assert_eq!(
        requests.value(
            "expo_requests_total",
            &[
                ("provider", "open_ai"),
                ("outcome", "ok"),
                ("streamed", "false")
            ]
        ),
        Some(3.0)
    );
    assert_eq!(
        requests.value(
            "expo_requests_total",
            &[
                ("provider", "we\"ird\\pro\nvider é"),
                ("outcome", "rate_limited")
            ]
        ),
        Some(1.0)
    );
    // Only recorded series appear.
    assert_eq!(requests.samples.len(), 2);

    let cost = family(&families, "expo_cost_dollars");
    assert_eq!(
        cost.help,
        "Spend in \"dollars\", with a \\ backslash and two lines."
    );
    assert_eq!(
        cost.value("expo_cost_dollars_total", &[("provider", "anthropic")]),
        Some(0.375)
    );
    assert_eq!(
        family(&families, "expo_in_flight").value("expo_in_flight", &[]),
        Some(-2.0)
    );
}

#[test]
fn openmetrics_passes_the_strict_parser_with_exact_values() {
    let text = recorded_registry().encode(Format::OpenMetrics);
    assert!(text.ends_with("# EOF\n"), "{text}");
    let families = openmetrics_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));

    let latency = family(&families, "expo_request_duration_seconds");
    assert_eq!(latency.kind, "histogram");
    assert_eq!(latency.unit, "seconds");
    let gpt = [("provider", "open_ai"), ("model", "gpt-4o")];
    let bucket = |labels: &[(&str, &str)], le: &str| {
        let mut l = labels.to_vec();
        l.push(("le", le));
        latency.value("expo_request_duration_seconds_bucket", &l)
    };
    assert_eq!(bucket(&gpt, "0.05"), Some(0.0));
    assert_eq!(bucket(&gpt, "0.1"), Some(1.0));
    assert_eq!(bucket(&gpt, "1.0"), Some(1.0));
    assert_eq!(bucket(&gpt, "5.0"), Some(2.0));
    assert_eq!(bucket(&gpt, "+Inf"), Some(2.0));
    assert_eq!(
        latency.value("expo_request_duration_seconds_count", &gpt),
        Some(2.0)
    );
    assert_eq!(
        latency.value("expo_request_duration_seconds_sum", &gpt),
        Some(3.07)
    );

    let odd = [("provider", "anthropic"), ("model", "claude \"opus\"\nü\\")];
    assert_eq!(
        latency.value("expo_request_duration_seconds_sum", &odd),
        Some(0.25)
    );
    assert_eq!(bucket(&odd, "0.5"), Some(1.0));

    // The overflow series takes one observation per provider, and the overflow is counted.
    let over_a = [("provider", "anthropic"), ("model", OVERFLOW_VALUE)];
    let over_o = [("provider", "open_ai"), ("model", OVERFLOW_VALUE)];
    assert_eq!(
        latency.value("expo_request_duration_seconds_count", &over_a),
        Some(1.0)
    );
    assert_eq!(
        latency.value("expo_request_duration_seconds_count", &over_o),
        Some(1.0)
    );
    let overflow = family(&families, LABEL_OVERFLOW_METRIC.trim_end_matches("_total"));
    assert_eq!(
        overflow.value(
            LABEL_OVERFLOW_METRIC,
            &[("family", "expo_request_duration_seconds")]
        ),
        Some(2.0)
    );

    let requests = family(&families, "expo_requests");
    assert_eq!(requests.kind, "counter");
    assert_eq!(requests.unit, "");
    let budget = family(&families, "expo_budget_ratio");
    assert_eq!(budget.unit, "ratio");
    assert_eq!(
        budget.value(
            "expo_budget_ratio",
            &[("provider", "we\"ird\\pro\nvider é")]
        ),
        Some(0.75)
    );
    let cost = family(&families, "expo_cost_dollars");
    assert_eq!(
        cost.help,
        "Spend in \"dollars\", with a \\ backslash and two lines."
    );

    let prompt = family(&families, "expo_prompt_bytes");
    assert_eq!(prompt.unit, "bytes");
    assert_eq!(
        prompt.value("expo_prompt_bytes_bucket", &[("le", "+Inf")]),
        Some(1.0)
    );
    assert_eq!(
        prompt.value("expo_prompt_bytes_bucket", &[("le", "10.0")]),
        Some(0.0)
    );
}

#[test]
fn families_are_exposed_before_their_first_observation() {
    let text = recorded_registry().encode(Format::Text);
    assert!(text.contains("# HELP expo_never_total Declared and never recorded into.\n"));
    assert!(text.contains("# TYPE expo_never_total counter\n"));
    let om = recorded_registry().encode(Format::OpenMetrics);
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    assert!(family(&families, "expo_never").samples.is_empty());
}

#[test]
fn ordering_is_deterministic_and_sorted_by_family() {
    let registry = recorded_registry();
    let a = registry.encode(Format::Text);
    let b = registry.encode(Format::Text);
    assert_eq!(a, b);
    let names: Vec<&str> = a
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let user: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with("expo_"))
        .collect();
    let mut sorted = user.clone();
    sorted.sort_unstable();
    assert_eq!(user, sorted);
    // The framework's own families come last, in a fixed order.
    assert_eq!(
        names[names.len() - 2..],
        [LABEL_OVERFLOW_METRIC, REFUSED_METRIC]
    );
}

#[test]
fn over_long_bounded_values_are_truncated() {
    metrics! {
        /// Truncation.
        pub TRUNC in "trunc" {
            /// Routes.
            routes_total: Counter { route: Bounded<4> },
        }
    }
    let long = format!("/{}", "é".repeat(MAX_VALUE_LEN));
    TRUNC.routes_total.with(&long).inc();
    TRUNC.routes_total.with(&long[..MAX_VALUE_LEN - 1]).inc();
    let registry = Registry::new();
    TRUNC.register_into(&registry).unwrap();
    let text = registry.encode(Format::OpenMetrics);
    let families = openmetrics_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let routes = family(&families, "trunc_routes");
    assert_eq!(routes.samples.len(), 1, "{text}");
    let value = &routes.samples[0].labels["route"];
    assert!(value.len() <= MAX_VALUE_LEN && long.starts_with(value.as_str()));
    assert_eq!(routes.samples[0].value, 2.0);
}

#[test]
fn duplicate_family_names_are_refused_by_a_registry() {
    metrics! {
        /// One.
        pub DUP_A in "dup" {
            /// Same name.
            calls_total: Counter,
        }
        /// Two.
        pub DUP_B in "dup" {
            /// Same name.
            calls_total: Counter,
        }
    }
    let registry = Registry::new();
    DUP_A.register_into(&registry).unwrap();
    DUP_A.register_into(&registry).unwrap();
    let err = DUP_B.register_into(&registry).unwrap_err();
    assert_eq!(
        err,
        obs_runtime::metrics::RegistryError::DuplicateFamily("dup_calls_total")
    );
    assert_eq!(registry.families().len(), 1);
}

#[test]
fn the_validators_do_reject_bad_input() {
    // Guards against a validator wiring that accepts anything.
    assert!(promtool_check("# TYPE x counter\nx{a=\"unterminated} 1\n").is_err());
    assert!(promtool_check("# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n").is_ok());
    let no_eof = "# TYPE x counter\nx_total 1\n";
    assert!(openmetrics_parse(no_eof).is_err());
    let no_inf = "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_count 1\nh_sum 1.0\n# EOF\n";
    assert!(openmetrics_parse(no_inf).is_err());
    assert!(openmetrics_parse(&format!("{no_eof}# EOF\n")).is_ok());
}

#[test]
fn a_recording_that_overflows_two_labels_counts_once() {
    metrics! {
        /// Two bounded labels.
        pub PAIR in "pair" {
            /// Calls by tenant and route.
            calls_total: Counter { tenant: Bounded<1>, route: Bounded<1> },
        }
    }
    PAIR.calls_total.with(("t1", "/a")).inc();
    PAIR.calls_total.with(("t2", "/b")).inc(); // both labels overflow: one recording
    PAIR.calls_total.with(("t1", "/b")).inc(); // the route overflows
    let registry = Registry::new();
    PAIR.register_into(&registry).unwrap();
    let text = registry.encode(Format::OpenMetrics);
    let families = openmetrics_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let overflowed = family(&families, LABEL_OVERFLOW_METRIC.trim_end_matches("_total"))
        .value(LABEL_OVERFLOW_METRIC, &[("family", "pair_calls_total")]);
    assert_eq!(overflowed, Some(2.0), "{text}");
    let calls = family(&families, "pair_calls");
    let both = [("tenant", OVERFLOW_VALUE), ("route", OVERFLOW_VALUE)];
    assert_eq!(calls.value("pair_calls_total", &both), Some(1.0));
    let route = [("tenant", "t1"), ("route", OVERFLOW_VALUE)];
    assert_eq!(calls.value("pair_calls_total", &route), Some(1.0));
}
