//! `Arc` under shuttle: std's, except that cloning and dropping one is a
//! locked read-modify-write of its count, as on x86: under a DPOR check with
//! `tso` it drains the thread's store buffer first. Without that, a thread
//! could drop the last reference to an atomic while its own store to it
//! still sat in the buffer, and whether the store ever reaches memory would
//! depend on which thread dropped last, through a count the explorer cannot
//! see. Outside such a check it is exactly std's `Arc`.

use std::ops::Deref;

/// Reference counting pointer (std's, see the module docs).
pub struct Arc<T: ?Sized> {
    inner: std::sync::Arc<T>,
}

impl<T> Arc<T> {
    /// A new `Arc` holding `value`.
    pub fn new(value: T) -> Self {
        // Under a DPOR check's tso: no buffered store may outlive the move
        // of the atomic it names.
        super::dpor::before_move();
        Self {
            inner: std::sync::Arc::new(value),
        }
    }
}

impl<T: ?Sized> Arc<T> {
    /// True if both point to the same allocation.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        std::sync::Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The number of strong references.
    pub fn strong_count(this: &Self) -> usize {
        std::sync::Arc::strong_count(&this.inner)
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Self {
        super::dpor::locked_instruction();
        Self {
            inner: std::sync::Arc::clone(&self.inner),
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
        super::dpor::locked_instruction();
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
