//! Shuttle schedulers over the recorder: the DPOR explorer, a plain
//! exhaustive DFS (every runnable task at every decision, every value of
//! every data choice; no reduction) and a replayer of one recorded path.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::engine::{Decision, Engine, PathStep};
use crate::sync::dpor as recorder;

/// How often (in decisions) a running execution checks the deadline.
const DEADLINE_EVERY: u64 = 4096;

/// State shared between a scheduler (owned by shuttle's runner) and the
/// check that reads its results afterwards.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) timed_out: bool,
    /// Plain DFS: executions started.
    pub(crate) dfs_executions: u64,
    /// The running execution's decisions (DFS and replay).
    pub(crate) path: Vec<PathStep>,
}

fn runnable_ids(runnable: &[&Task]) -> Vec<usize> {
    runnable
        .iter()
        .filter(|t| t.runnable())
        .map(|t| usize::from(t.id()))
        .collect()
}

/// The DPOR explorer as a shuttle scheduler.
pub(crate) struct DporSched {
    pub(crate) shared: Rc<RefCell<Shared>>,
    pub(crate) deadline: Instant,
    pub(crate) decisions: u64,
}

impl Scheduler for DporSched {
    fn new_execution(&mut self) -> Option<Schedule> {
        let mut sh = self.shared.borrow_mut();
        sh.engine.finish_step(recorder::take_actual());
        if Instant::now() >= self.deadline {
            sh.timed_out = true;
            return None;
        }
        if !sh.engine.begin() {
            return None;
        }
        recorder::reset_execution();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        if let Some(t) = recorder::fused() {
            return Some(TaskId::from(t));
        }
        self.decisions += 1;
        let mut sh = self.shared.borrow_mut();
        if self.decisions.is_multiple_of(DEADLINE_EVERY) && Instant::now() >= self.deadline {
            sh.timed_out = true;
            recorder::stop();
            return None;
        }
        sh.engine.finish_step(recorder::take_actual());
        let ids = runnable_ids(runnable);
        let cands = recorder::candidates(&ids);
        match sh.engine.decide(&cands, recorder::spawned_at) {
            Decision::Run(t) => {
                recorder::on_decision(t);
                Some(TaskId::from(t))
            }
            Decision::SleepBlocked => {
                recorder::stop();
                None
            }
        }
    }

    fn next_u64(&mut self) -> u64 {
        let arity = recorder::take_arity();
        self.shared.borrow_mut().engine.choose(arity) as u64
    }
}

/// Plain exhaustive DFS over shuttle's runnable tasks and the data choices.
pub(crate) struct DfsSched {
    pub(crate) shared: Rc<RefCell<Shared>>,
    pub(crate) deadline: Instant,
    /// (chosen index, number of alternatives) per decision or choice.
    levels: Vec<(usize, usize)>,
    cursor: usize,
    started: bool,
    decisions: u64,
}

impl DfsSched {
    pub(crate) fn new(shared: Rc<RefCell<Shared>>, deadline: Instant) -> Self {
        DfsSched {
            shared,
            deadline,
            levels: Vec::new(),
            cursor: 0,
            started: false,
            decisions: 0,
        }
    }

    fn level(&mut self, arity: usize) -> usize {
        let v = if self.cursor < self.levels.len() {
            self.levels[self.cursor].0
        } else {
            self.levels.push((0, arity.max(1)));
            0
        };
        self.cursor += 1;
        v
    }
}

impl Scheduler for DfsSched {
    fn new_execution(&mut self) -> Option<Schedule> {
        if Instant::now() >= self.deadline {
            self.shared.borrow_mut().timed_out = true;
            return None;
        }
        if self.started {
            loop {
                match self.levels.last_mut() {
                    None => return None,
                    Some((c, n)) if *c + 1 < *n => {
                        *c += 1;
                        break;
                    }
                    Some(_) => {
                        self.levels.pop();
                    }
                }
            }
        }
        self.started = true;
        self.cursor = 0;
        let mut sh = self.shared.borrow_mut();
        sh.dfs_executions += 1;
        sh.path.clear();
        recorder::reset_execution();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        if let Some(t) = recorder::fused() {
            return Some(TaskId::from(t));
        }
        self.decisions += 1;
        if self.decisions.is_multiple_of(DEADLINE_EVERY) && Instant::now() >= self.deadline {
            self.shared.borrow_mut().timed_out = true;
            recorder::stop();
            return None;
        }
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        let i = self.level(ids.len());
        let t = ids[i.min(ids.len() - 1)];
        recorder::on_decision(t);
        self.shared.borrow_mut().path.push(PathStep::Task(t));
        Some(TaskId::from(t))
    }

    fn next_u64(&mut self) -> u64 {
        let arity = recorder::take_arity();
        let v = self.level(arity);
        self.shared.borrow_mut().path.push(PathStep::Choice(v));
        v as u64
    }
}

/// Runs one recorded path (then the first runnable task, and value 0).
pub(crate) struct ReplaySched {
    pub(crate) path: Vec<PathStep>,
    pub(crate) pos: usize,
    pub(crate) done: bool,
}

impl Scheduler for ReplaySched {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.done {
            return None;
        }
        self.done = true;
        recorder::reset_execution();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        if let Some(t) = recorder::fused() {
            return Some(TaskId::from(t));
        }
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        let t = match self.path.get(self.pos) {
            Some(PathStep::Task(t)) => {
                assert!(
                    ids.contains(t),
                    "schedule does not fit: task {t} is not runnable at step {}",
                    self.pos
                );
                *t
            }
            Some(PathStep::Choice(_)) => {
                panic!("schedule does not fit: a data choice where a task was expected")
            }
            None => ids[0],
        };
        self.pos += 1;
        recorder::on_decision(t);
        Some(TaskId::from(t))
    }

    fn next_u64(&mut self) -> u64 {
        let _ = recorder::take_arity();
        let v = match self.path.get(self.pos) {
            Some(PathStep::Choice(v)) => *v,
            Some(PathStep::Task(_)) => {
                panic!("schedule does not fit: a task where a data choice was expected")
            }
            None => 0,
        };
        self.pos += 1;
        v as u64
    }
}
