//! Scenarios of the LWP lock model and their expectation table.
//!
//! Every racing role runs in a spawned thread; the main thread only builds
//! the LWP, joins, and checks the final state (loom's missed-execution hole
//! #392, README "What the explorers do not see"). Properties:
//!
//! - **mutual exclusion** on the LWP fields: they are facade `UnsafeCell`s,
//!   so two holders that both touch them make loom report a data race
//!   (shuttle, sequentially consistent and without a race detector, sees
//!   only what follows from it: the assertions below);
//! - **the lock a holder releases is the one it acquired**: every holder
//!   runs `KASSERT(lwp_locked(l, NULL))` after acquiring, and
//!   [`lwp_unlock`] checks `l_mutex` still names the mutex it holds;
//! - **no lost update**: every holder increments `l_count`; the final value
//!   is the number of increments, and the final state agrees with the lock
//!   (the locking overview, 1.157 lines 162-184).
//!
//! How loom picks the failure it reports, used below where two failures are
//! reachable (loom 0.7.3, `rt/execution.rs` and `rt/atomic.rs`): the first
//! execution keeps running the current thread and, when it blocks, the
//! lowest-numbered runnable one (so the roles run one after the other, in
//! spawn order); a load first reads the *oldest* store its causality allows;
//! the search then varies the deepest branch first.

use crate::explore::{Bounds, FailKind, Schedule};
use crate::model::{fail, finding, miss, pass, Expectation, Model, Scenario};
use crate::sync::{thread, Arc, AtomicBool, MemoryModel, Ordering::Relaxed, Profile};

use super::Variant::{self, *};
use super::{
    lstat_name, lwp_free_lend, lwp_lock, lwp_migrate, lwp_relock, lwp_setlock, lwp_trylock,
    lwp_unlock, lwp_unlock_to, mutex_spin_enter, mutex_spin_exit, Kmutex, Lwp, LwpGuard, Sched,
    LSIDL, LSONPROC, LSRUN, LSSLEEP, LSSTOP,
};

/// The LWP lock model (issue 4).
pub struct LwpLock;

impl Model for LwpLock {
    const NAME: &'static str = "lwplock";
    type V = Variant;
    const BIGGER: Option<crate::model::Bigger> = Some(crate::model::Bigger {
        scenario: "two_lendings_vs_lock_and_trylock",
        variant: "faithful",
        why: "a third thread: two_lendings_vs_trylock with an lwp_lock locker beside the trylock spinner",
    });

    fn scenarios() -> Vec<Scenario<Variant>> {
        vec![
            Scenario {
                name: "migrate_vs_lock",
                about: "lwp_migrate of an LSIDL LWP (lwp_unlock_to spc_mutex[0] -> spc_mutex[1]) \
                        racing an lwp_lock / l_count++ / lwp_unlock",
                run: migrate_vs_lock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_migrate_vs_lock,
                expect_dpor: dpor_migrate_vs_lock,
                expect_shuttle: shuttle_migrate_vs_lock,
            },
            Scenario {
                name: "sleepq_lend_vs_waker",
                about: "a sleeper lends its held sleep-queue lock (lwp_unlock_to sq_mutex) and \
                        sleeps; a waker lwp_locks it and, if asleep, lends it to the free \
                        spc_lwplock[0] (lwp_setlock, sleepq_remove's LP_RUNNING branch); the \
                        sleeper then locks it again",
                run: sleepq_lend_vs_waker,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_sleepq,
                expect_dpor: dpor_sleepq,
                expect_shuttle: shuttle_sleepq,
            },
            Scenario {
                name: "sleepq_wake_then_lock",
                about:
                    "sleepq_lend_vs_waker with the sleeper's second lwp_lock started only after \
                        the waker is done (a Relaxed flag: an order in time, no barrier under \
                        Arm), so loom reaches the lock of the lent spc_lwplock[0] that its \
                        search misses in sleepq_lend_vs_waker",
                run: sleepq_wake_then_lock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_sleepq_then_lock,
                expect_dpor: dpor_sleepq_then_lock,
                expect_shuttle: shuttle_sleepq,
            },
            Scenario {
                name: "two_lendings_vs_trylock",
                about: "two successive lendings (lwp_setlock spc_mutex[0] -> free \
                        spc_lwplock[0]; then lwp_migrate of the stopped LWP, lwp_unlock_to \
                        spc_lwplock[1]) racing an lwp_trylock spinner",
                run: two_lendings_vs_trylock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_two_lendings_trylock,
                expect_dpor: dpor_two_lendings_trylock,
                expect_shuttle: shuttle_two_lendings_trylock,
            },
            Scenario {
                name: "two_lendings_vs_lock_and_trylock",
                about: "three threads: the two lendings of two_lendings_vs_trylock racing an \
                        lwp_lock locker and an lwp_trylock spinner",
                run: two_lendings_vs_lock_and_trylock,
                loom_bounds: Bounds {
                    preemptions: Some(3),
                    branches: None,
                },
                bound_reason: "three threads, a trylock spin loop and ~30 synchronizing \
                               operations: exhaustive search did not finish in 120 s (700k+ \
                               executions, measured); with at most 3 preemptions every seeded bug \
                               fails (first failing execution 1 to ~22k) and each passing cell \
                               takes ~5 s; 4 preemptions cost 26-32 s per passing cell and \
                               change no verdict",
                loom_orders: crate::explore::SpawnOrders::Declared(
                    "each of the six orders of a passing cell takes 46,017-46,830 executions at 3 preemptions (faithful, measured 2026-12-02: 211 s for the six under load), every variant's orders agreeing; six would take a check past 60 s. The DPOR cells explore every interleaving of it, unbounded",
                ),
                shuttle: pct(),
                expect_loom: expect_three,
                expect_dpor: dpor_three,
                expect_shuttle: shuttle_three,
            },
            Scenario {
                name: "relock_vs_lock",
                about: "rev 1.54: a holder reads l_count, lwp_relocks the LWP from sq_mutex to \
                        spc_mutex[0] and writes l_count + 1, racing an lwp_lock / l_count++",
                run: relock_vs_lock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_relock,
                expect_dpor: dpor_relock,
                expect_shuttle: shuttle_relock,
            },
            Scenario {
                name: "lend_back_vs_lock",
                about: "ABA: an LSIDL LWP migrated spc_mutex[0] -> spc_mutex[1] -> spc_mutex[0] \
                        (two lwp_unlock_to) racing an lwp_lock locker that can hold \
                        spc_mutex[0] when it is lent back; the only way into lwp_lock_retry's \
                        entry test seeing old again (where its two forms differ)",
                run: lend_back_vs_lock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_lend_back,
                expect_dpor: dpor_lend_back,
                expect_shuttle: shuttle_lend_back,
            },
            Scenario {
                name: "free_lend_back_vs_lock",
                about: "ABA through today's lending paths (kern_lwp.c 1.250): a stopped LWP under \
                        spc_lwplock[0] is lwp_migrate'd to CPU 1 (lwp_unlock_to spc_lwplock[1]), \
                        then lwp_free's lending on CPU 0 lends it back to spc_lwplock[0] (neither \
                        target held by the lender), racing an lwp_lock locker",
                run: free_lend_back_vs_lock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_free_lend_back,
                expect_dpor: dpor_free_lend_back,
                expect_shuttle: shuttle_free_lend_back,
            },
            Scenario {
                name: "sleepq_remove_lend_back_vs_lock",
                about: "ABA through the wake-up path (issue 19): an LSONPROC LWP under spc_lwplock[0] \
                        goes to sleep (sleepq_enter: lwp_unlock_to the held sleep-queue lock) and is \
                        woken while still on its CPU (sleepq_remove, LP_RUNNING: lwp_setlock back to \
                        the unheld spc_lwplock[0], then mutex_spin_exit of the sleep-queue lock), \
                        racing an lwp_lock locker that can hold spc_lwplock[0] at the lend-back",
                run: sleepq_remove_lend_back_vs_lock,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: pct(),
                expect_loom: expect_sleepq_remove_lend_back,
                expect_dpor: dpor_sleepq_remove_lend_back,
                expect_shuttle: shuttle_sleepq_remove_lend_back,
            },
        ]
    }
}

/// The shuttle explorer of every scenario: PCT (the trylock spinner makes
/// the schedule space unbounded for DFS).
fn pct() -> Schedule {
    Schedule::Pct {
        iterations: 20_000,
        depth: 3,
        seed: 1157,
    }
}

// ---------------------------------------------------------------- roles ---

/// Join a role; a role's failure is re-raised in the main thread.
fn join(h: thread::JoinHandle<()>) {
    if let Err(e) = h.join() {
        std::panic::resume_unwind(e);
    }
}

/// A second CPU that locks the LWP, modifies its fields and unlocks
/// (`lwp_lock(l); ...; lwp_unlock(l)`).
fn locker(l: &Lwp) {
    let mut g = lwp_lock(l);
    g.kassert_locked("locker");
    g.bump();
    lwp_unlock(g);
}

/// A CPU spinning on `lwp_trylock` until it gets the LWP, then modifying
/// its fields.
fn trylock_spinner(l: &Lwp) {
    let mut g = loop {
        if let Some(g) = lwp_trylock(l) {
            break g;
        }
        thread::yield_now();
    };
    g.kassert_locked("spinner");
    g.bump();
    lwp_unlock(g);
}

/// The two lendings: `mi_switch` on CPU 0 puts the runnable LWP on the CPU
/// (`lwp_setlock(newl, spc->spc_lwplock)` with `spc_mutex[0]` held, then
/// `spc_unlock`), then the LWP is stopped and `lwp_migrate`d to CPU 1
/// (LSSTOP, `l_wchan == NULL`: `lwp_unlock_to(l, spc_lwplock[1])`).
fn lender(l: &Lwp) {
    let mut g = lwp_lock(l);
    g.set_l_stat(LSONPROC);
    g.bump();
    let spc = lwp_setlock(g, &l.sched().cpus[0].spc_lwplock);
    mutex_spin_exit(spc);

    let mut g = lwp_lock(l);
    g.set_l_stat(LSSTOP);
    g.bump();
    lwp_migrate(g, 1);
}

/// Check the final state after every role is joined.
fn check_final(l: &Lwp, count: usize, stat: u32, cpu: usize, lock: fn(&Sched) -> &Kmutex) {
    // SAFETY: every role has been joined by the caller.
    let (s, c, _, n, m) = unsafe { l.final_state() };
    let want = lock(l.sched());
    crate::prop!(
        n == count,
        "lost update: l_count is {n} after {count} increments under the LWP lock"
    );
    crate::prop!(
        s == stat && c == cpu && std::ptr::eq(m, want),
        "final state: l_stat {} l_cpu {c} l_mutex {}, expected {} on CPU {cpu} under {}",
        lstat_name(s),
        m.name(),
        lstat_name(stat),
        want.name()
    );
}

/// The mutex an `LSIDL` LWP of `cpu` is under: `spc_mutex` in rev 1.157
/// (`lwp_migrate` 1156-1159 lends `LSIDL` to it), `spc_lwplock` in today's
/// code (`lwp_ctor` sets `l_mutex = spc_lwplock`, `lwp_migrate` 1.250 lends
/// `LSIDL` to it).
fn lsidl_lock(v: Variant, cpu: usize) -> fn(&Sched) -> &Kmutex {
    match (v.is_current(), cpu) {
        (false, 0) => |s| &s.cpus[0].spc_mutex,
        (false, _) => |s| &s.cpus[1].spc_mutex,
        (true, 0) => |s| &s.cpus[0].spc_lwplock,
        (true, _) => |s| &s.cpus[1].spc_lwplock,
    }
}

/// The racing roles of the migration scenarios: `migrator` (whatever
/// lends the LWP on) against a [`locker`], as one `thread::roles` group,
/// migrator declared first; both joined.
fn migrator_vs_locker(l: &Arc<Lwp>, migrator: impl FnOnce(&Lwp) + Send + 'static) {
    let lm = l.clone();
    let lk = l.clone();
    let (m, k) = thread::roles(|g| {
        (
            g.spawn_named("migrator", move || migrator(&lm)),
            g.spawn_named("locker", move || locker(&lk)),
        )
    });
    join(m);
    join(k);
}

/// Scenario `migrate_vs_lock`.
pub fn migrate_vs_lock(v: Variant) {
    let l = Lwp::new(v, LSIDL, 0, lsidl_lock(v, 0));
    migrator_vs_locker(&l, |l| {
        let mut g = lwp_lock(l);
        g.bump();
        // lwp_migrate, LSIDL: l_cpu = 1; lwp_unlock_to(l, spc_mutex[1]).
        lwp_migrate(g, 1);
    });
    check_final(&l, 2, LSIDL, 1, lsidl_lock(v, 1));
}

/// Scenario `sleepq_lend_vs_waker`.
pub fn sleepq_lend_vs_waker(v: Variant) {
    sleepq(v, false);
}

/// Scenario `sleepq_wake_then_lock`.
pub fn sleepq_wake_then_lock(v: Variant) {
    sleepq(v, true);
}

/// The sleep-queue scenarios. With `wait_for_waker`, the sleeper's second
/// `lwp_lock` starts only after the waker is done: `woken` is a Relaxed flag
/// (not a kernel object), an order in time that carries no happens-before
/// under the Arm profile (under x86 it is a release/acquire pair, like every
/// store and load there).
fn sleepq(v: Variant, wait_for_waker: bool) {
    let l = Lwp::new(v, LSONPROC, 0, |s| &s.cpus[0].spc_lwplock);
    // Only built when used: loom's Arc clones are branch points of their own.
    let woken = wait_for_waker.then(|| {
        let w = Arc::new(AtomicBool::new(false));
        crate::sync::label(&*w, "woken");
        w
    });
    let (ws, ww) = (woken.clone(), woken);
    let ls = l.clone();
    let sleeper = move || {
        let l = &*ls;
        let sq = &l.sched().sq_mutex;
        // sleeptab_lookup: mutex_spin_enter(sq->sq_mutex).
        let held = mutex_spin_enter(sq);
        // sleepq_enter: lwp_lock(l); lwp_unlock_to(l, mp): lend the held
        // sleep-queue lock.
        let g = lwp_lock(l);
        lwp_unlock_to(g, sq);
        let mut g = LwpGuard::adopt(l, held);
        // sleepq_enqueue: on the queue, asleep.
        g.set_l_wchan(true);
        g.set_l_stat(LSSLEEP);
        g.bump();
        // mi_switch releases the LWP lock (the sleep-queue lock).
        lwp_unlock(g);
        if let Some(woken) = ws {
            // Relaxed on purpose: when, not what (see `sleepq`); it pairs
            // with nothing.
            while !woken.load(Relaxed) {
                thread::yield_now();
            }
        }
        // Later, the LWP lock is taken again (by the LWP or anyone).
        locker(l);
    };
    let lw = l.clone();
    let waker = move || {
        let l = &*lw;
        let mut g = lwp_lock(l);
        g.kassert_locked("waker");
        if g.l_stat() == LSSLEEP {
            // sleepq_remove, LP_RUNNING branch (the sleeper has not switched
            // away yet): l_stat = LSONPROC; lwp_setlock(l, spc_lwplock), a
            // mutex the waker does not hold; then the caller's
            // mutex_spin_exit of the sleep-queue lock.
            g.set_l_wchan(false);
            g.set_l_stat(LSONPROC);
            g.bump();
            let cpu = g.l_cpu();
            let sq = lwp_setlock(g, &l.sched().cpus[cpu].spc_lwplock);
            mutex_spin_exit(sq);
        } else {
            // Not asleep yet: nothing to wake.
            g.bump();
            lwp_unlock(g);
        }
        if let Some(woken) = ww {
            // The waker is done (Relaxed: see `sleepq`).
            woken.store(true, Relaxed);
        }
    };
    let (s, w) = thread::roles(|g| {
        (
            g.spawn_named("sleeper", sleeper),
            g.spawn_named("waker", waker),
        )
    });
    join(s);
    join(w);
    // SAFETY: both roles joined.
    let (stat, _, wchan, n, m) = unsafe { l.final_state() };
    crate::prop!(n == 3, "lost update: l_count is {n} after 3 increments");
    let sched = l.sched();
    let agrees = match stat {
        LSSLEEP => wchan && std::ptr::eq(m, &sched.sq_mutex),
        LSONPROC => !wchan && std::ptr::eq(m, &sched.cpus[0].spc_lwplock),
        _ => false,
    };
    crate::prop!(
        agrees,
        "final state: l_stat {} l_wchan {wchan} under {}: the locking overview wants LSSLEEP under \
         sq_mutex or LSONPROC under spc_lwplock[0]",
        lstat_name(stat),
        m.name()
    );
}

/// Scenario `two_lendings_vs_trylock`.
pub fn two_lendings_vs_trylock(v: Variant) {
    let l = Lwp::new(v, LSRUN, 0, |s| &s.cpus[0].spc_mutex);
    let (ll, lt) = (l.clone(), l.clone());
    let (a, t) = thread::roles(|g| {
        (
            g.spawn_named("lender", move || lender(&ll)),
            g.spawn_named("spinner", move || trylock_spinner(&lt)),
        )
    });
    join(a);
    join(t);
    check_final(&l, 3, LSSTOP, 1, |s| &s.cpus[1].spc_lwplock);
}

/// Scenario `two_lendings_vs_lock_and_trylock` (three spawned threads).
pub fn two_lendings_vs_lock_and_trylock(v: Variant) {
    let l = Lwp::new(v, LSRUN, 0, |s| &s.cpus[0].spc_mutex);
    let (ll, lk, lt) = (l.clone(), l.clone(), l.clone());
    let (a, k, t) = thread::roles(|g| {
        (
            g.spawn_named("lender", move || lender(&ll)),
            g.spawn_named("locker", move || locker(&lk)),
            g.spawn_named("spinner", move || trylock_spinner(&lt)),
        )
    });
    join(a);
    join(k);
    join(t);
    check_final(&l, 4, LSSTOP, 1, |s| &s.cpus[1].spc_lwplock);
}

/// Scenario `relock_vs_lock` (rev 1.54).
pub fn relock_vs_lock(v: Variant) {
    // Asleep, under the sleep-queue lock; 1.54's sched_mutex is
    // spc_mutex[0] here (lock order sq_mutex -> sched_mutex, 1.54 line 186).
    let l = Lwp::new(v, LSSLEEP, 0, |s| &s.sq_mutex);
    let lr = l.clone();
    let relocker = move || {
        let l = &*lr;
        let g = lwp_lock(l);
        let c = g.l_count();
        // Made runnable: the LWP moves to the run-queue lock, still held by
        // this thread throughout (lwp_relock's contract).
        let mut g = lwp_relock(g, &l.sched().cpus[0].spc_mutex);
        g.set_l_wchan(false);
        g.set_l_stat(LSRUN);
        g.set_l_count(c + 1);
        lwp_unlock(g);
    };
    let lk = l.clone();
    let (r, k) = thread::roles(|g| {
        (
            g.spawn_named("relocker", relocker),
            g.spawn_named("locker", move || locker(&lk)),
        )
    });
    join(r);
    join(k);
    check_final(&l, 2, LSRUN, 0, |s| &s.cpus[0].spc_mutex);
}

/// Scenario `lend_back_vs_lock` (ABA on `spc_mutex[0]`).
pub fn lend_back_vs_lock(v: Variant) {
    let l = Lwp::new(v, LSIDL, 0, lsidl_lock(v, 0));
    migrator_vs_locker(&l, |l| {
        let mut g = lwp_lock(l);
        g.bump();
        lwp_migrate(g, 1);
        let mut g = lwp_lock(l);
        g.bump();
        lwp_migrate(g, 0);
    });
    check_final(&l, 3, LSIDL, 0, lsidl_lock(v, 0));
}

/// Scenario `free_lend_back_vs_lock`: the lend-back of
/// `lend_back_vs_lock` through the two lendings `kern_lwp.c` 1.250 still
/// makes to a mutex the lender does not hold: `lwp_migrate` of a stopped
/// LWP (no wait channel) to CPU 1's `spc_lwplock` (1.157 lines 1163-1169,
/// the same in 1.250), then `lwp_free`'s lending back to the current CPU's
/// `spc_lwplock` ([`lwp_free_lend`], 1.250; the "reaper" runs on CPU 0).
/// In 1.157 `lwp_free` does not lend; the scenario runs 1.250's call
/// sequence through each variant's lock functions.
pub fn free_lend_back_vs_lock(v: Variant) {
    let l = Lwp::new(v, LSSTOP, 0, |s| &s.cpus[0].spc_lwplock);
    migrator_vs_locker(&l, |l| {
        let mut g = lwp_lock(l);
        g.bump();
        // LSSTOP, l_wchan == NULL: l_cpu = 1; lwp_unlock_to(spc_lwplock[1]).
        lwp_migrate(g, 1);
        // lwp_free on CPU 0: back to spc_lwplock[0], LSIDL.
        lwp_free_lend(l, 0);
    });
    check_final(&l, 3, LSIDL, 0, |s| &s.cpus[0].spc_lwplock);
}

/// Scenario `sleepq_remove_lend_back_vs_lock` (issue 19): the lend-back of
/// `lend_back_vs_lock` through the ordinary sleep and wake-up path. The
/// lines it follows come from outside the seeds, read from stored copies:
/// `sleepq_enter` (`sys/sys/sleepq.h`: `lwp_lock(l); lwp_unlock_to(l,
/// mp);`), `sleepq_enqueue` and `sleepq_remove` / `sleepq_wake`
/// (`sys/kern/kern_sleepq.c` rev 1.71, 2022/04/08: `l_wchan = NULL`, and
/// with `LP_RUNNING` set `l_stat = LSONPROC; lwp_setlock(l,
/// spc->spc_lwplock);`, then `mutex_spin_exit(mp)`). `lwp_setlock` and
/// `lwp_unlock_to` are the seeds' (1.157 lines 1283-1311) or 1.250's
/// (`current`). One role is the LWP and its waker in turn (it keeps the
/// sleep-queue lock from the sleep to the wake-up, which the kernel's sleeper
/// releases in `mi_switch` and the waker re-takes): the waker lends to
/// `spc_lwplock[0]` while holding only the sleep-queue lock, as in the
/// kernel, and the locker on another CPU is what races it.
pub fn sleepq_remove_lend_back_vs_lock(v: Variant) {
    let l = Lwp::new(v, LSONPROC, 0, |s| &s.cpus[0].spc_lwplock);
    let ls = l.clone();
    let sleeper_waker = move || {
        let l = &*ls;
        let sq = &l.sched().sq_mutex;
        // sleeptab_lookup / sleepq_hashlock: mutex_spin_enter(mp).
        let held = mutex_spin_enter(sq);
        // sleepq_enter: lwp_lock(l) (through spc_lwplock[0]); then
        // lwp_unlock_to(l, mp): lend the held sleep-queue lock and release
        // spc_lwplock[0].
        let mut g = lwp_lock(l);
        g.bump();
        lwp_unlock_to(g, sq);
        let mut g = LwpGuard::adopt(l, held);
        // sleepq_enqueue: l_wchan = wchan; l_stat = LSSLEEP.
        g.set_l_wchan(true);
        g.set_l_stat(LSSLEEP);
        g.bump();
        // sleepq_wake -> sleepq_remove under mp, the LWP still on its CPU
        // (LP_RUNNING): l_wchan = NULL; l_stat = LSONPROC;
        // lwp_setlock(l, spc->spc_lwplock): lent back to spc_lwplock[0],
        // which this CPU does not hold.
        g.set_l_wchan(false);
        g.set_l_stat(LSONPROC);
        g.bump();
        let cpu = g.l_cpu();
        let mp = lwp_setlock(g, &l.sched().cpus[cpu].spc_lwplock);
        // sleepq_wake: mutex_spin_exit(mp).
        mutex_spin_exit(mp);
    };
    let lk = l.clone();
    let (s, k) = thread::roles(|g| {
        (
            g.spawn_named("sleeper_waker", sleeper_waker),
            g.spawn_named("locker", move || locker(&lk)),
        )
    });
    join(s);
    join(k);
    check_final(&l, 4, LSONPROC, 0, |s| &s.cpus[0].spc_lwplock);
}

// --------------------------------------------------------- expectations ---
//
// Written from the code and the memory model before the checkers ran; every
// change made after a run is marked here with its evidence.

const NOT_HERE: &str = "the function this bug is in is not called in this scenario";
const SC_BARRIER: &str = "shuttle is sequentially consistent: a missing barrier cannot show, \
                          and it has no race detector";

/// `migrate_vs_lock` under loom.
fn expect_migrate_vs_lock(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, _) => pass(
            "lwp_unlock_to publishes spc_mutex[1] after membar_exit and before releasing \
             spc_mutex[0]; the locker re-tests after its lock's read barrier",
        ),
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "the locker waits on spc_mutex[0], gets it after the LWP was lent to spc_mutex[1], \
             and without the re-test its KASSERT(lwp_locked) sees l_mutex = spc_mutex[1]",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::Assertion,
            "the locker takes spc_mutex[0] between its release and the publication, passes the \
             re-test, and finds spc_mutex[1] at lwp_unlock; no field race (the migrator touches \
             nothing after the release)",
        ),
        (UnlockToNoMembar, Profile::Arm) => fail(
            FailKind::DataRace,
            "the locker reads l_mutex = spc_mutex[1] and takes that free mutex: with no release \
             before the pointer store, nothing orders the migrator's l_cpu/l_count writes \
             before its accesses",
        ),
        (UnlockToNoMembar, Profile::X86) => pass(
            "x86 stores are not reordered with earlier stores nor loads with later accesses: the \
             pointer store (release) carries the migrator's writes to the locker's load (acquire)",
        ),
        (TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst, _) => pass(NOT_HERE),
        (FixRetestAcquire | FixRetestMembarConsumer, _) => pass(FIX_STRONGER),
        (Current | CurrentFixRetestAcquire, _) => pass(
            "today's code: one lending, to spc_lwplock[1], published by atomic_store_release \
             before spc_lwplock[0] is released; a locker that took spc_lwplock[0] re-tests and \
             sees the move, one that read spc_lwplock[1] acquires it after the release store",
        ),
        (RetryDoWhile, _) => pass(
            "one lending: the two forms differ only when l_mutex is back to old on entry to the \
             retry, impossible here",
        ),
        (RetryTestFolded, _) => pass(
            "the retry re-locks spc_mutex[1], the last mutex the LWP is lent to here, so the \
             missing re-test is harmless",
        ),
    }
}

/// `migrate_vs_lock` under shuttle.
fn shuttle_migrate_vs_lock(v: Variant) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst => fail(
            FailKind::Assertion,
            "an interleaving bug: the stale holder's KASSERT or lwp_unlock sees spc_mutex[1]",
        ),
        UnlockToNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful | TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile
        | RetryTestFolded => pass("as under loom: correct, or not reached in this scenario"),
        FixRetestAcquire | FixRetestMembarConsumer | Current | CurrentFixRetestAcquire => {
            pass(SHUTTLE_FIX)
        }
    }
}

/// `sleepq_lend_vs_waker` under loom.
fn expect_sleepq(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, _) => pass(
            "the sleep-queue lock is lent while held, and spc_lwplock[0] is lent after \
             membar_exit; every holder re-tests",
        ),
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "the waker waits on spc_lwplock[0], gets it after the sleeper lent the LWP to \
             sq_mutex, and its KASSERT(lwp_locked) sees sq_mutex",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::DataRace,
            "both reachable: the waker takes spc_lwplock[0] in the window and reads l_stat while \
             the sleeper writes it under sq_mutex (race), or finds sq_mutex at KASSERT/unlock \
             (assertion); loom's first failing execution is its first one: the waker, run after \
             the sleeper, reads the oldest pointer, passes both checks and races l_stat",
        ),
        (UnlockToNoMembar, _) => pass(
            "the lent sleep-queue lock is held by the lender: a waker that reads its pointer \
             must still acquire it, and its release orders the sleeper's writes; the barrier is \
             not needed for a held target",
        ),
        // Changed after the first run (was fail data-race): loom passed it in
        // 171 executions; sleepq_wake_then_lock forces the same execution
        // and loom fails it at once, so the race is real and this is a hole
        // in loom's search (see the module docs, Findings).
        (SetlockNoMembar, Profile::Arm) => miss(
            FailKind::DataRace,
            "loom's search never runs the sleeper's second lwp_lock after the waker's lending: \
             its DPOR looks only at the last access of an object, and the sleeper's later \
             lock/unlock of sq_mutex hides its earlier release (the #392/#166 family); \
             sleepq_wake_then_lock shows the race",
        ),
        (SetlockNoMembar, Profile::X86) => pass(
            "x86 keeps stores in order: the pointer store (release) carries the waker's writes \
             to the sleeper's load (acquire)",
        ),
        (TrylockNoRecheck | RelockSwitchFirst, _) => pass(NOT_HERE),
        (FixRetestAcquire | FixRetestMembarConsumer, _) => pass(FIX_STRONGER),
        (Current | CurrentFixRetestAcquire, _) => pass(
            "today's code: the sleep-queue lock is lent while held, spc_lwplock[0] is lent with \
             atomic_store_release; the sleeper's lwp_lock reads it and acquires it after that \
             store (the enter's fence pairs with it); no mutex is lent back to a holder",
        ),
        (RetryDoWhile, _) => pass(
            "no holder of spc_lwplock[0] can be in the retry when the waker lends it back (the \
             waker is the only lender of it), so the forms never differ here",
        ),
        (RetryTestFolded, _) => pass(
            "each retry re-locks the mutex the LWP stays on until the retrying thread itself \
             moves it, so the missing re-test is harmless here",
        ),
    }
}

/// `sleepq_wake_then_lock` under loom: as `sleepq_lend_vs_waker`, and the
/// lending to the free `spc_lwplock[0]` is now reached.
fn expect_sleepq_then_lock(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (SetlockNoMembar, Profile::Arm) => fail(
            FailKind::DataRace,
            "the waker lends the free spc_lwplock[0] while holding sq_mutex; the sleeper's next \
             lwp_lock reads that pointer and takes spc_lwplock[0], which nothing released after \
             the waker's l_stat/l_wchan/l_count writes (the Relaxed flag orders nothing)",
        ),
        (SetlockNoMembar, Profile::X86) => pass(
            "x86 keeps stores in order: the pointer store (release) carries the waker's writes \
             to the sleeper's load (acquire); so does the flag there",
        ),
        _ => expect_sleepq(v, p),
    }
}

/// `sleepq_lend_vs_waker` under shuttle.
fn shuttle_sleepq(v: Variant) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst => fail(
            FailKind::Assertion,
            "an interleaving bug: the waker's KASSERT or lwp_unlock sees sq_mutex while it holds \
             spc_lwplock[0]",
        ),
        SetlockNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful | TrylockNoRecheck | UnlockToNoMembar | RelockSwitchFirst | RetryDoWhile
        | RetryTestFolded => pass("as under loom: correct, or not reached in this scenario"),
        FixRetestAcquire | FixRetestMembarConsumer | Current | CurrentFixRetestAcquire => {
            pass(SHUTTLE_FIX)
        }
    }
}

/// `two_lendings_vs_trylock` under loom.
fn expect_two_lendings_trylock(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, _) => pass(
            "both lendings publish after membar_exit; the spinner re-tests after a successful \
             mutex_tryenter",
        ),
        (LockNoRecheck, _) => pass(
            "the only lwp_lock is the lender's, which reads the pointer it stored itself; the \
             spinner uses lwp_trylock",
        ),
        (TrylockNoRecheck, _) => fail(
            FailKind::Assertion,
            "the spinner's mutex_tryenter succeeds on spc_mutex[0] (or spc_lwplock[0]) after the \
             LWP moved on; without line 1321 its KASSERT(lwp_locked) sees the new pointer",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::Assertion,
            "the second lending is the lender's last act: a spinner that takes spc_lwplock[0] \
             in the window touches fields no one else touches later, and finds \
             spc_lwplock[1] at lwp_unlock",
        ),
        (UnlockToNoMembar | SetlockNoMembar, Profile::Arm) => fail(
            FailKind::DataRace,
            "the spinner reads the new pointer and takes that free mutex; with no release \
             before the store, the lender's field writes are unordered with the spinner's",
        ),
        (UnlockToNoMembar | SetlockNoMembar, Profile::X86) => pass(
            "x86 keeps stores in order: the pointer store (release) carries the lender's writes \
             to the spinner's load (acquire)",
        ),
        (RelockSwitchFirst, _) => pass(NOT_HERE),
        (FixRetestAcquire | FixRetestMembarConsumer, _) => pass(FIX_STRONGER),
        (Current | CurrentFixRetestAcquire, _) => pass(
            "today's code: spc_mutex[0] -> spc_lwplock[0] -> spc_lwplock[1], each published by \
             atomic_store_release and never lent back, so a spinner's re-test that passes read \
             the pointer it acquired through",
        ),
        (RetryDoWhile | RetryTestFolded, _) => pass(
            "no lwp_lock races a lending (the lender's reads its own store): the retry never runs",
        ),
    }
}

/// `two_lendings_vs_trylock` under shuttle.
fn shuttle_two_lendings_trylock(v: Variant) -> Expectation {
    match v {
        TrylockNoRecheck | UnlockToReleaseFirst => fail(
            FailKind::Assertion,
            "an interleaving bug: the spinner's KASSERT or lwp_unlock sees the newer pointer",
        ),
        UnlockToNoMembar | SetlockNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful | LockNoRecheck | RelockSwitchFirst | RetryDoWhile | RetryTestFolded => {
            pass("as under loom: correct, or not reached in this scenario")
        }
        FixRetestAcquire | FixRetestMembarConsumer | Current | CurrentFixRetestAcquire => {
            pass(SHUTTLE_FIX)
        }
    }
}

/// `two_lendings_vs_lock_and_trylock` under loom.
fn expect_three(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, _) => {
            pass("both lendings publish after membar_exit; lwp_lock and lwp_trylock re-test")
        }
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "the locker gets spc_mutex[0] after the first lending; without the re-test its \
             KASSERT(lwp_locked) sees spc_lwplock[0]",
        ),
        (TrylockNoRecheck, _) => fail(
            FailKind::Assertion,
            "the spinner's mutex_tryenter succeeds on a mutex the LWP has left; its \
             KASSERT(lwp_locked) sees the new pointer",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::Assertion,
            "both reachable (a stale holder of spc_lwplock[0] and a holder of spc_lwplock[1] \
             racing, or a stale holder's lwp_unlock seeing spc_lwplock[1]); loom's first failing \
             execution: in the first one both roles reach spc_lwplock[0] through the oldest \
             pointers, one after the other, and the next varies the spinner's last load",
        ),
        (UnlockToNoMembar | SetlockNoMembar, Profile::Arm) => fail(
            FailKind::DataRace,
            "a role reads the new pointer and takes that free mutex; with no release before the \
             store the lender's field writes are unordered with its accesses",
        ),
        (UnlockToNoMembar | SetlockNoMembar, Profile::X86) => pass(
            "x86 keeps stores in order: the pointer store (release) carries the lender's writes",
        ),
        (RelockSwitchFirst, _) => pass(NOT_HERE),
        (FixRetestAcquire | FixRetestMembarConsumer, _) => pass(FIX_STRONGER),
        (Current | CurrentFixRetestAcquire, _) => pass(
            "today's code: no ABA (spc_mutex[0] -> spc_lwplock[0] -> spc_lwplock[1]), every \
             lending an atomic_store_release; the inline loop re-tests after every enter",
        ),
        (RetryDoWhile, _) => pass(
            "no ABA (spc_mutex[0] -> spc_lwplock[0] -> spc_lwplock[1]): the forms run the same \
             loads and locks",
        ),
        (RetryTestFolded, _) => fail(
            FailKind::Assertion,
            "the locker's retry re-locks spc_lwplock[0] after the second lending moved the LWP \
             to spc_lwplock[1]; with the test folded it keeps it, and KASSERT sees \
             spc_lwplock[1]",
        ),
    }
}

/// `two_lendings_vs_lock_and_trylock` under shuttle.
fn shuttle_three(v: Variant) -> Expectation {
    match v {
        LockNoRecheck | TrylockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => fail(
            FailKind::Assertion,
            "an interleaving bug: a stale holder's KASSERT or lwp_unlock sees the newer pointer",
        ),
        UnlockToNoMembar | SetlockNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful | RelockSwitchFirst | RetryDoWhile => {
            pass("as under loom: correct, or not reached in this scenario")
        }
        FixRetestAcquire | FixRetestMembarConsumer | Current | CurrentFixRetestAcquire => {
            pass(SHUTTLE_FIX)
        }
    }
}

/// `relock_vs_lock` under loom.
fn expect_relock(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, _) => pass(
            "lwp_relock holds spc_mutex[0] before it publishes it, and holds sq_mutex until \
             then: the locker acquires one of them from the relocker's release",
        ),
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "the locker waits on sq_mutex, gets it after the relock, and its \
             KASSERT(lwp_locked) sees spc_mutex[0]",
        ),
        (RelockSwitchFirst, Profile::Arm) => fail(
            FailKind::DataRace,
            "the locker reads the early pointer, takes the still-free spc_mutex[0] and writes \
             l_count, which the relocker read under sq_mutex; nothing orders the read before \
             the write (no barrier in lwp_relock)",
        ),
        (RelockSwitchFirst, Profile::X86) => fail(
            FailKind::Assertion,
            "on x86 the pointer store and load order the relocker's read before the locker's \
             write (no race), but the locker's increment lands between the relocker's read and \
             its write of l_count + 1: a lost update",
        ),
        (TrylockNoRecheck | UnlockToReleaseFirst | UnlockToNoMembar | SetlockNoMembar, _) => {
            pass(NOT_HERE)
        }
        (FixRetestAcquire | FixRetestMembarConsumer, _) => pass(FIX_STRONGER),
        (Current | CurrentFixRetestAcquire, _) => pass(
            "lwp_relock is 1.54's (gone from today's kernel) and holds both mutexes across the \
             store; today's lwp_lock re-tests after every enter: one lending, no ABA",
        ),
        (RetryDoWhile, _) => pass("one lending, no ABA: the forms run the same loads and locks"),
        (RetryTestFolded, _) => {
            pass("the retry re-locks spc_mutex[0], the last mutex the LWP is lent to here")
        }
    }
}

/// `relock_vs_lock` under shuttle.
fn shuttle_relock(v: Variant) -> Expectation {
    match v {
        LockNoRecheck => fail(
            FailKind::Assertion,
            "an interleaving bug: the locker's KASSERT sees spc_mutex[0] while it holds sq_mutex",
        ),
        RelockSwitchFirst => fail(
            FailKind::Assertion,
            "an interleaving bug: the locker's increment between the relocker's read and write \
             of l_count is lost",
        ),
        Faithful | TrylockNoRecheck | UnlockToReleaseFirst | UnlockToNoMembar | SetlockNoMembar
        | RetryDoWhile | RetryTestFolded => {
            pass("as under loom: correct, or not reached in this scenario")
        }
        FixRetestAcquire | FixRetestMembarConsumer | Current | CurrentFixRetestAcquire => {
            pass(SHUTTLE_FIX)
        }
    }
}

const ABA_HAZARD: &str = "ABA: the locker can hold spc_mutex[0] (taken after the first lending) \
     when the migrator lends it back; its re-test reads that pointer after its lock's read \
     barrier and nothing acquires after the re-test, so the migrator's writes under \
     spc_mutex[1] are unordered with the locker's (ARMv8 MP+dmb+ctrl: allowed)";

/// The finding `lend_back_vs_lock` shows in the faithful code.
const LEND_BACK_PAGE: &str = super::FINDING_PAGE;

const FIX_STRONGER: &str = "the faithful code passes here and the fix only makes the re-tests \
     acquire (or adds a read barrier after them)";
const FIX_ABA: &str = "the fix: the re-test that reads the lent-back pointer is an acquire (or is \
     followed by membar_consumer()), so it synchronizes with the lender's membar_exit / \
     atomic_store_release and the lender's critical section happens before the locker's";
const SHUTTLE_FIX: &str = "a fix or today's code: every interleaving keeps the lock exclusive \
     (shuttle is sequentially consistent; the lend-back hazard is a weak-memory one)";

const SC_ABA: &str =
    "shuttle is sequentially consistent: the ABA hazard is a weak-memory one (the \
     re-test's load is not an acquire), invisible in any interleaving";

/// `lend_back_vs_lock` under loom.
fn expect_lend_back(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, Profile::Arm) => finding(FailKind::DataRace, LEND_BACK_PAGE, ABA_HAZARD),
        (
            TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile
            | UnlockToNoMembar,
            Profile::Arm,
        ) => fail(FailKind::DataRace, ABA_HAZARD),
        (
            Faithful | TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile,
            Profile::X86,
        ) => pass(
            "x86 loads are acquires: the re-test that reads the lent-back pointer synchronizes \
             with the migrator's store (release)",
        ),
        (UnlockToNoMembar, Profile::X86) => pass(
            "x86 keeps stores in order: every pointer store is a release and every load an \
             acquire",
        ),
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "loom's first execution: the locker, run after the migrator, reads the initial \
             spc_mutex[0], takes it, and its KASSERT reads spc_mutex[1] (oldest store it may \
             see); the ABA race is reachable too, later in the search",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::DataRace,
            "loom's first execution: the locker takes spc_mutex[0] (released before the first \
             publication), its re-test reads the initial spc_mutex[0], and it increments \
             l_count unordered with the migrator's increment under spc_mutex[1]",
        ),
        (RetryTestFolded, _) => fail(
            FailKind::Assertion,
            "loom's first execution: the locker's retry re-locks spc_mutex[1] after the LWP was \
             lent back, keeps it (folded test), and its KASSERT sees spc_mutex[0]",
        ),
        // Today's kernel (issue 14): the same finding, still present.
        (Current, Profile::Arm) => finding(
            FailKind::DataRace,
            LEND_BACK_PAGE,
            "today's code keeps the hazard: the LSIDL LWP goes spc_lwplock[0] -> [1] -> [0] \
             (lwp_migrate 1.250), the locker holding spc_lwplock[0] accepts the lent-back \
             pointer on an atomic_load_relaxed re-test, and the migrator's \
             atomic_store_release pairs with nothing",
        ),
        (Current, Profile::X86) => pass(
            "x86 loads are acquires: the relaxed re-test that reads the lent-back pointer \
             synchronizes with the migrator's atomic_store_release",
        ),
        (FixRetestAcquire | FixRetestMembarConsumer | CurrentFixRetestAcquire, _) => pass(FIX_ABA),
    }
}

/// `lend_back_vs_lock` under shuttle.
fn shuttle_lend_back(v: Variant) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => fail(
            FailKind::Assertion,
            "an interleaving bug: a stale holder's KASSERT or lwp_unlock sees another pointer",
        ),
        UnlockToNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful => miss(FailKind::DataRace, SC_ABA).finding(LEND_BACK_PAGE),
        TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile => {
            miss(FailKind::DataRace, SC_ABA)
        }
        Current => miss(FailKind::DataRace, SC_ABA).finding(LEND_BACK_PAGE),
        FixRetestAcquire | FixRetestMembarConsumer | CurrentFixRetestAcquire => pass(SHUTTLE_FIX),
    }
}

/// `free_lend_back_vs_lock` under loom: the lend-back of
/// `lend_back_vs_lock` through today's lending paths, so the same verdicts
/// by the same reasons (reasoned before running).
fn expect_free_lend_back(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        // A finding about NetBSD (issue 14), through 1.250's lending paths.
        (Faithful, Profile::Arm) => finding(
            FailKind::DataRace,
            LEND_BACK_PAGE,
            "ABA on spc_lwplock[0] (lwp_migrate to spc_lwplock[1], lwp_free's lending back): \
             the locker holding spc_lwplock[0] accepts the lent-back pointer on a plain re-test \
             and nothing orders the migrator's writes under spc_lwplock[1] before its own",
        ),
        (Current, Profile::Arm) => finding(
            FailKind::DataRace,
            LEND_BACK_PAGE,
            "today's code as written: lwp_migrate and lwp_free lend to spc_lwplock's the lender \
             does not hold; lwp_lock's atomic_load_relaxed re-test accepts the lent-back \
             spc_lwplock[0] and the lender's atomic_store_release pairs with nothing",
        ),
        (
            TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile
            | UnlockToNoMembar,
            Profile::Arm,
        ) => fail(
            FailKind::DataRace,
            "the faithful ABA on spc_lwplock[0], which these variants keep (their own bug is not \
             reached here, or, for unlock-to-no-membar, adds to it)",
        ),
        (
            Faithful | TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile
            | Current,
            Profile::X86,
        ) => pass(
            "x86 loads are acquires: the re-test that reads the lent-back pointer synchronizes \
             with the lender's store (release)",
        ),
        (UnlockToNoMembar, Profile::X86) => pass(
            "x86 keeps stores in order: every pointer store is a release and every load an \
             acquire",
        ),
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "loom's first execution: the locker, run after the migrator, reads the initial \
             spc_lwplock[0], takes it after its first release, and its KASSERT reads \
             spc_lwplock[1] (the oldest store it may see)",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::DataRace,
            "as in lend_back_vs_lock: the locker takes spc_lwplock[0] released before the first \
             publication, its re-test reads the initial pointer, and its l_count access is \
             unordered with the migrator's under spc_lwplock[1]",
        ),
        (RetryTestFolded, _) => fail(
            FailKind::Assertion,
            "as in lend_back_vs_lock: the locker's retry re-locks spc_lwplock[1] after the LWP \
             was lent back, keeps it (folded test), and its KASSERT sees spc_lwplock[0]",
        ),
        (FixRetestAcquire | FixRetestMembarConsumer | CurrentFixRetestAcquire, _) => pass(FIX_ABA),
    }
}

/// `free_lend_back_vs_lock` under shuttle.
fn shuttle_free_lend_back(v: Variant) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => fail(
            FailKind::Assertion,
            "an interleaving bug: a stale holder's KASSERT or lwp_unlock sees another pointer",
        ),
        UnlockToNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful | Current => miss(FailKind::DataRace, SC_ABA).finding(LEND_BACK_PAGE),
        TrylockNoRecheck | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile => {
            miss(FailKind::DataRace, SC_ABA)
        }
        FixRetestAcquire | FixRetestMembarConsumer | CurrentFixRetestAcquire => pass(SHUTTLE_FIX),
    }
}

const SLEEPQ_ABA: &str = "ABA through the wake-up path: the locker can hold spc_lwplock[0] (taken \
     through the pointer read before sleepq_enter lent the LWP to the sleep-queue lock) when \
     sleepq_remove lends it back; its re-test reads the lent-back pointer after its lock's read \
     barrier and nothing acquires after it, so the sleeper's and the waker's writes under the \
     sleep-queue lock are unordered with the locker's (ARMv8 MP+dmb+ctrl: allowed)";

/// `sleepq_remove_lend_back_vs_lock` under loom (reasoned before the first
/// run, from `lend_back_vs_lock`'s table: the same ABA, with lwp_setlock
/// as the lending back).
fn expect_sleepq_remove_lend_back(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        // A finding about NetBSD (issue 19): the ordinary wake-up path.
        (Faithful, Profile::Arm) => finding(FailKind::DataRace, LEND_BACK_PAGE, SLEEPQ_ABA),
        (Current, Profile::Arm) => finding(
            FailKind::DataRace,
            LEND_BACK_PAGE,
            "today's code (lwp.h 1.217, kern_lwp.c 1.250, kern_sleepq.c 1.71): sleepq_remove's \
             lwp_setlock (atomic_store_release) lends back to spc_lwplock[0]; the locker holding it \
             accepts the pointer on an atomic_load_relaxed re-test, which pairs with nothing",
        ),
        (
            TrylockNoRecheck | UnlockToNoMembar | SetlockNoMembar | RelockSwitchFirst | RetryDoWhile,
            Profile::Arm,
        ) => fail(
            FailKind::DataRace,
            "the faithful ABA, which these variants keep (their own bug is not reached here, or \
             adds a missing release to it)",
        ),
        (
            Faithful | Current | TrylockNoRecheck | UnlockToNoMembar | SetlockNoMembar
            | RelockSwitchFirst | RetryDoWhile,
            Profile::X86,
        ) => pass(
            "x86 loads are acquires and stores releases: the re-test that reads the lent-back \
             pointer synchronizes with the waker's store",
        ),
        (LockNoRecheck, _) => fail(
            FailKind::Assertion,
            "loom's first execution: the locker, run after the other role, reads the initial \
             spc_lwplock[0], takes it, and with no re-test its KASSERT(lwp_locked) reads the \
             sleep-queue lock (the oldest store its acquire of spc_lwplock[0] lets it see)",
        ),
        (UnlockToReleaseFirst, _) => fail(
            FailKind::DataRace,
            "loom's first execution: the locker takes spc_lwplock[0], released by sleepq_enter's \
             lwp_unlock_to before it publishes the sleep-queue lock, its re-test reads the initial \
             spc_lwplock[0], and its l_count access is unordered with the writes under the \
             sleep-queue lock",
        ),
        (RetryTestFolded, _) => fail(
            FailKind::Assertion,
            "loom's first execution: the locker's re-test reads the sleep-queue lock, the retry \
             locks it after the wake-up released it, keeps it (folded test), and its KASSERT sees \
             spc_lwplock[0]",
        ),
        (FixRetestAcquire | FixRetestMembarConsumer | CurrentFixRetestAcquire, _) => pass(FIX_ABA),
    }
}

/// `sleepq_remove_lend_back_vs_lock` under shuttle.
fn shuttle_sleepq_remove_lend_back(v: Variant) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => fail(
            FailKind::Assertion,
            "an interleaving bug: a stale holder's KASSERT or lwp_unlock sees another pointer, or \
             an increment is lost",
        ),
        UnlockToNoMembar | SetlockNoMembar => miss(FailKind::DataRace, SC_BARRIER),
        Faithful | Current => miss(FailKind::DataRace, SC_ABA).finding(LEND_BACK_PAGE),
        TrylockNoRecheck | RelockSwitchFirst | RetryDoWhile => miss(FailKind::DataRace, SC_ABA),
        FixRetestAcquire | FixRetestMembarConsumer | CurrentFixRetestAcquire => pass(SHUTTLE_FIX),
    }
}

// ------------------------------------------------------ DPOR expectations ---
//
// Reasoned before the DPOR explorer's first run. It explores every
// interleaving (sequentially consistent, or x86-TSO) with a race detector
// whose happens-before is C11's with the orderings as written under `sc`
// and x86's under `tso` (every load an acquire, every store a release). So
// the `sc` verdict of a missing barrier is loom's Arm one whenever that is a
// data race (a missing happens-before edge shows in an interleaving), and
// the `tso` verdict is the x86 one; what changes is only where loom's search
// missed an execution, and which of two reachable failures shows first
// (loom's search order is not DPOR's).

const DPOR_EITHER: &str = "an interleaving bug with two symptoms, both reachable: a stale holder's KASSERT or lwp_unlock sees another pointer, or its field accesses race the real holder's; which one the exploration reaches first is not part of the expectation";

/// The loom profile whose verdict a memory model shares: Arm's C11 races
/// for `sc` and for the execution-graph explorer's `rc11` and `arm` (which
/// judge races as C11 writes them, over every execution loom explores and
/// more), x86 for `tso`.
fn loom_profile(m: MemoryModel) -> Profile {
    match m {
        MemoryModel::Sc | MemoryModel::Rc11 | MemoryModel::Arm => Profile::Arm,
        MemoryModel::Tso => Profile::X86,
    }
}

fn either() -> Expectation {
    crate::model::fail_any(&[FailKind::Assertion, FailKind::DataRace], DPOR_EITHER)
}

fn dpor_migrate_vs_lock(v: Variant, m: MemoryModel) -> Expectation {
    expect_migrate_vs_lock(v, loom_profile(m))
}

fn dpor_sleepq(v: Variant, m: MemoryModel) -> Expectation {
    match (v, m) {
        (SetlockNoMembar, MemoryModel::Sc | MemoryModel::Rc11 | MemoryModel::Arm) => fail(
            FailKind::DataRace,
            "the execution loom's search misses: the sleeper's second lwp_lock reads the pointer to the free spc_lwplock[0] the waker lent it to without a release, and its accesses race the waker's writes (DPOR reverses the race loom's last-access reduction hides)",
        ),
        (UnlockToReleaseFirst, _) => either(),
        _ => expect_sleepq(v, loom_profile(m)),
    }
}

fn dpor_sleepq_then_lock(v: Variant, m: MemoryModel) -> Expectation {
    match v {
        UnlockToReleaseFirst => either(),
        _ => expect_sleepq_then_lock(v, loom_profile(m)),
    }
}

fn dpor_two_lendings_trylock(v: Variant, m: MemoryModel) -> Expectation {
    expect_two_lendings_trylock(v, loom_profile(m))
}

fn dpor_three(v: Variant, m: MemoryModel) -> Expectation {
    match v {
        LockNoRecheck | TrylockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => either(),
        _ => expect_three(v, loom_profile(m)),
    }
}

fn dpor_relock(v: Variant, m: MemoryModel) -> Expectation {
    match (v, m) {
        // Two threads inside the LWP lock at once: the race on l_count or
        // the lost update it causes, whichever the execution-graph
        // explorer reaches first.
        (RelockSwitchFirst, MemoryModel::Rc11 | MemoryModel::Arm) => either(),
        _ => expect_relock(v, loom_profile(m)),
    }
}

fn dpor_lend_back(v: Variant, m: MemoryModel) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => either(),
        _ => expect_lend_back(v, loom_profile(m)),
    }
}

fn dpor_free_lend_back(v: Variant, m: MemoryModel) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => either(),
        _ => expect_free_lend_back(v, loom_profile(m)),
    }
}

fn dpor_sleepq_remove_lend_back(v: Variant, m: MemoryModel) -> Expectation {
    match v {
        LockNoRecheck | UnlockToReleaseFirst | RetryTestFolded => either(),
        _ => expect_sleepq_remove_lend_back(v, loom_profile(m)),
    }
}
