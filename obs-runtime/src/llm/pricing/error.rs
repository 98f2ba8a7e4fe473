//! Why a pricing table could not be loaded.

use std::fmt;
use std::path::PathBuf;

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
