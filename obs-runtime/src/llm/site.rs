//! The `static` of one `#[llm_call]` function: its operation and provider (literals), and the
//! rows of the models it was called with, so that after a model's first call finding its row is
//! one lock-free intern lookup.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::rows::{self, Row};
use crate::metrics::Interner;

/// Most distinct models one annotated function records apart; calls with further models are
/// recorded under the model [`OVERFLOW_VALUE`](crate::metrics::OVERFLOW_VALUE).
pub const MODELS_PER_SITE: usize = 64;

/// One `#[llm_call]` function's state. Created by the macro as a `static`.
#[derive(Debug)]
pub struct LlmSite {
    /// `gen_ai.operation.name`.
    pub operation: &'static str,
    /// `gen_ai.provider.name`.
    pub provider: &'static str,
    models: OnceLock<Interner>,
    rows: [OnceLock<&'static Row>; MODELS_PER_SITE + 1],
    /// The slot of the model last called with, plus one (0: none): most functions call one
    /// model most of the time, and comparing it is cheaper than hashing.
    last: AtomicUsize,
}

impl LlmSite {
    /// The site of a function calling `provider` for `operation`.
    pub const fn new(operation: &'static str, provider: &'static str) -> Self {
        Self {
            operation,
            provider,
            models: OnceLock::new(),
            rows: [const { OnceLock::new() }; MODELS_PER_SITE + 1],
            last: AtomicUsize::new(0),
        }
    }

    /// The row `model`'s calls record into.
    #[inline]
    pub(crate) fn row(&'static self, model: &str) -> &'static Row {
        let last = self.last.load(Ordering::Relaxed);
        if let Some(row) = last.checked_sub(1).and_then(|slot| self.rows[slot].get())
            && *row.model == *model
        {
            return row;
        }
        self.find(model)
    }

    #[inline(never)]
    fn find(&'static self, model: &str) -> &'static Row {
        let models = self.models.get_or_init(|| Interner::new(MODELS_PER_SITE));
        let index = models.intern(model);
        let slot = index.min(MODELS_PER_SITE);
        let row = self.rows[slot]
            .get_or_init(|| rows::row(self.operation, self.provider, models.value(index)));
        self.last.store(slot + 1, Ordering::Relaxed);
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::OVERFLOW_VALUE;

    #[test]
    fn models_past_the_cap_share_the_overflow_row() {
        static SITE: LlmSite = LlmSite::new("chat", "site_test");
        let first = SITE.row("model-0");
        assert_eq!(&*first.model, "model-0");
        assert!(std::ptr::eq(first, SITE.row("model-0")));
        for i in 1..MODELS_PER_SITE {
            SITE.row(&format!("model-{i}"));
        }
        let over = SITE.row("one-too-many");
        assert_eq!(&*over.model, OVERFLOW_VALUE);
        assert!(std::ptr::eq(over, SITE.row("and-another")));
    }
}
