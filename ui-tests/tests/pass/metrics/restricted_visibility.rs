//! A `pub(crate)` group and a private group, used from another module.

mod metrics_defs {
    use obs_runtime::{LabelValue, metrics};

    /// Cache outcome.
    #[derive(Clone, Copy, Debug, LabelValue)]
    pub(crate) enum Cache {
        /// Served from cache.
        Hit,
        /// Computed.
        Miss,
    }

    metrics! {
        /// Crate-visible cache metrics.
        pub(crate) CACHE in "vis_cache" {
            /// Lookups, by outcome.
            lookups_total: Counter { outcome: Cache },
        }

        /// Module-private metrics, recorded through a function.
        INTERNAL in "vis_internal" {
            /// Evictions.
            evictions_total: Counter,
        }
    }

    /// Records an eviction into the private group.
    pub(crate) fn evict() {
        INTERNAL.evictions_total.series().inc();
    }

    /// Evictions so far.
    pub(crate) fn evictions() -> u64 {
        INTERNAL.evictions_total.series().get()
    }
}

mod cache {
    use crate::metrics_defs::{CACHE, Cache, evict};

    /// Looks a key up.
    pub(crate) fn lookup(hit: bool) {
        let outcome = if hit { Cache::Hit } else { Cache::Miss };
        CACHE.lookups_total.with(outcome).inc();
        if !hit {
            evict();
        }
    }
}

fn main() {
    cache::lookup(true);
    cache::lookup(false);
    cache::lookup(false);
    let lookups = &metrics_defs::CACHE.lookups_total;
    assert_eq!(lookups.with(metrics_defs::Cache::Miss).get(), 2);
    assert_eq!(metrics_defs::evictions(), 2);
}
