//! Parsing `#[audited(...)]` arguments: every argument of `#[observed]` (flattened in) except its
//! span `fields(...)` (here `fields` names the audit event's fields), and the audit ones. Which
//! values must be literals, and which names must be the function's parameters, is checked in
//! `validate`, so the message can say why.
//!
//! ```text
//! #[audited(
//!     action = "config.update",               // the event's dotted verb (required)
//!     actor = ctx.user, actor_type = "user",  // the actor's id (`Display`) and type (default
//!                                             // "user"); default: the task-local actor
//!     resource(type = "config_key", id = key), // the resource's type (a literal), id (`Display`)
//!     fields(key, model = req.model),         // the event's fields: a parameter, or name = expr
//!     redact(value),                          // recorded as "[REDACTED]"
//!     hash(api_key, sig = req.signature),     // recorded as "sha256:<hex>" of the bytes
//!     mode = "durable",                       // or "buffered" (default "durable")
//!     log = self.audit,                       // the `AuditLog` (or a reference to one) to write
//!                                             // to (default: the installed global log)
//!     <the arguments of #[observed] but `fields`>,
//! )]
//! ```

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::{Ident, TokenStream};
use syn::Meta;

use crate::attr::{Keyed, RawExpr};
use crate::errors::Errors;
use crate::observed::parse::{Args as Observed, parse_with};

/// `#[audited(...)]`.
#[derive(FromMeta)]
pub struct Args {
    #[darling(flatten)]
    pub observed: Observed,
    pub action: Option<Keyed<RawExpr>>,
    pub actor: Option<Keyed<RawExpr>>,
    pub actor_type: Option<Keyed<RawExpr>>,
    pub resource: Option<Keyed<Resource>>,
    pub redact: Option<Keyed<Entries>>,
    pub hash: Option<Keyed<Entries>>,
    pub mode: Option<Keyed<Mode>>,
    pub log: Option<Keyed<RawExpr>>,
    /// `fields(...)`, parsed by hand: `#[observed]` takes `fields` by hand too (as span fields).
    #[darling(skip)]
    pub fields: Option<Keyed<Entries>>,
}

impl Args {
    /// The delivery mode (default [`Mode::Durable`]).
    pub fn mode(&self) -> Mode {
        self.mode.as_ref().map_or(Mode::Durable, |m| m.value)
    }

    /// Every recorded entry, with the kind of record it gets: `fields`, then `redact`, then `hash`.
    pub fn entries(&self) -> impl Iterator<Item = (Record, &Entry)> {
        [
            (Record::Value, &self.fields),
            (Record::Redacted, &self.redact),
            (Record::Hashed, &self.hash),
        ]
        .into_iter()
        .flat_map(|(record, list)| {
            list.iter()
                .flat_map(move |l| &l.value.0)
                .map(move |e| (record, e))
        })
    }
}

/// How an entry is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// `fields(...)`: the value itself.
    Value,
    /// `redact(...)`: `"[REDACTED]"`.
    Redacted,
    /// `hash(...)`: `"sha256:<hex>"`.
    Hashed,
}

/// When the call completes, relative to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// After the record is durable; an audit failure becomes the function's error.
    Durable,
    /// After the record is queued (back-pressure, never a silent drop).
    Buffered,
}

impl FromMeta for Mode {
    fn from_string(value: &str) -> darling::Result<Self> {
        match value {
            "durable" => Ok(Self::Durable),
            "buffered" => Ok(Self::Buffered),
            other => Err(darling::Error::unknown_value_with_alts(
                other,
                ["durable", "buffered"].iter(),
            )),
        }
    }
}

/// `resource(type = "...", id = expr)`.
#[derive(FromMeta)]
pub struct Resource {
    #[darling(rename = "type")]
    pub kind: Keyed<RawExpr>,
    pub id: Keyed<RawExpr>,
}

/// One recorded value: a parameter by its name, or `name = expr`.
pub struct Entry {
    /// The field's name in the event.
    pub name: Ident,
    /// The value; `None` for the parameter `name`.
    pub value: Option<syn::Expr>,
}

/// `name, name = expr, ...`.
pub struct Entries(pub Vec<Entry>);

impl FromMeta for Entries {
    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut errors = darling::Error::accumulator();
        let entries = items
            .iter()
            .filter_map(|item| {
                errors.handle(match item {
                    NestedMeta::Meta(Meta::Path(path)) if path.get_ident().is_some() => Ok(Entry {
                        name: path.segments[0].ident.clone(),
                        value: None,
                    }),
                    NestedMeta::Meta(Meta::NameValue(nv)) if nv.path.get_ident().is_some() => {
                        Ok(Entry {
                            name: nv.path.segments[0].ident.clone(),
                            value: Some(nv.value.clone()),
                        })
                    }
                    other => Err(darling::Error::custom(
                        "expected a parameter's name, or `name = expr`",
                    )
                    .with_span(other)),
                })
            })
            .collect();
        errors.finish_with(Self(entries))
    }
}

/// Parses the arguments, collecting every error.
pub fn parse(attr: TokenStream, errors: &mut Errors) -> Option<Args> {
    let (mut args, own) = parse_with::<Args>(attr, errors, |args| &mut args.observed, &["fields"])?;
    for hand in own {
        let metas = errors.handle(NestedMeta::parse_meta_list(hand.tokens));
        if let Some(entries) = metas.and_then(|m| errors.handle(Entries::from_list(&m))) {
            args.fields = Some(Keyed {
                key: hand.key,
                value: entries,
            });
        }
    }
    Some(args)
}
