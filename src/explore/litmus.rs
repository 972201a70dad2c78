//! Litmus canaries: tiny programs whose allowed outcomes are published for
//! x86-TSO and ARMv8, run through the facade so the profiles apply. Each
//! records the outcomes the explorer actually produced; the tests in
//! `checks/loom/litmus.rs` (loom) and `checks/shuttle/litmus.rs` (shuttle) assert that set
//! equals the expected one, so an explorer upgrade that changes what it sees
//! fails loudly.
//!
//! Beside them, three small programs over kernel memory (a field of a
//! freed allocation read after, unordered with, and before the free) that
//! the loom, shuttle and DPOR suites run to pin that each explorer reports
//! a use after free (and a race, where it has a race detector) with no
//! `touch` at the read.
//!
//! Sources for the published verdicts: Sewell et al., "x86-TSO" (CACM 2010);
//! Pulte et al., "Simplifying ARM concurrency" (POPL 2018); the herd7
//! litmus catalogues for AArch64.

use std::collections::BTreeSet;

use super::Run;

use crate::sync::{
    self, membar_consumer, membar_producer, thread, Alloc, Arc, AtomicUsize, MemoryModel,
    Ordering::*, Profile, UnsafeCell,
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
            // Execution-graph explorer: rc11 and arm allow (1,0) (relaxed
            // stores and loads are unordered), sc and tso forbid it.
            expected: |e| match e {
                Run::Loom(Profile::Arm) | Run::Graph(MemoryModel::Rc11 | MemoryModel::Arm) => {
                    all(2, 1)
                }
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
                Run::Shuttle(_) | Run::Dpor(MemoryModel::Sc) | Run::Graph(MemoryModel::Sc) => {
                    without(all(2, 1), &[0, 0])
                }
                Run::Loom(_) | Run::Dpor(_) | Run::Graph(_) => all(2, 1),
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
            // Execution-graph explorer: rc11 (relaxed, no SeqCst) and
            // arm (no barrier) allow (1,1); sc and tso forbid it.
            expected: |e| match e {
                Run::Shuttle(_)
                | Run::Dpor(_)
                | Run::Graph(MemoryModel::Sc | MemoryModel::Tso) => {
                    set(&[&[1, 2], &[2, 1], &[2, 2]])
                }
                Run::Loom(_) | Run::Graph(_) => {
                    all(2, 2).into_iter().filter(|v| v[0] > 0 && v[1] > 0).collect()
                }
            },
        },
        Litmus {
            name: "iriw",
            registers: "(A: x, y; B: y, x)",
            published: "weak (1,0,1,0): x86-TSO forbids (multi-copy atomic); ARMv8 allows with unordered (relaxed) loads",
            explorer_note: "loom shows (1,0,1,0) under both profiles: X86 is release/acquire, weaker than TSO here, so this is a false alarm of the X86 profile (it can only over-report, never miss a bug); shuttle never shows it",
            run: iriw,
            // Execution-graph explorer: rc11 and arm allow the weak outcome
            // with relaxed loads (ARMv8 is multi-copy atomic, but the
            // readers' loads may be reordered); sc and tso forbid it.
            expected: |e| match e {
                Run::Shuttle(_)
                | Run::Dpor(_)
                | Run::Graph(MemoryModel::Sc | MemoryModel::Tso) => {
                    without(all(4, 1), &[1, 0, 1, 0])
                }
                Run::Loom(_) | Run::Graph(_) => all(4, 1),
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
                Run::Shuttle(_) | Run::Dpor(_) | Run::Graph(_) => without(all(2, 1), &[1, 0]),
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
                Run::Shuttle(_) | Run::Dpor(_) | Run::Graph(_) => set(&[&[0], &[1]]),
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

/// A `struct thread` with one field, `td_zombie`, made by its allocation
/// (so it checks it) and shared with a second thread.
fn zombie_thread() -> Arc<(Alloc, UnsafeCell<usize>)> {
    let mem = Alloc::new("struct thread T1");
    let link = mem.cell(2usize);
    mem.zero("T1 memory");
    let td = Arc::new((mem, link));
    sync::label(&td.1, "T1.td_zombie");
    td
}

/// Join `h`, passing a failure of the thread on.
fn join_or_fail(h: thread::JoinHandle<()>) {
    if let Err(p) = h.join() {
        std::panic::resume_unwind(p);
    }
}

/// A field read after the free of its allocation, ordered after it (the
/// freeing thread is joined first), with no `touch` and no call at the
/// read: a use after free in every execution, under every explorer.
pub fn field_read_after_free() {
    let td = zombie_thread();
    let t = td.clone();
    let reaper = thread::spawn_named("reaper", move || t.0.free());
    join_or_fail(reaper);
    // SAFETY: the reaper is joined, so nothing races with this read; that
    // it reads freed memory is the bug under test.
    let _next = unsafe { td.1.read() };
}

/// A field read by one thread while another frees the allocation, with
/// nothing ordering the two: a data race under loom and the DPOR explorer
/// (whichever runs first); under shuttle, which has no race detector, a
/// use after free in the schedules that free first.
pub fn field_read_unordered_with_free() {
    let td = zombie_thread();
    let t = td.clone();
    let reader = thread::spawn_named("reader", move || {
        // SAFETY: deliberately unordered with the free (the bug under
        // test); shuttle and loom run threads one at a time.
        let _next = unsafe { t.1.read() };
    });
    td.0.free();
    join_or_fail(reader);
}

/// The control: the same read, ordered before the free (the reader is
/// joined first). Passes under every explorer: the check raises no false
/// alarm.
pub fn field_read_before_free() {
    let td = zombie_thread();
    let t = td.clone();
    let reader = thread::spawn_named("reader", move || {
        // SAFETY: the free comes after the join.
        let next = unsafe { t.1.read() };
        crate::prop!(next == 2, "read {next}, not the link written");
    });
    join_or_fail(reader);
    td.0.free();
}

// ---------------------------------------------------------------------------
// loom's measured holes: what loom 0.7.3 explores differently from the
// memory model (or the API contract) it implements. Each is measured, and the
// canaries in `checks/loom_holes.rs` assert loom's set beside the allowed one,
// so a loom upgrade that changes any of them fails there. `docs/loom.md`
// gives each one's consequence for a verdict.
// ---------------------------------------------------------------------------

/// Whether an entry shows a difference between loom and the allowed set
/// (a hole) or is the control that shows none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoleKind {
    /// loom's set differs from the allowed one (missing or extra outcomes).
    Hole,
    /// loom's set equals the allowed one: the control next to a hole.
    Control,
}

/// One measured loom behaviour (see the section comment above).
pub struct LoomHole {
    /// Short name (`load-then-store-mp-reader-first`, `loom-166`...).
    pub name: &'static str,
    /// Hole or control.
    pub kind: HoleKind,
    /// What the registers are.
    pub registers: &'static str,
    /// The set the language allows for the program as run under `Profile`
    /// (the C11 memory model for atomics; the `std` API contract for
    /// `compare_exchange_weak` and `Condvar`), reasoned, not measured.
    pub allowed: fn(Profile) -> Outcomes,
    /// Why that is the allowed set, with the ARMv8 and x86 verdicts where
    /// published.
    pub allowed_note: &'static str,
    /// The set loom 0.7.3 produced, measured.
    pub loom: fn(Profile) -> Outcomes,
    /// Executions loom 0.7.3 ran (Arm, X86), measured; asserted where the
    /// count is the point (the missed-execution holes), `None` elsewhere.
    pub executions: Option<(u64, u64)>,
    /// Where loom does it (source file, issue) and what it means for a
    /// verdict.
    pub loom_note: &'static str,
    /// One execution; returns the registers.
    pub run: fn() -> Vec<usize>,
}

/// `load-then-store-mp` with both roles spawned, the reader first: the
/// writer loads both locations, then stores `x = 1` (Relaxed) and `y = 1`
/// (Release); the reader reads `y` (Acquire) then `x`. Registers: (flag,
/// data). Spawned writer-first it is [`load_then_store_mp_spawned`].
fn load_then_store_mp_reader_first() -> Vec<usize> {
    let (x, y) = pair();
    let (wx, wy) = (x.clone(), y.clone());
    let r = thread::spawn_named("reader", move || {
        let r0 = y.load(Acquire);
        r0 * 10 + x.load(Relaxed)
    });
    let w = thread::spawn_named("writer", move || {
        let _ = wx.load(Relaxed);
        let _ = wy.load(Relaxed);
        wx.store(1, Relaxed);
        wy.store(1, Release);
    });
    let r = join(r);
    w.join().expect("writer");
    vec![r / 10, r % 10]
}

/// loom #166's reproducer, its threads as written there (std `Arc`, every
/// access `SeqCst`, the reader's one-pass `loop`), through the facade's
/// atomics (which add no loom operation under either profile: SeqCst stays
/// SeqCst). Registers: (value, key) read by `t2`.
fn loom_166(with_extra_load: bool) -> Vec<usize> {
    struct Entry {
        key: AtomicUsize,
        value: AtomicUsize,
    }
    let entry = std::sync::Arc::new(Entry {
        key: AtomicUsize::new(0),
        value: AtomicUsize::new(0),
    });
    sync::label(&entry.key, "key");
    sync::label(&entry.value, "value");
    let entry1 = entry.clone();
    let entry2 = entry.clone();

    let t1 = thread::spawn_named("t1", move || {
        entry1.key.store(1, SeqCst);
        entry1.value.store(1, SeqCst);
        entry1.value.store(0, SeqCst);

        if with_extra_load {
            entry1.key.load(SeqCst);
        }

        entry1.key.store(0, SeqCst);
    });

    #[allow(clippy::never_loop)]
    let t2 = thread::spawn_named("t2", move || loop {
        let value = entry2.value.load(SeqCst);
        let key = entry2.key.load(SeqCst);
        return (value, key);
    });

    t1.join().expect("t1");
    let (value, key) = t2.join().expect("t2");
    vec![value, key]
}

fn loom_166_extra_load() -> Vec<usize> {
    loom_166(true)
}

fn loom_166_control() -> Vec<usize> {
    loom_166(false)
}

/// WRC with the data in a third location, the last reader acquiring the
/// flag and then issuing `fence(Acquire)`: `t0: d = 1; x = 1 (Release)`,
/// `t1: r1 = x (Relaxed); y = 1 (Release)`, `t2: r2 = y (Acquire);
/// [fence(Acquire)]; r3 = d`. Registers (r1, r2, r3).
fn wrc_with(acquire_fence: bool) -> Vec<usize> {
    let (x, y) = pair();
    let d = Arc::new(AtomicUsize::new(0));
    sync::label(&*d, "d");
    let (x0, d0, x1, y1, d2) = (x.clone(), d.clone(), x.clone(), y.clone(), d.clone());
    let t0 = thread::spawn_named("t0", move || {
        d0.store(1, Relaxed);
        x0.store(1, Release);
    });
    let t1 = thread::spawn_named("t1", move || {
        let r1 = x1.load(Relaxed);
        y1.store(1, Release);
        r1
    });
    let t2 = thread::spawn_named("t2", move || {
        let r2 = y.load(Acquire);
        if acquire_fence {
            sync::fence(Acquire);
        }
        r2 * 10 + d2.load(Relaxed)
    });
    t0.join().expect("t0");
    let r1 = join(t1);
    let r = join(t2);
    vec![r1, r / 10, r % 10]
}

fn wrc_acquire_fence() -> Vec<usize> {
    wrc_with(true)
}

fn wrc_no_fence() -> Vec<usize> {
    wrc_with(false)
}

/// The bounded history: a writer stores `x = 1..=n` then `flag = 1`, all
/// Relaxed; a reader reads `flag`, then `x`, Relaxed. Registers (flag, x).
fn history(n: usize) -> Vec<usize> {
    let (x, flag) = pair();
    sync::label(&*flag, "flag");
    let (wx, wf) = (x.clone(), flag.clone());
    let w = thread::spawn_named("writer", move || {
        for v in 1..=n {
            wx.store(v, Relaxed);
        }
        wf.store(1, Relaxed);
    });
    let r = thread::spawn_named("reader", move || {
        let f = flag.load(Relaxed);
        (f, x.load(Relaxed))
    });
    w.join().expect("writer");
    let (f, v) = r.join().expect("reader");
    vec![f, v]
}

fn history_6() -> Vec<usize> {
    history(6)
}

fn history_7() -> Vec<usize> {
    history(7)
}

fn history_8() -> Vec<usize> {
    history(8)
}

/// Every (flag, x) with flag in {0, 1} and x in `0..=n`, minus the pairs
/// (1, v) for `v` in `lost`.
fn history_set(n: usize, lost: std::ops::Range<usize>) -> Outcomes {
    let mut s = Outcomes::new();
    for f in 0..=1 {
        for v in 0..=n {
            if !(f == 1 && lost.contains(&v)) {
                s.insert(vec![f, v]);
            }
        }
    }
    s
}

/// Under the X86 profile the stores are Release and the loads Acquire: a
/// reader that sees the flag reads x = n.
fn history_x86(n: usize) -> Outcomes {
    history_set(n, 0..n)
}

/// A stale load-then-store racing a successful CAS (the `peek-authoritative`
/// pattern of `zombies`, moved here from its loom test): `x = 1`;
/// `A: cas(1 -> 2, Release, Relaxed)`; `B: r = x (Acquire); x = 0
/// (Relaxed)`; main reads the final value after joining both. Registers
/// (cas succeeded, B read, final).
fn stale_store_vs_cas() -> Vec<usize> {
    let x = Arc::new(AtomicUsize::new(1));
    sync::label(&*x, "x");
    let (a, b) = (x.clone(), x.clone());
    let ta = thread::spawn_named("A_cas", move || {
        a.compare_exchange(1, 2, Release, Relaxed).is_ok()
    });
    let tb = thread::spawn_named("B_load_store", move || {
        let r = b.load(Acquire);
        b.store(0, Relaxed);
        r
    });
    let ok = ta.join().expect("A_cas");
    let r = join(tb);
    vec![usize::from(ok), r, x.load(Acquire)]
}

/// One `compare_exchange_weak(0, 1)` on a fresh atomic, in a spawned
/// thread. Register: 1 if it succeeded.
fn cas_weak_once() -> Vec<usize> {
    let x = Arc::new(AtomicUsize::new(0));
    let x1 = x.clone();
    let t = thread::spawn_named("cas", move || {
        usize::from(x1.compare_exchange_weak(0, 1, Relaxed, Relaxed).is_ok())
    });
    vec![join(t)]
}

/// A waiter that waits once (`if`, not `while`) for a flag set under the
/// mutex by a notifier. Register: the flag the waiter sees after its wait.
fn condvar_if_wait() -> Vec<usize> {
    let m = Arc::new(sync::Mutex::new(false));
    let cv = Arc::new(sync::Condvar::new());
    let (m1, cv1) = (m.clone(), cv.clone());
    let waiter = thread::spawn_named("waiter", move || {
        let mut g = m1.lock();
        if !*g {
            g = cv1.wait(g);
        }
        usize::from(*g)
    });
    let notifier = thread::spawn_named("notifier", move || {
        let mut g = m.lock();
        *g = true;
        cv.notify_one();
        drop(g);
    });
    notifier.join().expect("notifier");
    vec![join(waiter)]
}

/// Two waiters queue on a condition variable `cv`: each takes an arrival
/// number under the mutex, tells the main thread on `back`, then waits in
/// a `while` loop for a token; the one that takes the first token records
/// its arrival number and passes a token on to the other. The main thread
/// waits on `back` until both wait, then hands out one token with
/// `notify_one`. Register: the arrival number of the waiter that took the
/// first token (0: the oldest waiter).
fn notify_one_order() -> Vec<usize> {
    #[derive(Default)]
    struct Q {
        arrived: usize,
        tokens: usize,
        first: Option<usize>,
    }
    let m = Arc::new(sync::Mutex::new(Q::default()));
    let cv = Arc::new(sync::Condvar::new());
    let back = Arc::new(sync::Condvar::new());
    let waiter = |name: &str| {
        let (m, cv, back) = (m.clone(), cv.clone(), back.clone());
        thread::spawn_named(name, move || {
            let mut g = m.lock();
            let me = g.arrived;
            g.arrived += 1;
            back.notify_one();
            while g.tokens == 0 {
                g = cv.wait(g);
            }
            if g.first.is_none() {
                g.first = Some(me);
                // The other waiter's token.
                cv.notify_one();
            } else {
                g.tokens -= 1;
            }
        })
    };
    let a = waiter("waiter_a");
    let b = waiter("waiter_b");
    // The main thread notifies: a canary needs no fourth thread.
    let mut g = m.lock();
    while g.arrived < 2 {
        g = back.wait(g);
    }
    g.tokens = 1;
    cv.notify_one();
    drop(g);
    a.join().expect("waiter_a");
    b.join().expect("waiter_b");
    let first = m.lock().first.expect("a token was taken");
    vec![first]
}

/// The allowed set of message passing with a release store and an acquire
/// load, {(0,0), (0,1), (1,1)}.
fn ra_mp_set(_: Profile) -> Outcomes {
    without(all(2, 1), &[1, 0])
}

/// Every measured loom behaviour, in the order of `docs/loom.md`.
pub fn loom_holes() -> Vec<LoomHole> {
    vec![
        LoomHole {
            name: "load-then-store-mp-writer-first",
            kind: HoleKind::Control,
            registers: "(flag, data) read by a spawned reader; the writer, spawned first, loads both locations before storing them",
            allowed: ra_mp_set,
            allowed_note: "release/acquire message passing: (1,0) forbidden by C11, x86-TSO and ARMv8; the writer's loads change nothing",
            loom: ra_mp_set,
            executions: Some((336, 336)),
            loom_note: "explored fully when the writer is spawned before the reader (the same as load-then-store-mp-spawned in the litmus list)",
            run: load_then_store_mp_spawned,
        },
        LoomHole {
            name: "load-then-store-mp-reader-first",
            kind: HoleKind::Hole,
            registers: "(flag, data) read by a spawned reader; the writer, spawned second, loads both locations before storing them",
            allowed: ra_mp_set,
            allowed_note: "the same program as the writer-first control: {(0,0), (0,1), (1,1)} on every machine",
            loom: |_| set(&[&[0, 0]]),
            executions: Some((21, 21)),
            loom_note: "loom #392 / #166 with both roles spawned: spawned reader-first, loom runs 21 executions and never lets the reader see the writer's stores. Every racing role in a spawned thread is not enough: which interleavings loom explores depends on the spawn order",
            run: load_then_store_mp_reader_first,
        },
        LoomHole {
            name: "loom-166-control",
            kind: HoleKind::Control,
            registers: "(value, key) read by t2 (loom #166 without the extra load)",
            allowed: |_| all(2, 1),
            allowed_note: "every access SeqCst: all four pairs are sequentially consistent interleavings ((1,0): t2 reads value between its two stores, key after its reset)",
            loom: |_| all(2, 1),
            executions: Some((240, 240)),
            loom_note: "loom #166's program without `entry1.key.load`: all four outcomes",
            run: loom_166_control,
        },
        LoomHole {
            name: "loom-166",
            kind: HoleKind::Hole,
            registers: "(value, key) read by t2 (loom #166 verbatim, with the extra load)",
            allowed: |_| all(2, 1),
            allowed_note: "the extra load changes nothing: all four pairs, as the control",
            loom: |_| without(all(2, 1), &[1, 0]),
            executions: Some((162, 162)),
            loom_note: "loom #166 verbatim, both threads spawned: with a redundant load of `key` before `key = 0` loom runs fewer executions and never shows (1,0), a sequentially consistent interleaving: loom skips interleavings, not only weak outcomes",
            run: loom_166_extra_load,
        },
        LoomHole {
            name: "wrc-no-fence",
            kind: HoleKind::Control,
            registers: "(t1 read x, t2 read y, t2 read d); t0: d = 1, x = 1 (Release); t1: r1 = x, y = 1 (Release); t2: r2 = y (Acquire), r3 = d",
            allowed: |p| match p {
                Profile::Arm => all(3, 1),
                Profile::X86 => without(all(3, 1), &[1, 1, 0]),
            },
            allowed_note: "Arm (as written): t1's load of x is Relaxed, so t0 does not happen before t2 and C11 allows (1,1,0); x86-TSO and ARMv8 forbid it (t1's release store orders its earlier load; both are multi-copy atomic for this shape). X86 profile: t1's load becomes Acquire and C11 forbids (1,1,0)",
            loom: |p| match p {
                Profile::Arm => all(3, 1),
                Profile::X86 => without(all(3, 1), &[1, 1, 0]),
            },
            executions: None,
            loom_note: "without the fence loom shows (1,1,0) under Arm, as C11 allows",
            run: wrc_no_fence,
        },
        LoomHole {
            name: "wrc-acquire-fence",
            kind: HoleKind::Hole,
            registers: "(t1 read x, t2 read y, t2 read d); as wrc-no-fence with fence(Acquire) after t2's load of y",
            allowed: |p| match p {
                Profile::Arm => all(3, 1),
                Profile::X86 => without(all(3, 1), &[1, 1, 0]),
            },
            allowed_note: "C11: an acquire fence synchronizes only with release stores read by its own thread's earlier loads (here y, already acquired): (1,1,0) stays allowed under Arm. x86-TSO and ARMv8 forbid it. X86 profile: forbidden, the fence is dropped",
            loom: |_| without(all(3, 1), &[1, 1, 0]),
            executions: None,
            loom_note: "loom's fence(Acquire) (rt/atomic.rs, fence_acq) joins the clock of every store still in the history of every atomic that any thread in the fencing thread's causal past has read: t1 read x = 1 and t1 happens before the fence, so t2 synchronizes with t0's release of x, which C11 does not allow. An Arm pass can rely on this: loom is then nearer ARMv8 than C11 for that shape",
            run: wrc_acquire_fence,
        },
        LoomHole {
            name: "history-6",
            kind: HoleKind::Control,
            registers: "(flag, x): writer x = 1..=6, flag = 1; reader flag then x; all Relaxed",
            allowed: |p| match p {
                Profile::Arm => history_set(6, 0..0),
                Profile::X86 => history_x86(6),
            },
            allowed_note: "Arm: no synchronization, so any x from 0 to 6 with either flag (C11, ARMv8 allow; x86-TSO forbids flag 1 with x < 6). X86 profile: the flag's release/acquire forces x = 6",
            loom: |p| match p {
                Profile::Arm => history_set(6, 0..0),
                Profile::X86 => history_x86(6),
            },
            executions: None,
            loom_note: "seven values (the initial 0 and six stores) fit loom's history: every allowed outcome shown",
            run: history_6,
        },
        LoomHole {
            name: "history-7",
            kind: HoleKind::Hole,
            registers: "(flag, x): writer x = 1..=7, flag = 1; reader flag then x; all Relaxed",
            allowed: |p| match p {
                Profile::Arm => history_set(7, 0..0),
                Profile::X86 => history_x86(7),
            },
            allowed_note: "as history-6, with x from 0 to 7",
            loom: |p| match p {
                Profile::Arm => history_set(7, 0..1),
                Profile::X86 => history_x86(7),
            },
            executions: None,
            loom_note: "eight values do not fit the 7-entry history (MAX_ATOMIC_HISTORY, rt/mod.rs): once the writer's seventh store is made, the initial 0 is gone, so a reader that saw the flag never reads it",
            run: history_7,
        },
        LoomHole {
            name: "history-8",
            kind: HoleKind::Hole,
            registers: "(flag, x): writer x = 1..=8, flag = 1; reader flag then x; all Relaxed",
            allowed: |p| match p {
                Profile::Arm => history_set(8, 0..0),
                Profile::X86 => history_x86(8),
            },
            allowed_note: "as history-6, with x from 0 to 8",
            loom: |p| match p {
                Profile::Arm => history_set(8, 0..2),
                Profile::X86 => history_x86(8),
            },
            executions: None,
            loom_note: "nine values, seven kept: a reader that saw the flag never reads x = 0 or 1. An Arm pass over an object stored more than six times in one execution did not see its oldest values (the facade's bounded-history note names such objects)",
            run: history_8,
        },
        LoomHole {
            name: "stale-store-vs-cas",
            kind: HoleKind::Hole,
            registers: "(A's CAS succeeded, B read, final x); x = 1; A: cas(1 -> 2, Release); B: r = x (Acquire), x = 0",
            allowed: |_| set(&[&[1, 1, 0], &[1, 2, 0], &[0, 1, 0]]),
            allowed_note: "C11: a successful CAS that read 1 writes 2 immediately after 1 in modification order, so B's 0 comes after 2 and the final value is 0 whenever the CAS succeeded; it can fail only by reading B's 0",
            loom: |_| set(&[&[1, 1, 0], &[1, 1, 2], &[1, 2, 0], &[0, 1, 0]]),
            executions: None,
            loom_note: "loom #282, #389: loom does not keep a read-modify-write atomic with its read (its modification order is a partial order of clocks), so B's stale store can end before the CAS's 2: (1,1,2), which C11 forbids. In `zombies`, `peek-authoritative` is this pattern: loom shows its lost push as a double free where hardware leaks; if this canary changes, that variant's loom expectation (models/zombies) must be re-reasoned",
            run: stale_store_vs_cas,
        },
        LoomHole {
            name: "cas-weak-never-fails",
            kind: HoleKind::Hole,
            registers: "(1 if compare_exchange_weak(0, 1) on a fresh atomic succeeded)",
            allowed: |_| set(&[&[0], &[1]]),
            allowed_note: "std: compare_exchange_weak may fail spuriously (ARMv8 LL/SC without LSE can; x86 cmpxchg cannot)",
            loom: |_| set(&[&[1]]),
            executions: None,
            loom_note: "loom's compare_exchange_weak is compare_exchange (sync/atomic/int.rs): a retry loop's spurious-failure path is never explored",
            run: cas_weak_once,
        },
        LoomHole {
            name: "condvar-no-spurious-wakeup",
            kind: HoleKind::Hole,
            registers: "(the flag a waiter that waited once with `if` sees after waking)",
            allowed: |_| set(&[&[0], &[1]]),
            allowed_note: "std (and POSIX, and the kernels' cv_wait): a wait may return without a notification, so an `if` instead of a `while` can see the flag unset",
            loom: |_| set(&[&[1]]),
            executions: None,
            loom_note: "loom's Condvar::wait returns only after a notify (rt/condvar.rs): an `if`-wait bug is caught only through a real notification that races (refcount's if-drain), never through a spurious wakeup",
            run: condvar_if_wait,
        },
        LoomHole {
            name: "notify-one-oldest",
            kind: HoleKind::Hole,
            registers: "(arrival number of the waiter that took the first token; 0 is the oldest)",
            allowed: |_| set(&[&[0], &[1]]),
            allowed_note: "std: notify_one wakes one waiting thread, which one is unspecified (POSIX: at least one, by scheduling policy)",
            loom: |_| set(&[&[0]]),
            executions: None,
            loom_note: "loom's notify_one pops the front of a FIFO of waiters (rt/condvar.rs): a bug that needs the newer waiter woken first is never shown",
            run: notify_one_order,
        },
    ]
}

/// `load-then-store-mp` with its two roles declared in a
/// [`thread::roles`] group, the reader first: spawned as declared it is
/// `load-then-store-mp-reader-first`, in the other order
/// `load-then-store-mp-writer-first`. The spawn-order dimension of the
/// loom check runs both. Registers: (flag, data).
pub fn load_then_store_mp_roles() -> Vec<usize> {
    let (x, y) = pair();
    let (wx, wy) = (x.clone(), y.clone());
    let (r, w) = thread::roles(|g| {
        let r = g.spawn_named("reader", move || {
            let r0 = y.load(Acquire);
            r0 * 10 + x.load(Relaxed)
        });
        let w = g.spawn_named("writer", move || {
            let _ = wx.load(Relaxed);
            let _ = wy.load(Relaxed);
            wx.store(1, Relaxed);
            wy.store(1, Release);
        });
        (r, w)
    });
    let r = join(r);
    w.join().expect("writer");
    vec![r / 10, r % 10]
}
