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
//! the kind is listed in [`Cost::unpriced`] and the cost is partial ([`Cost::is_partial`]).
//! A model without an entry has no cost at all: [`Pricing::cost`] returns `None`, never 0.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::usage::Usage;

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

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriceDate {
    year: u16,
    month: u8,
    day: u8,
}

/// The kinds of token a call is priced by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Fresh (non-cached) input.
    Input,
    /// Input read from the cache.
    CacheRead,
    /// Input written to the cache.
    CacheCreation,
    /// Output other than reasoning.
    Output,
    /// Reasoning output.
    Reasoning,
}

/// A set of [`TokenKind`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TokenKinds(u8);

/// The cost of one call in US dollars, by kind of token.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    /// Fresh input.
    pub input: f64,
    /// Cache reads.
    pub cache_read: f64,
    /// Cache writes.
    pub cache_creation: f64,
    /// Output other than reasoning.
    pub output: f64,
    /// Reasoning.
    pub reasoning: f64,
    /// Kinds left unpriced (count missing, or no price for a non-zero count): they add 0 above.
    pub unpriced: TokenKinds,
}

/// Why a pricing table could not be loaded. Entry errors name the provider, model and field.
#[derive(Debug)]
#[non_exhaustive]
pub enum PricingError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file name ends in neither `.toml` nor `.json`.
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The text is not valid TOML or JSON.
    Syntax {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// The parser's message.
        message: String,
        /// The line (from 1) the parser stopped at, when it says.
        line: Option<usize>,
    },
    /// A top-level field (`valid_from`, `models`, `models.<provider>`) is wrong.
    Document {
        /// The field's path.
        field: String,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A model's entry is wrong.
    Entry {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// The field (`output`, `tiers[1].above_input_tokens`, ...); `None`: the entry itself.
        field: Option<String>,
        /// What is wrong with it.
        problem: Problem,
    },
}

/// What is wrong with a field of a pricing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A required field is absent.
    Missing,
    /// The field is not one the table knows.
    Unknown,
    /// Expected a table (object).
    NotATable,
    /// Expected a list of tables.
    NotAList,
    /// Expected a finite number.
    NotANumber,
    /// A price below zero.
    Negative,
    /// Expected a non-negative integer.
    NotAnInteger,
    /// Expected a date `YYYY-MM-DD`.
    NotADate,
    /// A tier threshold not above the previous tier's.
    NotIncreasing,
}

impl Pricing {
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

    /// The prices of a model, if the table has them.
    pub fn get(&self, provider: &str, model: &str) -> Option<&ModelPrice> {
        self.models.get(provider)?.get(model)
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

    fn from_value(doc: &Value) -> Result<Self, PricingError> {
        let document = |field: &str, problem| PricingError::Document {
            field: field.to_owned(),
            problem,
        };
        let doc = doc
            .as_object()
            .ok_or_else(|| document("(top level)", Problem::NotATable))?;
        if let Some(key) = doc
            .keys()
            .find(|k| !matches!(k.as_str(), "valid_from" | "models"))
        {
            return Err(document(key, Problem::Unknown));
        }
        let valid_from = doc
            .get("valid_from")
            .ok_or_else(|| document("valid_from", Problem::Missing))?;
        let valid_from = valid_from
            .as_str()
            .and_then(PriceDate::parse)
            .ok_or_else(|| document("valid_from", Problem::NotADate))?;
        let providers = doc
            .get("models")
            .ok_or_else(|| document("models", Problem::Missing))?;
        let providers = providers
            .as_object()
            .ok_or_else(|| document("models", Problem::NotATable))?;
        let mut models = HashMap::with_capacity(providers.len());
        for (provider, entries) in providers {
            let entries = entries
                .as_object()
                .ok_or_else(|| document(&format!("models.{provider}"), Problem::NotATable))?;
            let mut parsed = HashMap::with_capacity(entries.len());
            for (model, entry) in entries {
                let price =
                    ModelPrice::parse(entry).map_err(|(field, problem)| PricingError::Entry {
                        provider: provider.clone(),
                        model: model.clone(),
                        field,
                        problem,
                    })?;
                parsed.insert(model.clone(), price);
            }
            models.insert(provider.clone(), parsed);
        }
        Ok(Pricing { valid_from, models })
    }
}

/// A field error inside an entry: the field's path (`None` for the entry itself) and the problem.
type FieldError = (Option<String>, Problem);

const PRICE_FIELDS: [&str; 5] = ["input", "output", "cache_read", "cache_write", "reasoning"];

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
        }
    }

    fn parse(entry: &Value) -> Result<Self, FieldError> {
        let entry = entry.as_object().ok_or((None, Problem::NotATable))?;
        if let Some(key) = entry
            .keys()
            .find(|k| k.as_str() != "tiers" && !PRICE_FIELDS.contains(&k.as_str()))
        {
            return Err((Some(key.clone()), Problem::Unknown));
        }
        let base = Prices::parse(entry, "")?;
        let tiers = match entry.get("tiers") {
            None => Vec::new(),
            Some(tiers) => {
                let tiers = tiers
                    .as_array()
                    .ok_or((Some("tiers".to_owned()), Problem::NotAList))?;
                let mut parsed: Vec<Tier> = Vec::with_capacity(tiers.len());
                for (i, tier) in tiers.iter().enumerate() {
                    let prefix = format!("tiers[{i}].");
                    let tier = tier
                        .as_object()
                        .ok_or((Some(format!("tiers[{i}]")), Problem::NotATable))?;
                    let field = |name: &str| Some(format!("{prefix}{name}"));
                    if let Some(key) = tier.keys().find(|k| {
                        k.as_str() != "above_input_tokens" && !PRICE_FIELDS.contains(&k.as_str())
                    }) {
                        return Err((field(key), Problem::Unknown));
                    }
                    let threshold = tier
                        .get("above_input_tokens")
                        .ok_or((field("above_input_tokens"), Problem::Missing))?;
                    let threshold = threshold
                        .as_u64()
                        .ok_or((field("above_input_tokens"), Problem::NotAnInteger))?;
                    if parsed
                        .last()
                        .is_some_and(|last| threshold <= last.above_input_tokens)
                    {
                        return Err((field("above_input_tokens"), Problem::NotIncreasing));
                    }
                    parsed.push(Tier {
                        above_input_tokens: threshold,
                        prices: Prices::parse(tier, &prefix)?,
                    });
                }
                parsed
            }
        };
        Ok(ModelPrice { base, tiers })
    }
}

impl Prices {
    fn parse(table: &Map<String, Value>, prefix: &str) -> Result<Self, FieldError> {
        let price = |name: &str| -> Result<Option<f64>, FieldError> {
            let Some(value) = table.get(name) else {
                return Ok(None);
            };
            let field = || Some(format!("{prefix}{name}"));
            match value.as_f64() {
                Some(p) if !p.is_finite() => Err((field(), Problem::NotANumber)),
                Some(p) if p < 0.0 => Err((field(), Problem::Negative)),
                Some(p) => Ok(Some(p)),
                None => Err((field(), Problem::NotANumber)),
            }
        };
        let required =
            |name: &str| price(name)?.ok_or((Some(format!("{prefix}{name}")), Problem::Missing));
        Ok(Prices {
            input: required("input")?,
            output: required("output")?,
            cache_read: price("cache_read")?,
            cache_write: price("cache_write")?,
            reasoning: price("reasoning")?,
        })
    }
}

/// The price of `count` tokens at `per_million` dollars per million.
fn dollars(count: u64, per_million: f64) -> f64 {
    count as f64 * per_million / 1_000_000.0
}

/// TOML as JSON, so one reader handles both; dates become `YYYY-MM-DD` strings, and non-finite
/// floats (which JSON cannot hold) `null`, which the reader rejects as not a number.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

impl PriceDate {
    /// Parses `YYYY-MM-DD`, a real calendar date.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let digits = &text[range];
            digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse().ok())?
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&day).then_some(PriceDate {
            year,
            month: month as u8,
            day: day as u8,
        })
    }
}

impl fmt::Display for PriceDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TokenKind {
    /// Every kind, in a fixed order.
    pub const ALL: [TokenKind; 5] = [
        TokenKind::Input,
        TokenKind::CacheRead,
        TokenKind::CacheCreation,
        TokenKind::Output,
        TokenKind::Reasoning,
    ];

    /// The kind as a label value: `input`, `cache_read`, `cache_creation`, `output`, `reasoning`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Input => "input",
            TokenKind::CacheRead => "cache_read",
            TokenKind::CacheCreation => "cache_creation",
            TokenKind::Output => "output",
            TokenKind::Reasoning => "reasoning",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl TokenKinds {
    /// Adds a kind.
    pub fn insert(&mut self, kind: TokenKind) {
        self.0 |= kind.bit();
    }

    /// Whether the set holds `kind`.
    pub fn contains(self, kind: TokenKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`TokenKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = TokenKind> {
        TokenKind::ALL
            .into_iter()
            .filter(move |kind| self.contains(*kind))
    }
}

impl Cost {
    /// The sum over every kind.
    pub fn total(&self) -> f64 {
        self.input + self.cache_read + self.cache_creation + self.output + self.reasoning
    }

    /// Whether some kind went unpriced, so [`total`](Cost::total) is a lower bound.
    pub fn is_partial(&self) -> bool {
        !self.unpriced.is_empty()
    }

    /// The cost of each kind, in [`TokenKind::ALL`] order.
    pub fn by_kind(&self) -> [(TokenKind, f64); 5] {
        [
            (TokenKind::Input, self.input),
            (TokenKind::CacheRead, self.cache_read),
            (TokenKind::CacheCreation, self.cache_creation),
            (TokenKind::Output, self.output),
            (TokenKind::Reasoning, self.reasoning),
        ]
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Missing => "missing",
            Problem::Unknown => "unknown field",
            Problem::NotATable => "not a table",
            Problem::NotAList => "not a list of tables",
            Problem::NotANumber => "not a finite number",
            Problem::Negative => "a negative price",
            Problem::NotAnInteger => "not a non-negative integer",
            Problem::NotADate => "not a date YYYY-MM-DD",
            Problem::NotIncreasing => "not above the previous tier's threshold",
        })
    }
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PricingError::Io { path, .. } => {
                write!(f, "cannot read pricing table {}", path.display())
            }
            PricingError::UnknownFormat { path } => {
                write!(
                    f,
                    "pricing table {} is neither .toml nor .json",
                    path.display()
                )
            }
            PricingError::Syntax {
                format,
                message,
                line: Some(line),
            } => {
                write!(
                    f,
                    "pricing table is not valid {format} (line {line}): {message}"
                )
            }
            PricingError::Syntax {
                format,
                message,
                line: None,
            } => {
                write!(f, "pricing table is not valid {format}: {message}")
            }
            PricingError::Document { field, problem } => {
                write!(f, "pricing table field `{field}`: {problem}")
            }
            PricingError::Entry {
                provider,
                model,
                field: Some(field),
                problem,
            } => {
                write!(
                    f,
                    "pricing entry {provider}/{model}, field `{field}`: {problem}"
                )
            }
            PricingError::Entry {
                provider,
                model,
                field: None,
                problem,
            } => {
                write!(f, "pricing entry {provider}/{model}: {problem}")
            }
        }
    }
}

impl std::error::Error for PricingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PricingError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::usage::{AnthropicJson, HasUsage, OpenAiJson};
    use serde_json::json;

    const TABLE: &str = r#"
valid_from = 2026-11-01

[models.anthropic.claude-x]
input = 2.0
output = 8.0
cache_read = 0.5
cache_write = 2.5

[models.openai.o-x]
input = 1.0
output = 4.0
cache_read = 0.25

[models.openai.o-priced-reasoning]
input = 1.0
output = 4.0
cache_read = 0.25
reasoning = 2.0

[models.google."long-1.5"]
input = 1.0
output = 2.0

[[models.google."long-1.5".tiers]]
above_input_tokens = 200000
input = 2.0
output = 4.0

[[models.google."long-1.5".tiers]]
above_input_tokens = 1000000
input = 4.0
output = 8.0
"#;

    fn table() -> Pricing {
        Pricing::from_toml_str(TABLE).unwrap()
    }

    fn tokens(input: Option<u64>, output: Option<u64>) -> Usage {
        Usage {
            input,
            output,
            ..Usage::default()
        }
    }

    #[test]
    fn cached_input_is_priced_once_at_the_cache_prices() {
        // Anthropic: 250k fresh + 500k cache reads + 100k cache writes; `input` is their sum.
        let response = json!({"usage": {"input_tokens": 250_000, "cache_read_input_tokens": 500_000,
            "cache_creation_input_tokens": 100_000, "output_tokens": 125_000}});
        let usage = AnthropicJson(&response).usage().unwrap();
        let cost = table().cost("anthropic", "claude-x", &usage).unwrap();
        assert_eq!(cost.input, 0.5); // 250_000 * 2.0 / 1e6
        assert_eq!(cost.cache_read, 0.25); // 500_000 * 0.5 / 1e6
        assert_eq!(cost.cache_creation, 0.25); // 100_000 * 2.5 / 1e6
        assert_eq!(cost.output, 1.0); // 125_000 * 8.0 / 1e6
        assert_eq!(cost.reasoning, 0.0);
        assert_eq!(cost.total(), 2.0);
        assert!(!cost.is_partial());
    }

    #[test]
    fn reasoning_is_priced_as_output_unless_it_has_its_own_price() {
        // OpenAI: prompt_tokens includes the 500k cached; completion_tokens the 125k reasoning.
        let response = json!({"usage": {"prompt_tokens": 1_000_000, "completion_tokens": 250_000,
            "prompt_tokens_details": {"cached_tokens": 500_000},
            "completion_tokens_details": {"reasoning_tokens": 125_000}}});
        let usage = OpenAiJson(&response).usage().unwrap();

        let cost = table().cost("openai", "o-x", &usage).unwrap();
        assert_eq!(cost.input, 0.5); // 500_000 fresh * 1.0 / 1e6
        assert_eq!(cost.cache_read, 0.125); // 500_000 * 0.25 / 1e6
        assert_eq!(cost.cache_creation, 0.0);
        assert_eq!(cost.output, 0.5); // 125_000 visible * 4.0 / 1e6
        assert_eq!(cost.reasoning, 0.5); // 125_000 * 4.0 (output price) / 1e6
        assert_eq!(cost.total(), 1.625);
        assert!(!cost.is_partial());

        let cost = table()
            .cost("openai", "o-priced-reasoning", &usage)
            .unwrap();
        assert_eq!(cost.reasoning, 0.25); // 125_000 * 2.0 / 1e6
        assert_eq!(cost.total(), 1.375);
    }

    #[test]
    fn a_tier_applies_above_its_threshold_not_at_it() {
        let pricing = table();
        let at = pricing
            .cost("google", "long-1.5", &tokens(Some(200_000), Some(100_000)))
            .unwrap();
        assert_eq!((at.input, at.output), (0.2, 0.2)); // base: 1.0 and 2.0 per million
        assert_eq!(at.total(), 0.4);

        let over = pricing
            .cost("google", "long-1.5", &tokens(Some(200_001), Some(100_000)))
            .unwrap();
        assert_eq!(over.input, 0.400002); // 200_001 * 2.0 / 1e6
        assert_eq!(over.output, 0.4); // 100_000 * 4.0 / 1e6
        assert_eq!(over.total(), 0.400002 + 0.4);

        let highest = pricing
            .cost(
                "google",
                "long-1.5",
                &tokens(Some(2_000_000), Some(250_000)),
            )
            .unwrap();
        assert_eq!((highest.input, highest.output), (8.0, 2.0)); // the second tier: 4.0 and 8.0
    }

    #[test]
    fn a_model_without_a_price_has_no_cost() {
        let usage = tokens(Some(10), Some(10));
        assert_eq!(table().cost("openai", "unknown-model", &usage), None);
        assert_eq!(table().cost("nobody", "o-x", &usage), None);
        assert!(table().get("openai", "o-x").is_some());
    }

    #[test]
    fn a_missing_count_prices_nothing_for_its_kind_and_the_cost_says_partial() {
        let pricing = table();
        let cost = pricing
            .cost("openai", "o-x", &tokens(Some(1_000_000), None))
            .unwrap();
        assert_eq!((cost.input, cost.output, cost.reasoning), (1.0, 0.0, 0.0));
        assert!(cost.is_partial());
        assert_eq!(
            cost.unpriced.iter().collect::<Vec<_>>(),
            [TokenKind::Output]
        );

        // Unknown input: the base prices apply and input is unpriced.
        let cost = pricing
            .cost("google", "long-1.5", &tokens(None, Some(500_000)))
            .unwrap();
        assert_eq!((cost.input, cost.output), (0.0, 1.0));
        assert_eq!(cost.unpriced.iter().collect::<Vec<_>>(), [TokenKind::Input]);

        // Cache writes with no cache-write price in the entry.
        let usage = Usage {
            cache_creation: Some(100),
            ..tokens(Some(1_000_000), Some(0))
        };
        let cost = pricing.cost("openai", "o-x", &usage).unwrap();
        assert_eq!(cost.input, 0.9999); // 999_900 fresh * 1.0 / 1e6
        assert_eq!(
            cost.unpriced.iter().collect::<Vec<_>>(),
            [TokenKind::CacheCreation]
        );

        // A complete usage with no cache counts is not partial.
        assert!(
            !pricing
                .cost("openai", "o-x", &tokens(Some(1), Some(1)))
                .unwrap()
                .is_partial()
        );
    }

    #[test]
    fn json_and_toml_tables_read_the_same() {
        let json = r#"{"valid_from": "2026-11-01", "models": {"google": {"long-1.5": {"input": 1.0, "output": 2,
            "tiers": [{"above_input_tokens": 200000, "input": 2.0, "output": 4.0},
                      {"above_input_tokens": 1000000, "input": 4.0, "output": 8.0}]}}}}"#;
        let from_json = Pricing::from_json_str(json).unwrap();
        assert_eq!(
            from_json.get("google", "long-1.5"),
            table().get("google", "long-1.5")
        );
        assert_eq!(from_json.valid_from().to_string(), "2026-11-01");
        assert_eq!(table().valid_from(), from_json.valid_from());
        let tiers = from_json.get("google", "long-1.5").unwrap().tiers();
        assert_eq!(
            tiers
                .iter()
                .map(|t| t.above_input_tokens)
                .collect::<Vec<_>>(),
            [200_000, 1_000_000]
        );
    }

    #[test]
    fn merge_replaces_whole_entries_and_keeps_the_later_date() {
        let mut pricing = table();
        let overrides = Pricing::from_toml_str(
            "valid_from = \"2026-12-01\"\n[models.openai.o-x]\ninput = 3.0\noutput = 6.0\n\
             [models.mistral_ai.m]\ninput = 1.0\noutput = 1.0\n",
        )
        .unwrap();
        pricing.merge(overrides);
        assert_eq!(pricing.valid_from().to_string(), "2026-12-01");
        let o_x = pricing.get("openai", "o-x").unwrap();
        assert_eq!(
            *o_x.base(),
            Prices {
                input: 3.0,
                output: 6.0,
                cache_read: None,
                cache_write: None,
                reasoning: None
            }
        );
        assert!(pricing.get("openai", "o-priced-reasoning").is_some());
        assert!(pricing.get("mistral_ai", "m").is_some());

        let mut older = Pricing::from_toml_str("valid_from = 2025-01-01\nmodels = {}").unwrap();
        older.merge(Pricing::from_toml_str("valid_from = 2024-06-30\nmodels = {}").unwrap());
        assert_eq!(older.valid_from().to_string(), "2025-01-01");
    }

    fn entry_error(toml: &str) -> (String, String, Option<String>, Problem) {
        match Pricing::from_toml_str(&format!("valid_from = 2026-11-01\n{toml}")) {
            Err(PricingError::Entry {
                provider,
                model,
                field,
                problem,
            }) => (provider, model, field, problem),
            other => panic!("expected an entry error, got {other:?}"),
        }
    }

    fn named(field: Option<&str>, problem: Problem) -> (String, String, Option<String>, Problem) {
        (
            "openai".to_owned(),
            "gpt-x".to_owned(),
            field.map(str::to_owned),
            problem,
        )
    }

    #[test]
    fn a_bad_entry_is_an_error_naming_provider_model_and_field() {
        let head = "[models.openai.gpt-x]\n";
        let cases = [
            ("input = 1.0", Some("output"), Problem::Missing),
            ("input = 1.0\nouput = 2.0", Some("ouput"), Problem::Unknown),
            (
                "input = 1.0\noutput = \"10\"",
                Some("output"),
                Problem::NotANumber,
            ),
            (
                "input = nan\noutput = 1.0",
                Some("input"),
                Problem::NotANumber,
            ),
            (
                "input = 1.0\noutput = 1.0\ncache_read = -0.1",
                Some("cache_read"),
                Problem::Negative,
            ),
            (
                "input = 1.0\noutput = 1.0\ntiers = 3",
                Some("tiers"),
                Problem::NotAList,
            ),
        ];
        for (body, field, problem) in cases {
            assert_eq!(
                entry_error(&format!("{head}{body}")),
                named(field, problem),
                "{body}"
            );
        }

        let tiers = "input = 1.0\noutput = 1.0\n[[models.openai.gpt-x.tiers]]\nabove_input_tokens = 100\n\
                     input = 2.0\noutput = 2.0\n[[models.openai.gpt-x.tiers]]\n";
        let cases = [
            (
                "above_input_tokens = 100\ninput = 3.0\noutput = 3.0",
                "tiers[1].above_input_tokens",
                Problem::NotIncreasing,
            ),
            (
                "above_input_tokens = -5\ninput = 3.0\noutput = 3.0",
                "tiers[1].above_input_tokens",
                Problem::NotAnInteger,
            ),
            (
                "input = 3.0\noutput = 3.0",
                "tiers[1].above_input_tokens",
                Problem::Missing,
            ),
            (
                "above_input_tokens = 200\noutput = 3.0",
                "tiers[1].input",
                Problem::Missing,
            ),
            (
                "above_input_tokens = 200\ninput = 3.0\noutput = 3.0\nextra = 1",
                "tiers[1].extra",
                Problem::Unknown,
            ),
        ];
        for (body, field, problem) in cases {
            assert_eq!(
                entry_error(&format!("{head}{tiers}{body}")),
                named(Some(field), problem),
                "{body}"
            );
        }

        let error = Pricing::from_json_str(
            r#"{"valid_from": "2026-11-01", "models": {"openai": {"gpt-x": 3}}}"#,
        )
        .unwrap_err();
        assert!(matches!(
            &error,
            PricingError::Entry {
                field: None,
                problem: Problem::NotATable,
                ..
            }
        ));
        assert_eq!(error.to_string(), "pricing entry openai/gpt-x: not a table");
        let error = Pricing::from_toml_str(&format!("valid_from = 2026-11-01\n{head}input = 1.0"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "pricing entry openai/gpt-x, field `output`: missing"
        );
    }

    #[test]
    fn a_bad_document_is_an_error_naming_the_field() {
        let document = |text: &str| match Pricing::from_toml_str(text) {
            Err(PricingError::Document { field, problem }) => (field, problem),
            other => panic!("expected a document error, got {other:?}"),
        };
        assert_eq!(
            document("models = {}"),
            ("valid_from".to_owned(), Problem::Missing)
        );
        assert_eq!(
            document("valid_from = \"2026-02-30\"\nmodels = {}"),
            ("valid_from".to_owned(), Problem::NotADate)
        );
        assert_eq!(
            document("valid_from = 2026-11-01T10:00:00Z\nmodels = {}"),
            ("valid_from".to_owned(), Problem::NotADate)
        );
        assert_eq!(
            document("valid_from = 2026-11-01"),
            ("models".to_owned(), Problem::Missing)
        );
        assert_eq!(
            document("valid_from = 2026-11-01\nmodels = {}\ncurrency = \"EUR\""),
            ("currency".to_owned(), Problem::Unknown)
        );
        assert_eq!(
            document("valid_from = 2026-11-01\nmodels = { openai = 1 }"),
            ("models.openai".to_owned(), Problem::NotATable)
        );
        assert!(matches!(
            Pricing::from_toml_str("valid_from = 2026-11-01\nmodels = {}\n[x\n"),
            Err(PricingError::Syntax {
                format: "TOML",
                line: Some(3),
                ..
            })
        ));
        assert!(matches!(
            Pricing::from_json_str("{\n\"valid_from\": }"),
            Err(PricingError::Syntax {
                format: "JSON",
                line: Some(2),
                ..
            })
        ));
        assert!(matches!(
            Pricing::from_json_str("[]"),
            Err(PricingError::Document {
                problem: Problem::NotATable,
                ..
            })
        ));
    }

    #[test]
    fn files_are_read_by_extension() {
        assert!(matches!(
            Pricing::from_path("prices.yaml"),
            Err(PricingError::UnknownFormat { .. })
        ));
        let missing = std::env::temp_dir().join("obs-llm-pricing-test-does-not-exist.toml");
        let error = Pricing::from_path(&missing).unwrap_err();
        assert!(matches!(error, PricingError::Io { .. }));
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn dates_must_be_real_calendar_days() {
        assert_eq!(
            PriceDate::parse("2028-02-29").map(|d| d.to_string()),
            Some("2028-02-29".to_owned())
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "26-01-01",
            "2026-1-01",
            "2026-+1-01",
        ] {
            assert_eq!(PriceDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn token_kinds_have_stable_label_values() {
        let labels: Vec<_> = TokenKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            labels,
            [
                "input",
                "cache_read",
                "cache_creation",
                "output",
                "reasoning"
            ]
        );
        let cost = Cost {
            input: 1.0,
            output: 2.0,
            ..Cost::default()
        };
        assert_eq!(cost.by_kind()[3], (TokenKind::Output, 2.0));
    }
}
