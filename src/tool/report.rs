//! The gate's reports: one record per checked cell, written as
//! `report.json` (for machines), `report.md` (for a pull-request comment)
//! and one trace file per failing cell, all under one output folder.
//!
//! A record carries everything a reader needs without re-running the
//! check: the expectation and its reason (read from the model's own table),
//! the verdict, executions, time, why the cell is a surprise, and how to
//! reproduce it with one command. The loom and shuttle builds each write a
//! report; [`merge`] joins them into the gate's report.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::explore::{FailKind, Verdict};
use crate::model::{Cell, Expected, GraphCounts, OrderRun, Run};
use crate::sync::{Backend, MemoryModel, Profile};
use crate::tool::registry::build_hint;

/// The report of one explorer's run (or of the merged gate).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// `lwpcheck` and its version.
    pub tool: String,
    /// The explorers whose cells are in the report (`loom`, `shuttle`).
    pub explorers: Vec<String>,
    /// The narrowing options the run was given (`--model tidhash` ...),
    /// empty for the whole matrix.
    pub selection: Vec<String>,
    /// Wall time of the run(s), seconds.
    pub wall_secs: f64,
    /// Cells run in parallel.
    pub jobs: usize,
    /// Every cell.
    pub cells: Vec<Record>,
}

/// One cell of the verdict matrix. (`Default` is an empty record, for
/// building one field by field.)
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant name (`faithful` or a seeded bug).
    pub variant: String,
    /// Explorer and profile, as the matrix names it (`loom/arm`,
    /// `shuttle/pct:2000:3:0`).
    pub run: String,
    /// The expected verdict (from the model's expectation table).
    pub expected: String,
    /// Why that is expected.
    pub reason: String,
    /// `pass` or `fail`.
    pub verdict: String,
    /// The failure kind, on a failure.
    pub kind: Option<String>,
    /// The failure message and where it was raised, on a failure.
    pub message: Option<String>,
    /// Executions (loom) or schedules (shuttle), including the failing one.
    pub executions: u64,
    /// Wall time of the check, seconds.
    pub secs: f64,
    /// Recorded as an explorer miss, and missed.
    pub miss: bool,
    /// The cell ran out of its time budget.
    pub timed_out: bool,
    /// Why the cell is a surprise; `None` when it is as expected.
    pub surprise: Option<String>,
    /// The shuttle schedule of the failing execution (replayable).
    pub schedule: Option<String>,
    /// loom: the smallest preemption bound at which the counterexample in
    /// the trace file was found, when a search for it ran.
    pub shortest: Option<Shortest>,
    /// The trace file (swimlane text), relative to the report folder; the
    /// same counterexample as an HTML page sits beside it (`.html`).
    pub trace_file: Option<String>,
    /// One command that runs this cell again and prints its counterexample.
    pub reproduce: String,
    /// The findings page when the expectation marks this cell as a finding
    /// about the real kernel (`docs/findings/...`).
    #[serde(default)]
    pub finding: Option<String>,
    /// The findings pages whose proposed fix this cell's variant is.
    #[serde(default)]
    pub fixes: Vec<String>,
    /// Why the cell was not run in this build (a loom build without
    /// `--cfg crossbeam_loom` for a model that uses crossbeam-epoch): not a
    /// pass, not a surprise.
    #[serde(default)]
    pub skipped: Option<String>,
    /// loom, on a pass: the "bounded history" notes, one per atomic object
    /// that received more stores in one execution than loom keeps values
    /// ([`crate::explore::Outcome::history`]); the pass never saw its
    /// oldest values.
    #[serde(default)]
    pub history: Vec<String>,
    /// loom: each spawn order checked, the declared one first, with its
    /// verdict, executions and time.
    #[serde(default)]
    pub orders: Vec<OrderRun>,
    /// loom: the spawn orders disagree on the verdict (a loom hole the
    /// spawn-order dimension now covers).
    #[serde(default)]
    pub order_dependent: bool,
    /// loom: the preemption bound the cell ran under (`None`: exhaustive,
    /// as every DPOR cell is).
    #[serde(default)]
    pub bound: Option<usize>,
    /// The execution-graph explorer's counters (graph cells only):
    /// distinct graphs, blocked executions, executions with load
    /// buffering, uncertified executions.
    #[serde(default)]
    pub graph: Option<GraphCounts>,
}

/// One finding of the gate: its page, its cells, its fix variants.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingSummary {
    /// The page (`docs/findings/...`).
    pub page: String,
    /// The cells marked with it (`model / scenario / variant / run`, the
    /// verdict).
    pub cells: Vec<String>,
    /// How many of them failed (the others are recorded explorer misses).
    pub failing: usize,
    /// Every marked cell showed its expected verdict (no surprise).
    pub confirmed: bool,
    /// Per fix variant (`model / variant`): cells checked, and whether every
    /// one of them passed as expected.
    pub fixes: Vec<(String, usize, bool)>,
}

impl FindingSummary {
    /// At least one fix variant, and every fix variant passed every cell.
    pub fn fixed(&self) -> bool {
        !self.fixes.is_empty() && self.fixes.iter().all(|f| f.2)
    }
}

/// The spawn orders of one loom scenario ([`Report::scenario_orders`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioOrders {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// The variant whose cells the orders are from (`faithful` unless the
    /// selection has none).
    pub variant: String,
    /// That variant's loom/arm cell, per order.
    pub arm: Vec<OrderRun>,
    /// That variant's loom/x86 cell, per order.
    pub x86: Vec<OrderRun>,
    /// The scenario's cells whose orders disagree on the verdict
    /// (`variant run`).
    pub dependent: Vec<String>,
}

impl ScenarioOrders {
    /// One row per order (the roles, then its Arm and X86 runs), in the
    /// order the Arm cell ran them (X86's when there is no Arm cell).
    pub fn rows(&self) -> Vec<(String, Option<&OrderRun>, Option<&OrderRun>)> {
        let first = if self.arm.is_empty() {
            &self.x86
        } else {
            &self.arm
        };
        first
            .iter()
            .map(|o| {
                let find = |v: &[OrderRun]| v.iter().position(|p| p.order == o.order);
                (
                    o.roles(),
                    find(&self.arm).map(|i| &self.arm[i]),
                    find(&self.x86).map(|i| &self.x86[i]),
                )
            })
            .collect()
    }
}

/// `s`, or `none` when it is empty.
fn none_or(s: String) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

/// The counterexample with the fewest preemptions that loom found.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Shortest {
    /// The preemption bound that first failed (bounds below it passed).
    pub preemptions: usize,
    /// Executions of that bounded run, up to and including the failing one.
    pub executions: u64,
    /// Seconds spent searching, over all bounds tried.
    pub secs: f64,
}

impl Shortest {
    /// "found at loom preemption bound N (why that is the fewest)".
    pub fn describe(&self) -> String {
        format!(
            "found at loom preemption bound {} ({})",
            self.preemptions,
            if self.preemptions == 0 {
                "it needs no preemption"
            } else {
                "every lower bound passed"
            }
        )
    }
}

impl Record {
    /// The record of a checked cell (without trace file or shortest search).
    pub fn of(c: &Cell) -> Record {
        let (kind, message) = match &c.outcome.verdict {
            Verdict::Pass => (None, None),
            Verdict::Fail(f) => (
                Some(f.kind.name().to_string()),
                Some(match &f.site {
                    Some(site) => format!("{} (at {site})", f.message.trim_end()),
                    None => f.message.trim_end().to_string(),
                }),
            ),
        };
        let surprise = c.surprise();
        Record {
            model: c.model.into(),
            scenario: c.scenario.into(),
            variant: c.variant.into(),
            run: c.run.to_string(),
            expected: c.expectation.expected.to_string(),
            reason: c.expectation.reason.into(),
            verdict: if kind.is_some() { "fail" } else { "pass" }.into(),
            timed_out: c.outcome.verdict.kind() == Some(FailKind::TimedOut),
            miss: matches!(c.expectation.expected, Expected::Miss(_)) && surprise.is_none(),
            kind,
            message,
            executions: c.outcome.executions,
            secs: c.outcome.elapsed.as_secs_f64(),
            surprise,
            schedule: c.outcome.schedule.clone(),
            shortest: None,
            trace_file: None,
            reproduce: reproduce(c.model, c.scenario, c.variant, c.run),
            finding: c.expectation.finding.map(String::from),
            fixes: c.fixes.iter().map(|p| p.to_string()).collect(),
            skipped: None,
            history: c.outcome.history.iter().map(|h| h.to_string()).collect(),
            orders: c.orders.clone(),
            order_dependent: crate::model::order_dependent(&c.orders),
            bound: None,
            graph: c.graph,
        }
    }

    /// The record of a cell this build cannot run, saying why
    /// ([`Record::skipped`]).
    pub fn skipped(
        (model, scenario, variant): (&str, &str, &str),
        run: Run,
        expectation: &crate::model::Expectation,
        why: &str,
    ) -> Record {
        Record {
            model: model.into(),
            scenario: scenario.into(),
            variant: variant.into(),
            run: run.to_string(),
            expected: expectation.expected.to_string(),
            reason: expectation.reason.into(),
            verdict: "skipped".into(),
            reproduce: reproduce(model, scenario, variant, run),
            skipped: Some(why.into()),
            ..Record::default()
        }
    }

    /// One text row: model, scenario, variant, run, expected, verdict,
    /// executions, seconds, and `SURPRISE` when it is one.
    pub fn row(&self) -> String {
        format!(
            "{:<13} {:<24} {:<28} {:<22} {:<34} {:<28} {:>9} {:>8.3}s{}",
            self.model,
            self.scenario,
            self.variant,
            self.run,
            self.expected,
            self.verdict_text(),
            self.executions,
            self.secs,
            self.surprise_mark()
        )
    }

    /// `"  SURPRISE"` for a surprise, else empty.
    pub fn surprise_mark(&self) -> &'static str {
        if self.surprise.is_some() {
            "  SURPRISE"
        } else {
            ""
        }
    }

    /// `fail <kind>`, `pass`, or `skipped`.
    pub fn verdict_text(&self) -> String {
        match (&self.kind, &self.skipped) {
            (Some(k), _) => format!("fail {k}"),
            (None, Some(_)) => "skipped".into(),
            (None, None) => "pass".into(),
        }
    }

    /// The file name of this cell's trace: `model--scenario--variant--run`,
    /// with the run's `/` and `:` made file-safe.
    pub fn trace_name(&self) -> String {
        format!(
            "{}--{}--{}--{}.txt",
            self.model,
            self.scenario,
            self.variant,
            self.run.replace(['/', ':'], "-")
        )
    }
}

/// The command that re-runs one cell and prints its counterexample.
pub fn reproduce(model: &str, scenario: &str, variant: &str, run: Run) -> String {
    match run {
        Run::Loom(p) => format!(
            "{} run --model {model} --scenario {scenario} --variant {variant} --profile {p}",
            build_hint(Backend::Loom)
        ),
        Run::Shuttle(e) => format!(
            "{} run --model {model} --scenario {scenario} --variant {variant} --explorer shuttle --schedules {e}",
            build_hint(Backend::Shuttle)
        ),
        Run::Dpor(m) => format!(
            "{} run --model {model} --scenario {scenario} --variant {variant} --explorer dpor --memory {m}",
            build_hint(Backend::Shuttle)
        ),
        Run::Graph(m) => format!(
            "{} run --model {model} --scenario {scenario} --variant {variant} --explorer graph --memory {m}",
            build_hint(Backend::Shuttle)
        ),
    }
}

impl Report {
    /// The report of one explorer's run that started at `started`.
    pub fn new(
        backend: Backend,
        sel: &[String],
        started: std::time::Instant,
        jobs: usize,
        cells: Vec<Record>,
    ) -> Report {
        Report {
            tool: tool(),
            explorers: vec![backend.name().to_string()],
            selection: sel.to_vec(),
            wall_secs: started.elapsed().as_secs_f64(),
            jobs,
            cells,
        }
    }

    /// Cells that are surprises.
    pub fn surprises(&self) -> impl Iterator<Item = &Record> {
        self.cells.iter().filter(|c| c.surprise.is_some())
    }

    /// True when every cell is as expected (no surprise, no time-out).
    pub fn ok(&self) -> bool {
        self.surprises().next().is_none()
    }

    /// One line: cells, surprises, time-outs, misses, findings, skipped
    /// cells, loom passes with a bounded-history note, wall time.
    pub fn summary(&self) -> String {
        let n = |f: fn(&Record) -> bool| self.cells.iter().filter(|c| f(c)).count();
        let findings = self.findings();
        format!(
            "{} cells ({}), {} surprises, {} timed out, {} recorded misses{}, {} cells under a preemption bound, {} kernel findings ({} cells, {} with every fix passing), {} skipped, {} loom passes with bounded history ({} arm), {} loom cells whose verdict depends on the spawn order (scenarios: {}), {} spawn-order runs over {} loom cells ({} arm), {} of {} graph/arm cells with load buffering, {:.1} s wall",
            self.cells.len(),
            self.explorers.join(" + "),
            n(|c| c.surprise.is_some()),
            n(|c| c.timed_out),
            n(|c| c.miss),
            self.misses_by_column(),
            n(|c| c.bound.is_some()),
            findings.len(),
            n(|c| c.finding.is_some()),
            findings.iter().filter(|f| f.fixed()).count(),
            n(|c| c.skipped.is_some()),
            n(|c| !c.history.is_empty()),
            n(|c| !c.history.is_empty() && c.run == "loom/arm"),
            n(|c| c.order_dependent),
            none_or(self.order_dependent_scenarios().join(", ")),
            self.cells.iter().map(|c| c.orders.len()).sum::<usize>(),
            n(|c| !c.orders.is_empty()),
            self.cells
                .iter()
                .filter(|c| c.run == "loom/arm")
                .map(|c| c.orders.len())
                .sum::<usize>(),
            self.lb_cells(),
            n(|c| c.run == graph_arm()),
            self.wall_secs
        )
    }

    /// The graph/arm cells in which some execution had load buffering
    /// ([`GraphCounts::lb_executions`]).
    pub fn lb_cells(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.run == graph_arm() && c.graph.is_some_and(|g| g.lb_executions > 0))
            .count()
    }

    /// The loom/arm vs graph/arm agreement: one row per (model, scenario,
    /// variant) that has both cells, in the order of the loom/arm cells.
    pub fn agreement(&self) -> Vec<Agreement> {
        let (loom, graph) = (loom_arm(), graph_arm());
        self.cells
            .iter()
            .filter(|l| l.run == loom)
            .filter_map(|l| {
                let g = self.cells.iter().find(|g| {
                    g.run == graph
                        && (&g.model, &g.scenario, &g.variant)
                            == (&l.model, &l.scenario, &l.variant)
                })?;
                Some(Agreement::of(l, g))
            })
            .collect()
    }

    /// `loom/arm vs graph/arm: N pairs, A agree, ...` for `rows` (this
    /// report's [`Report::agreement`]), with the loom/arm cells that have
    /// no graph/arm cell to compare with (a scenario the graph explorer
    /// does not run, `Model::GRAPH_SKIP`, or one not selected).
    fn agreement_counts(&self, rows: &[Agreement]) -> String {
        let n = |s: Agree| rows.iter().filter(|r| r.status == s).count();
        let loom = loom_arm();
        let mut alone: Vec<String> = Vec::new();
        let mut cells = 0;
        for c in self.cells.iter().filter(|c| c.run == loom) {
            let paired = rows.iter().any(|r| {
                (&r.model, &r.scenario, &r.variant) == (&c.model, &c.scenario, &c.variant)
            });
            if !paired {
                cells += 1;
                let name = format!("{} / {}", c.model, c.scenario);
                if !alone.contains(&name) {
                    alone.push(name);
                }
            }
        }
        format!(
            "loom/arm vs graph/arm: {} cell pairs, {} agree, {} differ in verdict, {} differ in failure kind, {} not compared (a cell timed out or was skipped); {cells} loom/arm cells have no graph/arm cell (scenarios: {})",
            rows.len(),
            n(Agree::Agree),
            n(Agree::VerdictDiffers),
            n(Agree::KindDiffers),
            n(Agree::NotCompared),
            none_or(alone.join(", "))
        )
    }

    /// The agreement in lines for the gate's output: the counts, then one
    /// line per cell pair that differs, with both expectations' reasons.
    /// Empty when no (model, scenario, variant) has both cells.
    pub fn agreement_lines(&self) -> Vec<String> {
        let rows = self.agreement();
        if rows.is_empty() {
            return Vec::new();
        }
        let mut out = vec![self.agreement_counts(&rows)];
        for r in rows.iter().filter(|r| r.status.differs()) {
            out.push(format!(
                "{} {} / {} / {}: loom/arm {} (expected {}: {}) vs graph/arm {} (expected {}: {})",
                r.status,
                r.model,
                r.scenario,
                r.variant,
                r.loom,
                r.loom_expected,
                r.loom_reason,
                r.graph,
                r.graph_expected,
                r.graph_reason
            ));
        }
        out
    }

    /// The agreement as Markdown (`lwpcheck report FILE --agreement`, and
    /// a section of `report.md`): the counts, each differing pair with
    /// both expectations and their reasons, then every pair, folded.
    /// Empty when no (model, scenario, variant) has both cells.
    pub fn agreement_markdown(&self) -> String {
        let rows = self.agreement();
        if rows.is_empty() {
            return String::new();
        }
        let mut out = format!(
            "## loom/arm vs graph/arm\n\nThe ARMv8 verdict of each cell from loom (its Arm profile: C11 with loom's bounds) and from the execution-graph explorer (aarch64.cat, the kernels' barriers as AArch64 runs them, no load buffering: `docs/arm.md`). Agree: same verdict and failure kind.\n\n{}\n\n",
            self.agreement_counts(&rows)
        );
        let differ: Vec<&Agreement> = rows.iter().filter(|r| r.status.differs()).collect();
        if !differ.is_empty() {
            let _ = writeln!(
                out,
                "| cell | loom/arm | graph/arm | differ | loom/arm expected, because | graph/arm expected, because |
| --- | --- | --- | --- | --- | --- |"
            );
            for r in &differ {
                let _ = writeln!(
                    out,
                    "| {} / {} / {} | {} | {} | {} | {}: {} | {}: {} |",
                    r.model,
                    r.scenario,
                    r.variant,
                    r.loom,
                    r.graph,
                    r.status,
                    r.loom_expected,
                    r.loom_reason,
                    r.graph_expected,
                    r.graph_reason
                );
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "<details><summary>Every pair ({})</summary>\n\n| cell | loom/arm | graph/arm | |\n| --- | --- | --- | --- |",
            rows.len()
        );
        for r in &rows {
            let _ = writeln!(
                out,
                "| {} / {} / {} | {} | {} | {} |",
                r.model, r.scenario, r.variant, r.loom, r.graph, r.status
            );
        }
        out.push_str("\n</details>\n\n");
        out
    }

    /// The recorded misses per explorer column, ` (loom/arm 12, shuttle 30)`,
    /// empty when there are none.
    fn misses_by_column(&self) -> String {
        let mut cols: Vec<(&str, usize)> = Vec::new();
        for c in self.cells.iter().filter(|c| c.miss) {
            let col = column(&c.run);
            match cols.iter_mut().find(|(k, _)| *k == col) {
                Some(x) => x.1 += 1,
                None => cols.push((col, 1)),
            }
        }
        if cols.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = cols.iter().map(|(k, n)| format!("{k} {n}")).collect();
        format!(" ({})", parts.join(", "))
    }

    /// The loom scenarios (`model / scenario`) with at least one cell whose
    /// spawn orders disagree on the verdict, in report order.
    pub fn order_dependent_scenarios(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.cells.iter().filter(|c| c.order_dependent) {
            let name = format!("{} / {}", c.model, c.scenario);
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// Per loom scenario, the spawn orders its cells ran, as the faithful
    /// cells ran them (or, when the selection has no faithful cell, the
    /// first variant's), in report order.
    pub fn scenario_orders(&self) -> Vec<ScenarioOrders> {
        let mut out: Vec<ScenarioOrders> = Vec::new();
        for c in self.cells.iter().filter(|c| !c.orders.is_empty()) {
            let i = match out
                .iter()
                .position(|s| s.model == c.model && s.scenario == c.scenario)
            {
                Some(i) => i,
                None => {
                    out.push(ScenarioOrders {
                        model: c.model.clone(),
                        scenario: c.scenario.clone(),
                        variant: c.variant.clone(),
                        arm: Vec::new(),
                        x86: Vec::new(),
                        dependent: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let s = &mut out[i];
            if c.order_dependent {
                s.dependent.push(format!("{} {}", c.variant, c.run));
            }
            if s.variant != c.variant && c.variant == "faithful" {
                (s.variant, s.arm, s.x86) = (c.variant.clone(), Vec::new(), Vec::new());
            }
            if s.variant == c.variant {
                match c.run.as_str() {
                    "loom/arm" => s.arm = c.orders.clone(),
                    "loom/x86" => s.x86 = c.orders.clone(),
                    _ => {}
                }
            }
        }
        out
    }

    /// The gate's spawn-order lines: one per loom scenario (its orders and
    /// the executions of each, Arm / X86), then the order-dependent
    /// scenarios. Empty when no loom cell ran.
    pub fn spawn_order_lines(&self) -> Vec<String> {
        let scenarios = self.scenario_orders();
        if scenarios.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<String> = scenarios
            .iter()
            .map(|s| {
                let rows: Vec<String> = s
                    .rows()
                    .iter()
                    .map(|(order, arm, x86)| {
                        format!(
                            "{order} {} / {}",
                            arm.map(|o| o.executions.to_string()).unwrap_or("-".into()),
                            x86.map(|o| o.executions.to_string()).unwrap_or("-".into())
                        )
                    })
                    .collect();
                format!(
                    "spawn orders {} / {} ({} executions, arm / x86): {}",
                    s.model,
                    s.scenario,
                    s.variant,
                    rows.join("; ")
                )
            })
            .collect();
        out.push(format!(
            "order-dependent loom scenarios: {}",
            none_or(self.order_dependent_scenarios().join(", "))
        ));
        out
    }

    /// The "Spawn orders" section of `report.md`: per scenario, each order
    /// with the executions of its faithful cells; then per cell.
    fn spawn_orders_markdown(&self) -> String {
        let mut out = String::new();
        let scenarios = self.scenario_orders();
        if scenarios.is_empty() {
            return out;
        }
        let dependent: Vec<&Record> = self.cells.iter().filter(|c| c.order_dependent).collect();
        let _ = writeln!(
            out,
            "## Spawn orders\n\nloom explores different interleavings for different spawn orders (`docs/loom.md`): each loom cell runs every order of its scenario's racing roles (every permutation up to 3 roles, every rotation above) and fails if any order fails.\n\nScenarios whose cells' orders disagree on the verdict ({}): {}. Cells ({}): {}\n\n| scenario | spawn order | loom/arm: verdict (executions, seconds) | loom/x86 | cells whose verdict depends on the order |\n| --- | --- | --- | --- | --- |",
            self.order_dependent_scenarios().len(),
            none_or(self.order_dependent_scenarios().join("; ")),
            dependent.len(),
            none_or(
                dependent
                    .iter()
                    .map(|c| format!("{} / {} / {} / {}", c.model, c.scenario, c.variant, c.run))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        );
        let cell = |o: Option<&OrderRun>| {
            o.map(|o| format!("{} ({}, {:.1})", o.verdict, o.executions, o.secs))
                .unwrap_or_else(|| "-".into())
        };
        for s in &scenarios {
            for (i, (order, arm, x86)) in s.rows().into_iter().enumerate() {
                let (name, dep) = if i == 0 {
                    (
                        if s.variant == "faithful" {
                            format!("{} / {}", s.model, s.scenario)
                        } else {
                            format!("{} / {} ({})", s.model, s.scenario, s.variant)
                        },
                        none_or(s.dependent.join(", ")),
                    )
                } else {
                    (String::new(), String::new())
                };
                let _ = writeln!(
                    out,
                    "| {name} | {order} | {} | {} | {dep} |",
                    cell(arm),
                    cell(x86)
                );
            }
        }
        let _ = writeln!(
            out,
            "\nPer cell:\n\n| cell | spawn order: verdict (executions) |\n| --- | --- |"
        );
        for c in self.cells.iter().filter(|c| !c.orders.is_empty()) {
            let _ = writeln!(
                out,
                "| {} / {} / {} / {} | {} |",
                c.model,
                c.scenario,
                c.variant,
                c.run,
                c.orders
                    .iter()
                    .map(OrderRun::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        out.push('\n');
        out
    }

    /// The findings: one per page named by a marked cell, in the order the
    /// cells come, with the fix variants of that page (cells whose variant
    /// lists the page in [`Record::fixes`]).
    pub fn findings(&self) -> Vec<FindingSummary> {
        let mut out: Vec<FindingSummary> = Vec::new();
        for c in &self.cells {
            let Some(page) = &c.finding else { continue };
            let i = match out.iter().position(|f| &f.page == page) {
                Some(i) => i,
                None => {
                    out.push(FindingSummary {
                        page: page.clone(),
                        cells: Vec::new(),
                        failing: 0,
                        confirmed: true,
                        fixes: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let f = &mut out[i];
            f.cells.push(format!(
                "{} / {} / {} / {}: {}",
                c.model,
                c.scenario,
                c.variant,
                c.run,
                c.verdict_text()
            ));
            f.confirmed &= c.surprise.is_none();
            f.failing += usize::from(c.verdict == "fail");
        }
        for f in &mut out {
            for c in self.cells.iter().filter(|c| c.fixes.contains(&f.page)) {
                let name = format!("{} / {}", c.model, c.variant);
                let ok = c.surprise.is_none() && c.verdict == "pass";
                match f.fixes.iter_mut().find(|x| x.0 == name) {
                    Some(x) => {
                        x.1 += 1;
                        x.2 &= ok;
                    }
                    None => f.fixes.push((name, 1, ok)),
                }
            }
        }
        out
    }

    /// The findings section of the Markdown report (empty without findings).
    pub fn findings_markdown(&self) -> String {
        let findings = self.findings();
        if findings.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "## Findings\n\nFailures of the kernels' own code that are findings about the real kernels, each with its page and its fix variants (a fix passes when every one of its cells passes as expected).\n\n| finding | marked cells (failing) | as expected | fix variants (cells) | fixes pass |\n| --- | ---: | --- | --- | --- |\n",
        );
        for f in &findings {
            let fixes: Vec<String> = f
                .fixes
                .iter()
                .map(|(n, k, ok)| format!("`{n}` ({k}{})", if *ok { "" } else { ", NOT all pass" }))
                .collect();
            let _ = writeln!(
                out,
                "| [{}]({}) | {} ({}) | {} | {} | {} |",
                f.page.rsplit('/').next().unwrap_or(&f.page),
                f.page,
                f.cells.len(),
                f.failing,
                if f.confirmed { "yes" } else { "**no**" },
                if fixes.is_empty() {
                    "none".to_string()
                } else {
                    fixes.join(", ")
                },
                if f.fixed() { "yes" } else { "**no**" }
            );
        }
        out.push('\n');
        for f in &findings {
            let _ = writeln!(
                out,
                "<details><summary>{}: the marked cells</summary>\n",
                f.page
            );
            for c in &f.cells {
                let _ = writeln!(out, "- {c}");
            }
            let _ = writeln!(out, "\n</details>\n");
        }
        out
    }

    /// The Markdown report: summary, each surprise explained, the slowest
    /// cells, then the matrix (one table per model, folded).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# lwpcheck verdict matrix\n");
        let _ = writeln!(
            out,
            "**{}** — {}\n",
            if self.ok() {
                "as expected"
            } else {
                "SURPRISES"
            },
            self.summary()
        );
        if !self.selection.is_empty() {
            let _ = writeln!(out, "Selection: `{}`\n", self.selection.join(" "));
        }
        let surprises: Vec<&Record> = self.surprises().collect();
        if !surprises.is_empty() {
            let _ = writeln!(out, "## Surprises\n");
            for c in surprises {
                let _ = writeln!(
                    out,
                    "- **{} / {} / {} / {}**: {}\n  - expected {} because: {}\n  - got {}{}\n  - reproduce: `{}`{}",
                    c.model,
                    c.scenario,
                    c.variant,
                    c.run,
                    c.surprise.as_deref().unwrap_or_default(),
                    c.expected,
                    c.reason,
                    c.verdict_text(),
                    c.message
                        .as_deref()
                        .map(|m| format!(": {}", one_line(m)))
                        .unwrap_or_default(),
                    c.reproduce,
                    c.trace_file
                        .as_deref()
                        .map(|t| format!("\n  - trace: `{t}`"))
                        .unwrap_or_default()
                );
            }
            out.push('\n');
        }
        out.push_str(&self.findings_markdown());
        let skipped: Vec<&Record> = self.cells.iter().filter(|c| c.skipped.is_some()).collect();
        if !skipped.is_empty() {
            let _ = writeln!(
                out,
                "## Skipped ({} cells: not run, so neither pass nor surprise)\n",
                skipped.len()
            );
            for c in skipped {
                let _ = writeln!(
                    out,
                    "- {} / {} / {} / {}: {}",
                    c.model,
                    c.scenario,
                    c.variant,
                    c.run,
                    c.skipped.as_deref().unwrap_or_default()
                );
            }
            out.push('\n');
        }
        let bounded: Vec<&Record> = self
            .cells
            .iter()
            .filter(|c| !c.history.is_empty())
            .collect();
        if !bounded.is_empty() {
            let _ = writeln!(
                out,
                "## Bounded history ({} loom passes)\n\nloom 0.7.3 keeps {} values per atomic, the initial one included: in these passes some object received more stores in one execution, so no load read its oldest values (`docs/loom.md`).\n",
                bounded.len(),
                crate::sync::trace::LOOM_HISTORY
            );
            for c in bounded {
                let _ = writeln!(
                    out,
                    "- {} / {} / {} / {}: {}",
                    c.model,
                    c.scenario,
                    c.variant,
                    c.run,
                    c.history.join("; ")
                );
            }
            out.push('\n');
        }
        out.push_str(&self.spawn_orders_markdown());
        out.push_str(&self.agreement_markdown());
        let mut slow: Vec<&Record> = self.cells.iter().collect();
        slow.sort_by(|a, b| b.secs.total_cmp(&a.secs));
        let total: f64 = self.cells.iter().map(|c| c.secs).sum();
        let _ = writeln!(
            out,
            "## The slowest cells\n\nCell time summed: {total:.1} s over {} cells (run {} at a time).\n\n| cell | verdict | executions | seconds |\n| --- | --- | ---: | ---: |",
            self.cells.len(),
            self.jobs.max(1)
        );
        for c in slow.iter().take(8) {
            let _ = writeln!(
                out,
                "| {} / {} / {} / {} | {} | {} | {:.1} |",
                c.model,
                c.scenario,
                c.variant,
                c.run,
                c.verdict_text(),
                c.executions,
                c.secs
            );
        }
        let _ = writeln!(out, "\n## The matrix\n");
        out.push_str(&self.tables());
        out
    }

    /// The matrix, one folded table per model, with a legend.
    pub fn tables(&self) -> String {
        let mut out = String::from("Each cell: the verdict, then (executions or schedules, seconds). `miss`: a recorded explorer miss (the reason is in the model's table). `shortest@N`: loom's counterexample found at preemption bound N. `bounded-history`: a loom pass in which some atomic received more stores in one execution than loom keeps values. `lb N`: a graph cell in which N executions had load buffering (a po ∪ rf cycle). `skipped`: not run in this build.\n\n");
        let mut models: Vec<&str> = Vec::new();
        for c in &self.cells {
            if !models.contains(&c.model.as_str()) {
                models.push(&c.model);
            }
        }
        for m in models {
            let cells: Vec<&Record> = self.cells.iter().filter(|c| c.model == m).collect();
            let rows = matrix_table(&cells);
            let _ = writeln!(
                out,
                "<details><summary><code>{m}</code>: {} rows</summary>\n\n{}\n</details>\n",
                rows.lines().count().saturating_sub(2),
                rows
            );
        }
        out
    }
}

/// `loom/arm`, as reports name the run.
fn loom_arm() -> String {
    Run::Loom(Profile::Arm).to_string()
}

/// `graph/arm`, as reports name the run.
fn graph_arm() -> String {
    Run::Graph(MemoryModel::Arm).to_string()
}

/// How the loom/arm and graph/arm cells of one (model, scenario, variant)
/// compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agree {
    /// Both pass, or both fail with the same kind.
    Agree,
    /// Both fail, with different kinds.
    KindDiffers,
    /// One passes, the other fails.
    VerdictDiffers,
    /// One of them timed out or was skipped: no verdict to compare.
    NotCompared,
}

impl Agree {
    /// True for a pair that differs (in verdict or in failure kind).
    pub fn differs(self) -> bool {
        matches!(self, Agree::KindDiffers | Agree::VerdictDiffers)
    }
}

impl std::fmt::Display for Agree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Agree::Agree => "agree",
            Agree::KindDiffers => "DIFFER (kind)",
            Agree::VerdictDiffers => "DIFFER (verdict)",
            Agree::NotCompared => "not compared",
        })
    }
}

/// One row of the loom/arm vs graph/arm agreement table
/// ([`Report::agreement`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// loom/arm's verdict (`pass`, `fail data-race`, `fail timed-out`).
    pub loom: String,
    /// graph/arm's verdict.
    pub graph: String,
    /// How they compare.
    pub status: Agree,
    /// loom/arm's expected verdict.
    pub loom_expected: String,
    /// Why (the loom table's reason).
    pub loom_reason: String,
    /// graph/arm's expected verdict.
    pub graph_expected: String,
    /// Why (the memory-model table's reason for `arm`: where a
    /// disagreement with loom is explained).
    pub graph_reason: String,
}

impl Agreement {
    /// The row of a loom/arm cell `l` and the graph/arm cell `g` of the
    /// same model, scenario and variant.
    pub fn of(l: &Record, g: &Record) -> Agreement {
        let comparable = |c: &Record| !c.timed_out && c.skipped.is_none();
        let status = if !comparable(l) || !comparable(g) {
            Agree::NotCompared
        } else if l.verdict != g.verdict {
            Agree::VerdictDiffers
        } else if l.kind != g.kind {
            Agree::KindDiffers
        } else {
            Agree::Agree
        };
        Agreement {
            model: l.model.clone(),
            scenario: l.scenario.clone(),
            variant: l.variant.clone(),
            loom: l.verdict_text(),
            graph: g.verdict_text(),
            status,
            loom_expected: l.expected.clone(),
            loom_reason: l.reason.clone(),
            graph_expected: g.expected.clone(),
            graph_reason: g.reason.clone(),
        }
    }
}

/// The column of a run: `loom/arm`, `loom/x86`, or `shuttle` (whose
/// scheduler, which differs by scenario, gets a column of its own).
fn column(run: &str) -> &str {
    if run.starts_with("shuttle/") {
        "shuttle"
    } else {
        run
    }
}

/// The cells as a Markdown table: one row per (model, scenario, variant),
/// one column per explorer run (and the shuttle scheduler); a surprise in
/// bold.
pub fn matrix_table(cells: &[&Record]) -> String {
    let mut cols: Vec<&str> = Vec::new();
    let mut rows: Vec<(&str, &str, &str)> = Vec::new();
    for c in cells {
        if !cols.contains(&column(&c.run)) {
            cols.push(column(&c.run));
        }
        let key = (c.model.as_str(), c.scenario.as_str(), c.variant.as_str());
        if !rows.contains(&key) {
            rows.push(key);
        }
    }
    let shuttle = cols.contains(&"shuttle");
    let mut out = format!(
        "| model | scenario | variant | {}{} |\n",
        cols.join(" | "),
        if shuttle { " | shuttle scheduler" } else { "" }
    );
    let _ = writeln!(
        out,
        "| --- | --- | --- |{}",
        " --- |".repeat(cols.len() + usize::from(shuttle))
    );
    for (m, s, v) in rows {
        let _ = write!(out, "| {m} | {s} | {v} |");
        let mine: Vec<&&Record> = cells
            .iter()
            .filter(|c| (c.model.as_str(), c.scenario.as_str(), c.variant.as_str()) == (m, s, v))
            .collect();
        for col in &cols {
            let text = mine
                .iter()
                .find(|c| column(&c.run) == *col)
                .map(|c| {
                    let mut t = format!("{} ({}, {:.2} s)", c.verdict_text(), c.executions, c.secs);
                    if c.miss {
                        t.push_str(" miss");
                    }
                    if let Some(sh) = c.shortest {
                        let _ = write!(t, " shortest@{}", sh.preemptions);
                    }
                    if !c.history.is_empty() {
                        t.push_str(" bounded-history");
                    }
                    if let Some(g) = c.graph.filter(|g| g.lb_executions > 0) {
                        let _ = write!(t, " lb {}", g.lb_executions);
                    }
                    if c.surprise.is_some() {
                        t = format!("**{t} SURPRISE**");
                    }
                    t
                })
                .unwrap_or_default();
            let _ = write!(out, " {text} |");
        }
        if shuttle {
            let sched = mine
                .iter()
                .find_map(|c| c.run.strip_prefix("shuttle/"))
                .unwrap_or_default();
            let _ = write!(out, " {sched} |");
        }
        out.push('\n');
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Write `report.json` and `report.md` into `dir` (created if needed).
pub fn write(dir: &Path, report: &Report) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    write_file(&dir.join("report.json"), &json)?;
    write_file(&dir.join("report.md"), &report.markdown())
}

/// Write one file, with a one-line error naming it.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Read a `report.json`, with a one-line error if it is missing or not a
/// report.
pub fn read(path: &Path) -> Result<Report, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{} is not an lwpcheck report: {e}", path.display()))
}

/// Join the reports of several explorer runs (each written in its own
/// subfolder of the gate's folder) into one: trace files are re-rooted to
/// the gate's folder.
pub fn merge(parts: Vec<(PathBuf, Report)>, wall_secs: f64) -> Report {
    let mut out = Report {
        tool: tool(),
        wall_secs,
        ..Default::default()
    };
    for (sub, r) in parts {
        out.explorers.extend(r.explorers);
        if out.selection.is_empty() {
            out.selection = r.selection;
        }
        out.jobs = out.jobs.max(r.jobs);
        out.cells.extend(r.cells.into_iter().map(|mut c| {
            c.trace_file = c
                .trace_file
                .map(|t| sub.join(t).to_string_lossy().into_owned());
            c
        }));
    }
    out
}

/// `lwpcheck <version>`.
pub fn tool() -> String {
    format!("lwpcheck {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(model: &str, run: &str, verdict: Option<&str>, surprise: Option<&str>) -> Record {
        Record {
            model: model.into(),
            scenario: "s".into(),
            variant: "v".into(),
            run: run.into(),
            expected: "pass".into(),
            reason: "r".into(),
            verdict: if verdict.is_some() { "fail" } else { "pass" }.into(),
            kind: verdict.map(String::from),
            message: verdict.map(|_| "m <b>".into()),
            executions: 3,
            secs: 0.5,
            surprise: surprise.map(String::from),
            trace_file: Some("traces/x.txt".into()),
            reproduce: "cmd".into(),
            ..Record::default()
        }
    }

    #[test]
    fn findings_are_listed_with_their_fixes() {
        let mut f = rec("m", "loom/arm", Some("data-race"), None);
        f.variant = "faithful".into();
        f.finding = Some("docs/findings/x.md".into());
        let mut ok = rec("m", "loom/arm", None, None);
        ok.variant = "fix".into();
        ok.fixes = vec!["docs/findings/x.md".into()];
        let mut bad = ok.clone();
        bad.run = "loom/x86".into();
        let r = Report {
            tool: tool(),
            explorers: vec!["loom".into()],
            selection: vec![],
            wall_secs: 1.0,
            jobs: 1,
            cells: vec![f.clone(), ok.clone()],
        };
        let fs = r.findings();
        assert_eq!(fs.len(), 1);
        assert!(fs[0].confirmed && fs[0].fixed(), "{fs:?}");
        assert!(r
            .summary()
            .contains("1 kernel findings (1 cells, 1 with every fix passing)"));
        assert!(r
            .markdown()
            .contains("| [x.md](docs/findings/x.md) | 1 (1) | yes | `m / fix` (1) | yes |"));
        // A fix cell that fails: the finding is not fixed.
        bad.verdict = "fail".into();
        let r = Report {
            cells: vec![f, ok, bad],
            ..r
        };
        assert!(!r.findings()[0].fixed());
        assert!(r.summary().contains("0 with every fix passing"));
    }

    #[test]
    fn skipped_cells_and_bounded_history_are_reported_not_passed() {
        let mut skipped = rec("tidhash-epoch", "loom/arm", None, None);
        skipped.verdict = "skipped".into();
        skipped.skipped = Some(crate::explore::CROSSBEAM_LOOM_SKIP.into());
        (skipped.executions, skipped.secs) = (0, 0.0);
        let mut noted = rec("m", "loom/arm", None, None);
        noted.history = vec!["x received up to 8 stores".into()];
        let run = |order: &[&str], verdict: &str, executions| OrderRun {
            order: order.iter().map(|r| r.to_string()).collect(),
            verdict: verdict.into(),
            executions,
            secs: 0.25,
        };
        noted.orders = vec![
            run(&["a", "b"], "pass", 3),
            run(&["b", "a"], "fail assertion", 5),
        ];
        noted.order_dependent = true;
        let r = Report {
            tool: tool(),
            explorers: vec!["loom".into()],
            selection: vec![],
            wall_secs: 1.0,
            jobs: 1,
            cells: vec![skipped.clone(), noted],
        };
        assert!(r.ok(), "a skipped cell is not a surprise");
        assert_eq!(skipped.verdict_text(), "skipped");
        let s = r.summary();
        assert!(
            s.contains("1 skipped, 1 loom passes with bounded history (1 arm)"),
            "{s}"
        );
        let md = r.markdown();
        assert!(md.contains("## Skipped (1 cells"), "{md}");
        assert!(md.contains("--cfg crossbeam_loom"), "{md}");
        assert!(md.contains("## Bounded history (1 loom passes)"), "{md}");
        assert!(md.contains("skipped (0, 0.00 s)"), "{md}");
        assert!(md.contains("pass (3, 0.50 s) bounded-history"), "{md}");
        assert!(
            md.contains("Scenarios whose cells' orders disagree on the verdict (1): m / s. Cells (1): m / s / v / loom/arm"),
            "{md}"
        );
        assert!(
            md.contains("| m / s (v) | a, b | pass (3, 0.2) | - | v loom/arm |\n|  | b, a | fail assertion (5, 0.2) | - |  |"),
            "{md}"
        );
        assert_eq!(
            r.spawn_order_lines(),
            [
                "spawn orders m / s (v executions, arm / x86): a, b 3 / -; b, a 5 / -",
                "order-dependent loom scenarios: m / s"
            ]
        );
        assert!(
            md.contains("| m / s / v / loom/arm | a, b: pass (3); b, a: fail assertion (5) |"),
            "{md}"
        );
        assert!(
            s.contains("1 loom cells whose verdict depends on the spawn order (scenarios: m / s), 2 spawn-order runs over 1 loom cells (2 arm)"),
            "{s}"
        );
        // An older report without the new fields still reads.
        let mut v = serde_json::to_value(&r).unwrap();
        for c in v["cells"].as_array_mut().unwrap() {
            let c = c.as_object_mut().unwrap();
            c.remove("skipped");
            c.remove("history");
        }
        let old: Report = serde_json::from_value(v).unwrap();
        assert_eq!(old.cells[0].skipped, None);
    }

    /// The loom/arm vs graph/arm table on synthetic cells: an agreeing
    /// pair is counted, a disagreement shows both expectations' reasons,
    /// a timed-out cell is not compared, and a cell without its partner
    /// is not a row.
    #[test]
    fn loom_arm_and_graph_arm_cells_are_compared_with_their_reasons() {
        let pair = |variant: &str, loom: Option<&str>, graph: Option<&str>| {
            let mut l = rec("m", "loom/arm", loom, None);
            let mut g = rec("m", "graph/arm", graph, None);
            l.variant = variant.into();
            g.variant = variant.into();
            l.reason = format!("loom reason {variant}");
            g.reason = format!("graph reason {variant}");
            g.expected = graph.map_or("pass".into(), |k| format!("fail {k}"));
            l.expected = loom.map_or("pass".into(), |k| format!("fail {k}"));
            g.graph = Some(GraphCounts {
                graphs: 3,
                blocked: 1,
                lb_executions: 0,
                uncertified: 0,
            });
            [l, g]
        };
        let mut cells = Vec::new();
        cells.extend(pair("faithful", None, None));
        cells.extend(pair("bug", Some("assertion"), Some("assertion")));
        cells.extend(pair("no-barrier", None, Some("assertion")));
        cells.extend(pair("racy", Some("data-race"), Some("assertion")));
        let [l, mut g] = pair("slow", None, None);
        g.timed_out = true;
        g.kind = Some("timed-out".into());
        g.verdict = "fail".into();
        g.graph = Some(GraphCounts {
            graphs: 9,
            blocked: 0,
            lb_executions: 4,
            uncertified: 0,
        });
        cells.extend([l, g]);
        // Only a loom/arm cell, and a dpor cell: no row.
        cells.push(rec("m", "loom/arm", None, None));
        cells.last_mut().unwrap().variant = "loom-only".into();
        cells.push(rec("m", "dpor/sc", None, None));
        let r = Report {
            tool: tool(),
            explorers: vec!["loom".into(), "shuttle".into()],
            selection: vec![],
            wall_secs: 1.0,
            jobs: 1,
            cells,
        };
        let rows = r.agreement();
        let status: Vec<(&str, Agree)> = rows
            .iter()
            .map(|a| (a.variant.as_str(), a.status))
            .collect();
        assert_eq!(
            status,
            [
                ("faithful", Agree::Agree),
                ("bug", Agree::Agree),
                ("no-barrier", Agree::VerdictDiffers),
                ("racy", Agree::KindDiffers),
                ("slow", Agree::NotCompared),
            ]
        );
        let lines = r.agreement_lines();
        assert_eq!(
            lines,
            [
                "loom/arm vs graph/arm: 5 cell pairs, 2 agree, 1 differ in verdict, 1 differ in failure kind, 1 not compared (a cell timed out or was skipped); 1 loom/arm cells have no graph/arm cell (scenarios: m / s)",
                "DIFFER (verdict) m / s / no-barrier: loom/arm pass (expected pass: loom reason no-barrier) vs graph/arm fail assertion (expected fail assertion: graph reason no-barrier)",
                "DIFFER (kind) m / s / racy: loom/arm fail data-race (expected fail data-race: loom reason racy) vs graph/arm fail assertion (expected fail assertion: graph reason racy)",
            ]
        );
        let md = r.agreement_markdown();
        assert!(md.starts_with("## loom/arm vs graph/arm\n"), "{md}");
        assert!(
            md.contains("| m / s / no-barrier | pass | fail assertion | DIFFER (verdict) | pass: loom reason no-barrier | fail assertion: graph reason no-barrier |"),
            "{md}"
        );
        assert!(
            !md.contains("| m / s / faithful | pass | pass | agree | pass:"),
            "{md}"
        );
        assert!(
            md.contains("| m / s / faithful | pass | pass | agree |"),
            "{md}"
        );
        assert!(
            md.contains("| m / s / slow | pass | fail timed-out | not compared |"),
            "{md}"
        );
        assert!(!md.contains("loom-only"), "{md}");
        assert!(r.markdown().contains(&md), "report.md holds the table");
        // The load-buffering count: one graph/arm cell of five.
        assert_eq!(r.lb_cells(), 1);
        assert!(
            r.summary()
                .contains("1 of 5 graph/arm cells with load buffering"),
            "{}",
            r.summary()
        );
        assert!(r.tables().contains("fail timed-out (3, 0.50 s) lb 4"));
        // The counters survive report.json; an older report without them
        // still reads.
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&text).unwrap(), r);
        let mut v = serde_json::to_value(&r).unwrap();
        for c in v["cells"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("graph");
        }
        let old: Report = serde_json::from_value(v).unwrap();
        assert_eq!(old.cells[1].graph, None);
        // No pair: no table, no lines.
        let loom_only = Report {
            cells: vec![rec("m", "loom/arm", None, None)],
            ..r
        };
        assert!(loom_only.agreement_lines().is_empty());
        assert!(loom_only.agreement_markdown().is_empty());
    }

    #[test]
    fn graph_cells_reproduce_with_the_graph_explorer() {
        assert_eq!(
            reproduce("lwplock", "s", "faithful", Run::Graph(MemoryModel::Arm)),
            "RUSTFLAGS=\"--cfg shuttle\" cargo run --release -- run --model lwplock --scenario s --variant faithful --explorer graph --memory arm"
        );
    }

    #[test]
    fn json_round_trips_and_merge_reroots_traces() {
        let a = Report {
            tool: tool(),
            explorers: vec!["loom".into()],
            selection: vec![],
            wall_secs: 1.0,
            jobs: 2,
            cells: vec![rec("m", "loom/arm", None, None)],
        };
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&text).unwrap(), a);
        let b = Report {
            explorers: vec!["shuttle".into()],
            cells: vec![rec("m", "shuttle/dfs", Some("deadlock"), Some("why"))],
            ..a.clone()
        };
        let g = merge(vec![("loom".into(), a), ("shuttle".into(), b)], 9.0);
        assert_eq!(g.explorers, ["loom", "shuttle"]);
        assert_eq!(
            g.cells[1].trace_file.as_deref(),
            Some("shuttle/traces/x.txt")
        );
        assert!(!g.ok());
        let md = g.markdown();
        assert!(md.contains("SURPRISES"), "{md}");
        assert!(md.contains("**m / s / v / shuttle/dfs**: why"), "{md}");
        assert!(
            md.contains(
                "| m | s | v | pass (3, 0.50 s) | **fail deadlock (3, 0.50 s) SURPRISE** |"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_report_is_a_one_line_error() {
        let dir = std::env::temp_dir().join(format!("lwpcheck-report-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("report.json");
        fs::write(&p, "{\"cells\": 3}").unwrap();
        let e = read(&p).unwrap_err();
        assert!(
            e.contains("is not an lwpcheck report") && !e.contains('\n'),
            "{e}"
        );
        let e = read(&dir.join("missing.json")).unwrap_err();
        assert!(e.starts_with("cannot read"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
