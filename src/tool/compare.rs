//! The explorers side by side, in one run: for every scenario, the
//! executions and seconds of the faithful code under DPOR/sc, DPOR/tso,
//! plain DFS (sc, no reduction, within a budget) and loom's Arm profile;
//! for every seeded bug, the executions each needed to its first
//! counterexample, and the failure kind. [`compare`] writes it as one
//! Markdown page (`docs/comparison.md`).
//!
//! Like the gate, it runs this package twice through `cargo run
//! --release`, once per build: the shuttle build runs the DPOR and DFS
//! cells ([`dpor_cells`], sharded over processes), the loom build runs the
//! loom matrix restricted to the Arm profile with `--first` (loom stops at
//! its first failing execution, so a failing cell's executions are its
//! executions to the first counterexample).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::explore::{FailKind, Outcome, Verdict};
use crate::sync::Backend;
use crate::tool::matrix::Selection;
use crate::tool::registry::{self, DporJob};
use crate::tool::report::{self, Record};

/// The budgets of one comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budgets {
    /// Per DPOR cell (sc or tso): running out of it is `timed-out`.
    pub dpor: Duration,
    /// Per plain-DFS cell: a faithful run that does not finish in it is
    /// reported as "did not finish in N s after M executions".
    pub dfs: Duration,
    /// Per plain-DFS cell of a seeded bug (to its first counterexample).
    pub dfs_seeded: Duration,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            dpor: Duration::from_secs(60),
            dfs: Duration::from_secs(20),
            dfs_seeded: Duration::from_secs(1),
        }
    }
}

/// One explorer's result on one cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// `pass`, a failure kind (`data-race`), or `timed-out`.
    pub verdict: String,
    /// Executions explored, the failing one included.
    pub executions: u64,
    /// Wall seconds.
    pub secs: f64,
    /// The budget, seconds (for the "did not finish" text).
    pub budget: f64,
}

impl Measure {
    /// The measure of an outcome under `budget`.
    pub fn of(o: &Outcome, budget: Duration) -> Measure {
        Measure {
            verdict: match &o.verdict {
                Verdict::Pass => "pass".into(),
                Verdict::Fail(f) => f.kind.name().into(),
            },
            executions: o.executions,
            secs: o.elapsed.as_secs_f64(),
            budget: budget.as_secs_f64(),
        }
    }

    /// True if the budget ran out.
    pub fn timed_out(&self) -> bool {
        self.verdict == FailKind::TimedOut.name()
    }

    /// For the scenario table: `pass, 1234 exec, 0.52 s`.
    pub fn full(&self) -> String {
        if self.timed_out() {
            return format!(
                "did not finish in {:.0} s after {} executions",
                self.budget, self.executions
            );
        }
        format!(
            "{}, {} exec, {:.2} s",
            self.verdict, self.executions, self.secs
        )
    }

    /// For the seeded-bug table: `12 (assertion)`, `pass (345)`, ...
    fn first(&self) -> String {
        if self.timed_out() {
            return format!("none in {:.0} s ({} exec)", self.budget, self.executions);
        }
        if self.verdict == "pass" {
            return format!("pass ({} exec)", self.executions);
        }
        format!("**{}** ({})", self.executions, self.verdict)
    }
}

/// The shuttle build's results for one (model, scenario, variant).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DporRow {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// DPOR under sequential consistency.
    pub sc: Measure,
    /// DPOR under x86-TSO.
    pub tso: Measure,
    /// Plain DFS under sequential consistency.
    pub dfs: Measure,
}

/// The cells of `sel` the shuttle build can run: (model, scenario,
/// variant), in the matrix's order.
fn cells(sel: &Selection) -> Result<Vec<(registry::Entry, String, String)>, String> {
    Ok(sel
        .requests(Backend::Shuttle)?
        .into_iter()
        .map(|(e, r)| (e, r.scenario, r.variant))
        .collect())
}

/// Shuttle build: run every cell of `sel` (or of shard `i` of `n`, cells
/// i, i+n, ...) under DPOR/sc, DPOR/tso and plain DFS; `progress` gets a
/// line per cell.
pub fn dpor_cells(
    sel: &Selection,
    budgets: Budgets,
    shard: Option<(usize, usize)>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<DporRow>, String> {
    if Backend::ACTIVE != Backend::Shuttle {
        return Err(format!(
            "the DPOR cells run in the shuttle build: {} compare-cells",
            registry::build_hint(Backend::Shuttle)
        ));
    }
    let all = cells(sel)?;
    let total = all.len();
    let mut rows = Vec::new();
    for (k, (entry, scenario, variant)) in all.into_iter().enumerate() {
        if let Some((i, n)) = shard {
            if k % n != i {
                continue;
            }
        }
        let dfs_budget = if variant == "faithful" {
            budgets.dfs
        } else {
            budgets.dfs_seeded
        };
        let run = |memory: &str, dfs: bool, budget: Duration| -> Result<Measure, String> {
            let job = DporJob {
                memory: memory.into(),
                dfs,
                budget,
            };
            Ok(Measure::of(
                &(entry.dpor)(&scenario, &variant, &job)?,
                budget,
            ))
        };
        let row = DporRow {
            model: entry.name.into(),
            sc: run("sc", false, budgets.dpor)?,
            tso: run("tso", false, budgets.dpor)?,
            dfs: run("sc", true, dfs_budget)?,
            scenario,
            variant,
        };
        progress(&format!(
            "[{:>3}/{total}] {} {} {}: sc {}; tso {}; dfs {}",
            k + 1,
            row.model,
            row.scenario,
            row.variant,
            row.sc.full(),
            row.tso.full(),
            row.dfs.full()
        ));
        rows.push(row);
    }
    Ok(rows)
}

/// Shuttle build: [`dpor_cells`] over `jobs` child processes of this
/// binary (`compare-cells --shard I/N`), merged back into the matrix's
/// order. Processes, as the matrix's shards: each check is
/// single-threaded.
pub fn dpor_cells_sharded(
    sel: &Selection,
    budgets: Budgets,
    jobs: usize,
    dir: &Path,
) -> Result<Vec<DporRow>, String> {
    let mut args: Vec<String> = vec!["compare-cells".into()];
    args.extend(budget_args(budgets));
    args.extend(sel.args());
    sharded(&args, jobs, dir, "dpor")
}

/// The rows a child run wrote to `file` (JSON); the error names the file
/// and what it should have been (`what`).
pub(crate) fn read_rows<T: serde::de::DeserializeOwned>(
    file: &Path,
    what: &str,
) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a {what}: {e}", file.display()))
}

/// Run this binary with `args` (a `*-cells` subcommand) as `jobs` child
/// processes, shard `--shard I/N` each writing its rows to
/// `dir/STEM-I-of-N.json` (`--out`), and merge the rows back into the
/// order of the whole: row k is shard k mod N's, as the shards take them.
pub(crate) fn sharded<T: serde::de::DeserializeOwned>(
    args: &[String],
    jobs: usize,
    dir: &Path,
    stem: &str,
) -> Result<Vec<T>, String> {
    let n = jobs.max(1);
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut children = Vec::new();
    for i in 0..n {
        let file = dir.join(format!("{stem}-{}-of-{n}.json", i + 1));
        let mut cmd = Command::new(&exe);
        cmd.args(args)
            .args(["--shard", &format!("{}/{n}", i + 1)])
            .arg("--out")
            .arg(&file)
            .stdout(Stdio::null());
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        children.push((child, file));
    }
    let mut shards = Vec::new();
    for (i, (mut c, file)) in children.into_iter().enumerate() {
        let status = c.wait().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!(
                "{} shard {}/{n} failed ({status}); its output is above",
                args[0],
                i + 1
            ));
        }
        let rows: Vec<T> = read_rows(&file, &format!("{} shard", args[0]))?;
        shards.push(rows.into_iter());
    }
    let mut out = Vec::new();
    for k in 0.. {
        match shards[k % n].next() {
            Some(r) => out.push(r),
            None => break,
        }
    }
    Ok(out)
}

fn budget_args(b: Budgets) -> Vec<String> {
    vec![
        "--dpor-budget".into(),
        b.dpor.as_secs().to_string(),
        "--dfs-budget".into(),
        b.dfs.as_secs().to_string(),
        "--dfs-seeded-budget".into(),
        b.dfs_seeded.as_secs().to_string(),
    ]
}

/// Run `cargo run --release` of this package built for `backend`, with
/// `args`; 0 and 1 (surprises, in the report) are completions.
pub(crate) fn cargo_run(backend: Backend, args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let status = Command::new(&cargo)
        .args(["run", "--release", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .arg("--")
        .args(args)
        .env("RUSTFLAGS", backend.rustflags())
        .stdout(Stdio::null())
        .status()
        .map_err(|err| format!("cannot run {cargo}: {err}"))?;
    if !matches!(status.code(), Some(0 | 1)) {
        return Err(format!(
            "the {backend} run did not complete ({status}); its output is above"
        ));
    }
    Ok(())
}

/// The comparison: the shuttle build's DPOR and DFS cells, then the loom
/// build's Arm matrix (each `cargo run --release` of this package, one
/// after the other, each with `jobs` processes), written as Markdown to
/// `out`; intermediate files go to `work`. `command` is the command line
/// the page says made it.
pub fn compare(
    sel: &Selection,
    budgets: Budgets,
    jobs: usize,
    work: &Path,
    out: &Path,
    command: &str,
) -> Result<String, String> {
    // Validate names before building anything.
    sel.requests(Backend::Loom)?;
    let started = Instant::now();
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let dpor_file = work.join("dpor.json");
    eprintln!(
        "compare: DPOR and DFS cells (RUSTFLAGS=\"{}\"), {jobs} processes",
        Backend::Shuttle.rustflags()
    );
    let mut args: Vec<String> = vec!["compare-cells".into(), "--jobs".into(), jobs.to_string()];
    args.extend(budget_args(budgets));
    args.push("--out".into());
    args.push(dpor_file.display().to_string());
    args.extend(sel.args());
    cargo_run(Backend::Shuttle, &args)?;
    let dpor_secs = started.elapsed().as_secs_f64();
    let rows: Vec<DporRow> = read_rows(&dpor_file, "compare file")?;
    let loom_dir = work.join("loom");
    eprintln!(
        "compare: loom Arm matrix (RUSTFLAGS=\"{}\"), {jobs} processes",
        Backend::Loom.rustflags()
    );
    let mut args: Vec<String> = vec![
        "matrix".into(),
        "--first".into(),
        "--jobs".into(),
        jobs.to_string(),
        "--out".into(),
        loom_dir.display().to_string(),
    ];
    let loom_sel = Selection {
        profile: Some("arm".into()),
        ..sel.clone()
    };
    args.extend(loom_sel.args());
    cargo_run(Backend::Loom, &args)?;
    let loom = report::read(&loom_dir.join("report.json"))?;
    let page = markdown(&Page {
        command,
        date: today(),
        machine: machine(),
        wall_secs: started.elapsed().as_secs_f64(),
        dpor_secs,
        budgets,
        rows: &rows,
        loom: &loom.cells,
    });
    report::write_file(out, &page)?;
    Ok(page)
}

/// What the page is made of.
pub struct Page<'a> {
    /// The command that made it.
    pub command: &'a str,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The machine, in a few words (cores, CPU).
    pub machine: String,
    /// The whole command's wall time.
    pub wall_secs: f64,
    /// The shuttle build's part of it.
    pub dpor_secs: f64,
    /// The budgets used.
    pub budgets: Budgets,
    /// The shuttle build's rows.
    pub rows: &'a [DporRow],
    /// The loom Arm cells.
    pub loom: &'a [Record],
}

/// A loom cell for the tables.
fn loom_text(r: Option<&Record>, first: bool) -> String {
    let Some(r) = r else {
        return "–".into();
    };
    if let Some(why) = &r.skipped {
        return format!("skipped ({why})");
    }
    if r.timed_out {
        return format!("did not finish ({} exec, {:.0} s)", r.executions, r.secs);
    }
    let verdict = r.kind.clone().unwrap_or_else(|| "pass".into());
    if first {
        if verdict == "pass" {
            return format!("pass ({} exec)", r.executions);
        }
        return format!("**{}** ({verdict})", r.executions);
    }
    format!("{verdict}, {} exec, {:.2} s", r.executions, r.secs)
}

/// The page.
pub fn markdown(p: &Page) -> String {
    let mut o = String::new();
    let loom: BTreeMap<(&str, &str, &str), &Record> = p
        .loom
        .iter()
        .map(|r| {
            (
                (r.model.as_str(), r.scenario.as_str(), r.variant.as_str()),
                r,
            )
        })
        .collect();
    let dpor: BTreeMap<(&str, &str, &str), &DporRow> = p
        .rows
        .iter()
        .map(|r| {
            (
                (r.model.as_str(), r.scenario.as_str(), r.variant.as_str()),
                r,
            )
        })
        .collect();
    // Every (model, scenario, variant) either build ran, in loom's order
    // (loom runs every model; shuttle not tidhash-epoch).
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in p.loom {
        let k = (r.model.as_str(), r.scenario.as_str(), r.variant.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for r in p.rows {
        let k = (r.model.as_str(), r.scenario.as_str(), r.variant.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let _ = writeln!(
        o,
        "# The explorers side by side\n\n\
         > Generated by `{}` on {} on {}, in {:.0} s ({:.0} s of it the shuttle build's \
         DPOR and DFS cells). Do not edit: run the command again. Executions are exact \
         and the same on every run; **seconds vary with the machine's load** (this one \
         is shared).\n",
        p.command, p.date, p.machine, p.wall_secs, p.dpor_secs
    );
    let _ = writeln!(
        o,
        "- **DPOR/sc**, **DPOR/tso**: the project's explorer ([dpor.md](dpor.md)), exhaustive \
         (no preemption bound), budget {:.0} s per cell.\n\
         - **plain DFS**: every schedule, no reduction, sequentially consistent (the reference \
         of the differential test), budget {:.0} s for the faithful code and {:.0} s per \
         seeded bug; \"did not finish\" is its count when the budget ran out.\n\
         - **loom Arm**: loom 0.7.3 with the Arm profile, the scenario's own bounds (a bounded \
         scenario is marked), every spawn order of a roles group, as the gate's matrix runs it \
         (`matrix --profile arm --first`); loom skips executions ([loom.md](loom.md)), so its \
         count is not that of an exhaustive search.\n\
         - A model that shuttle does not check (crossbeam-epoch's) has no DPOR or DFS cells (–).\n\
         - Scenarios larger than loom can finish unbounded, under the execution-graph explorer too: \
         [bigger.md](bigger.md) (`compare --bigger`).\n",
        p.budgets.dpor.as_secs_f64(),
        p.budgets.dfs.as_secs_f64(),
        p.budgets.dfs_seeded.as_secs_f64()
    );
    let bounded = |model: &str, scenario: &str| -> String {
        registry::find(model)
            .ok()
            .and_then(|m| (m.scenario)(scenario).ok())
            .and_then(|s| s.loom_bounds.preemptions)
            .map(|b| format!(" (bounded: {b} preemptions)"))
            .unwrap_or_default()
    };
    let _ = writeln!(
        o,
        "## Per scenario: the faithful code\n\n\
         | model | scenario | DPOR/sc | DPOR/tso | plain DFS (sc) | loom Arm |\n\
         | --- | --- | --- | --- | --- | --- |"
    );
    for &(m, s, v) in keys.iter().filter(|k| k.2 == "faithful") {
        let d = dpor.get(&(m, s, v));
        let cell = |f: &dyn Fn(&DporRow) -> String| d.map(|r| f(r)).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            o,
            "| {m} | {s} | {} | {} | {} | {}{} |",
            cell(&|r| r.sc.full()),
            cell(&|r| r.tso.full()),
            cell(&|r| r.dfs.full()),
            loom_text(loom.get(&(m, s, v)).copied(), false),
            bounded(m, s)
        );
    }
    let _ = writeln!(
        o,
        "\n## Per seeded bug: executions to the first counterexample\n\n\
         **N** (kind): the N-th execution failed with that kind; pass (N exec): no execution \
         failed (the bug does not show in this scenario, or not under this memory model); a \
         fix variant is marked (fix).\n\n\
         | model | scenario | variant | DPOR/sc | DPOR/tso | plain DFS (sc) | loom Arm |\n\
         | --- | --- | --- | --- | --- | --- | --- |"
    );
    for &(m, s, v) in keys.iter().filter(|k| k.2 != "faithful") {
        let d = dpor.get(&(m, s, v));
        let cell = |f: &dyn Fn(&DporRow) -> String| d.map(|r| f(r)).unwrap_or_else(|| "–".into());
        let fix = registry::find(m)
            .map(|e| !(e.fixes)(v).is_empty())
            .unwrap_or(false);
        let _ = writeln!(
            o,
            "| {m} | {s} | {v}{} | {} | {} | {} | {}{} |",
            if fix { " (fix)" } else { "" },
            cell(&|r| r.sc.first()),
            cell(&|r| r.tso.first()),
            cell(&|r| r.dfs.first()),
            loom_text(loom.get(&(m, s, v)).copied(), true),
            bounded(m, s)
        );
    }
    o
}

/// Today's date, UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    civil(days)
}

/// Days since 1970-01-01 as a proleptic Gregorian date (H. Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The machine in a few words: `2 cores (nproc), <CPU model>`.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    });
    match cpu {
        Some(c) => format!("{cores} cores (nproc), {c}"),
        None => format!("{cores} cores (nproc)"),
    }
}

/// Where `compare` keeps its intermediate files by default.
pub fn default_work_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/compare")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(19_782), "2024-02-29");
        assert_eq!(civil(20_000), "2024-10-04");
    }

    fn m(verdict: &str, executions: u64) -> Measure {
        Measure {
            verdict: verdict.into(),
            executions,
            secs: 1.5,
            budget: 20.0,
        }
    }

    #[test]
    fn measures_read_as_the_page_says() {
        assert_eq!(m("pass", 12).full(), "pass, 12 exec, 1.50 s");
        assert_eq!(
            m("timed-out", 99).full(),
            "did not finish in 20 s after 99 executions"
        );
        assert_eq!(m("data-race", 7).first(), "**7** (data-race)");
        assert_eq!(m("pass", 7).first(), "pass (7 exec)");
        assert_eq!(m("timed-out", 7).first(), "none in 20 s (7 exec)");
    }

    #[test]
    fn the_page_has_both_tables_and_the_header() {
        let rows = vec![
            DporRow {
                model: "tidhash".into(),
                scenario: "grow_vs_lookup".into(),
                variant: "faithful".into(),
                sc: m("pass", 10),
                tso: m("pass", 20),
                dfs: m("timed-out", 30),
            },
            DporRow {
                model: "tidhash".into(),
                scenario: "grow_vs_lookup".into(),
                variant: "skip-recheck".into(),
                sc: m("assertion", 2),
                tso: m("assertion", 3),
                dfs: m("assertion", 4),
            },
        ];
        let page = markdown(&Page {
            command: "cargo run --release -- compare",
            date: "2024-10-04".into(),
            machine: "2 cores (nproc)".into(),
            wall_secs: 100.0,
            dpor_secs: 60.0,
            budgets: Budgets::default(),
            rows: &rows,
            loom: &[],
        });
        assert!(
            page.contains(
                "Generated by `cargo run --release -- compare` on 2024-10-04 on 2 cores (nproc)"
            ),
            "{page}"
        );
        assert!(page.contains("seconds vary with the machine's load"));
        assert!(page.contains(
            "| tidhash | grow_vs_lookup | pass, 10 exec, 1.50 s | pass, 20 exec, 1.50 s | did not finish in 20 s after 30 executions | – |"
        ), "{page}");
        assert!(page.contains(
            "| tidhash | grow_vs_lookup | skip-recheck | **2** (assertion) | **3** (assertion) | **4** (assertion) | – |"
        ), "{page}");
    }
}
