//! The execution-graph explorer on facade code (what a model is made of):
//! mutexes, `try_lock`, condition variables with their spurious wake-ups,
//! spin loops with `yield_now`, cells of any type, and kernel memory (a
//! field read after its allocation is freed). Each test has a broken
//! variant that must fail with the kind named, so none passes by not
//! looking; and the counts say each graph is explored once.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::Duration;

use lwpcheck::explore::graph::{GraphCheck, Stats};
use lwpcheck::explore::{FailKind, Failure};
use lwpcheck::sync::MemoryModel::{self, Arm, Rc11, Sc, Tso};
use lwpcheck::sync::{thread, Alloc, Arc, AtomicUsize, Condvar, Mutex, UnsafeCell};

const ALL: [MemoryModel; 4] = [Sc, Tso, Rc11, Arm];

/// Data races fail the check (as in a gate cell) unless `machine` is set:
/// then a plain access is the machine's load or store, and only what the
/// program asserts can fail.
fn check<F>(m: MemoryModel, f: F) -> (Stats, Option<Failure>)
where
    F: Fn() + Send + Sync + 'static,
{
    check_with(m, true, f)
}

fn check_with<F>(m: MemoryModel, races_fail: bool, f: F) -> (Stats, Option<Failure>)
where
    F: Fn() + Send + Sync + 'static,
{
    let mut c = GraphCheck::new(m);
    c.budget = Duration::from_secs(50);
    c.races_fail = races_fail;
    let (stats, failure) = c.check(f);
    println!(
        "{m}: {stats:?} {:?}",
        failure.as_ref().map(|f| (f.kind, &f.message))
    );
    assert!(!stats.timed_out);
    assert_eq!(stats.executions, stats.graphs, "each graph explored once");
    (stats, failure)
}

fn passes<F>(m: MemoryModel, f: F) -> Stats
where
    F: Fn() + Send + Sync + 'static,
{
    let (stats, failure) = check(m, f);
    assert!(failure.is_none(), "{m}: {failure:?}");
    stats
}

fn fails<F>(m: MemoryModel, kind: FailKind, f: F)
where
    F: Fn() + Send + Sync + 'static,
{
    fails_with(m, true, kind, f)
}

fn fails_with<F>(m: MemoryModel, races_fail: bool, kind: FailKind, f: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let (_, failure) = check_with(m, races_fail, f);
    let f = failure.unwrap_or_else(|| panic!("{m}: passed, expected {kind:?}"));
    assert_eq!(f.kind, kind, "{m}: {}", f.message);
}

/// Two threads add 1 to a counter of type `T` under a mutex (or not).
fn counter<T>(locked: bool) -> impl Fn() + Send + Sync + 'static
where
    T: Copy + Send + 'static + From<u8> + std::ops::Add<Output = T> + PartialEq + std::fmt::Debug,
{
    move || {
        let m = Arc::new(Mutex::new(()));
        let c = Arc::new(UnsafeCell::new(T::from(0)));
        let add = {
            let (m, c) = (m.clone(), c.clone());
            move || {
                let g = locked.then(|| m.lock());
                // SAFETY: under the mutex when `locked` (the test of the
                // unlocked one expects the race it is).
                unsafe { c.write(c.read() + T::from(1)) };
                drop(g);
            }
        };
        let h = thread::spawn(add.clone());
        add();
        h.join().unwrap();
        // SAFETY: both threads joined.
        assert_eq!(unsafe { c.read() }, T::from(2), "an update was lost");
    }
}

#[test]
fn a_mutex_serializes_its_critical_sections() {
    for m in ALL {
        // The two orders of the critical sections, once each.
        assert_eq!(passes(m, counter::<u64>(true)).executions, 2);
        assert_eq!(
            passes(m, counter::<u32>(true)).executions,
            2,
            "an opaque cell"
        );
    }
    // Without the mutex: a C11 race under every model; with races not
    // judged, a lost update (the u64 cell's values are explored).
    for m in ALL {
        fails(m, FailKind::DataRace, counter::<u64>(false));
        fails(m, FailKind::DataRace, counter::<u32>(false));
        fails_with(m, false, FailKind::Assertion, counter::<u64>(false));
    }
}

#[test]
fn try_lock_fails_while_held_and_a_lock_cycle_deadlocks() {
    for m in ALL {
        // try_lock of a mutex the other thread may hold: both outcomes.
        let seen = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
        let s = seen.clone();
        passes(m, move || {
            let mx = Arc::new(Mutex::new(()));
            let m2 = mx.clone();
            let h = thread::spawn(move || drop(m2.lock()));
            let got = mx.try_lock().is_some();
            s.lock().unwrap().insert(got);
            h.join().unwrap();
        });
        assert_eq!(
            seen.lock().unwrap().len(),
            2,
            "{m}: try_lock both succeeds and fails"
        );
        // A and B taken in opposite orders.
        fails(m, FailKind::Deadlock, || {
            let a = Arc::new(Mutex::new(()));
            let b = Arc::new(Mutex::new(()));
            let (a2, b2) = (a.clone(), b.clone());
            let h = thread::spawn(move || {
                let _x = a2.lock();
                let _y = b2.lock();
            });
            {
                let _y = b.lock();
                let _x = a.lock();
            }
            h.join().unwrap();
        });
    }
}

/// A waiter for a flag set under the mutex; `notify`: the setter
/// broadcasts; `recheck`: the waiter waits in a `while` loop (an `if`
/// trusts a wake-up that may be spurious).
fn flag_wait(notify: bool, recheck: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let p = Arc::new((Mutex::new(false), Condvar::new()));
        let q = p.clone();
        let h = thread::spawn(move || {
            let mut g = q.0.lock();
            *g = true;
            if notify {
                q.1.notify_all();
            }
            drop(g);
        });
        let mut g = p.0.lock();
        if recheck {
            while !*g {
                g = p.1.wait(g);
            }
        } else if !*g {
            g = p.1.wait(g);
        }
        assert!(*g); // woke with the flag set
        drop(g);
        h.join().unwrap();
    }
}

#[test]
fn condition_variables_wake_on_notify_and_spuriously() {
    for m in ALL {
        passes(m, flag_wait(true, true));
        fails(m, FailKind::Deadlock, flag_wait(false, true));
        fails(m, FailKind::Assertion, flag_wait(true, false));
    }
}

/// A thread spins until a flag is set; `set`: another thread sets it.
fn spin(
    set: bool,
    order: (std::sync::atomic::Ordering, std::sync::atomic::Ordering),
) -> impl Fn() + Send + Sync + 'static {
    move || {
        let x = Arc::new(AtomicUsize::new(0));
        let data = Arc::new(UnsafeCell::new(0u64));
        let (x2, d2) = (x.clone(), data.clone());
        let h = thread::spawn(move || {
            if set {
                // SAFETY: published by the flag's store.
                unsafe { d2.write(7) };
                x2.store(1, order.0);
            }
        });
        while x.load(order.1) == 0 {
            thread::yield_now();
        }
        // SAFETY: the flag's load acquires the write (when it does).
        assert_eq!(unsafe { data.read() }, 7);
        h.join().unwrap();
    }
}

#[test]
fn spin_loops_end_and_a_spin_nobody_ends_is_a_deadlock() {
    for m in ALL {
        passes(m, spin(true, (Release, Acquire)));
        fails(m, FailKind::Deadlock, spin(false, (Release, Acquire)));
    }
    // Message passing without release/acquire: a C11 race; with races not
    // judged, ARM reorders the two stores (x86 does not).
    for m in ALL {
        fails(m, FailKind::DataRace, spin(true, (Relaxed, Relaxed)));
    }
    fails_with(
        Arm,
        false,
        FailKind::Assertion,
        spin(true, (Relaxed, Relaxed)),
    );
    assert!(check_with(Tso, false, spin(true, (Relaxed, Relaxed)))
        .1
        .is_none());
}

/// A field of kernel memory read by one thread while another frees it,
/// `after`: the reader joins the freeing thread first.
fn use_after_free(after: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let mem = Arc::new(Alloc::new("obj"));
        mem.zero("obj memory");
        let field = Arc::new(mem.cell(5u32));
        let m2 = mem.clone();
        let h = thread::spawn(move || m2.free());
        if after {
            h.join().unwrap();
            // SAFETY: single reader (the free is what is checked).
            let _ = unsafe { field.read() };
        } else {
            // SAFETY: as above.
            let _ = unsafe { field.read() };
            h.join().unwrap();
        }
    }
}

#[test]
fn a_field_read_after_or_unordered_with_its_free_fails() {
    for m in ALL {
        fails(m, FailKind::UseAfterFree, use_after_free(true));
    }
    for m in ALL {
        fails(m, FailKind::DataRace, use_after_free(false));
        fails_with(m, false, FailKind::UseAfterFree, use_after_free(false));
    }
}
