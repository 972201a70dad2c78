//! What every model provides, and the harness that checks it.
//!
//! A model is a port of one kernel protocol. It declares its **variants**
//! (the faithful code and each seeded bug), its **scenarios** (a small
//! concurrent program plus the properties it asserts), and for every
//! scenario an **expectation** per variant and explorer: the verdict reasoned
//! from the kernel code and the memory model, with a one-line reason. The
//! expectation table lives in the model's own file, so a change to it shows
//! in that file's diff; the harness (and later the gate) reads it from there.
//!
//! The harness runs a scenario for every variant, compares each verdict with
//! its expectation, prints one matrix row per cell, and fails with the
//! counterexample of every surprise.

use std::fmt;

pub use crate::explore::Run;
use crate::explore::{Bounds, FailKind, Outcome, Schedule, Verdict};
use crate::sync::{MemoryModel, Profile};

/// A model's variant: `Faithful` or one named, realistic bug.
pub trait Variant: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// Every variant, `Faithful` first.
    const ALL: &'static [Self];
    /// The name used on command lines and in reports (`no-recheck`).
    fn name(self) -> &'static str;
    /// One line: what the bug is, in kernel terms.
    fn about(self) -> &'static str;
    /// The findings pages (`docs/findings/...`) whose proposed kernel fix
    /// this variant is; empty for the faithful code and the seeded bugs. A
    /// fix is expected to pass every cell; the gate reports, per finding,
    /// whether its fix variants did.
    fn fixes(self) -> &'static [&'static str] {
        &[]
    }
    /// Why this variant is a reference rather than a bug or a fix: an
    /// earlier design of the kernel's code, kept to compare against and
    /// expected to pass every cell, but not proposed (say, one the kernel
    /// left for a reason outside the model, such as lock order). `None` for
    /// the faithful code, the seeded bugs and the fixes.
    fn reference(self) -> Option<&'static str> {
        None
    }
}

/// The variant of `V` named `name`, or a one-line error naming the bad
/// value and the accepted ones.
pub fn parse_variant<V: Variant>(model: &str, name: &str) -> Result<V, String> {
    V::ALL
        .iter()
        .copied()
        .find(|v| v.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = V::ALL.iter().map(|v| v.name()).collect();
            format!(
                "unknown variant '{name}' of model {model} (accepted: {})",
                names.join(", ")
            )
        })
}

/// The verdict a cell is expected to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Every execution keeps every property.
    Pass,
    /// Some execution breaks the property of this kind.
    Fail(FailKind),
    /// Some execution breaks one of these properties: a bug whose symptom
    /// depends on the interleaving (a skipped re-check can show as "not
    /// found" or as a use after free). Which one the explorer reports first
    /// is not part of the expectation; that it is one of these is.
    FailAny(&'static [FailKind]),
    /// The bug is real (it would fail with this kind on the hardware the
    /// profile stands for) but this explorer cannot show it: a recorded
    /// explorer miss. The reason says why (load buffering, the missed-
    /// execution hole, sequential consistency...). A pass is expected; a
    /// failure is a surprise worth reading (the explorer changed).
    Miss(FailKind),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Pass => f.write_str("pass"),
            Expected::Fail(k) => write!(f, "fail {k}"),
            Expected::FailAny(ks) => {
                let names: Vec<&str> = ks.iter().map(|k| k.name()).collect();
                write!(f, "fail {}", names.join("|"))
            }
            Expected::Miss(k) => write!(f, "miss ({k} on hardware)"),
        }
    }
}

/// An expected verdict with its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The verdict.
    pub expected: Expected,
    /// Why, in one line, from the code and the memory model.
    pub reason: &'static str,
    /// For a failure of the faithful code: the page (under `docs/findings/`)
    /// that states the finding about the kernel. Every faithful cell that is
    /// not expected to pass must name one (`checks/tool/tables.rs`).
    pub finding: Option<&'static str>,
}

/// Expect a pass, because `reason`.
pub const fn pass(reason: &'static str) -> Expectation {
    Expectation {
        expected: Expected::Pass,
        reason,
        finding: None,
    }
}

/// Expect a failure of `kind`, because `reason`.
pub const fn fail(kind: FailKind, reason: &'static str) -> Expectation {
    Expectation {
        expected: Expected::Fail(kind),
        reason,
        finding: None,
    }
}

/// Expect a failure of one of `kinds`, because `reason`.
pub const fn fail_any(kinds: &'static [FailKind], reason: &'static str) -> Expectation {
    Expectation {
        expected: Expected::FailAny(kinds),
        reason,
        finding: None,
    }
}

/// Expect the explorer to miss a real bug of `kind`, because `reason`.
pub const fn miss(kind: FailKind, reason: &'static str) -> Expectation {
    Expectation {
        expected: Expected::Miss(kind),
        reason,
        finding: None,
    }
}

/// Expect the faithful code to fail with `kind`: a finding about the kernel,
/// stated on `page` (a file under `docs/findings/`), because `reason`.
pub const fn finding(kind: FailKind, page: &'static str, reason: &'static str) -> Expectation {
    Expectation {
        expected: Expected::Fail(kind),
        reason,
        finding: Some(page),
    }
}

impl Expectation {
    /// The same expectation, marked as a finding about the kernel stated on
    /// `page` (for faithful cells expected to fail several ways, or missed
    /// by an explorer).
    pub const fn finding(self, page: &'static str) -> Expectation {
        Expectation {
            finding: Some(page),
            ..self
        }
    }
}

/// One scenario of a model.
pub struct Scenario<V: Variant> {
    /// Name, a Rust identifier (`grow_vs_lookup`): test names follow it.
    pub name: &'static str,
    /// What runs against what, and which properties are asserted.
    pub about: &'static str,
    /// One execution of the scenario for a variant.
    pub run: fn(V),
    /// loom bounds (default: exhaustive).
    pub loom_bounds: Bounds,
    /// Why the bounds are needed (empty when exhaustive).
    pub bound_reason: &'static str,
    /// The spawn orders of its roles the loom check runs (default: every
    /// one; a restriction says why, with numbers).
    pub loom_orders: crate::explore::SpawnOrders,
    /// The shuttle schedule for this scenario (PCT, random or DFS).
    pub shuttle: Schedule,
    /// The expectation under loom for a variant and profile.
    pub expect_loom: fn(V, Profile) -> Expectation,
    /// The expectation under shuttle (sequentially consistent).
    pub expect_shuttle: fn(V) -> Expectation,
    /// The expectation per memory model: under the DPOR explorer `sc`, or
    /// `tso` (the x86 verdict); under the execution-graph explorer `rc11`
    /// (C11 as written), or `arm` (the ARMv8 verdict). The DPOR explorer's
    /// data-race detector judges facade cells by C11 happens-before with
    /// the orderings as written, whatever the memory model: a race is the
    /// program's, and a compiler may exploit it on any machine (the graph
    /// explorer reports races under `rc11`, not under `arm`).
    pub expect_dpor: fn(V, MemoryModel) -> Expectation,
}

/// A model: a name and its scenarios.
pub trait Model {
    /// Name (`tidhash`).
    const NAME: &'static str;
    /// Its variants.
    type V: Variant;
    /// `None` if shuttle checks it; otherwise why it does not (its cells
    /// are then loom-only).
    const SHUTTLE: Option<&'static str> = None;
    /// True if its code uses crossbeam-epoch: under loom it then needs
    /// `--cfg crossbeam_loom` (crossbeam on loom's atomics), and a loom
    /// build without it skips its cells
    /// ([`crate::explore::CROSSBEAM_LOOM_SKIP`]) instead of running them
    /// against atomics loom cannot see.
    const NEEDS_CROSSBEAM_LOOM: bool = false;
    /// Its scenarios.
    fn scenarios() -> Vec<Scenario<Self::V>>;
    /// The scenarios the gate does not run under the execution-graph
    /// explorer (its `rc11` and `arm` columns), each with why: measured,
    /// its exploration does not end within the cell's time, or it would
    /// take the gate past its time. `lwpcheck run --explorer graph` still
    /// runs them.
    const GRAPH_SKIP: &'static [(&'static str, &'static str)] = &[];
    /// The cell `compare --bigger` runs (`docs/bigger.md`): one that loom,
    /// with no preemption bound, does not finish in 60 s, and that the
    /// DPOR explorer (`sc`, `tso`) and the execution-graph explorer (`sc`,
    /// `tso`, `rc11`, `arm`) finish. Its gate cells are the scenario's own
    /// (loom with its bounds). `None` for a model neither explorer runs.
    const BIGGER: Option<Bigger> = None;
}

/// A model's cell larger than loom can go ([`Model::BIGGER`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bigger {
    /// Scenario name.
    pub scenario: &'static str,
    /// Variant name (the faithful code, unless a fix is the cell loom
    /// cannot finish).
    pub variant: &'static str,
    /// What makes it large, in a few words.
    pub why: &'static str,
}

/// One checked cell of the verdict matrix.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Model name.
    pub model: &'static str,
    /// Scenario name.
    pub scenario: &'static str,
    /// Variant name.
    pub variant: &'static str,
    /// Explorer and profile.
    pub run: Run,
    /// What was expected, and why.
    pub expectation: Expectation,
    /// The findings pages whose fix the variant is ([`Variant::fixes`]).
    pub fixes: &'static [&'static str],
    /// What happened (under loom, over every spawn order: the first
    /// failing order's outcome, else the declared order's, with the time of
    /// all of them).
    pub outcome: Outcome,
    /// loom: the spawn orders checked, the declared one first (one entry
    /// when the scenario has no `thread::roles` group, or when a checkpoint
    /// or a fixed order pins one run); empty under shuttle.
    pub orders: Vec<OrderRun>,
    /// The execution-graph explorer's counters (graph cells only).
    pub graph: Option<GraphCounts>,
}

/// What the execution-graph explorer counted in one cell besides its
/// executions (also a field of the gate's `report.json`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GraphCounts {
    /// Distinct complete graphs among the executions (equal to them when
    /// the exploration is optimal).
    pub graphs: u64,
    /// Executions abandoned because no choice kept the graph consistent.
    pub blocked: u64,
    /// Executions with load buffering (under `arm`: a po ∪ rf cycle).
    pub lb_executions: u64,
    /// Executions abandoned because a load-buffering revisit's kept
    /// events were not made again with the read's new value (they depended
    /// on it).
    #[serde(default)]
    pub uncertified: u64,
}

/// One spawn order of a loom cell (also a field of the gate's
/// `report.json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrderRun {
    /// The roles in the order they were spawned (`creator, reader`), empty
    /// for a scenario without a `thread::roles` group.
    pub order: Vec<String>,
    /// Its verdict in a few words (`pass`, `fail data-race`).
    pub verdict: String,
    /// Its executions.
    pub executions: u64,
    /// Its time, seconds.
    #[serde(default)]
    pub secs: f64,
}

impl OrderRun {
    /// The order's roles, `creator, reader` (`as written (no roles
    /// group)` when the scenario declares none).
    pub fn roles(&self) -> String {
        if self.order.is_empty() {
            "as written (no roles group)".to_string()
        } else {
            self.order.join(", ")
        }
    }

    /// `creator, reader: pass (315)`.
    pub fn describe(&self) -> String {
        format!("{}: {} ({})", self.roles(), self.verdict, self.executions)
    }
}

/// True when the spawn orders of a cell disagree on the verdict: loom's
/// exploration depends on the order there (`docs/loom.md`).
pub fn order_dependent(orders: &[OrderRun]) -> bool {
    orders.windows(2).any(|w| w[0].verdict != w[1].verdict)
}

impl Cell {
    /// `None` if the verdict matches the expectation; otherwise why it is a
    /// surprise.
    pub fn surprise(&self) -> Option<String> {
        let got = &self.outcome.verdict;
        match (self.expectation.expected, got) {
            (_, Verdict::Fail(f)) if f.kind == FailKind::TimedOut => {
                Some(format!("ran out of its time budget after {} executions", self.outcome.executions))
            }
            (Expected::Pass, Verdict::Pass) | (Expected::Miss(_), Verdict::Pass) => None,
            (Expected::Fail(k), Verdict::Fail(f)) if f.kind == k => None,
            (Expected::FailAny(ks), Verdict::Fail(f)) if ks.contains(&f.kind) => None,
            (Expected::Pass, Verdict::Fail(f)) if self.variant == "faithful" => {
                Some(format!("the faithful model fails: {f}"))
            }
            (Expected::Pass, Verdict::Fail(f)) => Some(format!("expected a pass, got {f}")),
            (Expected::Fail(k), Verdict::Pass) => Some(format!(
                "the seeded bug was not caught (expected fail {k}): a finding to explain, not to hide"
            )),
            (Expected::Fail(k), Verdict::Fail(f)) => {
                Some(format!("expected fail {k}, got a different failure: {f}"))
            }
            (e @ Expected::FailAny(_), Verdict::Pass) => Some(format!(
                "the seeded bug was not caught (expected {e}): a finding to explain, not to hide"
            )),
            (e @ Expected::FailAny(_), Verdict::Fail(f)) => {
                Some(format!("expected {e}, got a different failure: {f}"))
            }
            (Expected::Miss(k), Verdict::Fail(f)) => Some(format!(
                "recorded as an explorer miss ({k}) but the explorer now fails it: {f}; update the expectation"
            )),
        }
    }
}

impl Outcome {
    /// The verdict in a few words (`pass`, `fail data-race`).
    pub fn summary_verdict(&self) -> String {
        match &self.verdict {
            Verdict::Pass => "pass".into(),
            Verdict::Fail(f) => format!("fail {}", f.kind),
        }
    }
}

/// The scenario of `M` named `name`, or a one-line error naming the bad
/// value and the accepted ones.
pub fn scenario_named<M: Model>(name: &str) -> Result<Scenario<M::V>, String> {
    let all = M::scenarios();
    let names: Vec<&str> = all.iter().map(|s| s.name).collect();
    all.into_iter().find(|s| s.name == name).ok_or_else(|| {
        format!(
            "unknown scenario '{name}' of model {} (accepted: {})",
            M::NAME,
            names.join(", ")
        )
    })
}

/// Run one cell under loom: scenario `sc`, variant `v`, with `check`
/// (profile, bounds, plan, budget, checkpoint).
#[cfg(loom)]
pub fn loom_cell<M: Model>(
    sc: &Scenario<M::V>,
    v: M::V,
    check: crate::explore::loom::LoomCheck,
) -> Result<Cell, crate::explore::env::ConfigError> {
    let run = sc.run;
    let profile = check.profile;
    // A checkpoint records or replays one execution of one order, and a
    // fixed order is one run: no other orders then.
    let runs = if check.checkpoint.is_some() || check.spawn_order.is_some() {
        let out = check.run(move || run(v))?;
        vec![(crate::sync::thread::role_names(), out)]
    } else {
        let mut check = check;
        check.orders = sc.loom_orders;
        let runs = check.run_every_order(move || run(v))?;
        let names = crate::sync::thread::role_names();
        runs.into_iter()
            .map(|(order, out)| {
                let named = order
                    .iter()
                    .map(|&i| names.get(i).cloned().unwrap_or_else(|| format!("role{i}")))
                    .collect();
                (named, out)
            })
            .collect()
    };
    let orders: Vec<OrderRun> = runs
        .iter()
        .map(|(order, out)| OrderRun {
            order: order.clone(),
            verdict: out.summary_verdict(),
            executions: out.executions,
            secs: out.elapsed.as_secs_f64(),
        })
        .collect();
    let total: std::time::Duration = runs.iter().map(|(_, o)| o.elapsed).sum();
    let pick = runs
        .iter()
        .position(|(_, o)| matches!(o.verdict, Verdict::Fail(_)))
        .unwrap_or(0);
    let mut outcome = runs
        .into_iter()
        .nth(pick)
        .map(|(_, o)| o)
        .expect("at least the declared order ran");
    outcome.elapsed = total;
    Ok(Cell {
        model: M::NAME,
        scenario: sc.name,
        variant: v.name(),
        run: Run::Loom(profile),
        expectation: (sc.expect_loom)(v, profile),
        fixes: v.fixes(),
        outcome,
        orders,
        graph: None,
    })
}

/// Run one cell under shuttle: scenario `sc`, variant `v`, with `check`
/// (explorer, budget).
#[cfg(shuttle)]
pub fn shuttle_cell<M: Model>(
    sc: &Scenario<M::V>,
    v: M::V,
    check: crate::explore::shuttle::ShuttleCheck,
) -> Result<Cell, crate::explore::env::ConfigError> {
    let run = sc.run;
    let schedule = check.schedule;
    let outcome = check.run(move || run(v))?;
    Ok(Cell {
        model: M::NAME,
        scenario: sc.name,
        variant: v.name(),
        run: Run::Shuttle(schedule),
        expectation: (sc.expect_shuttle)(v),
        fixes: v.fixes(),
        outcome,
        orders: Vec::new(),
        graph: None,
    })
}

/// Run one cell under the DPOR explorer: scenario `sc`, variant `v`, with
/// `check` (memory model, budget); with `replay`, run that failing schedule
/// only.
#[cfg(shuttle)]
pub fn dpor_cell<M: Model>(
    sc: &Scenario<M::V>,
    v: M::V,
    check: crate::explore::dpor::DporCheck,
    replay: Option<&str>,
) -> Result<Cell, crate::explore::env::ConfigError> {
    let run = sc.run;
    let model = check.model;
    let outcome = match replay {
        None => check.run(move || run(v)),
        Some(schedule) => crate::explore::dpor::replay(schedule, check.trace_cap, move || run(v))?,
    };
    Ok(Cell {
        model: M::NAME,
        scenario: sc.name,
        variant: v.name(),
        run: Run::Dpor(model),
        expectation: (sc.expect_dpor)(v, model),
        fixes: v.fixes(),
        outcome,
        orders: Vec::new(),
        graph: None,
    })
}

/// Run one cell under the execution-graph explorer: scenario `sc`, variant
/// `v`, with `check` (memory model, budget). Its expectation is the
/// memory model's ([`Scenario::expect_dpor`]).
#[cfg(shuttle)]
pub fn graph_cell<M: Model>(
    sc: &Scenario<M::V>,
    v: M::V,
    check: crate::explore::graph::GraphCheck,
) -> Cell {
    let run = sc.run;
    let model = check.model;
    let (outcome, stats) = check.run(move || run(v));
    Cell {
        model: M::NAME,
        scenario: sc.name,
        variant: v.name(),
        run: Run::Graph(model),
        expectation: (sc.expect_dpor)(v, model),
        fixes: v.fixes(),
        outcome,
        orders: Vec::new(),
        graph: Some(GraphCounts {
            graphs: stats.graphs,
            blocked: stats.blocked,
            lb_executions: stats.lb_executions,
            uncertified: stats.uncertified,
        }),
    }
}

/// Run every scenario once per variant on real threads (std build): the
/// faithful model must keep its properties on the real machine; returns
/// nothing, panics on the first failure. Seeded bugs are not run here (on
/// real threads a bug shows only by chance).
pub fn smoke_std<M: Model>(iterations: usize) {
    for sc in M::scenarios() {
        let faithful = M::V::ALL[0];
        assert_eq!(
            faithful.name(),
            "faithful",
            "{}: Variant::ALL must start with Faithful",
            M::NAME
        );
        for _ in 0..iterations {
            (sc.run)(faithful);
        }
    }
}
