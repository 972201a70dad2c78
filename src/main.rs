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
        } => {
            let m = registry::find(&model)?;
            let info = (m.scenarios)()
                .into_iter()
                .find(|s| s.name == scenario)
                .ok_or_else(|| {
                    let names: Vec<&str> = (m.scenarios)().iter().map(|s| s.name).collect();
                    format!(
                        "unknown scenario '{scenario}' of model {model} (accepted: {})",
                        names.join(", ")
                    )
                })?;
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
            })?;
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
