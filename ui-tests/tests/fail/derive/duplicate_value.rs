// Two variants cannot expose the same label value.
use obs_runtime::LabelValue;

/// Which backend served a request.
#[derive(Clone, Copy, LabelValue)]
pub enum Provider {
    /// OpenAI.
    OpenAi,
    /// Azure's OpenAI deployment, exposed as `open_ai` by mistake.
    #[label(rename = "open_ai")]
    AzureOpenAi,
}

fn main() {}
