//! loom's `Arc`, made safe to drop while a failed execution unwinds.
//!
//! loom 0.7.3 aborts the whole process when it detects a deadlock: its
//! panic unwinds the blocked threads, and each `loom::sync::Arc` dropped on
//! the way calls back into a runtime that has no active thread, which panics
//! again inside a destructor (`thread.rs:276`, "panic in a destructor during
//! cleanup"). This wrapper leaks the count instead when a panic is
//! unwinding: the execution is lost anyway, and the check survives to report
//! the deadlock. Outside a panic it is exactly loom's `Arc`, leak checks
//! included. (Pinned by the `lock_order_inversion_is_a_deadlock` test.)

use std::mem::ManuallyDrop;
use std::ops::Deref;

/// Reference counting pointer (loom's, see the module docs).
pub struct Arc<T: ?Sized> {
    inner: ManuallyDrop<loom::sync::Arc<T>>,
}

impl<T> Arc<T> {
    /// A new `Arc` holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            inner: ManuallyDrop::new(loom::sync::Arc::new(value)),
        }
    }
}

impl<T: ?Sized> Arc<T> {
    /// True if both point to the same allocation.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        loom::sync::Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The number of strong references.
    pub fn strong_count(this: &Self) -> usize {
        loom::sync::Arc::strong_count(&this.inner)
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Self {
        Self {
            inner: ManuallyDrop::new(loom::sync::Arc::clone(&self.inner)),
        }
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> Drop for Arc<T> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // SAFETY: `inner` is dropped exactly once, here, and never used
            // after (we are in `drop`).
            unsafe { ManuallyDrop::drop(&mut self.inner) }
        }
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Arc<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: Default> Default for Arc<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}
