//! The `static` that `metrics!` declares for a group of families.

use std::ops::Deref;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use super::family::FamilyView;
use super::registry::{Collector, Registry, RegistryError};

/// A lazily created group of families, joined to [`Registry::global`] when first used (a name
/// clash there is reported as a `tracing` warning; see [`Group::register_into`]).
///
/// Dereferences to the generated struct whose fields are the families. The struct lives inside
/// the `static` itself, so recording follows no pointer to reach a family.
pub struct Group<T: 'static> {
    cell: OnceLock<T>,
    init: fn() -> T,
    registered: AtomicBool,
    this: fn() -> &'static Group<T>,
}

impl<T: Collector + 'static> Group<T> {
    /// A group built by `init` on first use; `this` returns the `static` holding it (so the
    /// registry can keep a `'static` reference). Used by `metrics!`.
    pub const fn new(init: fn() -> T, this: fn() -> &'static Group<T>) -> Self {
        Self {
            cell: OnceLock::new(),
            init,
            registered: AtomicBool::new(false),
            this,
        }
    }

    /// The group's families, created (and joined to the global registry) now if they were not
    /// yet.
    #[inline(always)]
    pub fn get(&self) -> &T {
        // One load and a branch; everything else is out of line, so the recording path needs no
        // spilled registers.
        match self.cell.get() {
            Some(group) => group,
            None => self.create(),
        }
    }

    /// Creates the families and joins the global registry. A thread that finds the families
    /// created while another is still registering them records at once: nothing is lost, the
    /// group only joins the exposition a moment later.
    #[cold]
    #[inline(never)]
    fn create(&self) -> &T {
        let group = self.cell.get_or_init(self.init);
        self.join_global();
        group
    }

    /// Adds the group to `registry` as well (it is always in [`Registry::global`]).
    pub fn register_into(&self, registry: &Registry) -> Result<(), RegistryError> {
        self.get();
        registry.register((self.this)())
    }

    /// Joins the global registry, once. A name clash with an already registered family cannot
    /// be returned from here (recording returns nothing): it is reported as a `tracing` warning
    /// (target `obs`, with the error) and the group is left out of the global registry; it still
    /// records, and [`Group::register_into`] adds it to another registry, returning the error.
    #[cold]
    fn join_global(&self) {
        if !self.registered.swap(true, Ordering::AcqRel)
            && let Err(error) = Registry::global().register((self.this)())
        {
            tracing::warn!(
                target: "obs",
                %error,
                "metric group not added to the global registry; it records, but only a registry \
                 it is added to with `register_into` exposes it"
            );
        }
    }
}

impl<T: Collector + 'static> Collector for Group<T> {
    fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn FamilyView)) {
        self.get().visit_families(f);
    }
}

impl<T: Collector + 'static> Deref for Group<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: 'static> std::fmt::Debug for Group<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Group")
    }
}
