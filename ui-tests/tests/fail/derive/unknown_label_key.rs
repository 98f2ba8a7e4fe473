// `#[label(...)]` on a variant knows only `rename`.
use obs_runtime::LabelValue;

/// Which backend served a request.
#[derive(Clone, Copy, LabelValue)]
pub enum Provider {
    /// OpenAI.
    #[label(name = "openai")]
    OpenAi,
}

fn main() {}
