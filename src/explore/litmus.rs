//! Litmus canaries: tiny programs whose allowed outcomes are published for
//! x86-TSO and ARMv8, run through the facade so the profiles apply. Each
//! records the outcomes the explorer actually produced; the tests in
//! `checks/loom/litmus.rs` (loom) and `checks/shuttle/litmus.rs` (shuttle) assert that set
//! equals the expected one, so an explorer upgrade that changes what it sees
//! fails loudly.
//!
//! Sources for the published verdicts: Sewell et al., "x86-TSO" (CACM 2010);
//! Pulte et al., "Simplifying ARM concurrency" (POPL 2018); the herd7
//! litmus catalogues for AArch64.

use std::collections::BTreeSet;

use super::Run;

use crate::sync::{
    self, membar_consumer, membar_producer, thread, Arc, AtomicUsize, Ordering::*, Profile,
};

/// Outcomes: the registers each execution observed, in a fixed order.
pub type Outcomes = BTreeSet<Vec<usize>>;

/// One canary.
pub struct Litmus {
    /// Short name (`mp`, `sb+fences`...).
    pub name: &'static str,
    /// What the registers are.
    pub registers: &'static str,
    /// The weak outcome and what x86-TSO and ARMv8 say about it.
    pub published: &'static str,
    /// What the explorer shows, and why (holes stated plainly).
    pub explorer_note: &'static str,
    /// One execution; returns the registers.
    pub run: fn() -> Vec<usize>,
    /// The outcome set expected from a run (the schedule does not matter).
    pub expected: fn(Run) -> Outcomes,
}

fn set(items: &[&[usize]]) -> Outcomes {
    items.iter().map(|r| r.to_vec()).collect()
}

/// Every combination of `n` registers in `0..=max`.
fn all(n: usize, max: usize) -> Outcomes {
    let mut out: Outcomes = [vec![]].into_iter().collect();
    for _ in 0..n {
        out = out
            .into_iter()
            .flat_map(|v| {
                (0..=max).map(move |x| {
                    let mut v = v.clone();
                    v.push(x);
                    v
                })
            })
            .collect();
    }
    out
}

fn without(mut s: Outcomes, weak: &[usize]) -> Outcomes {
    s.remove(weak);
    s
}

fn pair() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    sync::label(&*x, "x");
    sync::label(&*y, "y");
    (x, y)
}

fn join(h: thread::JoinHandle<usize>) -> usize {
    h.join().expect("litmus thread panicked")
}

/// MP: writer `x = 1; y = 1`, reader `r0 = y; r1 = x`, all relaxed (x is
/// the data, y the flag).
fn mp() -> Vec<usize> {
    mp_with(false)
}

/// MP with `membar_producer` between the stores and `membar_consumer`
/// between the loads.
fn mp_membar() -> Vec<usize> {
    mp_with(true)
}

fn mp_with(barriers: bool) -> Vec<usize> {
    let (x, y) = pair();
    let (wx, wy) = (x.clone(), y.clone());
    let w = thread::spawn_named("writer", move || {
        wx.store(1, Relaxed);
        if barriers {
            membar_producer();
        }
        wy.store(1, Relaxed);
    });
    let r = thread::spawn_named("reader", move || {
        let r0 = y.load(Relaxed);
        if barriers {
            membar_consumer();
        }
        let r1 = x.load(Relaxed);
        r0 * 10 + r1
    });
    w.join().expect("writer");
    let r = join(r);
    vec![r / 10, r % 10]
}

/// SB: `x = 1; r0 = y` against `y = 1; r1 = x`, relaxed.
fn sb() -> Vec<usize> {
    sb_with(false)
}

/// SB with `fence(SeqCst)` between each store and load.
fn sb_fenced() -> Vec<usize> {
    sb_with(true)
}

fn sb_with(fences: bool) -> Vec<usize> {
    let (x, y) = pair();
    let (x1, y1) = (x.clone(), y.clone());
    let t0 = thread::spawn_named("t0", move || {
        x1.store(1, Relaxed);
        if fences {
            sync::fence(SeqCst);
        }
        y1.load(Relaxed)
    });
    let t1 = thread::spawn_named("t1", move || {
        y.store(1, Relaxed);
        if fences {
            sync::fence(SeqCst);
        }
        x.load(Relaxed)
    });
    vec![join(t0), join(t1)]
}

/// LB: `r0 = x; y = 1` against `r1 = y; x = 1`, relaxed.
fn lb() -> Vec<usize> {
    let (x, y) = pair();
    let (x1, y1) = (x.clone(), y.clone());
    let t0 = thread::spawn_named("t0", move || {
        let r = x1.load(Relaxed);
        y1.store(1, Relaxed);
        r
    });
    let t1 = thread::spawn_named("t1", move || {
        let r = y.load(Relaxed);
        x.store(1, Relaxed);
        r
    });
    vec![join(t0), join(t1)]
}

/// 2+2W: `x = 1; y = 2` against `y = 1; x = 2`, relaxed; registers are the
/// final values of x and y, read after both threads are joined.
fn two_plus_two_w() -> Vec<usize> {
    let (x, y) = pair();
    let (x1, y1, x2, y2) = (x.clone(), y.clone(), x.clone(), y.clone());
    let t0 = thread::spawn_named("t0", move || {
        x1.store(1, Relaxed);
        y1.store(2, Relaxed);
    });
    let t1 = thread::spawn_named("t1", move || {
        y2.store(1, Relaxed);
        x2.store(2, Relaxed);
    });
    t0.join().expect("t0");
    t1.join().expect("t1");
    vec![x.load(Relaxed), y.load(Relaxed)]
}

/// IRIW: two writers (`x = 1`, `y = 1`), two readers reading them in
/// opposite orders, relaxed. Registers: reader A (x, y), reader B (y, x).
fn iriw() -> Vec<usize> {
    iriw_with(false)
}

/// IRIW with `fence(SeqCst)` between each reader's two loads.
fn iriw_fenced() -> Vec<usize> {
    iriw_with(true)
}

fn iriw_with(fences: bool) -> Vec<usize> {
    let (x, y) = pair();
    let (xw, yw, xa, ya) = (x.clone(), y.clone(), x.clone(), y.clone());
    let wx = thread::spawn_named("write_x", move || xw.store(1, Relaxed));
    let wy = thread::spawn_named("write_y", move || yw.store(1, Relaxed));
    let a = thread::spawn_named("reader_a", move || {
        let r0 = xa.load(Relaxed);
        if fences {
            sync::fence(SeqCst);
        }
        r0 * 10 + ya.load(Relaxed)
    });
    // The main thread is reader B (loom allows at most 5 threads).
    let r2 = y.load(Relaxed);
    if fences {
        sync::fence(SeqCst);
    }
    let r3 = x.load(Relaxed);
    wx.join().expect("write_x");
    wy.join().expect("write_y");
    let ra = join(a);
    vec![ra / 10, ra % 10, r2, r3]
}

/// CoRR: writer `x = 1; x = 2`, reader `r0 = x; r1 = x`, relaxed.
fn corr() -> Vec<usize> {
    let (x, _) = pair();
    let xw = x.clone();
    let w = thread::spawn_named("writer", move || {
        xw.store(1, Relaxed);
        xw.store(2, Relaxed);
    });
    let r = thread::spawn_named("reader", move || {
        let r0 = x.load(Relaxed);
        r0 * 10 + x.load(Relaxed)
    });
    w.join().expect("writer");
    let r = join(r);
    vec![r / 10, r % 10]
}

/// The loom missed-execution pattern (loom issues #392 and #166): a newly
/// spawned writer of a release/acquire message pass first *loads* the two
/// locations it then stores, while the main thread reads them. Registers as
/// MP: (flag, data).
fn load_then_store_mp() -> Vec<usize> {
    message_pass(true)
}

/// The same message pass without the writer's loads: the control for
/// [`load_then_store_mp`].
fn release_acquire_mp() -> Vec<usize> {
    message_pass(false)
}

/// The #392 writer again, but the reader is a spawned thread too: the
/// workaround the models use (every racing role in a spawned thread).
fn load_then_store_mp_spawned() -> Vec<usize> {
    let (x, y) = pair();
    let (wx, wy) = (x.clone(), y.clone());
    let w = thread::spawn_named("writer", move || {
        let _ = wx.load(Relaxed);
        let _ = wy.load(Relaxed);
        wx.store(1, Relaxed);
        wy.store(1, Release);
    });
    let r = thread::spawn_named("reader", move || {
        let r0 = y.load(Acquire);
        r0 * 10 + x.load(Relaxed)
    });
    w.join().expect("writer");
    let r = join(r);
    vec![r / 10, r % 10]
}

fn message_pass(writer_loads_first: bool) -> Vec<usize> {
    let (x, y) = pair();
    let (wx, wy) = (x.clone(), y.clone());
    let w = thread::spawn_named("writer", move || {
        if writer_loads_first {
            let _ = wx.load(Relaxed);
            let _ = wy.load(Relaxed);
        }
        wx.store(1, Relaxed);
        wy.store(1, Release);
    });
    // The main thread is the reader, as in loom #392.
    let r0 = y.load(Acquire);
    let r1 = x.load(Relaxed);
    w.join().expect("writer");
    vec![r0, r1]
}

/// loom #392 verbatim: a spawned thread loads `x` then stores 1; the main
/// thread loads `x` once. Register: what main read.
fn load_then_store() -> Vec<usize> {
    let (x, _) = pair();
    let wx = x.clone();
    let w = thread::spawn_named("writer", move || {
        let _ = wx.load(Relaxed);
        wx.store(1, Relaxed);
    });
    let r = x.load(Relaxed);
    w.join().expect("writer");
    vec![r]
}

/// Every canary, in the order the README lists them.
pub fn all_litmus() -> Vec<Litmus> {
    vec![
        Litmus {
            name: "mp",
            registers: "(flag, data) seen by the reader",
            published: "weak (1,0): x86-TSO forbids (stores are not reordered with stores, loads not with loads); ARMv8 allows",
            explorer_note: "loom shows (1,0) under Arm only; shuttle never (sequentially consistent)",
            run: mp,
            expected: |e| match e {
                Run::Loom(Profile::Arm) => all(2, 1),
                _ => without(all(2, 1), &[1, 0]),
            },
        },
        Litmus {
            name: "mp+membar",
            registers: "(flag, data) seen by the reader",
            published: "weak (1,0): forbidden on both (dmb ishst / dmb ishld on ARMv8, nothing needed on x86)",
            explorer_note: "never shown, both profiles",
            run: mp_membar,
            expected: |_| without(all(2, 1), &[1, 0]),
        },
        Litmus {
            name: "sb",
            registers: "(r0, r1): what each thread read of the other's location",
            published: "weak (0,0): allowed on both (x86 store buffers, ARMv8)",
            explorer_note: "loom shows (0,0) under both profiles; shuttle cannot (sequentially consistent): a store-buffering bug is loom-only",
            run: sb,
            expected: |e| match e {
                Run::Shuttle(_) => without(all(2, 1), &[0, 0]),
                Run::Loom(_) => all(2, 1),
            },
        },
        Litmus {
            name: "sb+fences",
            registers: "(r0, r1)",
            published: "weak (0,0): forbidden on both (mfence; dmb ish)",
            explorer_note: "never shown: loom models fence(SeqCst)",
            run: sb_fenced,
            expected: |_| without(all(2, 1), &[0, 0]),
        },
        Litmus {
            name: "lb",
            registers: "(r0, r1): each thread's load, made before its store",
            published: "weak (1,1): x86-TSO forbids; ARMv8 allows",
            explorer_note: "KNOWN HOLE: loom never produces load buffering, so (1,1) is missing under Arm; an ARM-profile pass is a pass in loom's model, not on ARMv8",
            run: lb,
            expected: |_| without(all(2, 1), &[1, 1]),
        },
        Litmus {
            name: "2+2w",
            registers: "(final x, final y)",
            published: "weak (1,1): x86-TSO forbids; ARMv8 allows without barriers",
            explorer_note: "loom shows (1,1) under both profiles: C11 allows it for relaxed and for release/acquire stores (the cycle spans two locations, which only SeqCst forbids), and loom keeps modification order as a partial order, so it finds it. Under Arm that matches ARMv8; under X86 it is a false alarm of the release/acquire approximation. Shuttle never shows it",
            run: two_plus_two_w,
            expected: |e| match e {
                Run::Shuttle(_) => set(&[&[1, 2], &[2, 1], &[2, 2]]),
                Run::Loom(_) => all(2, 2).into_iter().filter(|v| v[0] > 0 && v[1] > 0).collect(),
            },
        },
        Litmus {
            name: "iriw",
            registers: "(A: x, y; B: y, x)",
            published: "weak (1,0,1,0): x86-TSO forbids (multi-copy atomic); ARMv8 allows with unordered (relaxed) loads",
            explorer_note: "loom shows (1,0,1,0) under both profiles: X86 is release/acquire, weaker than TSO here, so this is a false alarm of the X86 profile (it can only over-report, never miss a bug); shuttle never shows it",
            run: iriw,
            expected: |e| match e {
                Run::Shuttle(_) => without(all(4, 1), &[1, 0, 1, 0]),
                Run::Loom(_) => all(4, 1),
            },
        },
        Litmus {
            name: "iriw+fences",
            registers: "(A: x, y; B: y, x)",
            published: "weak (1,0,1,0): forbidden on both (mfence; dmb ish)",
            explorer_note: "never shown: fence(SeqCst) restores multi-copy atomicity in loom",
            run: iriw_fenced,
            expected: |_| without(all(4, 1), &[1, 0, 1, 0]),
        },
        Litmus {
            name: "corr",
            registers: "(r0, r1): two reads of x while it goes 0, 1, 2",
            published: "a second read older than the first: forbidden on both (read-read coherence)",
            explorer_note: "never shown",
            run: corr,
            expected: |_| all(2, 2).into_iter().filter(|v| v[0] <= v[1]).collect(),
        },
        Litmus {
            name: "ra-mp",
            registers: "(flag, data); release store, acquire load",
            published: "weak (1,0): forbidden on both; the control for load-then-store-mp",
            explorer_note: "all three allowed outcomes shown",
            run: release_acquire_mp,
            expected: |_| without(all(2, 1), &[1, 0]),
        },
        Litmus {
            name: "load-then-store-mp",
            registers: "(flag, data) read by main; the spawned writer loads both locations before storing them",
            published: "same allowed set as ra-mp, {(0,0), (0,1), (1,1)}: the writer's loads change nothing on any machine",
            explorer_note: "KNOWN HOLE (loom #392, #166): loom runs a single execution and never shows the reader the new values; the set asserted for loom is what loom 0.7.3 shows today",
            run: load_then_store_mp,
            expected: |e| match e {
                Run::Shuttle(_) => without(all(2, 1), &[1, 0]),
                Run::Loom(_) => set(&[&[0, 0]]),
            },
        },
        Litmus {
            name: "load-then-store-mp-spawned",
            registers: "(flag, data) read by a spawned reader; the writer loads both locations first",
            published: "{(0,0), (0,1), (1,1)}, as ra-mp",
            explorer_note: "the workaround for the hole: with the reader in a spawned thread (main only joins), loom explores every execution; every model scenario is built this way",
            run: load_then_store_mp_spawned,
            expected: |_| without(all(2, 1), &[1, 0]),
        },
        Litmus {
            name: "load-then-store",
            registers: "(x read by main); the spawned thread loads x, then stores 1",
            published: "{0, 1} on any machine",
            explorer_note: "KNOWN HOLE (loom #392 verbatim): loom shows only 0; the set asserted for loom is what loom 0.7.3 shows today",
            run: load_then_store,
            expected: |e| match e {
                Run::Shuttle(_) => set(&[&[0], &[1]]),
                Run::Loom(_) => set(&[&[0]]),
            },
        },
    ]
}

/// Wrap a canary for an explorer: the closure runs one execution and adds
/// its registers to the returned set (kept outside the explorer, in std).
pub fn recorder(
    run: fn() -> Vec<usize>,
) -> (
    impl Fn() + Send + Sync + 'static,
    std::sync::Arc<std::sync::Mutex<Outcomes>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Outcomes::new()));
    let s = seen.clone();
    let f = move || {
        let regs = run();
        s.lock().unwrap_or_else(|e| e.into_inner()).insert(regs);
    };
    (f, seen)
}

/// A deliberately broken hand-off, kept to prove the runner fails and its
/// trace shows both threads: a writer fills `data` and sets `flag`, both
/// relaxed; a reader that sees the flag asserts it sees the data. Fails
/// under the Arm profile (the stores or the loads may be reordered), passes
/// under X86.
pub fn broken_handoff() {
    let (data, flag) = pair();
    sync::label(&*data, "data");
    sync::label(&*flag, "flag");
    let (d, f) = (data.clone(), flag.clone());
    let w = thread::spawn_named("writer", move || {
        d.store(42, Relaxed);
        f.store(1, Relaxed);
    });
    let r = thread::spawn_named("reader", move || {
        if flag.load(Relaxed) == 1 {
            let seen = data.load(Relaxed);
            crate::prop!(
                seen == 42,
                "reader saw flag == 1 but data == {seen}, not 42"
            );
        }
    });
    w.join().expect("writer");
    if let Err(p) = r.join() {
        std::panic::resume_unwind(p);
    }
}
