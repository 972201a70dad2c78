//! Run a scenario under loom for one profile (and optionally a weakening
//! plan), with bounds, a time budget and a trace of the failing execution.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::env::{self, ConfigError};
pub use super::Bounds;
pub use super::Checkpoint;
use super::{capture, Outcome, Plan, Profile, Verdict, TIMED_OUT};

/// One loom check: profile, plan, bounds, budget.
#[derive(Clone, Debug)]
pub struct LoomCheck {
    /// Memory-ordering profile.
    pub profile: Profile,
    /// Sites to weaken (the ordering audit); empty by default.
    pub plan: Plan,
    /// Exploration bounds.
    pub bounds: Bounds,
    /// Time budget; exceeding it is [`super::FailKind::TimedOut`], not a pass.
    pub budget: Duration,
    /// Events kept in the counterexample.
    pub trace_cap: usize,
    /// loom's checkpoint file: record the failing execution, or replay one.
    pub checkpoint: Option<Checkpoint>,
    /// The order in which `thread::roles` groups spawn their roles (a
    /// permutation of the declaration order); `None`: as declared.
    pub spawn_order: Option<Vec<usize>>,
    /// Which orders [`LoomCheck::run_every_order`] runs.
    pub orders: super::SpawnOrders,
}

impl LoomCheck {
    /// A check for `profile` with the defaults and the environment's budget
    /// and trace cap (validated).
    pub fn new(profile: Profile) -> Result<Self, ConfigError> {
        Ok(Self {
            profile,
            plan: Plan::new(),
            bounds: Bounds::default(),
            budget: env::budget(env::process_env)?,
            trace_cap: env::trace_cap(env::process_env)?,
            checkpoint: None,
            spawn_order: None,
            orders: super::SpawnOrders::Every,
        })
    }

    /// With these bounds.
    pub fn bounds(mut self, bounds: Bounds) -> Self {
        self.bounds = bounds;
        self
    }

    /// With this weakening plan.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// With a checkpoint file to record or replay.
    pub fn checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// With the racing roles of `thread::roles` groups spawned in this
    /// order (a permutation of their declaration order).
    pub fn spawn_order(mut self, order: Vec<usize>) -> Self {
        self.spawn_order = Some(order);
        self
    }

    /// Run the check once per spawn order of its racing roles
    /// ([`spawn_orders`] of the number of roles its `thread::roles` group
    /// declares, learnt from the first run, as declared): loom explores
    /// different interleavings for different spawn orders (loom #392, #166,
    /// `docs/loom.md`), so a scenario is explored fully only if every order
    /// is. Returns each order with its outcome; a check without a group
    /// runs once, with the empty order.
    pub fn run_every_order<F>(&self, f: F) -> Result<Vec<(Vec<usize>, Outcome)>, ConfigError>
    where
        F: Fn() + Sync + Send + 'static,
    {
        let f = Arc::new(f);
        let once = |order: Option<Vec<usize>>| {
            let f = f.clone();
            let mut check = self.clone();
            check.spawn_order = order;
            check.run(move || f())
        };
        let first = once(None)?;
        let n = crate::sync::thread::roles_seen();
        let mut out = vec![((0..n).collect::<Vec<usize>>(), first)];
        let orders = match self.orders {
            super::SpawnOrders::Every => spawn_orders(n),
            super::SpawnOrders::Rotations(_) => rotations(n),
            super::SpawnOrders::Declared(_) => Vec::new(),
        };
        for order in orders.into_iter().skip(1) {
            let o = once(Some(order.clone()))?;
            out.push((order, o));
        }
        Ok(out)
    }

    /// With this time budget.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Explore every execution of `f` (one call of `f` is one execution).
    pub fn run<F>(&self, f: F) -> Result<Outcome, ConfigError>
    where
        F: Fn() + Sync + Send + 'static,
    {
        env::check_loom_vars(env::process_env)?;
        let mut builder = ::loom::model::Builder::new();
        if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
            builder.preemption_bound = self.bounds.preemptions;
        }
        if let (None, Some(b)) = (std::env::var_os("LOOM_MAX_BRANCHES"), self.bounds.branches) {
            builder.max_branches = b;
        }
        match &self.checkpoint {
            None => {}
            Some(Checkpoint::Record(p)) => {
                if p.exists() {
                    std::fs::remove_file(p).map_err(|e| {
                        ConfigError(format!("cannot replace checkpoint {}: {e}", p.display()))
                    })?;
                }
                builder.checkpoint_file = Some(p.clone());
                builder.checkpoint_interval = 1;
            }
            Some(Checkpoint::Replay(p)) => {
                builder.checkpoint_file = Some(p.clone());
                builder.checkpoint_interval = 1;
                // loom stores the path, then stops once `i >= max`: with 2,
                // it runs exactly execution 1, the one loaded from the file.
                builder.max_permutations = Some(2);
            }
        }
        let executions = Arc::new(AtomicU64::new(0));
        let counter = executions.clone();
        let budget = self.budget;
        let start = Instant::now();
        let wrapped = move || {
            if start.elapsed() > budget {
                panic!("{TIMED_OUT}: {} s", budget.as_secs());
            }
            counter.fetch_add(1, Relaxed);
            crate::sync::begin_execution();
            f();
        };
        crate::sync::thread::set_spawn_order(self.spawn_order.clone());
        let (failure, recorded) = capture(self.profile, self.plan.clone(), self.trace_cap, || {
            builder.check(wrapped)
        });
        let (trace, sites) = (recorded.trace, recorded.sites);
        let elapsed = start.elapsed();
        let executions = executions.load(Relaxed);
        if let (Some(Checkpoint::Replay(p)), Some(f), 0) = (&self.checkpoint, &failure, executions)
        {
            // loom panicked while loading the file, before any execution.
            return Err(ConfigError(format!(
                "{} is not a loom execution path: {}",
                p.display(),
                f.message.lines().next().unwrap_or_default()
            )));
        }
        Ok(match failure {
            None => Outcome {
                verdict: Verdict::Pass,
                executions,
                elapsed,
                trace: Default::default(),
                sites,
                schedule: None,
                history: recorded.history,
            },
            Some(f) => Outcome {
                // A timeout has no counterexample: the last execution
                // simply did not finish in time.
                trace: if f.kind == super::FailKind::TimedOut {
                    Default::default()
                } else {
                    trace
                },
                verdict: Verdict::Fail(f),
                executions,
                elapsed,
                sites,
                schedule: None,
                history: Vec::new(),
            },
        })
    }
}

/// The spawn orders a loom check of `n` racing roles runs, the declared
/// order first: every permutation for up to 3 roles (at most 6 runs), every
/// rotation for more (4 of the 24 orders of loom's largest group, 4
/// spawned threads besides main: each role is spawned first once, and the
/// full 24 would multiply the heaviest scenarios' time by 24).
pub fn spawn_orders(n: usize) -> Vec<Vec<usize>> {
    if n <= 3 {
        permutations(n)
    } else {
        rotations(n)
    }
}

/// The `n` rotations of `0..n`, the declared order first: each role is
/// spawned first once.
pub fn rotations(n: usize) -> Vec<Vec<usize>> {
    (0..n.max(1))
        .map(|r| (0..n).map(|i| (i + r) % n).collect())
        .collect()
}

/// Every permutation of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for first in 0..n {
        for rest in permutations(n - 1) {
            let mut p = vec![first];
            p.extend(rest.into_iter().map(|i| if i >= first { i + 1 } else { i }));
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_put_each_role_first_once() {
        assert_eq!(
            rotations(3),
            vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]]
        );
        assert_eq!(rotations(1), vec![vec![0]]);
    }

    #[test]
    fn orders_are_every_permutation_up_to_three_then_rotations() {
        assert_eq!(spawn_orders(0), [Vec::<usize>::new()]);
        assert_eq!(spawn_orders(2), [vec![0, 1], vec![1, 0]]);
        assert_eq!(
            spawn_orders(3),
            [
                vec![0, 1, 2],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![1, 2, 0],
                vec![2, 0, 1],
                vec![2, 1, 0]
            ]
        );
        assert_eq!(
            spawn_orders(4),
            [
                vec![0, 1, 2, 3],
                vec![1, 2, 3, 0],
                vec![2, 3, 0, 1],
                vec![3, 0, 1, 2]
            ]
        );
    }
}
