//! An exhaustive explorer of the project's own: **source-DPOR with sleep
//! sets** on shuttle's public scheduler API, for sequential consistency
//! (`sc`) and exact x86-TSO (`tso`), with a C11 data-race detector for the
//! facade's lock-protected cells.
//!
//! # Algorithm, and why this one
//!
//! Source-DPOR (Abdulla, Aronis, Jonsson, Sagonas, "Optimal Dynamic Partial
//! Order Reduction", POPL 2014, Algorithm 1; "Source Sets", JACM 2017). It
//! explores at least one execution of every Mazurkiewicz trace (class of
//! interleavings equal up to swapping adjacent independent steps), which is
//! what makes a pass a proof for the explored program under the chosen
//! memory model. It was chosen over optimal DPOR (wakeup trees) because it
//! is simpler to get right, and its redundancy (sleep-set-blocked
//! executions) is small on programs of this size; the count is reported in
//! [`Stats::sleep_blocked`]. It is stateless: an execution is a path of
//! scheduling decisions and data choices; the next one replays a prefix.
//!
//! The pieces, as implemented in `engine.rs`:
//!
//! - **Happens-before** over the executed sequence E: program order, the
//!   dependence below between steps of different tasks, spawn -> the
//!   child's first step, and the child's last step -> join. Computed with
//!   vector clocks after each execution.
//! - **Races**: e ⋖ e' when e and e' are steps of different tasks, dependent,
//!   e is before e' in E, and no step between them is after e and before e'
//!   in happens-before. Races that cannot be reversed are not races: an
//!   unlock with the `lock` it enables, a notify with the wakeup it
//!   enables (and a blocking `lock` is raced with the previous acquisition
//!   of its mutex instead, ignoring the unlocks between).
//! - **Reversal**: for each race, v = notdep(e, E).e' (the steps after e
//!   that do not happen after it, then e'); the **initials** of v (tasks
//!   whose first step in v has no predecessor in v) form a source set for
//!   the reversal. If none of them is in the backtrack set (or asleep)
//!   before e, one is added, e's task first choice; if none of them is
//!   enabled there (it waits for a lock, a join, a wakeup), every enabled
//!   task is added instead: sound, and rare.
//! - **Sleep sets**: after a task's subtree at a node is explored it sleeps
//!   there; a sleeping task wakes when a step dependent with its next step
//!   runs. An execution in which every enabled task sleeps is stopped
//!   (`sleep-blocked`): all its continuations were explored elsewhere.
//! - **Data choices** (`next_u64`: store-buffer flushes, spurious failures)
//!   are branch points explored exhaustively, every value in every context.
//!   For each assignment of values to the choices, the program is a
//!   deterministic one, and DPOR over tasks is complete for it; branching on
//!   every value covers every assignment.
//! - **Preemption bound** (optional, [`DporCheck::preemption_bound`]): no
//!   execution switches away from a runnable task more than the bound; a
//!   reversal that would exceed it is tried instead at the last earlier
//!   node where switching was free (Coons, Musuvathi, McKinley, "Bounded
//!   Partial-Order Reduction", OOPSLA 2013), and sleep sets are off (they
//!   assume continuations the bound may have cut). Still incomplete within
//!   the bound, as loom's (a test shows one outcome it misses).
//! - **Spurious failures** (when asked): a `compare_exchange_weak` failure
//!   or a `Condvar::wait` return without notification is a data choice, at
//!   most one per task per execution (`sync::dpor`, where the bound's
//!   numbers are).
//! - **Time budget**: running out of it is `timed-out`, never a pass.
//!
//! # Dependence
//!
//! Steps are what a task does between two of shuttle's scheduling points;
//! the facade declares each step before its scheduling point (`recorder.rs`)
//! as accesses to objects (atomics, mutexes, condition variables, cells),
//! numbered in order of first appearance. Two steps of different tasks are
//! dependent iff they access the same object and not both accesses are
//! read-like. Read-like: an atomic load, a compare-exchange that failed, a
//! `try_lock` that failed, a cell read. Everything else writes: a store
//! reaching memory (under `tso`, its flush; the buffered store itself is
//! local to the task), a read-modify-write that stored, lock, unlock
//! (under `tso`, a plain-store unlock's flush), a
//! successful `try_lock`, condition-variable wait, wakeup and notify (all
//! writes of the condition variable), a cell write. Spawn, join, fences,
//! choices, forwarded loads and a thread's start touch no shared object
//! (join and spawn order steps through happens-before only).
//!
//! Shuttle lists a task as runnable when its next step is a `lock` of a
//! held mutex (it has not tried yet); such a task is *disabled* here and
//! runs only if nothing else can (it then blocks, and shuttle reports a
//! deadlock if that is what it is).
//!
//! A task that calls `yield_now` (a spin loop's pause) is disabled until
//! another task takes a step that writes: another turn of its loop before
//! that would read the same values. This keeps spin loops from making
//! executions (and the number of executions) endless; a task that spins
//! while nothing else can run still runs (and a livelock then ends at
//! shuttle's step bound, a failure). The assumption behind it: a turn of a
//! spin loop that saw no new write behaves as the previous one. A loop that
//! counts its turns and gives up (bounded retries) breaks it: its giving up
//! is explored only once the other tasks cannot run or have written.
//!
//! # x86-TSO
//!
//! Under `tso` each task has a FIFO store buffer in the facade: a store
//! enters it, a load reads the newest buffered store to its location if
//! there is one (forwarding), else memory. What x86 runs as a locked
//! instruction drains the buffer first: read-modify-writes (failed or
//! not), SeqCst stores (`XCHG`), `lock` and `try_lock`, the `unlock` of a
//! mutex whose release is a locked instruction, `fence(SeqCst)` (mfence);
//! so do condition-variable operations, spawn, join, thread exit,
//! `yield_now`, `Arc` clone/drop and `Arc::new` (modelling choices, see
//! `sync::dpor`). The
//! `unlock` of a mutex released by a plain store (the default,
//! `sync::Unlock`) enters the buffer like a store and releases the mutex
//! when it flushes. A cell write does not drain and is performed where it
//! is issued (its flush cannot be observed by a race-free access: see
//! `sync::dpor::cell_access`). Each flush of one entry is a step of its
//! own (a write of the location, or the release of the mutex). Before
//! each load, a task with a non-empty buffer asks a data choice "flush my
//! oldest entry now?" until it answers no, so a flush can be placed at any
//! point between the task's own operations, and between any two steps of
//! other tasks. The same facade runs under the plain DFS, which is how the
//! differential test checks DPOR under `tso`. `fence(Acquire)`,
//! `fence(Release)` (the kernels' `membar_consumer`, `membar_producer`,
//! `membar_exit`) compile to nothing on x86 and do nothing here;
//! `membar_enter` is `fence(SeqCst)`, an mfence. `compare_exchange_weak`
//! never fails spuriously under `tso`.
//!
//! # Data races
//!
//! Two accesses to the same facade cell, one a write, not ordered by the
//! C11 happens-before of the execution fail it as `data-race`.
//! Happens-before: program order, spawn and join, unlock -> later lock of
//! the same mutex, and a release (or a relaxed store after a release fence)
//! read by an acquire (or by a relaxed load followed by an acquire fence),
//! through release sequences of read-modify-writes. Under `sc` the
//! orderings are those written in the model (the C11 race a program has,
//! whatever the machine); under `tso` they are x86's (every load an
//! acquire, every store a release: a race on x86 hardware).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use shuttle::{Config, FailurePersistence, Runner};

use crate::explore::env::{self, ConfigError};
use crate::explore::{capture, Failure, Outcome, Plan, Profile, Verdict};
use crate::sync::dpor as recorder;

mod engine;
mod sched;

pub use crate::sync::MemoryModel;

use engine::PathStep;
pub use engine::Stats;
use recorder::Settings;
use sched::{DfsSched, DporSched, ReplaySched, Shared};

/// How the executions are enumerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Source-DPOR with sleep sets.
    Dpor,
    /// Plain depth-first search of every schedule and every data choice
    /// (no reduction): the reference the differential test compares with.
    Dfs,
}

/// One check under this module's explorers.
#[derive(Clone, Debug)]
pub struct DporCheck {
    /// `sc` or `tso`.
    pub model: MemoryModel,
    /// DPOR (default) or plain DFS.
    pub search: Search,
    /// Time budget; running out of it is [`crate::explore::FailKind::TimedOut`].
    pub budget: Duration,
    /// At most this many preemptions per execution (incomplete); `None`:
    /// exhaustive.
    pub preemption_bound: Option<usize>,
    /// `compare_exchange_weak` may fail spuriously (a data choice).
    pub spurious_cas: bool,
    /// `Condvar::wait` may return without a notification (a data choice).
    pub spurious_wakeups: bool,
    /// Events kept in the counterexample trace.
    pub trace_cap: usize,
    /// Deliberately broken reduction: drop the first backtrack point the
    /// race analysis adds (for the test showing the differential test can
    /// fail). Never set it otherwise.
    #[doc(hidden)]
    pub drop_first_backtrack: bool,
}

impl DporCheck {
    /// An exhaustive DPOR check under `model`, with the default budget and
    /// trace cap, no spurious failures.
    pub fn new(model: MemoryModel) -> Self {
        DporCheck {
            model,
            search: Search::Dpor,
            budget: env::DEFAULT_BUDGET,
            preemption_bound: None,
            spurious_cas: false,
            spurious_wakeups: false,
            trace_cap: crate::sync::trace::DEFAULT_CAP,
            drop_first_backtrack: false,
        }
    }

    /// With this time budget.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Plain DFS instead of DPOR.
    pub fn dfs(mut self) -> Self {
        self.search = Search::Dfs;
        self
    }

    /// Run `f` once per explored execution; the outcome carries the failing
    /// schedule ([`replay`] takes it).
    pub fn run<F>(&self, f: F) -> Outcome
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.run_with_stats(f).0
    }

    /// [`DporCheck::run`], with the explorer's counters.
    pub fn run_with_stats<F>(&self, f: F) -> (Outcome, Stats)
    where
        F: Fn() + Send + Sync + 'static,
    {
        let shared = Rc::new(RefCell::new(Shared::default()));
        {
            let mut sh = shared.borrow_mut();
            sh.engine.preemption_bound = self.preemption_bound;
            sh.engine.drop_first_backtrack = self.drop_first_backtrack;
        }
        let start = Instant::now();
        let deadline = start + self.budget;
        let settings = self.settings();
        let (failure, trace, sites) = match self.search {
            Search::Dpor => {
                let sched = DporSched {
                    shared: shared.clone(),
                    deadline,
                    decisions: 0,
                };
                execute(sched, settings, self.trace_cap, f)
            }
            Search::Dfs => {
                let sched = DfsSched::new(shared.clone(), deadline);
                execute(sched, settings, self.trace_cap, f)
            }
        };
        let elapsed = start.elapsed();
        let sh = shared.borrow();
        let mut stats = sh.engine.stats;
        if self.search == Search::Dfs {
            stats = Stats {
                executions: sh.dfs_executions,
                ..Stats::default()
            };
        }
        let (verdict, trace, schedule) = match failure {
            Some(f) => {
                let path = match self.search {
                    Search::Dpor => sh.engine.path(),
                    Search::Dfs => sh.path.clone(),
                };
                (
                    Verdict::Fail(f),
                    trace,
                    Some(encode(self.settings(), &path)),
                )
            }
            None if sh.timed_out => (
                Verdict::Fail(Failure::timed_out(self.budget, stats.executions)),
                Default::default(),
                None,
            ),
            None => (Verdict::Pass, Default::default(), None),
        };
        (
            Outcome {
                verdict,
                executions: stats.executions,
                elapsed,
                trace,
                sites,
                schedule,
                // loom's bounded history does not apply: DPOR reads the
                // latest store.
                history: Vec::new(),
            },
            stats,
        )
    }

    fn settings(&self) -> Settings {
        Settings {
            model: self.model,
            spurious_cas: self.spurious_cas,
            spurious_wakeups: self.spurious_wakeups,
            track: self.search == Search::Dpor,
        }
    }
}

fn execute<S, F>(
    sched: S,
    settings: Settings,
    trace_cap: usize,
    f: F,
) -> (
    Option<Failure>,
    crate::sync::trace::Trace,
    Vec<crate::sync::trace::SiteInfo>,
)
where
    S: shuttle::scheduler::Scheduler + 'static,
    F: Fn() + Send + Sync + 'static,
{
    install_shuttle_hook_first();
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.silence_warnings = true;
    // As the shuttle runner: the trace recorder's formatting needs more
    // than shuttle's default task stack.
    config.stack_size = 1 << 20;
    let wrapped = move || {
        crate::sync::begin_execution();
        f();
        recorder::thread_exit();
    };
    recorder::activate(settings);
    let (failure, recorded) = capture(Profile::Arm, Plan::new(), trace_cap, || {
        Runner::new(sched, config).run(wrapped);
    });
    recorder::deactivate();
    (failure, recorded.trace, recorded.sites)
}

/// Shuttle installs its panic hook (which prints every task panic) at its
/// first run; run one empty execution first so that the runner's hook is
/// the outer one and keeps expected failures quiet (as the shuttle runner
/// does).
pub(crate) fn install_shuttle_hook_first() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut config = Config::new();
        config.silence_warnings = true;
        Runner::new(
            shuttle::scheduler::RandomScheduler::new_from_seed(0, 1),
            config,
        )
        .run(|| {});
    });
}

/// `MODEL[+cas][+wakeups]:STEPS`, STEPS the decisions separated by `.`: a
/// task number, or `cN` for value N of a data choice.
fn encode(s: Settings, path: &[PathStep]) -> String {
    let mut head = s.model.name().to_string();
    if s.spurious_cas {
        head.push_str("+cas");
    }
    if s.spurious_wakeups {
        head.push_str("+wakeups");
    }
    let steps: Vec<String> = path
        .iter()
        .map(|p| match p {
            PathStep::Task(t) => t.to_string(),
            PathStep::Choice(c) => format!("c{c}"),
        })
        .collect();
    format!("{head}:{}", steps.join("."))
}

fn decode(text: &str) -> Result<(Settings, Vec<PathStep>), ConfigError> {
    let bad = |why: &str| {
        ConfigError(format!(
            "bad DPOR schedule '{}': {why} (accepted: MODEL[+cas][+wakeups]:STEPS, e.g. tso:0.1.c1.1)",
            if text.len() > 40 { &text[..40] } else { text }
        ))
    };
    let (head, steps) = text.trim().split_once(':').ok_or_else(|| bad("no ':'"))?;
    let mut parts = head.split('+');
    let model = MemoryModel::parse_dpor(parts.next().unwrap_or_default()).map_err(|e| bad(&e))?;
    let mut s = Settings {
        model,
        spurious_cas: false,
        spurious_wakeups: false,
        track: false,
    };
    for p in parts {
        match p {
            "cas" => s.spurious_cas = true,
            "wakeups" => s.spurious_wakeups = true,
            other => return Err(bad(&format!("unknown flag '{other}'"))),
        }
    }
    let mut path = Vec::new();
    for st in steps.split('.').filter(|x| !x.is_empty()) {
        let step = if let Some(c) = st.strip_prefix('c') {
            PathStep::Choice(c.parse().map_err(|_| bad(&format!("step '{st}'")))?)
        } else {
            PathStep::Task(st.parse().map_err(|_| bad(&format!("step '{st}'")))?)
        };
        path.push(step);
    }
    Ok((s, path))
}

/// Replay a failing schedule (the text an outcome of [`DporCheck::run`]
/// carries): one execution.
pub fn replay<F>(schedule: &str, trace_cap: usize, f: F) -> Result<Outcome, ConfigError>
where
    F: Fn() + Send + Sync + 'static,
{
    let (settings, path) = decode(schedule)?;
    let start = Instant::now();
    let sched = ReplaySched {
        path,
        pos: 0,
        done: false,
    };
    let (failure, trace, sites) = execute(sched, settings, trace_cap, f);
    let verdict = match failure {
        Some(f) if f.message.contains("schedule does not fit") => {
            let why = f.message.lines().next().unwrap_or_default();
            return Err(ConfigError(format!(
                "DPOR schedule '{}' does not fit this scenario and variant ({})",
                if schedule.len() > 40 {
                    format!("{}...", &schedule[..40])
                } else {
                    schedule.to_string()
                },
                why.strip_prefix("schedule does not fit: ").unwrap_or(why)
            )));
        }
        Some(f) => Verdict::Fail(f),
        None => Verdict::Pass,
    };
    Ok(Outcome {
        schedule: matches!(verdict, Verdict::Fail(_)).then(|| schedule.to_string()),
        verdict,
        executions: 1,
        elapsed: start.elapsed(),
        trace,
        sites,
        history: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_round_trip() {
        let s = Settings {
            model: MemoryModel::Tso,
            spurious_cas: true,
            spurious_wakeups: false,
            track: false,
        };
        let path = vec![PathStep::Task(0), PathStep::Choice(1), PathStep::Task(2)];
        let text = encode(s, &path);
        assert_eq!(text, "tso+cas:0.c1.2");
        assert_eq!(decode(&text).unwrap(), (s, path));
        assert!(decode("arm:0")
            .unwrap_err()
            .0
            .contains("not run by the DPOR explorer"));
        assert!(decode("sc:0.x").unwrap_err().0.contains("step 'x'"));
    }
}
