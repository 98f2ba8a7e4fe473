// A generic enum cannot be a label value.
use obs_runtime::LabelValue;

/// Which backend served a request.
#[derive(Clone, Copy, LabelValue)]
pub enum Provider<const REGION: usize> {
    /// OpenAI.
    OpenAi,
}

fn main() {}
