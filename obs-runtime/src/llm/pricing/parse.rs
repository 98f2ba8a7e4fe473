//! Reading a pricing table: TOML is turned into JSON, and one reader walks the JSON field by
//! field, so that every error names its provider, model and field.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use super::{ModelPrice, Prices, Pricing, PricingError, Problem, Tier};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriceDate {
    year: u16,
    month: u8,
    day: u8,
}

impl Pricing {
    pub(super) fn from_value(doc: &Value) -> Result<Self, PricingError> {
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

/// TOML as JSON, so one reader handles both; dates become `YYYY-MM-DD` strings, and non-finite
/// floats (which JSON cannot hold) `null`, which the reader rejects as not a number.
pub(super) fn toml_to_json(value: toml::Value) -> Value {
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
