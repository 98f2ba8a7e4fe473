// A type the macro cannot recognise by name must implement `LabelValue`: a plain struct does not,
// and the compiler says why at the label's type.
use obs_runtime::metrics;

/// A model name the service made up.
#[derive(Clone, Copy)]
pub struct Model(&'static str);

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By model.
        requests_total: Counter { model: Model },
    }
}

fn main() {
    let _ = Model("gpt-4o").0;
}
