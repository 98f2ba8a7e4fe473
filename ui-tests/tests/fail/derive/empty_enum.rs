// An enum without variants has no label values.
use obs_runtime::LabelValue;

/// No outcomes at all.
#[derive(Clone, Copy, LabelValue)]
pub enum Never {}

fn main() {}
