//! The exploration: a shuttle scheduler that replays a graph and extends
//! it, and the facade hooks ([`crate::sync::graph::Hooks`]) through which
//! the running program's operations become events.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::exec_graph::{barrier_named, EvId, Event, Graph, Kind, Mo, RmwRead};
use super::models;
use super::{Mutation, Stats};
use crate::sync::graph::{Directive, Hooks, Op};
use crate::sync::MemoryModel;

/// An operation a thread declared and has not finished.
#[derive(Clone, Copy, Debug)]
struct Pend {
    addr: usize,
    op: Op,
    current: u64,
    decided: bool,
    /// The read event the decision made or replayed (a read-modify-write's
    /// write follows it).
    read: Option<EvId>,
    loc: usize,
}

/// What runs after each complete consistent execution.
pub(crate) type OnComplete = Box<dyn FnMut(&Graph)>;

/// The explorer's state.
pub(crate) struct State {
    model: MemoryModel,
    mutation: Mutation,
    deadline: Instant,
    /// Graphs still to explore (each re-runs the program from the start).
    stack: Vec<Graph>,
    /// The running execution's graph.
    g: Graph,
    started: bool,
    /// Per task: how many of its graph events this execution has run.
    next: Vec<usize>,
    addr_loc: HashMap<usize, usize>,
    pending: Vec<Option<Pend>>,
    current: usize,
    fused: bool,
    directive: Directive,
    /// The execution is abandoned (inconsistent or blocked).
    stop: bool,
    hashes: HashSet<u64>,
    pub(crate) stats: Stats,
    /// Called with each complete consistent graph.
    pub(crate) on_complete: Option<OnComplete>,
}

/// The explorer: shared by the scheduler and the facade hooks (both run on
/// the one OS thread shuttle runs its tasks on).
pub(crate) struct Explorer(pub(crate) RefCell<State>);

impl Explorer {
    pub(crate) fn new(model: MemoryModel, mutation: Mutation, deadline: Instant) -> Rc<Explorer> {
        Rc::new(Explorer(RefCell::new(State {
            model,
            mutation,
            deadline,
            stack: Vec::new(),
            g: Graph::default(),
            started: false,
            next: Vec::new(),
            addr_loc: HashMap::new(),
            pending: Vec::new(),
            current: 0,
            fused: false,
            directive: Directive::default(),
            stop: false,
            hashes: HashSet::new(),
            stats: Stats::default(),
            on_complete: None,
        })))
    }
}

/// A panic for a replay that does not match its graph: the program is not
/// deterministic given the values it reads (or the explorer is wrong).
fn diverged(what: impl std::fmt::Display) -> ! {
    panic!("execution-graph replay diverged: {what} (the program must be deterministic given the values it reads)")
}

impl State {
    fn next_of(&mut self, t: usize) -> &mut usize {
        if self.next.len() <= t {
            self.next.resize(t + 1, 0);
        }
        &mut self.next[t]
    }

    fn pend(&mut self, t: usize) -> &mut Option<Pend> {
        if self.pending.len() <= t {
            self.pending.resize(t + 1, None);
        }
        &mut self.pending[t]
    }

    /// The graph event task `t` runs next, if the graph has one.
    fn replay_event(&mut self, t: usize) -> Option<EvId> {
        let i = *self.next_of(t);
        self.g.threads.get(t).and_then(|th| th.get(i)).copied()
    }

    /// The location of `addr` for an event: the graph's (replay) or a new
    /// one with the object's bits as initial value.
    fn loc_for(&mut self, addr: usize, replayed: Option<EvId>, current: u64) -> usize {
        if let Some(e) = replayed {
            let l = self.g.events[e]
                .loc
                .unwrap_or_else(|| diverged("an access replayed as a non-access"));
            match self.addr_loc.insert(addr, l) {
                Some(old) if old != l => diverged("an object replayed at another location"),
                _ => {}
            }
            return l;
        }
        if let Some(&l) = self.addr_loc.get(&addr) {
            return l;
        }
        let l = self.g.new_loc(current);
        self.addr_loc.insert(addr, l);
        l
    }

    fn consistent(&self, g: &Graph) -> bool {
        models::consistent(g, self.model, self.mutation, true)
    }

    /// Consistent but for atomicity: a read-modify-write may read a write
    /// another one already read, and a write may go between a
    /// read-modify-write's read and write in coherence: the graph is then
    /// inconsistent, but a later write's backward revisit can delete the
    /// read-modify-write, and the result be consistent. Such graphs are
    /// extended (for their revisits) and abandoned at their end.
    fn consistent_but_atomicity(&self, g: &Graph) -> bool {
        models::consistent(g, self.model, self.mutation, false)
    }

    fn spurious_allowed(&self, g: &Graph, t: usize) -> bool {
        matches!(self.model, MemoryModel::Rc11 | MemoryModel::Arm)
            && !g.threads.get(t).is_some_and(|th| {
                th.iter().any(|&e| {
                    matches!(
                        g.events[e].kind,
                        Kind::Read {
                            rmw: Some(RmwRead { spurious: true, .. }),
                            ..
                        }
                    )
                })
            })
    }

    /// Continue with the first graph, push the others; false if none.
    fn branch(&mut self, mut graphs: Vec<Graph>) -> bool {
        if graphs.is_empty() {
            return false;
        }
        self.g = graphs.remove(0);
        // Explored in the order listed (a stack).
        self.stack.extend(graphs.into_iter().rev());
        true
    }

    /// Decide task `t`'s declared operation (at its scheduling point).
    /// False: no consistent choice (the execution is blocked).
    fn decide(&mut self, t: usize) -> bool {
        let Some(mut p) = *self.pend(t) else {
            return true;
        };
        if p.decided {
            return true;
        }
        p.decided = true;
        let replayed = self.replay_event(t);
        let ok = match p.op {
            Op::Load(_) | Op::CellRead | Op::Rmw { .. } => {
                p.loc = self.loc_for(p.addr, replayed, p.current);
                match replayed {
                    Some(e) => {
                        let Kind::Read { rf, rmw, .. } = self.g.events[e].kind else {
                            diverged("a read replayed as another event")
                        };
                        self.directive = Directive {
                            value: Some(self.g.value(rf)),
                            spurious: rmw.is_some_and(|x| x.spurious),
                        };
                        p.read = Some(e);
                        *self.next_of(t) += 1;
                        true
                    }
                    None => self.add_read(t, &mut p),
                }
            }
            Op::Store(_) | Op::CellWrite => {
                p.loc = self.loc_for(p.addr, replayed, p.current);
                true
            }
            Op::Fence(..) | Op::Spawn | Op::Join(_) => self.add_plain(t, &p, replayed),
        };
        *self.pend(t) = Some(p);
        ok
    }

    /// A new read: one branch per write it may read (and per spurious
    /// failure of a weak compare-exchange).
    fn add_read(&mut self, t: usize, p: &mut Pend) -> bool {
        let (mo, rmw) = match p.op {
            Op::Load(o) => (Mo::of(o), None),
            Op::CellRead => (Mo::Plain, None),
            Op::Rmw {
                success,
                failure,
                expected,
                weak,
            } => (
                Mo::of(success),
                Some(RmwRead {
                    failure: Mo::of(failure),
                    expected,
                    weak,
                    spurious: false,
                }),
            ),
            _ => unreachable!("not a read"),
        };
        let mut graphs = Vec::new();
        let writes: Vec<EvId> = self.g.co[p.loc].iter().rev().copied().collect();
        let spurious_ok = self.spurious_allowed(&self.g, t);
        for w in writes {
            let mut variants = vec![rmw];
            if let Some(x) = rmw {
                if x.weak && spurious_ok && x.expected == Some(self.g.value(w)) {
                    variants.push(Some(RmwRead {
                        spurious: true,
                        ..x
                    }));
                }
            }
            for v in variants {
                let mut g = self.g.clone();
                g.push(Event {
                    thread: t,
                    loc: Some(p.loc),
                    kind: Kind::Read {
                        mo,
                        rf: w,
                        rmw: v,
                        revisited: false,
                    },
                });
                if self.consistent_but_atomicity(&g) {
                    graphs.push(g);
                }
            }
        }
        if !self.branch(graphs) {
            return false;
        }
        let e = *self.g.threads[t].last().expect("just added");
        let Kind::Read { rf, rmw, .. } = self.g.events[e].kind else {
            unreachable!()
        };
        self.directive = Directive {
            value: Some(self.g.value(rf)),
            spurious: rmw.is_some_and(|x| x.spurious),
        };
        p.read = Some(e);
        *self.next_of(t) += 1;
        true
    }

    /// A fence, spawn or join: replayed, or added (no choice).
    fn add_plain(&mut self, t: usize, p: &Pend, replayed: Option<EvId>) -> bool {
        let kind = match p.op {
            Op::Fence(o, name) => Kind::Fence {
                mo: Mo::of(o),
                barrier: barrier_named(name),
            },
            Op::Spawn => Kind::Spawn { child: usize::MAX },
            Op::Join(child) => Kind::Join { child },
            _ => unreachable!("not a plain event"),
        };
        if let Some(e) = replayed {
            let same = match (&self.g.events[e].kind, &kind) {
                (Kind::Spawn { .. }, Kind::Spawn { .. }) => true,
                (a, b) => a == b,
            };
            if !same {
                diverged(format!("{kind:?} replayed as {:?}", self.g.events[e].kind));
            }
            *self.next_of(t) += 1;
            return true;
        }
        self.g.push(Event {
            thread: t,
            loc: None,
            kind,
        });
        *self.next_of(t) += 1;
        self.consistent_but_atomicity(&self.g)
    }

    /// The operation wrote `value` (a store, a cell write, or the write of
    /// a read-modify-write whose read is `p.read`).
    fn wrote(&mut self, t: usize, p: &Pend, value: u64) -> bool {
        if let Some(e) = self.replay_event(t) {
            match self.g.events[e].kind {
                Kind::Write { value: v, .. } if v == value => {
                    *self.next_of(t) += 1;
                    return true;
                }
                ref k => diverged(format!("a write of {value} replayed as {k:?}")),
            }
        }
        let (mo, rmw) = match p.op {
            Op::Store(o) => (Mo::of(o), false),
            Op::CellWrite => (Mo::Plain, false),
            Op::Rmw { success, .. } => (Mo::of(success), true),
            _ => unreachable!("not a write"),
        };
        let ev = Event {
            thread: t,
            loc: Some(p.loc),
            kind: Kind::Write { mo, value, rmw },
        };
        let places: Vec<usize> = if rmw {
            let r = p.read.expect("a read-modify-write has its read");
            let src = self.g.rf(r).expect("a read");
            vec![self.g.co_pos(src) + 1]
        } else {
            (1..=self.g.co[p.loc].len()).rev().collect()
        };
        let mut forward = Vec::new();
        let mut revisits = Vec::new();
        for place in places {
            let mut g = self.g.clone();
            let a = g.push(ev.clone());
            g.co[p.loc].insert(place, a);
            // The revisits are computed from every placement, consistent or
            // not (as TruSt: each revisited graph is checked itself): the
            // deleted events may be what makes `g` inconsistent.
            if self.mutation != Mutation::NoBackwardRevisits {
                revisits.extend(self.backward_revisits(&g, a));
            }
            // A graph that breaks only atomicity goes on too: no addition
            // repairs it, but a later write's backward revisit can (by
            // deleting the read-modify-write that reads too early); it is
            // abandoned at its end (`blocked`).
            if self.consistent_but_atomicity(&g) {
                forward.push(g);
            }
        }
        let n_forward = forward.len();
        if n_forward == 0 {
            // Blocked here; the revisits are still to explore.
            self.stack.extend(revisits.into_iter().rev());
            return false;
        }
        forward.extend(revisits);
        self.branch(forward);
        *self.next_of(t) += 1;
        true
    }

    /// The graphs in which a read of `a`'s location that is not porf-before
    /// `a` reads from `a`: the events added after the read and not
    /// porf-before `a` are deleted, the read moves after `a`. Only when the
    /// read and every deleted event were added maximally (TruSt's
    /// condition), so that each such graph is made from one graph only.
    fn backward_revisits(&self, g: &Graph, a: EvId) -> Vec<Graph> {
        let prefix = g.porf_prefix(a);
        let loc = g.events[a].loc;
        let mut out = Vec::new();
        for r in 0..a {
            let ev = &g.events[r];
            let Kind::Read { rmw, .. } = ev.kind else {
                continue;
            };
            // A read a revisit already moved is not revisited again: the
            // graph it would give is made from the read's forward branch.
            if ev.loc != loc || prefix[r] || rmw.is_some_and(|x| x.spurious) {
                continue;
            }
            let keep: Vec<bool> = (0..g.events.len())
                .map(|i| i <= r || prefix[i] || i == a)
                .collect();
            if self.mutation != Mutation::NoMaximality && !maximal(g, r, a, &prefix, &keep) {
                continue;
            }
            let (mut g2, map) = g.restrict(&keep, Some(r));
            let (r2, a2) = (map[r].expect("kept"), map[a].expect("kept"));
            g2.set_rf(r2, a2);
            if let Kind::Read { revisited, .. } = &mut g2.events[r2].kind {
                *revisited = true;
            }
            let mut variants = vec![g2.clone()];
            if let Some(x) = rmw {
                let t = ev.thread;
                if x.weak && x.expected == Some(g.value(a)) && self.spurious_allowed(&g2, t) {
                    if let Kind::Read { rmw: Some(y), .. } = &mut g2.events[r2].kind {
                        y.spurious = true;
                    }
                    variants.push(g2);
                }
            }
            out.extend(variants.into_iter().filter(|v| self.consistent(v)));
        }
        out
    }
}

/// TruSt's maximality: the revisited read `r` and every deleted event were
/// added maximally with respect to `a`: a read reads the coherence-latest
/// write among the events added before it (and was not itself revisited,
/// nor failed spuriously); a write is coherence-latest among the events
/// added before it, those porf-before `a`, and `a`.
fn maximal(g: &Graph, r: EvId, a: EvId, prefix: &[bool], keep: &[bool]) -> bool {
    for (e, ev) in g.events.iter().enumerate().skip(r) {
        if e != r && keep[e] {
            continue;
        }
        match ev.kind {
            Kind::Read {
                rf, rmw, revisited, ..
            } => {
                // It reads the coherence-latest write among those added
                // before it and those porf-before `a` (`a` excluded); a
                // read a revisit moved counts only if what it reads is
                // porf-before `a`.
                let prev = |x: EvId| x != a && (x <= e || prefix[x]);
                if (revisited && !prefix[rf]) || rmw.is_some_and(|x| x.spurious) || !prev(rf) {
                    return false;
                }
                let l = ev.loc.expect("loc");
                let later = &g.co[l][g.co_pos(rf) + 1..];
                if later.iter().any(|&w| prev(w)) {
                    return false;
                }
            }
            Kind::Write { .. } => {
                // Coherence-latest among the writes added before it, those
                // porf-before `a`, and `a`: of the pre-graphs that differ
                // only in where a kept write sits relative to this deleted
                // one, the one with the deleted one last.
                let l = ev.loc.expect("loc");
                let later = &g.co[l][g.co_pos(e) + 1..];
                if later.iter().any(|&w| w < e || keep[w]) {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

impl Hooks for Explorer {
    fn declare(&self, addr: usize, op: Op, current: u64) {
        let mut s = self.0.borrow_mut();
        let t = s.current;
        *s.pend(t) = Some(Pend {
            addr,
            op,
            current,
            decided: false,
            read: None,
            loc: usize::MAX,
        });
    }

    fn directive(&self) -> Directive {
        let mut s = self.0.borrow_mut();
        let t = s.current;
        if !s.decide(t) {
            s.stop = true;
        }
        std::mem::take(&mut s.directive)
    }

    fn fuse(&self, on: bool) {
        self.0.borrow_mut().fused = on;
    }

    fn done(&self, wrote: Option<u64>) {
        let mut s = self.0.borrow_mut();
        let t = s.current;
        let Some(p) = s.pend(t).take() else { return };
        if s.stop {
            return;
        }
        if let Some(v) = wrote {
            if !s.wrote(t, &p, v) {
                s.stop = true;
            }
        }
    }

    fn spawned(&self, child: usize) {
        let mut s = self.0.borrow_mut();
        let t = s.current;
        let i = *s.next_of(t);
        let Some(&e) = s.g.threads.get(t).and_then(|th| th.get(i.wrapping_sub(1))) else {
            return;
        };
        match &mut s.g.events[e].kind {
            Kind::Spawn { child: c } if *c == usize::MAX || *c == child => *c = child,
            _ => diverged("a spawn replayed with another child"),
        }
        s.g.thread_mut(child);
        s.g.spawner[child] = Some(e);
    }

    fn live(&self) -> bool {
        self.0.try_borrow().map_or(true, |s| !s.stop)
    }

    fn forget(&self, addr: usize) {
        if let Ok(mut s) = self.0.try_borrow_mut() {
            s.addr_loc.remove(&addr);
        }
    }
}

/// The scheduler shuttle runs: replays the graph, then extends it.
pub(crate) struct GraphSched(pub(crate) Rc<Explorer>);

impl Scheduler for GraphSched {
    fn new_execution(&mut self) -> Option<Schedule> {
        let mut s = self.0 .0.borrow_mut();
        if s.started {
            if s.stop || !s.consistent(&s.g) {
                s.stats.blocked += 1;
            } else {
                s.stats.executions += 1;
                let h = s.g.canonical_hash();
                if s.hashes.insert(h) {
                    s.stats.graphs += 1;
                }
                let g = std::mem::take(&mut s.g);
                if let Some(f) = s.on_complete.as_mut() {
                    f(&g);
                }
            }
            match s.stack.pop() {
                Some(g) => s.g = g,
                None => return None,
            }
        }
        s.started = true;
        if Instant::now() >= s.deadline {
            s.stats.timed_out = true;
            return None;
        }
        s.next.clear();
        s.addr_loc.clear();
        s.pending.clear();
        s.current = 0;
        s.fused = false;
        s.stop = false;
        s.directive = Directive::default();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let mut s = self.0 .0.borrow_mut();
        if s.stop {
            return None;
        }
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        if s.fused && ids.contains(&s.current) {
            return Some(TaskId::from(s.current));
        }
        // A task between two declared operations runs on to its next one.
        if let Some(&t) = ids.iter().find(|&&t| s.pend(t).is_none()) {
            s.current = t;
            return Some(TaskId::from(t));
        }
        // Replay: the task whose next graph event was added first.
        let replay = ids
            .iter()
            .filter_map(|&t| s.replay_event(t).map(|e| (e, t)))
            .min()
            .map(|(_, t)| t);
        let t = replay.unwrap_or_else(|| *ids.iter().min().expect("a runnable task"));
        s.current = t;
        if !s.decide(t) {
            s.stop = true;
            return None;
        }
        Some(TaskId::from(t))
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}
