//! Where captured content goes ([`CaptureMode`]), read from
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` or an attribute, and the errors of the
//! content settings ([`ContentError`]).

use std::fmt;
use std::str::FromStr;

/// The environment variable that selects the [`CaptureMode`].
pub const ENV_VAR: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// Where message content is recorded: nowhere (the default), on the span, on the
/// `gen_ai.client.inference.operation.details` event, or on both.
///
/// Parsed case-insensitively from the environment spelling (`SPAN_ONLY`) or the attribute
/// spelling (`span_only`), which are the same words. `false` (and an empty value) means
/// [`NoContent`](CaptureMode::NoContent). `true`, the older boolean spelling, is an error: older
/// instrumentations put content on events, newer documentation on spans, and where sensitive
/// content goes is not guessed. Any other value is an error too, and capture stays off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CaptureMode {
    /// No content is captured (`NO_CONTENT`).
    #[default]
    NoContent,
    /// Content on the span's attributes only (`SPAN_ONLY`).
    SpanOnly,
    /// Content on the event only (`EVENT_ONLY`).
    EventOnly,
    /// Content on both the span and the event (`SPAN_AND_EVENT`).
    SpanAndEvent,
}

impl CaptureMode {
    /// Every mode, in the order of its environment spelling.
    pub const ALL: [CaptureMode; 4] = [
        CaptureMode::NoContent,
        CaptureMode::SpanOnly,
        CaptureMode::EventOnly,
        CaptureMode::SpanAndEvent,
    ];

    /// Whether content goes on the span.
    pub const fn on_span(self) -> bool {
        matches!(self, CaptureMode::SpanOnly | CaptureMode::SpanAndEvent)
    }

    /// Whether content goes on the event.
    pub const fn on_event(self) -> bool {
        matches!(self, CaptureMode::EventOnly | CaptureMode::SpanAndEvent)
    }

    /// Whether any content is captured.
    pub const fn is_on(self) -> bool {
        !matches!(self, CaptureMode::NoContent)
    }

    /// The environment spelling (`SPAN_ONLY`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            CaptureMode::NoContent => "NO_CONTENT",
            CaptureMode::SpanOnly => "SPAN_ONLY",
            CaptureMode::EventOnly => "EVENT_ONLY",
            CaptureMode::SpanAndEvent => "SPAN_AND_EVENT",
        }
    }

    /// The mode a value of [`ENV_VAR`] selects; `None` (unset) is [`NoContent`](Self::NoContent).
    pub fn from_env_value(value: Option<&str>) -> Result<CaptureMode, ContentError> {
        match value {
            None => Ok(CaptureMode::NoContent),
            Some(value) => value.parse(),
        }
    }

    /// The mode [`ENV_VAR`] selects now. Unset is [`NoContent`](Self::NoContent); a value that is
    /// not a mode is an error the caller can report (capture then stays off).
    pub fn from_env() -> Result<CaptureMode, ContentError> {
        match std::env::var(ENV_VAR) {
            Ok(value) => CaptureMode::from_env_value(Some(&value)),
            Err(std::env::VarError::NotPresent) => Ok(CaptureMode::NoContent),
            Err(std::env::VarError::NotUnicode(_)) => Err(ContentError::NotUnicode),
        }
    }
}

impl FromStr for CaptureMode {
    type Err = ContentError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("false") {
            return Ok(CaptureMode::NoContent);
        }
        if value.eq_ignore_ascii_case("true") {
            return Err(ContentError::AmbiguousTrue);
        }
        CaptureMode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| ContentError::UnknownMode {
                value: value.to_owned(),
            })
    }
}

impl fmt::Display for CaptureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A content-capture setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentError {
    /// The capture mode is not one of the four.
    UnknownMode {
        /// The value given.
        value: String,
    },
    /// `true`, the older boolean spelling, which does not say where content goes.
    AmbiguousTrue,
    /// [`ENV_VAR`] is not valid Unicode.
    NotUnicode,
    /// The size limit is below the smallest that always fits a truncation marker.
    MaxBytesTooSmall {
        /// The limit given.
        max_bytes: usize,
        /// The smallest accepted.
        min: usize,
    },
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const EXPECTED: &str = "expected NO_CONTENT, SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT";
        match self {
            ContentError::UnknownMode { value } => {
                write!(f, "unknown content capture mode `{value}`: {EXPECTED}")
            }
            ContentError::AmbiguousTrue => write!(
                f,
                "content capture mode `true` does not say where content goes: {EXPECTED}"
            ),
            ContentError::NotUnicode => write!(f, "{ENV_VAR} is not valid Unicode: {EXPECTED}"),
            ContentError::MaxBytesTooSmall { max_bytes, min } => write!(
                f,
                "content size limit {max_bytes} bytes is below the minimum of {min} bytes"
            ),
        }
    }
}

impl std::error::Error for ContentError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_env_value_parses_case_insensitively() {
        let cases = [
            ("NO_CONTENT", CaptureMode::NoContent),
            ("SPAN_ONLY", CaptureMode::SpanOnly),
            ("EVENT_ONLY", CaptureMode::EventOnly),
            ("SPAN_AND_EVENT", CaptureMode::SpanAndEvent),
            ("span_and_event", CaptureMode::SpanAndEvent),
            ("Span_Only", CaptureMode::SpanOnly),
            (" event_only ", CaptureMode::EventOnly),
            ("false", CaptureMode::NoContent),
            ("FALSE", CaptureMode::NoContent),
            ("", CaptureMode::NoContent),
        ];
        for (value, mode) in cases {
            assert_eq!(
                CaptureMode::from_env_value(Some(value)),
                Ok(mode),
                "{value:?}"
            );
        }
        assert_eq!(
            CaptureMode::from_env_value(None),
            Ok(CaptureMode::NoContent)
        );
    }

    #[test]
    fn true_and_unknown_values_are_errors_and_never_enable_capture() {
        assert_eq!(
            CaptureMode::from_env_value(Some("True")),
            Err(ContentError::AmbiguousTrue)
        );
        for value in ["1", "yes", "span", "SPAN-ONLY", "all"] {
            let err = CaptureMode::from_env_value(Some(value)).unwrap_err();
            assert_eq!(
                err,
                ContentError::UnknownMode {
                    value: value.to_owned()
                }
            );
            assert!(err.to_string().contains("SPAN_AND_EVENT"), "{err}");
        }
    }

    #[test]
    fn attribute_spelling_parses_and_round_trips() {
        for mode in CaptureMode::ALL {
            let lower = mode.as_str().to_ascii_lowercase();
            assert_eq!(lower.parse::<CaptureMode>(), Ok(mode));
            assert_eq!(mode.to_string().parse::<CaptureMode>(), Ok(mode));
        }
        assert_eq!("span_only".parse(), Ok(CaptureMode::SpanOnly));
    }

    #[test]
    fn modes_say_where_content_goes_in_const_context() {
        const MODE: CaptureMode = CaptureMode::SpanAndEvent;
        const BOTH: (bool, bool) = (MODE.on_span(), MODE.on_event());
        assert_eq!(BOTH, (true, true));
        let places: Vec<_> = CaptureMode::ALL
            .iter()
            .map(|m| (m.is_on(), m.on_span(), m.on_event()))
            .collect();
        assert_eq!(
            places,
            [
                (false, false, false),
                (true, true, false),
                (true, false, true),
                (true, true, true)
            ]
        );
        assert_eq!(CaptureMode::default(), CaptureMode::NoContent);
    }
}
