//! The sync facade every model is written against.
//!
//! Three backends, chosen at build time:
//!
//! | build | backend | what the profile does |
//! | --- | --- | --- |
//! | default | `std` (real threads) | nothing: the real machine decides |
//! | `--cfg loom` | loom (exhaustive, C11 model) | rewrites every ordering ([`Profile`]) |
//! | `--cfg shuttle` | shuttle (random / PCT / DFS, sequentially consistent) | nothing |
//!
//! Every atomic operation and fence is `#[track_caller]` and goes through one
//! function (`atomic_op` and `fence_named`) that applies the profile and
//! the weakening [`Plan`], then records a [`trace::Event`] with the thread,
//! the site (file:line), the orderings as written and as run, and the value.
//! Locks, condition variables and lock-protected cells record their events
//! too, so a counterexample reads like the kernel code it came from.
//!
//! Kernel memory (an allocation zeroed by a write, poisoned by its free,
//! checked at every use) is modelled by one helper for every model,
//! [`mem::Alloc`].
//!
//! The kernel barrier names map as in `shared/seeds/README.md`:
//!
//! | kernel | here | x86-64 | AArch64 |
//! | --- | --- | --- | --- |
//! | `membar_producer()` (and 1.54's `mb_write()`) | `fence(Release)` | nothing | `dmb ishst` |
//! | `membar_consumer()` | `fence(Acquire)` | nothing | `dmb ishld` |
//! | `membar_exit()` | `fence(Release)` | nothing | `dmb ish` |
//! | `membar_enter()` | `fence(SeqCst)` | nothing after a locked RMW | `dmb ish` |
//!
//! C11 has no store-store or load-load fence: `Release` and `Acquire` are the
//! nearest fences that are at least as strong, so a model can only be *more*
//! ordered than the kernel here, never less.

#[cfg(all(loom, shuttle))]
compile_error!("choose one explorer: --cfg loom or --cfg shuttle, not both");

mod atomic;
mod cell;
mod lock;
pub mod mem;
pub mod ordering;
pub mod thread;
// The recorder is driven only by the explorer backends' check runner.
#[cfg_attr(not(any(loom, shuttle)), allow(dead_code))]
pub mod trace;

// What the facade tells the project's DPOR explorer (shuttle build only).
#[cfg(shuttle)]
pub(crate) mod dpor;
// What the facade tells the execution-graph explorer (shuttle build only).
#[cfg(shuttle)]
pub(crate) mod graph;

pub use atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize};
pub use cell::UnsafeCell;
pub use lock::{Condvar, Mutex, MutexGuard, Unlock};
pub use mem::Alloc;
pub use ordering::{MemoryModel, Plan, Profile};
pub use std::sync::atomic::Ordering;

#[cfg(loom)]
mod arc;
#[cfg(loom)]
pub use arc::Arc;
#[cfg(shuttle)]
#[path = "arc_shuttle.rs"]
mod arc;
#[cfg(shuttle)]
pub use arc::Arc;
/// Reference counting pointer of the active backend.
#[cfg(not(any(loom, shuttle)))]
pub use std::sync::Arc;

use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};

use ordering::Access;
use trace::Op;

/// The backend's primitives, under one name.
mod imp {
    #[cfg(loom)]
    pub use loom::{
        cell::UnsafeCell,
        sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize},
        sync::{Condvar, Mutex, MutexGuard},
        thread,
    };
    #[cfg(shuttle)]
    pub use shuttle::{
        sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize},
        sync::{Condvar, Mutex, MutexGuard},
        thread,
    };
    #[cfg(not(loom))]
    pub use std::cell::UnsafeCell;
    #[cfg(not(any(loom, shuttle)))]
    pub use std::{
        sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize},
        sync::{Condvar, Mutex, MutexGuard},
        thread,
    };
}

/// A build of the facade: which primitives the models run on. The one
/// place where a backend's name and its `RUSTFLAGS` are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// Real threads (the default build).
    Std,
    /// loom (`--cfg loom --cfg crossbeam_loom`).
    Loom,
    /// shuttle (`--cfg shuttle`).
    Shuttle,
}

impl Backend {
    /// The backend this binary was built for.
    pub const ACTIVE: Backend = if cfg!(loom) {
        Backend::Loom
    } else if cfg!(shuttle) {
        Backend::Shuttle
    } else {
        Backend::Std
    };

    /// Every backend.
    pub const ALL: [Backend; 3] = [Backend::Std, Backend::Loom, Backend::Shuttle];

    /// Its name on command lines and in reports: `std`, `loom`, `shuttle`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Std => "std",
            Backend::Loom => "loom",
            Backend::Shuttle => "shuttle",
        }
    }

    /// The `RUSTFLAGS` that build it (crossbeam-epoch follows loom only
    /// with `--cfg crossbeam_loom`).
    pub const fn rustflags(self) -> &'static str {
        match self {
            Backend::Std => "",
            Backend::Loom => "--cfg loom --cfg crossbeam_loom",
            Backend::Shuttle => "--cfg shuttle",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown backend '{s}' (accepted: std, loom, shuttle)"))
    }
}

/// A place in the source: where an operation was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    /// Source file, as the compiler names it (`src/tidhash.rs`).
    pub file: &'static str,
    /// Line, 1-based.
    pub line: u32,
    /// Column, 1-based.
    pub column: u32,
}

/// A source path as a reader finds it from the crate root. The models are
/// compiled through `#[path = "../models/mod.rs"]`, so the compiler names
/// their files `src/../models/...`; this drops the detour.
pub fn source_path(file: &str) -> &str {
    file.strip_prefix("src/../").unwrap_or(file)
}

impl Site {
    /// The site of the caller (through any chain of `#[track_caller]`).
    #[track_caller]
    #[inline]
    pub fn caller() -> Site {
        let l = std::panic::Location::caller();
        Site {
            file: source_path(l.file()),
            line: l.line(),
            column: l.column(),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The one place every atomic access goes through: map the written
/// orderings through the weakening plan and the profile, run `f` with the
/// result (inside `fence(SeqCst)`s for an x86 locked RMW), and record the
/// event. `detail` formats the value for the trace.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn atomic_op<R>(
    site: Site,
    access: Access,
    op: Op,
    object: usize,
    written: Ordering,
    failure: Ordering,
    f: impl FnOnce(Ordering, Ordering) -> R,
    detail: impl FnOnce(&R, &mut trace::State) -> trace::Detail,
) -> R {
    #[cfg(not(any(loom, shuttle)))]
    {
        let _ = (site, access, op, object, detail);
        f(written, failure)
    }
    #[cfg(any(loom, shuttle))]
    {
        let m = mapped(site, access, written, failure);
        if m.full_fences {
            imp::fence(SeqCst);
        }
        let run = m.ordering.unwrap_or(written);
        let r = f(run, m.failure);
        if m.full_fences {
            imp::fence(SeqCst);
        }
        record(site, access, op, object, Some(written), Some(run), |st| {
            detail(&r, st)
        });
        r
    }
}

/// Under loom, the profile and plan decide; under shuttle (sequentially
/// consistent) they change nothing.
#[cfg(any(loom, shuttle))]
fn mapped(site: Site, access: Access, written: Ordering, failure: Ordering) -> ordering::Mapped {
    if cfg!(loom) {
        trace::profile_and_plan(|p, plan| ordering::map(p, plan, site, access, written, failure))
    } else {
        ordering::Mapped {
            ordering: Some(written),
            failure,
            full_fences: false,
        }
    }
}

/// Record an event if a check is recording on this OS thread.
#[cfg(any(loom, shuttle))]
pub(crate) fn record(
    site: Site,
    access: Access,
    op: Op,
    object: usize,
    written: Option<Ordering>,
    run: Option<Ordering>,
    detail: impl FnOnce(&mut trace::State) -> trace::Detail,
) {
    if !trace::recording() {
        return;
    }
    let (key, name) = thread::current_key();
    trace::with_state(|st| {
        if let Some(w) = written {
            st.note_site(site, access, &op_name(&op), w);
        }
        let lane = st.lane(key, name.as_deref());
        let addr = st.location(object);
        let label = st.label_of(object);
        let detail = detail(st);
        if cfg!(loom) && detail.wrote.is_some() {
            st.count_store(object, &label, site);
        }
        st.push_at(
            trace::Event {
                lane,
                site: Some(site),
                op: detail.op.unwrap_or(op),
                object: label,
                addr,
                written,
                run,
                detail: detail.text,
                read: detail.read,
                wrote: detail.wrote,
            },
            object,
        );
    });
}

/// Under the DPOR explorer's `tso`: the running thread's oldest buffered
/// store to the atomic at `object` reached memory (called by the store
/// buffer as it flushes, on the thread that owns the buffer).
#[cfg(shuttle)]
pub(crate) fn record_flush(object: usize) {
    if !trace::recording() {
        return;
    }
    let (key, name) = thread::current_key();
    trace::with_state(|st| {
        let lane = st.lane(key, name.as_deref());
        st.flushed(lane, object);
    });
}

/// Record a non-atomic event (lock, cell, thread); `site` is `None` for a
/// guard released by scope.
#[cfg(any(loom, shuttle))]
pub(crate) fn record_plain(
    site: Option<Site>,
    op: Op,
    object: usize,
    detail: impl FnOnce(&mut trace::State) -> String,
) {
    if !trace::recording() {
        return;
    }
    let (key, name) = thread::current_key();
    trace::with_state(|st| {
        let lane = st.lane(key, name.as_deref());
        let addr = st.location(object);
        let object = st.label_of(object);
        let detail = detail(st);
        st.push(trace::Event {
            lane,
            site,
            op,
            object,
            addr,
            written: None,
            run: None,
            detail,
            read: None,
            wrote: None,
        });
    });
}

#[cfg(any(loom, shuttle))]
fn op_name(op: &Op) -> String {
    match op {
        Op::Load | Op::Forwarded => "load".into(),
        Op::Store | Op::Buffered => "store".into(),
        Op::Rmw(n) | Op::Fence(n) => (*n).into(),
        other => format!("{other:?}"),
    }
}

/// A fence with its kernel name, through the profile and plan.
#[track_caller]
#[inline(always)]
pub(crate) fn fence_named(name: &'static str, written: Ordering) {
    let site = Site::caller();
    #[cfg(not(any(loom, shuttle)))]
    {
        let _ = (site, name);
        imp::fence(written);
    }
    #[cfg(any(loom, shuttle))]
    {
        let m = mapped(
            site,
            Access::Fence,
            written,
            std::sync::atomic::Ordering::Relaxed,
        );
        if let Some(o) = m.ordering {
            imp::fence(o);
            #[cfg(shuttle)]
            dpor::fence(o);
            #[cfg(shuttle)]
            graph::event(graph::Op::Fence(o, name));
        }
        record(
            site,
            Access::Fence,
            Op::Fence(name),
            0,
            Some(written),
            m.ordering,
            |_| trace::Detail::default(),
        );
    }
}

/// An atomic fence (`std::sync::atomic::fence`), through the profile.
#[track_caller]
pub fn fence(order: Ordering) {
    fence_named("fence", order);
}

/// `membar_producer()` (illumos, NetBSD; `mb_write()` in NetBSD 1.54):
/// earlier stores before later stores. Runs as `fence(Release)`.
#[track_caller]
pub fn membar_producer() {
    fence_named("membar_producer", Release);
}

/// `membar_consumer()`: earlier loads before later loads. Runs as
/// `fence(Acquire)`.
#[track_caller]
pub fn membar_consumer() {
    fence_named("membar_consumer", Acquire);
}

/// `membar_exit()`: everything before, before a later store (a release).
/// Runs as `fence(Release)`.
#[track_caller]
pub fn membar_exit() {
    fence_named("membar_exit", Release);
}

/// `membar_enter()`: a store or lock before everything after. Runs as
/// `fence(SeqCst)`, the only C11 fence that orders a store before later
/// loads; kept under the x86 profile (it costs a full barrier there too
/// unless it follows a locked RMW).
#[track_caller]
pub fn membar_enter() {
    fence_named("membar_enter", SeqCst);
}

/// `membar_sync()`: a full barrier (NetBSD; `dmb ish` on AArch64, `mfence`
/// on x86-64). Runs as `fence(SeqCst)`.
#[track_caller]
pub fn membar_sync() {
    fence_named("membar_sync", SeqCst);
}

/// `membar_release()` (NetBSD 10): everything before, before a later store.
/// Runs as `fence(Release)`.
#[track_caller]
pub fn membar_release() {
    fence_named("membar_release", Release);
}

/// `membar_acquire()` (NetBSD 10): an earlier load before everything after.
/// Runs as `fence(Acquire)`.
#[track_caller]
pub fn membar_acquire() {
    fence_named("membar_acquire", Acquire);
}

/// Start recording a new execution (called by the check runner at the start
/// of each one, on the thread that runs it).
#[cfg(any(loom, shuttle))]
pub(crate) fn begin_execution() {
    trace::begin_execution(thread::current_key().0);
}

/// Remember, in the trace, which thread raises the current failure (called
/// by [`crate::explore::violation`] and by [`mem`]'s use-after-free check
/// before they panic).
pub(crate) fn note_failing_thread() {
    #[cfg(any(loom, shuttle))]
    if trace::recording() && trace::with_state(|st| st.executing()) == Some(true) {
        // (Outside an execution, loom's `thread::current` would panic.)
        let (key, name) = thread::current_key();
        trace::with_state(|st| st.set_failing(key, name.as_deref()));
    }
}

/// Name an object (atomic, mutex, cell, or the target of a pointer) in this
/// execution's trace. Without a name, objects appear as `obj#N` in order of
/// first use. A no-op under std.
pub fn label<T: ?Sized>(object: &T, name: impl Into<String>) {
    label_addr(object as *const T as *const () as usize, name);
}

/// Name the object a raw pointer points to (pointer values stored in an
/// [`AtomicPtr`] are shown by this name).
pub fn label_ptr<T>(ptr: *const T, name: impl Into<String>) {
    label_addr(ptr as usize, name);
}

fn label_addr(addr: usize, name: impl Into<String>) {
    #[cfg(any(loom, shuttle))]
    {
        let name = name.into();
        trace::with_state(|st| st.set_label(addr, name));
    }
    #[cfg(not(any(loom, shuttle)))]
    {
        let _ = (addr, name);
    }
}

/// Put a note from the model into the trace ("table changed: retry").
#[track_caller]
pub fn note(text: impl Into<String>) {
    let site = Site::caller();
    #[cfg(any(loom, shuttle))]
    {
        let text = text.into();
        record_plain(Some(site), Op::Note, 0, move |_| text);
    }
    #[cfg(not(any(loom, shuttle)))]
    {
        let _ = (site, text);
    }
}
