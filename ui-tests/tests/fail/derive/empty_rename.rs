// A label value cannot be empty.
use obs_runtime::LabelValue;

/// Which backend served a request.
#[derive(Clone, Copy, LabelValue)]
pub enum Provider {
    /// OpenAI.
    #[label(rename = "")]
    OpenAi,
}

fn main() {}
