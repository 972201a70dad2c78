//! The execution-graph explorer (shuttle build): stateless model checking
//! of execution graphs under `sc`, x86-TSO (`tso`), RC11 (`rc11`) and ARMv8
//! (`arm`), beside the DPOR explorer ([`super::dpor`], `sc` and `tso`
//! operationally).
//!
//! # What it explores
//!
//! An execution is a **graph**: the events of each thread in program order
//! (reads, writes, the read and write of a read-modify-write, fences with
//! the barrier they stand for, spawn and join), each read's **reads-from**
//! (the write it reads) and each location's **coherence** order (`co`). A
//! memory model is a **consistency predicate** over graphs (`models.rs`).
//! The explorer enumerates the consistent graphs of a program; a pass is a
//! proof for the explored program under that model.
//!
//! # Algorithm
//!
//! TruSt (Kokologiannakis, Marmanis, Gladstein, Vafeiadis, "Truly Stateless,
//! Optimal Dynamic Partial Order Reduction", POPL 2022), on the graph
//! representation of GenMC (Kokologiannakis, Lahav, Sagonas, Vafeiadis,
//! PLDI 2019), written from the papers' descriptions:
//!
//! - Events are added one at a time, in an **addition order** (the order of
//!   `exec_graph::Graph::events`); the next event is the next operation of the
//!   lowest-numbered thread that can run, once the graph's own events have
//!   been replayed.
//! - A **read** is added once per write of its location already in the
//!   graph (forward revisits), each a branch, kept if consistent.
//! - A **write** is added once per coherence position that keeps the graph
//!   consistent (a read-modify-write's write goes right after the write its
//!   read reads). Then **backward revisits**, from every placement of the
//!   write `a` (consistent or not: the events a revisit deletes may be what
//!   makes it inconsistent; each revisited graph is checked itself): for
//!   each read `r` of the location that is not porf-before `a` (program
//!   order, spawn/join and reads-from), the graph in which `r` reads from
//!   `a`, without the events added after `r` that are not porf-before `a`;
//!   `r` moves after `a` in the addition order (so every read comes after
//!   the write it reads) and is marked revisited.
//! - **Maximality** (TruSt's condition, which makes each graph explored
//!   once): a backward revisit is done only if `r` and every deleted event
//!   were added *maximally* with respect to `a`. With `Previous(e)` the
//!   events added before `e` and those porf-before `a` (`a` excluded): a
//!   read reads the coherence-latest write of `Previous(e)`, and if a
//!   revisit moved it, reads a write porf-before `a` (nor failed
//!   spuriously); a write is coherence-latest among `Previous(e)` and `a`.
//!   The deleted events are added again, with every choice, when the
//!   program runs on; the condition picks one of the graphs that differ
//!   only in them. This is written from the paper's description, not its
//!   text; what stands behind it is measured: on 500 random programs per
//!   model the outcome sets equal the DPOR explorer's under `sc` and `tso`,
//!   and executions equal distinct graphs under all four models (the
//!   litmus tests too). Dropping the condition explores 3W+2R's 60 graphs
//!   in 1454 executions.
//! - **Atomicity**: a read-modify-write may read a write another one
//!   already read, and a write may go between a read-modify-write's read
//!   and write; the backward revisits of such a placement are computed
//!   (that is how a later read-modify-write comes to be read by the earlier
//!   one), but the graph itself is not extended: every revisit of its
//!   continuation would delete or keep a non-maximal event, so it gives
//!   nothing (measured: the differential stays exact), and extending it
//!   would run the program in a state no execution has (two threads past
//!   the same lock).
//! - **Stateless**: a graph still to explore is kept as a graph (on a
//!   stack, one per open branch: memory grows with the number of open
//!   branches, where TruSt recomputes them and stays polynomial); exploring
//!   it re-runs the program from the start under a shuttle
//!   [`shuttle::scheduler::Scheduler`] of this module (`explorer.rs`) that
//!   replays the graph (each read returns the value of the write the graph
//!   says it reads) and then extends it. The facade writes the chosen value
//!   into shuttle's object before the operation runs and reports what the
//!   object holds after a write (`crate::sync::graph`), so no operation's
//!   semantics live here.
//! - Each complete execution's graph is hashed (threads, events, values,
//!   reads-from and coherence, up to the addition order): [`Stats`] counts
//!   executions and distinct graphs, whose ratio is 1 when the exploration
//!   is optimal; executions abandoned as inconsistent are counted apart
//!   ([`Stats::blocked`]).
//!
//! # Models and the mapping
//!
//! - `sc`: acyclic(po ∪ rf ∪ co ∪ fr), atomicity.
//! - `tso` (herdtools7's `x86tso.cat`): SC per location, atomicity,
//!   acyclic(ppo ∪ rfe ∪ co ∪ fr ∪ implied), ppo = po minus W→R; a W→R pair
//!   is ordered by an MFENCE or a locked instruction between them (or being
//!   one of them). Locked: every read-modify-write and compare-exchange,
//!   failed or not, and a `SeqCst` store (XCHG). MFENCE: `fence(SeqCst)`,
//!   `membar_enter`, `membar_sync`; the other fences and barriers are no
//!   instruction on x86. No spurious compare-exchange failure.
//! - `rc11` (Lahav, Vafeiadis, Kang, Hur, Dreyer, PLDI 2017; `rc11.cat`):
//!   coherence irreflexive(hb ; eco?), atomicity, SC as acyclic(psc)
//!   (psc_base ∪ psc_F, SC fences included), no-thin-air acyclic(po ∪ rf).
//!   Kernel barriers run as the C11 fence the facade gives them.
//! - `arm` (herdtools7's `aarch64.cat`; Pulte, Flur, Deacon, French, Sarkar,
//!   Sewell, POPL 2018): internal acyclic(po-loc ∪ co ∪ fr ∪ rf), atomic,
//!   external acyclic(ob), ob = (obs ∪ dob ∪ aob ∪ bob)+. Rust's atomics by
//!   the standard AArch64 compilation (Relaxed `LDR`/`STR`, Acquire
//!   `LDAR`, Release `STLR`, SeqCst `LDAR`/`STLR`, read-modify-writes as
//!   exclusive pairs with their acquire and release halves,
//!   `fence(Acquire)` `DMB ISHLD`, `fence(Release)`/`fence(SeqCst)` `DMB
//!   ISH`); the kernels' barriers as NetBSD's `membar_ops.S` for AArch64
//!   compiles them (`membar_producer` `DMB ISHST`, `membar_consumer` and
//!   `membar_acquire` `DMB ISHLD`, `membar_exit`, `membar_release`,
//!   `membar_enter`, `membar_sync` `DMB ISH`); cells as plain `LDR`/`STR`.
//!   The table with a source per row is `docs/arm.md`.
//! - Spawn and join order everything before them in the parent before the
//!   child (and the child before what follows the join): they are in po,
//!   and count as full barriers under `tso` and `arm`.
//! - Spurious failure of `compare_exchange_weak` (an exclusive store that
//!   fails) is a choice under `rc11` and `arm`, at most one per thread per
//!   execution (the DPOR explorer's bound), never under `sc` and `tso`.
//! - Data races: under `sc` and `rc11`, a complete graph with two accesses
//!   to a location, one a write and one plain (a cell), in different
//!   threads and not ordered by C11 happens-before (orderings as written) is
//!   racy. Under `tso` and `arm` a plain access is an ordinary load or
//!   store of the machine, and no race is reported.
//!
//! # What it does not see
//!
//! - **Dependencies**: the facade sees no address, data or control
//!   dependency, so ARM's dob is empty: a port keeps Acquire where the
//!   kernel relies on a dependency.
//! - **Dependencies, for load buffering**: `arm` explores po ∪ rf cycles
//!   (HMC): a write may revisit a read that is porf-before it, keeping the
//!   events po-after the read that the write depends on. Since the facade
//!   sees no dependency, the replay re-runs the read's thread with the new
//!   value and must make those events again ([`Stats::uncertified`]
//!   counts the graphs where it does not): a *semantic* dependency, weaker
//!   than ARMv8's syntactic one (a false dependency such as `(r ^ r) + 1`
//!   does not order here: a possible false alarm, never a miss). A
//!   compare-exchange's read is not revisited into a cycle (its compare
//!   and branch are a control dependency on ARMv8). Graphs with a cycle
//!   may be explored more than once ([`Stats::lb_executions`] counts the
//!   executions with one; `graphs` stays exact).
//! - Mixed-size accesses (every location is one 64-bit value).
//! - Cells of other types than `u64`/`usize` are **opaque**: their values
//!   are not the explorer's to set, so a read reads the coherence-latest
//!   write and a write goes coherence-last (`crate::sync::graph::cell`):
//!   exact for accesses ordered by happens-before, which is what the
//!   models' lock-protected fields are; a racy access to one is reported
//!   as a race in a gate cell, and its stale values are not explored, nor
//!   is a read of one revisited into a load-buffering cycle.
//! - Condition variables: `notify_one` wakes the lowest-numbered waiter
//!   (the models broadcast).
//!
//! # Blocking, spinning, deadlock
//!
//! - A **mutex** is a ghost lock word at the facade mutex's address:
//!   `lock` a compare-exchange 0 → 1, Acquire, that blocks the thread if
//!   it reads 1; `try_lock` the same without blocking; an unlock a Release
//!   store of 0, or a swap where the kernel's unlock is a locked
//!   instruction (`Unlock::Locked`). The lock order is thus explored as
//!   reads-from choices, both ways, by the revisits.
//! - A **condition variable** is a ghost waiter set (a bit per thread):
//!   a wait joins it (an AcqRel read-modify-write), releases the mutex,
//!   then reads the set (Acquire) and stays blocked while its bit is set;
//!   a notify clears bits (AcqRel). The wake-up may instead be spurious
//!   (at most once per thread and execution, counted with spurious
//!   compare-exchange failures), as the DPOR explorer's gate cells run.
//! - A read that blocks reads only the coherence-latest write when it
//!   would block: blocked on an older one, only a revisit could wake it,
//!   and maximality refuses it (the read was not the latest).
//! - **`yield_now`**: the thread does not run again until another thread
//!   writes (the DPOR explorer's rule), unless every thread is held back;
//!   then a spinning thread whose last turn differs from the one before
//!   (a retried compare-exchange with the value its failure read) runs
//!   again.
//! - When every thread left is held back: a **deadlock** (a failure) if
//!   each blocked read reads the coherence-latest write and each spinning
//!   thread's last turn repeats the one before reading only the latest
//!   writes; otherwise some thread read an old value, a revisit gives it
//!   the new one, and the execution is abandoned ([`Stats::blocked`]).
//! - The **cost** of consistency: each addition checks the whole graph,
//!   by `fast.rs`: each model's axioms computed from the graph in time
//!   about linear in the events times the row words (program order and
//!   happens-before closed in one backward pass, acyclicity searched over
//!   immediate po/co/fr edges, psc over the SC events only, no hash map,
//!   few allocations), with `models.rs`, the relation-by-relation
//!   reference, beside it: the oracle differential runs both on every
//!   check ([`cross_check`]) and fails where they differ. Measured on
//!   refcount `two_inspectors` (4,548 executions, 11,496 blocked; CPU
//!   seconds on the loaded shared cores): arm 12.0 s before, 4.6 s after;
//!   rc11 28.2 s before, 4.4 s after. Incremental checks (GenMC's) are
//!   not done: what cost was per check, not per event pair (`fast.rs`
//!   says why).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use shuttle::{Config, FailurePersistence, Runner};

use crate::explore::{capture, Failure, Plan, Profile};
use crate::sync::MemoryModel;

mod check;
mod exec_graph;
mod explorer;
mod fast;
mod interp;
mod models;
mod rel;

pub use fast::cross_check;
pub use interp::{execute, run_program, run_program_with, ProgramRun};

/// A deliberately broken explorer, for the tests that show the
/// differential and litmus tests can fail. Never set it otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mutation {
    /// The real explorer.
    #[default]
    None,
    /// Drop `fr` from each model's main axiom (`sc`: acyclic(po ∪ rf ∪
    /// co); `tso`: ghb; `rc11`: eco and psc; `arm`: obs and ob). SB's weak
    /// outcome then appears under `sc`.
    DropFr,
    /// No backward revisits: a read reads only writes added before it.
    NoBackwardRevisits,
    /// Backward revisits without the maximality condition: complete, but
    /// the same graph is explored more than once.
    NoMaximality,
    /// `arm` without load buffering: only po ∪ rf acyclic graphs (the
    /// explorer before it explored load buffering). LB's weak outcome is
    /// lost.
    NoLoadBuffering,
    /// The coherence floor (`Graph::coherence_floor`, the candidates the
    /// explorer skips before checking them) counts every reads-from as
    /// synchronization, not only a release write read by an acquire read:
    /// it skips candidates `rc11` and `arm` allow (MP's weak outcome).
    FloorThroughEveryRf,
}

/// What an exploration counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Complete consistent executions explored.
    pub executions: u64,
    /// Distinct complete graphs among them (equal to `executions` when the
    /// exploration is optimal).
    pub graphs: u64,
    /// Executions abandoned because no choice kept the graph consistent.
    pub blocked: u64,
    /// Executions whose graph has load buffering (a po ∪ rf cycle; under
    /// `arm` only).
    pub lb_executions: u64,
    /// Executions abandoned because a load-buffering revisit's kept
    /// events were not made again with the read's new value (they
    /// depended on it: [`exec_graph::Graph::speculative`]).
    pub uncertified: u64,
    /// Executions with a C11 data race on a plain access (`sc`, `rc11`).
    pub racy: u64,
    /// The time budget ran out.
    pub timed_out: bool,
}

/// One exploration's settings.
#[derive(Clone, Copy, Debug)]
pub struct GraphCheck {
    /// The memory model.
    pub model: MemoryModel,
    /// Time budget.
    pub budget: Duration,
    /// A deliberately broken explorer (tests only).
    pub mutation: Mutation,
    /// A C11 data race on a plain access fails the exploration, under
    /// every model, judged by happens-before with the orderings as written
    /// (a gate cell: as the DPOR explorer judges races, a race is the
    /// program's, and a compiler may exploit it on any machine). Off (a
    /// litmus test, whose outcomes are all wanted, as herd7 gives them),
    /// races are counted under `sc` and `rc11` ([`Stats::racy`]).
    pub races_fail: bool,
}

impl GraphCheck {
    /// An exploration under `model` with a 60 s budget.
    pub fn new(model: MemoryModel) -> Self {
        GraphCheck {
            model,
            budget: Duration::from_secs(60),
            mutation: Mutation::None,
            races_fail: false,
        }
    }

    /// Explore every consistent graph of `f` (a closure over the facade,
    /// as a scenario is): the counts, and the failure if one execution
    /// failed (a panic, a deadlock; a data race when
    /// [`GraphCheck::races_fail`]).
    pub fn check<F>(&self, f: F) -> (Stats, Option<Failure>)
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.explore(f, Box::new(|_| {}))
    }

    /// Explore every consistent graph of `f`; `on_complete` runs after each
    /// complete consistent execution (the program's own result is read by
    /// the caller's closure through its own channel). Returns the counts
    /// and the failure, if the program panicked.
    pub(crate) fn explore<F>(
        &self,
        f: F,
        on_complete: Box<dyn FnMut(&exec_graph::Graph)>,
    ) -> (Stats, Option<Failure>)
    where
        F: Fn() + Send + Sync + 'static,
    {
        let (stats, failure, _) = self.explore_recorded(f, on_complete, 64);
        (stats, failure)
    }

    /// [`GraphCheck::explore`], with what the trace recorder kept (up to
    /// `trace_cap` events of the last execution, the failing one on a
    /// failure, and the atomic sites touched): the gate cell's
    /// counterexample (`check.rs`).
    pub(crate) fn explore_recorded<F>(
        &self,
        f: F,
        on_complete: Box<dyn FnMut(&exec_graph::Graph)>,
        trace_cap: usize,
    ) -> (Stats, Option<Failure>, crate::sync::trace::Recorded)
    where
        F: Fn() + Send + Sync + 'static,
    {
        let ex = explorer::Explorer::new(self.model, self.mutation, Instant::now() + self.budget);
        ex.0.borrow_mut().races_fail = self.races_fail;
        let model = self.model;
        let mut user = on_complete;
        let stats_cell: Rc<RefCell<(u64, u64)>> = Rc::new(RefCell::new((0, 0)));
        let sc = stats_cell.clone();
        ex.0.borrow_mut().on_complete = Some(Box::new(move |g: &exec_graph::Graph| {
            let mut c = sc.borrow_mut();
            if g.speculative && g.porf_cyclic() {
                c.0 += 1;
            }
            if matches!(model, MemoryModel::Sc | MemoryModel::Rc11) && fast::racy(g) {
                c.1 += 1;
            }
            user(g);
        }));
        let hooks: Rc<dyn crate::sync::graph::Hooks> = ex.clone();
        crate::sync::graph::install(Some(hooks));
        let mut config = Config::new();
        config.failure_persistence = FailurePersistence::None;
        config.silence_warnings = true;
        config.stack_size = 1 << 20;
        let sched = explorer::GraphSched(ex.clone());
        let (failure, recorded) = capture(Profile::Arm, Plan::new(), trace_cap, || {
            Runner::new(sched, config).run(move || {
                crate::sync::begin_execution();
                f();
            });
        });
        crate::sync::graph::install(None);
        let race = ex.0.borrow_mut().race.take();
        let failure = failure.or_else(|| {
            race.map(|m| {
                crate::explore::classify(Some(crate::explore::FailKind::DataRace), m, None)
            })
        });
        let mut stats = ex.0.borrow().stats;
        let c = *stats_cell.borrow();
        stats.lb_executions = c.0;
        stats.racy = c.1;
        (stats, failure, recorded)
    }
}
