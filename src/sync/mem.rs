//! Kernel memory, modelled one way in every model: an allocation is zeroed
//! by a write, a free poisons it, and every later access to one of its
//! fields fails by itself, as KASAN checks every access against shadow
//! memory, never silently and with no call at the use site.
//!
//! An [`Alloc`] is the memory of one kernel object (a `kmem_zalloc`ed
//! table, a `struct thread` from a UMA zone, a `struct lwp` from
//! `lwp_cache`, an address space), as far as the protocol can tell: its
//! **shadow**, one facade [`UnsafeCell`] holding its state, that the
//! allocator and the free write. The object's fields are cells of their
//! own (so loom still checks the locks that protect them), made by
//! [`Alloc::cell`]: a field knows its allocation, and **every access to it,
//! read or write, also reads the shadow, inside the same access**:
//!
//! - [`Alloc::zero`] is the allocator's zeroing, a write of the shadow
//!   (`write lwpent[3] memory` in a trace). A reader that reaches the
//!   object without being ordered after it (a missing producer barrier)
//!   races with it.
//! - [`Alloc::free`] poisons the memory, a write of the shadow (`free
//!   lwpent[3] memory`). A second free of poisoned memory fails at once.
//! - A field access unordered with the free is a data race under loom (its
//!   causality check on the shadow, whichever of the two ran first) and
//!   under the DPOR explorer (its race detector, which sees the field
//!   access read the shadow); an access ordered after the free, and under
//!   shuttle any access scheduled after it, reads the poison and fails as
//!   a use after free.
//!
//! **What the check costs.** Nothing in executions: the shadow read is
//! part of the field's access, not an event of its own. Under loom a cell
//! access is no scheduling point anyway (only its causality is checked);
//! under shuttle the field access's own scheduling point comes first and
//! the shadow is read after it, with no second one; the DPOR explorer
//! declares the field access as one step touching two objects (the field,
//! and the shadow as a read), so the step is dependent on the free and the
//! zeroing, and on nothing else it was not already dependent on.
//!
//! **What is not a field.** Ghost state the checker keeps beside the
//! kernel's (a count read after every join, "freed at") is a plain cell,
//! made apart from the allocation; names for traces and immutable
//! identities kept as plain Rust values (`l_lid`) are not checked, so a
//! port reads kernel state through cells made by [`Alloc::cell`]. A
//! facade `Mutex` or atomic does not know its allocation yet: where a port
//! uses one of those in memory that can be freed (a bucket lock of a tid
//! hash) it calls [`Alloc::touch`] first, and says why. That is the only
//! use of `touch`, besides a use of memory that is no field (a CPU still
//! running in an address space).
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
use super::{label, Site, UnsafeCell};

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

/// The shadow of one allocation: its state, shared by the [`Alloc`] and
/// every field made by [`Alloc::cell`] (checker bookkeeping, so a std
/// `Arc`: it is no kernel object and no explorer sees its count).
pub(crate) struct Shadow {
    what: String,
    state: UnsafeCell<State>,
}

impl Shadow {
    /// The shadow cell's address, for the DPOR explorer's race detector.
    pub(crate) fn addr(&self) -> usize {
        self.state.addr()
    }

    /// The check inside every access to the field at `field` (`write`:
    /// the access is a write), made at `site`: a read of the shadow that
    /// adds no event (see the module docs). Fails as a use after free if
    /// the memory is poisoned.
    #[track_caller]
    pub(crate) fn check(&self, field: usize, write: bool, site: Site) {
        // The execution-graph explorer sees the shadow read as an event.
        #[cfg(shuttle)]
        self.state.graph_read();
        if self.state.read_in_access() == State::Freed {
            let access = if write { "write" } else { "read" };
            fault(format_args!(
                "{access} of {} at {site} after {} was freed",
                field_name(field),
                self.what
            ));
        }
    }
}

/// The memory of one kernel allocation (see the module docs).
pub struct Alloc {
    shadow: std::sync::Arc<Shadow>,
}

impl Alloc {
    /// The memory of `what` (`"lwpent of tid 3"`, named in failure
    /// messages), live but not yet zeroed: call [`Alloc::zero`] before
    /// sharing it.
    pub fn new(what: impl Into<String>) -> Self {
        Alloc {
            shadow: std::sync::Arc::new(Shadow {
                what: what.into(),
                state: UnsafeCell::new(State::Live),
            }),
        }
    }

    /// A field of this allocation holding `value`: every access to it
    /// checks the allocation's shadow (fails after the free, races with
    /// an unordered free), with nothing to call at the use site.
    pub fn cell<T>(&self, value: T) -> UnsafeCell<T> {
        UnsafeCell::in_alloc(value, std::sync::Arc::clone(&self.shadow))
    }

    /// The allocator's zeroing (`kmem_zalloc`, `uma_zalloc`, `pool_get`
    /// and the constructor): a write of the memory, labelled `label` in
    /// traces (`lwpent[3] memory`).
    #[track_caller]
    pub fn zero(&self, label_: impl Into<String>) {
        let state = &self.shadow.state;
        label(state, label_);
        // SAFETY: the pointer is valid while the closure runs. The
        // allocation is not shared yet (the caller's contract above); a
        // reader that is not ordered after this write is the race loom
        // reports.
        state.with_mut(|p| unsafe { *p = State::Live });
    }

    /// A use of the memory by `user` that is no field access: fails as a
    /// use after free if the memory is poisoned (under loom, a use racing
    /// with the free is a data race). The exception (see the module docs):
    /// a field made by [`Alloc::cell`] checks itself.
    #[track_caller]
    pub fn touch(&self, user: &str) {
        // SAFETY: the pointer is valid while the closure runs (the Rust
        // value is never deallocated while the model runs). A concurrent
        // free is exactly what this read lets loom report; the faithful
        // protocols order every use before the free.
        let state = self.shadow.state.with(|p| unsafe { *p });
        if state == State::Freed {
            fault(format_args!(
                "{user} used {} after it was freed",
                self.shadow.what
            ));
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
        let was = self.shadow.state.with_mut_as(Op::Free, |p| unsafe {
            std::mem::replace(&mut *p, State::Freed)
        });
        if was == State::Freed {
            fault(format_args!("{} was freed a second time", self.shadow.what));
        }
    }

    /// True once freed. A read of the memory: call it only where the free
    /// is ordered before (the main thread after every join, or under the
    /// lock the free is made under).
    #[track_caller]
    pub fn is_freed(&self) -> bool {
        // SAFETY: the pointer is valid while the closure runs; the caller
        // orders this read after any free (contract above).
        self.shadow.state.with(|p| unsafe { *p }) == State::Freed
    }

    /// What the memory is (`lwpent of tid 3`).
    pub fn what(&self) -> &str {
        &self.shadow.what
    }
}

impl fmt::Debug for Alloc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Alloc({})", self.shadow.what)
    }
}

/// The trace's name of the field at `addr` (`T1.td_zombie`), or `a field`
/// where there is no trace.
fn field_name(addr: usize) -> String {
    #[cfg(any(loom, shuttle))]
    if let Some(l) = super::trace::with_state(|st| st.label_of(addr)) {
        return l;
    }
    let _ = addr;
    "a field".into()
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
    fn a_field_fails_by_itself_after_the_free() {
        let m = Alloc::new("struct thread T1");
        let link = m.cell(7usize);
        let ghost = crate::sync::UnsafeCell::new(1u32);
        m.zero("T1 memory");
        // SAFETY: one thread.
        assert_eq!(unsafe { link.read() }, 7);
        m.free();
        let msg = panic_text(|| {
            // SAFETY: one thread; the read is the use after free under test.
            let _ = unsafe { link.read() };
        });
        assert!(
            msg.starts_with("use-after-free: read of a field at ")
                && msg.ends_with(" after struct thread T1 was freed"),
            "{msg}"
        );
        // SAFETY: as above.
        let msg = panic_text(|| unsafe { link.write(0) });
        assert!(msg.starts_with("use-after-free: write of a field"), "{msg}");
        // A cell made apart from the allocation (a ghost) is not its field.
        // SAFETY: one thread.
        assert_eq!(unsafe { ghost.read() }, 1);
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
