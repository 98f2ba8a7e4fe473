//! Text exposition: Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! One encoder serves both formats; they differ in the counter family name (OpenMetrics drops
//! `_total` from `# TYPE`), `# UNIT` lines, HELP escaping and the closing `# EOF`.

use std::fmt::Write as _;

use crate::metrics::{Exemplar, FamilyView, MetricType, Sample};

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// The HTTP `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text => "text/plain; version=0.0.4; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// The format an HTTP `Accept` header asks for: OpenMetrics when it names
    /// `application/openmetrics-text` (with no version or version 1.0.0) with a non-zero quality,
    /// the text format otherwise.
    pub fn from_accept(accept: &str) -> Self {
        let wants_om = accept.split(',').any(|range| {
            let mut params = range.split(';').map(str::trim);
            if params.next() != Some("application/openmetrics-text") {
                return false;
            }
            params.all(|p| match p.split_once('=') {
                Some(("version", v)) => v == "1.0.0",
                Some(("q", q)) => q.parse::<f32>().is_ok_and(|q| q > 0.0),
                _ => true,
            })
        });
        if wants_om {
            Self::OpenMetrics
        } else {
            Self::Text
        }
    }
}

/// Base units recognised at the end of a metric name, for OpenMetrics `# UNIT` lines.
const UNITS: &[&str] = &[
    "seconds", "bytes", "ratio", "meters", "grams", "joules", "volts", "amperes", "celsius",
];

/// The unit a family's name carries, if any.
pub fn unit_of(name: &str, metric_type: MetricType) -> Option<&'static str> {
    let base = match metric_type {
        MetricType::Counter => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    };
    UNITS.iter().copied().find(|u| {
        base.strip_suffix(u)
            .is_some_and(|rest| rest.ends_with('_') && rest.len() > 1)
    })
}

/// Appends one family (metadata, then every recorded series) to `out`.
pub fn encode_family(family: &dyn FamilyView, format: Format, out: &mut String) {
    let desc = family.desc();
    let om = format == Format::OpenMetrics;
    let name = desc.name;
    let base = match (om, desc.metric_type) {
        (true, MetricType::Counter) => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    };
    out.push_str("# HELP ");
    out.push_str(base);
    out.push(' ');
    push_escaped(out, desc.help, om);
    out.push_str("\n# TYPE ");
    out.push_str(base);
    out.push(' ');
    out.push_str(desc.metric_type.as_str());
    out.push('\n');
    if om && let Some(unit) = unit_of(name, desc.metric_type) {
        out.push_str("# UNIT ");
        out.push_str(base);
        out.push(' ');
        out.push_str(unit);
        out.push('\n');
    }

    let mut labels = String::new();
    family.visit_with_exemplars(&mut |values, sample, exemplar| {
        // Exemplars exist in OpenMetrics only.
        let exemplar = exemplar.filter(|_| om);
        labels.clear();
        for (label, value) in desc.labels.iter().zip(values) {
            if !labels.is_empty() {
                labels.push(',');
            }
            labels.push_str(label.name);
            labels.push_str("=\"");
            push_escaped(&mut labels, value, true);
            labels.push('"');
        }
        match sample {
            Sample::Unsigned(v) => {
                push_series(out, name, "", &labels);
                out.push_str(itoa::Buffer::new().format(v));
                push_exemplar(out, exemplar.as_ref());
                out.push('\n');
            }
            Sample::Signed(v) => {
                push_series(out, name, "", &labels);
                out.push_str(itoa::Buffer::new().format(v));
                out.push('\n');
            }
            Sample::Float(v) => {
                push_series(out, name, "", &labels);
                push_f64(out, v);
                push_exemplar(out, exemplar.as_ref());
                out.push('\n');
            }
            Sample::Histogram {
                bounds,
                le,
                cumulative,
                sum,
                exemplars,
            } => {
                let mut ints = itoa::Buffer::new();
                for (i, (le, count)) in le.iter().zip(cumulative).enumerate() {
                    out.push_str(name);
                    out.push_str("_bucket{");
                    out.push_str(&labels);
                    if !labels.is_empty() {
                        out.push(',');
                    }
                    out.push_str("le=\"");
                    out.push_str(le);
                    out.push_str("\"} ");
                    out.push_str(ints.format(*count));
                    if om {
                        push_exemplar(out, exemplars.get(i).and_then(Option::as_ref));
                    }
                    out.push('\n');
                }
                // OpenMetrics forbids a sum when observations can be negative, and has a count
                // only beside a sum (the `+Inf` bucket still carries it).
                if !(om && bounds.first().is_some_and(|b| *b < 0.0)) {
                    push_series(out, name, "_sum", &labels);
                    push_f64(out, sum);
                    out.push('\n');
                    push_series(out, name, "_count", &labels);
                    out.push_str(ints.format(cumulative.last().copied().unwrap_or(0)));
                    out.push('\n');
                }
            }
        }
    });
}

/// Appends ` # {trace_id="...",span_id="..."} value timestamp` (OpenMetrics exemplar syntax).
fn push_exemplar(out: &mut String, exemplar: Option<&Exemplar>) {
    let Some(e) = exemplar else { return };
    let _ = write!(
        out,
        " # {{trace_id=\"{:032x}\",span_id=\"{:016x}\"}} ",
        e.trace_id, e.span_id
    );
    push_f64(out, e.value);
    let _ = write!(
        out,
        " {}.{:03}",
        e.timestamp_ms / 1000,
        e.timestamp_ms % 1000
    );
}

/// Appends what ends an exposition (`# EOF` for OpenMetrics).
pub fn finish(format: Format, out: &mut String) {
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
}

/// `name` + `suffix` + `{labels}` (braces only when there are labels) + a space.
fn push_series(out: &mut String, name: &str, suffix: &str, labels: &str) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() {
        out.push('{');
        out.push_str(labels);
        out.push('}');
    }
    out.push(' ');
}

/// Appends `s` escaped: backslash and newline always, double quote when `quote` (label values,
/// and OpenMetrics HELP text).
pub fn push_escaped(out: &mut String, s: &str, quote: bool) {
    let special = |b: u8| b == b'\\' || b == b'\n' || (quote && b == b'"');
    if !s.bytes().any(special) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Appends a float in the form both formats accept: `+Inf`, `-Inf`, `NaN`, or the shortest
/// round-tripping decimal.
pub fn push_f64(out: &mut String, v: f64) {
    if v.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(v));
    } else if v.is_nan() {
        out.push_str("NaN");
    } else if v > 0.0 {
        out.push_str("+Inf");
    } else {
        out.push_str("-Inf");
    }
}

/// A float formatted as [`push_f64`] does.
pub fn format_f64(v: f64) -> String {
    let mut s = String::new();
    push_f64(&mut s, v);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_negotiation() {
        let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::from_accept(prom), Format::OpenMetrics);
        assert_eq!(
            Format::from_accept("application/openmetrics-text"),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::from_accept("text/plain;version=0.0.4"),
            Format::Text
        );
        assert_eq!(Format::from_accept("*/*"), Format::Text);
        assert_eq!(
            Format::from_accept("application/openmetrics-text;version=2.0.0"),
            Format::Text
        );
        assert_eq!(
            Format::from_accept("application/openmetrics-text;q=0"),
            Format::Text
        );
    }

    #[test]
    fn units_come_from_the_name() {
        assert_eq!(
            unit_of("x_duration_seconds", MetricType::Histogram),
            Some("seconds")
        );
        assert_eq!(
            unit_of("x_sent_bytes_total", MetricType::Counter),
            Some("bytes")
        );
        assert_eq!(unit_of("x_requests_total", MetricType::Counter), None);
        assert_eq!(unit_of("seconds", MetricType::Gauge), None);
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        push_escaped(&mut s, "a\\b\"c\nd", true);
        assert_eq!(s, r#"a\\b\"c\nd"#);
        s.clear();
        push_escaped(&mut s, "a\\b\"c\nd", false);
        assert_eq!(s, r#"a\\b"c\nd"#);
    }

    #[test]
    fn floats() {
        assert_eq!(format_f64(1.0), "1.0");
        assert_eq!(format_f64(0.005), "0.005");
        assert_eq!(format_f64(f64::INFINITY), "+Inf");
        assert_eq!(format_f64(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_f64(f64::NAN), "NaN");
    }
}
