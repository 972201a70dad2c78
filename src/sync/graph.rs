//! The facade's side of the execution-graph explorer
//! (`crate::explore::graph`): a small trait the explorer implements and
//! installs on this thread while it runs, and the few helpers the facade's
//! operations call. With no explorer installed every helper says so
//! ([`active`] is `None`) and the facade runs as before. Shuttle build only.
//!
//! The facade tells the explorer *what* a thread is about to do ([`Op`]),
//! lets the explorer pick the value a read returns ([`Directive`]), runs the
//! operation itself on shuttle's object (after writing the chosen value into
//! it, so a read-modify-write computes from it), and reports what the object
//! holds afterwards if the operation wrote. No operation's semantics live in
//! the explorer.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;

/// What a thread is about to do, as the explorer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// An atomic load.
    Load(Ordering),
    /// An atomic store.
    Store(Ordering),
    /// A read-modify-write: swap, fetch-op (`expected: None`), or
    /// compare-exchange (`expected`: the value it compares with).
    Rmw {
        /// The ordering (of the success, for a compare-exchange).
        success: Ordering,
        /// The ordering of a failed compare-exchange.
        failure: Ordering,
        /// A compare-exchange's expected value.
        expected: Option<u64>,
        /// `compare_exchange_weak`.
        weak: bool,
    },
    /// A read of a lock-protected (plain) cell; `opaque`: a cell whose
    /// value the explorer cannot set (any type but `u64`/`usize`).
    CellRead {
        /// The explorer cannot set the value.
        opaque: bool,
    },
    /// A write of a lock-protected (plain) cell.
    CellWrite {
        /// The explorer cannot see the value.
        opaque: bool,
    },
    /// A mutex acquisition: a compare-exchange of the lock word (the
    /// mutex's ghost location) from 0 to 1, Acquire. `blocking` (`lock`):
    /// a held mutex blocks the thread; otherwise (`try_lock`) it fails.
    Lock {
        /// `lock`, not `try_lock`.
        blocking: bool,
    },
    /// A condition-variable waiter's wake-up: an Acquire load of the
    /// waiter set (the condition variable's ghost location), blocked while
    /// `bit` (the waiter's) is set, unless it wakes spuriously.
    Wake {
        /// The waiter's bit in the waiter set.
        bit: u64,
    },
    /// A fence, with the name it was called by (`fence`, `membar_producer`).
    Fence(Ordering, &'static str),
    /// The thread spawns another.
    Spawn,
    /// The thread joined the task with this id.
    Join(usize),
}

/// What the explorer tells a thread at its scheduling point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Directive {
    /// The value the access reads (written into the object before the
    /// operation runs).
    pub value: Option<u64>,
    /// The `compare_exchange_weak` fails spuriously (it only reads).
    pub spurious: bool,
}

/// The explorer, as the facade calls it. Methods take `&self`: the
/// explorer keeps its state in a `RefCell` and never holds it borrowed
/// across a call back into the facade.
pub trait Hooks {
    /// Before the operation (and its scheduling point): the object's
    /// address (0 for none), the operation, and the object's bits now
    /// (its initial value, when the explorer has not seen it before).
    fn declare(&self, addr: usize, op: Op, current: u64);
    /// After the scheduling point: what the operation reads.
    fn directive(&self) -> Directive;
    /// While on, the scheduler runs the current thread again without a
    /// decision (the scheduling points of the operation itself).
    fn fuse(&self, on: bool);
    /// After the operation: the object's bits if it wrote.
    fn done(&self, wrote: Option<u64>);
    /// The thread spawned the task with this id.
    fn spawned(&self, child: usize);
    /// The object at `addr` was dropped (a new one there is a new location).
    fn forget(&self, addr: usize);
    /// False once the execution is abandoned (no consistent choice): the
    /// hooks are then off, and the thread waits at a scheduling point for
    /// shuttle to end the execution.
    fn live(&self) -> bool;
    /// The current thread is blocked by the read it just made (a held
    /// mutex, a wake-up not yet notified): it never runs again in this
    /// execution, unless every thread is blocked for good ([`Hooks::hung`]).
    fn block(&self);
    /// The current thread yields in a spin loop: it does not run again
    /// until another thread has written, unless every thread is blocked
    /// for good.
    fn spin(&self);
    /// Set when every thread left is blocked for good (a deadlock): the
    /// message the thread the scheduler then runs panics with.
    fn hung(&self) -> Option<String>;
}

thread_local! {
    static HOOKS: RefCell<Option<Rc<dyn Hooks>>> = const { RefCell::new(None) };
}

/// Install (or remove) the explorer on this thread.
pub(crate) fn install(h: Option<Rc<dyn Hooks>>) {
    HOOKS.with(|x| *x.borrow_mut() = h);
}

/// The installed explorer, if one runs an execution on this thread (and no
/// panic is unwinding).
pub(crate) fn active() -> Option<Rc<dyn Hooks>> {
    if std::thread::panicking()
        || shuttle_engine::runtime::execution::ExecutionState::try_with(|_| ()).is_err()
    {
        return None;
    }
    HOOKS.with(|x| x.borrow().clone()).filter(|h| h.live())
}

/// After an event: if it left no consistent choice, stop here (the
/// scheduler ends the execution at this scheduling point), so that no code
/// of the model runs on in an abandoned execution.
fn settle(h: &Rc<dyn Hooks>) {
    if !h.live() {
        shuttle_engine::runtime::thread::switch();
    }
}

/// An atomic operation under the explorer: declare, scheduling point, write
/// the value the explorer chose into the atomic, run, report what it wrote.
///
/// # Safety
///
/// `addr` is the address of a live atomic of the type `read` and `write`
/// were made for (the facade's `read_bits` / `write_bits`).
pub(crate) unsafe fn atomic<R>(
    h: &Rc<dyn Hooks>,
    addr: usize,
    op: Op,
    read: unsafe fn(usize) -> u64,
    write: unsafe fn(usize, u64),
    run: impl FnOnce(Directive) -> R,
    wrote: impl FnOnce(&R) -> bool,
) -> R {
    // SAFETY: the caller's contract.
    h.declare(addr, op, unsafe { read(addr) });
    shuttle_engine::runtime::thread::switch();
    let d = h.directive();
    h.fuse(true);
    if let Some(v) = d.value {
        // SAFETY: the caller's contract.
        unsafe { write(addr, v) };
    }
    let r = run(d);
    h.fuse(false);
    // SAFETY: the caller's contract.
    let w = wrote(&r).then(|| unsafe { read(addr) });
    h.done(w);
    settle(h);
    r
}

/// Whether a cell of `T` holds a value the explorer can read and set (an
/// integer of 64 bits).
fn cell_bits<T>() -> bool {
    std::mem::size_of::<T>() == 8 && matches!(std::any::type_name::<T>(), "u64" | "usize")
}

/// A plain (cell) access under the explorer: as [`atomic`], on the cell's
/// memory. For a `u64`/`usize` cell the explorer chooses the value a plain
/// read returns and writes it into the cell. Any other cell is **opaque**:
/// the explorer sees its accesses but not its values, so it lets a read
/// read the coherence-latest write and puts each write coherence-last (the
/// value in memory is then the one the graph says). That is exact for
/// accesses ordered by happens-before (a lock-protected cell: every write
/// is then ordered with every other access, and coherence follows
/// happens-before); an unordered access to an opaque cell is a data race,
/// which `sc` and `rc11` report, and whose stale values `tso` and `arm`
/// do not explore.
///
/// # Safety
///
/// `p` points to the live contents of the cell at `addr` for the whole call.
pub(crate) unsafe fn cell<T, R>(
    h: &Rc<dyn Hooks>,
    addr: usize,
    write: bool,
    p: *mut T,
    f: impl FnOnce() -> R,
) -> R {
    let opaque = !cell_bits::<T>();
    let p = p as *mut u64;
    let op = if write {
        Op::CellWrite { opaque }
    } else {
        Op::CellRead { opaque }
    };
    let current = if opaque {
        0
    } else {
        // SAFETY: the caller's contract; `T` is a 64-bit integer (not
        // opaque), as in the accesses below, made only when `!opaque`.
        unsafe { *p }
    };
    h.declare(addr, op, current);
    shuttle_engine::runtime::thread::switch();
    let d = h.directive();
    settle(h);
    if let (Some(v), false) = (d.value, opaque) {
        // SAFETY: as above.
        unsafe { *p = v };
    }
    let r = f();
    // SAFETY: as above.
    let w = write.then(|| if opaque { 0 } else { unsafe { *p } });
    h.done(w);
    settle(h);
    r
}

/// An operation on a ghost location the explorer keeps by itself (a
/// mutex's lock word, a condition variable's waiter set; initially 0):
/// declare it, let the explorer choose the value it reads, write what
/// `write` computes from it (`None`: a read only), then run `inside` with
/// that value with no scheduling point between (the backend's own
/// operation, whose own scheduling points are fused). Returns `inside`'s
/// result.
pub(crate) fn ghost<R>(
    h: &Rc<dyn Hooks>,
    addr: usize,
    op: Op,
    write: impl FnOnce(u64) -> Option<u64>,
    inside: impl FnOnce(u64, Directive) -> R,
) -> R {
    h.declare(addr, op, 0);
    shuttle_engine::runtime::thread::switch();
    let d = h.directive();
    settle(h);
    // A store reads nothing (0 for `write` and `inside`).
    let old = d.value.unwrap_or(0);
    // The write is placed before `inside` runs: a placement that breaks
    // atomicity (an acquisition that read an old unlock) ends the
    // execution here, before the backend is asked to agree.
    h.done(write(old));
    settle(h);
    h.fuse(true);
    let r = inside(old, d);
    h.fuse(false);
    r
}

/// The current thread is blocked for good in this execution (see
/// [`Hooks::block`]): it waits at scheduling points, and panics with the
/// deadlock message if the scheduler runs it because every thread is.
pub(crate) fn block(h: &Rc<dyn Hooks>) -> ! {
    h.block();
    loop {
        shuttle_engine::runtime::thread::switch();
        if let Some(m) = h.hung() {
            panic!("{m}");
        }
    }
}

/// A spin loop's pause (see [`Hooks::spin`]).
pub(crate) fn spin(h: &Rc<dyn Hooks>) {
    h.spin();
    shuttle_engine::runtime::thread::switch();
    if let Some(m) = h.hung() {
        panic!("{m}");
    }
}

/// An event with no object and no scheduling point (fence, spawn, join).
pub(crate) fn event(op: Op) {
    if let Some(h) = active() {
        h.declare(0, op, 0);
        let _ = h.directive();
        h.done(None);
        settle(&h);
    }
}

/// After a spawn: the child's task id.
pub(crate) fn spawned(child: usize) {
    if let Some(h) = active() {
        h.spawned(child);
    }
}

/// A facade object at `addr` was dropped.
pub(crate) fn forget(addr: usize) {
    if let Some(h) = HOOKS.with(|x| x.borrow().clone()) {
        h.forget(addr);
    }
}
