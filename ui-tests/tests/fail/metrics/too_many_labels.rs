// A family has at most 16 labels.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Seventeen flags.
        flags_total: Counter {
            a: bool, b: bool, c: bool, d: bool, e: bool, f: bool, g: bool, h: bool,
            i: bool, j: bool, k: bool, l: bool, m: bool, n: bool, o: bool, p: bool,
            q: bool,
        },
    }
}

fn main() {}
