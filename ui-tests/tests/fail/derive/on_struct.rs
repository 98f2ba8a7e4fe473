// `LabelValue` is for fieldless enums, not structs.
use obs_runtime::LabelValue;

/// A model name.
#[derive(Clone, Copy, LabelValue)]
pub struct Model {
    /// The name.
    pub name: &'static str,
}

fn main() {}
