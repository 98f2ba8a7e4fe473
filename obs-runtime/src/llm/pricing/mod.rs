//! The cost of a call in US dollars, from a pricing table loaded from TOML or JSON.
//!
//! # The table
//!
//! ```toml
//! valid_from = 2026-11-01          # the date the prices were read (TOML date or "YYYY-MM-DD")
//!
//! [models.anthropic.claude-x]      # provider, then model; quote names with dots: "gpt-4.1"
//! input = 3.0                      # US dollars per million fresh input tokens (required)
//! output = 15.0                    # per million output tokens (required)
//! cache_read = 0.3                 # per million input tokens read from the cache
//! cache_write = 3.75               # per million input tokens written to the cache
//! reasoning = 15.0                 # per million reasoning tokens; absent: priced as output
//!
//! [[models.anthropic.claude-x.tiers]]
//! above_input_tokens = 200000      # long-context pricing: the whole call, when input > 200000
//! input = 6.0
//! output = 22.5
//! cache_read = 0.6
//! cache_write = 7.5
//! ```
//!
//! The JSON form has the same structure (`{"valid_from": "2026-11-01", "models": {"anthropic":
//! {"claude-x": {"input": 3.0, ..., "tiers": [{"above_input_tokens": 200000, ...}]}}}}`). A tier
//! is a full set of prices with the same rules as the base; tiers must have strictly increasing
//! thresholds, and the highest one whose threshold the call's input tokens (cache included, as
//! [`Usage::input`]) exceed applies to the whole call. Unknown keys are errors, so a typo cannot
//! silently leave a price out.
//!
//! # Pricing a [`Usage`]
//!
//! Each token is priced once, by its kind ([`TokenKind`]): fresh input ([`Usage::fresh_input`])
//! at `input`, cache reads at `cache_read`, cache writes at `cache_write`, output excluding
//! reasoning at `output`, reasoning at `reasoning` (or `output`). An absent cache or reasoning
//! count means none (all input is fresh, all output visible). A missing input or output count
//! prices nothing for that kind, and so does a non-zero cache count whose price the entry lacks:
//! the kind is listed in [`Cost::unpriced`] and the cost is partial ([`Cost::is_partial`]); a
//! kind left unpriced for want of a price (not of a count) is also in [`Cost::no_price`], which
//! `#[llm_call]` counts in `obs_llm_partially_priced_calls_total` while recording the known part.
//! A model without an entry has no cost at all: [`Pricing::cost`] returns `None`, never 0.
//!
//! # Dated model ids
//!
//! Providers pin versions with a date in the model id, and answer with it:
//! `gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`. A model with no entry of its own whose id
//! ends in a date, `-YYYY-MM-DD` or `-YYYYMMDD` (a real calendar day), is priced by the entry of
//! the id without that suffix (`gpt-4o`, `claude-sonnet-4-5`). Nothing looser: no other suffix
//! is dropped and no prefix is matched, so `gpt-4o-mini` is never priced as `gpt-4o`, and a
//! dated id whose price differs from the undated one gets an entry of its own, which wins.
//!
//! # The bundled table
//!
//! [`Pricing::bundled`] is a dated table shipped as a data file (`data/pricing.toml` in this
//! crate), not as code: standard API prices of commonly used OpenAI, Anthropic and Gemini models,
//! each provider's entries with a comment naming the public pages they were read from. Prices
//! change, so treat it as a starting point: override entries with your own table through
//! [`Pricing::merge`], or use only your own ([`Pricing::from_path`]) and never call `bundled`.
//!
//! ```
//! use obs_runtime::llm::Pricing;
//!
//! let mut pricing = Pricing::bundled();
//! pricing.merge(Pricing::from_toml_str(r#"
//!     valid_from = 2030-01-01
//!     [models.openai.my-finetune]
//!     input = 3.0
//!     output = 12.0
//! "#)?);
//! assert!(pricing.get("openai", "my-finetune").is_some());
//! assert!(pricing.get("anthropic", "claude-haiku-4-5").is_some());
//! # Ok::<(), obs_runtime::llm::PricingError>(())
//! ```

mod cost;
mod error;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use super::usage::Usage;
use parse::toml_to_json;

pub use cost::{Cost, TokenKind, TokenKinds};
pub use error::{PricingError, Problem};
pub use parse::PriceDate;

/// A pricing table: prices per provider and model, and the date they were valid from.
#[derive(Clone, Debug, PartialEq)]
pub struct Pricing {
    valid_from: PriceDate,
    models: HashMap<String, HashMap<String, ModelPrice>>,
}

/// The prices of one model: base prices and optional prompt-size tiers.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelPrice {
    base: Prices,
    tiers: Vec<Tier>,
}

/// US dollars per million tokens of each kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prices {
    /// Fresh (non-cached) input tokens.
    pub input: f64,
    /// Output tokens other than reasoning.
    pub output: f64,
    /// Input tokens read from the cache; `None`: the model has no price for them.
    pub cache_read: Option<f64>,
    /// Input tokens written to the cache ([`Usage::cache_creation`]); `None`: no price for them.
    pub cache_write: Option<f64>,
    /// Reasoning tokens; `None`: priced as [`output`](Prices::output).
    pub reasoning: Option<f64>,
}

/// Prices that apply to a whole call whose input tokens exceed a threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    /// The tier applies when the call's input tokens are strictly above this.
    pub above_input_tokens: u64,
    /// The prices of the tier.
    pub prices: Prices,
}

/// The bundled table's text: `data/pricing.toml`.
const BUNDLED: &str = include_str!("../../../data/pricing.toml");

impl Pricing {
    /// The table bundled with the crate (see [the bundled table](self#the-bundled-table)), parsed
    /// on first use.
    pub fn bundled() -> Pricing {
        static TABLE: OnceLock<Pricing> = OnceLock::new();
        TABLE
            .get_or_init(|| {
                // The file ships with the crate and a test parses it, so this cannot fail at run
                // time unless the crate itself is broken.
                Pricing::from_toml_str(BUNDLED).expect("the bundled pricing table parses")
            })
            .clone()
    }

    /// Parses a table in TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, PricingError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| PricingError::Syntax {
            format: "TOML",
            message: e.message().to_owned(),
            line: e
                .span()
                .map(|span| text[..span.start].matches('\n').count() + 1),
        })?;
        Self::from_value(&toml_to_json(toml::Value::Table(table)))
    }

    /// Parses a table in JSON.
    pub fn from_json_str(text: &str) -> Result<Self, PricingError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PricingError::Syntax {
            format: "JSON",
            message: e.to_string(),
            line: Some(e.line()),
        })?;
        Self::from_value(&value)
    }

    /// Reads a table from a `.toml` or `.json` file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, PricingError> {
        let path = path.as_ref();
        let extension = path.extension().and_then(|e| e.to_str());
        if !matches!(extension, Some("toml" | "json")) {
            return Err(PricingError::UnknownFormat {
                path: path.to_owned(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| PricingError::Io {
            path: path.to_owned(),
            source,
        })?;
        match extension {
            Some("toml") => Self::from_toml_str(&text),
            _ => Self::from_json_str(&text),
        }
    }

    /// The date the prices were valid from.
    pub fn valid_from(&self) -> PriceDate {
        self.valid_from
    }

    /// The prices of a model, if the table has them: its own entry, else, for a dated model id
    /// (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`), the entry of the name without its
    /// date (see [dated model ids](self#dated-model-ids)).
    pub fn get(&self, provider: &str, model: &str) -> Option<&ModelPrice> {
        let models = self.models.get(provider)?;
        models.get(model).or_else(|| models.get(undated(model)?))
    }

    /// Takes every entry of `overrides`, replacing whole entries of the same provider and model;
    /// the table's date becomes the later of the two.
    pub fn merge(&mut self, overrides: Pricing) {
        self.valid_from = self.valid_from.max(overrides.valid_from);
        for (provider, models) in overrides.models {
            self.models.entry(provider).or_default().extend(models);
        }
    }

    /// The cost of a call, or `None` when the table has no price for the model.
    pub fn cost(&self, provider: &str, model: &str, usage: &Usage) -> Option<Cost> {
        Some(self.get(provider, model)?.cost(usage))
    }
}

impl ModelPrice {
    /// The base prices.
    pub fn base(&self) -> &Prices {
        &self.base
    }

    /// The tiers, by increasing threshold.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The prices for a call with this many input tokens: the highest tier it exceeds, else the
    /// base (also when the count is unknown).
    pub fn prices_for(&self, input_tokens: Option<u64>) -> &Prices {
        let Some(input) = input_tokens else {
            return &self.base;
        };
        self.tiers
            .iter()
            .rev()
            .find(|tier| input > tier.above_input_tokens)
            .map_or(&self.base, |tier| &tier.prices)
    }

    /// The cost of a call (see the [module docs](self) for the rule).
    pub fn cost(&self, usage: &Usage) -> Cost {
        let prices = self.prices_for(usage.input);
        let mut unpriced = TokenKinds::default();
        let mut no_price = TokenKinds::default();
        let mut known = |kind, count: Option<u64>, price: f64| match count {
            Some(count) => dollars(count, price),
            None => {
                unpriced.insert(kind);
                0.0
            }
        };
        let input = known(TokenKind::Input, usage.fresh_input(), prices.input);
        let output = known(
            TokenKind::Output,
            usage.output_excluding_reasoning(),
            prices.output,
        );
        let reasoning = dollars(
            usage.reasoning.unwrap_or(0),
            prices.reasoning.unwrap_or(prices.output),
        );
        let mut optional =
            |kind, count: Option<u64>, price: Option<f64>| match (count.unwrap_or(0), price) {
                (0, _) => 0.0,
                (count, Some(price)) => dollars(count, price),
                (_, None) => {
                    unpriced.insert(kind);
                    no_price.insert(kind);
                    0.0
                }
            };
        let cache_read = optional(TokenKind::CacheRead, usage.cache_read, prices.cache_read);
        let cache_creation = optional(
            TokenKind::CacheCreation,
            usage.cache_creation,
            prices.cache_write,
        );
        Cost {
            input,
            cache_read,
            cache_creation,
            output,
            reasoning,
            unpriced,
            no_price,
        }
    }
}

/// `model` without a trailing date, `-YYYY-MM-DD` or `-YYYYMMDD` (a real calendar day), if it
/// ends in one after a name.
fn undated(model: &str) -> Option<&str> {
    let split = |date_len: usize| {
        let at = model.len().checked_sub(date_len + 1)?;
        let (name, date) = (model.get(..at)?, model.get(at..)?.strip_prefix('-')?);
        Some((name, date)).filter(|_| !name.is_empty())
    };
    if let Some((name, date)) = split(10)
        && PriceDate::parse(date).is_some()
    {
        return Some(name);
    }
    let (name, date) = split(8)?;
    let date = date.as_bytes();
    let mut iso = *b"YYYY-MM-DD";
    iso[..4].copy_from_slice(&date[..4]);
    iso[5..7].copy_from_slice(&date[4..6]);
    iso[8..].copy_from_slice(&date[6..]);
    // `PriceDate::parse` checks that the copied bytes are digits.
    let iso = std::str::from_utf8(&iso).ok()?;
    PriceDate::parse(iso).map(|_| name)
}

/// The price of `count` tokens at `per_million` dollars per million.
fn dollars(count: u64, per_million: f64) -> f64 {
    count as f64 * per_million / 1_000_000.0
}
