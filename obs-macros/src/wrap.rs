//! The one function-wrapping mechanism the attribute macros share.
//!
//! A function is parsed as attributes, visibility, signature and an *unparsed* brace-delimited
//! body, so a body with a syntax error is emitted as written and the user sees rustc's error in
//! their own code. The body is re-emitted inside a closure (sync), an `async move` block
//! (`async fn`), or left as the expression producing the future or stream a function returns;
//! `return` and `?` keep working because that closure or block is what they return from, and a
//! never-taken `return` of the declared type (with `impl Trait` replaced by `_`) pins its type for
//! inference.

use proc_macro2::{Group, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, GenericArgument, PathArguments, ReturnType, Signature, Type, TypeParamBound};

/// A function with a body: a free function, a method in an `impl`, or a provided trait method.
pub struct Function {
    pub attrs: Vec<Attribute>,
    pub vis: syn::Visibility,
    pub sig: Signature,
    pub body: Group,
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
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
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
}

impl Function {
    /// How the body relates to the work to observe.
    pub fn shape(&self) -> Shape {
        if self.sig.asyncness.is_some() {
            return Shape::Async;
        }
        match &self.sig.output {
            ReturnType::Type(_, ty) if is_impl_future(ty) => Shape::ReturnsFuture { boxed: false },
            ReturnType::Type(_, ty) if is_boxed_dyn_future(ty) => {
                Shape::ReturnsFuture { boxed: true }
            }
            _ => Shape::Sync,
        }
    }

    /// The body as an expression evaluating to the declared return value (`Sync`), the output
    /// future's code (`Async`, an `async move` block), or the future or stream the function
    /// returns (`ReturnsFuture`, or a sync function returning a stream).
    pub fn body_expr(&self) -> TokenStream {
        let body = self.body.stream();
        let pin = self.return_type_pin();
        match self.shape() {
            Shape::Async => quote!(async move { #pin #body }),
            _ => quote!(move || { #pin #body }),
        }
    }

    /// A never-taken `return` of the declared type, so `?` and `return` in the body infer.
    fn return_type_pin(&self) -> TokenStream {
        let ty = match &self.sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => {
                let mut ty = (**ty).clone();
                infer_impl_trait(&mut ty);
                ty.into_token_stream()
            }
        };
        quote! {
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

    /// The function with `new_body` (the tokens inside the braces) in place of its body, and
    /// `attrs` kept.
    pub fn with_body(&self, new_body: TokenStream) -> TokenStream {
        let Self {
            attrs, vis, sig, ..
        } = self;
        quote! {
            #(#attrs)*
            #vis #sig {
                #new_body
            }
        }
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

/// Replaces every `impl Trait` in `ty` with `_`, which a `let` type may contain.
fn infer_impl_trait(ty: &mut Type) {
    match ty {
        Type::ImplTrait(it) => {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: syn::Token![_](it.impl_token.span),
            });
        }
        Type::Path(p) => {
            if let Some(q) = &mut p.qself {
                infer_impl_trait(&mut q.ty);
            }
            for seg in &mut p.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for arg in &mut args.args {
                        if let GenericArgument::Type(t) = arg {
                            infer_impl_trait(t);
                        }
                    }
                }
            }
        }
        Type::Reference(r) => infer_impl_trait(&mut r.elem),
        Type::Ptr(p) => infer_impl_trait(&mut p.elem),
        Type::Slice(s) => infer_impl_trait(&mut s.elem),
        Type::Array(a) => infer_impl_trait(&mut a.elem),
        Type::Paren(p) => infer_impl_trait(&mut p.elem),
        Type::Group(g) => infer_impl_trait(&mut g.elem),
        Type::Tuple(t) => t.elems.iter_mut().for_each(infer_impl_trait),
        _ => {}
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
