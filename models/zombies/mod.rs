//! FreeBSD's exiting-thread count and zombie-thread lists: when may a
//! thread that called `thread_exit` be freed, and when may its process be
//! torn down? Two revisions of `sys/kern/kern_thread.c`:
//!
//! - **2024** (`shared/seeds/002_798bd6a11634f707.txt`): `thread_exit`
//!   932-1038 counts the thread in `p_exitthreads` (971, `atomic_add_int`)
//!   and unlinks it; after `cpu_throw` the next thread on that CPU calls
//!   `thread_stash` 619-623, which drops the count with
//!   `atomic_subtract_rel_int` and pushes the thread on a per-domain
//!   lock-free list, `thread_zombie` 599-613 (`atomic_fcmpset_rel_ptr`).
//!   `thread_reap_domain` 629-683 peeks (641), takes the whole list with
//!   one `atomic_swap_ptr` (644) and frees each thread, batching tids and
//!   counts (655-682). The process exit path, `thread_single(SINGLE_EXIT)`
//!   1316-1335, waits for `p_exitthreads == 0` ("Wait for any remaining
//!   threads to exit cpu_throw()") before `exit1` tears the process down;
//!   `thread_wait` 1045-1063 ends with a `thread_reap()`.
//! - **2002** (`shared/seeds/003_333374e2aa525b92.txt`): `thread_stash`
//!   581-586 inserts at the head of a global TAILQ under the spin lock
//!   `zombie_thread_lock`; `thread_reap` 614-654 peeks at the head without
//!   the lock ("don't even bother to lock if none at this instant"), then
//!   takes the list under the lock and frees it outside.
//!
//! What is modeled: the thread's fields the reaper reads (`td_state`, set
//! to `TDS_INACTIVE` at 1030, and the link `td_zombie` / `td_runq`) are
//! facade [`UnsafeCell`]s, so loom reports a data race if the reaper reads
//! them without being ordered after the exiting thread's writes ("the
//! reaper sees each thread's final state"). Memory is the facade's
//! [`Alloc`], as in every model: each `struct thread` is an allocation
//! that `thread_free` (`uma_zfree`) poisons, and its fields (`td_tid`,
//! `td_state`, `td_zombie`) are the allocation's, so any access to a freed
//! thread fails by itself (a data race with the free under loom and DPOR,
//! a use after free when ordered after it or under shuttle), and a second
//! free fails at once. The process' address space is an allocation too,
//! whose pmap's `pm_active` (one slot per exiting thread's CPU, a field
//! that `cpu_throw` and the teardown both write) is its field: the exiting
//! thread's CPU still uses it until `cpu_throw` switches away, and
//! `vmspace_exit` frees it: loom reports the race, shuttle the use after
//! free ("the process never proceeds while a thread still runs on its
//! stack"). A thread never freed by the end is a leak ("every stashed
//! thread is reaped exactly once").
//!
//! Pointers are thread-table indices plus one (0 is NULL) in the atomics,
//! so traces read `swap tdd_zombies 2 -> 0` (2 = T1).
//!
//! Seeded bugs are one-line guards beside the faithful line (an ordering
//! chosen at the access, or a line dropped or moved), but
//! `peek-authoritative` in `thread_reap_domain` (2024): it replaces the
//! `atomic_swap_ptr` by a load and a store, a block beside the swap.

use crate::explore::{violation, Bounds, FailKind, Schedule};
use crate::model::{fail, fail_any, miss, pass, Expectation, Model, Scenario};
use crate::sync::{
    self, thread, Alloc, Arc, AtomicU32, AtomicUsize, Condvar, MemoryModel, Mutex,
    Ordering::{self, Acquire, Relaxed, Release},
    Profile, Unlock, UnsafeCell,
};

/// Which `kern_thread.c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rev {
    /// 2024: `p_exitthreads`, lock-free per-domain list.
    Y2024,
    /// 2002 (KSE era): global TAILQ under a spin lock.
    Y2002,
}

/// The variants: the kernel's code, then one seeded bug each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The revision as written.
    Faithful,
    /// 2024 `thread_zombie`: the push CAS relaxed instead of release.
    PushRelaxed,
    /// 2024 `thread_reap_domain`: the swap relaxed and the fields read
    /// without acquire (no dependency ordering either).
    SwapRelaxed,
    /// 2024 `thread_stash`: `p_exitthreads` decremented with relaxed
    /// ordering.
    DecRelaxed,
    /// 2024: the exiting thread decrements `p_exitthreads` itself, before
    /// `cpu_throw` (still on its CPU, in the process' address space).
    DecBeforeOffCpu,
    /// The emptiness peek's value taken as the list (2024: load, then
    /// store NULL instead of one swap; 2002: the unlocked head used as
    /// `td_first`, the lock taken only to empty the list).
    PeekAuthoritative,
    /// The reaper frees each thread before it reads the thread's link to
    /// the next one (2024 `itd = itd->td_zombie` after `thread_free`, 2002
    /// `TAILQ_NEXT` after `thread_free`: a `FOREACH` where `FOREACH_SAFE`
    /// is needed).
    NextAfterFree,
}

impl crate::model::Variant for Variant {
    const ALL: &'static [Self] = &[
        Variant::Faithful,
        Variant::PushRelaxed,
        Variant::SwapRelaxed,
        Variant::DecRelaxed,
        Variant::DecBeforeOffCpu,
        Variant::PeekAuthoritative,
        Variant::NextAfterFree,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Faithful => "faithful",
            Variant::PushRelaxed => "push-relaxed",
            Variant::SwapRelaxed => "swap-relaxed",
            Variant::DecRelaxed => "dec-relaxed",
            Variant::DecBeforeOffCpu => "dec-before-off-cpu",
            Variant::PeekAuthoritative => "peek-authoritative",
            Variant::NextAfterFree => "next-after-free",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Variant::Faithful => "kern_thread.c as written (2024 or 2002, per scenario)",
            Variant::PushRelaxed => "thread_zombie pushes with a relaxed CAS instead of atomic_fcmpset_rel_ptr",
            Variant::SwapRelaxed => "thread_reap_domain takes the list with a relaxed swap and reads the threads without acquire",
            Variant::DecRelaxed => "thread_stash decrements p_exitthreads with a relaxed atomic instead of atomic_subtract_rel_int",
            Variant::DecBeforeOffCpu => "thread_exit decrements p_exitthreads before cpu_throw, while still on its CPU",
            Variant::PeekAuthoritative => "the reaper uses the value of its emptiness peek as the list, then empties the list (no single swap / no read under the lock)",
            Variant::NextAfterFree => "the reaper reads a thread's td_zombie (2002: td_runq) link after thread_free freed the thread",
        }
    }
}

/// One kernel: revision and variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kern {
    /// Which `kern_thread.c`.
    pub rev: Rev,
    /// Which variant.
    pub v: Variant,
}

/// `td_state`, the states the model needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TdState {
    /// `TDS_RUNNING`: still executing `thread_exit`.
    Running,
    /// `TDS_INACTIVE`: set at 1030, the final state the reaper must see.
    Inactive,
}

/// `struct thread`, the fields the protocol touches.
pub struct Td {
    /// Name in traces.
    pub name: &'static str,
    /// `td_tid` (written at allocation; batched by `tidbatch_add`).
    td_tid: UnsafeCell<u32>,
    /// `td_state` (thread lock; written by the exiting thread).
    td_state: UnsafeCell<TdState>,
    /// 2024 `td_zombie` / 2002 `td_runq` next link (0 = NULL).
    td_zombie: UnsafeCell<usize>,
    /// The thread's memory (`thread_zone`): poisoned by `thread_free`.
    mem: Alloc,
}

/// The process, its address space, the zombie lists and the threads.
pub struct World {
    /// `PROC_LOCK` / `PROC_SLOCK` (one mutex here).
    pub p_lock: Mutex<()>,
    /// The single-threading thread's sleep (`thread_suspend_switch`, woken
    /// by `thread_unsuspend_one(p->p_singlethread)` in `thread_exit`).
    pub p_singlecv: Condvar,
    /// `p_numthreads`, covered by `p_lock`.
    p_numthreads: UnsafeCell<u32>,
    /// `p_exitthreads`.
    pub p_exitthreads: AtomicU32,
    /// `pm_active` of the process' pmap, one slot per exiting thread's CPU
    /// (true while that CPU still runs the thread in this address space):
    /// fields of `vmspace` (`struct vmspace` embeds its `vm_pmap`).
    pm_active: Vec<UnsafeCell<bool>>,
    /// The address space's memory: freed by `vmspace_exit`.
    vmspace: Alloc,
    /// 2024 `thread_domain_data[0].tdd_zombies` (index + 1, 0 = NULL).
    pub tdd_zombies: AtomicUsize,
    /// 2002 `zombie_thread_lock` (a spin mutex).
    pub zombie_thread_lock: Mutex<()>,
    /// 2002 `zombie_threads.tqh_first` (index + 1): written under
    /// `zombie_thread_lock`, peeked without it.
    pub zombie_threads: AtomicUsize,
    /// The threads.
    pub tds: Vec<Td>,
}

/// How a thread starts in a scenario.
#[derive(Clone, Copy, Debug)]
pub struct TdSpec {
    /// Name in traces.
    pub name: &'static str,
    /// Already stashed (a zombie on the list before the scenario starts).
    pub stashed: bool,
}

impl World {
    /// A process with `exiting` threads about to call `thread_exit` (plus
    /// the single-threading thread), and the threads `tds`, those marked
    /// `stashed` already on the zombie list of `rev`.
    pub fn new(rev: Rev, tds: &[TdSpec], exiting: u32) -> Arc<Self> {
        let vmspace = Alloc::new("the process' address space");
        let w = Arc::new(World {
            // x86 release: a plain store, the weaker of the two locks this
            // mutex stands for. PROC_UNLOCK (`mtx_unlock`, a sleep mutex) is
            // `atomic_(f)cmpset_rel_ptr`, locked; PROC_SUNLOCK
            // (`mtx_unlock_spin`) is `_mtx_release_lock_quick`, an
            // `atomic_store_rel_ptr`, a plain `mov` on amd64 (sys/sys/mutex.h,
            // sys/amd64/include/atomic.h).
            p_lock: Mutex::with_unlock((), Unlock::PlainStore),
            p_singlecv: Condvar::new(),
            p_numthreads: UnsafeCell::new(exiting + 1),
            p_exitthreads: AtomicU32::new(0),
            pm_active: tds.iter().map(|s| vmspace.cell(!s.stashed)).collect(),
            vmspace,
            tdd_zombies: AtomicUsize::new(0),
            // x86 release: a locked instruction, in the 2002 kernel this lock
            // belongs to. `mtx_unlock_spin` is `_rel_spin_lock` ->
            // `_release_lock_quick` -> `atomic_store_rel_ptr`, which the
            // i386 atomic.h of the time (src/sys/i386/include/atomic.h
            // v1.29, 2002/10/14) implements as `xchgl` ("The XCHG
            // instruction asserts LOCK automagically").
            zombie_thread_lock: Mutex::with_unlock((), Unlock::Locked),
            zombie_threads: AtomicUsize::new(0),
            tds: tds
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mem = Alloc::new(format!("struct thread {}", s.name));
                    Td {
                        name: s.name,
                        td_tid: mem.cell(100 + i as u32),
                        td_state: mem.cell(if s.stashed {
                            TdState::Inactive
                        } else {
                            TdState::Running
                        }),
                        td_zombie: mem.cell(0),
                        mem,
                    }
                })
                .collect(),
        });
        w.label();
        // uma_zalloc: every thread's and the address space's memory,
        // zeroed before any other thread of the scenario exists.
        w.vmspace.zero("vmspace memory");
        for td in &w.tds {
            td.mem.zero(format!("{} memory", td.name));
        }
        // Threads already stashed: link them (no other thread exists yet).
        let mut head = 0;
        for (i, s) in tds.iter().enumerate() {
            if s.stashed {
                // SAFETY: set-up, before any other thread of the scenario
                // exists.
                unsafe { w.tds[i].td_zombie.write(head) };
                head = i + 1;
            }
        }
        match rev {
            Rev::Y2024 => w.tdd_zombies.store(head, Relaxed), // set-up
            Rev::Y2002 => w.zombie_threads.store(head, Relaxed), // set-up
        }
        w
    }

    fn label(&self) {
        sync::label(&self.p_lock, "p_lock");
        sync::label(&self.p_singlecv, "p_singlethread sleep");
        sync::label(&self.p_numthreads, "p_numthreads");
        sync::label(&self.p_exitthreads, "p_exitthreads");
        sync::label(&self.tdd_zombies, "tdd_zombies");
        sync::label(&self.zombie_thread_lock, "zombie_thread_lock");
        sync::label(&self.zombie_threads, "zombie_threads.tqh_first");
        for (td, pm) in self.tds.iter().zip(&self.pm_active) {
            let n = td.name;
            sync::label(pm, format!("pm_active[cpu of {n}]"));
            sync::label(&td.td_tid, format!("{n}.td_tid"));
            sync::label(&td.td_state, format!("{n}.td_state"));
            sync::label(&td.td_zombie, format!("{n}.td_zombie"));
        }
    }

    /// Thread `i`.
    pub fn td(&self, i: usize) -> &Td {
        &self.tds[i]
    }
}

// ---------------------------------------------------------------------
// 2024
// ---------------------------------------------------------------------

/// `thread_exit`, kern_thread.c (2024) lines 932-1038, for a thread of a
/// process with other threads, followed by what runs on the same CPU after
/// `cpu_throw`: `thread_stash(deadthread)`.
pub fn thread_exit(k: Kern, w: &World, i: usize) {
    let td = w.td(i);
    let g = w.p_lock.lock(); // PROC_LOCK and PROC_SLOCK held on entry (943-946)
                             // 971: atomic_add_int(&p_exitthreads, 1): no barrier; the increment is
                             // done under PROC_SLOCK, which the single-threading thread takes
                             // before it looks at the count.
    w.p_exitthreads.fetch_add(1, Relaxed);
    // 972: thread_unlink(td).
    // SAFETY: p_lock is held, the lock that covers p_numthreads.
    let n = unsafe { w.p_numthreads.read() } - 1;
    // SAFETY: as above.
    unsafe { w.p_numthreads.write(n) };
    if n == 1 {
        // 981-988: the last one wakes p_singlethread.
        w.p_singlecv.notify_all();
    }
    g.unlock(); // 1010-1013: PROC_UNLOCK, PROC_SUNLOCK
                // 1030: TD_SET_STATE(td, TDS_INACTIVE) under the thread lock, which
                // only this thread holds now: its final state.
                // SAFETY: only the exiting thread writes its own td_state; a reaper
                // reading it unordered is what loom checks.
    unsafe { td.td_state.write(TdState::Inactive) };
    if k.v == Variant::DecBeforeOffCpu {
        // Variant: the count dropped while the thread still runs here.
        w.p_exitthreads.fetch_sub(1, Release);
    }
    // 1035: sched_throw -> cpu_throw: the CPU's last use of the process'
    // address space (pm_active cleared as it switches away).
    cpu_throw(w, i);
    // The next thread on this CPU: thread_stash(deadthread).
    thread_stash(k, w, i);
}

/// The CPU leaves the exiting thread's stack and its process' address
/// space: the last use of `pm_active`, checked against the teardown.
fn cpu_throw(w: &World, i: usize) {
    // SAFETY: this CPU's slot; the teardown's write to it must be ordered
    // after this one (through p_exitthreads): that is what loom checks.
    unsafe { w.pm_active[i].write(false) };
    // The CPU still runs on the thread's stack in the address space until
    // it switches away: a use of the memory that is no field access (the
    // reason for the touch, see `sync::mem`). A teardown racing with this
    // use is a data race with its free (loom), one before it a use after
    // free (shuttle).
    w.vmspace.touch(&format!("{}'s cpu_throw", w.td(i).name));
}

/// `thread_stash`, kern_thread.c (2024) lines 619-623.
pub fn thread_stash(k: Kern, w: &World, i: usize) {
    match k.v {
        Variant::DecBeforeOffCpu => {} // already dropped in thread_exit
        // Variant: atomic_subtract_int, no release.
        Variant::DecRelaxed => {
            w.p_exitthreads.fetch_sub(1, Relaxed);
        }
        // 621: atomic_subtract_rel_int(&p_exitthreads, 1): release; pairs
        // with the acquire load in thread_single's wait (1329), so the
        // process' teardown comes after this thread's last use of it.
        _ => {
            w.p_exitthreads.fetch_sub(1, Release);
        }
    }
    thread_zombie(k, w, i); // 622
}

/// `thread_zombie`, kern_thread.c (2024) lines 599-613: push on the
/// domain's lock-free list.
pub fn thread_zombie(k: Kern, w: &World, i: usize) {
    let td = w.td(i);
    // 605: atomic_load_ptr: a plain load, no ordering.
    let mut ztd = w.tdd_zombies.load(Relaxed);
    let success = if k.v == Variant::PushRelaxed {
        Relaxed // variant: atomic_fcmpset_ptr
    } else {
        // 608: atomic_fcmpset_rel_ptr: release, so td_zombie and the
        // thread's final state are visible to the reaper whose swap reads
        // this value (pairs with the swap in thread_reap_domain, 644).
        Release
    };
    loop {
        // 607: td->td_zombie = ztd.
        // SAFETY: td is not yet on the list: only this thread touches it.
        unsafe { td.td_zombie.write(ztd) };
        // fcmpset: on failure ztd is updated with the value found.
        match w.tdd_zombies.compare_exchange(ztd, i + 1, success, Relaxed) {
            Ok(_) => break,
            Err(found) => {
                ztd = found;
                thread::yield_now();
            }
        }
    }
}

/// Free one zombie (`thread_free_batched` 827-844 with the batches of
/// `thread_reap_domain`): read what the kernel reads, check the final
/// state (`thread_dtor`), free it. Returns the next thread on the list.
fn reap_one(k: Kern, w: &World, i: usize, who: &str) -> usize {
    let td = w.td(i);
    // 661: ntd = itd->td_zombie.
    // SAFETY: the reaper owns the detached list; the read is ordered after
    // the pusher's write only through the push/take orderings (what loom
    // checks), and after the thread's allocation only through them too (a
    // freed thread fails here by itself).
    let ntd = unsafe { td.td_zombie.read() };
    // 662: EVENTHANDLER thread_dtor: the thread must be in its final state.
    // SAFETY: as above.
    let st = unsafe { td.td_state.read() };
    crate::prop!(
        st == TdState::Inactive,
        "{who} reaped {} in state {st:?}, not TDS_INACTIVE",
        td.name
    );
    // SAFETY: written at allocation, before the thread existed.
    let _tid = unsafe { td.td_tid.read() }; // 664: tidbatch_add
    td.mem.free(); // 669/843: uma_zfree(thread_zone, td); a second free fails
    if k.v == Variant::NextAfterFree {
        // The bug: the link read after the free (the read fails by
        // itself: the memory is freed).
        // SAFETY: as above.
        return unsafe { td.td_zombie.read() };
    }
    ntd
}

/// `thread_reap_domain`, kern_thread.c (2024) lines 629-683. Returns the
/// threads freed.
pub fn thread_reap_domain(k: Kern, w: &World, who: &str) -> Vec<usize> {
    let mut itd = if k.v == Variant::PeekAuthoritative {
        // Variant: `if ((itd = tdd->tdd_zombies) == NULL) return;
        // tdd->tdd_zombies = NULL;` (acquire, so that the only bug is
        // that a push between the two is lost).
        let itd = w.tdd_zombies.load(Acquire);
        if itd == 0 {
            return Vec::new();
        }
        w.tdd_zombies.store(0, Relaxed);
        itd
    } else {
        // 641: "Reading upfront is pessimal if followed by concurrent
        // atomic_swap, but most of the time the list is empty": a plain
        // load, only a hint.
        if w.tdd_zombies.load(Relaxed) == 0 {
            return Vec::new();
        }
        let ord: Ordering = if k.v == Variant::SwapRelaxed {
            Relaxed // variant: nothing orders the field reads
        } else {
            // 644: atomic_swap_ptr. FreeBSD's plain swap has no barrier;
            // the reads of itd->td_zombie and the thread's fields depend
            // on the pointer it returns, which orders them on every
            // machine FreeBSD runs on (address dependency). C11 has no
            // usable consume, so the model uses Acquire, the nearest
            // ordering at least as strong. Pairs with the release CAS in
            // thread_zombie (608).
            Acquire
        };
        w.tdd_zombies.swap(0, ord)
    };
    let mut freed = Vec::new();
    // 660-677: free each, batching tids, creds, limits and counts.
    while itd != 0 {
        freed.push(itd - 1);
        itd = reap_one(k, w, itd - 1, who);
    }
    freed
}

/// `thread_single(SINGLE_EXIT)` lines 1313-1335: sleep until every other
/// thread has unlinked itself, then wait for `p_exitthreads` to reach
/// zero ("Wait for any remaining threads to exit cpu_throw()").
pub fn thread_single_exit(w: &World) {
    let mut g = w.p_lock.lock();
    // SAFETY: p_lock is held, the lock that covers p_numthreads.
    while unsafe { w.p_numthreads.read() } > 1 {
        g = w.p_singlecv.wait(g); // 1313: thread_suspend_switch
    }
    g.unlock();
    // 1329-1335: the kernel reads the plain count under PROC_LOCK and
    // PROC_SLOCK, dropping both around sched_relinquish. Acquire: pairs
    // with the release decrement in thread_stash (621).
    while w.p_exitthreads.load(Acquire) != 0 {
        thread::yield_now(); // sched_relinquish(td)
    }
}

/// `exit1` -> `vmspace_exit`: tear the address space down (the pmap's
/// per-CPU state included).
pub fn vmspace_exit(w: &World) {
    for pm in &w.pm_active {
        // SAFETY: no CPU may still use the address space: the write races
        // with a cpu_throw not ordered before it (what loom checks).
        unsafe { pm.write(false) };
    }
    // The address space is gone.
    w.vmspace.free();
}

// ---------------------------------------------------------------------
// 2002
// ---------------------------------------------------------------------

/// `thread_stash`, kern_thread.c (2002) lines 581-586. The thread's final
/// state is written first (by the code that retires it).
pub fn thread_stash_2002(w: &World, i: usize) {
    let td = w.td(i);
    // SAFETY: the thread is not on any list yet: only this thread writes.
    unsafe { td.td_state.write(TdState::Inactive) };
    let g = w.zombie_thread_lock.lock(); // mtx_lock_spin
                                         // 584: TAILQ_INSERT_HEAD(&zombie_threads, td, td_runq).
                                         // Relaxed: under zombie_thread_lock, which orders it for lockers; the
                                         // unlocked peek in thread_reap only needs an untorn value.
    let head = w.zombie_threads.load(Relaxed);
    // SAFETY: zombie_thread_lock is held, the lock that covers td_runq.
    unsafe { td.td_zombie.write(head) };
    w.zombie_threads.store(i + 1, Relaxed);
    g.unlock(); // mtx_unlock_spin
}

/// `thread_reap`, kern_thread.c (2002) lines 614-654 (threads only).
/// Returns the threads freed.
pub fn thread_reap_2002(k: Kern, w: &World, who: &str) -> Vec<usize> {
    // 624: "don't even bother to lock if none at this instant": an
    // unlocked read of tqh_first. A plain aligned word read is untorn on
    // every FreeBSD machine; in C11 it must be an atomic: relaxed.
    let peek = w.zombie_threads.load(Relaxed);
    if peek == 0 {
        return Vec::new();
    }
    let g = w.zombie_thread_lock.lock(); // 627
    let mut td_first = if k.v == Variant::PeekAuthoritative {
        peek // variant: the unlocked head taken as the list
    } else {
        w.zombie_threads.load(Relaxed) // 628: TAILQ_FIRST under the lock
    };
    if td_first != 0 {
        w.zombie_threads.store(0, Relaxed); // 631-632: TAILQ_INIT
    }
    g.unlock(); // 637
    let mut freed = Vec::new();
    // 638-642: free each (thread_free).
    while td_first != 0 {
        freed.push(td_first - 1);
        td_first = reap_one(k, w, td_first - 1, who);
    }
    freed
}

// ---------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------

fn td(name: &'static str, stashed: bool) -> TdSpec {
    TdSpec { name, stashed }
}

/// After every join: the final `thread_reap` (any later one), then every
/// thread freed exactly once and the exit count back to zero.
fn final_checks(k: Kern, w: &World) -> Vec<usize> {
    let last = match k.rev {
        Rev::Y2024 => thread_reap_domain(k, w, "a later thread_reap"),
        Rev::Y2002 => thread_reap_2002(k, w, "a later thread_reap"),
    };
    for td in &w.tds {
        // Read after every join.
        if !td.mem.is_freed() {
            violation(
                FailKind::Leak,
                format!(
                    "{} was stashed but never reaped (no later thread_reap finds it)",
                    td.name
                ),
            );
        }
    }
    let n = w.p_exitthreads.load(Relaxed);
    crate::prop!(n == 0, "p_exitthreads is {n} after every thread exited");
    last
}

/// Who reaped what, for the witness checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reaped {
    /// Freed by the racing reaper.
    pub racing: Vec<usize>,
    /// Freed by the later reap after every join.
    pub later: Vec<usize>,
}

/// Scenario `stash_reap_wait` (2024): T1 and T2 exit and stash while a
/// reaper runs `thread_reap_domain`, and the process (exit1) waits for
/// `p_exitthreads` and tears the address space down.
pub fn stash_reap_wait_with(k: Kern) -> Reaped {
    let w = World::new(k.rev, &[td("T1", false), td("T2", false)], 2);
    let (w1, w2, w3, w4) = (w.clone(), w.clone(), w.clone(), w.clone());
    let (t1, t2, r, e) = thread::roles(|g| {
        (
            g.spawn_named("T1_exit", move || thread_exit(k, &w1, 0)),
            g.spawn_named("T2_exit", move || thread_exit(k, &w2, 1)),
            g.spawn_named("reaper", move || thread_reap_domain(k, &w3, "the reaper")),
            g.spawn_named("exit1", move || {
                thread_single_exit(&w4);
                vmspace_exit(&w4);
            }),
        )
    });
    t1.join().expect("T1_exit");
    t2.join().expect("T2_exit");
    let racing = r.join().expect("reaper");
    e.join().expect("exit1");
    let later = final_checks(k, &w);
    Reaped { racing, later }
}

/// Scenario `late_stash` (2024): T0 is already a zombie; T1 exits, and its
/// stash (after its decrement) races the process' final reap: exit1 waits
/// for `p_exitthreads`, tears the address space down, and `thread_wait`'s
/// `thread_reap()` reaps.
pub fn late_stash_with(k: Kern) -> Reaped {
    let w = World::new(k.rev, &[td("T0", true), td("T1", false)], 1);
    let (w1, w2) = (w.clone(), w.clone());
    let exit1 = move || {
        thread_single_exit(&w2);
        vmspace_exit(&w2);
        thread_reap_domain(k, &w2, "thread_wait's thread_reap") // 1062
    };
    let (t1, e) = thread::roles(|g| {
        (
            g.spawn_named("T1_exit", move || thread_exit(k, &w1, 1)),
            g.spawn_named("exit1", exit1),
        )
    });
    t1.join().expect("T1_exit");
    let racing = e.join().expect("exit1");
    let later = final_checks(k, &w);
    Reaped { racing, later }
}

/// Scenario `stash_reap_2002`: T0 is already a zombie; T1 and T2 stash
/// under `zombie_thread_lock` while a reaper runs `thread_reap`.
pub fn stash_reap_2002_with(k: Kern) -> Reaped {
    let w = World::new(
        k.rev,
        &[td("T0", true), td("T1", false), td("T2", false)],
        0,
    );
    let (w1, w2, w3) = (w.clone(), w.clone(), w.clone());
    let (t1, t2, r) = thread::roles(|g| {
        (
            g.spawn_named("T1_stash", move || thread_stash_2002(&w1, 1)),
            g.spawn_named("T2_stash", move || thread_stash_2002(&w2, 2)),
            g.spawn_named("reaper", move || thread_reap_2002(k, &w3, "the reaper")),
        )
    });
    t1.join().expect("T1_stash");
    t2.join().expect("T2_stash");
    let racing = r.join().expect("reaper");
    let later = final_checks(k, &w);
    Reaped { racing, later }
}

fn k24(v: Variant) -> Kern {
    Kern { rev: Rev::Y2024, v }
}

fn k02(v: Variant) -> Kern {
    Kern { rev: Rev::Y2002, v }
}

fn stash_reap_wait(v: Variant) {
    stash_reap_wait_with(k24(v));
}

fn late_stash(v: Variant) {
    late_stash_with(k24(v));
}

fn stash_reap_2002(v: Variant) {
    stash_reap_2002_with(k02(v));
}

// ---------------------------------------------------------------------
// Expectations (reasoned from the code before running the explorers)
// ---------------------------------------------------------------------

const SC: &str = "shuttle is sequentially consistent: a missing release or acquire changes nothing there, and it does not check unsynchronized cell accesses";

/// Both 2024 scenarios: every racing role is present (pushers, a taker,
/// the exit1 wait and teardown).
fn expect_2024(v: Variant, p: Option<Profile>) -> Expectation {
    let x86 = p == Some(Profile::X86);
    match (v, p) {
        (Variant::Faithful, _) => pass("release push / acquire (dependency) take order each thread's final state before its reaper; the release decrement / acquire wait order each CPU's last use of the address space before the teardown"),
        (Variant::PushRelaxed, None) => miss(FailKind::DataRace, SC),
        (Variant::PushRelaxed, _) if x86 => pass("lock cmpxchg is a full barrier: the thread's earlier stores are ordered before the push anyway"),
        (Variant::PushRelaxed, _) => fail(FailKind::DataRace, "the reaper's swap reads the relaxed push: nothing orders its reads of td_zombie and td_state after the pusher's writes"),
        (Variant::SwapRelaxed, None) => miss(FailKind::DataRace, SC),
        (Variant::SwapRelaxed, _) if x86 => pass("xchg is a full barrier and x86 loads are not reordered with older loads"),
        (Variant::SwapRelaxed, _) => fail(FailKind::DataRace, "a relaxed swap with no dependency ordering: the reaper's reads of td_zombie and td_state are unordered with the pusher's writes (on ARMv8 the address dependency would order them; the variant stands for losing it)"),
        (Variant::DecRelaxed, None) => miss(FailKind::DataRace, SC),
        (Variant::DecRelaxed, _) if x86 => pass("lock xadd is a full barrier: the CPU's last use of the address space is ordered before the decrement"),
        (Variant::DecRelaxed, _) => fail(FailKind::DataRace, "exit1's acquire load of 0 synchronizes with no release: the teardown of pm_active races with cpu_throw's last use"),
        (Variant::DecBeforeOffCpu, None) => fail(FailKind::UseAfterFree, "exit1 can see the count at 0 and tear the address space down before the thread's cpu_throw, which then runs in it"),
        (Variant::DecBeforeOffCpu, _) => fail(FailKind::DataRace, "the decrement comes before cpu_throw's use of pm_active, so nothing orders that use before the teardown's write, on any machine"),
        (Variant::PeekAuthoritative, None) => fail(FailKind::Leak, "a thread pushed between the reaper's load of the head and its store of NULL is dropped from the list: no later reap finds it"),
        (Variant::PeekAuthoritative, _) => fail(FailKind::UseAfterFree, "the push between the reaper's load and its store of NULL is lost (a leak on hardware, shuttle's verdict); loom 0.7.3 lets the racing CAS overtake that store (a non-C11 outcome, pinned by the stale-store-vs-cas canary, checks/loom/holes.rs), so the lost thread reappears on the list and is reaped again after its free"),
        (Variant::NextAfterFree, _) => fail(FailKind::UseAfterFree, "every execution reaps at least one thread (the racing reaper or the later thread_reap), and the reaper reads its td_zombie after freeing it: the read is ordered after the free in the same thread, so it finds the memory poisoned under every explorer and profile"),
    }
}

fn loom_2024(v: Variant, p: Profile) -> Expectation {
    expect_2024(v, Some(p))
}

fn shuttle_2024(v: Variant) -> Expectation {
    expect_2024(v, None)
}

/// The 2002 scenario: only the spin-locked list and its peek exist.
fn expect_2002(v: Variant) -> Expectation {
    match v {
        Variant::Faithful => pass("the list is only changed under zombie_thread_lock; a stash the unlocked peek misses stays on the global list for the next thread_reap"),
        Variant::PeekAuthoritative => fail(FailKind::Leak, "a thread inserted between the unlocked peek and the lock is dropped by TAILQ_INIT: the reaper walks from the stale head"),
        Variant::NextAfterFree => fail(FailKind::UseAfterFree, "T0 is on the list from the start, so the racing reaper or the later thread_reap frees at least one thread and then reads its td_runq: ordered after the free in the same thread, poisoned under every explorer and profile"),
        Variant::PushRelaxed | Variant::SwapRelaxed | Variant::DecRelaxed | Variant::DecBeforeOffCpu => pass("2002 has no lock-free push, no swap and no p_exitthreads: the variant changes nothing in this code"),
    }
}

fn loom_2002(v: Variant, _: Profile) -> Expectation {
    expect_2002(v)
}

fn shuttle_2002(v: Variant) -> Expectation {
    expect_2002(v)
}

/// Both 2024 scenarios under the DPOR explorer (reasoned before its first
/// run): every interleaving, a race detector judging C11's orderings as
/// written (`sc`) or x86's (`tso`), and RMWs atomic (no loom artefact).
/// The execution-graph explorer's `rc11` and `arm` judge races as `sc`
/// does (C11 as written), over more executions: the same verdicts.
fn dpor_2024(v: Variant, m: MemoryModel) -> Expectation {
    let sc = m != MemoryModel::Tso;
    match v {
        Variant::Faithful => expect_2024(v, Some(Profile::Arm)),
        Variant::PushRelaxed | Variant::SwapRelaxed | Variant::DecRelaxed if sc => fail(FailKind::DataRace, "C11 as written, in an interleaving: the relaxed operation gives the reader (the reaper's swap, exit1's wait) no release to synchronize with, so its accesses race the writer's earlier ones"),
        Variant::PushRelaxed | Variant::SwapRelaxed | Variant::DecRelaxed => expect_2024(v, Some(Profile::X86)),
        Variant::DecBeforeOffCpu => fail_any(&[FailKind::DataRace, FailKind::UseAfterFree], "exit1 can see the count at 0 and tear the address space down before the thread's cpu_throw uses it: a race with the teardown, or a use after it, whichever the exploration reaches first (any machine)"),
        Variant::PeekAuthoritative => fail(FailKind::Leak, "a thread pushed between the reaper's load of the head and its store of NULL is dropped from the list (read-modify-writes are atomic here, unlike loom's, so the lost thread stays lost)"),
        Variant::NextAfterFree => fail(FailKind::UseAfterFree, "the reaper reads a thread's td_zombie after freeing it, ordered after the free in its own thread: poisoned in every execution that reaps"),
    }
}

/// The 2002 scenario under the DPOR explorer: no memory-model-dependent
/// code (a spin lock and an unlocked peek), so the interleaving verdicts.
fn dpor_2002(v: Variant, _: MemoryModel) -> Expectation {
    expect_2002(v)
}

/// The FreeBSD zombie-thread model.
pub struct Zombies;

const PCT: Schedule = Schedule::Pct {
    iterations: 3000,
    depth: 3,
    seed: 7,
};

/// `stash_reap_wait`: at most 2 preemptions.
pub const B2: Bounds = Bounds {
    preemptions: Some(2),
    branches: None,
};

impl Model for Zombies {
    const NAME: &'static str = "zombies";
    type V = Variant;
    const BIGGER: Option<crate::model::Bigger> = Some(crate::model::Bigger {
        scenario: "stash_reap_wait",
        variant: "faithful",
        why: "four threads: two exiting threads stash, a reaper swaps the list, exit1 waits; a CAS retry loop and a spin",
    });

    fn scenarios() -> Vec<Scenario<Variant>> {
        vec![
            Scenario {
                name: "stash_reap_wait",
                about: "2024: T1 and T2 exit and stash while a reaper swaps the list and exit1 waits for p_exitthreads and tears the address space down",
                run: stash_reap_wait,
                loom_bounds: B2,
                bound_reason: "four racing threads with a CAS retry loop and a spin: bounded at 2 preemptions (92597 executions, about 12 s under Arm, measured) to stay well under 60 s; every seeded bug of this scenario shows within 272 executions at that bound; the unbounded search was not attempted (the 3-thread refcount scenarios already ran past a million executions unbounded)",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: PCT,
                expect_loom: loom_2024,
                expect_shuttle: shuttle_2024,
                expect_dpor: dpor_2024,
            },
            Scenario {
                name: "late_stash",
                about: "2024: T0 already a zombie; T1's stash (after its decrement) races exit1's wait, teardown and thread_wait's thread_reap",
                run: late_stash,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: PCT,
                expect_loom: loom_2024,
                expect_shuttle: shuttle_2024,
                expect_dpor: dpor_2024,
            },
            Scenario {
                name: "stash_reap_2002",
                about: "2002: T0 already a zombie; T1 and T2 stash under zombie_thread_lock while a reaper peeks, locks and takes the list",
                run: stash_reap_2002,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: PCT,
                expect_loom: loom_2002,
                expect_shuttle: shuttle_2002,
                expect_dpor: dpor_2002,
            },
        ]
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::model::Variant as _;

    #[test]
    fn smoke_std() {
        crate::model::smoke_std::<Zombies>(300);
    }

    #[test]
    fn sequential_exit_and_reap() {
        let k = k24(Variant::Faithful);
        let w = World::new(Rev::Y2024, &[td("T0", true), td("T1", false)], 1);
        thread_exit(k, &w, 1);
        thread_single_exit(&w);
        vmspace_exit(&w);
        let got = thread_reap_domain(k, &w, "test");
        assert_eq!(got, vec![1, 0], "LIFO: T1 pushed on top of T0");
        assert!(thread_reap_domain(k, &w, "test").is_empty());
    }

    #[test]
    fn sequential_2002_stash_and_reap() {
        let k = k02(Variant::Faithful);
        let w = World::new(Rev::Y2002, &[td("T0", true), td("T1", false)], 0);
        thread_stash_2002(&w, 1);
        assert_eq!(thread_reap_2002(k, &w, "test"), vec![1, 0]);
        assert!(thread_reap_2002(k, &w, "test").is_empty());
    }

    #[test]
    fn variants_have_names() {
        for v in Variant::ALL {
            assert!(!v.about().is_empty());
            assert_eq!(
                crate::model::parse_variant::<Variant>("zombies", v.name()),
                Ok(*v)
            );
        }
    }
}
