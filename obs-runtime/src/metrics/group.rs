//! The `static` that `metrics!` declares for a group of families.

use std::ops::Deref;
use std::sync::LazyLock;

use super::registry::{Collector, Registry, RegistryError};

/// A lazily created group of families, joined to [`Registry::global`] when first used.
///
/// Dereferences to the generated struct whose fields are the families.
pub struct Group<T: 'static> {
    cell: LazyLock<&'static T>,
}

impl<T: Collector + 'static> Group<T> {
    /// A group built by `init` on first use. Used by `metrics!`.
    pub const fn new(init: fn() -> &'static T) -> Self {
        Self {
            cell: LazyLock::new(init),
        }
    }

    /// The group's families, created now if they were not yet.
    pub fn get(&self) -> &'static T {
        let group: &&'static T = LazyLock::force(&self.cell);
        group
    }

    /// Adds the group to `registry` as well (it is always in [`Registry::global`]).
    pub fn register_into(&self, registry: &Registry) -> Result<(), RegistryError> {
        registry.register(self.get())
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

/// Leaks `group` (it lives as long as its `static`) and joins it to the global registry.
///
/// A name clash with an already registered family is reported on standard error and the group is
/// left out of the global registry; it still records, and can be added to another registry.
pub fn leak_and_register<T: Collector + 'static>(group: T) -> &'static T {
    let group: &'static T = Box::leak(Box::new(group));
    if let Err(e) = Registry::global().register(group) {
        eprintln!("obs: metric group not added to the global registry: {e}");
    }
    group
}
