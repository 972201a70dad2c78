//! `compare --bigger`: for each model the project's explorers run, one
//! cell larger than loom can go ([`crate::model::Model::BIGGER`]: a
//! scenario, with the faithful code or a fix) under DPOR (`sc`, `tso`),
//! the execution-graph explorer (`sc`, `tso`, `rc11`, `arm`) and loom's
//! Arm profile with no preemption bound, one budget for every cell. [`bigger`] writes the
//! table as one Markdown page (`docs/bigger.md`).
//!
//! As [`super::compare`], it runs this package once per build through
//! `cargo run --release`: the shuttle build runs the DPOR and graph cells,
//! the loom build the loom cells ([`cells`], sharded over processes). The
//! loom cell runs the roles in their declared order only: one run of the
//! budget, not one per spawn order.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::explore::Bounds;
use crate::model::{Bigger, GraphCounts, Run};
use crate::sync::{Backend, MemoryModel, Profile};
use crate::tool::compare::{cargo_run, machine, read_rows, sharded, today, Measure};
use crate::tool::registry::{self, DporJob, Entry, Request};

/// The table's columns, in order: the shuttle build's, then loom's.
pub const COLUMNS: [&str; 7] = [
    "dpor/sc",
    "dpor/tso",
    "graph/sc",
    "graph/tso",
    "graph/rc11",
    "graph/arm",
    "loom/arm",
];

/// The default budget of every cell.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(60);

/// One cell: a model's bigger scenario and variant under one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BiggerCell {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// One of [`COLUMNS`].
    pub column: String,
    /// Its verdict, executions and seconds.
    pub measure: Measure,
    /// The execution-graph explorer's counters (graph cells only).
    pub graph: Option<GraphCounts>,
}

/// Every model with a bigger cell, and it.
fn scenarios() -> Vec<(Entry, Bigger)> {
    registry::all()
        .into_iter()
        .filter_map(|e| e.bigger.map(|b| (e.clone(), b)))
        .collect()
}

/// The columns this build runs.
fn columns() -> &'static [&'static str] {
    match Backend::ACTIVE {
        Backend::Shuttle => &COLUMNS[..6],
        Backend::Loom => &COLUMNS[6..],
        Backend::Std => &[],
    }
}

/// Run one cell of `column` (one of [`COLUMNS`]).
fn run(entry: &Entry, b: Bigger, column: &str, budget: Duration) -> Result<BiggerCell, String> {
    let Bigger {
        scenario, variant, ..
    } = b;
    let (explorer, memory) = column
        .split_once('/')
        .ok_or_else(|| format!("bad column '{column}'"))?;
    let (outcome, graph) = match explorer {
        "dpor" => {
            let job = DporJob {
                memory: memory.into(),
                dfs: false,
                budget,
            };
            ((entry.dpor)(scenario, variant, &job)?, None)
        }
        "graph" => {
            let model: MemoryModel = memory.parse()?;
            let mut r = Request::new(scenario, variant, Run::Graph(model));
            r.budget = Some(budget);
            let cell = (entry.run)(&r)?;
            (cell.outcome, cell.graph)
        }
        "loom" => {
            let profile: Profile = memory.parse()?;
            let mut r = Request::new(scenario, variant, Run::Loom(profile));
            r.bounds = Some(Bounds::default());
            r.budget = Some(budget);
            r.spawn_order = Some(Vec::new());
            ((entry.run)(&r)?.outcome, None)
        }
        other => return Err(format!("bad column '{other}'")),
    };
    Ok(BiggerCell {
        model: entry.name.into(),
        scenario: scenario.into(),
        variant: variant.into(),
        column: column.into(),
        measure: Measure::of(&outcome, budget),
        graph,
    })
}

/// This build's cells (or those of shard `i` of `n`: cells i, i+n, ...),
/// each under `budget`; `progress` gets a line per cell.
pub fn cells(
    budget: Duration,
    shard: Option<(usize, usize)>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<BiggerCell>, String> {
    if Backend::ACTIVE == Backend::Std {
        return Err(format!(
            "the bigger cells run in the shuttle build ({} compare-bigger-cells) and the loom build ({} compare-bigger-cells)",
            registry::build_hint(Backend::Shuttle),
            registry::build_hint(Backend::Loom)
        ));
    }
    let all: Vec<(Entry, Bigger, &str)> = scenarios()
        .into_iter()
        .flat_map(|(e, b)| columns().iter().map(move |&c| (e.clone(), b, c)))
        .collect();
    let total = all.len();
    let mut out = Vec::new();
    for (k, (entry, b, column)) in all.into_iter().enumerate() {
        if shard.is_some_and(|(i, n)| k % n != i) {
            continue;
        }
        let cell = run(&entry, b, column, budget)?;
        progress(&format!(
            "[{:>2}/{total}] {} {} {} {}: {}",
            k + 1,
            cell.model,
            cell.scenario,
            cell.variant,
            cell.column,
            cell.measure.full()
        ));
        out.push(cell);
    }
    Ok(out)
}

/// This build's cells over `jobs` child processes
/// (`compare-bigger-cells --shard I/N`), in [`cells`]' order.
pub fn cells_sharded(budget: Duration, jobs: usize, dir: &Path) -> Result<Vec<BiggerCell>, String> {
    let args = vec![
        "compare-bigger-cells".to_string(),
        "--budget".into(),
        budget.as_secs().to_string(),
    ];
    sharded(&args, jobs, dir, &format!("bigger-{}", Backend::ACTIVE))
}

/// The bigger table: the shuttle build's cells, then the loom build's
/// (each a `cargo run --release` of this package, `jobs` processes),
/// written as Markdown to `out`; intermediate files go to `work`.
/// `command` is the command line the page says made it.
pub fn bigger(
    budget: Duration,
    jobs: usize,
    work: &Path,
    out: &Path,
    command: &str,
) -> Result<String, String> {
    let started = Instant::now();
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let mut cells = Vec::new();
    for backend in [Backend::Shuttle, Backend::Loom] {
        let file = work.join(format!("bigger-{backend}.json"));
        eprintln!(
            "compare --bigger: the {backend} build's cells (RUSTFLAGS=\"{}\"), {jobs} processes",
            backend.rustflags()
        );
        let args: Vec<String> = vec![
            "compare-bigger-cells".into(),
            "--budget".into(),
            budget.as_secs().to_string(),
            "--jobs".into(),
            jobs.to_string(),
            "--out".into(),
            file.display().to_string(),
        ];
        cargo_run(backend, &args)?;
        let part: Vec<BiggerCell> = read_rows(&file, "compare --bigger file")?;
        cells.extend(part);
    }
    let page = markdown(&Page {
        command,
        date: today(),
        machine: machine(),
        wall_secs: started.elapsed().as_secs_f64(),
        budget,
        cells: &cells,
    });
    crate::tool::report::write_file(out, &page)?;
    Ok(page)
}

/// What the page is made of.
pub struct Page<'a> {
    /// The command that made it.
    pub command: &'a str,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The machine, in a few words.
    pub machine: String,
    /// The whole command's wall time.
    pub wall_secs: f64,
    /// The budget of every cell.
    pub budget: Duration,
    /// The cells, both builds'.
    pub cells: &'a [BiggerCell],
}

/// One cell for the table: `pass, 1,234 exec, 0.52 s` (graph cells with
/// their blocked executions), or `did not finish in 60 s after N
/// executions`.
fn text(c: &BiggerCell) -> String {
    let full = c.measure.full();
    match c.graph {
        Some(g) if !c.measure.timed_out() => format!("{full} ({} blocked)", g.blocked),
        _ => full,
    }
}

/// The page.
pub fn markdown(p: &Page) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Bigger than loom can go\n\n\
         > Generated by `{}` on {} on {}, in {:.0} s. Do not edit: run the command again. \
         Executions are exact and the same on every run (loom's up to where its budget ran out); \
         **seconds vary with the machine's load** (this one is shared).\n",
        p.command, p.date, p.machine, p.wall_secs
    );
    let _ = writeln!(
        o,
        "For each model the project's explorers run, one cell larger than loom can finish \
         without a preemption bound ([`Model::BIGGER`](../src/model.rs): a scenario with the \
         faithful code, or with a fix where loom finishes the faithful code) under every \
         explorer and memory model, {:.0} s per cell:\n\n\
         - **dpor/sc**, **dpor/tso**: the DPOR explorer ([dpor.md](dpor.md)), exhaustive, as the gate runs it.\n\
         - **graph/sc** ... **graph/arm**: the execution-graph explorer ([arm.md](arm.md)), exhaustive \
         (it has no preemption bound), executions and, in brackets, those abandoned as inconsistent. \
         `graph/sc` and `graph/tso` are not gate columns (the DPOR explorer's are those verdicts); \
         they are here to show the explorer's cost under every model. Under `arm` it does not \
         explore load buffering (po ∪ rf cycles; [arm.md](arm.md)).\n\
         - **loom/arm**: loom 0.7.3, Arm profile, no preemption bound, the roles spawned in their \
         declared order only; \"did not finish\" is its count when the budget ran out. A row whose \
         loom cell finished is not bigger than loom: its \"what makes it large\" column says so. The gate runs \
         these scenarios under loom with their own bounds ([models.md](models.md)).\n\
         - tidhash-epoch has no row: shuttle's scheduler, which the DPOR and execution-graph \
         explorers run on, cannot run crossbeam-epoch (its atomics are not the facade's), so \
         loom is the only explorer of that model.\n",
        p.budget.as_secs_f64()
    );
    let _ = writeln!(
        o,
        "| model | scenario | variant | what makes it large | {} |\n| --- | --- | --- | --- |{}",
        COLUMNS.join(" | "),
        " --- |".repeat(COLUMNS.len())
    );
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for c in p.cells {
        let k = (c.model.as_str(), c.scenario.as_str(), c.variant.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (m, s, v) in keys {
        let why = registry::find(m)
            .ok()
            .and_then(|e| e.bigger)
            .map(|b| b.why)
            .unwrap_or("");
        let row: Vec<String> = COLUMNS
            .iter()
            .map(|col| {
                p.cells
                    .iter()
                    .find(|c| c.model == m && c.scenario == s && c.variant == v && c.column == *col)
                    .map(text)
                    .unwrap_or_else(|| "–".into())
            })
            .collect();
        let _ = writeln!(o, "| {m} | {s} | {v} | {why} | {} |", row.join(" | "));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(column: &str, verdict: &str, executions: u64) -> BiggerCell {
        BiggerCell {
            model: "lwplock".into(),
            scenario: "s".into(),
            variant: "faithful".into(),
            column: column.into(),
            measure: Measure {
                verdict: verdict.into(),
                executions,
                secs: 1.5,
                budget: 60.0,
            },
            graph: column.starts_with("graph").then_some(GraphCounts {
                graphs: executions,
                blocked: 3,
                lb_executions: 0,
                uncertified: 0,
            }),
        }
    }

    #[test]
    fn the_page_has_a_row_per_scenario_and_every_column() {
        let cells = vec![
            cell("dpor/sc", "pass", 10),
            cell("graph/arm", "pass", 20),
            cell("loom/arm", "timed-out", 300_000),
        ];
        let page = markdown(&Page {
            command: "cargo run --release -- compare --bigger",
            date: "2026-12-07".into(),
            machine: "2 cores (nproc)".into(),
            wall_secs: 100.0,
            budget: DEFAULT_BUDGET,
            cells: &cells,
        });
        assert!(
            page.contains("Generated by `cargo run --release -- compare --bigger` on 2026-12-07"),
            "{page}"
        );
        assert!(
            page.contains(
                "| dpor/sc | dpor/tso | graph/sc | graph/tso | graph/rc11 | graph/arm | loom/arm |"
            ),
            "{page}"
        );
        assert!(
            page.contains(" | pass, 10 exec, 1.50 s | – | – | – | – | pass, 20 exec, 1.50 s (3 blocked) | did not finish in 60 s after 300000 executions |"),
            "{page}"
        );
        assert!(page.contains("tidhash-epoch has no row"));
    }

    #[test]
    fn every_bigger_scenario_is_a_scenario_of_its_model() {
        for (e, b) in scenarios() {
            assert!((e.scenario)(b.scenario).is_ok(), "{}: {b:?}", e.name);
            assert!((e.check_variant)(b.variant).is_ok(), "{}: {b:?}", e.name);
        }
        let named: Vec<&str> = scenarios().iter().map(|(e, _)| e.name).collect();
        assert_eq!(
            named,
            ["tidhash", "lwplock", "tdfind", "refcount", "zombies"]
        );
    }
}
