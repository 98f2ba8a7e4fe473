//! Every rule that rejects an `#[llm_call]` annotation, each with a span-accurate error naming
//! the fix. The rules of `#[observed]` apply too.

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::parse::Args;
use crate::errors::Errors;
use crate::wrap::Function;

/// Checks the arguments against each other and against the function.
pub fn validate(args: &Args, func: &Function, errors: &mut Errors) {
    crate::observed::validate::validate_as(&args.observed, func, "#[llm_call]", errors);

    match &args.provider {
        None => errors.push(
            Span::call_site(),
            "`#[llm_call]` needs `provider = \"...\"`, the `gen_ai.provider.name` of the provider \
             called (\"openai\", \"anthropic\", \"aws.bedrock\", ...)",
        ),
        Some(provider) => literal(provider, "provider", "gen_ai.provider.name", errors),
    }
    if let Some(operation) = &args.operation {
        literal(operation, "operation", "gen_ai.operation.name", errors);
    }
    match &args.model {
        None => errors.push(
            Span::call_site(),
            "`#[llm_call]` needs `model = ...`, the model requested (any `AsRef<str>`, such as \
             `model = req.model`)",
        ),
        Some(model) => {
            if let Some(name) = crate::attr::last_name(&model.value.0)
                && crate::metrics::is_entity_name(&name.to_string())
            {
                errors.push(
                    name.span(),
                    format!(
                        "`model` is a metric label (`gen_ai_request_model`) and `{name}` looks \
                         like a per-entity id, which would make one series per value; give the \
                         model's name (ids belong on the span: `fields({name} = %...)`)"
                    ),
                );
            }
        }
    }
    if let Some(capture) = &args.capture
        && capture_mode(&capture.value.value()).is_none()
    {
        errors.push(
            capture.value.span(),
            format!(
                "unknown `capture` \"{}\"; expected one of {}",
                capture.value.value(),
                CAPTURE_MODES
                    .iter()
                    .map(|(name, _)| format!("\"{name}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let observed = &args.observed;
    let own_families = [
        observed.duration.as_ref().map(|k| &k.key),
        observed.calls.as_ref().map(|k| &k.key),
        observed.labels.as_ref().map(|k| &k.key),
    ];
    for key in own_families.into_iter().flatten() {
        errors.push(
            key.span(),
            format!(
                "`{key}` records into your own families, which `#[llm_call]` does not take: its \
                 GenAI families already record each call's duration, outcome, tokens and cost; \
                 remove `{key}`"
            ),
        );
    }
}

/// The `capture` values, with the `CaptureMode` variant each names.
pub const CAPTURE_MODES: &[(&str, &str)] = &[
    ("no_content", "NoContent"),
    ("span_only", "SpanOnly"),
    ("event_only", "EventOnly"),
    ("span_and_event", "SpanAndEvent"),
];

/// The `CaptureMode` variant `capture = "..."` names.
pub fn capture_mode(value: &str) -> Option<&'static str> {
    CAPTURE_MODES
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, variant)| *variant)
}

/// A value that must be a string literal: it is a metric label fixed per function.
fn literal(
    value: &crate::attr::Keyed<crate::attr::RawExpr>,
    key: &str,
    attribute: &str,
    errors: &mut Errors,
) {
    match &value.value.0 {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => {
            if s.value().is_empty() {
                errors.push(s.span(), format!("`{key}` cannot be empty"));
            }
        }
        other => errors.push(
            other.span(),
            format!(
                "`{key}` must be a string literal such as `{key} = \"{}\"`: it is `{attribute}`, \
                 fixed per annotated function; for values chosen at run time, annotate one \
                 function per value",
                if key == "provider" { "openai" } else { "chat" }
            ),
        ),
    }
}
