//! Heap allocations counted per thread, for tests that hold a path to a number of allocations.
//! A test binary installs the allocator itself:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: obs_tests::allocations::Counting = obs_tests::allocations::Counting;
//! ```
//!
//! and reads [`so_far`] before and after the work (on one thread: tests on other threads do not
//! count).

// A global allocator takes `unsafe` to implement; this one only counts and calls `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting the allocations (and reallocations) of each thread.
#[derive(Debug)]
pub struct Counting;

// SAFETY: every call is passed to `System` unchanged; the count is a thread-local `Cell` with a
// constant initialiser and no destructor, so counting never allocates or fails.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// This thread's allocations so far (0 unless the binary installed [`Counting`]).
pub fn so_far() -> u64 {
    COUNT.with(Cell::get)
}
