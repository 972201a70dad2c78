//! `UnsafeCell` for lock-protected data. Under loom every access is checked
//! against happens-before: two threads that both believe they hold the lock
//! that protects a cell make loom report a data race ("Causality
//! violation"). Accesses are recorded in the trace.
//!
//! Under shuttle every access is a scheduling point, as an atomic is.
//! Shuttle has no race detector and would otherwise never switch threads
//! between two plain accesses, so an unlocked unlink could never interleave
//! with a walk of the same list; with the switch, the broken property (a
//! lost update, a use after free) becomes reachable.

use super::trace::Op;
use super::{imp, Site};

/// A cell whose accesses the protocol under test must serialize.
pub struct UnsafeCell<T> {
    inner: imp::UnsafeCell<T>,
}

impl<T> UnsafeCell<T> {
    /// A new cell holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            inner: imp::UnsafeCell::new(value),
        }
    }

    fn addr(&self) -> usize {
        self as *const Self as usize
    }

    /// Read access: `f` gets a pointer valid for reads while it runs.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            event(Site::caller(), Op::CellRead, self.addr());
            let p = self.inner.get();
            // SAFETY: `p` is this live cell's contents for the whole call.
            return unsafe { super::graph::cell(&h, self.addr(), false, p, || f(p)) };
        }
        scheduling_point(self.addr(), false, Site::caller());
        event(Site::caller(), Op::CellRead, self.addr());
        #[cfg(loom)]
        return self.inner.with(f);
        #[cfg(not(loom))]
        return f(self.inner.get());
    }

    /// Write access: `f` gets a pointer valid for writes while it runs.
    #[track_caller]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.with_mut_as(Op::CellWrite, f)
    }

    /// Write access recorded in the trace as `op` (the memory helper
    /// records a free as `free`); to the explorer it is the same write.
    #[track_caller]
    pub(crate) fn with_mut_as<R>(&self, op: Op, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            event(Site::caller(), op, self.addr());
            let p = self.inner.get();
            // SAFETY: `p` is this live cell's contents for the whole call.
            return unsafe { super::graph::cell(&h, self.addr(), true, p, || f(p)) };
        }
        scheduling_point(self.addr(), true, Site::caller());
        event(Site::caller(), op, self.addr());
        #[cfg(loom)]
        return self.inner.with_mut(f);
        #[cfg(not(loom))]
        return f(self.inner.get());
    }

    /// Copy the value out.
    ///
    /// # Safety
    ///
    /// No other thread may write the cell concurrently: the caller holds the
    /// lock the protocol says protects it (under loom, a violation is
    /// reported as a data race instead of being undefined behaviour).
    #[track_caller]
    pub unsafe fn read(&self) -> T
    where
        T: Copy,
    {
        // SAFETY: the pointer is valid while the closure runs; exclusion from
        // writers is the caller's contract above.
        self.with(|p| unsafe { *p })
    }

    /// Replace the value.
    ///
    /// # Safety
    ///
    /// No other thread may access the cell concurrently: the caller holds the
    /// lock the protocol says protects it.
    #[track_caller]
    pub unsafe fn write(&self, value: T) {
        // SAFETY: the pointer is valid while the closure runs; exclusion from
        // other accesses is the caller's contract above.
        self.with_mut(|p| unsafe { *p = value })
    }

    /// The value, consuming the cell.
    #[cfg(not(shuttle))]
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// The value, consuming the cell.
    #[cfg(shuttle)]
    pub fn into_inner(self) -> T {
        super::dpor::forget_cell(self.addr());
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so `inner` is
        // moved out exactly once (the cell's `Drop` only forgets its access
        // history, done above).
        unsafe { std::ptr::read(&this.inner) }.into_inner()
    }
}

// SAFETY: like std's `SyncUnsafeCell`, sharing the cell gives no safe
// access to its contents: every read or write goes through a raw pointer
// that the caller must dereference in an `unsafe` block, under the lock the
// protocol assigns to it (exactly what the models check). `T: Send` because
// the value is handed from thread to thread, as with `Mutex<T>`.
unsafe impl<T: Send> Sync for UnsafeCell<T> {}

// A new cell at the same address has no access history for the race
// detector of a DPOR check.
#[cfg(shuttle)]
impl<T> Drop for UnsafeCell<T> {
    fn drop(&mut self) {
        super::dpor::forget_cell(self.addr());
        super::graph::forget(self.addr());
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> std::fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsafeCell")
    }
}

/// Under shuttle, let the scheduler switch threads here (outside a shuttle
/// execution, e.g. a std run of the same code, there is nothing to switch).
/// A DPOR check also records the access and checks it for a data race.
#[inline(always)]
#[track_caller]
fn scheduling_point(addr: usize, write: bool, site: Site) {
    #[cfg(shuttle)]
    if shuttle_engine::runtime::execution::ExecutionState::try_with(|_| ()).is_ok() {
        super::dpor::cell_access(addr, write, site, shuttle_engine::runtime::thread::switch);
    }
    #[cfg(not(shuttle))]
    let _ = (addr, write, site);
}

#[inline(always)]
fn event(site: Site, op: Op, object: usize) {
    #[cfg(any(loom, shuttle))]
    super::record_plain(Some(site), op, object, |_| String::new());
    #[cfg(not(any(loom, shuttle)))]
    let _ = (site, op, object);
}
