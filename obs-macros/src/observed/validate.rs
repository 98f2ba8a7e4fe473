//! Every rule that rejects an `#[observed]` annotation, each with a span-accurate error naming the
//! fix. All errors are collected, so one build shows every problem.

use super::parse::{Args, KNOWN};
use crate::wrap::{Function, Shape, is_impl_stream};

const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];

/// Checks the arguments against each other and against the function.
pub fn validate(args: &Args, func: &Function) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    let mut err = |span: proc_macro2::Span, message: String| {
        errors.push(syn::Error::new(span, message));
    };

    for key in &args.unknown {
        let hint = match closest_known(&key.to_string()) {
            Some(known) => format!("did you mean `{known}`? The arguments are: "),
            None => "expected one of: ".to_owned(),
        };
        err(
            key.span(),
            format!(
                "unknown argument `{key}` of #[observed]; {hint}{}",
                KNOWN.join(", ")
            ),
        );
    }
    for key in &args.duplicates {
        err(key.span(), format!("`{key}` is given twice; keep one"));
    }

    if let Some(constness) = &func.sig.constness {
        err(
            constness.span,
            "#[observed] cannot wrap a `const fn`: recording metrics and spans is not possible in \
             const evaluation; remove `const` or the attribute"
                .into(),
        );
    }

    if let Some((key, level)) = &args.level
        && !LEVELS.contains(&level.value().to_ascii_lowercase().as_str())
    {
        err(
            level.span(),
            format!(
                "unknown `{key}` \"{}\"; expected one of {}",
                level.value(),
                LEVELS.join(", ")
            ),
        );
    }

    if !args.span_enabled() {
        let span_only = [
            args.name.as_ref().map(|(k, _)| k),
            args.level.as_ref().map(|(k, _)| k),
            args.target.as_ref().map(|(k, _)| k),
            args.fields.as_ref().map(|(k, _)| k),
            args.record.as_ref().map(|(k, _)| k),
            args.ret.as_ref().map(|(k, _)| k),
            args.err.as_ref().map(|(k, _)| k),
        ];
        for key in span_only.into_iter().flatten() {
            err(
                key.span(),
                format!(
                    "`{key}` configures the span, which `span = false` turns off; remove one of them"
                ),
            );
        }
        if !args.metrics_enabled()
            && let Some((key, _)) = &args.span
        {
            err(
                key.span(),
                "with `span = false` and `metrics = false` there is nothing left to observe; remove the attribute".into(),
            );
        }
    }
    if !args.metrics_enabled()
        && let Some(key) = &args.error_kind
    {
        err(
            key.span(),
            "`error_kind` labels a metric, which `metrics = false` turns off; remove one of them"
                .into(),
        );
    }

    if let Some((key, _)) = &args.labels
        && args.duration.is_none()
        && args.calls.is_none()
    {
        err(
            key.span(),
            "`labels` gives label values for `duration = ...` or `calls = ...`; add one of them, or remove `labels`".into(),
        );
    }

    if let Some(key) = &args.stream {
        let returns_stream =
            matches!(&func.sig.output, syn::ReturnType::Type(_, ty) if is_impl_stream(ty));
        if func.shape() == Shape::Async {
            err(
                key.span(),
                "`stream` is for a (non-async) function returning `impl Stream<Item = ...>`; an \
                 `async fn` is observed as a future without it: remove `stream`"
                    .into(),
            );
        } else if !returns_stream {
            err(
                key.span(),
                "`stream` observes the stream a function returns, so the return type must be \
                 written `impl Stream<Item = ...>`; remove `stream`, or return `impl Stream`"
                    .into(),
            );
        }
    }

    if let Some((_, names)) = &args.record {
        let params = func.param_names();
        for name in names {
            if name == "self" {
                err(
                    name.span(),
                    "`self` cannot be recorded whole; record a field with `fields(name = ?self.field)`".into(),
                );
            } else if name == "error" {
                err(
                    name.span(),
                    "the span's `error` field is where an `Err` is recorded, so a parameter named \
                     `error` cannot be recorded under that name; record it as another field with \
                     `fields(input_error = ?error)`"
                        .into(),
                );
            } else if !params.iter().any(|p| p == name) {
                let list: Vec<String> = params.iter().map(ToString::to_string).collect();
                err(
                    name.span(),
                    format!(
                        "no parameter named `{name}` to record; the parameters are: {}",
                        if list.is_empty() {
                            "(none)".to_owned()
                        } else {
                            list.join(", ")
                        }
                    ),
                );
            }
        }
    }

    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            errors.for_each(|e| first.combine(e));
            Err(first)
        }
    }
}

/// The known argument closest to a misspelt one (at most two edits away), for "did you mean".
fn closest_known(unknown: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .map(|known| (edit_distance(unknown, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance between two short ASCII-ish strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{closest_known, edit_distance};

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("record", "record"), 0);
        assert_eq!(edit_distance("records", "record"), 1);
        assert_eq!(edit_distance("levle", "level"), 2);
        assert_eq!(edit_distance("", "ret"), 3);
    }

    #[test]
    fn misspellings_suggest_the_argument() {
        assert_eq!(closest_known("records"), Some("record"));
        assert_eq!(closest_known("error_kinds"), Some("error_kind"));
        assert_eq!(closest_known("label"), Some("labels"));
        assert_eq!(closest_known("sample_rate"), None);
    }
}
