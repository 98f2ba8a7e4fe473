//! How a stream's items decide its call's outcome, by item type as for return values (see
//! `outcome.rs`): in a stream of `Result`s, the first `Err` item ends the call as `error` and is
//! recorded on the span (`error` with `Display` when the error has it, else with `Debug`, and
//! `otel.status_code = "ERROR"`); a stream of any other item type, or whose item type is generic
//! where the function is defined, is observed as before, `ok` when it ends.
//!
//! Picked at the annotated function by method lookup on references (autoref specialization):
//!
//! ```text
//! use __private::{ItemsErrDisplay as _, ItemsErrDebug as _, ItemsErr as _, ItemsOther as _};
//! let items = (&&&ItemProbe::of(&stream)).obs_item_hook();
//! ObservedStream::with_item_hook(stream, call, span, items)
//! ```

use std::fmt::{Debug, Display};
use std::marker::PhantomData;

use futures_core::Stream;
use tracing::Span;

use super::stream::{ItemHook, NoItemHook};

/// Names a stream's item type for [`ItemsErrDisplay`] and its fallbacks.
pub struct ItemProbe<T>(PhantomData<fn() -> T>);

impl<T> ItemProbe<T> {
    /// The probe of `stream`'s item type.
    #[inline(always)]
    pub fn of<S: Stream<Item = T>>(stream: &S) -> Self {
        let _ = stream;
        Self(PhantomData)
    }
}

impl<T> std::fmt::Debug for ItemProbe<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemProbe")
    }
}

/// The item hook of a stream of `Result`s: fails the call at the first `Err`, recording it on
/// the span as `R` says ([`ErrDisplay`], [`ErrDebug`] or [`ErrStatus`]).
pub struct ResultItems<R>(PhantomData<R>);

impl<R> std::fmt::Debug for ResultItems<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResultItems")
    }
}

/// Records an `Err` item's error with `Display`.
#[derive(Debug)]
pub enum ErrDisplay {}
/// Records an `Err` item's error with `Debug`.
#[derive(Debug)]
pub enum ErrDebug {}
/// Records only the span status of an `Err` item.
#[derive(Debug)]
pub enum ErrStatus {}

/// When `item` is `Err`: records it on `span` with `record` and the error status, and is `true`.
#[inline]
fn fail_on_err<T, E>(item: &Result<T, E>, span: &Span, record: impl FnOnce(&E)) -> bool {
    let Err(e) = item else { return false };
    record(e);
    span.record("otel.status_code", "ERROR");
    true
}

impl<T, E: Display> ItemHook<Result<T, E>> for ResultItems<ErrDisplay> {
    const TIMED: bool = false;
    #[inline]
    fn fails(&mut self, item: &Result<T, E>, span: &Span) -> bool {
        fail_on_err(item, span, |e| {
            span.record("error", tracing::field::display(e));
        })
    }
}

impl<T, E: Debug> ItemHook<Result<T, E>> for ResultItems<ErrDebug> {
    const TIMED: bool = false;
    #[inline]
    fn fails(&mut self, item: &Result<T, E>, span: &Span) -> bool {
        fail_on_err(item, span, |e| {
            span.record("error", tracing::field::debug(e));
        })
    }
}

impl<T, E> ItemHook<Result<T, E>> for ResultItems<ErrStatus> {
    const TIMED: bool = false;
    #[inline]
    fn fails(&mut self, item: &Result<T, E>, span: &Span) -> bool {
        fail_on_err(item, span, |_| {})
    }
}

/// Items that are `Result`s whose error is `Display`.
pub trait ItemsErrDisplay {
    /// The item hook for this item type.
    fn obs_item_hook(&self) -> ResultItems<ErrDisplay>;
}

impl<T, E: Display> ItemsErrDisplay for &&ItemProbe<Result<T, E>> {
    #[inline(always)]
    fn obs_item_hook(&self) -> ResultItems<ErrDisplay> {
        ResultItems(PhantomData)
    }
}

/// Items that are `Result`s whose error is only `Debug`.
pub trait ItemsErrDebug {
    /// The item hook for this item type.
    fn obs_item_hook(&self) -> ResultItems<ErrDebug>;
}

impl<T, E: Debug> ItemsErrDebug for &&&ItemProbe<Result<T, E>> {
    #[inline(always)]
    fn obs_item_hook(&self) -> ResultItems<ErrDebug> {
        ResultItems(PhantomData)
    }
}

/// Items that are `Result`s whose error is neither `Display` nor `Debug`.
pub trait ItemsErr {
    /// The item hook for this item type.
    fn obs_item_hook(&self) -> ResultItems<ErrStatus>;
}

impl<T, E> ItemsErr for &ItemProbe<Result<T, E>> {
    #[inline(always)]
    fn obs_item_hook(&self) -> ResultItems<ErrStatus> {
        ResultItems(PhantomData)
    }
}

/// Items of any other type: no hook.
pub trait ItemsOther {
    /// The item hook for this item type.
    fn obs_item_hook(&self) -> NoItemHook;
}

impl<T> ItemsOther for ItemProbe<T> {
    #[inline(always)]
    fn obs_item_hook(&self) -> NoItemHook {
        NoItemHook
    }
}
