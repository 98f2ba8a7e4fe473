//! The providers and models the gateway routes to: every model is priced in obs-runtime's bundled
//! pricing table (`obs-runtime/data/pricing.toml`), under the provider's `gen_ai.provider.name`.

use obs_runtime::LabelValue;

/// An upstream LLM provider (simulated by the demo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, LabelValue)]
pub(crate) enum Provider {
    /// OpenAI.
    #[label(rename = "openai")]
    OpenAi,
    /// Anthropic.
    Anthropic,
    /// Google's Gemini API.
    #[label(rename = "gcp.gemini")]
    Gemini,
}

impl Provider {
    /// Every provider, in index order.
    pub(crate) const ALL: [Provider; 3] = [Provider::OpenAi, Provider::Anthropic, Provider::Gemini];

    /// The provider's `gen_ai.provider.name`, as the pricing table keys it.
    pub(crate) fn name(self) -> &'static str {
        self.as_str()
    }

    /// The provider's path segment on its simulated server (`/openai/v1/...`), so that the
    /// providers' routes are told apart from the gateway's own in the process-wide HTTP metrics.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
        }
    }

    /// The provider called `name`.
    pub(crate) fn from_name(name: &str) -> Option<Provider> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A model a provider serves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Model {
    /// The API model id.
    pub(crate) id: &'static str,
    /// Who serves it.
    pub(crate) provider: Provider,
    /// Share of its output tokens spent on reasoning (0 for models that do not reason).
    pub(crate) reasoning_share: f64,
}

/// Every model the gateway knows.
pub(crate) const MODELS: &[Model] = &[
    model("gpt-4o", Provider::OpenAi, 0.0),
    model("gpt-4o-mini", Provider::OpenAi, 0.0),
    model("o4-mini", Provider::OpenAi, 0.5),
    model("claude-sonnet-4-6", Provider::Anthropic, 0.0),
    model("claude-haiku-4-5", Provider::Anthropic, 0.0),
    model("gemini-2.5-pro", Provider::Gemini, 0.4),
];

const fn model(id: &'static str, provider: Provider, reasoning_share: f64) -> Model {
    Model {
        id,
        provider,
        reasoning_share,
    }
}

/// The model called `id`.
pub(crate) fn find(id: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.id == id)
}

/// The models `provider` serves.
pub(crate) fn served_by(provider: Provider) -> impl Iterator<Item = &'static Model> {
    MODELS.iter().filter(move |m| m.provider == provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_priced_in_the_bundled_table() {
        let pricing = obs_runtime::llm::Pricing::bundled();
        for m in MODELS {
            assert!(
                pricing.get(m.provider.name(), m.id).is_some(),
                "{} / {} has no price",
                m.provider.name(),
                m.id
            );
        }
        assert_eq!(Provider::from_name("gcp.gemini"), Some(Provider::Gemini));
        assert_eq!(served_by(Provider::Anthropic).count(), 2);
    }
}
