// A label value comes from a fixed set: variants with fields are refused.
use obs_runtime::LabelValue;

/// Outcome of a request.
#[derive(Clone, Copy, LabelValue)]
pub enum Outcome {
    /// Succeeded.
    Ok,
    /// Failed with a status code.
    Error(u16),
    /// Timed out after some milliseconds.
    Timeout { millis: u64 },
}

fn main() {}
