//! `lwpcheck`: list the models, run one cell and print its counterexample,
//! or run a slice of the verdict matrix.
//!
//! Checks need the binary built for an explorer:
//! `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo run --release -- run ...`
//! (loom) or `RUSTFLAGS="--cfg shuttle" cargo run --release -- run ...`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lwpcheck::check::{Bounds, Explorer};
use lwpcheck::model::Run;
use lwpcheck::registry::{self, Request};

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
    Run {
        /// Model name (see `list`).
        #[arg(long)]
        model: String,
        /// Scenario name.
        #[arg(long)]
        scenario: String,
        /// Variant name.
        #[arg(long, default_value = "faithful")]
        variant: String,
        /// Explorer: loom or shuttle.
        #[arg(long, default_value = "loom")]
        explorer: String,
        /// loom profile: arm or x86.
        #[arg(long, default_value = "arm")]
        profile: String,
        /// loom preemption bound instead of the scenario's (`none`: unbounded).
        #[arg(long)]
        preemptions: Option<String>,
        /// shuttle explorer instead of the scenario's (random:N[:SEED],
        /// pct:N:DEPTH[:SEED], dfs[:N]).
        #[arg(long)]
        schedules: Option<String>,
        /// loom only: run the atomic operations at FILE:LINE with ORDERING
        /// (relaxed drops a fence; never stronger than written); repeatable.
        /// The variant's expectation then does not apply: the exit status
        /// is the verdict (0 pass, 1 fail).
        #[arg(long, value_name = "FILE:LINE=ORDERING")]
        weaken: Vec<String>,
    },
    /// The ordering audit (loom build): weaken each atomic site one step at
    /// a time and report the weakest ordering that still passes, and the
    /// counterexample of each one that fails.
    Audit {
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
    },
    /// Run every cell this binary's explorer can run (loom: both profiles;
    /// shuttle: the scenario's schedules), compare with the expectations,
    /// and exit non-zero on any surprise or time-out.
    Matrix {
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
        /// Only this scenario.
        #[arg(long)]
        scenario: Option<String>,
        /// Only this variant.
        #[arg(long)]
        variant: Option<String>,
        /// Only this loom profile (arm or x86).
        #[arg(long)]
        profile: Option<String>,
        /// Print the matrix as a Markdown table (for a README or a pull
        /// request) instead of text rows.
        #[arg(long)]
        markdown: bool,
    },
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
        Command::Matrix {
            model,
            scenario,
            variant,
            profile,
            markdown,
        } => matrix(model, scenario, variant, profile, markdown),
        Command::Audit {
            model,
            scenario,
            profile,
            site,
            markdown,
            counterexamples,
        } => {
            let profiles = match &profile {
                Some(p) => vec![registry::profile(p)?],
                None => lwpcheck::sync::Profile::ALL.to_vec(),
            };
            let opts = lwpcheck::audit::AuditOptions {
                model,
                scenario,
                profiles,
                sites: site,
            };
            let audit = lwpcheck::audit::run(&opts, &mut |l| eprintln!("{l}"))?;
            print!("{}", audit.render(markdown, counterexamples));
            Ok(ExitCode::SUCCESS)
        }
        Command::List => {
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
                }
                for (v, about) in (m.variants)() {
                    println!("  variant  {v:<28} {about}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            model,
            scenario,
            variant,
            explorer,
            profile,
            preemptions,
            schedules,
            weaken,
        } => {
            let m = registry::find(&model)?;
            let plan = lwpcheck::audit::plan_from_args(&weaken)?;
            if !weaken.is_empty() && explorer != "loom" {
                return Err("--weaken needs the loom explorer".into());
            }
            let info = (m.scenario)(&scenario)?;
            let run = match explorer.as_str() {
                "loom" => Run::Loom(registry::profile(&profile)?),
                "shuttle" => Run::Shuttle(match &schedules {
                    Some(s) => s.parse::<Explorer>().map_err(|e| e.0)?,
                    None => info.shuttle,
                }),
                other => {
                    return Err(format!(
                        "unknown explorer '{other}' (accepted: loom, shuttle)"
                    ))
                }
            };
            let bounds = match preemptions.as_deref() {
                None => None,
                Some("none") => Some(Bounds {
                    preemptions: None,
                    ..info.loom_bounds
                }),
                Some(n) => Some(Bounds {
                    preemptions: Some(n.parse().map_err(|_| {
                        format!(
                            "--preemptions '{n}' is not valid (accepted: a whole number, or none)"
                        )
                    })?),
                    ..info.loom_bounds
                }),
            };
            let cell = (m.run)(&Request {
                scenario,
                variant,
                run,
                bounds,
                plan,
            })?;
            if !weaken.is_empty() {
                lwpcheck::audit::check_weakened_sites(
                    &weaken,
                    &cell.outcome.sites,
                    &model,
                    cell.scenario,
                )?;
                println!(
                    "{} {} {} {} weakened {}: {}",
                    cell.model,
                    cell.scenario,
                    cell.variant,
                    cell.run,
                    weaken.join(" "),
                    cell.outcome.summary()
                );
                let ce = cell.outcome.counterexample();
                if !ce.is_empty() {
                    println!("\n{ce}");
                }
                return Ok(match cell.outcome.verdict {
                    lwpcheck::check::Verdict::Pass => ExitCode::SUCCESS,
                    _ => ExitCode::FAILURE,
                });
            }
            println!("{}", cell.row());
            println!(
                "expected: {} ({})",
                cell.expectation.expected, cell.expectation.reason
            );
            let ce = cell.outcome.counterexample();
            if !ce.is_empty() {
                println!("\n{ce}");
            }
            Ok(match cell.surprise() {
                None => ExitCode::SUCCESS,
                Some(why) => {
                    println!("SURPRISE: {why}");
                    ExitCode::FAILURE
                }
            })
        }
    }
}

/// The explorer this binary was built for.
fn explorer() -> Result<&'static str, String> {
    match lwpcheck::sync::BACKEND {
        "std" => Err(format!(
            "this binary was built without an explorer; run it as: {} matrix (or the shuttle build: {} matrix)",
            registry::build_hint("loom"),
            registry::build_hint("shuttle")
        )),
        b => Ok(b),
    }
}

fn matrix(
    model: Option<String>,
    scenario: Option<String>,
    variant: Option<String>,
    profile: Option<String>,
    markdown: bool,
) -> Result<ExitCode, String> {
    let explorer = explorer()?;
    let models: Vec<registry::Entry> = match &model {
        Some(m) => vec![registry::find(m)?],
        None => registry::all(),
    };
    let profiles = match &profile {
        Some(p) => vec![registry::profile(p)?],
        None => lwpcheck::sync::Profile::ALL.to_vec(),
    };
    // Validate the narrowing names up front, against every selected model.
    let mut requests = Vec::new();
    for m in &models {
        if explorer == "shuttle" {
            if let Some(why) = m.no_shuttle {
                if model.is_some() {
                    return Err(format!("model {} is not checked by shuttle: {why}", m.name));
                }
                continue;
            }
        }
        if let Some(s) = &scenario {
            (m.scenario)(s)?;
        }
        if let Some(v) = &variant {
            (m.check_variant)(v)?;
        }
        let scenarios = (m.scenarios)();
        let variants = (m.variants)();
        for sc in scenarios
            .iter()
            .filter(|x| scenario.as_deref().is_none_or(|s| s == x.name))
        {
            let runs: Vec<Run> = match explorer {
                "loom" => profiles.iter().map(|&p| Run::Loom(p)).collect(),
                _ => vec![Run::Shuttle(sc.shuttle)],
            };
            for run in runs {
                for (v, _) in variants
                    .iter()
                    .filter(|(x, _)| variant.as_deref().is_none_or(|w| w == *x))
                {
                    requests.push((
                        m.run,
                        m.name,
                        Request {
                            scenario: sc.name.to_string(),
                            variant: v.to_string(),
                            run,
                            bounds: None,
                            plan: Default::default(),
                        },
                    ));
                }
            }
        }
    }
    if requests.is_empty() {
        return Err("no cell matches the selection".into());
    }
    let started = std::time::Instant::now();
    let total = requests.len();
    let mut cells = Vec::with_capacity(total);
    for (i, (run, model, req)) in requests.into_iter().enumerate() {
        eprint!(
            "[{}/{total} {:.0}s] {model} {} {} {} ... ",
            i + 1,
            started.elapsed().as_secs_f64(),
            req.scenario,
            req.variant,
            req.run
        );
        let cell = run(&req)?;
        eprintln!(
            "{}{}",
            cell.outcome.summary(),
            if cell.surprise().is_some() {
                "  SURPRISE"
            } else {
                ""
            }
        );
        cells.push(cell);
    }
    if markdown {
        print!("{}", lwpcheck::model::markdown(&cells));
    } else {
        for c in &cells {
            println!("{}", c.row());
        }
    }
    let surprises: Vec<String> = cells
        .iter()
        .map(|c| c.surprise_report())
        .filter(|r| !r.is_empty())
        .collect();
    eprintln!(
        "{} cells, {} surprises, {:.1} s",
        cells.len(),
        surprises.len(),
        started.elapsed().as_secs_f64()
    );
    for r in &surprises {
        eprintln!("{r}");
    }
    Ok(if surprises.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
