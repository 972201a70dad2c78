//! `UnsafeCell` for lock-protected data. Under loom every access is checked
//! against happens-before: two threads that both believe they hold the lock
//! that protects a cell make loom report a data race ("Causality
//! violation"). Accesses are recorded in the trace.
//!
//! A cell made by [`super::Alloc::cell`] is a field of that allocation:
//! every access also checks the allocation's shadow, inside the access
//! (see [`super::mem`]), so a field read or written after the free fails
//! by itself.
//!
//! Under shuttle every access is a scheduling point, as an atomic is.
//! Shuttle has no race detector and would otherwise never switch threads
//! between two plain accesses, so an unlocked unlink could never interleave
//! with a walk of the same list; with the switch, the broken property (a
//! lost update, a use after free) becomes reachable.

use std::sync::Arc;

use super::mem::Shadow;
use super::trace::Op;
use super::{imp, Site};

/// A cell whose accesses the protocol under test must serialize.
pub struct UnsafeCell<T> {
    inner: imp::UnsafeCell<T>,
    /// The allocation this cell is a field of ([`super::Alloc::cell`]).
    alloc: Option<Arc<Shadow>>,
}

impl<T> UnsafeCell<T> {
    /// A new cell holding `value`, a field of no allocation (a global, a
    /// ghost): for a field of kernel memory that can be freed, use
    /// [`super::Alloc::cell`].
    pub fn new(value: T) -> Self {
        Self {
            inner: imp::UnsafeCell::new(value),
            alloc: None,
        }
    }

    /// A field of the allocation whose shadow is `alloc`.
    pub(crate) fn in_alloc(value: T, alloc: Arc<Shadow>) -> Self {
        Self {
            inner: imp::UnsafeCell::new(value),
            alloc: Some(alloc),
        }
    }

    pub(crate) fn addr(&self) -> usize {
        self as *const Self as usize
    }

    /// Inside an access, before its pointer is handed out: a field of an
    /// allocation checks the allocation's shadow (no event of its own).
    #[track_caller]
    fn check_alloc(&self, write: bool, site: Site) {
        if let Some(a) = &self.alloc {
            a.check(self.addr(), write, site);
        }
    }

    /// Under the execution-graph explorer, a read of this cell as an event
    /// of its own, with no trace line (the shadow read of a field's
    /// access, so that the explorer orders it with the free and `sc` and
    /// `rc11` judge it for a race).
    #[cfg(shuttle)]
    pub(crate) fn graph_read(&self) {
        if let Some(h) = super::graph::active() {
            let p = self.inner.get();
            // SAFETY: `p` is this live cell's contents for the whole call.
            unsafe { super::graph::cell(&h, self.addr(), false, p, || ()) }
        }
    }

    /// A read made inside another access (the shadow check of a field):
    /// under loom checked for causality like any read, but no event, no
    /// trace line and no scheduling point of its own.
    pub(crate) fn read_in_access(&self) -> T
    where
        T: Copy,
    {
        #[cfg(loom)]
        // SAFETY: the pointer is valid while the closure runs; a write
        // racing with this read is what loom reports.
        return self.inner.with(|p| unsafe { *p });
        #[cfg(not(loom))]
        // SAFETY: the pointer is valid; a concurrent write is ordered
        // before or after this read by the protocol (or, under the DPOR
        // explorer, reported as a race by the access this read is part
        // of); shuttle runs one task at a time.
        return unsafe { *self.inner.get() };
    }

    /// Read access: `f` gets a pointer valid for reads while it runs.
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        let site = Site::caller();
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            event(site, Op::CellRead, self.addr());
            self.check_alloc(false, site);
            let p = self.inner.get();
            // SAFETY: `p` is this live cell's contents for the whole call.
            return unsafe { super::graph::cell(&h, self.addr(), false, p, || f(p)) };
        }
        scheduling_point(self.addr(), self.shadow_addr(), false, site);
        event(site, Op::CellRead, self.addr());
        self.check_alloc(false, site);
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
        let site = Site::caller();
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            event(site, op, self.addr());
            self.check_alloc(true, site);
            let p = self.inner.get();
            // SAFETY: `p` is this live cell's contents for the whole call.
            return unsafe { super::graph::cell(&h, self.addr(), true, p, || f(p)) };
        }
        scheduling_point(self.addr(), self.shadow_addr(), true, site);
        event(site, op, self.addr());
        self.check_alloc(true, site);
        #[cfg(loom)]
        return self.inner.with_mut(f);
        #[cfg(not(loom))]
        return f(self.inner.get());
    }

    /// The address of the allocation's shadow, for the DPOR explorer.
    fn shadow_addr(&self) -> Option<usize> {
        self.alloc.as_ref().map(|a| a.addr())
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
        // SAFETY: `this` is never used or dropped again, so `alloc` and
        // `inner` are each moved out exactly once (the cell's `Drop` only
        // forgets its access history, done above).
        drop(unsafe { std::ptr::read(&this.alloc) });
        // SAFETY: as above.
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
/// A DPOR check also records the access (and, for a field of an
/// allocation, its read of the allocation's `shadow`, in the same step) and
/// checks it for a data race.
#[inline(always)]
#[track_caller]
fn scheduling_point(addr: usize, shadow: Option<usize>, write: bool, site: Site) {
    #[cfg(shuttle)]
    if shuttle_engine::runtime::execution::ExecutionState::try_with(|_| ()).is_ok() {
        super::dpor::cell_access(
            addr,
            shadow,
            write,
            site,
            shuttle_engine::runtime::thread::switch,
        );
    }
    #[cfg(not(shuttle))]
    let _ = (addr, shadow, write, site);
}

#[inline(always)]
fn event(site: Site, op: Op, object: usize) {
    #[cfg(any(loom, shuttle))]
    super::record_plain(Some(site), op, object, |_| String::new());
    #[cfg(not(any(loom, shuttle)))]
    let _ = (site, op, object);
}
