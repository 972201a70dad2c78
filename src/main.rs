//! `lwpcheck`: list the models, run one cell and print its counterexample,
//! replay a recorded failure, run a slice of the verdict matrix, or run the
//! gate (the whole matrix under loom and shuttle, with reports).
//!
//! `gate` and `list` run from any build (`cargo run --release -- gate`);
//! the other commands need the binary built for an explorer:
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo run --release -- run ...`
//! (loom) or `RUSTFLAGS="--cfg shuttle" cargo run --release -- run ...`.

use std::path::PathBuf;
use std::process::ExitCode;

/// `println!` that ends the program quietly when stdout is closed (`| head`)
/// instead of panicking.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("cannot write to stdout: {e}");
        }
    }};
}

/// `print!`, likewise.
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("cannot write to stdout: {e}");
        }
    }};
}

use clap::{Args, Parser, Subcommand};
use lwpcheck::explore::{Bounds, Schedule, SpawnOrders, Verdict};
use lwpcheck::model::{Cell, Run};
use lwpcheck::sync::Backend;
use lwpcheck::tool::checkpoint::CheckpointFile;
use lwpcheck::tool::matrix::{self, Only, Options, Selection};
use lwpcheck::tool::registry::{self, Request};

#[derive(Parser)]
#[command(
    name = "lwpcheck",
    about = "Model checks of kernel thread-table protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List models, their scenarios and variants.
    List,
    /// Run one cell and print its verdict and, on failure, the counterexample.
    Run(RunArgs),
    /// Replay a recorded failure: a loom checkpoint file (loom build), or a
    /// shuttle or DPOR schedule (shuttle build; needs
    /// --model/--scenario/--variant).
    Replay {
        /// loom checkpoint file written by `run --checkpoint`.
        #[arg(long, value_name = "FILE", conflicts_with = "schedule")]
        checkpoint: Option<PathBuf>,
        /// shuttle schedule (`SEED:STEPS`, as printed with a shuttle
        /// counterexample), a DPOR schedule (`MODEL[+cas][+wakeups]:STEPS`,
        /// e.g. `tso:0.1.c1.1`: replayed under DPOR in that memory model),
        /// or `@FILE` to read either from a file.
        #[arg(long)]
        schedule: Option<String>,
        /// Model name (shuttle replay).
        #[arg(long)]
        model: Option<String>,
        /// Scenario name (shuttle replay).
        #[arg(long)]
        scenario: Option<String>,
        /// Variant name (shuttle replay).
        #[arg(long, default_value = "faithful")]
        variant: String,
    },
    /// For every seeded bug: schedules to the first failure under shuttle
    /// PCT and random (shuttle build, several seeds), beside loom's
    /// executions and time to its first counterexample (from a loom report).
    FirstFailure {
        #[command(flatten)]
        select: Select,
        /// Seeds per shuttle scheduler.
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// A loom matrix report (report.json) to take loom's numbers from.
        #[arg(long, value_name = "FILE")]
        loom_report: Option<PathBuf>,
    },
    /// The explorers side by side (from any build, like `gate`): per
    /// scenario, executions and seconds of the faithful code under
    /// DPOR/sc, DPOR/tso, plain DFS and loom Arm; per seeded bug,
    /// executions to the first counterexample. Writes one Markdown page.
    Compare(CompareArgs),
    /// (Run by `compare` in the shuttle build.) The DPOR and DFS cells,
    /// written as JSON.
    #[command(hide = true)]
    CompareCells(CompareCellsArgs),
    /// (Run by `compare --bigger` in the shuttle and the loom build.) This
    /// build's cells of the bigger-than-loom table, written as JSON.
    #[command(hide = true)]
    CompareBiggerCells(CompareBiggerCellsArgs),
    /// Run herd7 C litmus tests (shuttle build) under the memory models and
    /// print the final states and the verdict as herd7 does, with each
    /// file's expected result (docs/litmus.md); exit 1 on a mismatch.
    Litmus {
        /// The .litmus files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only this memory model: sc, tso, rc11 or arm (default: all four).
        #[arg(long)]
        model: Option<String>,
        /// Seconds per file and model.
        #[arg(long, default_value_t = 60)]
        budget: u64,
    },
    /// Print a gate or matrix report (report.json) again as Markdown.
    Report(ReportArgs),
    /// Run the whole verdict matrix under loom and shuttle (each its own
    /// build, via cargo), write report.md, report.json and one trace file
    /// per failing cell, and exit non-zero on any surprise or time-out.
    Gate {
        #[command(flatten)]
        select: Select,
        /// Only this explorer: loom, shuttle or both.
        #[arg(long, default_value = "both")]
        only: String,
        /// Cells checked at once (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Report folder.
        #[arg(long, default_value = "target/gate")]
        out: PathBuf,
    },
    /// The ordering audit (loom build): weaken each atomic site one step at
    /// a time and report the weakest ordering that still passes, and the
    /// counterexample of each one that fails.
    Audit(AuditArgs),
    /// Run every cell this binary's explorer can run (loom: both profiles;
    /// shuttle: the scenario's schedules), compare with the expectations,
    /// and exit non-zero on any surprise or time-out.
    Matrix {
        #[command(flatten)]
        select: Select,
        /// Print the matrix as a Markdown table (for a README or a pull
        /// request) instead of text rows.
        #[arg(long)]
        markdown: bool,
        /// Cells checked at once (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Write report.json, report.md and traces/ into this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// loom: keep the first counterexample found instead of searching
        /// lower preemption bounds for the shortest.
        #[arg(long)]
        first: bool,
        /// Run only shard I of N (1-based, cells I, I+N, ...) and write its
        /// report as DIR/shard-I-of-N.json: what each process of a parallel
        /// matrix runs.
        #[arg(long, value_name = "I/N", requires = "out")]
        shard: Option<String>,
    },
}

/// The `run` command's arguments.
#[derive(Args)]
struct RunArgs {
    /// Model name (see `list`).
    #[arg(long)]
    model: String,
    /// Scenario name.
    #[arg(long)]
    scenario: String,
    /// Variant name.
    #[arg(long, default_value = "faithful")]
    variant: String,
    /// Explorer: loom, shuttle, dpor (the project's DPOR explorer) or
    /// graph (its execution-graph explorer); dpor and graph run in the
    /// shuttle build.
    #[arg(long, default_value = "loom")]
    explorer: String,
    /// loom profile: arm or x86.
    #[arg(long, default_value = "arm")]
    profile: String,
    /// Memory model: for dpor sc or tso (x86-TSO; default tso), for graph
    /// rc11 or arm (ARMv8; default arm).
    #[arg(long)]
    memory: Option<String>,
    /// loom preemption bound instead of the scenario's (`none`: unbounded;
    /// the graph explorer has none).
    #[arg(long)]
    preemptions: Option<String>,
    /// shuttle explorer instead of the scenario's (random:N[:SEED],
    /// pct:N:DEPTH[:SEED], dfs[:N]).
    #[arg(long)]
    schedules: Option<String>,
    /// loom: show the first failing execution loom reaches, without
    /// searching lower preemption bounds for the shortest one.
    #[arg(long)]
    first: bool,
    /// loom: write the failing execution to this checkpoint file (replay
    /// it with `lwpcheck replay --checkpoint FILE`).
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Print the counterexample flat (one line per event) instead of
    /// one column per thread.
    #[arg(long)]
    flat: bool,
    /// Also write the counterexample as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// loom only: run the atomic operations at FILE:LINE with ORDERING
    /// (relaxed drops a fence; never stronger than written); repeatable.
    /// The variant's expectation then does not apply: the exit status
    /// is the verdict (0 pass, 1 fail).
    #[arg(long, value_name = "FILE:LINE=ORDERING")]
    weaken: Vec<String>,
}

/// The `compare` command's arguments.
#[derive(Args)]
struct CompareArgs {
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// The page to write [default: docs/comparison.md; with --bigger,
    /// docs/bigger.md].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    budget: BudgetArgs,
    /// Processes at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Only the bigger-than-loom table: each model's `Model::BIGGER`
    /// scenario, faithful, under DPOR sc/tso, the execution-graph explorer
    /// sc/tso/rc11/arm and loom Arm with no preemption bound, 60 s per
    /// cell (docs/bigger.md).
    #[arg(long, conflicts_with_all = ["model", "dpor_budget", "dfs_budget", "dfs_seeded_budget"])]
    bigger: bool,
}

/// The `compare-bigger-cells` command's arguments.
#[derive(Args)]
struct CompareBiggerCellsArgs {
    /// The JSON file to write.
    #[arg(long)]
    out: PathBuf,
    /// Only shard I of N.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Processes at once.
    #[arg(long)]
    jobs: Option<usize>,
    /// Seconds per cell.
    #[arg(long, default_value_t = 60)]
    budget: u64,
}

/// The `compare-cells` command's arguments.
#[derive(Args)]
struct CompareCellsArgs {
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// The JSON file to write.
    #[arg(long)]
    out: PathBuf,
    /// Only shard I of N.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Processes at once.
    #[arg(long)]
    jobs: Option<usize>,
    #[command(flatten)]
    budget: BudgetArgs,
}

/// The `report` command's arguments.
#[derive(Args)]
struct ReportArgs {
    /// The report.json files to read; several are merged (the parts of
    /// a gate split over CI runners with `--part`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Only the matrix tables, one per model.
    #[arg(long, conflicts_with = "agreement")]
    tables: bool,
    /// Only the loom/arm vs graph/arm agreement table: per (model,
    /// scenario, variant), both verdicts, and for each pair that differs
    /// both expectations' reasons.
    #[arg(long)]
    agreement: bool,
    /// Fail unless the reports hold every cell of the whole matrix
    /// exactly once (loom and shuttle).
    #[arg(long)]
    complete: bool,
    /// Write the merged report.json and report.md into this folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The `audit` command's arguments.
#[derive(Args)]
struct AuditArgs {
    /// Model name.
    #[arg(long)]
    model: String,
    /// Scenario name.
    #[arg(long)]
    scenario: String,
    /// Only this profile (arm or x86; default both).
    #[arg(long)]
    profile: Option<String>,
    /// Only this site (FILE:LINE); repeatable (default: every site).
    #[arg(long)]
    site: Vec<String>,
    /// Print Markdown tables.
    #[arg(long)]
    markdown: bool,
    /// Print each failing step's counterexample (otherwise the command
    /// that reproduces it).
    #[arg(long)]
    counterexamples: bool,
}

/// Narrow the matrix.
#[derive(Args)]
struct Select {
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// Only this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// Only this variant.
    #[arg(long)]
    variant: Option<String>,
    /// Only this loom profile (arm or x86; shuttle cells have none).
    #[arg(long)]
    profile: Option<String>,
    /// Only part I of N of the selected cells (1-based: cells I, I+N, ...),
    /// for splitting the matrix over several CI runners; `lwpcheck report
    /// --complete` merges the parts' reports.
    #[arg(long, value_name = "I/N")]
    part: Option<String>,
}

impl From<Select> for Selection {
    fn from(s: Select) -> Selection {
        Selection {
            model: s.model,
            scenario: s.scenario,
            variant: s.variant,
            profile: s.profile,
            part: s.part,
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lwpcheck: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Litmus {
            files,
            model,
            budget,
        } => lwpcheck::tool::litmus::command(
            &files,
            model.as_deref(),
            std::time::Duration::from_secs(budget),
            &mut |text| print!("{text}"),
        ),
        Command::Matrix {
            select,
            markdown,
            jobs,
            out,
            first,
            shard,
        } => run_matrix(select.into(), markdown, jobs, out, !first, shard),
        Command::Gate {
            select,
            only,
            jobs,
            out,
        } => {
            let only: Only = only.parse()?;
            let jobs = positive_jobs(jobs)?;
            let r = matrix::gate(&select.into(), only, jobs, &out)?;
            Ok(finish(&r, &out))
        }
        Command::FirstFailure {
            select,
            seeds,
            loom_report,
        } => first_failure(select, seeds, loom_report),
        Command::Compare(a) => compare(a),
        Command::CompareCells(a) => compare_cells(a),
        Command::CompareBiggerCells(a) => compare_bigger_cells(a),
        Command::Report(a) => report(a),
        Command::Replay {
            checkpoint,
            schedule,
            model,
            scenario,
            variant,
        } => replay(checkpoint, schedule, model, scenario, variant),
        Command::Audit(a) => audit(a),
        Command::List => {
            list();
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(a) => run_cell(a),
    }
}

/// `first-failure`: schedules to the first failure per seeded bug.
fn first_failure(
    select: Select,
    seeds: u64,
    loom_report: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let loom = loom_report
        .as_deref()
        .map(lwpcheck::tool::report::read)
        .transpose()?;
    let started = std::time::Instant::now();
    let rows = lwpcheck::tool::firstfail::run(&select.into(), seeds, loom.as_ref(), &mut |l| {
        eprintln!("{l}")
    })?;
    print!("{}", lwpcheck::tool::firstfail::markdown(&rows));
    eprintln!(
        "{} seeded bugs, {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `compare`: the explorers side by side, written to one page.
fn compare(a: CompareArgs) -> Result<ExitCode, String> {
    let CompareArgs {
        model,
        out,
        budget,
        jobs,
        bigger,
    } = a;
    if bigger {
        let out = out.unwrap_or_else(|| PathBuf::from("docs/bigger.md"));
        let command = format!(
            "cargo run --release -- compare --bigger --out {}",
            out.display()
        );
        let started = std::time::Instant::now();
        lwpcheck::tool::bigger::bigger(
            lwpcheck::tool::bigger::DEFAULT_BUDGET,
            positive_jobs(jobs)?,
            &lwpcheck::tool::compare::default_work_dir(),
            &out,
            &command,
        )?;
        eprintln!(
            "compare --bigger: {} written in {:.0} s",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let out = out.unwrap_or_else(|| PathBuf::from("docs/comparison.md"));
    let budgets = budget.budgets()?;
    let BudgetArgs {
        dpor_budget,
        dfs_budget,
        dfs_seeded_budget,
    } = budget;
    let sel = Selection {
        model: model.clone(),
        ..Selection::default()
    };
    let mut command = "cargo run --release -- compare".to_string();
    if let Some(m) = &model {
        command.push_str(&format!(" --model {m}"));
    }
    command.push_str(&format!(" --out {}", out.display()));
    let defaults = lwpcheck::tool::compare::Budgets::default();
    if budgets != defaults {
        command.push_str(&format!(
            " --dpor-budget {dpor_budget} --dfs-budget {dfs_budget} --dfs-seeded-budget {dfs_seeded_budget}"
        ));
    }
    let started = std::time::Instant::now();
    lwpcheck::tool::compare::compare(
        &sel,
        budgets,
        positive_jobs(jobs)?,
        &lwpcheck::tool::compare::default_work_dir(),
        &out,
        &command,
    )?;
    eprintln!(
        "compare: {} written in {:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `compare-cells`: the DPOR and DFS cells of `compare`, as JSON.
fn compare_cells(a: CompareCellsArgs) -> Result<ExitCode, String> {
    use lwpcheck::tool::compare;
    let CompareCellsArgs {
        model,
        out,
        shard,
        jobs,
        budget,
    } = a;
    let budgets = budget.budgets()?;
    let sel = Selection {
        model,
        ..Selection::default()
    };
    write_cells(
        &out,
        shard,
        jobs,
        |jobs, dir| compare::dpor_cells_sharded(&sel, budgets, jobs, dir),
        |shard| compare::dpor_cells(&sel, budgets, shard, &mut |l| eprintln!("{l}")),
    )
}

/// A `*-cells` command's rows, written to `out` as JSON: run as `jobs`
/// child processes (their files beside `out`), or as this process's
/// `--shard` (or all) if it names one or `jobs` is 1.
fn write_cells<T: serde::Serialize>(
    out: &std::path::Path,
    shard: Option<String>,
    jobs: Option<usize>,
    sharded: impl FnOnce(usize, &std::path::Path) -> Result<Vec<T>, String>,
    local: impl FnOnce(Option<(usize, usize)>) -> Result<Vec<T>, String>,
) -> Result<ExitCode, String> {
    let shard = shard
        .map(|t| matrix::parse_slice("--shard", &t))
        .transpose()?;
    let jobs = positive_jobs(jobs)?;
    let rows = if shard.is_none() && jobs > 1 {
        let dir = out
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        sharded(jobs, &dir)?
    } else {
        local(shard)?
    };
    let json = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
    lwpcheck::tool::report::write_file(out, &json)?;
    Ok(ExitCode::SUCCESS)
}

/// `compare-bigger-cells`: this build's cells of `compare --bigger`, as
/// JSON.
fn compare_bigger_cells(a: CompareBiggerCellsArgs) -> Result<ExitCode, String> {
    use lwpcheck::tool::bigger;
    let CompareBiggerCellsArgs {
        out,
        shard,
        jobs,
        budget,
    } = a;
    if budget == 0 {
        return Err(
            "--budget 0 is not valid (accepted: a whole number of seconds, 1 or more)".into(),
        );
    }
    let budget = std::time::Duration::from_secs(budget);
    write_cells(
        &out,
        shard,
        jobs,
        |jobs, dir| bigger::cells_sharded(budget, jobs, dir),
        |shard| bigger::cells(budget, shard, &mut |l| eprintln!("{l}")),
    )
}

/// `report`: a gate or matrix report printed again (several merged).
fn report(a: ReportArgs) -> Result<ExitCode, String> {
    let ReportArgs {
        files,
        tables,
        agreement,
        complete,
        out,
    } = a;
    let r = if let [file] = files.as_slice() {
        lwpcheck::tool::report::read(file)?
    } else {
        let mut parts = Vec::new();
        let mut wall: f64 = 0.0;
        for f in &files {
            let r = lwpcheck::tool::report::read(f)?;
            wall = wall.max(r.wall_secs);
            let dir = f.parent().map(PathBuf::from).unwrap_or_default();
            parts.push((dir, r));
        }
        lwpcheck::tool::report::merge(parts, wall)
    };
    if complete {
        matrix::check_complete(&r)?;
    }
    if let Some(dir) = &out {
        lwpcheck::tool::report::write(dir, &r)?;
    }
    if agreement {
        let table = r.agreement_markdown();
        if table.is_empty() {
            return Err(
                "no (model, scenario, variant) in the report has both a loom/arm and a graph/arm cell"
                    .into(),
            );
        }
        print!("{table}");
    } else if tables {
        print!("{}", r.tables());
    } else {
        print!("{}", r.markdown());
    }
    Ok(exit_for(&r))
}

/// `audit`: the ordering audit.
fn audit(a: AuditArgs) -> Result<ExitCode, String> {
    let profiles = match &a.profile {
        Some(p) => vec![registry::profile(p)?],
        None => lwpcheck::sync::Profile::ALL.to_vec(),
    };
    let opts = lwpcheck::tool::audit::AuditOptions {
        model: a.model,
        scenario: a.scenario,
        profiles,
        sites: a.site,
    };
    let audit = lwpcheck::tool::audit::run(&opts, &mut |l| eprintln!("{l}"))?;
    print!("{}", audit.render(a.markdown, a.counterexamples));
    Ok(ExitCode::SUCCESS)
}

/// `list`: the models, their scenarios (with loom's bounds and spawn
/// orders where restricted) and variants.
fn list() {
    for m in registry::all() {
        println!("model {}", m.name);
        for s in (m.scenarios)() {
            println!("  scenario {:<24} {}", s.name, s.about);
            if s.loom_bounds != Bounds::default() {
                println!(
                    "  {:<33} loom bounds {:?}: {}",
                    "", s.loom_bounds, s.bound_reason
                );
            }
            match s.loom_orders {
                SpawnOrders::Every => {}
                SpawnOrders::Rotations(why) => {
                    println!("  {:<33} loom spawn orders: rotations only: {why}", "")
                }
                SpawnOrders::Declared(why) => {
                    println!("  {:<33} loom spawn orders: as declared only: {why}", "")
                }
            }
            if let Some(why) = s.graph_skip {
                println!(
                    "  {:<33} not a graph/rc11 or graph/arm gate cell: {why}",
                    ""
                );
            }
            if let Some(b) = m.bigger.filter(|b| b.scenario == s.name) {
                println!(
                    "  {:<33} compare --bigger runs it ({}): {}",
                    "", b.variant, b.why
                );
            }
        }
        for (v, about) in (m.variants)() {
            println!("  variant  {v:<28} {about}");
        }
    }
}

/// `run`: one cell, its verdict and, on failure, its counterexample.
fn run_cell(a: RunArgs) -> Result<ExitCode, String> {
    let m = registry::find(&a.model)?;
    let plan = lwpcheck::tool::audit::plan_from_args(&a.weaken)?;
    if !a.weaken.is_empty() && a.explorer != "loom" {
        return Err("--weaken needs the loom explorer".into());
    }
    let info = (m.scenario)(&a.scenario)?;
    let run = explorer_run(&a, info.shuttle)?;
    let bounds = preemption_bounds(a.preemptions.as_deref(), info.loom_bounds)?;
    if !a.weaken.is_empty() && (a.checkpoint.is_some() || a.html.is_some()) {
        return Err("--weaken prints its counterexample only: drop --checkpoint and --html".into());
    }
    if a.checkpoint.is_some() && !matches!(run, Run::Loom(_)) {
        return Err(
            "--checkpoint is loom's: a shuttle failure replays from its schedule (printed with the counterexample)".into(),
        );
    }
    let mut req = Request::new(&a.scenario, &a.variant, run);
    req.bounds = bounds;
    req.plan = plan;
    let cell = (m.run)(&req)?;
    if !a.weaken.is_empty() {
        return show_weakened(&a, &cell);
    }
    println!("{}", lwpcheck::tool::report::Record::of(&cell).row());
    if let Some(g) = cell.graph {
        println!(
            "graph explorer: {} distinct graphs, {} blocked executions, {} with load buffering (a po ∪ rf cycle), {} uncertified",
            g.graphs, g.blocked, g.lb_executions, g.uncertified
        );
    }
    println!(
        "expected: {} ({})",
        cell.expectation.expected, cell.expectation.reason
    );
    let failed = matches!(&cell.outcome.verdict, Verdict::Fail(f) if f.kind != lwpcheck::explore::FailKind::TimedOut);
    if failed {
        show_failure(&a, &m, &req, &cell, info.loom_bounds)?;
    } else if a.checkpoint.is_some() {
        println!("no failure: no checkpoint written");
    }
    if let (false, Some(path)) = (failed, &a.html) {
        eprintln!(
            "lwpcheck: no counterexample, {} not written",
            path.display()
        );
    }
    Ok(match cell.surprise() {
        None => ExitCode::SUCCESS,
        Some(why) => {
            println!("SURPRISE: {why}");
            ExitCode::FAILURE
        }
    })
}

/// The explorer `run --explorer/--profile/--memory/--schedules` asks for.
fn explorer_run(a: &RunArgs, scenario_schedule: Schedule) -> Result<Run, String> {
    registry::cli_run(
        &a.explorer,
        &a.profile,
        a.memory.as_deref(),
        a.schedules.as_deref(),
        scenario_schedule,
    )
}

/// `--preemptions`: a whole number or `none`, over the scenario's bounds.
fn preemption_bounds(arg: Option<&str>, scenario: Bounds) -> Result<Option<Bounds>, String> {
    Ok(match arg {
        None => None,
        Some("none") => Some(Bounds {
            preemptions: None,
            ..scenario
        }),
        Some(n) => Some(Bounds {
            preemptions: Some(n.parse().map_err(|_| {
                format!("--preemptions '{n}' is not valid (accepted: a whole number, or none)")
            })?),
            ..scenario
        }),
    })
}

/// `run --weaken`: the weakened cell's verdict and counterexample; the exit
/// status is the verdict.
fn show_weakened(a: &RunArgs, cell: &Cell) -> Result<ExitCode, String> {
    lwpcheck::tool::audit::check_weakened_sites(
        &a.weaken,
        &cell.outcome.sites,
        &a.model,
        cell.scenario,
    )?;
    println!(
        "{} {} {} {} weakened {}: {}",
        cell.model,
        cell.scenario,
        cell.variant,
        cell.run,
        a.weaken.join(" "),
        cell.outcome.summary()
    );
    let ce = lwpcheck::view::counterexample(&cell.outcome);
    if !ce.is_empty() {
        println!("\n{ce}");
    }
    Ok(match cell.outcome.verdict {
        lwpcheck::explore::Verdict::Pass => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

/// A failing cell of `run`: its counterexample (loom: the one with the
/// fewest preemptions, unless `--first`), as text and optionally HTML, and
/// its checkpoint if asked.
fn show_failure(
    a: &RunArgs,
    m: &registry::Entry,
    req: &Request,
    cell: &Cell,
    scenario_bounds: Bounds,
) -> Result<(), String> {
    let mut shown_bounds = req.bounds;
    let mut shown = None;
    if !a.first {
        if let Some((sh, c)) = matrix::shortest(m, req, cell)? {
            println!(
                "shown: the counterexample with the fewest preemptions, {}, execution {} of that run",
                sh.describe(),
                sh.executions
            );
            shown_bounds = Some(Bounds {
                preemptions: Some(sh.preemptions),
                ..req.bounds.unwrap_or(scenario_bounds)
            });
            shown = Some(c);
        }
    }
    let shown = shown.as_ref().unwrap_or(cell);
    let ce = if a.flat {
        lwpcheck::view::counterexample_flat(&shown.outcome)
    } else {
        lwpcheck::view::counterexample(&shown.outcome)
    };
    println!("\n{ce}");
    if let Some(path) = &a.html {
        let title = format!(
            "{} / {} / {} / {}",
            shown.model, shown.scenario, shown.variant, shown.run
        );
        if let Some(page) = lwpcheck::view::counterexample_html(&shown.outcome, &title) {
            std::fs::write(path, page)
                .map_err(|e| format!("cannot write --html {}: {e}", path.display()))?;
            println!("counterexample page: {}", path.display());
        }
    }
    if let Some(path) = &a.checkpoint {
        let mut r = req.clone();
        r.bounds = shown_bounds;
        lwpcheck::tool::checkpoint::record(m, &r, path)?;
        println!(
            "checkpoint written: {} (replay: {} replay --checkpoint {})",
            path.display(),
            registry::build_hint(Backend::Loom),
            path.display()
        );
    }
    Ok(())
}

/// The `compare` budgets, in seconds.
#[derive(clap::Args, Clone, Copy, Debug)]
struct BudgetArgs {
    /// Seconds per DPOR cell.
    #[arg(long, default_value_t = 60)]
    dpor_budget: u64,
    /// Seconds per plain-DFS cell of the faithful code.
    #[arg(long, default_value_t = 20)]
    dfs_budget: u64,
    /// Seconds per plain-DFS cell of a seeded bug.
    #[arg(long, default_value_t = 1)]
    dfs_seeded_budget: u64,
}

impl BudgetArgs {
    /// The budgets, or a one-line error for a zero.
    fn budgets(self) -> Result<lwpcheck::tool::compare::Budgets, String> {
        for (flag, v) in [
            ("--dpor-budget", self.dpor_budget),
            ("--dfs-budget", self.dfs_budget),
            ("--dfs-seeded-budget", self.dfs_seeded_budget),
        ] {
            if v == 0 {
                return Err(format!(
                    "{flag} 0 is not valid (accepted: a whole number of seconds, 1 or more)"
                ));
            }
        }
        let s = std::time::Duration::from_secs;
        Ok(lwpcheck::tool::compare::Budgets {
            dpor: s(self.dpor_budget),
            dfs: s(self.dfs_budget),
            dfs_seeded: s(self.dfs_seeded_budget),
        })
    }
}

fn positive_jobs(jobs: Option<usize>) -> Result<usize, String> {
    match jobs {
        None => Ok(matrix::default_jobs()),
        Some(0) => Err("--jobs 0 is not valid (accepted: 1 or more)".into()),
        Some(n) => Ok(n),
    }
}

fn run_matrix(
    sel: Selection,
    markdown: bool,
    jobs: Option<usize>,
    out: Option<PathBuf>,
    shortest: bool,
    shard: Option<String>,
) -> Result<ExitCode, String> {
    let shard = shard
        .map(|t| matrix::parse_slice("--shard", &t))
        .transpose()?;
    let opts = Options {
        jobs: if shard.is_some() {
            1
        } else {
            positive_jobs(jobs)?
        },
        out: out.clone(),
        shortest,
        shard,
    };
    let report = matrix::run(&sel, &opts)?;
    if opts.shard.is_some() {
        // A child of a parallel matrix: the parent reports.
        return Ok(exit_for(&report));
    }
    if markdown {
        let cells: Vec<&lwpcheck::tool::report::Record> = report.cells.iter().collect();
        print!("{}", lwpcheck::tool::report::matrix_table(&cells));
    } else {
        for c in &report.cells {
            println!("{}", c.row());
        }
    }
    Ok(match &out {
        Some(dir) => finish(&report, dir),
        None => {
            eprintln!("{}", report.summary());
            exit_for(&report)
        }
    })
}

/// Print the summary and each surprise with its trace file; the exit code.
fn finish(report: &lwpcheck::tool::report::Report, dir: &std::path::Path) -> ExitCode {
    eprintln!("{}", report.summary());
    for l in report.spawn_order_lines() {
        eprintln!("{l}");
    }
    for l in report.agreement_lines() {
        eprintln!("{l}");
    }
    for c in report.surprises() {
        eprintln!(
            "SURPRISE {} / {} / {} / {}: {}{}",
            c.model,
            c.scenario,
            c.variant,
            c.run,
            c.surprise.as_deref().unwrap_or_default(),
            c.trace_file
                .as_deref()
                .map(|t| format!(" (trace: {})", dir.join(t).display()))
                .unwrap_or_default()
        );
    }
    eprintln!(
        "reports: {} and {}",
        dir.join("report.md").display(),
        dir.join("report.json").display()
    );
    exit_for(report)
}

fn exit_for(report: &lwpcheck::tool::report::Report) -> ExitCode {
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn replay(
    checkpoint: Option<PathBuf>,
    schedule: Option<String>,
    model: Option<String>,
    scenario: Option<String>,
    variant: String,
) -> Result<ExitCode, String> {
    let backend = matrix::backend()?;
    match (checkpoint, schedule) {
        (Some(path), None) => {
            if backend != Backend::Loom {
                return Err(format!(
                    "a checkpoint replays under loom: {} replay --checkpoint {}",
                    registry::build_hint(Backend::Loom),
                    path.display()
                ));
            }
            let file = CheckpointFile::read(&path)?;
            for (flag, given, recorded) in [
                ("--model", &model, &file.model),
                ("--scenario", &scenario, &file.scenario),
            ] {
                if given.as_ref().is_some_and(|g| g != recorded) {
                    return Err(format!(
                        "{} was recorded for {flag} {recorded}, not {}",
                        path.display(),
                        given.as_deref().unwrap_or_default()
                    ));
                }
            }
            let cell = lwpcheck::tool::checkpoint::replay(&path, &file)?;
            Ok(show_replay(&cell, Some(&file)))
        }
        (None, Some(sch)) => {
            if backend != Backend::Shuttle {
                return Err(format!(
                    "a schedule replays under shuttle: {} replay --model M --scenario S --variant V --schedule {sch}",
                    registry::build_hint(Backend::Shuttle)
                ));
            }
            let sch = match sch.strip_prefix('@') {
                Some(f) => std::fs::read_to_string(f)
                    .map_err(|e| format!("cannot read schedule file {f}: {e}"))?
                    .trim()
                    .to_string(),
                None => sch,
            };
            let (Some(model), Some(scenario)) = (model, scenario) else {
                return Err(
                    "a shuttle replay needs --model and --scenario (and --variant unless faithful)"
                        .into(),
                );
            };
            if !sch.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "bad schedule '{sch}' (accepted: SEED:STEPS for shuttle, e.g. 42:0.0.1.r.1, or MODEL[+cas][+wakeups]:STEPS for DPOR, e.g. tso:0.1.c1.1)"
                ));
            }
            let m = registry::find(&model)?;
            let run = if registry::is_dpor_schedule(&sch) {
                // A DPOR schedule names its memory model (`tso:0.1.c1.1`);
                // the rest of it is checked when it is decoded.
                let memory = sch.split([':', '+']).next().unwrap_or_default();
                if let Ok(Run::Graph(m)) = Run::graph(memory) {
                    return Err(format!(
                        "bad schedule '{sch}': a graph/{m} cell records no schedule to replay; re-run it, which is deterministic: {} run --model {model} --scenario {scenario} --variant {variant} --explorer graph --memory {m}",
                        registry::build_hint(Backend::Shuttle)
                    ));
                }
                Run::Dpor(lwpcheck::sync::MemoryModel::parse_dpor(memory).map_err(|e| {
                    format!("bad DPOR schedule '{sch}': {e} (accepted: MODEL[+cas][+wakeups]:STEPS, e.g. tso:0.1.c1.1)")
                })?)
            } else {
                Run::Shuttle((m.scenario)(&scenario)?.shuttle)
            };
            let mut req = Request::new(&scenario, &variant, run);
            req.schedule = Some(sch);
            let cell = (m.run)(&req)?;
            Ok(show_replay(&cell, None))
        }
        _ => Err("replay needs --checkpoint FILE (loom) or --schedule SCHEDULE (shuttle)".into()),
    }
}

/// Print a replayed cell; the exit status says whether it failed again.
fn show_replay(cell: &Cell, recorded: Option<&CheckpointFile>) -> ExitCode {
    println!("{}", lwpcheck::tool::report::Record::of(cell).row());
    if let Some(file) = &recorded {
        println!(
            "recorded: {} (the replay reproduced its events exactly)",
            file.failure
        );
    }
    match &cell.outcome.verdict {
        Verdict::Pass => {
            println!(
                "the replayed execution passed: it no longer reproduces the failure in this build"
            );
            ExitCode::FAILURE
        }
        Verdict::Fail(_) => {
            println!("\n{}", lwpcheck::view::counterexample(&cell.outcome));
            ExitCode::SUCCESS
        }
    }
}
