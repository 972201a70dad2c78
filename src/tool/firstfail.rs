//! Which explorer finds which bug fastest: for every seeded bug, the
//! executions and time loom needed to reach its first counterexample (read
//! from a loom matrix report), beside the schedules shuttle's PCT and random
//! schedulers needed to reach theirs (run here, shuttle build, several
//! seeds each).
//!
//! loom stops at its first failing execution, so a failing loom cell's
//! executions *are* its executions to the first failure. shuttle is run
//! once per seed with the scenario's schedule budget; a seed that finds
//! nothing in the budget counts as a miss.

use std::fmt::Write as _;
use std::time::Instant;

use crate::explore::{Schedule, Verdict};
use crate::model::Run;
use crate::sync::Backend;
use crate::tool::matrix::Selection;
use crate::tool::report::{Record, Report};

/// Schedules per shuttle run when the scenario's explorer is DFS (which has
/// no random seed): the budget of the random and PCT runs.
pub const DEFAULT_SCHEDULES: usize = 2000;

/// PCT depth when the scenario does not name one.
pub const DEFAULT_DEPTH: usize = 3;

/// shuttle's result for one scheduler over several seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Schedules to the first failure, per seed (`None`: missed in budget).
    pub per_seed: Vec<Option<u64>>,
    /// The schedule budget of each run.
    pub budget: usize,
    /// Seconds over all seeds.
    pub secs: f64,
}

impl Found {
    /// "median N (k/n seeds)", or "missed (budget B, n seeds)".
    pub fn text(&self) -> String {
        let mut hits: Vec<u64> = self.per_seed.iter().flatten().copied().collect();
        if hits.is_empty() {
            return format!(
                "missed ({} × {} schedules)",
                self.per_seed.len(),
                self.budget
            );
        }
        hits.sort_unstable();
        format!(
            "{} ({}/{} seeds)",
            hits[hits.len() / 2],
            hits.len(),
            self.per_seed.len()
        )
    }
}

/// One row: a seeded bug in one scenario.
#[derive(Clone, Debug)]
pub struct Row {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// loom cells for this row (one per profile), from the report.
    pub loom: Vec<Record>,
    /// shuttle PCT.
    pub pct: Found,
    /// shuttle random.
    pub random: Found,
}

/// Run shuttle's PCT and random schedulers, `seeds` seeds each, on every
/// seeded bug of the selection (shuttle build), and join the loom cells of
/// `loom` (a loom matrix report) by model, scenario and variant.
pub fn run(
    sel: &Selection,
    seeds: u64,
    loom: Option<&Report>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    if Backend::ACTIVE != Backend::Shuttle {
        return Err(format!(
            "first-failure runs shuttle: {} first-failure",
            crate::tool::registry::build_hint(Backend::Shuttle)
        ));
    }
    if seeds == 0 {
        return Err("--seeds 0 is not valid (accepted: 1 or more)".into());
    }
    let requests = sel.requests(Backend::Shuttle)?;
    let mut rows = Vec::new();
    let total = requests.len();
    for (i, (entry, req)) in requests.into_iter().enumerate() {
        if req.variant == "faithful" {
            continue;
        }
        let Run::Shuttle(own) = req.run else {
            continue;
        };
        let (budget, depth) = match own {
            Schedule::Random { iterations, .. } => (iterations, DEFAULT_DEPTH),
            Schedule::Pct {
                iterations, depth, ..
            } => (iterations, depth),
            Schedule::Dfs { .. } => (DEFAULT_SCHEDULES, DEFAULT_DEPTH),
        };
        let found = |make: &dyn Fn(u64) -> Schedule| -> Result<Found, String> {
            let start = Instant::now();
            let mut per_seed = Vec::new();
            for seed in 0..seeds {
                let mut r = req.clone();
                r.run = Run::Shuttle(make(seed));
                let c = (entry.run)(&r)?;
                per_seed.push(match &c.outcome.verdict {
                    Verdict::Fail(f) if f.kind != crate::explore::FailKind::TimedOut => {
                        Some(c.outcome.executions)
                    }
                    _ => None,
                });
            }
            Ok(Found {
                per_seed,
                budget,
                secs: start.elapsed().as_secs_f64(),
            })
        };
        let pct = found(&|seed| Schedule::Pct {
            iterations: budget,
            depth,
            seed,
        })?;
        let random = found(&|seed| Schedule::Random {
            iterations: budget,
            seed,
        })?;
        progress(&format!(
            "[{}/{total}] {} {} {}: pct {}, random {}",
            i + 1,
            entry.name,
            req.scenario,
            req.variant,
            pct.text(),
            random.text()
        ));
        let loom_cells = loom
            .map(|r| {
                r.cells
                    .iter()
                    .filter(|c| {
                        c.model == entry.name
                            && c.scenario == req.scenario
                            && c.variant == req.variant
                            && c.run.starts_with("loom/")
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        rows.push(Row {
            model: entry.name.into(),
            scenario: req.scenario.clone(),
            variant: req.variant.clone(),
            loom: loom_cells,
            pct,
            random,
        });
    }
    Ok(rows)
}

impl Row {
    /// loom failed this cell under some profile.
    pub fn loom_found(&self) -> bool {
        self.loom.iter().any(|c| c.kind.is_some() && !c.timed_out)
    }

    /// Some explorer found the bug in this scenario.
    pub fn found(&self) -> bool {
        self.loom_found() || self.pct.hits() > 0 || self.random.hits() > 0
    }
}

impl Found {
    /// Seeds that found a failure.
    pub fn hits(&self) -> usize {
        self.per_seed.iter().flatten().count()
    }
}

/// The rows where some explorer found the bug, as one Markdown table, after
/// a count of what each explorer found (a bug seeded where its scenario
/// cannot show it is left out and counted).
pub fn markdown(rows: &[Row]) -> String {
    let shown: Vec<&Row> = rows.iter().filter(|r| r.found()).collect();
    let n = |f: &dyn Fn(&Row) -> bool| shown.iter().filter(|r| f(r)).count();
    let mut out = format!(
        "{} (model, scenario, seeded bug) rows where some explorer fails ({} more where none does, left out): loom finds {}, shuttle PCT {} (in every seed: {}), shuttle random {} (in every seed: {}).\n\n",
        shown.len(),
        rows.len() - shown.len(),
        n(&|r| r.loom_found()),
        n(&|r| r.pct.hits() > 0),
        n(&|r| r.pct.hits() == r.pct.per_seed.len()),
        n(&|r| r.random.hits() > 0),
        n(&|r| r.random.hits() == r.random.per_seed.len()),
    );
    out.push_str(
        "| model | scenario | variant | loom/arm | loom/x86 | shuttle PCT: schedules to first failure | shuttle random |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in shown {
        let loom = |p: &str| {
            r.loom
                .iter()
                .find(|c| c.run == format!("loom/{p}"))
                .map(|c| match &c.kind {
                    Some(k) => format!("{k}: {} exec, {:.3} s", c.executions, c.secs),
                    None => format!("pass ({} exec)", c.executions),
                })
                .unwrap_or_else(|| "–".into())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.model,
            r.scenario,
            r.variant,
            loom("arm"),
            loom("x86"),
            r.pct.text(),
            r.random.text()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_text_is_the_median_of_the_hits() {
        let f = Found {
            per_seed: vec![Some(9), None, Some(1), Some(4)],
            budget: 100,
            secs: 0.0,
        };
        assert_eq!(f.text(), "4 (3/4 seeds)");
        let m = Found {
            per_seed: vec![None, None],
            budget: 100,
            secs: 0.0,
        };
        assert_eq!(m.text(), "missed (2 × 100 schedules)");
    }
}
