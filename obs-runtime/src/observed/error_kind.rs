//! Bounded error kinds: a label for errors whose cardinality is known at compile time.

/// An error type whose values fall into a fixed set of kinds, for the `error_kind` option of
/// `#[observed]`. `#[derive(ErrorKind)]` implements it for enums: one kind per variant, named in
/// snake_case.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `ErrorKind`, which `#[observed(error_kind)]` needs to count errors by kind",
    label = "needs `{Self}: ErrorKind`",
    note = "for an enum, add `#[derive(obs_runtime::ErrorKind)]` (one kind per variant); for another type, implement `obs_runtime::ErrorKind` by hand, or remove `error_kind`"
)]
pub trait ErrorKind {
    /// Every kind, in index order.
    const KINDS: &'static [&'static str];
    /// Index of this error's kind in [`ErrorKind::KINDS`].
    fn kind_index(&self) -> usize;
    /// This error's kind.
    fn kind(&self) -> &'static str {
        Self::KINDS
            .get(self.kind_index())
            .copied()
            .unwrap_or("unknown")
    }
}

impl ErrorKind for std::io::Error {
    const KINDS: &'static [&'static str] = &[
        "not_found",
        "permission_denied",
        "connection_refused",
        "connection_reset",
        "timed_out",
        "interrupted",
        "invalid_input",
        "invalid_data",
        "unexpected_eof",
        "other",
    ];
    fn kind_index(&self) -> usize {
        use std::io::ErrorKind as K;
        match std::io::Error::kind(self) {
            K::NotFound => 0,
            K::PermissionDenied => 1,
            K::ConnectionRefused => 2,
            K::ConnectionReset => 3,
            K::TimedOut => 4,
            K::Interrupted => 5,
            K::InvalidInput => 6,
            K::InvalidData => 7,
            K::UnexpectedEof => 8,
            _ => 9,
        }
    }
}
