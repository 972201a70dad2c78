//! The execution-graph explorer as a gate cell's check: one exploration of
//! a scenario closure, turned into the runner's [`Outcome`] (verdict,
//! executions, time, the failing execution's trace) as the DPOR adapter
//! does (`super::super::dpor`, `DporCheck::run_with_stats`), with the
//! explorer's own counters beside it for the report.
//!
//! There is nothing to replay: no schedule is recorded (a failure is found
//! again by running the cell, which is deterministic), and there is no
//! preemption bound (the explorer enumerates every consistent graph).

use std::time::Instant;

use super::{GraphCheck, Stats};
use crate::explore::{Failure, Outcome, Verdict};

impl GraphCheck {
    /// Explore every consistent graph of `f` and return the outcome: a
    /// failure (the first panic, data race or deadlock the explorer
    /// reports, with the failing execution's trace); `timed-out` when the
    /// budget ran out first (never a pass); else a pass. The outcome's
    /// executions are [`Stats::executions`] (complete consistent
    /// executions); blocked executions, distinct graphs and load-buffering
    /// shapes are in the [`Stats`].
    pub fn run<F>(&self, f: F) -> (Outcome, Stats)
    where
        F: Fn() + Send + Sync + 'static,
    {
        // Keep expected failures quiet, as the DPOR and shuttle runners do.
        crate::explore::dpor::install_shuttle_hook_first();
        let start = Instant::now();
        let (stats, failure, recorded) =
            self.explore_recorded(f, Box::new(|_| {}), crate::sync::trace::DEFAULT_CAP);
        let elapsed = start.elapsed();
        let (verdict, trace) = match failure {
            Some(f) => (Verdict::Fail(f), recorded.trace),
            None if stats.timed_out => (
                Verdict::Fail(Failure::timed_out(self.budget, stats.executions)),
                Default::default(),
            ),
            None => (Verdict::Pass, Default::default()),
        };
        (
            Outcome {
                verdict,
                executions: stats.executions,
                elapsed,
                trace,
                sites: recorded.sites,
                // Nothing to replay: the cell is run again.
                schedule: None,
                // loom's bounded history does not apply: a read may read
                // any write of its location in the graph.
                history: Vec::new(),
            },
            stats,
        )
    }
}
