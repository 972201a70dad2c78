//! The check runner shared by every model: run one scenario under an
//! explorer, catch the failure, and return a [`Verdict`] with the failing
//! execution's [`Trace`], the number of executions explored and the time.
//!
//! - `check::loom` (built with `--cfg loom`): exhaustive, for a
//!   [`Profile`], with preemption and branch bounds.
//! - `check::shuttle` (built with `--cfg shuttle`): random, PCT or
//!   DFS schedules, with the failing schedule and `check::shuttle::replay`.
//!
//! Properties inside a model are checked with [`prop!`](crate::prop) (an
//! assertion with a message a reader understands) or [`violation`] (a
//! specific kind such as a leak); loom itself reports data races,
//! deadlocks and leaks, and the facade's memory helper
//! ([`crate::sync::mem`]) a use of freed memory, all of which the runner
//! classifies from their messages.

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::sync::trace::{HistoryNote, SiteInfo, Trace};
use env::ConfigError;

// The project's own DPOR explorer (issue 12), on shuttle's scheduler API.
#[cfg(shuttle)]
pub mod dpor;
pub mod env;
// The execution-graph explorer (issue 18): sc, tso, rc11, arm.
#[cfg(shuttle)]
pub mod graph;
pub mod litmus;
#[cfg(loom)]
pub mod loom;
pub mod program;
#[cfg(shuttle)]
pub mod shuttle;

pub use crate::sync::{MemoryModel, Plan, Profile};

/// True in a loom build without `--cfg crossbeam_loom`: crossbeam-epoch
/// then runs on std atomics, which loom cannot see (its data-race and
/// ordering checks would judge code whose synchronization they miss). A
/// check of code that uses crossbeam-epoch is skipped in such a build,
/// saying [`CROSSBEAM_LOOM_SKIP`], never run.
pub const CROSSBEAM_INVISIBLE: bool = cfg!(loom) && !cfg!(crossbeam_loom);

/// The one line said for a check skipped because [`CROSSBEAM_INVISIBLE`].
pub const CROSSBEAM_LOOM_SKIP: &str = "skipped: uses crossbeam-epoch, which runs on std atomics loom cannot see in this build; add --cfg crossbeam_loom (RUSTFLAGS=\"--cfg loom --cfg crossbeam_loom\")";

/// [`CROSSBEAM_LOOM_SKIP`] if a check that uses crossbeam-epoch cannot run
/// in this build, `None` if it can.
pub fn crossbeam_skip() -> Option<&'static str> {
    CROSSBEAM_INVISIBLE.then_some(CROSSBEAM_LOOM_SKIP)
}

/// Loom's exploration bounds for one scenario. `None` is loom's default
/// (no preemption bound, 1000 branches), unless the user set
/// `LOOM_MAX_PREEMPTIONS` / `LOOM_MAX_BRANCHES`, which win over the
/// scenario's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// At most this many preemptions per execution (an incomplete search:
    /// a scenario that needs one says so and why).
    pub preemptions: Option<usize>,
    /// At most this many branch points per execution.
    pub branches: Option<usize>,
}

/// Which spawn orders the loom check of a scenario runs (`docs/loom.md`):
/// loom explores different executions for different spawn orders of the
/// racing roles (a `thread::roles` group).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpawnOrders {
    /// Every permutation of up to 3 roles, every rotation of 4 or more.
    #[default]
    Every,
    /// Every rotation (each role spawned first once), because the reason
    /// says so (with its numbers).
    Rotations(&'static str),
    /// The declared order only, because the reason says so (with its
    /// numbers).
    Declared(&'static str),
}

impl SpawnOrders {
    /// Why this scenario does not run every order (empty for `Every`).
    pub fn reason(self) -> &'static str {
        match self {
            SpawnOrders::Every => "",
            SpawnOrders::Rotations(r) | SpawnOrders::Declared(r) => r,
        }
    }
}

/// What to do with loom's checkpoint file (its `checkpoint` feature: the
/// file holds the branch choices of one execution, as JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// Write the path of every execution before running it (loom's
    /// `checkpoint_interval` 1), so that after a failure the file holds the
    /// failing execution. An existing file is removed first: loom would
    /// otherwise resume from it.
    Record(std::path::PathBuf),
    /// Run exactly the one execution whose path is in the file. loom
    /// overwrites the file with the next path, so pass a copy.
    Replay(std::path::PathBuf),
}

/// Which shuttle scheduler explores the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Uniformly random schedules.
    Random {
        /// Schedules to run.
        iterations: usize,
        /// Seed (the run is deterministic for a seed).
        seed: u64,
    },
    /// Probabilistic concurrency testing: finds a bug of depth `depth` with
    /// a guaranteed probability per schedule.
    Pct {
        /// Schedules to run.
        iterations: usize,
        /// Bug depth (number of ordering constraints), 1 or more.
        depth: usize,
        /// Seed.
        seed: u64,
    },
    /// Depth-first search of every schedule, up to a bound.
    Dfs {
        /// At most this many schedules (`None`: all of them).
        max_iterations: Option<usize>,
    },
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Random { iterations, seed } => write!(f, "random:{iterations}:{seed}"),
            Schedule::Pct {
                iterations,
                depth,
                seed,
            } => write!(f, "pct:{iterations}:{depth}:{seed}"),
            Schedule::Dfs {
                max_iterations: None,
            } => f.write_str("dfs"),
            Schedule::Dfs {
                max_iterations: Some(n),
            } => write!(f, "dfs:{n}"),
        }
    }
}

const SCHEDULE_FORMS: &str =
    "random:ITERATIONS[:SEED], pct:ITERATIONS:DEPTH[:SEED], dfs[:MAX_ITERATIONS]";

impl FromStr for Schedule {
    type Err = ConfigError;

    /// `random:1000`, `random:1000:7`, `pct:1000:3`, `pct:1000:3:7`, `dfs`, `dfs:5000`.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        let bad = || {
            ConfigError(format!(
                "unknown shuttle schedule '{s}' (accepted: {SCHEDULE_FORMS})"
            ))
        };
        let parts: Vec<&str> = s.split(':').collect();
        let num = |p: &str| p.parse::<u64>().map_err(|_| bad());
        let pos = |p: &str| match p.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad()),
        };
        match parts.as_slice() {
            ["random", it] => Ok(Schedule::Random {
                iterations: pos(it)?,
                seed: 0,
            }),
            ["random", it, seed] => Ok(Schedule::Random {
                iterations: pos(it)?,
                seed: num(seed)?,
            }),
            ["pct", it, d] => Ok(Schedule::Pct {
                iterations: pos(it)?,
                depth: pos(d)?,
                seed: 0,
            }),
            ["pct", it, d, seed] => Ok(Schedule::Pct {
                iterations: pos(it)?,
                depth: pos(d)?,
                seed: num(seed)?,
            }),
            ["dfs"] => Ok(Schedule::Dfs {
                max_iterations: None,
            }),
            ["dfs", n] => Ok(Schedule::Dfs {
                max_iterations: Some(pos(n)?),
            }),
            _ => Err(bad()),
        }
    }
}

/// The property a failing execution broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailKind {
    /// A model's own property (`prop!`) or a plain `assert!`.
    Assertion,
    /// Two unordered accesses to a lock-protected cell (loom's causality
    /// check): the lock did not protect it.
    DataRace,
    /// Every thread blocked (loom and shuttle both detect it).
    Deadlock,
    /// A slice index out of bounds: a table read with the wrong size.
    IndexOutOfBounds,
    /// Memory read or written after the model freed it.
    UseAfterFree,
    /// A lookup returned another object than the one asked for: memory that
    /// is type-stable (never unmapped) was freed and reused for another
    /// object since the lookup found it (FreeBSD `tdfind` returning another
    /// thread, issue 14).
    WrongThread,
    /// A lookup returned an object that has already left the structure it
    /// was looked up in (FreeBSD `tdfind` returning a thread that has run
    /// `thread_exit`, issue 14).
    ExitedThread,
    /// An object never freed, or freed twice where the model counts frees.
    Leak,
    /// Any other panic.
    Panic,
    /// The check ran out of its time budget: not a pass.
    TimedOut,
}

impl FailKind {
    /// All kinds, for listings.
    pub const ALL: [FailKind; 10] = [
        FailKind::Assertion,
        FailKind::DataRace,
        FailKind::Deadlock,
        FailKind::IndexOutOfBounds,
        FailKind::UseAfterFree,
        FailKind::WrongThread,
        FailKind::ExitedThread,
        FailKind::Leak,
        FailKind::Panic,
        FailKind::TimedOut,
    ];

    /// The short name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            FailKind::Assertion => "assertion",
            FailKind::DataRace => "data-race",
            FailKind::Deadlock => "deadlock",
            FailKind::IndexOutOfBounds => "index-out-of-bounds",
            FailKind::UseAfterFree => "use-after-free",
            FailKind::WrongThread => "returned-another-thread",
            FailKind::ExitedThread => "returned-exited-thread",
            FailKind::Leak => "leak",
            FailKind::Panic => "panic",
            FailKind::TimedOut => "timed-out",
        }
    }
}

impl fmt::Display for FailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failure: what broke, the message, and where the panic was raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which property.
    pub kind: FailKind,
    /// The message (the model's, or the explorer's).
    pub message: String,
    /// `file:line` where the failure was raised, when known.
    pub site: Option<String>,
}

impl Failure {
    /// An exhaustive explorer's `budget` ran out after `executions`
    /// complete executions: not a pass (the DPOR and execution-graph
    /// explorers, shuttle build).
    #[cfg(shuttle)]
    pub(crate) fn timed_out(budget: Duration, executions: u64) -> Failure {
        Failure {
            kind: FailKind::TimedOut,
            message: format!(
                "{TIMED_OUT}: {:.0} s after {executions} executions",
                budget.as_secs_f64()
            ),
            site: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message.trim_end())?;
        if let Some(s) = &self.site {
            write!(f, " (at {s})")?;
        }
        Ok(())
    }
}

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every explored execution kept every property.
    Pass,
    /// Some execution broke a property.
    Fail(Failure),
}

impl Verdict {
    /// The failure kind, if any.
    pub fn kind(&self) -> Option<FailKind> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail(f) => Some(f.kind),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("pass"),
            Verdict::Fail(x) => write!(f, "fail {x}"),
        }
    }
}

/// How a cell is explored: which explorer, with which profile or schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// loom under a profile.
    Loom(Profile),
    /// shuttle.
    Shuttle(Schedule),
    /// The project's DPOR explorer (shuttle build), exhaustive under a
    /// memory model: `sc`, or `tso` (the x86 verdict).
    Dpor(MemoryModel),
    /// The execution-graph explorer (shuttle build), exhaustive under a
    /// memory model, with no preemption bound: the gate's columns are
    /// `rc11` (C11 as written) and `arm` (the ARMv8 verdict)
    /// ([`Run::GRAPH_COLUMNS`]).
    Graph(MemoryModel),
}

impl Run {
    /// The memory models of the execution-graph explorer's gate columns,
    /// in matrix order. (`sc` and `tso` are the DPOR explorer's columns.)
    pub const GRAPH_COLUMNS: [MemoryModel; 2] = [MemoryModel::Rc11, MemoryModel::Arm];

    /// `Run::Graph` under the memory model named `memory` (`rc11`, `arm`),
    /// or a one-line error naming it and the accepted ones.
    pub fn graph(memory: &str) -> Result<Run, String> {
        let m: MemoryModel = memory.parse()?;
        if Run::GRAPH_COLUMNS.contains(&m) {
            Ok(Run::Graph(m))
        } else {
            Err(format!(
                "memory model '{memory}' is not a column of the execution-graph explorer (accepted: rc11, arm; sc and tso cells are the DPOR explorer's: --explorer dpor)"
            ))
        }
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Run::Loom(p) => write!(f, "loom/{p}"),
            Run::Shuttle(e) => write!(f, "shuttle/{e}"),
            Run::Dpor(m) => write!(f, "dpor/{m}"),
            Run::Graph(m) => write!(f, "graph/{m}"),
        }
    }
}

impl FromStr for Run {
    type Err = String;

    /// A run as reports name it ([`Run`]'s `Display`): `loom/arm`,
    /// `shuttle/pct:2000:3:0`, `dpor/tso`, `graph/arm`. An unknown
    /// explorer, profile, schedule or memory model is a one-line error
    /// naming it and the accepted ones.
    fn from_str(s: &str) -> Result<Run, String> {
        match s.split_once('/') {
            Some(("loom", p)) => p.parse::<Profile>().map(Run::Loom),
            Some(("shuttle", e)) => e.parse::<Schedule>().map(Run::Shuttle).map_err(|e| e.0),
            Some(("dpor", m)) => MemoryModel::parse_dpor(m).map(Run::Dpor),
            Some(("graph", m)) => Run::graph(m),
            _ => Err(format!(
                "unknown run '{s}' (accepted: loom/PROFILE, shuttle/SCHEDULE, dpor/MODEL, graph/MODEL)"
            )),
        }
    }
}

/// Everything a check produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Pass or fail.
    pub verdict: Verdict,
    /// Executions explored (loom) or schedules run (shuttle), including the
    /// failing one.
    pub executions: u64,
    /// Wall time of the check.
    pub elapsed: Duration,
    /// The failing execution's events (empty on a pass).
    pub trace: Trace,
    /// Every atomic site the check touched, with the ordering written there.
    pub sites: Vec<SiteInfo>,
    /// Shuttle: the failing schedule, replayable with
    /// `check::shuttle::replay` (shuttle build).
    pub schedule: Option<String>,
    /// loom, on a pass: the atomic objects that received more stores in
    /// one execution than loom's history keeps values
    /// ([`crate::sync::trace::LOOM_HISTORY`]), so loom never let a load
    /// read their oldest values there (the "bounded history" note). Empty
    /// on a failure (a counterexample needs no caveat) and under shuttle
    /// (no bound). Only the facade's atomics are counted, not those inside
    /// a dependency (crossbeam-epoch's).
    pub history: Vec<HistoryNote>,
}

impl Outcome {
    /// The "bounded history" note in one line, if any object went past
    /// loom's history on a pass ([`Outcome::history`]).
    pub fn history_note(&self) -> Option<String> {
        if self.history.is_empty() {
            return None;
        }
        let objects: Vec<String> = self
            .history
            .iter()
            .map(|h| format!("{} ({} stores, from {})", h.object, h.max_stores, h.site))
            .collect();
        Some(format!(
            "bounded history: loom keeps {} values per atomic and dropped the oldest of {}",
            crate::sync::trace::LOOM_HISTORY,
            objects.join(", ")
        ))
    }

    /// A one-line summary: verdict, executions, time.
    pub fn summary(&self) -> String {
        format!(
            "{} ({} executions, {:.3} s)",
            self.summary_verdict(),
            self.executions,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Fail the current execution with `kind`: the runner reports exactly that
/// kind. Use it for properties that are not plain assertions (use after
/// free, leak).
#[track_caller]
pub fn violation(kind: FailKind, message: impl fmt::Display) -> ! {
    PENDING_KIND.with(|k| *k.borrow_mut() = Some(kind));
    crate::sync::note_failing_thread();
    panic!("{kind}: {message}");
}

/// Assert a model property with a message a reader understands:
/// `prop!(found, "tid {tid} not found after growth from {old} to {new} buckets")`.
#[macro_export]
macro_rules! prop {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            $crate::explore::violation($crate::explore::FailKind::Assertion, format_args!($($fmt)+));
        }
    };
}

// Panic capture is used by the explorer runners (and unit-tested under std).
thread_local! {
    /// Set by `violation` just before it panics.
    static PENDING_KIND: RefCell<Option<FailKind>> = const { RefCell::new(None) };
    /// The first panic of the running check, captured by the hook.
    static CAPTURED: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
    /// True while a check runs on this OS thread: panics are captured, not printed.
    static QUIET: RefCell<bool> = const { RefCell::new(false) };
}

#[cfg_attr(not(any(loom, shuttle)), allow(dead_code))]
/// Install (once) the panic hook that captures panics of running checks and
/// passes every other panic to the previous hook.
fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        // LWPCHECK_SHOW_PANICS=1 prints every panic of a check too, with the
        // previous hook (for debugging a model or an explorer).
        let show = std::env::var_os("LWPCHECK_SHOW_PANICS").is_some_and(|v| v == "1");
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| *q.borrow()) {
                if show {
                    prev(info);
                }
                CAPTURED.with(|c| {
                    let mut c = c.borrow_mut();
                    if c.is_none() {
                        let msg = payload_text(info.payload());
                        let site = info.location().map(|l| {
                            format!("{}:{}", crate::sync::source_path(l.file()), l.line())
                        });
                        *c = Some((msg, site));
                    }
                });
            } else {
                prev(info);
            }
        }));
    });
}

#[cfg_attr(not(any(loom, shuttle)), allow(dead_code))]
fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

#[cfg_attr(not(any(loom, shuttle)), allow(dead_code))]
/// Run `f` quietly on this thread, with the trace recorder active for
/// `profile` and `plan`; return its panic as a [`Failure`], and what the
/// recorder kept (the last execution's trace, the site registry, the
/// bounded-history notes).
pub(crate) fn capture(
    profile: Profile,
    plan: Plan,
    trace_cap: usize,
    f: impl FnOnce(),
) -> (Option<Failure>, crate::sync::trace::Recorded) {
    install_hook();
    PENDING_KIND.with(|k| *k.borrow_mut() = None);
    CAPTURED.with(|c| *c.borrow_mut() = None);
    QUIET.with(|q| *q.borrow_mut() = true);
    crate::sync::trace::activate(profile, plan, trace_cap);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| *q.borrow_mut() = false);
    let recorded = crate::sync::trace::deactivate();
    let failure = r.err().map(|payload| {
        let (message, site) = CAPTURED
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| (payload_text(&*payload), None));
        let pending = PENDING_KIND.with(|k| k.borrow_mut().take());
        classify(pending, message, site)
    });
    (failure, recorded)
}

#[cfg_attr(not(any(loom, shuttle)), allow(dead_code))]
/// Name the broken property from the explicit kind or the explorer's message.
pub(crate) fn classify(
    pending: Option<FailKind>,
    message: String,
    site: Option<String>,
) -> Failure {
    // The facade's memory helper cannot call `violation` (it is the layer
    // below): it panics with the use-after-free prefix instead.
    let faulted = pending.is_none() && message.starts_with(crate::sync::mem::USE_AFTER_FREE);
    let pending = if faulted {
        Some(FailKind::UseAfterFree)
    } else {
        pending
    };
    let kind = pending.unwrap_or_else(|| {
        let m = message.as_str();
        if m.contains("Causality violation") {
            FailKind::DataRace
        } else if m.contains("deadlock") {
            FailKind::Deadlock
        } else if m.contains("leaked") {
            FailKind::Leak
        } else if m.contains("index out of bounds") {
            FailKind::IndexOutOfBounds
        } else if m.starts_with("assertion") {
            FailKind::Assertion
        } else if m.starts_with(TIMED_OUT) {
            FailKind::TimedOut
        } else {
            FailKind::Panic
        }
    });
    // The explicit kind is already the message's prefix; keep one copy.
    let message = match pending {
        Some(k) => message
            .strip_prefix(&format!("{k}: "))
            .map(str::to_owned)
            .unwrap_or(message),
        None => message,
    };
    // A panic raised inside the explorer's own sources says nothing about
    // the model: keep the site only when it is in this crate.
    let site = site.filter(|s| !s.contains(".cargo/registry") && !s.contains("/rustc/"));
    Failure {
        kind,
        message,
        site,
    }
}

#[cfg_attr(not(any(loom, shuttle)), allow(dead_code))]
/// Prefix of the panic raised when a check exceeds its time budget.
pub(crate) const TIMED_OUT: &str = "time budget exceeded";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossbeam_checks_are_skipped_only_where_loom_cannot_see_crossbeam() {
        assert_eq!(
            crossbeam_skip().is_some(),
            cfg!(loom) && !cfg!(crossbeam_loom)
        );
        assert_eq!(CROSSBEAM_LOOM_SKIP.lines().count(), 1);
        assert!(CROSSBEAM_LOOM_SKIP.contains("--cfg crossbeam_loom"));
    }

    #[test]
    fn classifies_explorer_messages() {
        let c = |m: &str| classify(None, m.to_string(), None).kind;
        assert_eq!(
            c("Causality violation: Concurrent write accesses to `UnsafeCell`."),
            FailKind::DataRace
        );
        assert_eq!(c("deadlock; threads = [...]"), FailKind::Deadlock);
        assert_eq!(c("Arc leaked.\n  Index: 0"), FailKind::Leak);
        assert_eq!(
            c("index out of bounds: the len is 2 but the index is 3"),
            FailKind::IndexOutOfBounds
        );
        assert_eq!(c("assertion failed: x == 1"), FailKind::Assertion);
        assert_eq!(c("time budget exceeded: 1 s"), FailKind::TimedOut);
        assert_eq!(c("boom"), FailKind::Panic);
    }

    #[test]
    fn explicit_kind_wins_and_is_not_repeated() {
        let f = classify(
            Some(FailKind::UseAfterFree),
            "use-after-free: table 2 read after free".into(),
            Some("src/tidhash.rs:10".into()),
        );
        assert_eq!(f.kind, FailKind::UseAfterFree);
        assert_eq!(f.message, "table 2 read after free");
        assert_eq!(
            f.to_string(),
            "use-after-free: table 2 read after free (at src/tidhash.rs:10)"
        );
    }

    #[test]
    fn the_memory_helpers_panic_is_a_use_after_free() {
        let f = classify(
            None,
            "use-after-free: lwp_unpark used lwpent of tid 1 after it was freed".into(),
            None,
        );
        assert_eq!(f.kind, FailKind::UseAfterFree);
        assert_eq!(
            f.message,
            "lwp_unpark used lwpent of tid 1 after it was freed"
        );
    }

    // std only: outside an execution, a loom cell cannot be touched and
    // shuttle cannot name the running thread for the trace.
    #[cfg(not(any(loom, shuttle)))]
    #[test]
    fn a_use_after_free_is_captured_with_its_site() {
        let (f, _) = capture(Profile::Arm, Plan::new(), 10, || {
            let m = crate::sync::Alloc::new("table 2");
            m.zero("table 2 memory");
            m.free();
            m.touch("reader");
        });
        let f = f.expect("the closure fails");
        assert_eq!(f.kind, FailKind::UseAfterFree);
        assert_eq!(f.message, "reader used table 2 after it was freed");
        assert!(f.site.unwrap().starts_with("src/explore/mod.rs:"));
    }

    #[test]
    fn capture_reports_a_prop_failure_with_its_site() {
        let (f, _) = capture(Profile::Arm, Plan::new(), 10, || {
            crate::prop!(1 + 1 == 3, "arithmetic is broken: {}", 2);
        });
        let f = f.expect("the closure fails");
        assert_eq!(f.kind, FailKind::Assertion);
        assert_eq!(f.message, "arithmetic is broken: 2");
        assert!(f.site.unwrap().starts_with("src/explore/mod.rs:"));
        let (ok, _) = capture(Profile::Arm, Plan::new(), 10, || {});
        assert_eq!(ok, None);
    }

    #[test]
    fn runs_display_as_reports_name_them_and_parse_back() {
        let runs = [
            Run::Loom(Profile::Arm),
            Run::Loom(Profile::X86),
            Run::Shuttle(Schedule::Pct {
                iterations: 2000,
                depth: 3,
                seed: 0,
            }),
            Run::Dpor(MemoryModel::Sc),
            Run::Dpor(MemoryModel::Tso),
            Run::Graph(MemoryModel::Rc11),
            Run::Graph(MemoryModel::Arm),
        ];
        let names: Vec<String> = runs.iter().map(Run::to_string).collect();
        assert_eq!(
            names,
            [
                "loom/arm",
                "loom/x86",
                "shuttle/pct:2000:3:0",
                "dpor/sc",
                "dpor/tso",
                "graph/rc11",
                "graph/arm"
            ]
        );
        for (r, n) in runs.iter().zip(&names) {
            assert_eq!(n.parse::<Run>().as_ref(), Ok(r), "{n}");
        }
        assert_eq!(Run::graph("arm"), Ok(Run::Graph(MemoryModel::Arm)));
        assert_eq!(Run::graph("rc11"), Ok(Run::Graph(MemoryModel::Rc11)));
        assert_eq!(
            Run::GRAPH_COLUMNS.map(|m| Run::Graph(m).to_string()),
            ["graph/rc11", "graph/arm"]
        );
    }

    #[test]
    fn bad_runs_are_one_line_errors_naming_the_value_and_the_accepted_ones() {
        let err = |s: &str| s.parse::<Run>().unwrap_err();
        for (bad, says) in [
            ("graph/tso", "memory model 'tso' is not a column of the execution-graph explorer (accepted: rc11, arm;"),
            ("graph/sc", "memory model 'sc' is not a column"),
            ("graph/power", "unknown memory model 'power' (accepted: sc, tso, rc11, arm)"),
            ("dpor/arm", "memory model 'arm' is not run by the DPOR explorer"),
            ("loom/power", "unknown profile 'power' (accepted: arm, x86)"),
            ("shuttle/bfs", "unknown shuttle schedule 'bfs'"),
            ("genmc/arm", "unknown run 'genmc/arm' (accepted: loom/PROFILE, shuttle/SCHEDULE, dpor/MODEL, graph/MODEL)"),
            ("arm", "unknown run 'arm'"),
        ] {
            let e = err(bad);
            assert!(e.starts_with(says), "{bad}: {e}");
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
        assert_eq!(Run::graph("tso").unwrap_err(), err("graph/tso"));
    }

    #[test]
    fn explorer_names_parse_and_reject() {
        assert_eq!(
            "dfs".parse::<Schedule>().unwrap(),
            Schedule::Dfs {
                max_iterations: None
            }
        );
        assert_eq!(
            "pct:100:3".parse::<Schedule>().unwrap(),
            Schedule::Pct {
                iterations: 100,
                depth: 3,
                seed: 0
            }
        );
        let e = "bfs".parse::<Schedule>().unwrap_err();
        assert!(e
            .0
            .starts_with("unknown shuttle schedule 'bfs' (accepted: random:"));
        assert!("pct:100:0".parse::<Schedule>().is_err());
    }
}
