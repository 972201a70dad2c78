//! The exploration: a shuttle scheduler that replays a graph and extends
//! it, and the facade hooks ([`crate::sync::graph::Hooks`]) through which
//! the running program's operations become events.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::exec_graph::{barrier_named, Block, EvId, Event, Graph, Kind, Mo, RmwRead};
use super::fast;
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

/// Why a thread does not run on (in the execution being explored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Blocked {
    /// Blocked for good by the read it made (its last event): a held
    /// mutex, a wake-up not notified.
    Read(EvId),
    /// Yielded in a spin loop when `mark` writes of other threads had
    /// been made; its last turn is its events from `turn` (and the one
    /// before, from `prev`, if it had one).
    Spin {
        mark: usize,
        turn: usize,
        prev: Option<usize>,
    },
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
    /// The execution is abandoned because a speculative graph's replay
    /// did not re-make the events a load-buffering revisit kept
    /// ([`Graph::speculative`]).
    uncertified: bool,
    hashes: HashSet<u64>,
    /// Per task: why it does not run on, if it does not.
    blocked: Vec<Option<Blocked>>,
    /// Per task: its events when it last yielded (where its spin loop's
    /// current turn starts), and when it yielded before that.
    turn: Vec<(Option<usize>, usize)>,
    /// Per task: the writes it made in this execution; and all of them.
    writes_by: Vec<usize>,
    writes: usize,
    /// Every thread left is blocked for good: the deadlock message.
    hung: Option<String>,
    /// A C11 data race makes the exploration fail, under every model
    /// (gate cells).
    pub(crate) races_fail: bool,
    /// The racy execution's message, when `races_fail`.
    pub(crate) race: Option<String>,
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
            uncertified: false,
            hashes: HashSet::new(),
            blocked: Vec::new(),
            turn: Vec::new(),
            writes_by: Vec::new(),
            writes: 0,
            hung: None,
            races_fail: false,
            race: None,
            stats: Stats::default(),
            on_complete: None,
        })))
    }
}

/// Whether the operation touches an opaque cell.
fn opaque(op: Op) -> bool {
    matches!(
        op,
        Op::CellRead { opaque: true } | Op::CellWrite { opaque: true }
    )
}

/// A read that failed (a weak compare-exchange) or woke (a wait)
/// spuriously.
fn spurious(k: &Kind) -> bool {
    matches!(
        k,
        Kind::Read {
            rmw: Some(RmwRead { spurious: true, .. }),
            ..
        } | Kind::Read {
            block: Some(Block::Wake { spurious: true, .. }),
            ..
        }
    )
}

/// The read event an operation makes: its order, its read-modify-write
/// part and what blocks its thread.
fn read_shape(op: Op) -> (Mo, Option<RmwRead>, Option<Block>) {
    let rmw_read = |failure, expected, weak| RmwRead {
        failure,
        expected,
        weak,
        spurious: false,
    };
    match op {
        Op::Load(o) => (Mo::of(o), None, None),
        Op::CellRead { .. } => (Mo::Plain, None, None),
        Op::Rmw {
            success,
            failure,
            expected,
            weak,
        } => (
            Mo::of(success),
            Some(rmw_read(Mo::of(failure), expected, weak)),
            None,
        ),
        Op::Lock { blocking } => (
            Mo::Acq,
            Some(rmw_read(Mo::Acq, Some(0), false)),
            blocking.then_some(Block::Lock),
        ),
        Op::Wake { bit } => (
            Mo::Acq,
            None,
            Some(Block::Wake {
                bit,
                spurious: false,
            }),
        ),
        _ => unreachable!("not a read"),
    }
}

/// Whether a graph's read event is the one `op` makes (its spurious
/// failure or wake-up aside).
fn same_read(k: &Kind, op: Op) -> bool {
    let Kind::Read { mo, rmw, block, .. } = *k else {
        return false;
    };
    let (m, x, b) = read_shape(op);
    let unspurious = |b: Option<Block>| match b {
        Some(Block::Wake { bit, .. }) => Some(Block::Wake {
            bit,
            spurious: false,
        }),
        b => b,
    };
    mo == m
        && rmw.map(|y| RmwRead {
            spurious: false,
            ..y
        }) == x
        && unspurious(block) == b
}

/// A panic for a replay that does not match its graph: the program is not
/// deterministic given the values it reads (or the explorer is wrong).
fn diverged(what: impl std::fmt::Display) -> ! {
    panic!("execution-graph replay diverged: {what} (the program must be deterministic given the values it reads)")
}

impl State {
    /// The replay does not match its graph: in a speculative graph, the
    /// events a load-buffering revisit kept depended on the read it
    /// revisited (the execution is abandoned, false); in any other, the
    /// program is not deterministic (a panic).
    fn mismatch(&mut self, what: impl std::fmt::Display) -> bool {
        if !self.g.speculative {
            diverged(what)
        }
        self.uncertified = true;
        self.stop = true;
        false
    }

    fn next_of(&mut self, t: usize) -> &mut usize {
        if self.next.len() <= t {
            self.next.resize(t + 1, 0);
        }
        &mut self.next[t]
    }

    /// Task `t` made a write (replayed or new).
    fn count_write(&mut self, t: usize) {
        if self.writes_by.len() <= t {
            self.writes_by.resize(t + 1, 0);
        }
        self.writes_by[t] += 1;
        self.writes += 1;
    }

    /// The writes other tasks than `t` made in this execution.
    fn writes_by_others(&self, t: usize) -> usize {
        self.writes - self.writes_by.get(t).copied().unwrap_or(0)
    }

    fn blocked_of(&mut self, t: usize) -> &mut Option<Blocked> {
        if self.blocked.len() <= t {
            self.blocked.resize(t + 1, None);
        }
        &mut self.blocked[t]
    }

    /// Whether task `t` may not run now: blocked for good, or yielded and
    /// no other task has written since (and it has no graph event left to
    /// replay: a replay runs what the graph says).
    fn held_back(&mut self, t: usize) -> bool {
        match *self.blocked_of(t) {
            None => false,
            Some(Blocked::Read(_)) => true,
            Some(Blocked::Spin { mark, .. }) => {
                if self.writes_by_others(t) > mark || self.replay_event(t).is_some() {
                    self.blocked[t] = None;
                    false
                } else {
                    true
                }
            }
        }
    }

    /// Every task that could run is held back: a deadlock if each is
    /// blocked for good on what it read last (the coherence-latest write:
    /// nothing will change it), a spinning one included (every read of
    /// its last turn reads the coherence-latest write); otherwise a thread
    /// read an old value, a revisit gives it the new one, and this
    /// execution ends here (blocked). The message, if a deadlock.
    fn deadlock(&self, tasks: &[usize]) -> Option<String> {
        let latest = |e: EvId| {
            let Kind::Read { rf, .. } = self.g.events[e].kind else {
                return true;
            };
            let l = self.g.events[e].loc.expect("a read has a location");
            self.g.co[l].last() == Some(&rf)
        };
        let mut what = Vec::new();
        for &t in tasks {
            match self.blocked.get(t).copied().flatten() {
                Some(Blocked::Read(e)) if latest(e) => {
                    let on = match self.g.events[e].kind {
                        Kind::Read {
                            block: Some(Block::Lock),
                            ..
                        } => "a mutex that is never released",
                        _ => "a condition variable never notified",
                    };
                    what.push(format!("thread {t} waits for {on}"));
                }
                Some(Blocked::Spin { turn, prev, .. }) => {
                    let th = &self.g.threads[t];
                    if !th[turn.min(th.len())..].iter().all(|&e| latest(e)) {
                        return None;
                    }
                    // Spinning for good: its last turn repeats the one
                    // before (`spinner_to_run` let it run until it did).
                    if !prev.is_some_and(|p| self.turn_repeats(t, p, turn)) {
                        return None;
                    }
                    what.push(format!("thread {t} spins on values no thread will change"));
                }
                _ => return None,
            }
        }
        Some(format!(
            "deadlock (execution-graph explorer): {}",
            what.join("; ")
        ))
    }

    /// Whether thread `t`'s turn from `turn` (to its last event) is the
    /// turn from `prev` (to `turn`) again: the same accesses to the same
    /// locations, reading and writing the same values. Only then does
    /// another turn with nothing new written behave as this one: a loop
    /// whose turn changes its own state (a compare-exchange retried with
    /// the value its failure read) does not spin for good after one turn.
    fn turn_repeats(&self, t: usize, prev: usize, turn: usize) -> bool {
        let th = &self.g.threads[t];
        let sig = |e: EvId| {
            let ev = &self.g.events[e];
            let what = match ev.kind {
                Kind::Read { mo, rf, rmw, .. } => {
                    (0, mo, self.g.value(rf), rmw.and_then(|x| x.expected))
                }
                Kind::Write { mo, value, .. } => (1, mo, value, None),
                _ => (2, Mo::Plain, 0, None),
            };
            (ev.loc, what)
        };
        let (a, b) = (&th[prev..turn.min(th.len())], &th[turn.min(th.len())..]);
        a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| sig(x) == sig(y))
    }

    /// When every thread is held back: a spinning thread whose last turn
    /// did not repeat the one before (its next turn may differ), which
    /// runs again, as the DPOR explorer runs a spinning task when nothing
    /// else can.
    fn spinner_to_run(&self, tasks: &[usize]) -> Option<usize> {
        tasks.iter().copied().find(|&t| {
            matches!(
                self.blocked.get(t).copied().flatten(),
                Some(Blocked::Spin { turn, prev, .. })
                    if !prev.is_some_and(|p| self.turn_repeats(t, p, turn))
            )
        })
    }

    /// Whether task `t`'s declared operation, not yet decided, is a mutex
    /// acquisition that would block it if added now (the lock word's
    /// coherence-latest write holds it).
    ///
    /// A condition-variable wake-up is not deferred so. A waiter added
    /// while its bit is set may wake spuriously, reading that write; added
    /// after the notification it no longer may. Deferred with that
    /// spurious wake-up offered on the stack when it was first deferred,
    /// the graphs change with the moment it is offered (refcount
    /// zombie_loop under arm: 113,065 graphs instead of 36,768, and out of
    /// time): which write a spurious wake-up reads depends on when it is
    /// added, so the order of additions is not free for it.
    fn would_block(&self, t: usize) -> bool {
        let Some(Some(p)) = self.pending.get(t) else {
            return false;
        };
        if p.decided || !matches!(p.op, Op::Lock { blocking: true }) {
            return false;
        }
        let value = match self.addr_loc.get(&p.addr) {
            Some(&l) => self.g.value(*self.g.co[l].last().expect("initial write")),
            None => p.current,
        };
        Block::Lock.blocks(value)
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
    fn loc_for(
        &mut self,
        addr: usize,
        replayed: Option<EvId>,
        current: u64,
        opaque: bool,
    ) -> Option<usize> {
        if let Some(e) = replayed {
            let Some(l) = self.g.events[e].loc else {
                self.mismatch("an access replayed as a non-access");
                return None;
            };
            match self.addr_loc.insert(addr, l) {
                Some(old) if old != l => {
                    self.mismatch("an object replayed at another location");
                    return None;
                }
                Some(_) => {}
                None => {
                    // First seen in this execution: its initial value is
                    // this execution's (an address may differ).
                    if !self.g.opaque[l] {
                        let init = self.g.co[l][0];
                        self.g.events[init].kind = Kind::Init { value: current };
                    }
                }
            }
            return Some(l);
        }
        if let Some(&l) = self.addr_loc.get(&addr) {
            return Some(l);
        }
        let l = self.g.new_loc(current, opaque);
        self.addr_loc.insert(addr, l);
        Some(l)
    }

    /// The coherence floor of thread `t`'s next event on location `l`
    /// ([`Graph::coherence_floor`]); 0 under a mutation that changes the
    /// axioms (`DropFr`: the floor is theirs).
    fn floor(&self, t: usize, l: usize) -> usize {
        match self.mutation {
            Mutation::DropFr => 0,
            m => self
                .g
                .coherence_floor(t, l, m == Mutation::FloorThroughEveryRf),
        }
    }

    /// Whether each candidate the coherence floor skips is checked too, and
    /// found inconsistent (with the reference beside the checks, and the
    /// real explorer).
    fn cross_checking(&self) -> bool {
        fast::cross_checking() && self.mutation == Mutation::None
    }

    fn consistent(&self, g: &Graph) -> bool {
        fast::consistent(g, self.model, self.mutation, true, None)
    }

    /// Consistent but for atomicity: a read-modify-write may read a write
    /// another one already read, and a write may go between a
    /// read-modify-write's read and write in coherence: the graph is then
    /// inconsistent, but a later write's backward revisit can delete the
    /// read-modify-write, and the result be consistent. Such graphs are
    /// extended (for their revisits) and abandoned at their end.
    fn consistent_but_atomicity(&self, g: &Graph) -> bool {
        fast::consistent(g, self.model, self.mutation, false, None)
    }

    /// [`Self::consistent`] of the current graph (consistent but for
    /// atomicity: a forward addition extends only such graphs) with event
    /// `added` appended (`fast::consistent`'s premise).
    fn consistent_adding(&self, g: &Graph, added: EvId) -> bool {
        fast::consistent(g, self.model, self.mutation, true, Some(added))
    }

    /// [`Self::consistent_but_atomicity`], likewise.
    fn consistent_but_atomicity_adding(&self, g: &Graph, added: EvId) -> bool {
        fast::consistent(g, self.model, self.mutation, false, Some(added))
    }

    /// A weak compare-exchange of thread `t` may fail spuriously: under
    /// `rc11` and `arm` (an exclusive pair), if the thread has had no
    /// spurious failure or wake-up in this graph (the DPOR explorer's
    /// bound: one per thread per execution).
    fn spurious_allowed(&self, g: &Graph, t: usize) -> bool {
        matches!(self.model, MemoryModel::Rc11 | MemoryModel::Arm) && self.wake_allowed(g, t)
    }

    /// A condition-variable wait of thread `t` may wake spuriously (under
    /// every model: the kernels' `cv_wait` may return with no wake-up), if
    /// the thread has had no spurious failure or wake-up in this graph.
    fn wake_allowed(&self, g: &Graph, t: usize) -> bool {
        !g.threads
            .get(t)
            .is_some_and(|th| th.iter().any(|&e| spurious(&g.events[e].kind)))
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
            Op::Load(_)
            | Op::CellRead { .. }
            | Op::Rmw { .. }
            | Op::Lock { .. }
            | Op::Wake { .. } => {
                let Some(l) = self.loc_for(p.addr, replayed, p.current, opaque(p.op)) else {
                    return false;
                };
                p.loc = l;
                match replayed {
                    Some(e) => {
                        let Kind::Read { rf, .. } = self.g.events[e].kind else {
                            return self.mismatch("a read replayed as another event");
                        };
                        if self.g.speculative && !same_read(&self.g.events[e].kind, p.op) {
                            return self.mismatch("a read replayed as another read");
                        }
                        self.directive = Directive {
                            value: Some(self.g.value(rf)),
                            spurious: spurious(&self.g.events[e].kind),
                        };
                        p.read = Some(e);
                        *self.next_of(t) += 1;
                        true
                    }
                    None => self.add_read(t, &mut p),
                }
            }
            Op::Store(_) | Op::CellWrite { .. } => {
                let Some(l) = self.loc_for(p.addr, replayed, p.current, opaque(p.op)) else {
                    return false;
                };
                p.loc = l;
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
        let (mo, rmw, block) = read_shape(p.op);
        let mut graphs = Vec::new();
        let latest = *self.g.co[p.loc]
            .last()
            .expect("a location has its initial write");
        // An opaque cell's read reads the coherence-latest write, the one
        // in memory (see `crate::sync::graph::cell`).
        let writes: Vec<EvId> = if self.g.opaque[p.loc] {
            vec![latest]
        } else {
            self.g.co[p.loc].iter().rev().copied().collect()
        };
        let spurious_ok = self.spurious_allowed(&self.g, t);
        let floor = self.floor(t, p.loc);
        let cross = self.cross_checking();
        for w in writes {
            let value = self.g.value(w);
            let below = self.g.co_pos(w) < floor;
            if below && !cross {
                continue;
            }
            // A read that blocks its thread reads the coherence-latest
            // write: blocked on an older one, the thread could only be
            // woken by a revisit, which maximality refuses (it did not
            // read the latest), so the execution could only end blocked.
            if block.is_some_and(|b| b.blocks(value)) && w != latest {
                continue;
            }
            let mut variants = vec![(rmw, block)];
            if let Some(x) = rmw {
                if x.weak && spurious_ok && x.expected == Some(value) {
                    variants.push((
                        Some(RmwRead {
                            spurious: true,
                            ..x
                        }),
                        block,
                    ));
                }
            }
            if let Some(Block::Wake { bit, .. }) = block {
                if self.wake_allowed(&self.g, t) && value & bit != 0 && w == latest {
                    variants.push((
                        rmw,
                        Some(Block::Wake {
                            bit,
                            spurious: true,
                        }),
                    ));
                }
            }
            for (v, b) in variants {
                let mut g = self.g.clone();
                let e = g.push(Event {
                    thread: t,
                    loc: Some(p.loc),
                    kind: Kind::Read {
                        mo,
                        rf: w,
                        rmw: v,
                        revisited: false,
                        block: b,
                    },
                });
                let ok = self.consistent_but_atomicity_adding(&g, e);
                assert!(
                    !(below && ok),
                    "a read below its coherence floor is consistent"
                );
                if ok {
                    graphs.push(g);
                }
            }
        }
        if !self.branch(graphs) {
            return false;
        }
        let e = *self.g.threads[t].last().expect("just added");
        let Kind::Read { rf, .. } = self.g.events[e].kind else {
            unreachable!()
        };
        self.directive = Directive {
            value: Some(self.g.value(rf)),
            spurious: spurious(&self.g.events[e].kind),
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
                let what = format!("{kind:?} replayed as {:?}", self.g.events[e].kind);
                return self.mismatch(what);
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
        self.count_write(t);
        let (mo, rmw) = match p.op {
            Op::Store(o) => (Mo::of(o), false),
            Op::CellWrite { .. } => (Mo::Plain, false),
            Op::Rmw { success, .. } => (Mo::of(success), true),
            Op::Lock { .. } => (Mo::Acq, true),
            _ => unreachable!("not a write"),
        };
        if let Some(e) = self.replay_event(t) {
            let Kind::Write {
                value: old,
                mo: m,
                rmw: x,
            } = self.g.events[e].kind
            else {
                let what = format!("a write of {value} replayed as {:?}", self.g.events[e].kind);
                return self.mismatch(what);
            };
            if self.g.speculative && (m, x) != (mo, rmw) {
                return self.mismatch("a write replayed as another write");
            }
            // A read this execution already made read the graph's value
            // (a load-buffering cycle: the read runs before the write it
            // reads); another value now means the write depended on it.
            if old != value && self.read_before_its_write(e) {
                return self.mismatch(format!(
                    "a write of {value} replayed as a write of {old}, already read"
                ));
            }
            // The value this execution wrote: the same as the graph's, but
            // for addresses (an allocation's address differs from one
            // execution to the next), which the reads after it in this
            // execution must get.
            if let Kind::Write { value: v, .. } = &mut self.g.events[e].kind {
                *v = value;
            }
            *self.next_of(t) += 1;
            return true;
        }
        let ev = Event {
            thread: t,
            loc: Some(p.loc),
            kind: Kind::Write { mo, value, rmw },
        };
        let places: Vec<usize> = if rmw {
            let r = p.read.expect("a read-modify-write has its read");
            let src = self.g.rf(r).expect("a read");
            vec![self.g.co_pos(src) + 1]
        } else if self.g.opaque[p.loc] {
            // An opaque cell's write goes coherence-last (memory holds it).
            vec![self.g.co[p.loc].len()]
        } else {
            (1..=self.g.co[p.loc].len()).rev().collect()
        };
        // A placement at or below the coherence floor is inconsistent, and
        // so is each of its revisits: what makes it so is porf-before the
        // write, which a revisit keeps (`Graph::coherence_floor`).
        let floor = if rmw { 0 } else { self.floor(t, p.loc) };
        let cross = self.cross_checking();
        let mut forward = Vec::new();
        let mut revisits = Vec::new();
        for place in places {
            let below = place <= floor;
            if below && !cross {
                continue;
            }
            let mut g = self.g.clone();
            let a = g.push(ev.clone());
            g.co[p.loc].insert(place, a);
            // The revisits are computed from every placement, consistent or
            // not (as TruSt: each revisited graph is checked itself): the
            // deleted events may be what makes `g` inconsistent.
            if self.mutation != Mutation::NoBackwardRevisits {
                let r = self.backward_revisits(&g, a);
                assert!(
                    !below || r.is_empty(),
                    "a write below its coherence floor revisits"
                );
                revisits.extend(r);
            }
            if below {
                assert!(
                    !self.consistent_adding(&g, a),
                    "a write below its coherence floor is consistent"
                );
                continue;
            }
            // A graph that breaks only atomicity goes on too: no addition
            // repairs it, but a later write's backward revisit can (by
            // deleting the read-modify-write that reads too early); it is
            // abandoned at its end (`blocked`).
            if self.consistent_adding(&g, a) {
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

    /// A speculative graph's execution ended with a thread that did not
    /// make all its graph events (it took another path once a
    /// load-buffering revisit gave a read its new value).
    fn speculative_unfinished(&self) -> bool {
        self.g.speculative
            && !self.stop
            && self
                .g
                .threads
                .iter()
                .enumerate()
                .any(|(t, th)| self.next.get(t).copied().unwrap_or(0) < th.len())
    }

    /// Whether a read this execution has already replayed reads `w` (only
    /// in a load-buffering cycle does a read run before the write it reads).
    fn read_before_its_write(&self, w: EvId) -> bool {
        self.g.threads.iter().enumerate().any(|(u, th)| {
            let done = self.next.get(u).copied().unwrap_or(0);
            th[..done.min(th.len())]
                .iter()
                .any(|&e| self.g.rf(e) == Some(w))
        })
    }

    /// The graphs in which a read of `a`'s location that is not porf-before
    /// `a` reads from `a`: the events added after the read and not
    /// porf-before `a` are deleted, the read moves after `a`. Only when the
    /// read and every deleted event were added maximally (TruSt's
    /// condition), so that each such graph is made from one graph only.
    ///
    /// Under `arm`, a read of another thread that *is* porf-before `a` may
    /// read from it too (load buffering: [`State::revisit`]).
    fn backward_revisits(&self, g: &Graph, a: EvId) -> Vec<Graph> {
        self.revisits_below(g, a, a)
    }

    /// `a`'s revisits of the reads of its location added before `below`.
    fn revisits_below(&self, g: &Graph, a: EvId, below: EvId) -> Vec<Graph> {
        let prefix = g.porf_prefix(a);
        let loc = g.events[a].loc;
        let mut out = Vec::new();
        for r in 0..below {
            let ev = &g.events[r];
            // A read that failed or woke spuriously is not revisited: what
            // it reads does not matter to its thread.
            if matches!(ev.kind, Kind::Read { .. }) && ev.loc == loc && !spurious(&ev.kind) {
                out.extend(self.revisit(g, r, a, &prefix));
            }
        }
        out
    }

    /// `a` revisits read `r` (of its location): the consistent graphs.
    ///
    /// A revisit keeps the events added up to `r`, those porf-before `a`,
    /// and `a`. If events po-after `r` are among them, `r` is porf-before
    /// `a` and the new graph has a po ∪ rf cycle: load buffering (HMC),
    /// which ARMv8 allows and only `arm` explores. `r` then stays where it
    /// was added (its kept events follow it in program order).
    ///
    /// The facade sees no dependencies, so whether those kept events
    /// depend on `r` is found by running the thread again: the replay
    /// gives `r` its new value and must make the same events again (the
    /// same operations on the same locations, and no write another thread
    /// has already read in this replay with another value), or the graph is
    /// abandoned ([`Graph::speculative`]). This is a *semantic* dependency (a value
    /// that made no difference is no dependency), weaker than ARMv8's
    /// syntactic one: a cycle that a dependency whose value does not
    /// matter forbids on the hardware is explored too (a possible false
    /// alarm, never a missed outcome).
    ///
    /// Not revisited into a cycle: a read of the thread of `a` (po-before
    /// it: coherence forbids it); a compare-exchange's read, a mutex
    /// acquisition's included (it compiles to an exclusive load, a compare
    /// and a branch on the value read, and that control dependency orders
    /// every later store on ARMv8, as aarch64.cat's `ctrl` does); a
    /// blocking read (its thread's later events exist only for the value
    /// it read); and a read of an opaque cell (its value is not the
    /// explorer's). A spurious failure is not revisited at all.
    fn revisit(&self, g: &Graph, r: EvId, a: EvId, prefix: &[bool]) -> Vec<Graph> {
        let ev = &g.events[r];
        let Kind::Read { rmw, block, .. } = ev.kind else {
            return Vec::new();
        };
        let mut keep: Vec<bool> = (0..g.events.len())
            .map(|i| i <= r || prefix[i] || i == a)
            .collect();
        g.porf_close(&mut keep);
        let th = &g.threads[ev.thread];
        let k = th.iter().position(|&x| x == r).expect("in its thread");
        let cycle = th[k + 1..].iter().any(|&x| keep[x]);
        if cycle {
            let l = ev.loc.expect("a read has a location");
            let compare = rmw.is_some_and(|x| x.expected.is_some());
            let allowed = self.model == MemoryModel::Arm
                && self.mutation != Mutation::NoLoadBuffering
                && ev.thread != g.events[a].thread
                && !compare
                && block.is_none()
                && !g.opaque[l];
            if !allowed {
                return Vec::new();
            }
        }
        if self.mutation != Mutation::NoMaximality && !maximal(g, r, a, prefix, &keep, cycle) {
            return Vec::new();
        }
        let (mut g2, map) = g.restrict(&keep, (!cycle).then_some(r));
        let (r2, a2) = (map[r].expect("kept"), map[a].expect("kept"));
        g2.set_rf(r2, a2);
        if let Kind::Read { revisited, .. } = &mut g2.events[r2].kind {
            *revisited = true;
        }
        if cycle {
            if rmw.is_some() {
                // An exchange or fetch-add (it always writes): its write
                // stays right after what it reads in coherence.
                let w = g2.threads[ev.thread][k + 1];
                g2.co_move_after(w, a2);
            }
            g2.speculative = true;
            if !self.consistent(&g2) {
                return Vec::new();
            }
            // Reads added before `r` that `a` may also be read by: in the
            // graph before, each was porf-before `a` too, or read
            // maximally something else (it was not revisited then), and
            // none can be deleted and added again after `a` (what `a`
            // depends on keeps them). Revisited now, from this graph.
            let mut out = self.revisits_below(&g2, a2, r2);
            out.push(g2);
            return out;
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
        variants.retain(|v| self.consistent(v));
        variants
    }
}

/// TruSt's maximality: the revisited read `r` and every deleted event were
/// added maximally with respect to `a`: a read reads the coherence-latest
/// write among the events added before it (and was not itself revisited,
/// nor failed spuriously); a write is coherence-latest among the events
/// added before it, those porf-before `a`, and `a`.
///
/// In a load-buffering revisit, `r`'s own condition leaves out the writes
/// porf-after it (kept because `a` depends on them): `r` could never have
/// read them.
fn maximal(g: &Graph, r: EvId, a: EvId, prefix: &[bool], keep: &[bool], cycle: bool) -> bool {
    let after_r: Vec<bool> = if cycle { g.porf_suffix(r) } else { Vec::new() };
    for (e, ev) in g.events.iter().enumerate().skip(r) {
        if e != r && keep[e] {
            continue;
        }
        match ev.kind {
            Kind::Read { rf, revisited, .. } => {
                // It reads the coherence-latest write among those added
                // before it and those porf-before `a` (`a` excluded); a
                // read a revisit moved counts only if what it reads is
                // porf-before `a`.
                let prev =
                    |x: EvId| x != a && (x <= e || prefix[x]) && !(e == r && cycle && after_r[x]);
                if (revisited && !prefix[rf]) || spurious(&ev.kind) || !prev(rf) {
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
                // An opaque cell's writes have one coherence place only
                // (last when added): no other pre-graph differs in it.
                let l = ev.loc.expect("loc");
                let later = &g.co[l][g.co_pos(e) + 1..];
                if !g.opaque[l] && later.iter().any(|&w| w < e || keep[w]) {
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

    fn block(&self) {
        let mut s = self.0.borrow_mut();
        let t = s.current;
        let e = *s.g.threads[t].last().expect("blocked by its last read");
        *s.blocked_of(t) = Some(Blocked::Read(e));
    }

    fn spin(&self) {
        let mut s = self.0.borrow_mut();
        let t = s.current;
        let others = s.writes_by_others(t);
        // The events it has run in this execution (a replayed graph has
        // more).
        let len = *s.next_of(t);
        if s.turn.len() <= t {
            s.turn.resize(t + 1, (None, 0));
        }
        let (prev, turn) = s.turn[t];
        s.turn[t] = (Some(turn), len);
        *s.blocked_of(t) = Some(Blocked::Spin {
            mark: others,
            turn,
            prev,
        });
    }

    fn hung(&self) -> Option<String> {
        self.0.borrow().hung.clone()
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
            if s.uncertified || s.speculative_unfinished() {
                s.stats.uncertified += 1;
            } else if s.stop || !s.consistent(&s.g) {
                s.stats.blocked += 1;
            } else {
                s.stats.executions += 1;
                let h = s.g.canonical_hash();
                if s.hashes.insert(h) {
                    s.stats.graphs += 1;
                }
                if s.races_fail && fast::racy(&s.g) {
                    s.race = Some(format!(
                        "data race (execution-graph explorer, {}): two accesses to a location, one a write and one plain, in different threads, not ordered by happens-before",
                        s.model
                    ));
                    return None;
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
        s.uncertified = false;
        s.directive = Directive::default();
        s.blocked.clear();
        s.turn.clear();
        s.writes_by.clear();
        s.writes = 0;
        s.hung = None;
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
        let all: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        if s.fused && all.contains(&s.current) {
            return Some(TaskId::from(s.current));
        }
        if s.hung.is_some() {
            // The blocked thread that reports the deadlock.
            return all.first().map(|&t| TaskId::from(t));
        }
        let ids: Vec<usize> = all.iter().copied().filter(|&t| !s.held_back(t)).collect();
        if ids.is_empty() {
            if let Some(t) = s.spinner_to_run(&all) {
                s.blocked[t] = None;
                s.current = t;
                return Some(TaskId::from(t));
            }
            match s.deadlock(&all) {
                Some(m) => {
                    s.hung = Some(m);
                    return all.first().map(|&t| TaskId::from(t));
                }
                None => {
                    s.stop = true;
                    return None;
                }
            }
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
        // A new event: the first task whose operation would not block it
        // on a held mutex. Added now, its acquisition would read the lock
        // taken and end the execution blocked, once the others were done;
        // the unlock's backward revisit would make the graph in which it
        // takes the lock. Added after the unlock, it reads it directly. The
        // order in which threads add events is the explorer's choice: each
        // order explores the same graphs (refcount zombie_loop under arm:
        // the same 36,768 graphs, 77,895 blocked executions instead of
        // 89,023; every gate cell's graph count is unchanged).
        let t = replay.unwrap_or_else(|| {
            ids.iter()
                .copied()
                .find(|&t| !s.would_block(t))
                .unwrap_or_else(|| *ids.iter().min().expect("a runnable task"))
        });
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
