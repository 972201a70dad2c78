//! The consistency check the explorer runs after each addition: the same
//! predicates as [`super::models`] (the reference, written relation by
//! relation as the cat files state them, and kept: [`cross_check`] runs
//! both on every check and panics where they differ), evaluated without
//! the reference's intermediate matrices.
//!
//! # Why not incremental
//!
//! Profiled on refcount `two_inspectors` under `arm` (`perf`, 420 000
//! checks of graphs of 101 events on average, 162 at most): 73% of the
//! time was the check, and of that the cost was per check, not per event
//! pair: building `Rels` (a hash map per `same_class`, `ext` as the
//! complement of a full matrix, `fr` through an inverse and a sequence),
//! about forty intermediate relations each allocated, and depth-first
//! searches over the transitive program order (every po pair visited).
//! With rows of two words, what costs is the constant per check. A check
//! that extends the previous graph's relations would have to argue, model
//! by model, that every new cycle runs through the new event (`rc11`'s
//! psc gains edges between old SC fences through a new write, the
//! explorer keeps extending graphs that break atomicity, and a replay
//! changes initial values, hence compare-exchange outcomes); this module
//! instead computes each axiom once from the graph, in time about linear in
//! the events times the row words, and keeps the reference beside it.
//!
//! One case is checked around a single event instead: a forward addition,
//! whose premise (the graph before it consistent but for atomicity, the
//! new event last in its thread and read by nothing) puts every new cycle
//! through that event ([`consistent`]'s `added`). Revisited graphs, whose
//! premise does not hold, and each complete execution are checked whole.
//!
//! # What makes it cheaper, and why each step gives the same answer
//!
//! - **Initial writes have no incoming edge** in any relation the axioms
//!   use (nothing is po-before them, they are coherence-first, so no rf,
//!   co or fr edge enters them, and no derived edge does). They lie on no
//!   cycle, and no `(a, a)` of `hb ; eco?` starts at one: their rows are
//!   left empty.
//! - **Acyclicity over immediate edges**: `acyclic(po ∪ X)` is decided on
//!   program order's immediate edges (thread order, spawn, join) instead
//!   of its transitive closure, and `co`/`fr` by the next write in
//!   coherence where the axiom takes their union with `co` (the closures
//!   are the same, so are the cycles).
//! - **SC per location** is `acyclic(po-loc ∪ rf ∪ co ∪ fr)` with po-loc
//!   as the po row masked by the event's location, less what is po-after
//!   the thread's next access to that location (reached through that
//!   access's own row: the same closure).
//! - **sw** (`rc11`, and the race check): the sources of the edges into
//!   the reads of one write depend on the write only, and are computed
//!   once per write.
//! - **Derived rows in one backward pass**: `po ; [F] ; po` from `a` is
//!   the union, over `a`'s immediate po successors `b`, of `b`'s own row
//!   and, if `b` is in `F`, `po(b)` (program order's immediate edges go
//!   forward in the addition order). The same pass closes `po ∪ sw` into
//!   `hb`, and gives `po ; [L] ; coi`.
//! - **Coherence** (`rc11`): `eco⁻¹` of a write is the writes
//!   coherence-before it and their readers (with `fr`), of a read its
//!   write and that write's; `irreflexive(hb ; eco?)` is then a row test.
//! - **psc** (`rc11`) is a relation over the SC events only: each SC
//!   event's row is computed from the rows of what `[F_sc] ; hb?` reaches.
//! - **Atomicity** from coherence positions: `rmw ∩ (fr ; co)` holds of a
//!   read-modify-write whose write is not right after the write its read
//!   reads.
//!
//! Anything the passes assume and a graph does not give (an edge of po or
//! sw that goes backward in the addition order, a read that reads a later
//! event but under `arm`, whose passes search reads-from edges and never
//! close them) sends the check to the reference.

use std::sync::atomic::{AtomicBool, Ordering};

use super::exec_graph::{Graph, Kind, Mo, INIT};
use super::models::{self, arm_event, event_mo, full_fence, tso_locked};
use super::rel::{bits, Rel};
use super::Mutation;
use crate::sync::MemoryModel;

static CROSS_CHECK: AtomicBool = AtomicBool::new(false);

/// Run the reference predicates ([`super::models`]) beside the explorer's
/// on every check of this process, and panic where they differ (the
/// oracle differential's tests turn it on).
pub fn cross_check(on: bool) {
    CROSS_CHECK.store(on, Ordering::Relaxed);
}

/// Whether the reference runs beside every check ([`cross_check`]).
pub(crate) fn cross_checking() -> bool {
    CROSS_CHECK.load(Ordering::Relaxed)
}

/// Whether `g` is consistent under `model` (with `atomicity`, or all but
/// atomicity): [`models::consistent`]'s answer.
///
/// `added`: `g` is a graph consistent under `model` but for atomicity,
/// with event `added` appended last (nothing is po-after it, nothing reads
/// it). Every new cycle of any axiom then runs through `added`, so:
/// - a read of the coherence-latest write, or a write placed last in
///   coherence, has no successor in any relation the axioms use (no `fr`
///   or `co` out, no program order, no reader, hence no `hb`, `eco`,
///   `ob`, `psc` or `ghb` edge out): it closes no cycle, and the graph is
///   consistent but for atomicity, checked then on its own ([`atomic`]);
/// - otherwise, under `arm`, `ob`'s acyclicity is searched from `added`
///   only.
///
/// The cross-check, comparing with the reference's whole-graph answer,
/// confirms the premise on every check it runs.
pub(crate) fn consistent(
    g: &Graph,
    model: MemoryModel,
    mutation: Mutation,
    atomicity: bool,
    added: Option<usize>,
) -> bool {
    // ARMv8's passes take reads-from edges in either direction (they are
    // searched, never closed forward): a load-buffering graph, whose
    // cycle has one going backward, is checked here too.
    let fast = if added.is_some_and(|e| closes_nothing(g, e)) {
        !atomicity || atomic(g)
    } else {
        Base::new(g, model == MemoryModel::Arm)
            .and_then(|b| b.consistent(model, mutation, atomicity, added))
            .unwrap_or_else(|| models::consistent(g, model, mutation, atomicity))
    };
    if CROSS_CHECK.load(Ordering::Relaxed) {
        let full = models::consistent(g, model, mutation, atomicity);
        assert_eq!(
            fast, full,
            "the explorer's consistency check says {fast}, the reference {full} ({model}, {mutation:?}, atomicity {atomicity}) on {g:#?}"
        );
    }
    fast
}

/// Whether event `e`, appended last, has no successor in any relation the
/// axioms use (see [`consistent`]): last in its thread, read by nothing
/// and spawning nothing, and a read of its location's coherence-latest
/// write or a write placed last there.
fn closes_nothing(g: &Graph, e: usize) -> bool {
    let ev = &g.events[e];
    let last_in_thread = g.threads.get(ev.thread).and_then(|th| th.last()) == Some(&e);
    let read_by_none = !g
        .events
        .iter()
        .any(|x| matches!(x.kind, Kind::Read { rf, .. } if rf == e));
    let latest = |l: Option<usize>, w: usize| l.is_some_and(|l| g.co[l].last() == Some(&w));
    last_in_thread
        && read_by_none
        && match ev.kind {
            Kind::Read { rf, .. } => latest(ev.loc, rf),
            Kind::Write { .. } => latest(ev.loc, e),
            _ => false,
        }
}

/// Atomicity, from the graph itself (every check's): each
/// read-modify-write's write is right after the write its read reads in
/// coherence (empty(rmw ∩ (fr ; co))), and no write is read by two
/// read-modify-writes that write.
fn atomic(g: &Graph) -> bool {
    let mut co_pos = vec![usize::MAX; g.events.len()];
    for order in &g.co {
        for (p, &x) in order.iter().enumerate() {
            co_pos[x] = p;
        }
    }
    let mut seen = vec![false; g.events.len()];
    for (i, e) in g.events.iter().enumerate() {
        if let Kind::Write { rmw: true, .. } = e.kind {
            let th = &g.threads[e.thread];
            let k = th.iter().position(|&x| x == i).expect("in thread");
            // A write between the read's write and this one in
            // coherence: fr ; co.
            if let Some(src) = g.rf(th[k - 1]) {
                if co_pos[i] > co_pos[src].saturating_add(1) {
                    return false;
                }
            }
        }
        if g.rmw_succeeds(i) {
            let src = g.rf(i).expect("a read");
            if seen[src] {
                return false;
            }
            seen[src] = true;
        }
    }
    true
}

/// Whether the complete graph `g` has a C11 data race:
/// [`models::racy`]'s answer.
pub(crate) fn racy(g: &Graph) -> bool {
    let fast = Base::new(g, false)
        .and_then(|b| b.racy())
        .unwrap_or_else(|| models::racy(g));
    if CROSS_CHECK.load(Ordering::Relaxed) {
        let full = models::racy(g);
        assert_eq!(
            fast, full,
            "the explorer's race check says {fast}, the reference {full} on {g:#?}"
        );
    }
    fast
}

/// A set of events as a row of bits.
type Mask = Vec<u64>;

fn set(m: &mut [u64], i: usize) {
    m[i / 64] |= 1 << (i % 64);
}

fn has(m: &[u64], i: usize) -> bool {
    m[i / 64] & (1 << (i % 64)) != 0
}

fn or(dst: &mut [u64], src: &[u64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d |= s;
    }
}

fn meets(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

/// What every model's check is built from.
struct Base<'g> {
    g: &'g Graph,
    n: usize,
    w: usize,
    /// Program order's immediate edges (between thread events), sorted by
    /// source; each goes forward.
    po_imm: Vec<(usize, usize)>,
    /// Where each event's edges start in `po_imm` (and end: the next's).
    po_off: Vec<usize>,
    /// Program order, transitive; initial writes' rows empty.
    po: Rel,
    /// Per write, its readers (the rf relation).
    rf: Rel,
    /// Per read, the write it reads (`NONE` for other events).
    rf_of: Vec<usize>,
    /// Per write, the writes coherence-after it (co); per read, the
    /// writes coherence-after the one it reads (fr).
    co_fr: Rel,
    /// Per write, the next in coherence (`NONE` for the last).
    co_next: Vec<usize>,
    /// Per location, its events.
    loc: Vec<Mask>,
    /// Per thread, its events.
    thread: Vec<Mask>,
    reads: Mask,
    writes: Mask,
    fences: Mask,
    mem: Mask,
    mo: Vec<Mo>,
}

const NONE: usize = usize::MAX;

/// The transitive closure of the edges `a ∪ b` (each list sorted by
/// source, every edge going forward): one backward pass, each row its
/// successors' rows with them.
fn close_forward(n: usize, a: &[(usize, usize)], b: &[(usize, usize)]) -> Rel {
    let mut r = Rel::new(n);
    let (mut i, mut j) = (a.len(), b.len());
    for x in (0..n).rev() {
        while i > 0 && a[i - 1].0 >= x {
            i -= 1;
            r.add(x, a[i].1);
            r.or_row_into(a[i].1, x);
        }
        while j > 0 && b[j - 1].0 >= x {
            j -= 1;
            r.add(x, b[j].1);
            r.or_row_into(b[j].1, x);
        }
    }
    r
}

impl<'g> Base<'g> {
    /// `None` if the graph is not as the passes assume (the caller then
    /// runs the reference); a read of a later event is taken only if
    /// `backward_rf` (the `arm` passes).
    fn new(g: &'g Graph, backward_rf: bool) -> Option<Base<'g>> {
        let n = g.events.len();
        let w = n.div_ceil(64).max(1);
        // Program order's immediate edges, by source: the next event in
        // the thread, and spawn and join (few, sorted apart).
        let mut next = vec![NONE; n];
        for th in &g.threads {
            for p in th.windows(2) {
                next[p[0]] = p[1];
            }
        }
        let mut extra = Vec::new();
        for (t, s) in g.spawner.iter().enumerate() {
            if let (Some(s), Some(&f)) = (*s, g.threads[t].first()) {
                extra.push((s, f));
            }
        }
        for (j, e) in g.events.iter().enumerate() {
            if let Kind::Join { child } = e.kind {
                if let Some(&c) = g.threads.get(child).and_then(|v| v.last()) {
                    extra.push((c, j));
                }
            }
        }
        extra.sort_unstable();
        let mut po_imm = Vec::with_capacity(n + extra.len());
        let mut extra = extra.into_iter().peekable();
        for (a, &b) in next.iter().enumerate() {
            if b != NONE {
                po_imm.push((a, b));
            }
            while let Some(x) = extra.next_if(|&(s, _)| s == a) {
                po_imm.push(x);
            }
        }
        po_imm.extend(extra);
        if po_imm.iter().any(|&(a, b)| a >= b) {
            return None;
        }
        let mut po_off = vec![0; n + 1];
        for &(a, _) in &po_imm {
            po_off[a + 1] += 1;
        }
        for a in 0..n {
            po_off[a + 1] += po_off[a];
        }
        let po = close_forward(n, &po_imm, &[]);
        let mut rf = Rel::new(n);
        let mut rf_of = vec![NONE; n];
        let (mut reads, mut writes, mut fences) = (vec![0; w], vec![0; w], vec![0; w]);
        let mut loc = vec![vec![0u64; w]; g.co.len()];
        let mut thread = vec![vec![0u64; w]; g.threads.len()];
        let mut mo = Vec::with_capacity(n);
        for (i, e) in g.events.iter().enumerate() {
            if let Some(l) = e.loc {
                set(&mut loc[l], i);
            }
            if e.thread != INIT {
                set(&mut thread[e.thread], i);
            }
            match e.kind {
                Kind::Read { rf: src, .. } => {
                    if src >= i && !backward_rf {
                        return None;
                    }
                    set(&mut reads, i);
                    rf.add(src, i);
                    rf_of[i] = src;
                }
                Kind::Write { .. } | Kind::Init { .. } => set(&mut writes, i),
                Kind::Fence { .. } => set(&mut fences, i),
                Kind::Spawn { .. } | Kind::Join { .. } => {}
            }
            mo.push(event_mo(g, i));
        }
        let mem: Mask = reads.iter().zip(&writes).map(|(r, x)| r | x).collect();
        let mut co_fr = Rel::new(n);
        let mut co_next = vec![NONE; n];
        let mut co_pos = vec![NONE; n];
        let mut after = vec![0u64; w];
        for order in &g.co {
            after.iter_mut().for_each(|x| *x = 0);
            for (p, &x) in order.iter().enumerate().rev() {
                co_pos[x] = p;
                co_next[x] = order.get(p + 1).copied().unwrap_or(NONE);
                co_fr.row_mut(x).copy_from_slice(&after);
                set(&mut after, x);
            }
        }
        for (r, &src) in rf_of.iter().enumerate() {
            if src == NONE {
                continue;
            }
            if co_pos[src] == NONE {
                return None;
            }
            co_fr.or_row_into(src, r);
        }
        Some(Base {
            g,
            n,
            w,
            po_imm,
            po_off,
            po,
            rf,
            rf_of,
            co_fr,
            co_next,
            loc,
            thread,
            reads,
            writes,
            fences,
            mem,
            mo,
        })
    }

    /// The model's answer; `None` where the graph is not as the passes
    /// assume.
    fn consistent(
        &self,
        model: MemoryModel,
        mutation: Mutation,
        atomicity: bool,
        added: Option<usize>,
    ) -> Option<bool> {
        if atomicity && !atomic(self.g) {
            return Some(false);
        }
        let drop_fr = mutation == Mutation::DropFr;
        Some(match model {
            MemoryModel::Sc => self.sparse(true, true, !drop_fr).acyclic(),
            MemoryModel::Tso => self.sc_per_loc() && self.tso(drop_fr),
            MemoryModel::Rc11 => return self.rc11(drop_fr),
            // As the reference: po ∪ rf cycles (load buffering) are
            // allowed unless the mutation restricts them away (a graph
            // with one has an rf edge backward and goes to the reference).
            MemoryModel::Arm => {
                self.sc_per_loc()
                    && self.arm(drop_fr, added)
                    && (mutation != Mutation::NoLoadBuffering || self.porf_acyclic())
            }
        })
    }

    /// Event `x`'s immediate po edges.
    fn po_edges(&self, x: usize) -> &[(usize, usize)] {
        &self.po_imm[self.po_off[x]..self.po_off[x + 1]]
    }

    /// Whether event `i` is an initial write.
    fn init(&self, i: usize) -> bool {
        self.g.events[i].thread == INIT
    }

    /// The events of `i`'s thread (none for an initial write: it is
    /// external to every event).
    fn same_thread(&self, i: usize) -> Option<&Mask> {
        let t = self.g.events[i].thread;
        (t != INIT).then(|| &self.thread[t])
    }

    /// The events at `i`'s location (none for an event without one).
    fn same_loc(&self, i: usize) -> Option<&Mask> {
        self.g.events[i].loc.map(|l| &self.loc[l])
    }

    /// Reads-from, with (as asked) program order's immediate edges,
    /// coherence's (each write to the next) and from-read's (each read to
    /// the write after the one it reads): with `co`, the same closure as
    /// `po ∪ rf ∪ co ∪ fr`.
    fn sparse(&self, with_po: bool, with_co: bool, with_fr: bool) -> Rel {
        let mut u = Rel::new(self.n);
        if with_po {
            for &(a, b) in &self.po_imm {
                u.add(a, b);
            }
        }
        for (i, &src) in self.rf_of.iter().enumerate() {
            if src != NONE {
                u.add(src, i);
                if with_fr && self.co_next[src] != NONE {
                    u.add(i, self.co_next[src]);
                }
            }
            if with_co && self.co_next[i] != NONE {
                u.add(i, self.co_next[i]);
            }
        }
        u
    }

    /// acyclic(po ∪ rf).
    fn porf_acyclic(&self) -> bool {
        self.sparse(true, false, false).acyclic()
    }

    /// acyclic(po-loc ∪ rf ∪ co ∪ fr): SC per location (with `fr` even
    /// under `DropFr`, as the reference).
    /// po-loc by rows, reduced: what is po-after the next access to the
    /// location in the thread is left to that access's row (the same
    /// closure, fewer pairs to search).
    fn sc_per_loc(&self) -> bool {
        let mut u = self.sparse(false, true, true);
        let mut next_at = vec![NONE; self.loc.len()];
        for th in &self.g.threads {
            for &a in th.iter().rev() {
                let Some(l) = self.g.events[a].loc else {
                    continue;
                };
                let nl = next_at[l];
                next_at[l] = a;
                let (po, at) = (self.po.row(a), &self.loc[l]);
                let skip = (nl != NONE).then(|| self.po.row(nl));
                for (k, x) in u.row_mut(a).iter_mut().enumerate() {
                    *x |= po[k] & at[k] & !skip.map_or(0, |s| s[k]);
                }
            }
            for &a in th {
                if let Some(l) = self.g.events[a].loc {
                    next_at[l] = NONE;
                }
            }
        }
        u.acyclic()
    }

    /// Per event `a`, the union of `add(b)` over the events `b` po-after
    /// `a` (one backward pass over program order's immediate edges;
    /// `add(b, row)` ors `b`'s part into `row`).
    fn po_after(&self, add: impl Fn(usize, &mut [u64])) -> Rel {
        let mut r = Rel::new(self.n);
        let mut k = self.po_imm.len();
        for a in (0..self.n).rev() {
            while k > 0 && self.po_imm[k - 1].0 >= a {
                k -= 1;
                let b = self.po_imm[k].1;
                r.or_row_into(b, a);
                add(b, r.row_mut(a));
            }
        }
        r
    }

    /// `po ; [f] ; po` by rows.
    fn through(&self, f: &Mask) -> Rel {
        self.po_after(|b, row| {
            if has(f, b) {
                or(row, self.po.row(b));
            }
        })
    }

    /// x86-TSO: acyclic(ppo ∪ implied ∪ rfe ∪ co ∪ fr).
    fn tso(&self, drop_fr: bool) -> bool {
        let g = self.g;
        let mut lf = vec![0u64; self.w];
        for i in 0..self.n {
            if tso_locked(&g.events[i].kind) || full_fence(g, i, MemoryModel::Tso) {
                set(&mut lf, i);
            }
        }
        let after_lf = self.through(&lf);
        // co and fr by their immediate edges (co is in the union).
        let mut u = self.sparse(false, true, !drop_fr);
        // rf: external only.
        for (i, &src) in self.rf_of.iter().enumerate() {
            if src != NONE && self.same_thread(src).is_some_and(|t| has(t, i)) {
                u.remove(src, i);
            }
        }
        for a in bits(&self.mem) {
            if self.init(a) {
                continue;
            }
            let po = self.po.row(a);
            let all_mem = has(&self.reads, a) || has(&lf, a);
            let row: Mask = (0..self.w)
                .map(|k| {
                    if all_mem {
                        // ppo from a read; a locked write orders every
                        // later access (implied).
                        po[k] & self.mem[k]
                    } else {
                        // W -> W; W -> R through a locked or fence event
                        // (or to a locked read).
                        let lf_between = (po[k] & lf[k]) | after_lf.row(a)[k];
                        po[k] & (self.writes[k] | (self.reads[k] & lf_between))
                    }
                })
                .collect();
            or(u.row_mut(a), &row);
        }
        u.acyclic()
    }

    /// ARMv8: acyclic(obs ∪ aob ∪ bob). obs, aob and `po ; [L] ; coi` are
    /// rows of bits; the rest of bob (whose rows are program-order
    /// suffixes, dense) goes through virtual nodes ([`ObSearch`]). With
    /// `added` (see [`consistent`]), searched from that event only.
    fn arm(&self, drop_fr: bool, added: Option<usize>) -> bool {
        let g = self.g;
        let w = self.w;
        let (mut acq, mut rel, mut full, mut ld, mut st) =
            (vec![0; w], vec![0; w], vec![0; w], vec![0; w], vec![0; w]);
        for i in 0..self.n {
            let e = arm_event(g, i);
            for (on, m) in [
                (e.acq, &mut acq),
                (e.rel, &mut rel),
                (e.full, &mut full),
                (e.ld, &mut ld),
                (e.st, &mut st),
            ] {
                if on {
                    set(m, i);
                }
            }
        }
        // po ; [L] ; coi.
        let after_rel_coi = self.po_after(|b, row| {
            if let (true, Some(t)) = (has(&rel, b), self.same_thread(b)) {
                for ((x, c), t) in row.iter_mut().zip(self.co_fr.row(b)).zip(t) {
                    *x |= c & t;
                }
            }
        });
        let mut u = Rel::new(self.n);
        let none = vec![0u64; w];
        for a in 0..self.n {
            // External: not a's thread (an initial write is external to
            // every event).
            let own = self.same_thread(a).unwrap_or(&none);
            // obs = rfe ∪ fre ∪ coe (a read's co_fr row is fr).
            let fr_dropped = drop_fr && has(&self.reads, a);
            let bob = !self.init(a) && has(&self.mem, a);
            let (rf, co_fr, arc) = (self.rf.row(a), self.co_fr.row(a), after_rel_coi.row(a));
            let row = u.row_mut(a);
            for k in 0..w {
                let co_fr = if fr_dropped { 0 } else { co_fr[k] };
                row[k] = (rf[k] | co_fr) & !own[k];
                if bob {
                    row[k] |= arc[k];
                }
            }
        }
        // aob = rmw ∪ [range(rmw)] ; rfi ; [A].
        for (i, e) in g.events.iter().enumerate() {
            if let Kind::Write { rmw: true, .. } = e.kind {
                let th = &g.threads[e.thread];
                let k = th.iter().position(|&x| x == i).expect("in thread");
                u.add(th[k - 1], i);
                let t = &self.thread[e.thread];
                for r in bits(self.rf.row(i)) {
                    if has(t, r) && has(&acq, r) {
                        u.add(i, r);
                    }
                }
            }
        }
        let search = ObSearch {
            base: self,
            rows: &u,
            acq: &acq,
            rel: &rel,
            full: &full,
            ld: &ld,
            st: &st,
        };
        // Rows of a few words are cheaper searched whole (measured:
        // refcount two_inspectors, about 100 events, 12% slower through
        // virtual nodes; tidhash two_growths, 640, 20% faster). The
        // cross-check runs both.
        if let Some(e) = added {
            search.acyclic_from(e)
        } else if CROSS_CHECK.load(Ordering::Relaxed) {
            let (whole, virtual_nodes) = (search.dense_acyclic(), search.acyclic());
            assert_eq!(
                whole, virtual_nodes,
                "ob's search by rows says {whole}, through virtual nodes {virtual_nodes}"
            );
            whole
        } else if self.w > DENSE_WORDS {
            search.acyclic()
        } else {
            search.dense_acyclic()
        }
    }

    /// RC11's synchronizes-with edges (each from a release, or a release
    /// fence, to an acquire read or fence): `None` if one goes backward in
    /// the addition order.
    fn sw(&self) -> Option<Vec<(usize, usize)>> {
        let g = self.g;
        let w = self.w;
        let atomic_w = |i: usize| has(&self.writes, i) && self.mo[i] != Mo::Plain && !self.init(i);
        let e_rel =
            |i: usize| (has(&self.writes, i) || has(&self.fences, i)) && self.mo[i].releases();
        let e_acq =
            |i: usize| (has(&self.reads, i) || has(&self.fences, i)) && self.mo[i].acquires();
        let rel_fences: Vec<usize> = bits(&self.fences).filter(|&f| e_rel(f)).collect();
        let mut acq_fences = vec![0u64; w];
        for f in bits(&self.fences).filter(|&f| e_acq(f)) {
            set(&mut acq_fences, f);
        }
        // Per write read by an atomic read: the sources of its sw edges
        // (they depend on the write only).
        let mut sources_of: Vec<Option<Vec<usize>>> = vec![None; self.n];
        let mut sw = Vec::new();
        let mut targets: Vec<usize> = Vec::new();
        for r in bits(&self.reads) {
            if self.mo[r] == Mo::Plain {
                continue;
            }
            // [R⊒rlx] ; (po ; [F])? ; [E⊒acq].
            targets.clear();
            if e_acq(r) {
                targets.push(r);
            }
            let po = self.po.row(r);
            for (k, (p, f)) in po.iter().zip(&acq_fences).enumerate() {
                targets.extend(bits(&[p & f]).map(|b| k * 64 + b));
            }
            if targets.is_empty() {
                continue;
            }
            let src = self.rf_of[r];
            let sources = sources_of[src].get_or_insert_with(|| {
                // rs ; rf: the writes whose release sequence holds `src`:
                // [W] ; po-loc? ; [W⊒rlx] ; (rf ; rmw)*.
                let mut heads = vec![0u64; w];
                let mut cur = src;
                loop {
                    if atomic_w(cur) {
                        set(&mut heads, cur);
                        let l = self.same_loc(cur).expect("a write has a location");
                        for (k, (l, x)) in l.iter().zip(&self.writes).enumerate() {
                            for b in bits(&[l & x]).map(|b| k * 64 + b) {
                                if !self.init(b) && self.po.has(b, cur) {
                                    set(&mut heads, b);
                                }
                            }
                        }
                    }
                    let e = &g.events[cur];
                    let Kind::Write { rmw: true, .. } = e.kind else {
                        break;
                    };
                    let th = &g.threads[e.thread];
                    let k = th.iter().position(|&x| x == cur).expect("in thread");
                    match self.rf_of[th[k - 1]] {
                        NONE => break,
                        prev => cur = prev,
                    }
                }
                // [E⊒rel] ; ([F] ; po)?.
                bits(&heads)
                    .filter(|&x| e_rel(x))
                    .chain(
                        rel_fences
                            .iter()
                            .copied()
                            .filter(|&f| meets(self.po.row(f), &heads)),
                    )
                    .collect()
            });
            for &s in sources.iter() {
                for &t in &targets {
                    if s >= t {
                        return None;
                    }
                    sw.push((s, t));
                }
            }
        }
        Some(sw)
    }

    /// C11 happens-before, (po ∪ sw)+; initial writes' rows empty.
    fn hb(&self) -> Option<Rel> {
        let mut sw = self.sw()?;
        sw.sort_unstable();
        Some(close_forward(self.n, &self.po_imm, &sw))
    }

    /// A C11 data race ([`models::racy`]'s definition).
    fn racy(&self) -> Option<bool> {
        let hb = self.hb()?;
        let plain = |i: usize| self.mo[i] == Mo::Plain;
        for a in bits(&self.mem) {
            if self.init(a) {
                continue;
            }
            let (own, at) = (self.same_thread(a)?, self.same_loc(a)?);
            for k in 0..self.w {
                let other = at[k] & !own[k] & !hb.row(a)[k];
                for b in bits(&[other]).map(|b| k * 64 + b) {
                    if b <= a || self.init(b) || hb.has(b, a) {
                        continue;
                    }
                    if (has(&self.writes, a) || has(&self.writes, b)) && (plain(a) || plain(b)) {
                        return Some(true);
                    }
                }
            }
        }
        Some(false)
    }

    /// RC11: coherence, SC (acyclic psc), no-thin-air (acyclic(po ∪ rf));
    /// `None` if an sw edge goes backward.
    fn rc11(&self, drop_fr: bool) -> Option<bool> {
        let (n, w) = (self.n, self.w);
        let hb = self.hb()?;
        // eco⁻¹ by rows: of a write, the writes coherence-before it and
        // (with fr) their readers; of a read, its write and that write's.
        let mut eco_in = Rel::new(n);
        let mut before = vec![0u64; w];
        for order in &self.g.co {
            before.iter_mut().for_each(|x| *x = 0);
            for &x in order {
                eco_in.row_mut(x).copy_from_slice(&before);
                set(&mut before, x);
                if !drop_fr {
                    or(&mut before, self.rf.row(x));
                }
            }
        }
        for (r, &src) in self.rf_of.iter().enumerate() {
            if src != NONE {
                eco_in.or_row_into(src, r);
                eco_in.add(r, src);
            }
        }
        // irreflexive(hb ; eco?).
        for a in 0..n {
            if !self.init(a) && (hb.has(a, a) || meets(hb.row(a), eco_in.row(a))) {
                return Some(false);
            }
        }
        if !self.porf_acyclic() {
            return Some(false);
        }
        Some(self.psc_acyclic(&hb, &eco_in, drop_fr))
    }

    /// acyclic(psc_base ∪ psc_F), a relation over the SC accesses and
    /// fences only.
    fn psc_acyclic(&self, hb: &Rel, eco_in: &Rel, drop_fr: bool) -> bool {
        let w = self.w;
        let e_sc = |i: usize| has(&self.mem, i) && self.mo[i] == Mo::Sc;
        let f_sc = |i: usize| has(&self.fences, i) && self.mo[i] == Mo::Sc;
        let sc: Vec<usize> = (0..self.n).filter(|&i| e_sc(i) || f_sc(i)).collect();
        if sc.is_empty() {
            return true;
        }
        // po \ loc, by rows.
        let neq_loc = |z: usize| -> Mask {
            match self.same_loc(z) {
                Some(l) => self.po.row(z).iter().zip(l).map(|(p, m)| p & !m).collect(),
                None => self.po.row(z).to_vec(),
            }
        };
        // hb⁻¹ of each SC fence.
        let hb_in: Vec<Mask> = sc
            .iter()
            .map(|&b| {
                let mut m = vec![0u64; w];
                if f_sc(b) {
                    for y in 0..self.n {
                        if hb.has(y, b) {
                            set(&mut m, y);
                        }
                    }
                }
                m
            })
            .collect();
        let mut psc = Rel::new(sc.len());
        for (ia, &a) in sc.iter().enumerate() {
            // left = [E_sc] ∪ [F_sc] ; hb?.
            let mut left = vec![0u64; w];
            set(&mut left, a);
            if f_sc(a) {
                or(&mut left, hb.row(a));
            }
            // left ; scb, scb = po ∪ (po\loc ; hb ; po\loc) ∪ hb|loc ∪ co ∪ fr.
            let mut scb = vec![0u64; w];
            let mut y = vec![0u64; w];
            for x in bits(&left) {
                or(&mut scb, self.po.row(x));
                or(&mut y, &neq_loc(x));
                if let Some(l) = self.same_loc(x) {
                    let hbl: Mask = hb.row(x).iter().zip(l).map(|(h, m)| h & m).collect();
                    or(&mut scb, &hbl);
                }
                if !(drop_fr && has(&self.reads, x)) {
                    or(&mut scb, self.co_fr.row(x));
                }
            }
            let mut z = vec![0u64; w];
            for yy in bits(&y) {
                or(&mut z, hb.row(yy));
            }
            for zz in bits(&z) {
                or(&mut scb, &neq_loc(zz));
            }
            // hb ; eco from a (psc_F's middle).
            let hb_eco: Option<Mask> = f_sc(a).then(|| {
                let mut m = vec![0u64; w];
                for yy in 0..self.n {
                    if meets(eco_in.row(yy), hb.row(a)) {
                        set(&mut m, yy);
                    }
                }
                m
            });
            for (ib, &b) in sc.iter().enumerate() {
                // ; right, right = [E_sc] ∪ hb? ; [F_sc].
                let base = (e_sc(b) && has(&scb, b))
                    || (f_sc(b) && (has(&scb, b) || meets(&scb, &hb_in[ib])));
                // psc_F = [F_sc] ; (hb ∪ hb ; eco ; hb) ; [F_sc].
                let fence = f_sc(b)
                    && hb_eco
                        .as_ref()
                        .is_some_and(|m| hb.has(a, b) || meets(m, &hb_in[ib]));
                if base || fence {
                    psc.add(ia, ib);
                }
            }
        }
        psc.acyclic()
    }
}

/// ARM's ob searched for a cycle over the events and virtual nodes that
/// stand for program-order suffixes, so that bob's dense rows (`po` from
/// an acquire read, `po ; [F] ; po`, ...) cost a few edges per event:
///
/// - `P_M(x)` (M one of mem, acq, rel, writes): the events of M po-after
///   or equal to `x`: an edge to `x` if `x` is in M, and to `P_M(y)` for
///   each immediate po successor `y` of `x`.
/// - `T_F,M(x)` ((F, M): (full, mem), (ld, mem), (st, writes)): the
///   events of M po-after an F fence po-after or equal to `x`: edges to
///   `P_M(y)` for each immediate po successor `y` of `x` if `x` is in F,
///   and to `T_F,M(y)`.
///
/// An access `a` has an edge to `P_M(y)` or `T_F,M(y)` for each immediate
/// po successor `y` as its kind asks (bob's terms), besides its row of
/// bits. The virtual nodes' edges go forward in the addition order or to
/// an event, so every cycle holds an event, and a path between two events
/// through virtual nodes only is exactly one bob pair: the graph has a
/// cycle if and only if ob does.
struct ObSearch<'a, 'g> {
    base: &'a Base<'g>,
    /// obs ∪ aob ∪ po;[L];coi, by rows.
    rows: &'a Rel,
    acq: &'a Mask,
    rel: &'a Mask,
    full: &'a Mask,
    ld: &'a Mask,
    st: &'a Mask,
}

/// The kinds of [`ObSearch`]'s nodes: node `kind * n + x`.
const EVENT: usize = 0;
const P_MEM: usize = 1;
const P_ACQ: usize = 2;
const P_REL: usize = 3;
const P_WRITES: usize = 4;
const T_FULL: usize = 5;
const T_LD: usize = 6;
const T_ST: usize = 7;
const KINDS: usize = 8;

/// Up to this many words per row, ob is searched by rows of bits.
const DENSE_WORDS: usize = 3;

impl ObSearch<'_, '_> {
    /// acyclic(ob) with bob's rows as bits (no virtual node).
    fn dense_acyclic(&self) -> bool {
        let b = self.base;
        let (after_full, after_ld, after_st) =
            (b.through(self.full), b.through(self.ld), b.through(self.st));
        let mut u = self.rows.clone();
        for a in bits(&b.mem) {
            if b.init(a) {
                continue;
            }
            let po = b.po.row(a);
            let (is_r, is_w) = (has(&b.reads, a), has(&b.writes, a));
            let (is_acq, is_rel) = (has(self.acq, a), has(self.rel, a));
            let (af, al, ast) = (after_full.row(a), after_ld.row(a), after_st.row(a));
            for (k, x) in u.row_mut(a).iter_mut().enumerate() {
                *x |= af[k] & b.mem[k];
                if is_rel {
                    *x |= po[k] & self.acq[k];
                }
                if is_r {
                    *x |= al[k] & b.mem[k];
                }
                if is_acq {
                    *x |= po[k] & b.mem[k];
                }
                if is_w {
                    *x |= ast[k] & b.writes[k];
                }
                *x |= po[k] & self.rel[k];
            }
        }
        u.acyclic()
    }

    /// Push node `v`'s successors.
    fn succs(&self, v: usize, out: &mut Vec<usize>) {
        let b = self.base;
        let n = b.n;
        let (kind, x) = (v / n, v % n);
        let po_succs = b.po_edges(x);
        match kind {
            EVENT => {
                out.extend(bits(self.rows.row(x)));
                if b.init(x) || !has(&b.mem, x) {
                    return;
                }
                let (is_r, is_w) = (has(&b.reads, x), has(&b.writes, x));
                let (is_acq, is_rel) = (has(self.acq, x), has(self.rel, x));
                for &(_, y) in po_succs {
                    // [M] ; po ; [dmb.full] ; po ; [M].
                    out.push(T_FULL * n + y);
                    // [L] ; po ; [A].
                    if is_rel {
                        out.push(P_ACQ * n + y);
                    }
                    // [R] ; po ; [dmb.ld] ; po ; [M].
                    if is_r {
                        out.push(T_LD * n + y);
                    }
                    // [A] ; po.
                    if is_acq {
                        out.push(P_MEM * n + y);
                    }
                    // [W] ; po ; [dmb.st] ; po ; [W].
                    if is_w {
                        out.push(T_ST * n + y);
                    }
                    // po ; [L].
                    out.push(P_REL * n + y);
                }
            }
            P_MEM | P_ACQ | P_REL | P_WRITES => {
                let m = match kind {
                    P_MEM => &b.mem,
                    P_ACQ => self.acq,
                    P_REL => self.rel,
                    _ => &b.writes,
                };
                if has(m, x) {
                    out.push(x);
                }
                out.extend(po_succs.iter().map(|&(_, y)| kind * n + y));
            }
            _ => {
                let (f, p) = match kind {
                    T_FULL => (self.full, P_MEM),
                    T_LD => (self.ld, P_MEM),
                    _ => (self.st, P_WRITES),
                };
                if has(f, x) {
                    out.extend(po_succs.iter().map(|&(_, y)| p * n + y));
                }
                out.extend(po_succs.iter().map(|&(_, y)| kind * n + y));
            }
        }
    }

    /// No cycle: a depth-first search from every event (every cycle holds
    /// one).
    fn acyclic(&self) -> bool {
        self.acyclic_among(0..self.base.n)
    }

    /// No cycle through event `e` (in a graph whose other cycles, if it
    /// had any, would also run through it: it found none).
    fn acyclic_from(&self, e: usize) -> bool {
        self.acyclic_among(e..e + 1)
    }

    /// No cycle reachable from `roots`: a depth-first search, the
    /// successors of the nodes on the path kept on one stack.
    fn acyclic_among(&self, roots: std::ops::Range<usize>) -> bool {
        let n = self.base.n;
        // 0 unvisited, 1 on the path, 2 done.
        let mut state = vec![0u8; KINDS * n];
        let mut succs: Vec<usize> = Vec::new();
        // (node, where its successors start in `succs`, the next to see)
        let mut path: Vec<(usize, usize, usize)> = Vec::new();
        for root in roots {
            if state[EVENT * n + root] != 0 {
                continue;
            }
            state[root] = 1;
            let start = succs.len();
            self.succs(root, &mut succs);
            path.push((root, start, start));
            while let Some(top) = path.last_mut() {
                let (v, start, next) = *top;
                if next == succs.len() {
                    state[v] = 2;
                    succs.truncate(start);
                    path.pop();
                    continue;
                }
                top.2 += 1;
                let u = succs[next];
                match state[u] {
                    1 => return false,
                    0 => {
                        state[u] = 1;
                        let s = succs.len();
                        self.succs(u, &mut succs);
                        path.push((u, s, s));
                    }
                    _ => {}
                }
            }
        }
        true
    }
}
