//! Registries: the sets of families an exposition renders.

use std::fmt;
use std::ops::Deref;
use std::sync::{LazyLock, RwLock};

use super::family::FamilyView;
use super::per_family::{LABEL_OVERFLOW_METRIC, OverflowFamily, REFUSED_METRIC, RefusedFamily};
use crate::expose::{self, Format};

/// Something that holds families: a `metrics!` group, or a hand-written collection.
pub trait Collector: Send + Sync {
    /// Calls `f` with each family, in declaration order.
    fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn FamilyView));
}

/// Why a collector was refused by a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// A family of that name is already registered.
    DuplicateFamily(&'static str),
    /// The name belongs to a metric of the framework itself.
    ReservedName(&'static str),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateFamily(name) => {
                write!(f, "a metric family named `{name}` is already registered")
            }
            Self::ReservedName(name) => write!(
                f,
                "`{name}` is the name of a metric of obs itself; choose another name or namespace"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// A set of collectors rendered together.
#[derive(Default)]
pub struct Registry {
    collectors: RwLock<Vec<&'static dyn Collector>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.read().len();
        f.debug_struct("Registry").field("collectors", &n).finish()
    }
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::new);

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry that `metrics!` groups join on first use.
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    /// Adds `collector`; registering the same collector again is a no-op.
    pub fn register(&self, collector: &'static dyn Collector) -> Result<(), RegistryError> {
        let mut collectors = self
            .collectors
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        if collectors
            .iter()
            .any(|c| std::ptr::addr_eq(*c as *const dyn Collector, collector))
        {
            return Ok(());
        }
        let mut existing = Vec::new();
        for c in collectors.iter() {
            c.visit_families(&mut |family| existing.push(family.desc().name));
        }
        let mut error = None;
        collector.visit_families(&mut |family| {
            let name = family.desc().name;
            if error.is_some() {
                return;
            }
            if name == LABEL_OVERFLOW_METRIC || name == REFUSED_METRIC {
                error = Some(RegistryError::ReservedName(name));
            } else if existing.contains(&name) {
                error = Some(RegistryError::DuplicateFamily(name));
            }
            existing.push(name);
        });
        match error {
            Some(e) => Err(e),
            None => {
                collectors.push(collector);
                Ok(())
            }
        }
    }

    /// Renders every registered family in `format`.
    pub fn encode(&self, format: Format) -> String {
        let mut out = String::with_capacity(4096);
        self.encode_into(format, &mut out);
        out
    }

    /// Appends the rendering of every registered family in `format` to `out`: families sorted by
    /// name, series in label-index order, then the framework's own metrics.
    pub fn encode_into(&self, format: Format, out: &mut String) {
        let families = self.families();
        for family in &families {
            expose::encode_family(*family, format, out);
        }
        if let Some(overflow) = OverflowFamily::over(&families) {
            expose::encode_family(&overflow, format, out);
        }
        if let Some(refused) = RefusedFamily::over(&families) {
            expose::encode_family(&refused, format, out);
        }
        expose::finish(format, out);
    }

    /// Every registered family, sorted by name.
    pub fn families(&self) -> Vec<&'static dyn FamilyView> {
        let collectors = self.read();
        let mut families: Vec<&'static dyn FamilyView> = Vec::new();
        for c in collectors.iter() {
            c.visit_families(&mut |family| families.push(family));
        }
        families.sort_by_key(|f| f.desc().name);
        families
    }

    fn read(&self) -> impl Deref<Target = Vec<&'static dyn Collector>> + '_ {
        self.collectors
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}
