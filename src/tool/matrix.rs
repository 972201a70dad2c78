//! The verdict matrix and the gate.
//!
//! [`run`] checks a selection of (model, scenario, variant, profile) cells
//! with the explorer this binary was built for, several cells at a time,
//! compares each verdict with the expectation in the model's own table,
//! searches loom failures for the counterexample with the fewest
//! preemptions, and writes the report (see [`crate::tool::report`]).
//!
//! [`gate`] runs the loom build's matrix and the shuttle build's matrix (each
//! a `cargo run` of this package with the explorer's `RUSTFLAGS`) and merges
//! their reports: the one command CI runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::explore::Verdict;
use crate::model::{Cell, Run};
use crate::sync::{Backend, MemoryModel, Profile};
use crate::tool::registry::{self, Entry, Request};
use crate::tool::report::{self, Record, Report, Shortest};

/// Which cells: every field narrows (all `None`: the whole matrix).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only this model.
    pub model: Option<String>,
    /// Only this scenario (of every selected model that has it; a name no
    /// selected model has is an error).
    pub scenario: Option<String>,
    /// Only this variant.
    pub variant: Option<String>,
    /// Only this loom profile (shuttle cells have none).
    pub profile: Option<String>,
    /// Only part `I/N` (1-based) of the cells: those at positions I, I+N,
    /// ... of the selection, for one CI runner of several.
    pub part: Option<String>,
}

/// `Ok` if `report` holds every cell of the whole matrix (loom and
/// shuttle) exactly once; otherwise a one-line error naming the first
/// missing or repeated cell and the counts.
pub fn check_complete(report: &Report) -> Result<(), String> {
    use std::collections::BTreeMap;
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for b in [Backend::Loom, Backend::Shuttle] {
        for (m, r) in Selection::default().requests(b)? {
            *want
                .entry(format!("{} {} {} {}", m.name, r.scenario, r.variant, r.run))
                .or_default() += 1;
        }
    }
    let total: usize = want.values().sum();
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for c in &report.cells {
        *got.entry(format!(
            "{} {} {} {}",
            c.model, c.scenario, c.variant, c.run
        ))
        .or_default() += 1;
    }
    if let Some((cell, n)) = got.iter().find(|(_, &n)| n > 1) {
        return Err(format!("cell {cell} is in the reports {n} times"));
    }
    if let Some(cell) = got.keys().find(|k| !want.contains_key(*k)) {
        return Err(format!(
            "cell {cell} is in the reports but not in the matrix"
        ));
    }
    if let Some(cell) = want.keys().find(|k| !got.contains_key(*k)) {
        return Err(format!(
            "the reports hold {} of the matrix's {total} cells; missing, first: {cell}",
            report.cells.len()
        ));
    }
    Ok(())
}

/// `I/N` with 1 <= I <= N, as a 0-based slice; `flag` names it in the
/// error.
pub fn parse_slice(flag: &str, text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("{flag} '{text}' is not valid (accepted: I/N with 1 <= I <= N, e.g. 1/2)");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i - 1, n))
}

impl Selection {
    /// The selection as command-line options (for the report and for the
    /// gate's child runs).
    pub fn args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, v) in [
            ("--model", &self.model),
            ("--scenario", &self.scenario),
            ("--variant", &self.variant),
            ("--profile", &self.profile),
            ("--part", &self.part),
        ] {
            if let Some(v) = v {
                out.push(flag.to_string());
                out.push(v.clone());
            }
        }
        out
    }

    /// The cells of this selection for `backend` (loom or shuttle),
    /// every name validated first: an unknown name is a one-line error
    /// listing the accepted ones.
    pub fn requests(&self, backend: Backend) -> Result<Vec<(Entry, Request)>, String> {
        let part = self
            .part
            .as_deref()
            .map(|t| parse_slice("--part", t))
            .transpose()?;
        let models: Vec<Entry> = match &self.model {
            Some(m) => vec![registry::find(m)?],
            None => registry::all(),
        };
        // loom's x86 profile only approximates x86-TSO; where the DPOR
        // explorer checks a model, its `tso` cell is the x86 verdict and
        // the gate runs loom under the arm profile only (a `--profile`
        // still selects either).
        let profile = self.profile.as_deref().map(registry::profile).transpose()?;
        let mut out = Vec::new();
        let mut unknown = None;
        for m in models {
            // A scenario or variant name another model lacks narrows to the
            // models that have it; unknown to all of them, it is an error.
            let names = self
                .scenario
                .as_ref()
                .map(|s| (m.scenario)(s).map(|_| ()))
                .into_iter()
                .chain(self.variant.as_ref().map(|v| (m.check_variant)(v)));
            if let Some(Err(e)) = names.into_iter().find(Result::is_err) {
                if self.model.is_some() {
                    return Err(e);
                }
                unknown.get_or_insert(e);
                continue;
            }
            if backend == Backend::Shuttle {
                if let Some(why) = m.no_shuttle {
                    if self.model.is_some() {
                        return Err(format!("model {} is not checked by shuttle: {why}", m.name));
                    }
                    continue;
                }
            }
            let variants = (m.variants)();
            for sc in (m.scenarios)()
                .into_iter()
                .filter(|x| self.scenario.as_deref().is_none_or(|s| s == x.name))
            {
                let runs: Vec<Run> = match backend {
                    Backend::Loom => match profile {
                        Some(p) => vec![Run::Loom(p)],
                        None if m.no_shuttle.is_some() => {
                            Profile::ALL.iter().map(|&p| Run::Loom(p)).collect()
                        }
                        None => vec![Run::Loom(Profile::Arm)],
                    },
                    // shuttle, the DPOR explorer's sc and tso, the
                    // execution-graph explorer's rc11 and arm (each once:
                    // both are exhaustive, with no bound) unless the model
                    // says why not for this scenario (Model::GRAPH_SKIP).
                    Backend::Shuttle => std::iter::once(Run::Shuttle(sc.shuttle))
                        .chain(MemoryModel::ALL.iter().map(|&mm| Run::Dpor(mm)))
                        .chain(
                            Run::GRAPH_COLUMNS
                                .iter()
                                .filter(|_| sc.graph_skip.is_none())
                                .map(|&mm| Run::Graph(mm)),
                        )
                        .collect(),
                    Backend::Std => return Err(no_explorer()),
                };
                for run in runs {
                    for (v, _) in variants
                        .iter()
                        .filter(|(x, _)| self.variant.as_deref().is_none_or(|w| w == *x))
                    {
                        out.push((m.clone(), Request::new(sc.name, v, run)));
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(unknown.unwrap_or_else(|| "no cell matches the selection".into()));
        }
        if let Some((i, n)) = part {
            out = out.into_iter().skip(i).step_by(n).collect();
        }
        Ok(out)
    }
}

/// How to run the matrix.
#[derive(Clone, Debug)]
pub struct Options {
    /// Cells checked at once (each check is single-threaded).
    pub jobs: usize,
    /// Write `report.json`, `report.md` and `traces/` here.
    pub out: Option<PathBuf>,
    /// For loom failures, search for the counterexample with the fewest
    /// preemptions.
    pub shortest: bool,
    /// Run only shard `i` of `n` (0-based), cells `i`, `i + n`, ...: what
    /// each child process of a parallel matrix runs.
    pub shard: Option<(usize, usize)>,
}

/// The number of cores, the default for `jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The backend this binary was built for, or a one-line error saying how
/// to build one with an explorer.
pub fn backend() -> Result<Backend, String> {
    match Backend::ACTIVE {
        Backend::Std => Err(no_explorer()),
        b => Ok(b),
    }
}

fn no_explorer() -> String {
    format!(
        "this binary was built without an explorer; run the matrix as: {} matrix (or the shuttle build: {} matrix), or run both with: cargo run --release -- gate",
        registry::build_hint(Backend::Loom),
        registry::build_hint(Backend::Shuttle)
    )
}

/// Run the selected cells with this binary's explorer, with progress on
/// stderr; write the report if asked. Returns the report (cells in
/// selection order).
///
/// With `jobs` above 1 the cells are split round-robin over that many
/// child processes of this binary (`matrix --shard I/N`), whose reports are
/// merged. Processes, not threads: loom maps and unmaps a stack for every
/// simulated thread of every execution, and two checks in one process
/// contend on the address space (measured: a 10 s cell took 31-37 s with
/// two worker threads, and 10-11 s as two processes).
pub fn run(sel: &Selection, opts: &Options) -> Result<Report, String> {
    let backend = backend()?;
    let requests = sel.requests(backend)?;
    if let (Some(dir), None) = (&opts.out, opts.shard) {
        // Trace files of an earlier run would otherwise outlive their cells.
        let traces = dir.join("traces");
        if traces.exists() {
            std::fs::remove_dir_all(&traces)
                .map_err(|e| format!("cannot clear {}: {e}", traces.display()))?;
        }
    }
    if let (None, Some(skip)) = (opts.shard, crate::explore::crossbeam_skip()) {
        let n = requests
            .iter()
            .filter(|(e, r)| e.needs_crossbeam_loom && matches!(r.run, Run::Loom(_)))
            .count();
        if n > 0 {
            eprintln!("matrix: {n} cells {skip}");
        }
    }
    if opts.jobs > 1 && opts.shard.is_none() && requests.len() > 1 {
        return run_sharded(sel, opts, backend, requests.len());
    }
    let requests: Vec<(Entry, Request)> = match opts.shard {
        None => requests,
        Some((i, n)) => requests
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n == i)
            .map(|(_, r)| r)
            .collect(),
    };
    let tag = opts
        .shard
        .map(|(i, n)| format!("shard {}/{n} ", i + 1))
        .unwrap_or_default();
    let total = requests.len();
    let started = Instant::now();
    let mut cells = Vec::with_capacity(total);
    for (i, (entry, req)) in requests.iter().enumerate() {
        let name = format!(
            "{} {} {} {}",
            entry.name, req.scenario, req.variant, req.run
        );
        let rec = check_cell(entry, req, opts)?;
        eprintln!(
            "[{tag}{:>3}/{total} {:>4.0}s] {name}: {} ({} executions, {:.2} s{}{}){}",
            i + 1,
            started.elapsed().as_secs_f64(),
            rec.verdict_text(),
            rec.executions,
            rec.secs,
            rec.graph
                .map(|g| format!(
                    "; {} graphs, {} blocked, {} with load buffering, {} uncertified",
                    g.graphs, g.blocked, g.lb_executions, g.uncertified
                ))
                .unwrap_or_default(),
            if rec.orders.len() > 1 {
                format!(
                    "; {} spawn orders: {}",
                    rec.orders.len(),
                    rec.orders
                        .iter()
                        .map(|o| format!("{} {}", o.executions, o.verdict))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            },
            rec.surprise_mark()
        );
        cells.push(rec);
    }
    let report = Report::new(backend, &sel.args(), started, 1, cells);
    match (&opts.out, opts.shard) {
        (Some(dir), None) => report::write(dir, &report)?,
        (Some(dir), Some((i, n))) => {
            let json = serde_json::to_string(&report).map_err(|e| e.to_string())?;
            report::write_file(&shard_file(dir, i, n), &json)?;
        }
        (None, _) => {}
    }
    Ok(report)
}

fn shard_file(dir: &Path, i: usize, n: usize) -> PathBuf {
    dir.join(format!("shard-{}-of-{n}.json", i + 1))
}

/// Run the matrix as `jobs` child processes, one shard each, and merge.
fn run_sharded(
    sel: &Selection,
    opts: &Options,
    backend: Backend,
    cells: usize,
) -> Result<Report, String> {
    let n = opts.jobs.min(cells);
    let started = Instant::now();
    let tmp;
    let dir = match &opts.out {
        Some(d) => d.clone(),
        None => {
            tmp = std::env::temp_dir().join(format!("lwpcheck-matrix-{}", std::process::id()));
            tmp.clone()
        }
    };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut children = Vec::new();
    for i in 0..n {
        let mut cmd = Command::new(&exe);
        cmd.args(["matrix", "--shard", &format!("{}/{n}", i + 1), "--out"])
            .arg(&dir)
            .args(sel.args())
            .stdout(Stdio::null());
        if !opts.shortest {
            cmd.arg("--first");
        }
        children.push(
            cmd.spawn()
                .map_err(|e| format!("cannot start {}: {e}", exe.display()))?,
        );
    }
    let mut failed = None;
    for (i, mut c) in children.into_iter().enumerate() {
        let status = c.wait().map_err(|e| e.to_string())?;
        // 0: as expected; 1: surprises, which are in the shard's report.
        if !matches!(status.code(), Some(0 | 1)) && failed.is_none() {
            failed = Some(format!(
                "matrix shard {}/{n} failed ({status}); its output is above",
                i + 1
            ));
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let mut shards = Vec::new();
    for i in 0..n {
        let f = shard_file(&dir, i, n);
        shards.push(report::read(&f)?);
        let _ = std::fs::remove_file(&f);
    }
    // Back into selection order: shard i holds cells i, i+n, i+2n, ...
    let mut cells_in_order = Vec::with_capacity(cells);
    let mut iters: Vec<_> = shards.into_iter().map(|r| r.cells.into_iter()).collect();
    for k in 0..cells {
        if let Some(c) = iters[k % n].next() {
            cells_in_order.push(c);
        }
    }
    let report = Report::new(backend, &sel.args(), started, n, cells_in_order);
    match &opts.out {
        Some(d) => report::write(d, &report)?,
        None => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(report)
}

/// Check one cell; on a failure, find the shortest counterexample (loom)
/// and write the trace file.
fn check_cell(entry: &Entry, req: &Request, opts: &Options) -> Result<Record, String> {
    if let (Run::Loom(_), true, Some(skip)) = (
        req.run,
        entry.needs_crossbeam_loom,
        crate::explore::crossbeam_skip(),
    ) {
        let exp = (entry.expectation)(&req.scenario, &req.variant, req.run)?;
        return Ok(Record::skipped(
            (entry.name, &req.scenario, &req.variant),
            req.run,
            &exp,
            skip,
        ));
    }
    let cell = (entry.run)(req)?;
    let mut rec = Record::of(&cell);
    if let Run::Loom(_) = req.run {
        rec.bound = req
            .bounds
            .unwrap_or((entry.scenario)(&req.scenario)?.loom_bounds)
            .preemptions;
    }
    if !matches!(cell.outcome.verdict, Verdict::Fail(_)) || rec.timed_out {
        return Ok(rec);
    }
    let mut shown = cell;
    if opts.shortest {
        if let Some((sh, c)) = shortest(entry, req, &shown)? {
            rec.shortest = Some(sh);
            shown = c;
        }
    }
    if let Some(dir) = &opts.out {
        let name = format!("traces/{}", rec.trace_name());
        report::write_file(&dir.join(&name), &trace_text(&rec, &shown))?;
        let title = format!(
            "{} / {} / {} / {}",
            rec.model, rec.scenario, rec.variant, rec.run
        );
        if let Some(page) = crate::view::counterexample_html(&shown.outcome, &title) {
            report::write_file(&dir.join(name.replace(".txt", ".html")), &page)?;
        }
        rec.trace_file = Some(name);
    }
    Ok(rec)
}

/// Unbounded scenarios are searched up to this preemption bound.
pub const SHORTEST_MAX_BOUND: usize = 3;

/// For a loom failure: re-run the cell at preemption bounds 0, 1, ... below
/// the scenario's own bound (or up to [`SHORTEST_MAX_BOUND`] when it has
/// none) and return the first failing run, with the bound that found it.
/// loom explores only executions with at most that many preemptions, and
/// every lower bound passed, so the counterexample has the fewest
/// preemptions any failure has; when every bound below the scenario's own
/// passes, the full run's counterexample is the shortest. The search gets
/// twice the cell's time (at least 10 s); `None` when it runs out of that,
/// or for an unbounded scenario that needs more than
/// [`SHORTEST_MAX_BOUND`] preemptions (the full run's counterexample is
/// kept and the trace file says so).
pub fn shortest(
    entry: &Entry,
    req: &Request,
    cell: &Cell,
) -> Result<Option<(Shortest, Cell)>, String> {
    if !matches!(cell.run, Run::Loom(_)) {
        return Ok(None);
    }
    let own = req
        .bounds
        .unwrap_or((entry.scenario)(&req.scenario)?.loom_bounds);
    let limit = own.preemptions.unwrap_or(SHORTEST_MAX_BOUND + 1);
    let budget = (cell.outcome.elapsed * 2).max(Duration::from_secs(10));
    let start = Instant::now();
    for k in 0..limit {
        let Some(left) = budget.checked_sub(start.elapsed()) else {
            return Ok(None);
        };
        let mut r = req.clone();
        r.bounds = Some(crate::explore::Bounds {
            preemptions: Some(k),
            ..own
        });
        r.budget = Some(left.max(Duration::from_secs(1)));
        let c = (entry.run)(&r)?;
        match &c.outcome.verdict {
            Verdict::Pass => continue,
            Verdict::Fail(f) if f.kind == crate::explore::FailKind::TimedOut => return Ok(None),
            Verdict::Fail(_) => {
                let sh = Shortest {
                    preemptions: k,
                    executions: c.outcome.executions,
                    secs: start.elapsed().as_secs_f64(),
                };
                return Ok(Some((sh, c)));
            }
        }
    }
    // Every bound below the scenario's own passed: the full run's
    // counterexample, found at that bound, is already the shortest.
    Ok(own.preemptions.map(|b| {
        let sh = Shortest {
            preemptions: b,
            executions: cell.outcome.executions,
            secs: start.elapsed().as_secs_f64(),
        };
        (sh, cell.clone())
    }))
}

/// The text of a trace file: the cell, what was expected and why, the
/// verdict, how the shown execution was found, how to reproduce it, then
/// the counterexample.
pub fn trace_text(rec: &Record, shown: &Cell) -> String {
    let mut s = format!(
        "cell:      {} / {} / {} / {}\nexpected:  {} ({})\nverdict:   {}{} ({} executions, {:.3} s)\n",
        rec.model,
        rec.scenario,
        rec.variant,
        rec.run,
        rec.expected,
        rec.reason,
        rec.verdict_text(),
        rec.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default(),
        rec.executions,
        rec.secs
    );
    if let Some(why) = &rec.surprise {
        s.push_str(&format!("SURPRISE:  {why}\n"));
    }
    match rec.shortest {
        Some(sh) => s.push_str(&format!(
            "shown:     the counterexample with the fewest preemptions: {}, execution {} of that run: {}\nreproduce: {} --preemptions {}\n",
            sh.describe(),
            sh.executions,
            shown.outcome.summary_verdict(),
            rec.reproduce,
            sh.preemptions
        )),
        None => s.push_str(&format!(
            "shown:     the first failing execution the explorer reached\nreproduce: {}\n",
            rec.reproduce
        )),
    }
    if let Some(sch) = &rec.schedule {
        s.push_str(&format!(
            "replay:    {} replay --model {} --scenario {} --variant {} --schedule {sch}\n",
            registry::build_hint(Backend::Shuttle),
            rec.model,
            rec.scenario,
            rec.variant
        ));
    }
    s.push('\n');
    s.push_str(&crate::view::counterexample(&shown.outcome));
    s
}

/// Which explorers the gate runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Only {
    /// loom and shuttle.
    Both,
    /// loom only.
    Loom,
    /// shuttle only.
    Shuttle,
}

impl std::str::FromStr for Only {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "loom" => Ok(Only::Loom),
            "shuttle" => Ok(Only::Shuttle),
            "both" => Ok(Only::Both),
            _ => Err(format!(
                "unknown explorer '{s}' (accepted: loom, shuttle, both)"
            )),
        }
    }
}

/// The gate: run the loom and/or shuttle matrix (each its own build, via
/// `cargo run --release`), write each report into `out/<explorer>/` and
/// the merged one into `out/`. Names are validated before anything is
/// built.
pub fn gate(sel: &Selection, only: Only, jobs: usize, out: &Path) -> Result<Report, String> {
    let explorers: &[Backend] = match only {
        Only::Both => &[Backend::Loom, Backend::Shuttle],
        Only::Loom => &[Backend::Loom],
        Only::Shuttle => &[Backend::Shuttle],
    };
    // Validate every name before building anything; keep the explorers
    // that have cells in the selection.
    let mut chosen = Vec::new();
    for &e in explorers {
        match sel.requests(e) {
            Ok(_) => chosen.push(e),
            // A shuttle-less model selected with both explorers: loom only.
            Err(msg) if msg.contains("is not checked by shuttle") && explorers.len() > 1 => {
                eprintln!("gate: no {e} cells in the selection");
            }
            Err(msg) => return Err(msg),
        }
    }
    if chosen.is_empty() {
        return Err("no cell matches the selection".into());
    }
    let started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut parts = Vec::new();
    for e in chosen {
        let dir = out.join(e.name());
        eprintln!(
            "gate: {e} matrix (RUSTFLAGS=\"{}\"), report in {}",
            e.rustflags(),
            dir.display()
        );
        let status = Command::new(&cargo)
            .args(["run", "--release", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .args(["--", "matrix", "--jobs", &jobs.to_string(), "--out"])
            .arg(&dir)
            .args(sel.args())
            .env("RUSTFLAGS", e.rustflags())
            .stdout(Stdio::null())
            .status()
            .map_err(|err| format!("cannot run {cargo}: {err}"))?;
        // 0: as expected; 1: surprises (in the report); anything else: the
        // build or the run itself failed.
        if !matches!(status.code(), Some(0 | 1)) {
            return Err(format!(
                "the {e} matrix did not complete ({status}); its output is above"
            ));
        }
        parts.push((
            PathBuf::from(e.name()),
            report::read(&dir.join("report.json"))?,
        ));
    }
    let merged = report::merge(parts, started.elapsed().as_secs_f64());
    report::write(out, &merged)?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(model: Option<&str>, scenario: Option<&str>, variant: Option<&str>) -> Selection {
        Selection {
            model: model.map(String::from),
            scenario: scenario.map(String::from),
            variant: variant.map(String::from),
            profile: None,
            part: None,
        }
    }

    /// The plain `RUSTFLAGS="--cfg loom"` build (loom's documented command):
    /// crossbeam-epoch's cells are recorded as skipped, never run, and are
    /// neither passes nor surprises.
    #[cfg(all(loom, not(crossbeam_loom)))]
    #[test]
    fn crossbeam_cells_are_skipped_without_crossbeam_loom() {
        let opts = Options {
            jobs: 1,
            out: None,
            shortest: false,
            shard: None,
        };
        let r = run(
            &sel(Some("tidhash-epoch"), Some("grow_vs_lookup"), None),
            &opts,
        )
        .unwrap();
        assert!(!r.cells.is_empty());
        for c in &r.cells {
            assert_eq!(c.verdict_text(), "skipped", "{}", c.row());
            assert_eq!(c.executions, 0);
            assert!(c
                .skipped
                .as_deref()
                .unwrap()
                .contains("--cfg crossbeam_loom"));
        }
        assert!(r.ok(), "a skipped cell is not a surprise");
    }

    fn err(s: Selection, backend: Backend) -> String {
        match s.requests(backend) {
            Ok(r) => panic!("expected an error, got {} cells", r.len()),
            Err(e) => e,
        }
    }

    #[test]
    fn a_scenario_narrows_to_the_models_that_have_it() {
        let r = sel(None, Some("grow_vs_lookup"), None)
            .requests(Backend::Loom)
            .unwrap();
        let mut models: Vec<&str> = r.iter().map(|(m, _)| m.name).collect();
        models.dedup();
        assert_eq!(models, ["tidhash", "tidhash-epoch"]);
        // tidhash's 13 variants under loom/arm only (its x86 verdict is
        // the DPOR explorer's tso cell, in the shuttle build); the epoch
        // model's 3 under both profiles (DPOR cannot check it).
        assert_eq!(r.len(), 13 + 3 * 2);
        assert!(r
            .iter()
            .all(|(m, q)| m.name == "tidhash-epoch" || q.run == Run::Loom(Profile::Arm)));
        let s = sel(None, Some("grow_vs_lookup"), None)
            .requests(Backend::Shuttle)
            .unwrap();
        // shuttle, dpor/sc, dpor/tso, graph/rc11 and graph/arm for each
        // tidhash variant.
        assert_eq!(s.len(), 13 * 5);
        let runs: Vec<String> = s
            .iter()
            .filter(|(_, q)| q.variant == "faithful")
            .map(|(_, q)| q.run.to_string())
            .collect();
        assert_eq!(
            runs[1..],
            ["dpor/sc", "dpor/tso", "graph/rc11", "graph/arm"],
            "{runs:?}"
        );
        let e = err(sel(None, Some("nope"), None), Backend::Loom);
        assert!(
            e.contains("unknown scenario 'nope'") && !e.contains('\n'),
            "{e}"
        );
        let e = err(
            sel(Some("lwplock"), Some("grow_vs_lookup"), None),
            Backend::Loom,
        );
        assert!(e.contains("of model lwplock"), "{e}");
        let e = err(sel(None, None, Some("nope")), Backend::Shuttle);
        assert!(e.contains("'nope'") && e.contains("accepted"), "{e}");
    }

    #[test]
    fn shuttle_skips_models_it_does_not_check_unless_named() {
        let all = sel(None, None, None).requests(Backend::Shuttle).unwrap();
        assert!(all.iter().all(|(m, _)| m.no_shuttle.is_none()));
        let e = err(sel(Some("tidhash-epoch"), None, None), Backend::Shuttle);
        assert!(e.contains("not checked by shuttle"), "{e}");
        let args = sel(Some("tidhash"), None, Some("faithful")).args();
        assert_eq!(args, ["--model", "tidhash", "--variant", "faithful"]);
    }

    /// The parts of a split matrix are disjoint and together the whole; a
    /// merged report passes `check_complete` only when it holds every cell
    /// once.
    #[test]
    fn parts_cover_the_matrix_once_and_completeness_is_checked() {
        let key = |(m, r): &(Entry, Request)| {
            format!("{} {} {} {}", m.name, r.scenario, r.variant, r.run)
        };
        let mut report = Report::default();
        let mut seen = Vec::new();
        for b in [Backend::Loom, Backend::Shuttle] {
            let whole: Vec<String> = Selection::default()
                .requests(b)
                .unwrap()
                .iter()
                .map(key)
                .collect();
            let mut parts: Vec<String> = Vec::new();
            for i in 1..=3 {
                let s = Selection {
                    part: Some(format!("{i}/3")),
                    ..Selection::default()
                };
                assert!(s
                    .args()
                    .ends_with(&["--part".to_string(), format!("{i}/3")]));
                parts.extend(s.requests(b).unwrap().iter().map(key));
            }
            parts.sort();
            let mut w = whole.clone();
            w.sort();
            assert_eq!(parts, w, "{b}: the three parts are the whole matrix, once");
            seen.extend(whole);
        }
        for k in &seen {
            let f: Vec<&str> = k.splitn(4, ' ').collect();
            report.cells.push(Record {
                model: f[0].into(),
                scenario: f[1].into(),
                variant: f[2].into(),
                run: f[3].into(),
                expected: "pass".into(),
                verdict: "pass".into(),
                executions: 1,
                ..Record::default()
            });
        }
        assert_eq!(check_complete(&report), Ok(()));
        let last = report.cells.pop().unwrap();
        let e = check_complete(&report).unwrap_err();
        assert!(e.contains("missing") && !e.contains('\n'), "{e}");
        report.cells.push(last.clone());
        report.cells.push(last);
        assert!(check_complete(&report).unwrap_err().contains("2 times"));
        let e = err(
            Selection {
                part: Some("4/3".into()),
                ..Selection::default()
            },
            Backend::Loom,
        );
        assert!(e.contains("--part '4/3' is not valid"), "{e}");
    }
}
