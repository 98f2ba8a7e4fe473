// The control for `pass/renamed_crate.rs`: there, `obs_runtime` is taken over by `core`, so
// without the `crate = "..."` options the generated paths cannot resolve.
extern crate core as obs_runtime;
extern crate obs_runtime as renamed_obs;

renamed_obs::metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requests_total: Counter,
    }
}

fn main() {}
