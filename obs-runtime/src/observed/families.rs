//! The framework's own families over every `#[observed]` call site, derived at scrape time:
//! `obs_function_calls_total{function, module, outcome}`,
//! `obs_function_duration_seconds{function, module}`, `obs_function_in_flight{function, module}`
//! and, for functions whose errors have kinds, `obs_function_errors_total{function, module, kind}`.

use std::sync::{LazyLock, Once};

use super::callsite::{CallSite, Outcome};
use crate::LabelValue;
use crate::metrics::{
    Collector, DEFAULT_BUCKETS, FamilyDesc, FamilyView, LabelDesc, LabelValues, MetricType,
    Registry, Sample,
};

const fn dynamic(name: &'static str) -> LabelDesc {
    LabelDesc {
        name,
        values: LabelValues::Bounded(usize::MAX),
    }
}

const SITE_LABELS: &[LabelDesc] = &[dynamic("function"), dynamic("module")];
const CALL_LABELS: &[LabelDesc] = &[
    dynamic("function"),
    dynamic("module"),
    LabelDesc {
        name: "outcome",
        values: LabelValues::Fixed(<Outcome as LabelValue>::VALUES),
    },
];
const ERROR_LABELS: &[LabelDesc] = &[dynamic("function"), dynamic("module"), dynamic("kind")];

static LE: LazyLock<Box<[Box<str>]>> = LazyLock::new(|| {
    DEFAULT_BUCKETS
        .iter()
        .map(|&b| crate::expose::format_f64(b).into())
        .chain(std::iter::once("+Inf".into()))
        .collect()
});

/// Which of the framework families a view renders.
#[derive(Debug, Clone, Copy)]
enum Which {
    Calls,
    Duration,
    InFlight,
    Errors,
}

struct View {
    which: Which,
    desc: FamilyDesc,
}

impl FamilyView for View {
    fn desc(&self) -> &FamilyDesc {
        &self.desc
    }

    fn visit(&self, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
        for site in CallSite::all() {
            let (function, module) = (site.function, site.module);
            match self.which {
                Which::Calls => {
                    let snap = site.snapshot();
                    for (outcome, n) in Outcome::VALUES.iter().zip(snap.outcomes) {
                        f(&[function, module, outcome], Sample::Unsigned(n));
                    }
                }
                Which::Duration => {
                    let snap = site.snapshot();
                    f(
                        &[function, module],
                        Sample::Histogram {
                            bounds: DEFAULT_BUCKETS,
                            le: &LE,
                            cumulative: &snap.cumulative,
                            sum: snap.sum_seconds,
                            exemplars: &[],
                        },
                    );
                }
                Which::InFlight => {
                    let snap = site.snapshot();
                    f(&[function, module], Sample::Unsigned(snap.in_flight));
                }
                Which::Errors => {
                    if let Some((names, counts)) = site.error_kinds() {
                        for (kind, n) in names.iter().zip(counts) {
                            f(&[function, module, kind], Sample::Unsigned(n));
                        }
                    }
                }
            }
        }
    }

    fn overflows(&self) -> Option<u64> {
        None
    }
}

/// The collector of the four framework families.
struct Framework {
    views: [View; 4],
}

impl Collector for Framework {
    fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn FamilyView)) {
        for view in &self.views {
            f(view);
        }
    }
}

static FRAMEWORK: LazyLock<Framework> = LazyLock::new(|| Framework {
    views: [
        View {
            which: Which::Calls,
            desc: FamilyDesc {
                name: "obs_function_calls_total",
                help: "Calls of #[observed] functions, by outcome: ok, error (returned Err), panic, or cancelled (future dropped before completion).",
                metric_type: MetricType::Counter,
                labels: CALL_LABELS,
            },
        },
        View {
            which: Which::Duration,
            desc: FamilyDesc {
                name: "obs_function_duration_seconds",
                help: "Latency of #[observed] functions, every outcome included.",
                metric_type: MetricType::Histogram,
                labels: SITE_LABELS,
            },
        },
        View {
            which: Which::InFlight,
            desc: FamilyDesc {
                name: "obs_function_in_flight",
                help: "Calls of #[observed] functions started and not yet finished.",
                metric_type: MetricType::Gauge,
                labels: SITE_LABELS,
            },
        },
        View {
            which: Which::Errors,
            desc: FamilyDesc {
                name: "obs_function_errors_total",
                help: "Errors returned by #[observed(error_kind)] functions, by the error's kind.",
                metric_type: MetricType::Counter,
                labels: ERROR_LABELS,
            },
        },
    ],
});

/// Joins the framework families to the global registry, once.
pub(crate) fn ensure_registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(e) = Registry::global().register(&*FRAMEWORK) {
            eprintln!("obs: framework families not registered: {e}");
        }
    });
}

/// The framework families, to add to a registry other than the global one.
pub fn framework_families() -> &'static dyn Collector {
    &*FRAMEWORK
}
