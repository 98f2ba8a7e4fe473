//! Every kind of label: a derived enum (snake_case and renamed values), `bool`, `Bounded<N>`, a
//! raw-identifier label name, and several labels at once.

use obs_runtime::{Bounded, Format, LabelValue, Registry, metrics};

/// Which backend served a request.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Provider {
    /// OpenAI: exposed as `open_ai`.
    OpenAi,
    /// Anthropic: exposed as `anthropic`.
    Anthropic,
    /// Gemini: exposed as `google`.
    #[label(rename = "google")]
    Gemini,
}

metrics! {
    /// One family per label kind.
    pub LABELS in "labels" {
        /// By an enum.
        by_enum_total: Counter { provider: Provider },
        /// By a bool.
        by_bool_total: Counter { ok: bool },
        /// By a bounded run-time string.
        by_bounded_total: Counter { model: Bounded<2> },
        /// By a label whose name is a keyword.
        by_keyword_total: Counter { r#type: Provider },
        /// By all of them at once.
        #[buckets(1, 10)]
        mixed_seconds: Histogram { provider: Provider, ok: bool, model: Bounded<8> },
    }
}

fn main() {
    assert_eq!(Provider::Gemini.as_str(), "google");
    assert_eq!(Provider::OpenAi.as_str(), "open_ai");
    assert_eq!(<Provider as LabelValue>::CARDINALITY, 3);

    LABELS.by_enum_total.with(Provider::Gemini).inc();
    LABELS.by_bool_total.with(true).inc();
    LABELS.by_bool_total.with(false).add(2);
    // Two distinct values fit; the third goes to the overflow series.
    LABELS.by_bounded_total.with("gpt-4o").inc();
    LABELS.by_bounded_total.with("claude").inc();
    LABELS.by_bounded_total.with("gemini").inc();
    LABELS.by_keyword_total.with(Provider::Anthropic).inc();
    let model = String::from("gpt-4o");
    LABELS
        .mixed_seconds
        .with((Provider::OpenAi, true, model.as_str()))
        .observe(0.5);

    assert_eq!(LABELS.by_bool_total.with(false).get(), 2);

    let text = Registry::global().encode(Format::Text);
    assert!(
        text.contains("labels_by_enum_total{provider=\"google\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("labels_by_bool_total{ok=\"true\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("labels_by_bounded_total{model=\"gpt-4o\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("labels_by_bounded_total{model=\"__overflow__\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("labels_by_keyword_total{type=\"anthropic\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "labels_mixed_seconds_bucket{provider=\"open_ai\",ok=\"true\",model=\"gpt-4o\",le=\"1.0\"} 1"
        ),
        "{text}"
    );
}
