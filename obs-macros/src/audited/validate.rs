//! Every rule that rejects an `#[audited]` annotation, each with a span-accurate error naming the
//! fix. The rules of `#[observed]` apply too. What the compiler checks better by type (a field
//! value without `AuditField`, a durable function whose error type does not convert from the
//! audit error) is left to it, with messages of our own on the runtime's traits.

use proc_macro2::{Ident, Span};
use syn::spanned::Spanned;

use super::parse::{Args, Entry, Mode, Record};
use crate::attr::{Keyed, RawExpr, last_name, root_name, unknown_param};
use crate::errors::Errors;
use crate::naming::{find_duplicate, looks_secret};
use crate::wrap::Function;

/// Checks the arguments against each other and against the function.
pub fn validate(args: &Args, func: &Function, errors: &mut Errors) {
    crate::observed::validate::validate_as(&args.observed, func, "#[audited]", errors);
    let params = func.param_names();

    match &args.action {
        None => errors.push(
            Span::call_site(),
            "`#[audited]` needs `action = \"...\"`, the dotted verb the event records, such as \
             `action = \"config.update\"`",
        ),
        Some(action) => check_action(action, errors),
    }

    if let Some(actor) = &args.actor {
        check_params(&actor.value.0, &params, "for the actor", errors);
    }
    if let (None, Some(actor_type)) = (&args.actor, &args.actor_type) {
        errors.push(
            actor_type.key.span(),
            "`actor_type` is the type of the actor given by `actor = ...`; without `actor` the \
             task-local actor (set with `audit::with_actor`) brings its own type: add `actor`, or \
             remove `actor_type`",
        );
    }
    if let Some(actor_type) = &args.actor_type {
        literal(actor_type, "actor_type = \"service\"", errors);
    }
    if let Some(resource) = &args.resource {
        literal(&resource.value.kind, "type = \"config_key\"", errors);
        check_params(
            &resource.value.id.value.0,
            &params,
            "for the resource id",
            errors,
        );
    }
    for (record, entry) in args.entries() {
        check_entry(record, entry, &params, errors);
    }
    let names: Vec<String> = args.entries().map(|(_, e)| e.name.to_string()).collect();
    if let Some((_, again)) = find_duplicate(&names) {
        let entry = args.entries().nth(again).map(|(_, e)| &e.name);
        if let Some(name) = entry {
            errors.push(
                name.span(),
                format!(
                    "the field `{name}` is recorded twice (across `fields`, `redact` and `hash`); \
                     keep one"
                ),
            );
        }
    }
    if let Some(log) = &args.log {
        check_params(&log.value.0, &params, "for the log", errors);
    }

    if let Some(stream) = &args.observed.stream {
        errors.push(
            stream.key.span(),
            "an audit event records how a call ended, and a stream's end is not the call's: \
             audit the function that consumes the stream instead, and remove `stream`",
        );
    }
    if args.mode() == Mode::Durable && returns_nothing(func) {
        let at = args
            .mode
            .as_ref()
            .map_or(func.sig.ident.span(), |m| m.key.span());
        errors.push(
            at,
            format!(
                "a durable `#[audited]` call (the default mode) returns an audit failure as its \
                 error, and `{}` returns nothing to carry it: return a `Result` whose error \
                 implements `From<obs_runtime::audit::AuditError>`, or choose `mode = \
                 \"buffered\"` (the call then completes when its record is queued)",
                func.sig.ident
            ),
        );
    }
}

/// `action = "config.update"`: a string literal of dot-separated lowercase words, at least two.
fn check_action(action: &Keyed<RawExpr>, errors: &mut Errors) {
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(s),
        ..
    }) = &action.value.0
    else {
        errors.push(
            action.value.0.span(),
            "`action` must be a string literal such as `action = \"config.update\"`: it is fixed \
             per annotated function; for actions chosen at run time, annotate one function per \
             action or write the event with `AuditEvent`",
        );
        return;
    };
    let value = s.value();
    if !is_dotted_verb(&value) {
        errors.push(
            s.span(),
            format!(
                "`action` \"{value}\" is not a dotted lowercase verb: write the resource and \
                 what is done to it as lowercase words (letters, digits, `_`) joined by `.`, \
                 such as \"{}\"",
                suggest_action(&value)
            ),
        );
    }
}

/// `[a-z][a-z0-9_]*` segments joined by `.`, at least two: `config.update`, `rate_limit.refuse`.
fn is_dotted_verb(action: &str) -> bool {
    let segments: Vec<&str> = action.split('.').collect();
    segments.len() >= 2
        && segments.iter().all(|segment| {
            segment.starts_with(|c: char| c.is_ascii_lowercase())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// A suggestion for a malformed action: each dot-separated part in snake_case, other characters
/// as `_` (`Config.Update` -> `config.update`, `config-key.rotate` -> `config_key.rotate`); an
/// example when that is still not one (a single word).
fn suggest_action(action: &str) -> String {
    let parts: Vec<String> = action
        .split('.')
        .map(|part| {
            let snake: String = crate::naming::snake_case(part)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            snake.trim_matches('_').to_owned()
        })
        .filter(|part| !part.is_empty())
        .collect();
    let suggestion = parts.join(".");
    if is_dotted_verb(&suggestion) {
        suggestion
    } else {
        "config.update".to_owned()
    }
}

/// A value that must be a string literal: it is fixed per function (a type, not an id).
fn literal(value: &Keyed<RawExpr>, example: &str, errors: &mut Errors) {
    match &value.value.0 {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) if s.value().is_empty() => {
            errors.push(s.span(), format!("`{}` cannot be empty", value.key));
        }
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(_),
            ..
        }) => {}
        other => errors.push(
            other.span(),
            format!(
                "`{}` must be a string literal such as `{example}`: it is a type, fixed per \
                 annotated function (the id is the expression that varies)",
                value.key
            ),
        ),
    }
}

/// An expression starting from a lowercase name must start from a parameter (the only locals in
/// scope when the call starts).
fn check_params(expr: &syn::Expr, params: &[Ident], purpose: &str, errors: &mut Errors) {
    if let Some(root) = root_name(expr)
        && root
            .to_string()
            .starts_with(|c: char| c.is_lowercase() || c == '_')
        && !params.iter().any(|p| p == root)
    {
        errors.push(root.span(), unknown_param(root, params, purpose));
    }
}

/// One entry of `fields`, `redact` or `hash`.
fn check_entry(record: Record, entry: &Entry, params: &[Ident], errors: &mut Errors) {
    let name = &entry.name;
    match &entry.value {
        None if name == "self" => errors.push(
            name.span(),
            "`self` cannot be recorded whole; record a field of it with `name = self.field`",
        ),
        None if !params.iter().any(|p| p == name) => {
            errors.push(name.span(), unknown_param(name, params, "to record"));
        }
        None => {}
        Some(value) => check_params(value, params, "to record", errors),
    }
    if record != Record::Value {
        return;
    }
    let from = entry.value.as_ref().and_then(last_name);
    let secret = [Some(name), from.as_ref()]
        .into_iter()
        .flatten()
        .find(|n| looks_secret(&n.to_string()));
    if let Some(secret) = secret {
        let entry = match entry.value {
            Some(_) => format!("{name} = ..."),
            None => name.to_string(),
        };
        errors.push(
            secret.span(),
            format!(
                "`{secret}` looks like a secret, which an audit log must not hold in clear: record \
                 that it was given with `redact({entry})`, or its SHA-256 with `hash({entry})` \
                 (for a value that is not a secret, give it a name that does not look like one)"
            ),
        );
    }
}

/// The function's declared return type is `()` (none written): nothing can carry an audit error.
fn returns_nothing(func: &Function) -> bool {
    match &func.sig.output {
        syn::ReturnType::Default => true,
        syn::ReturnType::Type(_, ty) => matches!(&**ty, syn::Type::Tuple(t) if t.elems.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_dotted_verb, suggest_action};

    #[test]
    fn actions() {
        for ok in [
            "config.update",
            "rate_limit.refuse",
            "auth.login",
            "a.b.c",
            "v2.key.rotate",
        ] {
            assert!(is_dotted_verb(ok), "{ok}");
        }
        for bad in [
            "update",
            "Config.update",
            "config..update",
            "config.",
            ".x",
            "a-b.c",
            "1a.b",
        ] {
            assert!(!is_dotted_verb(bad), "{bad}");
        }
        assert_eq!(suggest_action("Config.Update"), "config.update");
        assert_eq!(suggest_action("config-key.rotate"), "config_key.rotate");
        assert_eq!(suggest_action("Rate Limit.refuse"), "rate_limit.refuse");
        assert_eq!(suggest_action("updateConfig"), "config.update");
        assert_eq!(suggest_action("update"), "config.update");
    }
}
