//! Runtime of `#[observed]`: per-function call sites, the call guard, the future and stream
//! wrappers, outcome classification and the framework families.

mod callsite;
mod classify;
mod error_kind;
mod families;
mod future;

pub use callsite::{Call, CallHook, CallSite, CallSiteSnapshot, NoHook, Outcome};
pub use classify::{
    ErrorProbe, OtherOutcome, Probe, RecordDebug, RecordDisplay, RecordNothing, ResultOutcome,
    error_kind_of,
};
pub use error_kind::ErrorKind;
pub use families::framework_families;
pub use future::{ObservedFuture, ObservedStream};
