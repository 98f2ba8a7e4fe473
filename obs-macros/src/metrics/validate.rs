//! Every rule that rejects a `metrics!` schema, each with a span-accurate error that says what to
//! do instead. All errors are collected, so one build shows every problem.
//!
//! The series-limit rule needs the label types' cardinalities, which only the type checker knows:
//! `expand` emits it as a `const` assertion.

use std::collections::{HashMap, HashSet};

use syn::ext::IdentExt;
use syn::{GenericArgument, PathArguments, Type};

use super::parse::{Family, Group, Label, Schema};
use crate::errors::Errors;

/// Metric kinds a family may declare.
pub const KINDS: &[&str] = &[
    "Counter",
    "FloatCounter",
    "Gauge",
    "FloatGauge",
    "Histogram",
];

/// Most labels a family may have (mirrors `obs_runtime::metrics::MAX_LABELS`).
const MAX_LABELS: usize = 16;

/// Label names that denote one value per entity: a series per user, request or address.
const ENTITY_NAMES: &[&str] = &[
    "user_id",
    "user",
    "username",
    "email",
    "request_id",
    "session_id",
    "conversation_id",
    "thread_id",
    "message_id",
    "trace_id",
    "span_id",
    "correlation_id",
    "ip",
    "ip_address",
    "client_ip",
    "uuid",
    "guid",
    "id",
    "timestamp",
    "url",
    "uri",
    "path",
];

/// Name endings that denote one value per entity.
const ENTITY_SUFFIXES: &[&str] = &["_id", "_uuid", "_email", "_ip", "_url", "_timestamp"];

/// Suffixes the exposition formats give a meaning of their own.
const RESERVED_SUFFIXES: &[&str] = &["_bucket", "_count", "_sum", "_created", "_info", "_total"];

/// Label types whose values are unbounded.
const UNBOUNDED_TYPES: &[&str] = &[
    "String",
    "str",
    "Cow",
    "Box",
    "Arc",
    "Rc",
    "char",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "Uuid",
    "NonZeroU32",
    "NonZeroU64",
    "NonZeroUsize",
    "SystemTime",
    "Instant",
    "Duration",
    "IpAddr",
    "Ipv4Addr",
    "Ipv6Addr",
    "SocketAddr",
    "PathBuf",
    "Url",
];

/// Checks a whole schema.
pub fn validate(schema: &Schema) -> syn::Result<()> {
    let mut errors = Errors::new();
    for group in &schema.groups {
        check_group(group, &mut errors);
    }
    errors.finish()
}

fn check_group(group: &Group, errors: &mut Errors) {
    if let Some(ns) = &group.namespace {
        let value = ns.value();
        if !is_metric_name(&value) {
            errors.push(
                ns.span(),
                format!(
                    "`{value}` is not a valid Prometheus metric namespace: use ASCII letters, digits and `_`, not starting with a digit (for example \"{}\")",
                    sanitize(&value)
                ),
            );
        } else if value == "obs" || value.starts_with("obs_") {
            errors.push(
                ns.span(),
                "the `obs` namespace is reserved for the framework's own metrics; choose your service's name",
            );
        }
    }
    let mut seen = HashSet::new();
    for family in &group.families {
        let name = group.full_name(family);
        if !seen.insert(name.clone()) {
            errors.push(
                family.name.span(),
                format!("duplicate metric `{name}` in this group; each family needs its own name"),
            );
        }
        check_family(family, &name, errors);
    }
}

fn check_family(family: &Family, name: &str, errors: &mut Errors) {
    let span = family.name.span();
    let kind = family.kind.to_string();
    let is_counter = kind == "Counter" || kind == "FloatCounter";

    if family.docs.is_empty() || family.help().is_empty() {
        errors.push(
            span,
            format!(
                "metric `{name}` has no doc comment; add `/// <what it counts>` above it: it becomes the HELP text"
            ),
        );
    }
    if !KINDS.contains(&kind.as_str()) {
        errors.push(
            family.kind.span(),
            format!(
                "unknown metric kind `{kind}`; expected one of {}",
                KINDS.join(", ")
            ),
        );
    }
    let own_name = family.name.unraw().to_string();
    if !is_metric_name(&own_name) {
        errors.push(
            span,
            format!(
                "`{own_name}` is not a valid Prometheus metric name: use ASCII letters, digits and `_` (for example `{}`)",
                sanitize(&own_name)
            ),
        );
    } else if is_counter && !name.ends_with("_total") {
        errors.push(
            span,
            format!("counter `{name}` must end in `_total`; rename it `{own_name}_total`"),
        );
    } else {
        let stem = if is_counter {
            name.strip_suffix("_total").unwrap_or(name)
        } else {
            name
        };
        if stem.ends_with("_total") && !is_counter {
            errors.push(
                span,
                format!(
                    "metric `{name}` is a {kind} but ends in `_total`, which marks counters; drop the suffix, \
                     or declare a `Counter` if the value only goes up"
                ),
            );
        } else if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| stem.ends_with(*s)) {
            errors.push(
                span,
                format!(
                    "metric `{name}` ends in `{suffix}`, which the exposition formats reserve for generated series; drop or change the suffix"
                ),
            );
        }
    }

    match (&family.buckets, kind.as_str()) {
        (Some(b), "Histogram") => crate::buckets::check(b, "`#[buckets]`", errors),
        (Some(b), _) => errors.push_spanned(
            &b.attr,
            format!(
                "`#[buckets]` applies only to histograms, and `{name}` is a {kind}; remove the attribute, \
                 or declare a `Histogram`"
            ),
        ),
        _ => {}
    }
    if let Some(limit) = &family.max_series {
        match limit.base10_parse::<usize>() {
            Ok(n) if n > 0 => {}
            _ => errors.push(limit.span(), "`#[max_series]` takes a positive integer"),
        }
    }

    if let Some(otlp) = &family.otlp {
        check_otlp(otlp, errors);
    }

    if family.labels.len() > MAX_LABELS {
        errors.push(
            span,
            format!(
                "metric `{name}` has {} labels; at most {MAX_LABELS} are supported: drop labels, or split the family",
                family.labels.len()
            ),
        );
    }
    let mut seen = HashSet::new();
    let mut keys = HashMap::new();
    for label in &family.labels {
        let label_name = label.name.unraw().to_string();
        if !seen.insert(label_name.clone()) {
            errors.push(
                label.name.span(),
                format!(
                    "duplicate label `{label_name}` in `{name}`; each label needs its own name: remove or rename one"
                ),
            );
        } else {
            check_key_unique(label, &label_name, name, &mut keys, errors);
        }
        check_label(label, &label_name, errors);
    }
}

/// Two labels of one family cannot be pushed under one OTLP attribute key (a label without
/// `#[otlp(key)]` is pushed under its name). `keys` maps each key seen so far to its label.
fn check_key_unique(
    label: &Label,
    label_name: &str,
    family: &str,
    keys: &mut HashMap<String, String>,
    errors: &mut Errors,
) {
    let (key, span) = match &label.otlp {
        Some(otlp) => (otlp.key.value(), otlp.key.span()),
        None => (label_name.to_owned(), label.name.span()),
    };
    if let Some(other) = keys.get(&key) {
        errors.push(
            span,
            format!(
                "label `{label_name}` of `{family}` would be pushed over OTLP under the attribute key `{key}`, \
                 which label `{other}` already has; give one of them another `#[otlp(key = \"...\")]`"
            ),
        );
    } else {
        keys.insert(key, label_name.to_owned());
    }
}

fn check_label(label: &Label, name: &str, errors: &mut Errors) {
    let span = label.name.span();
    if !is_label_name(name) {
        errors.push(
            span,
            format!(
                "`{name}` is not a valid Prometheus label name: use ASCII letters, digits and `_` (for example `{}`)",
                sanitize(name)
            ),
        );
    } else if name == "le" || name == "quantile" || name.starts_with("__") {
        errors.push(
            span,
            format!(
                "label name `{name}` is reserved by Prometheus (`le`, `quantile` and names starting `__`); choose another name"
            ),
        );
    } else if is_entity_name(name) {
        match &label.allow_entity {
            Some(allow) if allow.reason.value().trim().is_empty() => errors.push(
                allow.reason.span(),
                "`allow_entity_label` needs a reason: say why this label stays bounded",
            ),
            Some(_) => {}
            None => errors.push(
                span,
                format!(
                    "label `{name}` names a per-entity value and would create one series per entity; \
                     record it as a span attribute or an exemplar instead, or label by a bounded category \
                     (a tier enum, a `Bounded<N>` route); if it really is bounded, write \
                     `#[allow_entity_label(reason = \"...\")]` on the label"
                ),
            ),
        }
    }
    if let Some(otlp) = &label.otlp {
        let key = otlp.key.value();
        if !is_attribute_key(&key) {
            errors.push(
                otlp.key.span(),
                format!(
                    "`{key}` is not an OpenTelemetry attribute key: use lowercase letters, digits, `_` and `.`, \
                     starting with a letter, without an empty segment (`..` or a trailing `.`), as the \
                     semantic conventions do (`gen_ai.operation.name`)"
                ),
            );
        }
    }
    if let Some(ty) = unbounded_type(&label.ty) {
        errors.push_spanned(
            &label.ty,
            format!(
                "`{ty}` is an unbounded label type: every distinct value becomes a series; \
                 use a fieldless enum with `#[derive(LabelValue)]`, `bool`, or `Bounded<N>` to cap run-time strings at N values, \
                 or record per-request values (ids, addresses, timestamps) as a span attribute or an exemplar"
            ),
        );
    }
}

/// An OpenTelemetry metric name is dot-separated lowercase segments (`gen_ai.client.token.usage`);
/// a unit is a UCUM code or an annotation in braces (`s`, `By`, `{token}`), without spaces.
fn check_otlp(otlp: &super::parse::Otlp, errors: &mut Errors) {
    let name = otlp.name.value();
    let segment_ok = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !name.split('.').all(segment_ok) {
        errors.push(
            otlp.name.span(),
            format!(
                "`{name}` is not an OpenTelemetry metric name: use dot-separated segments of lowercase \
                 letters, digits and `_`, each starting with a letter, as the semantic conventions \
                 do (`gen_ai.client.operation.duration`)"
            ),
        );
    }
    let unit = otlp.unit.value();
    if unit.is_empty() || !unit.chars().all(|c| c.is_ascii_graphic()) {
        errors.push(
            otlp.unit.span(),
            format!(
                "`{unit}` is not a unit: give a UCUM code or an annotation in braces, without spaces \
                 (`s`, `By`, `{{token}}`)"
            ),
        );
    }
}

/// The name of the unbounded type `ty` stands for, if it is one.
fn unbounded_type(ty: &Type) -> Option<String> {
    match ty {
        Type::Reference(r) => unbounded_type(&r.elem).map(|t| format!("&{t}")),
        Type::Paren(p) => unbounded_type(&p.elem),
        Type::Group(g) => unbounded_type(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if !UNBOUNDED_TYPES.contains(&name.as_str()) {
                return None;
            }
            // `Box<str>`, `Arc<str>`: unbounded; `Box<MyEnum>` would not be a label anyway.
            if matches!(name.as_str(), "Box" | "Arc" | "Rc")
                && let PathArguments::AngleBracketed(args) = &last.arguments
                && let Some(GenericArgument::Type(inner)) = args.args.first()
            {
                return unbounded_type(inner).map(|t| format!("{name}<{t}>"));
            }
            Some(if name == "Cow" {
                "Cow<str>".into()
            } else {
                name
            })
        }
        _ => None,
    }
}

pub(crate) fn is_entity_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ENTITY_NAMES.contains(&lower.as_str()) || ENTITY_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-z][a-z0-9_]*(\.[a-z0-9_]+)*`: an attribute key as the semantic conventions write them.
fn is_attribute_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A suggestion: `name` with every character Prometheus refuses replaced by `_`.
fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_attribute_key;

    #[test]
    fn attribute_keys_are_dotted_lowercase_segments() {
        for ok in [
            "error.type",
            "gen_ai.operation.name",
            "server.address",
            "a",
            "a1._b",
        ] {
            assert!(is_attribute_key(ok), "{ok}");
        }
        for bad in [
            "",
            "Error.type",
            "1a",
            "_a",
            ".a",
            "a..b",
            "a.",
            "a-b",
            "a b",
            "é",
        ] {
            assert!(!is_attribute_key(bad), "{bad}");
        }
    }
}
