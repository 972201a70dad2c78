//! NetBSD's LWP lock and how it is lent (issue 4).
//!
//! Sources (line numbers are the listings' own):
//!
//! - `shared/seeds/001_078b5b09e05f415d.txt`, NetBSD `sys/kern/kern_lwp.c`
//!   rev 1.157 (2011): the locking overview 149-211, `lwp_migrate` 1117-1179,
//!   `lwp_locked` 1271-1281, `lwp_setlock` 1283-1294, `lwp_unlock_to`
//!   1296-1311, `lwp_trylock` 1313-1325.
//! - `shared/seeds/004_db5a9877fa6c9061.txt`, the same file at rev 1.54
//!   (2007): `lwp_lock_retry` 968-1000, `lwp_setlock` 1002-1017,
//!   `lwp_unlock_to` 1019-1038 (`mb_write`), `lwp_relock` 1040-1063.
//! - `lwp_lock` and `lwp_unlock` live in `sys/lwp.h`, which is not among the
//!   seeds: [`lwp_lock`] is written from the issue's description (take the
//!   mutex `l_mutex` points to, re-test `l_mutex`, otherwise release and
//!   retry) and from rev 1.54's `lwp_lock_retry`; [`lwp_unlock`] is
//!   `mutex_spin_exit(l->l_mutex)`.
//!
//! The protocol: most fields of an LWP are covered by "a single, general spin
//! lock pointed to by `lwp::l_mutex`" (1.157 lines 151-153), and that pointer
//! moves with the LWP's state: a per-CPU `spc_mutex` for `LSIDL`/`LSRUN`, the
//! per-CPU `spc_lwplock` for `LSONPROC`, the sleep queue's lock for
//! `LSSLEEP` (lines 162-184). Whoever holds the mutex `l_mutex` names holds
//! the LWP, and may *lend* the LWP to another mutex: [`lwp_setlock`] (keep
//! the old mutex), [`lwp_unlock_to`] (release the old one), [`lwp_relock`]
//! (1.54: acquire the new one first). Everyone else must take the mutex and
//! then re-test `l_mutex` ([`lwp_lock`], [`lwp_trylock`]), because the
//! pointer may have moved while they waited.
//!
//! # The model
//!
//! - [`Sched`] holds the mutexes an LWP can be lent to: two CPUs with a
//!   `spc_mutex` and a `spc_lwplock` each, and one sleep-queue lock. They are
//!   the facade's [`Mutex`], so their acquire and release are modeled (and
//!   traced).
//! - [`Lwp`] holds `l_mutex` (an [`AtomicPtr`] to one of those mutexes) and
//!   the fields the LWP lock covers (`l_stat`, `l_cpu`, `l_wchan`, and a
//!   counter `l_count` that every holder increments) in the facade's
//!   [`UnsafeCell`]: the moment two threads both believe they hold the LWP
//!   lock and touch a field, loom reports a data race.
//! - Holding the LWP lock is an [`LwpGuard`], which knows the mutex it holds.
//!   [`lwp_unlock`] and the `KASSERT(lwp_locked(l, NULL))` of the kernel
//!   check that `l_mutex` still names that mutex: the lock a holder releases
//!   is the one it acquired.
//! - `mutex_spin_enter` is the facade's lock followed by the read barrier the
//!   kernel relies on ("mutex_enter() will have posted a read barrier", 1.54
//!   line 991): a `fence(Acquire)`, which pairs with the `membar_exit()` that
//!   the lender issued before publishing the pointer this thread loaded.
//!
//! Barriers: `membar_exit()` (1.157) and `mb_write()` (1.54) are both
//! `fence(Release)` here (see `shared/seeds/README.md`); C11 has no
//! store-store fence, so the two revisions' `lwp_unlock_to` run the same
//! code. The stores and loads of `l_mutex` are plain C accesses in the
//! kernel (`kmutex_t * volatile`), so `Relaxed` here.
//!
//! Seeded bugs are one-line guards beside the faithful line, but these:
//! `unlock-to-release-first` and `relock-switch-first` reorder lines (a
//! block beside the faithful code, as a guard would need each line twice);
//! `retry-do-while` is the source's own `#else` text of `lwp_lock_retry`
//! and `retry-test-folded` a compiler's rewrite of the whole loop, so each
//! is its own loop body; `current` and `current-fix-retest-acquire` are a
//! later revision of the code (`lwp.h` 1.217, `kern_lwp.c` 1.250), not
//! seeded bugs, in their own function and match arms. The fix variants
//! change one load, in `retest_load`.
//!
//! Memory: no object these scenarios use is freed, so the model has no
//! `sync::Alloc`. The mutexes an LWP is lent to are
//! per-CPU (`spc_mutex`, `spc_lwplock`) or sleep-queue locks, never freed;
//! the LWP itself is freed only at the end of `lwp_free`
//! (`pool_cache_put(lwp_cache, l)`, 1.157 line 1114), after its references
//! are drained and it is off its CPU, and what orders that free is the
//! `refcount` model's subject, where the LWP is an `Alloc` (docs/models.md).
//! Variants ([`Variant`]) and scenarios ([`scenarios`]) follow.
//!
//! # Findings
//!
//! - **A lock lent back to a mutex another CPU holds (ABA).** `lwp_lock`'s
//!   re-test is a plain load *after* the read barrier of `mutex_spin_enter`,
//!   and nothing acquires after it. If a CPU holds `spc_mutex[0]` (taken
//!   through a pointer that has since moved) when another CPU lends the LWP
//!   back to `spc_mutex[0]` (`lwp_unlock_to`, as `lwp_migrate` does without
//!   holding the target), the re-test reads that pointer and returns, and
//!   the lender's writes are not ordered before the new holder's accesses:
//!   a data race in C11 (`lend_back_vs_lock`, faithful, Arm; the shape is
//!   ARMv8's MP+dmb+ctrl, which the architecture allows). x86 is safe
//!   (loads are acquires). Today's code ([`Variant::Current`], `lwp.h`
//!   1.217 / `kern_lwp.c` 1.250) fails the same way, also through 1.250's
//!   `lwp_free` lending (`free_lend_back_vs_lock`); the fix variants
//!   (acquire re-tests, or `membar_consumer()` after them) pass every cell.
//!   The finding's page: `docs/findings/netbsd-lwp-lock-lend-back.md`.
//! - **`lwp_lock_retry`'s two forms** differ only in that situation (the
//!   `#if 1` while loop can return on its entry test when `l_mutex` is back
//!   to `old`); both fail it, by different paths (a loom test pins both).
//! - **A loom search hole with mutexes**: in `sleepq_lend_vs_waker` loom
//!   never runs the sleeper's second `lwp_lock` after the waker's lending,
//!   so `setlock-no-membar` passes there (recorded as a miss);
//!   `sleepq_wake_then_lock` forces that order with a Relaxed flag and
//!   loom fails it at once. loom's DPOR looks only at the last access of an
//!   object, and the sleeper's later lock/unlock of `sq_mutex` hides its
//!   earlier release (the loom #392/#166 family).
//! - **A held target needs no barrier**: `unlock-to-no-membar` passes
//!   `sleepq_*`, where the lent sleep-queue lock is held by the lender, so
//!   the next holder acquires it from the lender's own release.

use std::fmt;
use std::ptr;

use crate::model::Variant as _;
use crate::sync::{
    self, fence, membar_exit, Arc, AtomicPtr, Mutex, MutexGuard,
    Ordering::{Acquire, Relaxed, Release},
    Unlock, UnsafeCell,
};

pub mod scenarios;

pub use scenarios::LwpLock;

/// The page of this model's finding about NetBSD (issue 14).
pub const FINDING_PAGE: &str = "docs/findings/netbsd-lwp-lock-lend-back.md";

/// `LSIDL`: being created (sys/lwp.h values).
pub const LSIDL: u32 = 1;
/// `LSRUN`: runnable, on a run queue.
pub const LSRUN: u32 = 2;
/// `LSSLEEP`: asleep on a sleep queue.
pub const LSSLEEP: u32 = 3;
/// `LSSTOP`: stopped.
pub const LSSTOP: u32 = 4;
/// `LSONPROC`: running on a CPU.
pub const LSONPROC: u32 = 7;
/// `LSSUSPENDED`: suspended.
pub const LSSUSPENDED: u32 = 8;

/// The name of an LWP state, for messages.
pub fn lstat_name(s: u32) -> &'static str {
    match s {
        LSIDL => "LSIDL",
        LSRUN => "LSRUN",
        LSSLEEP => "LSSLEEP",
        LSSTOP => "LSSTOP",
        LSONPROC => "LSONPROC",
        LSSUSPENDED => "LSSUSPENDED",
        _ => "LS?",
    }
}

/// Which code runs: the kernel's, or one seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The kernel's code (rev 1.157, and rev 1.54 for `lwp_relock` and the
    /// `#if 1` form of `lwp_lock_retry`).
    Faithful,
    /// `lwp_lock` takes the mutex `l_mutex` named and does not re-test
    /// `l_mutex` afterwards.
    LockNoRecheck,
    /// `lwp_trylock` returns 1 as soon as `mutex_tryenter` succeeds, without
    /// re-testing `l_mutex` (1.157 line 1321 dropped).
    TrylockNoRecheck,
    /// `lwp_unlock_to` releases the old mutex before it publishes the new
    /// pointer (1.157 lines 1308-1310 reordered).
    UnlockToReleaseFirst,
    /// `lwp_unlock_to` without `membar_exit()`: the pointer is stored
    /// relaxed with no barrier before it (1.157 line 1308 dropped).
    UnlockToNoMembar,
    /// `lwp_setlock` without `membar_exit()` (1.157 line 1292 dropped).
    SetlockNoMembar,
    /// `lwp_relock` stores the new pointer before it acquires the new
    /// mutex (1.54 lines 1056-1057 swapped).
    RelockSwitchFirst,
    /// Not a bug: `lwp_lock_retry` in its `#else` form (1.54 lines 984 and
    /// 997), `do { ... } while (l->l_mutex != old)`, the form the XXXgcc
    /// work-around disabled.
    RetryDoWhile,
    /// `lwp_lock_retry` whose loop test was folded into the value just
    /// loaded into `old` (the test becomes `old != old`): what a compiler
    /// that ignores `kmutex_t * volatile` may do to the re-test (the hazard
    /// the XXXgcc comment at 1.54 lines 976-979 names). The retry re-locks
    /// once and never re-tests.
    RetryTestFolded,
    /// Fix (issue 14): the re-tests of `l_mutex` after the mutex is taken
    /// (`lwp_lock`, `lwp_lock_retry`'s loop test, `lwp_trylock` line 1321)
    /// are acquire loads (`atomic_load_acquire`); otherwise the faithful
    /// 1.157 / 1.54 code.
    FixRetestAcquire,
    /// Fix (issue 14): `membar_consumer()` (a read barrier) right after
    /// each re-test load of `l_mutex`; otherwise the faithful code.
    FixRetestMembarConsumer,
    /// Today's code: `lwp_lock` as `sys/sys/lwp.h` rev 1.217 (2022) writes
    /// it (`atomic_load_consume` of the pointer, `mutex_spin_enter`, an
    /// inline loop re-testing with `atomic_load_relaxed`), `lwp_setlock` /
    /// `lwp_unlock_to` / `lwp_trylock` / `lwp_migrate` as `kern_lwp.c`
    /// rev 1.250 (2022) writes them (`atomic_store_release` of the new
    /// pointer; `LSIDL` lent to the target's `spc_lwplock`). Not a seeded
    /// bug: the port of the current kernel (the sources are on
    /// `docs/findings/netbsd-lwp-lock-lend-back.md`).
    Current,
    /// Fix (issue 14) applied to today's code: [`Variant::Current`] with
    /// `atomic_load_acquire` for the re-tests (the page's diff).
    CurrentFixRetestAcquire,
}

impl crate::model::Variant for Variant {
    const ALL: &'static [Self] = &[
        Variant::Faithful,
        Variant::LockNoRecheck,
        Variant::TrylockNoRecheck,
        Variant::UnlockToReleaseFirst,
        Variant::UnlockToNoMembar,
        Variant::SetlockNoMembar,
        Variant::RelockSwitchFirst,
        Variant::RetryDoWhile,
        Variant::RetryTestFolded,
        Variant::FixRetestAcquire,
        Variant::FixRetestMembarConsumer,
        Variant::Current,
        Variant::CurrentFixRetestAcquire,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Faithful => "faithful",
            Variant::LockNoRecheck => "lock-no-recheck",
            Variant::TrylockNoRecheck => "trylock-no-recheck",
            Variant::UnlockToReleaseFirst => "unlock-to-release-first",
            Variant::UnlockToNoMembar => "unlock-to-no-membar",
            Variant::SetlockNoMembar => "setlock-no-membar",
            Variant::RelockSwitchFirst => "relock-switch-first",
            Variant::RetryDoWhile => "retry-do-while",
            Variant::RetryTestFolded => "retry-test-folded",
            Variant::FixRetestAcquire => "fix-retest-acquire",
            Variant::FixRetestMembarConsumer => "fix-retest-membar-consumer",
            Variant::Current => "current",
            Variant::CurrentFixRetestAcquire => "current-fix-retest-acquire",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Variant::Faithful => "the kernel's code",
            Variant::LockNoRecheck => {
                "lwp_lock keeps the mutex it took without re-testing l_mutex"
            }
            Variant::TrylockNoRecheck => {
                "lwp_trylock succeeds on mutex_tryenter without re-testing l_mutex"
            }
            Variant::UnlockToReleaseFirst => {
                "lwp_unlock_to releases the old mutex before publishing the new pointer"
            }
            Variant::UnlockToNoMembar => {
                "lwp_unlock_to stores the new pointer with no membar_exit before it"
            }
            Variant::SetlockNoMembar => {
                "lwp_setlock stores the new pointer with no membar_exit before it"
            }
            Variant::RelockSwitchFirst => {
                "lwp_relock publishes the new pointer before acquiring the new mutex"
            }
            Variant::RetryDoWhile => {
                "lwp_lock_retry in its #else do-while form (not a bug: the form the work-around disabled)"
            }
            Variant::RetryTestFolded => {
                "lwp_lock_retry's re-test folded into `old` (volatile ignored): re-locks once, never re-tests"
            }
            Variant::FixRetestAcquire => {
                "fix: the re-tests of l_mutex after taking the mutex are acquire loads"
            }
            Variant::FixRetestMembarConsumer => {
                "fix: membar_consumer() after each re-test load of l_mutex"
            }
            Variant::Current => {
                "today's code: lwp.h 1.217 lwp_lock (relaxed re-test), kern_lwp.c 1.250 lending (release store)"
            }
            Variant::CurrentFixRetestAcquire => {
                "fix on today's code: lwp.h 1.217 / kern_lwp.c 1.250 with acquire re-tests"
            }
        }
    }

    fn fixes(self) -> &'static [&'static str] {
        match self {
            Variant::FixRetestAcquire
            | Variant::FixRetestMembarConsumer
            | Variant::CurrentFixRetestAcquire => &[FINDING_PAGE],
            Variant::Faithful
            | Variant::LockNoRecheck
            | Variant::TrylockNoRecheck
            | Variant::UnlockToReleaseFirst
            | Variant::UnlockToNoMembar
            | Variant::SetlockNoMembar
            | Variant::RelockSwitchFirst
            | Variant::RetryDoWhile
            | Variant::RetryTestFolded
            | Variant::Current => &[],
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `kmutex_t` an LWP can be lent to: the facade's mutex and its kernel
/// name. `repr(C)` with the mutex first, so a pointer to the `Kmutex` and
/// the mutex's own address are the same object in traces.
#[repr(C)]
pub struct Kmutex {
    m: Mutex<()>,
    name: &'static str,
}

impl Kmutex {
    fn new(name: &'static str) -> Self {
        Self {
            // x86 release: a plain store. NetBSD amd64 `mutex_spin_exit` is
            // `movb $0x00, MTX_LOCK(%rdi)` (an unlocked `cmpxchgb` under
            // DIAGNOSTIC) and `mutex_exit` an unlocked `cmpxchgq`
            // (sys/arch/amd64/amd64/lock_stubs.S, NetBSD/src 146ee1b596c4,
            // rev 1.10.6.1): neither is a locked instruction.
            m: Mutex::with_unlock((), Unlock::PlainStore),
            name,
        }
    }

    /// The kernel name (`spc_mutex[0]`, `sq_mutex`...).
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn ptr(&self) -> *mut Kmutex {
        self as *const Kmutex as *mut Kmutex
    }

    fn label(&self) {
        sync::label_ptr(self as *const Kmutex, self.name);
    }
}

impl fmt::Debug for Kmutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A spin mutex held by the caller (`mutex_spin_enter` succeeded): not
/// necessarily the LWP's lock.
pub struct Held<'a> {
    mtx: &'a Kmutex,
    g: MutexGuard<'a, ()>,
}

impl<'a> Held<'a> {
    /// The mutex held.
    pub fn mutex(&self) -> &'a Kmutex {
        self.mtx
    }
}

/// `mutex_spin_enter(mtx)`: acquire, then the read barrier the kernel's
/// mutex posts (1.54 line 991: "mutex_enter() will have posted a read
/// barrier"; `MUTEX_RECEIVE`, i.e. `membar_enter()` after the lock's RMW,
/// which `shared/seeds/README.md` maps to `fence(Acquire)` after an RMW).
#[track_caller]
pub fn mutex_spin_enter(mtx: &Kmutex) -> Held<'_> {
    let g = mtx.m.lock();
    // The read barrier posted by mutex_spin_enter: orders the l_mutex load
    // that chose this mutex (and everything before) before the LWP field
    // accesses after it. Pairs with the membar_exit() in lwp_unlock_to /
    // lwp_setlock of whoever published the pointer that load read. Dropped
    // under the x86 profile (loads are acquires there already).
    fence(Acquire);
    Held { mtx, g }
}

/// `mutex_tryenter(mtx)` on a spin mutex: the mutex if it was free, with the
/// same read barrier as [`mutex_spin_enter`] on success.
#[track_caller]
pub fn mutex_tryenter(mtx: &Kmutex) -> Option<Held<'_>> {
    let g = mtx.m.try_lock()?;
    // Read barrier posted by a successful mutex_tryenter, as in
    // mutex_spin_enter; pairs with the lender's membar_exit().
    fence(Acquire);
    Some(Held { mtx, g })
}

/// `mutex_spin_exit(mtx)`: release (the facade's unlock is a release).
#[track_caller]
pub fn mutex_spin_exit(h: Held<'_>) {
    h.g.unlock();
}

/// The mutexes an LWP can be lent to: two CPUs' scheduler locks and one
/// sleep queue's lock.
pub struct Sched {
    /// Per-CPU scheduler state (`struct schedstate_percpu`), CPUs 0 and 1.
    pub cpus: [Cpu; 2],
    /// The lock of the sleep queue the LWP sleeps on
    /// (`sleeptab::st_mutex`, `l_sleepq->sq_mutex`).
    pub sq_mutex: Kmutex,
}

/// One CPU's scheduler locks.
pub struct Cpu {
    /// `spc_mutex`: covers `LSIDL` and `LSRUN` LWPs of this CPU (run queues).
    pub spc_mutex: Kmutex,
    /// `spc_lwplock`: covers `LSONPROC` (and `LSZOMB`) LWPs of this CPU.
    pub spc_lwplock: Kmutex,
}

impl Sched {
    fn new() -> Self {
        Self {
            cpus: [
                Cpu {
                    spc_mutex: Kmutex::new("spc_mutex[0]"),
                    spc_lwplock: Kmutex::new("spc_lwplock[0]"),
                },
                Cpu {
                    spc_mutex: Kmutex::new("spc_mutex[1]"),
                    spc_lwplock: Kmutex::new("spc_lwplock[1]"),
                },
            ],
            sq_mutex: Kmutex::new("sq_mutex"),
        }
    }

    fn all(&self) -> [&Kmutex; 5] {
        [
            &self.cpus[0].spc_mutex,
            &self.cpus[0].spc_lwplock,
            &self.cpus[1].spc_mutex,
            &self.cpus[1].spc_lwplock,
            &self.sq_mutex,
        ]
    }

    fn label(&self) {
        for m in self.all() {
            m.label();
        }
    }
}

/// The part of `struct lwp` this model needs.
pub struct Lwp {
    sched: Arc<Sched>,
    /// `l_mutex`: the general lock of the LWP (`kmutex_t * volatile`).
    l_mutex: AtomicPtr<Kmutex>,
    /// `l_stat`, covered by the LWP lock.
    l_stat: UnsafeCell<u32>,
    /// `l_cpu`, covered by the LWP lock ("matches lwp::l_cpu", line 167).
    l_cpu: UnsafeCell<usize>,
    /// `l_wchan != NULL`: on a sleep queue. Covered by the LWP lock.
    l_wchan: UnsafeCell<bool>,
    /// A counter every holder increments (stands for the LWP counters the
    /// lock covers, `l_ncsw`, `l_slptime`...): a lost increment is a lost
    /// update.
    l_count: UnsafeCell<usize>,
    /// Which code runs (the model's, not the kernel's).
    v: Variant,
}

impl Lwp {
    /// A new LWP in state `l_stat` on CPU `l_cpu`, locked by the mutex
    /// `lock` picks from a fresh [`Sched`]; objects are labelled for traces.
    pub fn new(v: Variant, l_stat: u32, l_cpu: usize, lock: fn(&Sched) -> &Kmutex) -> Arc<Lwp> {
        let sched = Arc::new(Sched::new());
        sched.label();
        let first = lock(&sched).ptr();
        let l = Arc::new(Lwp {
            sched,
            // The initial pointer, as lwp_create sets it (1.157 line 749)
            // before the LWP is visible; spawning the roles orders it.
            l_mutex: AtomicPtr::new(first),
            l_stat: UnsafeCell::new(l_stat),
            l_cpu: UnsafeCell::new(l_cpu),
            l_wchan: UnsafeCell::new(false),
            l_count: UnsafeCell::new(0),
            v,
        });
        sync::label(&l.l_mutex, "l_mutex");
        sync::label(&l.l_stat, "l_stat");
        sync::label(&l.l_cpu, "l_cpu");
        sync::label(&l.l_wchan, "l_wchan");
        sync::label(&l.l_count, "l_count");
        l
    }

    /// The scheduler locks this LWP can be lent to.
    pub fn sched(&self) -> &Sched {
        &self.sched
    }

    /// The variant this LWP's code runs.
    pub fn variant(&self) -> Variant {
        self.v
    }

    /// The mutex a value of `l_mutex` points to. Every pointer stored in
    /// `l_mutex` comes from [`Kmutex::ptr`] of one of `self.sched`'s mutexes
    /// (the lending functions check it), so this is a lookup, not a raw
    /// dereference.
    fn mutex_at(&self, p: *mut Kmutex) -> &Kmutex {
        self.sched
            .all()
            .into_iter()
            .find(|m| ptr::eq(*m, p))
            .expect("l_mutex points to one of the scheduler's mutexes")
    }

    fn check_own(&self, new: &Kmutex) {
        assert!(
            self.sched.all().iter().any(|m| ptr::eq(*m, new)),
            "{} is not one of this LWP's scheduler mutexes",
            new.name
        );
    }

    /// The LWP's fields after every role has been joined:
    /// `(l_stat, l_cpu, l_wchan, l_count, l_mutex)`.
    ///
    /// # Safety
    ///
    /// Every thread that touched the LWP has been joined (join orders their
    /// accesses before these reads), and none is running.
    #[track_caller]
    pub unsafe fn final_state(&self) -> (u32, usize, bool, usize, &Kmutex) {
        // SAFETY: the caller's contract: every other accessor was joined.
        let f = unsafe {
            (
                self.l_stat.read(),
                self.l_cpu.read(),
                self.l_wchan.read(),
                self.l_count.read(),
            )
        };
        // After the joins: the last pointer stored (join is an acquire of
        // everything the roles did, so coherence gives the final value).
        let m = self.mutex_at(self.l_mutex.load(Relaxed));
        (f.0, f.1, f.2, f.3, m)
    }
}

/// Holding the LWP lock: the mutex held, which `l_mutex` named when it was
/// re-tested. Field accessors are here, because the LWP lock covers them.
pub struct LwpGuard<'a> {
    l: &'a Lwp,
    held: Held<'a>,
}

impl<'a> LwpGuard<'a> {
    /// The mutex this holder acquired.
    pub fn mutex(&self) -> &'a Kmutex {
        self.held.mtx
    }

    /// The LWP.
    pub fn lwp(&self) -> &'a Lwp {
        self.l
    }

    /// `KASSERT(lwp_locked(l, mp))` for a caller that acquired `mp` itself
    /// (e.g. a sleep-queue lock) and lent it to the LWP with
    /// [`lwp_unlock_to`]: it now holds the LWP lock through `mp`.
    #[track_caller]
    pub fn adopt(l: &'a Lwp, held: Held<'a>) -> LwpGuard<'a> {
        let g = LwpGuard { l, held };
        g.kassert_locked("adopt");
        g
    }

    /// `KASSERT(lwp_locked(l, NULL))` (1.157 lines 1126, 1305): `l_mutex`
    /// names the mutex this holder acquired. `who` names the caller in the
    /// message.
    #[track_caller]
    pub fn kassert_locked(&self, who: &str) {
        // lwp_locked's `cur = l->l_mutex` (1.157 line 1278): a plain load.
        // Under the LWP lock nobody else may store l_mutex, so a legitimate
        // holder reads the value its re-test read; no pairing needed.
        let cur = self.l.mutex_at(self.l.l_mutex.load(Relaxed));
        crate::prop!(
            ptr::eq(cur, self.held.mtx),
            "{who}: KASSERT(lwp_locked(l, NULL)) fails: l_mutex names {} but this thread holds {}: \
             it believes it holds the LWP lock and does not",
            cur.name,
            self.held.mtx.name
        );
    }

    /// `l_stat`.
    #[track_caller]
    pub fn l_stat(&self) -> u32 {
        // SAFETY: this guard holds the mutex l_mutex named when it was
        // re-tested: the LWP lock, which covers l_stat (1.157 lines
        // 151-153). A holder that is wrong about that is what loom reports
        // as a data race.
        unsafe { self.l.l_stat.read() }
    }

    /// `l_stat = s`.
    #[track_caller]
    pub fn set_l_stat(&mut self, s: u32) {
        // SAFETY: as in `l_stat`: the LWP lock covers l_stat.
        unsafe { self.l.l_stat.write(s) }
    }

    /// `l_cpu`.
    #[track_caller]
    pub fn l_cpu(&self) -> usize {
        // SAFETY: as in `l_stat`: the LWP lock covers l_cpu.
        unsafe { self.l.l_cpu.read() }
    }

    /// `l_cpu = c`.
    #[track_caller]
    pub fn set_l_cpu(&mut self, c: usize) {
        // SAFETY: as in `l_stat`: the LWP lock covers l_cpu.
        unsafe { self.l.l_cpu.write(c) }
    }

    /// `l_wchan != NULL`.
    #[track_caller]
    pub fn l_wchan(&self) -> bool {
        // SAFETY: as in `l_stat`: the LWP lock covers l_wchan.
        unsafe { self.l.l_wchan.read() }
    }

    /// Set or clear `l_wchan`.
    #[track_caller]
    pub fn set_l_wchan(&mut self, w: bool) {
        // SAFETY: as in `l_stat`: the LWP lock covers l_wchan.
        unsafe { self.l.l_wchan.write(w) }
    }

    /// `l_count`.
    #[track_caller]
    pub fn l_count(&self) -> usize {
        // SAFETY: as in `l_stat`: the LWP lock covers l_count.
        unsafe { self.l.l_count.read() }
    }

    /// `l_count = n`.
    #[track_caller]
    pub fn set_l_count(&mut self, n: usize) {
        // SAFETY: as in `l_stat`: the LWP lock covers l_count.
        unsafe { self.l.l_count.write(n) }
    }

    /// `l_count++`.
    #[track_caller]
    pub fn bump(&mut self) {
        let n = self.l_count();
        self.set_l_count(n + 1);
    }
}

impl Variant {
    /// Today's code (`lwp.h` 1.217, `kern_lwp.c` 1.250), faithful or fixed.
    pub fn is_current(self) -> bool {
        matches!(self, Variant::Current | Variant::CurrentFixRetestAcquire)
    }
}

/// The re-test of `l->l_mutex` made after the mutex was taken (`lwp_lock`,
/// `lwp_lock_retry`'s loop test, `lwp_trylock` 1.157 line 1321; `lwp.h`
/// 1.217's `atomic_load_relaxed(&l->l_mutex) != old`). The kernel's is a
/// plain (1.157, 1.54) or relaxed (1.217, 1.250) load; the fix variants make
/// it an acquire, or follow it with `membar_consumer()`.
#[track_caller]
fn retest_load(l: &Lwp) -> *mut Kmutex {
    match l.v {
        Variant::FixRetestAcquire | Variant::CurrentFixRetestAcquire => {
            // Fix: atomic_load_acquire(&l->l_mutex). If this load reads a
            // pointer lent back to the mutex we hold, it synchronizes with
            // the lender's membar_exit() (1.157) / atomic_store_release()
            // (1.250) before that store, so the lender's field accesses
            // happen before ours.
            l.l_mutex.load(Acquire)
        }
        Variant::FixRetestMembarConsumer => {
            // Fix: the plain load of the kernel...
            let p = l.l_mutex.load(Relaxed);
            // ...then membar_consumer() (fence(Acquire)): earlier loads
            // before later loads. Pairs with the lender's membar_exit()
            // when the load above read its pointer store.
            fence(Acquire);
            p
        }
        _ => {
            // The kernel's re-test: a plain (1.157) / atomic_load_relaxed
            // (1.217) load after the read barrier of mutex_spin_enter; it
            // pairs with nothing (the finding).
            l.l_mutex.load(Relaxed)
        }
    }
}

/// `lwp_lock(l)` (`sys/lwp.h`): take the mutex `l_mutex` points to, re-test
/// `l_mutex`, and if it moved while we waited, `lwp_lock_retry`. Written
/// from rev 1.54's inline `lwp_lock` + `lwp_lock_retry` (968-1000); for
/// today's code ([`Variant::is_current`]) from `lwp.h` rev 1.217's
/// inline loop (`lwp_lock_current`).
pub fn lwp_lock(l: &Lwp) -> LwpGuard<'_> {
    if l.v.is_current() {
        return lwp_lock_current(l);
    }
    // `old = l->l_mutex`: a plain load (Relaxed). What makes the LWP's
    // fields visible after it is the read barrier of mutex_spin_enter below,
    // pairing with the membar_exit() the lender issued before storing the
    // pointer this load reads.
    let old = l.mutex_at(l.l_mutex.load(Relaxed));
    let held = mutex_spin_enter(old);
    if l.v == Variant::LockNoRecheck {
        // Seeded bug: keep whatever mutex we got.
        return LwpGuard { l, held };
    }
    // Re-test `l->l_mutex` after the read barrier (retest_load: a plain
    // load in the kernel). If the pointer moved while we waited, the lender
    // stored it before releasing `old` (lwp_unlock_to) and our acquire of
    // `old` synchronized with that release, so coherence makes this load
    // see the move. If it was moved *and lent back* to `old`, this load can
    // read the lent-back pointer, and nothing acquires after it (the
    // finding, docs/findings/netbsd-lwp-lock-lend-back.md).
    if !ptr::eq(retest_load(l), old) {
        let held = lwp_lock_retry(l, held);
        return LwpGuard { l, held };
    }
    LwpGuard { l, held }
}

/// `lwp_lock(l)` as `sys/sys/lwp.h` rev 1.217 (2022/07/23) writes it:
///
/// ```c
/// kmutex_t *old = atomic_load_consume(&l->l_mutex);
/// mutex_spin_enter(old);
/// while (__predict_false(atomic_load_relaxed(&l->l_mutex) != old)) {
///         mutex_spin_exit(old);
///         old = atomic_load_consume(&l->l_mutex);
///         mutex_spin_enter(old);
/// }
/// ```
///
/// `atomic_load_consume` is a relaxed load plus `membar_datadep_consumer()`
/// (a barrier only on Alpha): on the hardware the mutex acquired through
/// the pointer depends on the load. Here it is Relaxed, and the
/// `fence(Acquire)` of [`mutex_spin_enter`] after it gives the same order
/// (the load is before the fence, so a lender's release it read
/// synchronizes with the fence).
fn lwp_lock_current(l: &Lwp) -> LwpGuard<'_> {
    // old = atomic_load_consume(&l->l_mutex): Relaxed; the acquire fence of
    // the mutex_spin_enter below pairs with the lender's
    // atomic_store_release().
    let mut old = l.mutex_at(l.l_mutex.load(Relaxed));
    let mut held = mutex_spin_enter(old);
    // while (atomic_load_relaxed(&l->l_mutex) != old): the re-test
    // (retest_load: Relaxed in Current, Acquire in the fix).
    while !ptr::eq(retest_load(l), old) {
        mutex_spin_exit(held);
        // old = atomic_load_consume(&l->l_mutex): Relaxed, ordered for the
        // critical section by the enter's fence(Acquire) below, which pairs
        // with the lender's atomic_store_release().
        old = l.mutex_at(l.l_mutex.load(Relaxed));
        held = mutex_spin_enter(old);
    }
    LwpGuard { l, held }
}

/// `lwp_lock_retry(l, old)`, rev 1.54 lines 968-1000: called holding `old`
/// after the re-test saw `l_mutex != old`. Faithful is the `#if 1` form
/// (`while (l->l_mutex != old) { ... }`); [`Variant::RetryDoWhile`]
/// is the `#else` form; [`Variant::RetryTestFolded`] is the `#if 1`
/// form with its loop test folded into the value just loaded.
///
/// The loop blocks in `mutex_spin_enter` on every iteration and runs once
/// per lending a scenario performs, so it needs no `yield_now`.
fn lwp_lock_retry<'a>(l: &'a Lwp, mut held: Held<'a>) -> Held<'a> {
    match l.v {
        Variant::RetryDoWhile => loop {
            // `#else`: for (;;) { ... } while (l->l_mutex != old)
            mutex_spin_exit(held);
            // `old = l->l_mutex`: plain load; the read barrier of the
            // mutex_spin_enter that follows pairs with the lender's
            // membar_exit().
            let old = l.mutex_at(l.l_mutex.load(Relaxed));
            held = mutex_spin_enter(old);
            // The do-while test: a plain load after the read barrier, as in
            // lwp_lock's re-test (retest_load).
            if ptr::eq(retest_load(l), old) {
                return held;
            }
        },
        Variant::RetryTestFolded => {
            // The entry test is a real load (it is the first load of
            // l->l_mutex in this function): plain, after the read barrier
            // (retest_load).
            if ptr::eq(retest_load(l), held.mtx) {
                return held;
            }
            mutex_spin_exit(held);
            // `old = l->l_mutex`: plain load; read barrier of the enter
            // below pairs with the lender's membar_exit().
            let old = l.mutex_at(l.l_mutex.load(Relaxed));
            let held = mutex_spin_enter(old);
            // Seeded bug: the loop test `l->l_mutex != old` was folded into
            // the value just loaded into `old`, so it is false: no re-test.
            sync::note("lwp_lock_retry: loop test folded into `old != old`, no re-test");
            held
        }
        _ => {
            // `#if 1`: while (l->l_mutex != old) { ... }. Each test is a
            // plain load after the read barrier of the last enter
            // (retest_load: acquire, or followed by membar_consumer(), in
            // the fix variants).
            let mut first = true;
            while !ptr::eq(retest_load(l), held.mtx) {
                first = false;
                mutex_spin_exit(held);
                // `old = l->l_mutex`: plain load; the read barrier of the
                // enter below pairs with the lender's membar_exit().
                let old = l.mutex_at(l.l_mutex.load(Relaxed));
                held = mutex_spin_enter(old);
            }
            if first {
                // Where the two forms differ: the caller saw l_mutex != old,
                // and the entry test sees old again (the LWP was lent back).
                sync::note("lwp_lock_retry: l_mutex is old again on entry: return holding it");
            }
            held
        }
    }
}

/// `lwp_trylock(l)`, rev 1.157 lines 1313-1325: `Some` (1) if the LWP lock
/// was free, `None` (0) if the mutex `l_mutex` named was held.
pub fn lwp_trylock(l: &Lwp) -> Option<LwpGuard<'_>> {
    loop {
        // `old = l->l_mutex` (1.250: `atomic_load_consume`): plain load;
        // the read barrier of a successful mutex_tryenter pairs with the
        // lender's membar_exit() / atomic_store_release().
        let old = l.mutex_at(l.l_mutex.load(Relaxed));
        let held = mutex_tryenter(old)?;
        if l.v == Variant::TrylockNoRecheck {
            // Seeded bug: line 1321's re-test dropped.
            return Some(LwpGuard { l, held });
        }
        // `if (l->l_mutex == old) return 1`: plain load after the read
        // barrier, as in lwp_lock's re-test (1.250: `atomic_load_relaxed`
        // after `mutex_tryenter(old = atomic_load_consume(...))`; the fix
        // variants: retest_load's acquire / membar_consumer()).
        if ptr::eq(retest_load(l), old) {
            return Some(LwpGuard { l, held });
        }
        mutex_spin_exit(held);
    }
}

/// `lwp_unlock(l)` (`sys/lwp.h`): `mutex_spin_exit(l->l_mutex)`. The kernel
/// releases the mutex `l_mutex` names; the model checks it is the one this
/// holder acquired (the lock a holder releases is the one it acquired) and
/// releases that.
pub fn lwp_unlock(g: LwpGuard<'_>) {
    // `l->l_mutex`: plain load under the LWP lock (no one else may store it
    // while we legitimately hold the lock, so no pairing is needed).
    let cur = g.l.mutex_at(g.l.l_mutex.load(Relaxed));
    crate::prop!(
        ptr::eq(cur, g.held.mtx),
        "lwp_unlock: l_mutex names {} but this thread acquired {}: mutex_spin_exit(l->l_mutex) \
         would release a mutex it does not hold",
        cur.name,
        g.held.mtx.name
    );
    mutex_spin_exit(g.held);
}

/// `lwp_setlock(l, new)`, rev 1.157 lines 1283-1294 (rev 1.54 1002-1017,
/// with `mb_write()`): lend a new mutex to the LWP; the old one must be held
/// and stays held, and is returned: the caller no longer holds the LWP
/// through it. If the caller holds `new` too, it may [`LwpGuard::adopt`] it.
pub fn lwp_setlock<'a>(g: LwpGuard<'a>, new: &'a Kmutex) -> Held<'a> {
    g.l.check_own(new);
    // KASSERT(mutex_owned(l->l_mutex)) (line 1290).
    g.kassert_locked("lwp_setlock");
    if g.l.v.is_current() {
        // kern_lwp.c 1.250: atomic_store_release(&l->l_mutex, mtx). Pairs
        // with the acquire fence of the next holder's mutex_spin_enter /
        // mutex_tryenter on `new` after its load of l_mutex read this store
        // (and, in CurrentFixRetestAcquire, with an acquire re-test).
        g.l.l_mutex.store(new.ptr(), Release);
        return g.held;
    }
    if g.l.v != Variant::SetlockNoMembar {
        // membar_exit() (1.157 line 1292; mb_write() in 1.54 line 1012):
        // every access to the LWP's fields so far before the pointer store.
        // Pairs with the read barrier of the next holder's
        // mutex_spin_enter / mutex_tryenter on `new`, after its load of
        // l_mutex read this store.
        membar_exit();
    }
    // `l->l_mutex = new`: plain store (line 1293), published by the barrier
    // above.
    g.l.l_mutex.store(new.ptr(), Relaxed);
    g.held
}

/// `lwp_unlock_to(l, new)`, rev 1.157 lines 1296-1311 (rev 1.54 1019-1038,
/// with `mb_write()`): lend a new mutex to the LWP and release the old one.
/// `new` may be free, or held by the caller (which then
/// [`LwpGuard::adopt`]s it).
pub fn lwp_unlock_to<'a>(g: LwpGuard<'a>, new: &'a Kmutex) {
    g.l.check_own(new);
    // KASSERT(lwp_locked(l, NULL)) (line 1305).
    g.kassert_locked("lwp_unlock_to");
    let l = g.l;
    // `old = l->l_mutex` (line 1307): the KASSERT just read it and it names
    // the mutex this guard holds, so the guard's copy is used (a writer's
    // own copy, as the README asks, instead of a second load).
    let old = g.held;
    match l.v {
        Variant::Current | Variant::CurrentFixRetestAcquire => {
            // kern_lwp.c 1.250: atomic_store_release(&l->l_mutex, mtx):
            // every access to the LWP's fields before the pointer store.
            // Pairs with the acquire fence of the next holder's
            // mutex_spin_enter / mutex_tryenter on `new` after its load read
            // this store, and (CurrentFixRetestAcquire) with an acquire
            // re-test that reads it; a relaxed re-test pairs with nothing.
            l.l_mutex.store(new.ptr(), Release);
            // mutex_spin_exit(old): a release; a waiter on `old` re-tests
            // and sees the store above.
            mutex_spin_exit(old);
        }
        Variant::UnlockToReleaseFirst => {
            // Seeded bug: mutex_spin_exit(old) before the publication.
            mutex_spin_exit(old);
            // membar_exit(), as in the kernel, but too late: old is free.
            membar_exit();
            // `l->l_mutex = new`: plain store.
            l.l_mutex.store(new.ptr(), Relaxed);
        }
        _ => {
            // membar_exit() (1.157 line 1308; mb_write() in 1.54 line 1032):
            // every access to the LWP's fields before the pointer store.
            // Pairs with the read barrier of the next holder's
            // mutex_spin_enter / mutex_tryenter on `new`, after its load of
            // l_mutex read this store. Seeded bug UnlockToNoMembar: dropped,
            // so the plain store below orders nothing before it.
            if l.v != Variant::UnlockToNoMembar {
                membar_exit();
            }
            // `l->l_mutex = new` (line 1309): plain store.
            l.l_mutex.store(new.ptr(), Relaxed);
            // mutex_spin_exit(old) (line 1310): a release. A thread waiting
            // on `old` acquires it, so its re-test sees the store above.
            mutex_spin_exit(old);
        }
    }
}

/// `lwp_relock(l, new)`, rev 1.54 lines 1040-1063: acquire `new`, lend it to
/// the LWP, release the old mutex. The LWP stays locked by the caller.
/// No barrier in the source: `new` is held across the store, so the next
/// holder acquires it from this thread's release.
pub fn lwp_relock<'a>(g: LwpGuard<'a>, new: &'a Kmutex) -> LwpGuard<'a> {
    let l = g.l;
    l.check_own(new);
    // LOCK_ASSERT(mutex_owned(l->l_mutex)) (line 1051).
    g.kassert_locked("lwp_relock");
    // `old = l->l_mutex` (line 1054): the guard's copy, checked just above.
    let old = g.held;
    if ptr::eq(old.mtx, new) {
        return LwpGuard { l, held: old };
    }
    if l.v == Variant::RelockSwitchFirst {
        // Seeded bug: `l->l_mutex = new` (plain store) before
        // mutex_spin_enter(new): another CPU can take `new` first.
        l.l_mutex.store(new.ptr(), Relaxed);
        let held = mutex_spin_enter(new);
        mutex_spin_exit(old);
        return LwpGuard { l, held };
    }
    // mutex_spin_enter(new) (line 1056).
    let held = mutex_spin_enter(new);
    // `l->l_mutex = new` (line 1057): plain store, no barrier: whoever
    // reads it must still acquire `new`, which this thread releases only
    // after its last access to the LWP.
    l.l_mutex.store(new.ptr(), Relaxed);
    // mutex_spin_exit(old) (line 1058): a release; a waiter on `old`
    // re-tests and sees `new`.
    mutex_spin_exit(old);
    LwpGuard { l, held }
}

/// `lwp_migrate(l, tci)`, rev 1.157 lines 1117-1179, for the branches the
/// scenarios reach: the same-CPU return (1144-1148), `LSIDL` (1156-1159:
/// lend to the target's `spc_mutex`), `LSSTOP`/`LSSUSPENDED` off a sleep
/// queue (1163-1169: lend to the target's `spc_lwplock`), `LSSLEEP`
/// (1160-1162). `LP_RUNNING`, `l_target_cpu` and the `LSRUN`/`LSONPROC`
/// branches are not modeled (no scenario reaches them; they panic). For
/// today's code ([`Variant::is_current`]) `kern_lwp.c` 1.250's
/// `lwp_migrate`: `LSIDL` joins `LSSTOP`/`LSSUSPENDED` and is lent to the
/// target's `spc_lwplock`. Unlocks the LWP.
pub fn lwp_migrate(mut g: LwpGuard<'_>, tci: usize) {
    let l = g.lwp();
    let lstat = g.l_stat();
    // KASSERT(lwp_locked(l, NULL)) (line 1126).
    g.kassert_locked("lwp_migrate");
    if g.l_cpu() == tci {
        lwp_unlock(g);
        return;
    }
    let tspc = &l.sched().cpus[tci];
    if l.variant().is_current() {
        // kern_lwp.c 1.250: LSIDL, LSSTOP and LSSUSPENDED share one case:
        // l_cpu = tci; lent to the target's spc_lwplock when not on a sleep
        // queue (a mutex this thread does not hold).
        match lstat {
            LSIDL | LSSTOP | LSSUSPENDED => {
                g.set_l_cpu(tci);
                if !g.l_wchan() {
                    lwp_unlock_to(g, &tspc.spc_lwplock);
                } else {
                    lwp_unlock(g);
                }
            }
            LSSLEEP => {
                g.set_l_cpu(tci);
                lwp_unlock(g);
            }
            s => panic!(
                "lwp_migrate: state {} is not modeled (LP_RUNNING / l_target_cpu)",
                lstat_name(s)
            ),
        }
        return;
    }
    match lstat {
        LSIDL => {
            g.set_l_cpu(tci);
            lwp_unlock_to(g, &tspc.spc_mutex);
        }
        LSSLEEP => {
            g.set_l_cpu(tci);
            lwp_unlock(g);
        }
        LSSTOP | LSSUSPENDED => {
            g.set_l_cpu(tci);
            if !g.l_wchan() {
                lwp_unlock_to(g, &tspc.spc_lwplock);
            } else {
                lwp_unlock(g);
            }
        }
        s => panic!(
            "lwp_migrate: state {} is not modeled (LP_RUNNING / l_target_cpu)",
            lstat_name(s)
        ),
    }
}

/// The lending in `lwp_free(l, ...)`, `kern_lwp.c` rev 1.250 (not in
/// 1.157): once the dead LWP is off its CPU, "reset its state back to
/// LSIDL" and "reset the CPU and lock pointer back to curcpu()":
///
/// ```c
/// lwp_lock(l);
/// l->l_stat = LSIDL;
/// l->l_cpu = curcpu();
/// lwp_unlock_to(l, l->l_cpu->ci_schedstate.spc_lwplock);
/// ```
///
/// `curcpu` is the CPU the caller runs on; its `spc_lwplock` is not held by
/// the caller. The model's LWP also counts the access (`l_count++`).
pub fn lwp_free_lend(l: &Lwp, curcpu: usize) {
    let mut g = lwp_lock(l);
    g.kassert_locked("lwp_free");
    g.bump();
    g.set_l_stat(LSIDL);
    g.set_l_cpu(curcpu);
    lwp_unlock_to(g, &l.sched().cpus[curcpu].spc_lwplock);
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::model::{parse_variant, smoke_std};

    #[test]
    fn faithful_keeps_every_property_on_real_threads() {
        smoke_std::<LwpLock>(200);
    }

    #[test]
    fn variants_parse_and_faithful_is_first() {
        assert_eq!(Variant::ALL[0], Variant::Faithful);
        for v in Variant::ALL {
            assert_eq!(parse_variant::<Variant>("lwplock", v.name()), Ok(*v));
        }
        assert!(parse_variant::<Variant>("lwplock", "nope")
            .unwrap_err()
            .contains("accepted: faithful,"));
    }

    #[test]
    fn lending_moves_the_lock_and_the_guard_follows() {
        let l = Lwp::new(Variant::Faithful, LSIDL, 0, |s| &s.cpus[0].spc_mutex);
        let g = lwp_lock(&l);
        assert_eq!(g.mutex().name(), "spc_mutex[0]");
        lwp_migrate(g, 1);
        let g = lwp_lock(&l);
        assert_eq!(g.mutex().name(), "spc_mutex[1]");
        assert_eq!(g.l_cpu(), 1);
        let g = lwp_relock(g, &l.sched().sq_mutex);
        assert_eq!(g.mutex().name(), "sq_mutex");
        let old = lwp_setlock(g, &l.sched().cpus[1].spc_lwplock);
        assert_eq!(old.mutex().name(), "sq_mutex");
        mutex_spin_exit(old);
        let g = lwp_trylock(&l).expect("the LWP lock is free");
        assert_eq!(g.mutex().name(), "spc_lwplock[1]");
        lwp_unlock(g);
    }

    #[test]
    fn a_stale_holder_is_caught_at_unlock() {
        // lock-no-recheck, played sequentially: take spc_mutex[0] through a
        // pointer loaded before the LWP moved.
        let l = Lwp::new(Variant::Faithful, LSIDL, 0, |s| &s.cpus[0].spc_mutex);
        let stale = mutex_spin_enter(&l.sched().cpus[0].spc_mutex);
        l.l_mutex.store(l.sched().cpus[1].spc_mutex.ptr(), Relaxed);
        let g = LwpGuard { l: &l, held: stale };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lwp_unlock(g)));
        let msg = r.unwrap_err();
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            msg.contains("l_mutex names spc_mutex[1] but this thread acquired spc_mutex[0]"),
            "{msg}"
        );
    }
}
