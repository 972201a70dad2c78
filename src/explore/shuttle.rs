//! Run a scenario under shuttle (random, PCT or DFS schedules), keep the
//! failing schedule, and replay it.
//!
//! Shuttle is sequentially consistent: it finds interleaving bugs in
//! scenarios too large for loom, never weak-memory bugs. The profile does
//! not apply here.
//!
//! Schedules are recorded by wrapping shuttle's scheduler, and written as
//! `SEED:STEPS` where STEPS lists the task run at each scheduling point
//! (`0.1.1.0`) with `r` for a random draw, e.g. `42:0.0.1.r.1`. The same
//! text given to [`replay`] re-runs the failing execution.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::shuttle::scheduler::{
    DfsScheduler, PctScheduler, RandomScheduler, ReplayScheduler, Schedule as ShuttleSchedule,
    Scheduler, Task, TaskId,
};
use ::shuttle::{Config, FailurePersistence, Runner};

use super::env::{self, ConfigError};
pub use super::Schedule;
use super::{capture, FailKind, Outcome, Plan, Profile, Verdict, TIMED_OUT};

/// One shuttle check.
#[derive(Clone, Debug)]
pub struct ShuttleCheck {
    /// The scheduler.
    pub schedule: Schedule,
    /// Time budget; running out of it is [`FailKind::TimedOut`], not a pass.
    pub budget: Duration,
    /// Events kept in the counterexample.
    pub trace_cap: usize,
    /// Replay this failing schedule (`SEED:STEPS`) instead of exploring.
    pub replay: Option<String>,
}

impl ShuttleCheck {
    /// A check with `schedule` and the environment's budget and trace cap.
    pub fn new(schedule: Schedule) -> Result<Self, ConfigError> {
        Ok(Self {
            schedule,
            budget: env::budget(env::process_env)?,
            trace_cap: env::trace_cap(env::process_env)?,
            replay: None,
        })
    }

    /// Replay `schedule` (see [`replay`]) instead of exploring.
    pub fn replay(mut self, schedule: impl Into<String>) -> Self {
        self.replay = Some(schedule.into());
        self
    }

    /// With this time budget.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Run `f` under the schedule (one call of `f` per schedule).
    pub fn run<F>(&self, f: F) -> Result<Outcome, ConfigError>
    where
        F: Fn() + Send + Sync + 'static,
    {
        if let Some(schedule) = &self.replay {
            return replay(schedule, self.trace_cap, f);
        }
        match self.schedule {
            Schedule::Random { iterations, seed } => {
                self.go(RandomScheduler::new_from_seed(seed, iterations), f)
            }
            Schedule::Pct {
                iterations,
                depth,
                seed,
            } => self.go(PctScheduler::new_from_seed(seed, depth, iterations), f),
            Schedule::Dfs { max_iterations } => {
                self.go(DfsScheduler::new(max_iterations, false), f)
            }
        }
    }

    fn go<S, F>(&self, scheduler: S, f: F) -> Result<Outcome, ConfigError>
    where
        S: Scheduler + 'static,
        F: Fn() + Send + Sync + 'static,
    {
        Ok(run_with(
            Recording { inner: scheduler },
            self.budget,
            self.trace_cap,
            f,
        ))
    }
}

/// Replay a failing schedule (the `SEED:STEPS` text an outcome carries).
/// A schedule that is not well formed, or that does not fit the scenario,
/// is a [`ConfigError`], not a panic.
pub fn replay<F>(schedule: &str, trace_cap: usize, f: F) -> Result<Outcome, ConfigError>
where
    F: Fn() + Send + Sync + 'static,
{
    let parsed = decode(schedule)?;
    let replayer = ReplayScheduler::new_from_schedule(parsed.to_schedule());
    // A schedule that does not fit makes the replayer panic; its message is
    // turned into a ConfigError below.
    let out = run_with(
        Recording { inner: replayer },
        env::DEFAULT_BUDGET,
        trace_cap,
        f,
    );
    if let Verdict::Fail(fail) = &out.verdict {
        const MISFIT: [&str; 4] = [
            "scheduled task is not runnable",
            "schedule ended early",
            "expected context switch but next schedule step is random choice",
            "expected random choice but next schedule step is context switch",
        ];
        if MISFIT.iter().any(|m| fail.message.contains(m)) {
            return Err(ConfigError(format!(
                "schedule '{}' does not fit this scenario ({})",
                abbreviate(schedule),
                fail.message.lines().next().unwrap_or_default()
            )));
        }
    }
    Ok(out)
}

fn abbreviate(s: &str) -> String {
    if s.len() > 40 {
        format!("{}...", &s[..40])
    } else {
        s.to_string()
    }
}

fn run_with<S, F>(scheduler: Recording<S>, budget: Duration, trace_cap: usize, f: F) -> Outcome
where
    S: Scheduler + 'static,
    F: Fn() + Send + Sync + 'static,
{
    install_shuttle_hook_first();
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_time = Some(budget);
    // The README states that shuttle treats every ordering as SeqCst.
    config.silence_warnings = true;
    // Shuttle's default task stack (32 KiB) overflows with the trace
    // recorder's formatting on top of a model's call chain.
    config.stack_size = 1 << 20;
    let executions = Arc::new(AtomicU64::new(0));
    let counter = executions.clone();
    let start = Instant::now();
    let wrapped = move || {
        counter.fetch_add(1, Relaxed);
        crate::sync::begin_execution();
        f();
    };
    RECORDED.with(|r| *r.borrow_mut() = Recorded::default());
    // Shuttle is sequentially consistent: the profile does not apply.
    let (failure, recorded) = capture(Profile::Arm, Plan::new(), trace_cap, || {
        Runner::new(scheduler, config).run(wrapped);
    });
    let (trace, sites) = (recorded.trace, recorded.sites);
    let elapsed = start.elapsed();
    let executions = executions.load(Relaxed);
    let (verdict, trace, schedule) = match failure {
        Some(fail) => {
            let sch = RECORDED.with(|r| r.borrow().encode());
            (Verdict::Fail(fail), trace, Some(sch))
        }
        // Shuttle stops quietly at max_time: that is not a pass.
        None if elapsed >= budget => (
            Verdict::Fail(super::Failure {
                kind: FailKind::TimedOut,
                message: format!(
                    "{TIMED_OUT}: {} s after {executions} schedules",
                    budget.as_secs()
                ),
                site: None,
            }),
            Default::default(),
            None,
        ),
        None => (Verdict::Pass, Default::default(), None),
    };
    Outcome {
        verdict,
        executions,
        elapsed,
        trace,
        sites,
        schedule,
        // Always empty: stores are counted under loom only (shuttle keeps
        // every store).
        history: recorded.history,
    }
}

/// One recorded scheduling decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Task(usize),
    Random,
}

/// A schedule as this module records it: the seed and the decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Recorded {
    seed: u64,
    steps: Vec<Step>,
}

/// Shuttle installs its panic hook (which prints every task panic and
/// wraps the previous hook) at its first run. Run one empty execution before
/// the runner installs its own, so the runner's hook is the outer one and
/// keeps expected failures quiet.
fn install_shuttle_hook_first() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut config = Config::new();
        config.silence_warnings = true;
        Runner::new(RandomScheduler::new_from_seed(0, 1), config).run(|| {});
    });
}

thread_local! {
    /// The schedule of the execution in progress on this OS thread.
    static RECORDED: RefCell<Recorded> = RefCell::new(Recorded::default());
}

/// Wraps a scheduler and records every decision it makes.
struct Recording<S> {
    inner: S,
}

impl<S: Scheduler> Scheduler for Recording<S> {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        let s = self.inner.new_execution();
        if let Some(s) = &s {
            RECORDED.with(|r| {
                *r.borrow_mut() = Recorded {
                    seed: s.seed,
                    steps: Vec::new(),
                }
            });
        }
        s
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let t = self.inner.next_task(runnable, current, is_yielding);
        if let Some(t) = t {
            RECORDED.with(|r| r.borrow_mut().steps.push(Step::Task(usize::from(t))));
        }
        t
    }

    fn next_u64(&mut self) -> u64 {
        RECORDED.with(|r| r.borrow_mut().steps.push(Step::Random));
        self.inner.next_u64()
    }
}

impl Recorded {
    /// `SEED:STEPS`, see the module docs.
    fn encode(&self) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|st| match st {
                Step::Task(t) => t.to_string(),
                Step::Random => "r".into(),
            })
            .collect();
        format!("{}:{}", self.seed, steps.join("."))
    }

    fn to_schedule(&self) -> ShuttleSchedule {
        let mut s = ShuttleSchedule::new(self.seed);
        for st in &self.steps {
            match *st {
                Step::Task(t) => s.push_task(TaskId::from(t)),
                Step::Random => s.push_random(),
            }
        }
        s
    }
}

/// Parse `SEED:STEPS`.
fn decode(text: &str) -> Result<Recorded, ConfigError> {
    let bad = |why: &str| {
        ConfigError(format!(
            "bad shuttle schedule '{}': {why} (accepted: SEED:STEPS, e.g. 42:0.0.1.r.1)",
            abbreviate(text)
        ))
    };
    let text = text.trim();
    let (seed, steps) = text
        .split_once(':')
        .ok_or_else(|| bad("no ':' after the seed"))?;
    let seed = seed
        .parse::<u64>()
        .map_err(|_| bad("the seed is not a whole number"))?;
    let mut schedule = Recorded {
        seed,
        steps: Vec::new(),
    };
    if steps.is_empty() {
        return Err(bad("no steps"));
    }
    for step in steps.split('.') {
        match step {
            "r" => schedule.steps.push(Step::Random),
            n => {
                let id = n
                    .parse::<usize>()
                    .map_err(|_| bad(&format!("step '{n}' is neither a task number nor r")))?;
                schedule.steps.push(Step::Task(id));
            }
        }
    }
    Ok(schedule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_round_trip_and_bad_ones_are_explained() {
        let s = decode("42:0.0.1.r.1").unwrap();
        assert_eq!(s.encode(), "42:0.0.1.r.1");
        assert!(decode("x:0")
            .unwrap_err()
            .0
            .contains("the seed is not a whole number"));
        assert!(decode("42").unwrap_err().0.contains("no ':'"));
        assert!(decode("42:0.q").unwrap_err().0.contains("step 'q'"));
    }
}
