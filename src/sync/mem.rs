//! Kernel memory, modelled one way in every model: an allocation is zeroed
//! by a write, a free poisons it, and every later use fails, never silently.
//!
//! An [`Alloc`] is the memory of one kernel object (a `kmem_zalloc`ed
//! table, a `struct thread` from a UMA zone, a `struct lwp` from
//! `lwp_cache`, an address space), as far as the protocol can tell: one
//! facade [`UnsafeCell`] holding its state. The object's fields stay
//! cells of their own (so loom still checks the locks that protect them);
//! the state cell is what the allocator and the free write and what every
//! use reads:
//!
//! - [`Alloc::zero`] is the allocator's zeroing, a write (`write lwpent[3]
//!   memory` in a trace). A reader that reaches the object without being
//!   ordered after it (a missing producer barrier) races with it.
//! - [`Alloc::free`] poisons the memory, a write of the same cell (`free
//!   lwpent[3] memory`). A second free of poisoned memory fails at once.
//! - [`Alloc::touch`] is a use, a read, made before the model accesses a
//!   field through a pointer the protocol could have freed. Under loom, a
//!   use unordered with the free is a data race (loom's causality check,
//!   whichever of the two ran first); a use ordered after it, and under
//!   shuttle any use scheduled after it, reads the poison and fails as a
//!   use after free.
//!
//! Nothing is returned to Rust's allocator: the Rust value lives as long as
//! the model keeps it (the process, the thread table), so a model that uses
//! "freed" memory is reported, never undefined behaviour in the checker.
//!
//! **How a use after free is reported.** The facade is the bottom layer
//! (`sync -> explore -> ...`, checked by `checks/tool/layout.rs`): it
//! cannot name [`crate::explore`]'s failure kinds or call its `violation`.
//! It panics with a message that starts with [`USE_AFTER_FREE`], exactly
//! the text `violation(FailKind::UseAfterFree, ...)` would panic with, and
//! the explorer's runner classifies that prefix as a use after free, as it
//! classifies loom's own "Causality violation" as a data race. This keeps
//! the helper beside the cell it is made of, usable from the std build
//! (real threads, where there is no runner and the panic reads the same)
//! and from every model, with no hook to install and no upward dependency.
//! The failing thread is noted for the trace as `violation` notes it.

use std::fmt;

use super::trace::Op;
use super::{label, UnsafeCell};

/// The start of the panic message of a use after free (and of a second
/// free): `use-after-free: ...`, the name of the explorer's failure kind.
pub const USE_AFTER_FREE: &str = "use-after-free: ";

/// The state of an allocation's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Allocated and not freed.
    Live,
    /// Freed: poisoned.
    Freed,
}

/// The memory of one kernel allocation (see the module docs).
pub struct Alloc {
    what: String,
    state: UnsafeCell<State>,
}

impl Alloc {
    /// The memory of `what` (`"lwpent of tid 3"`, named in failure
    /// messages), live but not yet zeroed: call [`Alloc::zero`] once it is
    /// at its final address, before sharing it.
    pub fn new(what: impl Into<String>) -> Self {
        Alloc {
            what: what.into(),
            state: UnsafeCell::new(State::Live),
        }
    }

    /// The allocator's zeroing (`kmem_zalloc`, `uma_zalloc`, `pool_get`
    /// and the constructor): a write of the memory, labelled `label` in
    /// traces (`lwpent[3] memory`).
    #[track_caller]
    pub fn zero(&self, label_: impl Into<String>) {
        label(&self.state, label_);
        // SAFETY: the pointer is valid while the closure runs. The
        // allocation is not shared yet (the caller's contract above); a
        // reader that is not ordered after this write is the race loom
        // reports.
        self.state.with_mut(|p| unsafe { *p = State::Live });
    }

    /// A use of the memory by `user`: fails as a use after free if the
    /// memory is poisoned (under loom, a use racing with the free is a
    /// data race).
    #[track_caller]
    pub fn touch(&self, user: &str) {
        // SAFETY: the pointer is valid while the closure runs (the Rust
        // value is never deallocated while the model runs). A concurrent
        // free is exactly what this read lets loom report; the faithful
        // protocols order every use before the free.
        let state = self.state.with(|p| unsafe { *p });
        if state == State::Freed {
            fault(format_args!("{user} used {} after it was freed", self.what));
        }
    }

    /// The free (`kmem_free`, `uma_zfree`, `pool_cache_put`): poisons the
    /// memory. Freeing poisoned memory fails at once (a double free).
    #[track_caller]
    pub fn free(&self) {
        // One write access (a read of the old state inside it), so a free
        // costs one event and, under shuttle, one scheduling point.
        // SAFETY: the pointer is valid while the closure runs; a use or a
        // free racing with this write is what loom reports.
        let was = self.state.with_mut_as(Op::Free, |p| unsafe {
            std::mem::replace(&mut *p, State::Freed)
        });
        if was == State::Freed {
            fault(format_args!("{} was freed a second time", self.what));
        }
    }

    /// True once freed. A read of the memory: call it only where the free
    /// is ordered before (the main thread after every join, or under the
    /// lock the free is made under).
    #[track_caller]
    pub fn is_freed(&self) -> bool {
        // SAFETY: the pointer is valid while the closure runs; the caller
        // orders this read after any free (contract above).
        self.state.with(|p| unsafe { *p }) == State::Freed
    }

    /// What the memory is (`lwpent of tid 3`).
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl fmt::Debug for Alloc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Alloc({})", self.what)
    }
}

/// Fail the execution as a use after free (see the module docs).
#[track_caller]
fn fault(message: fmt::Arguments<'_>) -> ! {
    super::note_failing_thread();
    panic!("{USE_AFTER_FREE}{message}");
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    fn panic_text(f: impl FnOnce()) -> String {
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("it panics");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn a_use_after_the_free_fails_with_the_prefix() {
        let m = Alloc::new("lwpent of tid 3");
        m.zero("lwpent[3] memory");
        m.touch("lwp_unpark");
        assert!(!m.is_freed());
        m.free();
        assert!(m.is_freed());
        let msg = panic_text(|| m.touch("lwp_unpark"));
        assert_eq!(
            msg,
            "use-after-free: lwp_unpark used lwpent of tid 3 after it was freed"
        );
    }

    #[test]
    fn a_second_free_fails() {
        let m = Alloc::new("struct thread T1");
        m.zero("T1 memory");
        m.free();
        let msg = panic_text(|| m.free());
        assert_eq!(
            msg,
            "use-after-free: struct thread T1 was freed a second time"
        );
    }
}
