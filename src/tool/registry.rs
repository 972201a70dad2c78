//! Every model, type-erased, so one command line can list, run and gate
//! them all. A model is added here with one line in [`all`].

use std::time::Duration;

use crate::explore::{Bounds, Checkpoint, Outcome, Schedule};
use crate::model::{scenario_named, Cell, Expectation, Model, Run, Variant};
use crate::sync::{Backend, Plan, Profile};

/// What the command line knows of a scenario.
#[derive(Clone, Debug)]
pub struct ScenarioInfo {
    /// Name.
    pub name: &'static str,
    /// What it runs and checks.
    pub about: &'static str,
    /// Its loom bounds.
    pub loom_bounds: Bounds,
    /// Why it needs them.
    pub bound_reason: &'static str,
    /// The spawn orders its loom check runs.
    pub loom_orders: crate::explore::SpawnOrders,
    /// Its shuttle explorer.
    pub shuttle: Schedule,
    /// Why the gate does not run it under the execution-graph explorer
    /// ([`Model::GRAPH_SKIP`]); `None`: it does.
    pub graph_skip: Option<&'static str>,
}

/// One cell to run.
#[derive(Clone, Debug)]
pub struct Request {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// Explorer and profile.
    pub run: Run,
    /// loom bounds instead of the scenario's.
    pub bounds: Option<Bounds>,
    /// loom only: the weakening plan (empty: every site as written).
    pub plan: Plan,
    /// Time budget instead of `LWPCHECK_BUDGET_SECS`'s.
    pub budget: Option<Duration>,
    /// loom only: record or replay a checkpoint file.
    pub checkpoint: Option<Checkpoint>,
    /// loom only: run this one spawn order of the scenario's roles instead
    /// of the orders it declares (an order of another length, the empty
    /// one included, is the declared order: `thread::roles`).
    pub spawn_order: Option<Vec<usize>>,
    /// shuttle only: replay this failing schedule instead of exploring.
    pub schedule: Option<String>,
}

impl Request {
    /// A request for one cell, everything else as the scenario says.
    pub fn new(scenario: &str, variant: &str, run: Run) -> Request {
        Request {
            scenario: scenario.into(),
            variant: variant.into(),
            run,
            bounds: None,
            plan: Plan::new(),
            budget: None,
            checkpoint: None,
            spawn_order: None,
            schedule: None,
        }
    }
}

/// One exploration of a scenario and variant under the project's DPOR
/// explorer, with the gate's settings (shuttle build; [`Entry::dpor`]).
/// A failing schedule replays through [`Entry::run`] (a [`Request`] with
/// `Run::Dpor` and its `schedule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DporJob {
    /// The memory model, `sc` or `tso`.
    pub memory: String,
    /// Plain DFS (every schedule and data choice, no reduction) instead of
    /// DPOR.
    pub dfs: bool,
    /// The time budget; running out of it is `timed-out`.
    pub budget: Duration,
}

/// True if `schedule` is a DPOR schedule (`MODEL[+FLAGS]:STEPS`, the
/// model a word: `tso:0.1.c1.1`) rather than a shuttle one (`SEED:STEPS`,
/// the seed a number).
pub fn is_dpor_schedule(schedule: &str) -> bool {
    schedule
        .trim()
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
}

/// A model, type-erased.
#[derive(Clone)]
pub struct Entry {
    /// Model name.
    pub name: &'static str,
    /// Variant names and what each bug is.
    pub variants: fn() -> Vec<(&'static str, &'static str)>,
    /// Its scenarios.
    pub scenarios: fn() -> Vec<ScenarioInfo>,
    /// `None` if shuttle checks it; otherwise why not.
    pub no_shuttle: Option<&'static str>,
    /// Its code uses crossbeam-epoch ([`Model::NEEDS_CROSSBEAM_LOOM`]).
    pub needs_crossbeam_loom: bool,
    /// The cell `compare --bigger` runs ([`Model::BIGGER`]).
    pub bigger: Option<crate::model::Bigger>,
    /// The scenario named so, or the one-line error listing the valid ones.
    pub scenario: fn(&str) -> Result<ScenarioInfo, String>,
    /// `Ok` if the model has this variant, or the one-line error listing
    /// the valid ones.
    pub check_variant: fn(&str) -> Result<(), String>,
    /// The expectation of a cell (scenario, variant, run).
    pub expectation: fn(&str, &str, Run) -> Result<Expectation, String>,
    /// The findings pages a variant is the proposed fix of
    /// ([`Variant::fixes`]; empty for an unknown name).
    pub fixes: fn(&str) -> &'static [&'static str],
    /// Why a variant is a reference design, not a bug nor a fix
    /// ([`Variant::reference`]; `None` for an unknown name).
    pub reference: fn(&str) -> Option<&'static str>,
    /// Run one cell with the explorer this binary was built for.
    pub run: fn(&Request) -> Result<Cell, String>,
    /// Explore a scenario (by name) and variant (by name) under the
    /// project's DPOR explorer or plain DFS (shuttle build).
    pub dpor: fn(&str, &str, &DporJob) -> Result<Outcome, String>,
}

fn info<M: Model>(s: crate::model::Scenario<M::V>) -> ScenarioInfo {
    ScenarioInfo {
        name: s.name,
        about: s.about,
        loom_bounds: s.loom_bounds,
        bound_reason: s.bound_reason,
        loom_orders: s.loom_orders,
        shuttle: s.shuttle,
        graph_skip: M::GRAPH_SKIP
            .iter()
            .find(|(n, _)| *n == s.name)
            .map(|&(_, why)| why),
    }
}

fn entry<M: Model>() -> Entry {
    Entry {
        name: M::NAME,
        variants: || M::V::ALL.iter().map(|v| (v.name(), v.about())).collect(),
        scenarios: || M::scenarios().into_iter().map(info::<M>).collect(),
        no_shuttle: M::SHUTTLE,
        needs_crossbeam_loom: M::NEEDS_CROSSBEAM_LOOM,
        bigger: M::BIGGER,
        scenario: |name| scenario_named::<M>(name).map(info::<M>),
        check_variant: |name| crate::model::parse_variant::<M::V>(M::NAME, name).map(|_| ()),
        expectation: expectation::<M>,
        fixes: |name| {
            crate::model::parse_variant::<M::V>(M::NAME, name)
                .map(|v| v.fixes())
                .unwrap_or(&[])
        },
        reference: |name| {
            crate::model::parse_variant::<M::V>(M::NAME, name)
                .ok()
                .and_then(|v| v.reference())
        },
        run: run::<M>,
        dpor: dpor::<M>,
    }
}

fn dpor<M: Model>(scenario: &str, variant: &str, job: &DporJob) -> Result<Outcome, String> {
    if let Some(why) = M::SHUTTLE {
        return Err(format!(
            "model {} is not checked under shuttle's scheduler, so not under DPOR: {why}",
            M::NAME
        ));
    }
    let sc = scenario_named::<M>(scenario)?;
    let v = crate::model::parse_variant::<M::V>(M::NAME, variant)?;
    #[cfg(shuttle)]
    {
        let run = sc.run;
        let model = crate::sync::MemoryModel::parse_dpor(&job.memory)?;
        // The gate's settings (spurious failures and wakeups), so the
        // numbers are the gate cells'.
        let mut check = dpor_check(model).map_err(|e| e.0)?.budget(job.budget);
        if job.dfs {
            check = check.dfs();
        }
        Ok(check.run(move || run(v)))
    }
    #[cfg(not(shuttle))]
    {
        let _ = (sc, v, job);
        Err(format!(
            "the DPOR explorer runs on shuttle's scheduler; run it as: {} ...",
            build_hint(Backend::Shuttle)
        ))
    }
}

fn expectation<M: Model>(scenario: &str, variant: &str, run: Run) -> Result<Expectation, String> {
    let sc = scenario_named::<M>(scenario)?;
    let v = crate::model::parse_variant::<M::V>(M::NAME, variant)?;
    Ok(match run {
        Run::Loom(p) => (sc.expect_loom)(v, p),
        Run::Shuttle(_) => (sc.expect_shuttle)(v),
        Run::Dpor(m) | Run::Graph(m) => (sc.expect_dpor)(v, m),
    })
}

/// The run `lwpcheck run --explorer E --profile P --memory M --schedules
/// S` asks for: `loom` under `profile`; `shuttle` under `schedules` or
/// the scenario's own schedule; `dpor` under `memory` (`sc`, `tso`,
/// default `tso`); `graph` under `memory` (`rc11`, `arm`, default `arm`).
/// A bad name is a one-line error naming it and the accepted ones.
pub fn cli_run(
    explorer: &str,
    profile: &str,
    memory: Option<&str>,
    schedules: Option<&str>,
    scenario_schedule: Schedule,
) -> Result<Run, String> {
    Ok(match explorer {
        "loom" => Run::Loom(self::profile(profile)?),
        "shuttle" => Run::Shuttle(match schedules {
            Some(s) => s.parse::<Schedule>().map_err(|e| e.0)?,
            None => scenario_schedule,
        }),
        "dpor" => Run::Dpor(crate::sync::MemoryModel::parse_dpor(
            memory.unwrap_or("tso"),
        )?),
        "graph" => Run::graph(memory.unwrap_or("arm"))?,
        other => {
            return Err(format!(
                "unknown explorer '{other}' (accepted: loom, shuttle, dpor, graph)"
            ))
        }
    })
}

/// The command that runs this binary built for `backend`.
pub fn build_hint(backend: Backend) -> String {
    match backend {
        Backend::Std => "cargo run --release --".into(),
        b => format!("RUSTFLAGS=\"{}\" cargo run --release --", b.rustflags()),
    }
}

fn run<M: Model>(req: &Request) -> Result<Cell, String> {
    if let (Run::Loom(_), true, Some(skip)) = (
        req.run,
        M::NEEDS_CROSSBEAM_LOOM,
        crate::explore::crossbeam_skip(),
    ) {
        return Err(format!("{} {}: {skip}", M::NAME, req.scenario));
    }
    let sc = scenario_named::<M>(&req.scenario)?;
    let v = crate::model::parse_variant::<M::V>(M::NAME, &req.variant)?;
    match req.run {
        Run::Loom(profile) => {
            #[cfg(loom)]
            return (|| {
                let mut check = crate::explore::loom::LoomCheck::new(profile)?
                    .bounds(req.bounds.unwrap_or(sc.loom_bounds))
                    .plan(req.plan.clone());
                if let Some(b) = req.budget {
                    check = check.budget(b);
                }
                if let Some(c) = &req.checkpoint {
                    check = check.checkpoint(c.clone());
                }
                if let Some(order) = &req.spawn_order {
                    check = check.spawn_order(order.clone());
                }
                if req.schedule.is_some() {
                    return Err(crate::explore::env::ConfigError(
                        "a schedule replays under shuttle; a loom failure replays from its checkpoint (lwpcheck replay --checkpoint)".into(),
                    ));
                }
                crate::model::loom_cell::<M>(&sc, v, check)
            })()
            .map_err(|e| e.0);
            #[cfg(not(loom))]
            {
                let _ = (sc, v, profile);
                Err(format!(
                    "this binary was built without loom; run it as: {} ...",
                    build_hint(Backend::Loom)
                ))
            }
        }
        Run::Shuttle(_) if M::SHUTTLE.is_some() => Err(format!(
            "model {} is not checked by shuttle: {}",
            M::NAME,
            M::SHUTTLE.unwrap_or_default()
        )),
        Run::Shuttle(explorer) => {
            #[cfg(shuttle)]
            return (|| {
                if req.checkpoint.is_some() {
                    return Err(crate::explore::env::ConfigError(
                        "checkpoint files are loom's: a shuttle failure replays from its schedule (lwpcheck replay --schedule)".into(),
                    ));
                }
                let mut check = crate::explore::shuttle::ShuttleCheck::new(explorer)?;
                if let Some(b) = req.budget {
                    check = check.budget(b);
                }
                if let Some(sch) = &req.schedule {
                    check = check.replay(sch.clone());
                }
                crate::model::shuttle_cell::<M>(&sc, v, check)
            })()
            .map_err(|e| e.0);
            #[cfg(not(shuttle))]
            {
                let _ = (sc, v, explorer);
                Err(format!(
                    "this binary was built without shuttle; run it as: {} ...",
                    build_hint(Backend::Shuttle)
                ))
            }
        }
        Run::Dpor(_) if M::SHUTTLE.is_some() => Err(format!(
            "model {} is not checked by the DPOR explorer (it runs on shuttle): {}",
            M::NAME,
            M::SHUTTLE.unwrap_or_default()
        )),
        Run::Dpor(model) => {
            #[cfg(shuttle)]
            return (|| {
                if req.checkpoint.is_some() {
                    return Err(crate::explore::env::ConfigError(
                        "checkpoint files are loom's: a DPOR failure replays from its schedule (lwpcheck replay --schedule)".into(),
                    ));
                }
                let mut check = dpor_check(model)?;
                if let Some(b) = req.budget {
                    check = check.budget(b);
                }
                if let Some(n) = req.bounds.and_then(|b| b.preemptions) {
                    check.preemption_bound = Some(n);
                }
                crate::model::dpor_cell::<M>(&sc, v, check, req.schedule.as_deref())
            })()
            .map_err(|e| e.0);
            #[cfg(not(shuttle))]
            {
                let _ = (sc, v, model);
                Err(format!(
                    "this binary was built without shuttle, which the DPOR explorer runs on; run it as: {} ...",
                    build_hint(Backend::Shuttle)
                ))
            }
        }
        Run::Graph(_) if M::SHUTTLE.is_some() => Err(format!(
            "model {} is not checked by the execution-graph explorer (it runs on shuttle): {}",
            M::NAME,
            M::SHUTTLE.unwrap_or_default()
        )),
        Run::Graph(model) => {
            graph_settings(req, M::NAME, model)?;
            #[cfg(shuttle)]
            return (|| {
                let mut check = graph_check(model)?;
                if let Some(b) = req.budget {
                    check.budget = b;
                }
                Ok(crate::model::graph_cell::<M>(&sc, v, check))
            })()
            .map_err(|e: crate::explore::env::ConfigError| e.0);
            #[cfg(not(shuttle))]
            {
                let _ = (sc, v);
                Err(format!(
                    "this binary was built without shuttle, which the execution-graph explorer runs on; run it as: {} ...",
                    build_hint(Backend::Shuttle)
                ))
            }
        }
    }
}

/// `Ok` if `req` asks a graph cell for nothing it does not have (a
/// preemption bound, a schedule or checkpoint to replay, a weakening
/// plan), else the one-line error naming what it asked.
fn graph_settings(
    req: &Request,
    name: &str,
    model: crate::sync::MemoryModel,
) -> Result<(), String> {
    let rerun = format!(
        "re-run the cell, which is deterministic: {} run --model {name} --scenario {} --variant {} --explorer graph --memory {model}",
        build_hint(Backend::Shuttle),
        req.scenario,
        req.variant
    );
    if let Some(n) = req.bounds.and_then(|b| b.preemptions) {
        return Err(format!(
            "--preemptions {n}: the execution-graph explorer has no preemption bound (it explores every consistent graph)"
        ));
    }
    if req.schedule.is_some() {
        return Err(format!(
            "a graph/{model} failure has no schedule to replay; {rerun}"
        ));
    }
    if req.checkpoint.is_some() {
        return Err(format!(
            "checkpoint files are loom's: a graph/{model} failure has none; {rerun}"
        ));
    }
    if !req.plan.is_empty() {
        return Err("--weaken needs the loom explorer".into());
    }
    Ok(())
}

/// The execution-graph check a gate cell runs under memory model `model`:
/// exhaustive (no preemption bound exists for it), the environment's
/// budget, a C11 data race on a cell a failure under every model (as the
/// DPOR cells judge races: the program's, with the orderings as written).
#[cfg(shuttle)]
pub fn graph_check(
    model: crate::sync::MemoryModel,
) -> Result<crate::explore::graph::GraphCheck, crate::explore::env::ConfigError> {
    let mut check = crate::explore::graph::GraphCheck::new(model);
    check.budget = crate::explore::env::budget(crate::explore::env::process_env)?;
    check.races_fail = true;
    Ok(check)
}

/// The DPOR check a gate cell runs under memory model `model`: exhaustive,
/// the environment's budget, spurious `compare_exchange_weak` failures and
/// condition-variable wakeups explored, at most one per thread per
/// execution (the kernels' retry and re-check paths after them run).
#[cfg(shuttle)]
pub fn dpor_check(
    model: crate::sync::MemoryModel,
) -> Result<crate::explore::dpor::DporCheck, crate::explore::env::ConfigError> {
    let mut check = crate::explore::dpor::DporCheck::new(model).budget(
        crate::explore::env::budget(crate::explore::env::process_env)?,
    );
    check.spurious_cas = true;
    check.spurious_wakeups = true;
    Ok(check)
}

/// Every model.
pub fn all() -> Vec<Entry> {
    vec![
        entry::<crate::models::tidhash::scenarios::Tidhash>(),
        entry::<crate::models::tidhash::epoch::TidhashEpoch>(),
        entry::<crate::models::lwplock::scenarios::LwpLock>(),
        entry::<crate::models::tdfind::Tdfind>(),
        entry::<crate::models::refcount::Refcount>(),
        entry::<crate::models::zombies::Zombies>(),
    ]
}

/// The model named `name`, or a one-line error listing the models.
pub fn find(name: &str) -> Result<Entry, String> {
    let all = all();
    let names: Vec<&str> = all.iter().map(|e| e.name).collect();
    let list = names.join(", ");
    all.into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| format!("unknown model '{name}' (accepted: {list})"))
}

/// The profile named `name` (`arm`, `x86`).
pub fn profile(name: &str) -> Result<Profile, String> {
    name.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_one_line_errors_listing_the_valid_ones() {
        assert!(find("solaris")
            .err()
            .unwrap()
            .starts_with("unknown model 'solaris' (accepted: tidhash"));
        let m = find("tidhash").unwrap();
        let e = (m.expectation)("nope", "faithful", Run::Loom(Profile::Arm)).unwrap_err();
        assert!(
            e.starts_with("unknown scenario 'nope' of model tidhash (accepted: grow_vs_lookup"),
            "{e}"
        );
        let e = (m.expectation)("grow_vs_lookup", "buggy", Run::Loom(Profile::Arm)).unwrap_err();
        assert!(
            e.starts_with("unknown variant 'buggy' of model tidhash (accepted: faithful, "),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[test]
    fn the_run_commands_explorer_options_name_a_run() {
        let dfs = Schedule::Dfs {
            max_iterations: None,
        };
        let run = |e: &str, m: Option<&str>| cli_run(e, "arm", m, None, dfs);
        use crate::sync::MemoryModel::{Arm, Rc11, Sc, Tso};
        assert_eq!(run("graph", None), Ok(Run::Graph(Arm)));
        assert_eq!(run("graph", Some("rc11")), Ok(Run::Graph(Rc11)));
        assert_eq!(run("graph", Some("arm")), Ok(Run::Graph(Arm)));
        assert_eq!(run("dpor", None), Ok(Run::Dpor(Tso)));
        assert_eq!(run("dpor", Some("sc")), Ok(Run::Dpor(Sc)));
        assert_eq!(run("loom", Some("rc11")), Ok(Run::Loom(Profile::Arm)));
        assert_eq!(run("shuttle", None), Ok(Run::Shuttle(dfs)));
        for (e, m, says) in [
            ("graph", Some("tso"), "memory model 'tso' is not a column of the execution-graph explorer (accepted: rc11, arm;"),
            ("graph", Some("x86"), "unknown memory model 'x86' (accepted: sc, tso, rc11, arm)"),
            ("dpor", Some("arm"), "memory model 'arm' is not run by the DPOR explorer (accepted: sc, tso;"),
            ("genmc", None, "unknown explorer 'genmc' (accepted: loom, shuttle, dpor, graph)"),
        ] {
            let err = run(e, m).unwrap_err();
            assert!(err.starts_with(says) && !err.contains('\n'), "{e} {m:?}: {err}");
        }
    }

    #[test]
    fn a_graph_cell_refuses_what_it_does_not_have() {
        let m = find("lwplock").unwrap();
        let scenario = (m.scenarios)()[0].name;
        let graph = Run::Graph(crate::sync::MemoryModel::Arm);
        let mut r = Request::new(scenario, "faithful", graph);
        r.bounds = Some(Bounds {
            preemptions: Some(2),
            branches: None,
        });
        let e = (m.run)(&r).unwrap_err();
        assert_eq!(
            e,
            "--preemptions 2: the execution-graph explorer has no preemption bound (it explores every consistent graph)"
        );
        let mut r = Request::new(scenario, "faithful", graph);
        r.schedule = Some("arm:0.1".into());
        let e = (m.run)(&r).unwrap_err();
        assert!(
            e.starts_with("a graph/arm failure has no schedule to replay; re-run the cell, which is deterministic: RUSTFLAGS=\"--cfg shuttle\" cargo run --release -- run --model lwplock --scenario ")
                && e.ends_with(" --variant faithful --explorer graph --memory arm")
                && !e.contains('\n'),
            "{e}"
        );
        let mut r = Request::new(scenario, "faithful", graph);
        r.checkpoint = Some(Checkpoint::Replay("x.json".into()));
        let e = (m.run)(&r).unwrap_err();
        assert!(
            e.starts_with("checkpoint files are loom's: a graph/arm failure has none;"),
            "{e}"
        );
        // A model shuttle does not check has no graph cell either.
        let epoch = find("tidhash-epoch").unwrap();
        let r = Request::new("grow_vs_lookup", "faithful", graph);
        let e = (epoch.run)(&r).unwrap_err();
        assert!(
            e.starts_with("model tidhash-epoch is not checked by the execution-graph explorer"),
            "{e}"
        );
    }

    #[test]
    fn std_build_explains_how_to_get_an_explorer() {
        if cfg!(any(loom, shuttle)) {
            return;
        }
        let m = find("tidhash").unwrap();
        let r = Request::new("grow_vs_lookup", "faithful", Run::Loom(Profile::Arm));
        let e = (m.run)(&r).err().unwrap();
        assert!(
            e.contains("RUSTFLAGS=\"--cfg loom --cfg crossbeam_loom\""),
            "{e}"
        );
    }
}
