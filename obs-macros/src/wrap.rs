//! The one function-wrapping mechanism the attribute macros share.
//!
//! A function is parsed as attributes, visibility, signature and an *unparsed* brace-delimited
//! body (its leading inner attributes kept apart, to be emitted first), so a body with a syntax
//! error is emitted as written and the user sees rustc's error in their own code.
//!
//! A macro's expand stage describes what it adds in a [`Layer`] (statics, statements run when the
//! call starts, the span, the call guard's site and hook, how the return value is classified, an
//! optional step after the body, an optional per-item hook for streams) and [`wrap`] emits one
//! body per [`Shape`]. The body itself runs inside a closure (sync, and the code building a
//! returned future or stream) or an `async move` block (`async fn`), so `return` and `?` keep
//! working; a never-taken `return` of the declared type (with `impl Trait` replaced by `_`),
//! spanned at the return type, pins its type for inference.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Attribute, GenericArgument, PathArguments, ReturnType, Signature, Type, TypeParamBound};

use crate::observed::expand::respanned;

/// A function with a body: a free function, a method in an `impl`, or a provided trait method.
pub struct Function {
    pub attrs: Vec<Attribute>,
    pub vis: syn::Visibility,
    pub sig: Signature,
    /// The body's leading inner attributes (`#![allow(...)]`, `//!` docs), as written.
    pub inner_attrs: TokenStream,
    /// The body after them, unparsed.
    pub statements: TokenStream,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        if !starts_fn(input) {
            let found = match input.cursor().token_tree() {
                Some((proc_macro2::TokenTree::Ident(word), _)) => format!(", not to a `{word}`"),
                _ => String::new(),
            };
            return Err(input.error(format!(
                "this attribute applies to functions and methods with a body{found}; put it on \
                 each `fn` to instrument"
            )));
        }
        let sig: Signature = input.parse()?;
        if input.peek(syn::Token![;]) {
            return Err(syn::Error::new_spanned(
                &sig,
                "this function has no body to instrument: for a required trait method, annotate \
                 each implementation; for an `extern` block item, annotate the Rust function \
                 that calls it",
            ));
        }
        let body: Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace {
            return Err(syn::Error::new(
                body.span(),
                "expected a function body `{ ... }`",
            ));
        }
        if !input.is_empty() {
            return Err(input.error("expected a single function"));
        }
        let (inner_attrs, statements) = split_inner_attrs(body.stream());
        Ok(Self {
            attrs,
            vis,
            sig,
            inner_attrs,
            statements,
        })
    }
}

/// Splits a body's leading inner attributes (`# ! [...]`) from the rest; they must come first in
/// the wrapped body, where the closure or async block around the rest would not allow them.
fn split_inner_attrs(body: TokenStream) -> (TokenStream, TokenStream) {
    let mut tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut end = 0;
    while let [
        TokenTree::Punct(hash),
        TokenTree::Punct(bang),
        TokenTree::Group(group),
        ..,
    ] = &tokens[end..]
        && hash.as_char() == '#'
        && bang.as_char() == '!'
        && group.delimiter() == Delimiter::Bracket
    {
        end += 3;
    }
    let rest = tokens.split_off(end);
    (tokens.into_iter().collect(), rest.into_iter().collect())
}

/// Whether the input starts with a function signature: `fn`, after any of `const`, `async`,
/// `unsafe`, `safe` and `extern "abi"`. A signature that then fails to parse gets syn's error.
fn starts_fn(input: ParseStream) -> bool {
    let fork = input.fork();
    let _ = fork.parse::<Option<syn::Token![const]>>();
    let _ = fork.parse::<Option<syn::Token![async]>>();
    let _ = fork.parse::<Option<syn::Token![unsafe]>>();
    if fork.peek(syn::Ident) && fork.cursor().ident().is_some_and(|(i, _)| i == "safe") {
        let _ = fork.parse::<proc_macro2::Ident>();
    }
    if fork.peek(syn::Token![extern]) {
        let _ = fork.parse::<syn::Abi>();
    }
    fork.peek(syn::Token![fn])
}

/// Runs an attribute macro's three stages over a function. When the function itself does not
/// parse, it is emitted unchanged next to the error, so the user sees the real problem in their
/// code; on any other error, the function as written next to every error, so nothing cascades.
pub fn run_attribute<A>(
    attr: TokenStream,
    item: TokenStream,
    parse: fn(TokenStream, &mut crate::errors::Errors) -> Option<A>,
    validate: fn(&A, &Function, &mut crate::errors::Errors),
    expand: fn(&A, &Function) -> TokenStream,
) -> TokenStream {
    let func: Function = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let error = e.to_compile_error();
            return quote!(#item #error);
        }
    };
    let mut errors = crate::errors::Errors::new();
    let args = parse(attr, &mut errors);
    if let Some(args) = &args {
        validate(args, &func, &mut errors);
    }
    match (errors.finish(), args) {
        (Ok(()), Some(args)) => expand(&args, &func),
        (Err(e), _) => {
            let unchanged = func.unchanged();
            let error = e.to_compile_error();
            quote!(#unchanged #error)
        }
        (Ok(()), None) => unreachable!("parse returns nothing only with an error"),
    }
}

/// What a function's body produces, and so how it is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A plain function: the body computes the return value.
    Sync,
    /// An `async fn`: the body is the future's code.
    Async,
    /// Returns `impl Future` or a boxed `dyn Future` (what `#[async_trait]` produces): the body
    /// builds the future, which is what gets observed.
    ReturnsFuture {
        /// The return type is `Pin<Box<dyn Future ...>>`, so the wrapper must be boxed too.
        boxed: bool,
    },
    /// Returns `impl Stream`: the body builds the stream, observed until it ends or is dropped.
    Stream,
}

/// What a macro adds around a function body. Every field is tokens for the generated body, which
/// may use the bindings `__obs_hook` (the hook, after `start`), `__obs_span` and `__obs_result`.
pub struct Layer {
    /// Items first in the body: the call site and span statics.
    pub items: TokenStream,
    /// Statements run when the call starts, after the span is made and before the body captures
    /// the arguments: values to capture in owned or interned form.
    pub start: TokenStream,
    /// `Option<&'static CallSite>`: the function's own call site, or `None`.
    pub site: TokenStream,
    /// The `CallHook` run when the call ends.
    pub hook: TokenStream,
    /// The call's `tracing::Span`.
    pub span: TokenStream,
    /// `|&R, &Span, &Call| -> Outcome`: classifies the return value.
    pub settle: TokenStream,
    /// An expression over `__obs_result` (the body's value) giving the function's value (an
    /// audit commit), run inside the observed call, which is classified by its value; it may
    /// `.await` in the async shapes.
    pub after: Option<TokenStream>,
    /// The per-item hook of a stream (`Shape::Stream` only).
    pub item_hook: Option<TokenStream>,
}

impl Function {
    /// How the body relates to the work to observe; `stream` when the macro was told the
    /// function returns a stream to observe.
    pub fn shape(&self, stream: bool) -> Shape {
        if self.sig.asyncness.is_some() {
            return Shape::Async;
        }
        match &self.sig.output {
            _ if stream => Shape::Stream,
            ReturnType::Type(_, ty) if is_impl_future(ty) => Shape::ReturnsFuture { boxed: false },
            ReturnType::Type(_, ty) if is_boxed_dyn_future(ty) => {
                Shape::ReturnsFuture { boxed: true }
            }
            _ => Shape::Sync,
        }
    }

    /// The body as an expression: an `async move` block (`Async`), else a closure returning the
    /// declared value, or the future or stream the function returns.
    fn body_expr(&self, shape: Shape) -> TokenStream {
        let body = &self.statements;
        let pin = self.return_type_pin();
        match shape {
            Shape::Async => quote!(async move { #pin #body }),
            _ => quote!(move || { #pin #body }),
        }
    }

    /// A never-taken `return` of the declared type, so `?` and `return` in the body infer;
    /// spanned at the return type, so an inference error points there.
    fn return_type_pin(&self) -> TokenStream {
        let (ty, span) = match &self.sig.output {
            ReturnType::Default => (quote!(()), self.sig.ident.span()),
            ReturnType::Type(_, ty) => {
                let mut ty = (**ty).clone();
                ImplTraitToInfer.visit_type_mut(&mut ty);
                let span = ty.span();
                (ty.into_token_stream(), span)
            }
        };
        quote_spanned! {span=>
            #[allow(
                unknown_lints, unreachable_code, clippy::diverging_sub_expression,
                clippy::empty_loop, clippy::let_unit_value, clippy::let_with_type_underscore,
                clippy::needless_return, clippy::unreachable
            )]
            if false {
                let __obs_return_type: #ty = loop {};
                return __obs_return_type;
            }
        }
    }

    /// The `Output` of an `impl Future<Output = T>` return type, with any `impl Trait` inside
    /// it made `_` (a turbofish takes no `impl`), and where it is written; `None` for other
    /// return types.
    fn future_output(&self) -> Option<(TokenStream, proc_macro2::Span)> {
        let ReturnType::Type(_, ty) = &self.sig.output else {
            return None;
        };
        let mut ty = (**ty).clone();
        while let Type::Paren(p) = ty {
            ty = *p.elem;
        }
        let Type::ImplTrait(it) = ty else {
            return None;
        };
        let mut output = it.bounds.iter().find_map(|bound| match bound {
            TypeParamBound::Trait(t) if bound_is_future(bound) => {
                match &t.path.segments.last()?.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
                        GenericArgument::AssocType(b) if b.ident == "Output" => Some(b.ty.clone()),
                        _ => None,
                    }),
                    _ => None,
                }
            }
            _ => None,
        })?;
        let span = output.span();
        ImplTraitToInfer.visit_type_mut(&mut output);
        Some((output.into_token_stream(), span))
    }

    /// The function with `new_body` (the tokens inside the braces, after the body's inner
    /// attributes) in place of its body, and `attrs` kept.
    pub fn with_body(&self, new_body: TokenStream) -> TokenStream {
        let Self {
            attrs,
            vis,
            sig,
            inner_attrs,
            ..
        } = self;
        quote! {
            #(#attrs)*
            #vis #sig {
                #inner_attrs
                #new_body
            }
        }
    }

    /// The function as written: what is emitted beside an error, so nothing cascades.
    pub fn unchanged(&self) -> TokenStream {
        self.with_body(self.statements.clone())
    }

    /// The names of the function's simple (`ident: Type`) parameters, `self` included.
    pub fn param_names(&self) -> Vec<syn::Ident> {
        let mut names = Vec::new();
        for input in &self.sig.inputs {
            match input {
                syn::FnArg::Receiver(r) => {
                    names.push(syn::Ident::new("self", r.self_token.span));
                }
                syn::FnArg::Typed(pat) => collect_idents(&pat.pat, &mut names),
            }
        }
        names
    }
}

/// The function with `layer` around its body, for its `shape`; `p` is the runtime's
/// `__private` path.
pub fn wrap(func: &Function, shape: Shape, layer: &Layer, p: &TokenStream) -> TokenStream {
    let Layer {
        items,
        start,
        site,
        hook,
        span,
        settle,
        after,
        item_hook,
    } = layer;
    let body = func.body_expr(shape);
    let pending = quote!(#p::Call::pending_with(#site, __obs_hook));
    // The step after the body runs inside the observed call, so the call is classified by what
    // the caller gets (an audit failure returned as the function's error counts as an error).
    let then = |value: TokenStream| match after {
        Some(after) => quote!({ let __obs_result = #value; #after }),
        None => value,
    };
    let run = match shape {
        Shape::Sync => {
            let body = match after {
                Some(_) => {
                    let done = then(quote!((#body)()));
                    quote!(move || #done)
                }
                None => body,
            };
            quote!(#p::observe_sync(#site, __obs_hook, __obs_span, #body, #settle))
        }
        Shape::Async => {
            let body = match after {
                Some(_) => {
                    let done = then(quote!(#body.await));
                    quote!(async move #done)
                }
                None => body,
            };
            quote!(#p::ObservedFuture::new(#body, #pending, __obs_span, #settle).await)
        }
        Shape::ReturnsFuture { boxed } => {
            let inner = match after {
                Some(_) => {
                    let done = then(quote!(__obs_future.await));
                    quote!(async move #done)
                }
                None => quote!(__obs_future),
            };
            let future = quote!(#p::ObservedFuture::new(#inner, #pending, __obs_span, #settle));
            let future = if boxed {
                quote!(::std::boxed::Box::pin(#future))
            } else {
                future
            };
            // State the declared `Output` before the future is classified, so a body such as
            // `async move { Ok(x) }` gets its error type from the signature, not from `settle`.
            let declared = func.future_output().map(|(output, span)| {
                // Spanned at the declared `Output`: a body of another type is reported there.
                let p = respanned(p, span);
                quote_spanned!(span=> let __obs_future = #p::with_output::<#output, _>(__obs_future);)
            });
            quote! {
                let __obs_future = { let _entered = __obs_span.enter(); (#body)() };
                #declared
                #future
            }
        }
        Shape::Stream => {
            // The items' own outcome (a `Result` item that is `Err` ends the call as `error`),
            // chosen by the item type; then the macro's hook, if any.
            let classify = quote! {{
                #[allow(unused_imports)]
                use #p::{ItemsErr as _, ItemsErrDebug as _, ItemsErrDisplay as _, ItemsOther as _};
                (&&&#p::ItemProbe::of(&__obs_stream)).obs_item_hook()
            }};
            let item_hooks = match item_hook {
                Some(item_hook) => quote!((#classify, #item_hook)),
                None => classify,
            };
            quote! {
                let __obs_stream = { let _entered = __obs_span.enter(); (#body)() };
                let __obs_items = #item_hooks;
                #p::ObservedStream::with_item_hook(__obs_stream, #pending, __obs_span, __obs_items)
            }
        }
    };
    func.with_body(quote! {
        #items
        let __obs_span = #span;
        #start
        let __obs_hook = #hook;
        #run
    })
}

fn collect_idents(pat: &syn::Pat, out: &mut Vec<syn::Ident>) {
    match pat {
        syn::Pat::Ident(p) => out.push(p.ident.clone()),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| collect_idents(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| collect_idents(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| collect_idents(&f.pat, out)),
        syn::Pat::Reference(r) => collect_idents(&r.pat, out),
        syn::Pat::Type(t) => collect_idents(&t.pat, out),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| collect_idents(p, out)),
        _ => {}
    }
}

/// Replaces every `impl Trait` with `_`, which a `let` type may contain.
struct ImplTraitToInfer;

impl VisitMut for ImplTraitToInfer {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(it) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: syn::Token![_](it.impl_token.span),
            });
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

/// `impl Future<...>` (possibly `+ Send + 'a`).
fn is_impl_future(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(it) => it.bounds.iter().any(bound_is_future),
        Type::Paren(p) => is_impl_future(&p.elem),
        _ => false,
    }
}

/// `Pin<Box<dyn Future<...> + ...>>`, as `#[async_trait]` writes it.
fn is_boxed_dyn_future(ty: &Type) -> bool {
    let Some(pin) = last_segment(ty, "Pin") else {
        return false;
    };
    let Some(Type::Path(boxed)) = first_type_arg(&pin.arguments) else {
        return false;
    };
    let Some(box_seg) = boxed.path.segments.last().filter(|s| s.ident == "Box") else {
        return false;
    };
    matches!(
        first_type_arg(&box_seg.arguments),
        Some(Type::TraitObject(obj)) if obj.bounds.iter().any(bound_is_future)
    )
}

/// `impl Stream<...>`, for `#[observed(stream)]`.
pub fn is_impl_stream(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(it) => it.bounds.iter().any(|b| match b {
            TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Stream"),
            _ => false,
        }),
        Type::Paren(p) => is_impl_stream(&p.elem),
        _ => false,
    }
}

fn bound_is_future(bound: &TypeParamBound) -> bool {
    match bound {
        TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Future"),
        _ => false,
    }
}

fn last_segment<'a>(ty: &'a Type, name: &str) -> Option<&'a syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().filter(|s| s.ident == name),
        _ => None,
    }
}

fn first_type_arg(args: &PathArguments) -> Option<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Function, Layer, Shape, wrap};
    use quote::quote;

    fn layer(after: Option<proc_macro2::TokenStream>) -> Layer {
        Layer {
            items: quote!(
                static SITE: u8 = 0;
            ),
            start: quote!(let captured = 1;),
            site: quote!(None),
            hook: quote!(p::NoHook),
            span: quote!(p::span()),
            settle: quote!(|_, _, _| p::Outcome::Ok),
            after,
            item_hook: None,
        }
    }

    /// Every shape, with and without a step after the body, emits one well-formed function whose
    /// body starts with the inner attributes, then the layer's items and start statements.
    #[test]
    fn every_shape_wraps_into_one_function() {
        let functions = [
            (
                quote!(
                    fn f(x: u32) -> u32 {
                        #![allow(unused)]
                        x
                    }
                ),
                Shape::Sync,
            ),
            (
                quote!(
                    async fn f(x: u32) -> u32 {
                        #![allow(unused)]
                        x
                    }
                ),
                Shape::Async,
            ),
            (
                quote!(
                    fn f() -> impl Future<Output = u32> {
                        #![allow(unused)]
                        async { 1 }
                    }
                ),
                Shape::ReturnsFuture { boxed: false },
            ),
            (
                quote!(
                    fn f() -> Pin<Box<dyn Future<Output = u32> + Send>> {
                        Box::pin(async { 1 })
                    }
                ),
                Shape::ReturnsFuture { boxed: true },
            ),
            (
                quote!(
                    fn f() -> impl Stream<Item = u32> {
                        #![allow(unused)]
                        stream()
                    }
                ),
                Shape::Stream,
            ),
        ];
        for (tokens, shape) in functions {
            let func: Function = syn::parse2(tokens.clone()).unwrap();
            assert_eq!(func.shape(shape == Shape::Stream), shape, "{tokens}");
            let afters = if shape == Shape::Stream {
                vec![None]
            } else {
                vec![None, Some(quote!(commit(__obs_result)))]
            };
            for after in afters {
                let has_after = after.is_some();
                let out = wrap(&func, shape, &layer(after), &quote!(p));
                let item: syn::ItemFn =
                    syn::parse2(out.clone()).unwrap_or_else(|e| panic!("{e}: {out}"));
                let body = quote!(#item).to_string();
                let first = body.find("static SITE").unwrap();
                if let Some(inner) = body.find("# ! [allow (unused)]") {
                    assert!(inner < first, "{body}");
                }
                assert!(body.find("let captured").unwrap() > first, "{body}");
                assert_eq!(body.contains("commit (__obs_result)"), has_after, "{body}");
            }
        }
    }
}
