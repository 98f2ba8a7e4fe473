//! The one error accumulator every macro reports through, so a build shows every problem at once.
//!
//! As serde's `Ctxt`, it panics if dropped without [`Errors::finish`]: no path can collect an
//! error and then forget to report it. darling's errors are taken in as `syn` errors, each with
//! its own span.

use std::fmt::Display;

use proc_macro2::Span;

/// Errors collected across the parse and validate stages of one macro invocation.
#[derive(Default)]
pub struct Errors {
    collected: Option<syn::Error>,
    finished: bool,
}

impl Errors {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// An error at `span`.
    pub fn push(&mut self, span: Span, message: impl Display) {
        self.add(syn::Error::new(span, message));
    }

    /// An error over all of `tokens` (a `Span` alone covers only their first token on stable).
    pub fn push_spanned(&mut self, tokens: impl quote::ToTokens, message: impl Display) {
        self.add(syn::Error::new_spanned(tokens, message));
    }

    /// A `syn` error, or a `darling` one (which may hold several).
    pub fn add(&mut self, error: impl Into<syn::Error>) {
        let error = error.into();
        match &mut self.collected {
            Some(all) => all.combine(error),
            None => self.collected = Some(error),
        }
    }

    /// The value of `result`, or `None` with its error collected.
    pub fn handle<T, E: Into<syn::Error>>(&mut self, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(e)).ok()
    }

    /// `Ok` when nothing was collected, else every error as one `syn::Error`.
    pub fn finish(mut self) -> syn::Result<()> {
        self.finished = true;
        self.collected.take().map_or(Ok(()), Err)
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() {
            panic!("obs-macros: an error accumulator was dropped without `finish`");
        }
    }
}
