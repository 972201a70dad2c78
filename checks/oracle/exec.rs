//! Candidate executions of a [`Program`], herd-style: each thread is run on
//! its own under every assignment of values to its reads (from a finite
//! value domain per location), giving its event sequences; then for every
//! combination of one sequence per thread, every reads-from choice whose
//! write has the value the read assumed, and every coherence order per
//! location (the initial write first).
//!
//! Each location's reads-from and coherence choices are filtered by
//! SC-per-location (`acyclic po-loc | rf | co | fr`) and RMW atomicity
//! (`empty rmw & (fr; co)`) before the locations are combined: all four
//! models have both axioms (sc, x86tso.cat's `uniproc` and `atomic`,
//! RC11's coherence and atomicity, aarch64.cat's `internal` and `atomic`),
//! so this only skips candidates every model rejects. The model-specific
//! axioms are in `axioms.rs`.

use std::collections::BTreeSet;

use lwpcheck::explore::program::{Expr, Fence, Loc, Order, Program, RmwOp, Stmt};

use super::rel::{Rel, Set, MAX};

/// What an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A read.
    Read,
    /// A write.
    Write,
    /// A fence.
    Fence(Fence),
}

/// One event of a candidate execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The thread, or `None` for an initial write.
    pub thread: Option<usize>,
    /// Read, write or fence.
    pub kind: Kind,
    /// The location (0 for a fence, unused).
    pub loc: Loc,
    /// The value read or written.
    pub value: u64,
    /// The order of this event: for a half of a read-modify-write, the
    /// half's share of the statement's order (the read half of an AcqRel
    /// RMW is Acquire, its write half Release; SeqCst halves are both
    /// SeqCst), as RC11 and the ARMv8 mapping (LDAXR/STLXR) both split it.
    pub order: Order,
    /// Part of a read-modify-write instruction (both halves, and the lone
    /// read of a failed compare-exchange): a locked instruction on x86.
    pub rmw_insn: bool,
    /// ARMv8: the read's load instruction is LDAR/LDAXR. For a
    /// compare-exchange it is LDAXR when either of its orderings acquires,
    /// whichever way the comparison goes: one instruction sequence serves
    /// both outcomes (the exclusive load runs before the comparison).
    pub arm_acquire: bool,
}

impl Event {
    /// A read.
    pub fn is_read(&self) -> bool {
        self.kind == Kind::Read
    }

    /// A write.
    pub fn is_write(&self) -> bool {
        self.kind == Kind::Write
    }
}

/// One thread's run under one assignment of read values.
#[derive(Clone, Debug, Default)]
struct Path {
    events: Vec<Event>,
    /// Local pairs (read, event): data dependencies.
    data: Vec<(usize, usize)>,
    /// Local pairs (read, event): control dependencies.
    ctrl: Vec<(usize, usize)>,
    /// Local pairs (read half, write half).
    rmw: Vec<(usize, usize)>,
    regs: Vec<u64>,
}

/// A candidate execution that passed SC-per-location and atomicity.
#[derive(Clone, Debug)]
pub struct Graph {
    /// The events: the initial writes first (location `l` is event `l`),
    /// then each thread's in program order.
    pub events: Vec<Event>,
    /// Program order (transitive; not over initial writes).
    pub po: Rel,
    /// Reads-from (write to read).
    pub rf: Rel,
    /// Coherence (transitive, total per location).
    pub co: Rel,
    /// Read half to write half of each read-modify-write.
    pub rmw: Rel,
    /// Data dependencies (a read to a write whose value it feeds).
    pub data: Rel,
    /// Control dependencies (a read to every event after a branch on it).
    pub ctrl: Rel,
    /// Each thread's final registers.
    pub regs: Vec<Vec<u64>>,
}

impl Graph {
    /// The number of events.
    pub fn n(&self) -> usize {
        self.events.len()
    }

    /// The events satisfying `f`.
    pub fn set(&self, f: impl Fn(&Event) -> bool) -> Set {
        self.events
            .iter()
            .enumerate()
            .fold(0, |s, (k, e)| if f(e) { s | 1 << k } else { s })
    }

    /// `fr = rf^-1 ; co`.
    pub fn fr(&self) -> Rel {
        self.rf.inv().seq(&self.co)
    }

    /// Pairs of memory events on the same location.
    pub fn same_loc(&self) -> Rel {
        let mut r = Rel::empty(self.n());
        for (a, x) in self.events.iter().enumerate() {
            for (b, y) in self.events.iter().enumerate() {
                if !matches!(x.kind, Kind::Fence(_))
                    && !matches!(y.kind, Kind::Fence(_))
                    && x.loc == y.loc
                {
                    r.add(a, b);
                }
            }
        }
        r
    }

    /// Pairs of distinct events of different threads (an initial write is
    /// of no thread: external to every event).
    pub fn ext(&self) -> Rel {
        let mut r = Rel::empty(self.n());
        for (a, x) in self.events.iter().enumerate() {
            for (b, y) in self.events.iter().enumerate() {
                if a != b && (x.thread.is_none() || x.thread != y.thread) {
                    r.add(a, b);
                }
            }
        }
        r
    }

    /// The final value of each location: its coherence-last write.
    pub fn memory(&self, locations: usize) -> Vec<u64> {
        (0..locations)
            .map(|l| {
                let last = (0..self.n())
                    .filter(|&w| self.events[w].is_write() && self.events[w].loc == l)
                    .find(|&w| (0..self.n()).all(|v| !self.co.has(w, v)));
                self.events[last.expect("every location has its initial write")].value
            })
            .collect()
    }
}

/// The values each location can hold: the values the program's writes can
/// produce, computed as a fixpoint from the initial values over every thread
/// run with reads taking values already found. Each value carries the set
/// of write statements its derivation used, and a write never feeds its own
/// value: in an execution each write statement runs at most once and a
/// value's derivation is acyclic, so `r = fetch_add(x, 1)` gives 0 and 1,
/// not every number. (Values from a cyclic derivation are out of thin air;
/// neither the oracle nor the explorer can produce them.)
pub fn domains(p: &Program, spurious: bool) -> Vec<BTreeSet<u64>> {
    let mut ids = Vec::new();
    for t in &p.threads {
        number_writes(&t.body, &mut ids);
    }
    assert!(
        ids.len() <= 64,
        "more than 64 write statements (the oracle's bound)"
    );
    let mut d: Vec<BTreeSet<Tagged>> = p
        .locations
        .iter()
        .map(|l| BTreeSet::from([(l.init, 0)]))
        .collect();
    for _ in 0..=ids.len() {
        let mut next = d.clone();
        for t in &p.threads {
            let regs = vec![(0, 0); t.registers.len()];
            let todo: Vec<&Stmt> = t.body.iter().rev().collect();
            produce(todo, regs, &d, &ids, spurious, &mut |loc, v| {
                next[loc].insert(v);
            });
        }
        if next == d {
            break;
        }
        d = next;
    }
    d.iter()
        .map(|s| s.iter().map(|&(v, _)| v).collect())
        .collect()
}

/// A value and the write statements (bits of [`number_writes`]' order) its
/// derivation used.
type Tagged = (u64, u64);

fn number_writes(body: &[Stmt], ids: &mut Vec<*const Stmt>) {
    for s in body {
        match s {
            Stmt::Store { .. } | Stmt::Rmw { .. } => ids.push(s as *const Stmt),
            Stmt::If {
                then, otherwise, ..
            } => {
                number_writes(then, ids);
                number_writes(otherwise, ids);
            }
            _ => {}
        }
    }
}

fn tagged_eval(e: &Expr, regs: &[Tagged]) -> Tagged {
    let values: Vec<u64> = regs.iter().map(|r| r.0).collect();
    fn mask(e: &Expr, regs: &[Tagged]) -> u64 {
        match e {
            Expr::Const(_) => 0,
            Expr::Reg(r) => regs[*r].1,
            Expr::Bin(_, a, b) => mask(a, regs) | mask(b, regs),
        }
    }
    (e.eval(&values), mask(e, regs))
}

/// Every (location, tagged value) the statements can write with reads
/// taking values from `d`.
fn produce(
    mut todo: Vec<&Stmt>,
    mut regs: Vec<Tagged>,
    d: &[BTreeSet<Tagged>],
    ids: &[*const Stmt],
    spurious: bool,
    emit: &mut impl FnMut(Loc, Tagged),
) {
    while let Some(s) = todo.pop() {
        let me = ids
            .iter()
            .position(|&p| std::ptr::eq(p, s))
            .map_or(0, |k| 1u64 << k);
        match s {
            Stmt::Load { reg, loc, .. } => {
                for &v in &d[*loc] {
                    let mut regs = regs.clone();
                    regs[*reg] = v;
                    produce(todo.clone(), regs, d, ids, spurious, emit);
                }
                return;
            }
            Stmt::Store { loc, value, .. } => put(emit, me, *loc, tagged_eval(value, &regs)),
            Stmt::Fence(_) => {}
            Stmt::Assign { reg, value } => regs[*reg] = tagged_eval(value, &regs),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let branch = if tagged_eval(cond, &regs).0 != 0 {
                    then
                } else {
                    otherwise
                };
                todo.extend(branch.iter().rev());
            }
            Stmt::Rmw { reg, loc, op, .. } => {
                for &(old, m) in &d[*loc] {
                    let mut regs = regs.clone();
                    let mut result = (old, m);
                    match op {
                        RmwOp::Exchange(e) => put(emit, me, *loc, tagged_eval(e, &regs)),
                        RmwOp::FetchAdd(e) => {
                            let (v, me2) = tagged_eval(e, &regs);
                            put(emit, me, *loc, (old.wrapping_add(v), m | me2));
                        }
                        RmwOp::Cas {
                            expected,
                            new,
                            expected_reg,
                            weak,
                            ..
                        } => {
                            let matched = tagged_eval(expected, &regs).0 == old;
                            if matched {
                                put(emit, me, *loc, tagged_eval(new, &regs));
                            }
                            // The failing branch (a real or a spurious failure).
                            if !matched || (*weak && spurious) {
                                let mut fail = regs.clone();
                                if let Some(e) = expected_reg {
                                    fail[*e] = (old, m);
                                }
                                if let Some(x) = reg {
                                    fail[*x] = (0, m);
                                }
                                produce(todo.clone(), fail, d, ids, spurious, emit);
                            }
                            if !matched {
                                continue;
                            }
                            result = (1, m);
                        }
                    }
                    if let Some(x) = reg {
                        regs[*x] = result;
                    }
                    produce(todo.clone(), regs, d, ids, spurious, emit);
                }
                return;
            }
        }
    }
}

/// A write statement (bit `me`) writes a tagged value, unless its value
/// derives from itself.
fn put(emit: &mut impl FnMut(Loc, Tagged), me: u64, loc: Loc, (v, m): Tagged) {
    if m & me == 0 {
        emit(loc, (v, m | me));
    }
}

/// Registers' values and the reads each depends on (a bit per local event).
#[derive(Clone)]
struct Regs {
    values: Vec<u64>,
    taint: Vec<u64>,
    ctrl: u64,
}

impl Regs {
    fn eval(&self, e: &Expr) -> (u64, u64) {
        (e.eval(&self.values), self.taint_of(e))
    }

    fn taint_of(&self, e: &Expr) -> u64 {
        match e {
            Expr::Const(_) => 0,
            Expr::Reg(r) => self.taint[*r],
            Expr::Bin(_, a, b) => self.taint_of(a) | self.taint_of(b),
        }
    }
}

/// The read half's and the write half's share of an RMW's order.
fn halves(o: Order) -> (Order, Order) {
    match o {
        Order::Relaxed | Order::Plain => (Order::Relaxed, Order::Relaxed),
        Order::Acquire => (Order::Acquire, Order::Relaxed),
        Order::Release => (Order::Relaxed, Order::Release),
        Order::AcqRel => (Order::Acquire, Order::Release),
        Order::SeqCst => (Order::SeqCst, Order::SeqCst),
    }
}

/// Every run of thread `t` with reads taking values from `d`; `spurious`
/// lets a weak compare-exchange fail although the value matched.
fn paths(p: &Program, t: usize, d: &[BTreeSet<u64>], spurious: bool) -> Vec<Path> {
    let th = &p.threads[t];
    let mut out = Vec::new();
    let todo: Vec<&Stmt> = th.body.iter().rev().collect();
    let regs = Regs {
        values: vec![0; th.registers.len()],
        taint: vec![0; th.registers.len()],
        ctrl: 0,
    };
    step(t, d, spurious, todo, regs, Path::default(), &mut out);
    out
}

fn push(t: usize, path: &mut Path, regs: &Regs, e: Event, data: u64) -> usize {
    let k = path.events.len();
    assert!(
        k < 64,
        "thread {t}: more than 64 events (the oracle's bound)"
    );
    path.events.push(Event {
        thread: Some(t),
        ..e
    });
    for r in super::rel::members(data as u128) {
        path.data.push((r, k));
    }
    for r in super::rel::members(regs.ctrl as u128) {
        path.ctrl.push((r, k));
    }
    k
}

fn step(
    t: usize,
    d: &[BTreeSet<u64>],
    spurious: bool,
    mut todo: Vec<&Stmt>,
    mut regs: Regs,
    mut path: Path,
    out: &mut Vec<Path>,
) {
    let ev = |kind, loc, value, order: Order, rmw_insn| Event {
        thread: Some(t),
        kind,
        loc,
        value,
        order,
        rmw_insn,
        arm_acquire: kind == Kind::Read && acquires(order),
    };
    while let Some(s) = todo.pop() {
        match s {
            Stmt::Load { reg, loc, order } => {
                for &v in &d[*loc] {
                    let (mut path, mut regs) = (path.clone(), regs.clone());
                    let k = push(
                        t,
                        &mut path,
                        &regs,
                        ev(Kind::Read, *loc, v, *order, false),
                        0,
                    );
                    regs.values[*reg] = v;
                    regs.taint[*reg] = 1 << k;
                    step(t, d, spurious, todo.clone(), regs, path, out);
                }
                return;
            }
            Stmt::Store { loc, value, order } => {
                let (v, taint) = regs.eval(value);
                push(
                    t,
                    &mut path,
                    &regs,
                    ev(Kind::Write, *loc, v, *order, false),
                    taint,
                );
            }
            Stmt::Fence(f) => {
                push(
                    t,
                    &mut path,
                    &regs,
                    ev(Kind::Fence(*f), 0, 0, Order::Relaxed, false),
                    0,
                );
            }
            Stmt::Assign { reg, value } => {
                let (v, taint) = regs.eval(value);
                regs.values[*reg] = v;
                regs.taint[*reg] = taint;
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let (c, taint) = regs.eval(cond);
                regs.ctrl |= taint;
                let branch = if c != 0 { then } else { otherwise };
                todo.extend(branch.iter().rev());
            }
            Stmt::Rmw {
                reg,
                loc,
                op,
                order,
            } => {
                let (ro, wo) = halves(*order);
                for &old in &d[*loc] {
                    // (written value and its data taint, result, success)
                    let mut outcomes: Vec<(Option<(u64, u64)>, u64)> = Vec::new();
                    let mut fail_order = *order;
                    let mut cas_reg = None;
                    match op {
                        RmwOp::Exchange(e) => outcomes.push((Some(regs.eval(e)), old)),
                        RmwOp::FetchAdd(e) => {
                            let (v, taint) = regs.eval(e);
                            outcomes.push((Some((old.wrapping_add(v), taint)), old));
                        }
                        RmwOp::Cas {
                            expected,
                            new,
                            failure,
                            expected_reg,
                            weak,
                        } => {
                            fail_order = *failure;
                            cas_reg = *expected_reg;
                            if regs.eval(expected).0 == old {
                                outcomes.push((Some(regs.eval(new)), 1));
                                if *weak && spurious {
                                    outcomes.push((None, 0));
                                }
                            } else {
                                outcomes.push((None, 0));
                            }
                        }
                    }
                    let is_cas = matches!(op, RmwOp::Cas { .. });
                    for (write, result) in outcomes {
                        let (mut path, mut regs) = (path.clone(), regs.clone());
                        let r_order = if write.is_some() { ro } else { fail_order };
                        let mut read = ev(Kind::Read, *loc, old, r_order, true);
                        read.arm_acquire = acquires(ro) || (is_cas && acquires(fail_order));
                        let r = push(t, &mut path, &regs, read, 0);
                        if let Some((v, taint)) = write {
                            let w = push(
                                t,
                                &mut path,
                                &regs,
                                ev(Kind::Write, *loc, v, wo, true),
                                taint,
                            );
                            path.rmw.push((r, w));
                        }
                        if let Some(e) = cas_reg.filter(|_| write.is_none()) {
                            regs.values[e] = old;
                            regs.taint[e] = 1 << r;
                        }
                        if let Some(x) = reg {
                            regs.values[*x] = result;
                            regs.taint[*x] = 1 << r;
                        }
                        // A compare-exchange compiles to a compare and a
                        // branch on the value read: what follows is
                        // control-dependent on it.
                        if is_cas {
                            regs.ctrl |= 1 << r;
                        }
                        step(t, d, spurious, todo.clone(), regs, path, out);
                    }
                }
                return;
            }
        }
    }
    path.regs = regs.values;
    out.push(path);
}

/// Every candidate execution of `p` that passes SC-per-location and
/// atomicity, given to `f`. `spurious`: weak compare-exchanges may fail
/// spuriously. Returns the number of thread-path combinations tried.
pub fn candidates(p: &Program, spurious: bool, mut f: impl FnMut(&Graph)) -> u64 {
    let d = domains(p, true);
    let per_thread: Vec<Vec<Path>> = (0..p.threads.len())
        .map(|t| paths(p, t, &d, spurious))
        .collect();
    let mut tried = 0;
    let mut pick = vec![0usize; per_thread.len()];
    if per_thread.iter().any(Vec::is_empty) {
        return 0;
    }
    loop {
        tried += 1;
        let chosen: Vec<&Path> = pick
            .iter()
            .enumerate()
            .map(|(t, &k)| &per_thread[t][k])
            .collect();
        combine(p, &chosen, &mut f);
        // The next combination (odometer).
        let mut t = 0;
        loop {
            if t == pick.len() {
                return tried;
            }
            pick[t] += 1;
            if pick[t] < per_thread[t].len() {
                break;
            }
            pick[t] = 0;
            t += 1;
        }
    }
}

/// The reads-from and coherence choices of one combination of thread runs.
fn combine(p: &Program, chosen: &[&Path], f: &mut impl FnMut(&Graph)) {
    let nloc = p.locations.len();
    let mut events: Vec<Event> = p
        .locations
        .iter()
        .enumerate()
        .map(|(l, x)| Event {
            thread: None,
            kind: Kind::Write,
            loc: l,
            value: x.init,
            order: Order::Plain,
            rmw_insn: false,
            arm_acquire: false,
        })
        .collect();
    let n: usize = nloc + chosen.iter().map(|c| c.events.len()).sum::<usize>();
    assert!(n <= MAX, "{n} events: more than the oracle's {MAX}");
    let (mut po, mut rmw, mut data, mut ctrl) =
        (Rel::empty(n), Rel::empty(n), Rel::empty(n), Rel::empty(n));
    for c in chosen {
        let base = events.len();
        for i in 0..c.events.len() {
            for j in i + 1..c.events.len() {
                po.add(base + i, base + j);
            }
        }
        for &(a, b) in &c.rmw {
            rmw.add(base + a, base + b);
        }
        for &(a, b) in &c.data {
            data.add(base + a, base + b);
        }
        for &(a, b) in &c.ctrl {
            ctrl.add(base + a, base + b);
        }
        events.extend(c.events.iter().cloned());
    }
    // Per location: every (rf, co) that is coherent and atomic on its own.
    let mut per_loc: Vec<Vec<(Rel, Rel)>> = Vec::new();
    for l in 0..nloc {
        let writes: Vec<usize> = (0..n)
            .filter(|&k| events[k].is_write() && events[k].loc == l)
            .collect();
        let reads: Vec<usize> = (0..n)
            .filter(|&k| events[k].is_read() && events[k].loc == l)
            .collect();
        let sources: Vec<Vec<usize>> = reads
            .iter()
            .map(|&r| {
                writes
                    .iter()
                    .copied()
                    .filter(|&w| events[w].value == events[r].value && !rmw.has(r, w))
                    .collect()
            })
            .collect();
        if sources.iter().any(Vec::is_empty) {
            return;
        }
        let mut ok = Vec::new();
        let on_loc = Rel::cross(
            n,
            mask(&writes) | mask(&reads),
            mask(&writes) | mask(&reads),
        );
        let po_loc = po.inter(&on_loc);
        let rmw_loc = rmw.inter(&on_loc);
        for order in permutations(&writes[1..]) {
            let chain: Vec<usize> = std::iter::once(writes[0]).chain(order).collect();
            let mut pos = vec![usize::MAX; n];
            for (k, &w) in chain.iter().enumerate() {
                pos[w] = k;
            }
            // The coherence patterns (CoWW, atomicity, CoWR, CoRW, CoRR) as
            // cheap necessary conditions; the acyclicity check below decides.
            if writes
                .iter()
                .any(|&a| writes.iter().any(|&b| po.has(a, b) && pos[a] > pos[b]))
            {
                continue;
            }
            let allowed: Vec<Vec<usize>> = reads
                .iter()
                .zip(&sources)
                .map(|(&r, srcs)| {
                    srcs.iter()
                        .copied()
                        .filter(|&w| {
                            let atomic = writes
                                .iter()
                                .all(|&own| !rmw.has(r, own) || pos[own] == pos[w] + 1);
                            let cowr = writes.iter().all(|&x| !po.has(x, r) || pos[w] >= pos[x]);
                            let corw = writes.iter().all(|&x| !po.has(r, x) || pos[w] < pos[x]);
                            atomic && cowr && corw
                        })
                        .collect()
                })
                .collect();
            if allowed.iter().any(Vec::is_empty) {
                continue;
            }
            let mut co = Rel::empty(n);
            for i in 0..chain.len() {
                for j in i + 1..chain.len() {
                    co.add(chain[i], chain[j]);
                }
            }
            for_each_choice(&allowed, |choice| {
                let corr = (0..reads.len()).all(|i| {
                    (0..reads.len())
                        .all(|j| !po.has(reads[i], reads[j]) || pos[choice[j]] >= pos[choice[i]])
                });
                if !corr {
                    return;
                }
                let rf = Rel::from_pairs(n, choice.iter().zip(&reads).map(|(&w, &r)| (w, r)));
                let fr = rf.inv().seq(&co);
                let coherent = po_loc.union(&rf).union(&co).union(&fr).acyclic();
                let atomic = rmw_loc.inter(&fr.seq(&co)).is_empty();
                if coherent && atomic {
                    ok.push((rf, co.clone()));
                }
            });
        }
        if ok.is_empty() {
            return;
        }
        per_loc.push(ok);
    }
    let regs: Vec<Vec<u64>> = chosen.iter().map(|c| c.regs.clone()).collect();
    let mut pick = vec![0usize; nloc];
    loop {
        let (mut rf, mut co) = (Rel::empty(n), Rel::empty(n));
        for (l, &k) in pick.iter().enumerate() {
            rf = rf.union(&per_loc[l][k].0);
            co = co.union(&per_loc[l][k].1);
        }
        f(&Graph {
            events: events.clone(),
            po: po.clone(),
            rf,
            co,
            rmw: rmw.clone(),
            data: data.clone(),
            ctrl: ctrl.clone(),
            regs: regs.clone(),
        });
        let mut l = 0;
        loop {
            if l == nloc {
                return;
            }
            pick[l] += 1;
            if pick[l] < per_loc[l].len() {
                break;
            }
            pick[l] = 0;
            l += 1;
        }
    }
}

fn mask(xs: &[usize]) -> Set {
    xs.iter().fold(0, |s, &k| s | 1 << k)
}

fn permutations(xs: &[usize]) -> Vec<Vec<usize>> {
    if xs.is_empty() {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for i in 0..xs.len() {
        let mut rest = xs.to_vec();
        let x = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, x);
            out.push(p);
        }
    }
    out
}

fn for_each_choice(options: &[Vec<usize>], mut f: impl FnMut(&[usize])) {
    let mut pick = vec![0usize; options.len()];
    let mut choice: Vec<usize> = options.iter().map(|o| o[0]).collect();
    loop {
        f(&choice);
        let mut k = 0;
        loop {
            if k == options.len() {
                return;
            }
            pick[k] += 1;
            if pick[k] < options[k].len() {
                choice[k] = options[k][pick[k]];
                break;
            }
            pick[k] = 0;
            choice[k] = options[k][0];
            k += 1;
        }
    }
}

/// Whether a read with this order acquires (Acquire, AcqRel, SeqCst).
fn acquires(o: Order) -> bool {
    matches!(o, Order::Acquire | Order::AcqRel | Order::SeqCst)
}
