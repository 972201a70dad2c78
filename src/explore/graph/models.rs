//! The memory models as consistency predicates over a (partial) execution
//! graph, written as the papers and herdtools7's cat files state them (the
//! module docs of [`super`] give the sources and the mapping).

use super::exec_graph::{Graph, Kind, Mo, INIT};
use super::rel::{Rel, Set};
use super::Mutation;
use crate::explore::program::KernelBarrier as KB;
use crate::sync::MemoryModel;

/// The base relations of a graph.
pub(crate) struct Rels {
    n: usize,
    /// Program order, with spawn and join, initial writes before all;
    /// transitive.
    pub(crate) po: Rel,
    pub(crate) rf: Rel,
    /// Coherence; transitive.
    pub(crate) co: Rel,
    pub(crate) fr: Rel,
    /// A read-modify-write's read to its write.
    rmw: Rel,
    /// Program order's immediate edges between thread events (each goes
    /// forward in the addition order), for closures.
    po_succ: Vec<Vec<usize>>,
    /// The initial writes (before every other event, after none).
    inits: Vec<usize>,
    same_loc: Rel,
    /// Different threads (an initial write is external to every thread).
    ext: Rel,
    reads: Set,
    writes: Set,
    fences: Set,
    mem: Set,
    /// The order each access runs with (a failed compare-exchange's read:
    /// its failure order).
    mo: Vec<Mo>,
}

/// The order an access runs with (a failed compare-exchange's read: its
/// failure order); `Plain` for an event that is not an access.
pub(crate) fn event_mo(g: &Graph, i: usize) -> Mo {
    match &g.events[i].kind {
        Kind::Read { mo, rmw, .. } => match rmw {
            Some(x) if !g.rmw_succeeds(i) => x.failure,
            _ => *mo,
        },
        Kind::Write { mo, .. } | Kind::Fence { mo, .. } => *mo,
        Kind::Init { .. } | Kind::Spawn { .. } | Kind::Join { .. } => Mo::Plain,
    }
}

impl Rels {
    pub(crate) fn new(g: &Graph) -> Rels {
        let n = g.events.len();
        // Program order's immediate edges (thread order, spawn to the
        // child's first event, the child's last event to the join), closed backwards
        // along the addition order, which extends program order: each
        // event's row is its successors' rows with them.
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        for th in &g.threads {
            for w in th.windows(2) {
                succ[w[0]].push(w[1]);
            }
        }
        for (t, s) in g.spawner.iter().enumerate() {
            if let (Some(s), Some(&f)) = (*s, g.threads[t].first()) {
                succ[s].push(f);
            }
        }
        for (j, e) in g.events.iter().enumerate() {
            if let Kind::Join { child } = e.kind {
                if let Some(&c) = g.threads.get(child).and_then(|v| v.last()) {
                    succ[c].push(j);
                }
            }
        }
        let mut po = Rel::closure_of_forward(n, &succ);
        let po_succ = succ;
        // An initial write (added when its location is first seen, so
        // anywhere in the addition order) is before every other event, and
        // nothing is before it.
        let inits: Vec<usize> = (0..n).filter(|&i| g.events[i].thread == INIT).collect();
        for &i in &inits {
            for k in 0..n {
                if g.events[k].thread != INIT {
                    po.add(i, k);
                }
            }
        }
        let mut rf = Rel::new(n);
        let mut rmw = Rel::new(n);
        let mut mo = vec![Mo::Plain; n];
        let (mut reads, mut writes, mut fences) = (vec![false; n], vec![false; n], vec![false; n]);
        for (i, e) in g.events.iter().enumerate() {
            match &e.kind {
                Kind::Read { rf: w, .. } => {
                    reads[i] = true;
                    rf.add(*w, i);
                    mo[i] = event_mo(g, i);
                }
                Kind::Write { mo: m, rmw: r, .. } => {
                    writes[i] = true;
                    mo[i] = *m;
                    if *r {
                        let th = &g.threads[e.thread];
                        let k = th.iter().position(|&x| x == i).expect("in thread");
                        rmw.add(th[k - 1], i);
                    }
                }
                Kind::Init { .. } => writes[i] = true,
                Kind::Fence { mo: m, .. } => {
                    fences[i] = true;
                    mo[i] = *m;
                }
                Kind::Spawn { .. } | Kind::Join { .. } => {}
            }
        }
        let mut co = Rel::new(n);
        for order in &g.co {
            for (i, &a) in order.iter().enumerate() {
                for &b in &order[i + 1..] {
                    co.add(a, b);
                }
            }
        }
        let fr = rf.inverse().seq(&co);
        let same_loc = Rel::same_class(n, |a| g.events[a].loc);
        // External: different threads, an initial write external to all.
        let thread = Rel::same_class(n, |a| Some(g.events[a].thread).filter(|&t| t != INIT));
        let ext = Rel::full(n).minus(&thread);
        let mem: Set = (0..n).map(|i| reads[i] || writes[i]).collect();
        Rels {
            n,
            po_succ,
            inits,
            po,
            rf,
            co,
            fr,
            rmw,
            same_loc,
            ext,
            reads,
            writes,
            fences,
            mem,
            mo,
        }
    }

    /// `(po ∪ extra)+`, where `extra` goes forward in the addition order
    /// between thread events (a synchronization edge goes from a release
    /// to a later acquire): closed in one backward pass over program
    /// order's immediate edges and `extra`'s, instead of a closure over
    /// the (dense) program order.
    fn po_closure_with(&self, extra: &Rel) -> Rel {
        let is_init: Set = self.set(|i| self.inits.contains(&i));
        let forward = extra
            .pairs()
            .all(|(a, b)| a < b && !is_init[a] && !is_init[b]);
        if !forward {
            return self.po.union(extra).plus();
        }
        let mut succ = self.po_succ.clone();
        for (a, b) in extra.pairs() {
            succ[a].push(b);
        }
        let mut r = Rel::closure_of_forward(self.n, &succ);
        for &i in &self.inits {
            for (k, _) in is_init.iter().enumerate().filter(|(_, &x)| !x) {
                r.add(i, k);
            }
        }
        r
    }

    fn set(&self, f: impl Fn(usize) -> bool) -> Set {
        (0..self.n).map(f).collect()
    }

    fn po_loc(&self) -> Rel {
        self.po.inter(&self.same_loc)
    }

    /// acyclic(po-loc ∪ rf ∪ co ∪ fr): SC per location.
    fn sc_per_loc(&self) -> bool {
        self.po_loc()
            .union(&self.rf)
            .union(&self.co)
            .union(&self.fr)
            .acyclic()
    }

    /// empty(rmw ∩ (fr ; co)), and no write read by two read-modify-writes
    /// that write (the second's write may not be in the graph yet).
    fn atomicity(&self, g: &Graph) -> bool {
        if !self.rmw.inter(&self.fr.seq(&self.co)).is_empty() {
            return false;
        }
        let mut seen = vec![false; self.n];
        for r in 0..self.n {
            if g.rmw_succeeds(r) {
                let w = g.rf(r).expect("a read");
                if seen[w] {
                    return false;
                }
                seen[w] = true;
            }
        }
        true
    }
}

/// Whether the graph is consistent under `model`.
pub(crate) fn consistent(
    g: &Graph,
    model: MemoryModel,
    mutation: Mutation,
    atomicity: bool,
) -> bool {
    let r = Rels::new(g);
    if atomicity && !r.atomicity(g) {
        return false;
    }
    let drop_fr = mutation == Mutation::DropFr;
    let fr = if drop_fr { Rel::new(r.n) } else { r.fr.clone() };
    match model {
        MemoryModel::Sc => r.po.union(&r.rf).union(&r.co).union(&fr).acyclic(),
        MemoryModel::Tso => r.sc_per_loc() && tso(g, &r, &fr),
        MemoryModel::Rc11 => rc11(g, &r, &fr),
        // ARMv8 allows po ∪ rf cycles (load buffering); the mutation
        // restricts them away.
        MemoryModel::Arm => {
            r.sc_per_loc()
                && arm(g, &r, &fr)
                && (mutation != Mutation::NoLoadBuffering || r.po.union(&r.rf).acyclic())
        }
    }
}

/// x86-TSO (x86tso.cat): acyclic(ppo ∪ implied ∪ rfe ∪ co ∪ fr), ppo = po
/// on memory events minus W->R; a W->R pair is ordered through an mfence
/// or a locked instruction between them (or being one of them).
fn tso(g: &Graph, r: &Rels, fr: &Rel) -> bool {
    let locked = r.set(|i| tso_locked(&g.events[i].kind));
    let full = r.set(|i| full_fence(g, i, MemoryModel::Tso));
    let lf = r.set(|i| locked[i] || full[i]);
    let ppo =
        r.po.restrict(&r.mem, &r.mem)
            .minus(&r.po.restrict(&r.writes, &r.reads));
    let wr =
        r.po.opt()
            .cols(&lf)
            .seq(&r.po.opt())
            .restrict(&r.writes, &r.reads)
            .inter(&r.po);
    let rfe = r.rf.inter(&r.ext);
    ppo.union(&wr).union(&rfe).union(&r.co).union(fr).acyclic()
}

/// An x86 locked instruction: a read-modify-write's read or write, or a
/// SeqCst store (XCHG).
pub(crate) fn tso_locked(k: &Kind) -> bool {
    match k {
        Kind::Read { rmw: Some(_), .. } => true,
        Kind::Write { rmw: true, .. } => true,
        // A SeqCst store compiles to XCHG.
        Kind::Write { mo: Mo::Sc, .. } => true,
        _ => false,
    }
}

/// A fence event that is a full barrier under `model` (x86: mfence; ARM:
/// `DMB ISH`); spawn and join count as full barriers in both.
pub(crate) fn full_fence(g: &Graph, i: usize, model: MemoryModel) -> bool {
    match g.events[i].kind {
        Kind::Spawn { .. } | Kind::Join { .. } => true,
        Kind::Fence { mo, barrier } => match model {
            MemoryModel::Tso => {
                matches!(barrier, Some(KB::Enter | KB::Sync)) || (barrier.is_none() && mo == Mo::Sc)
            }
            _ => match barrier {
                None => matches!(mo, Mo::Rel | Mo::AcqRel | Mo::Sc),
                Some(KB::Exit | KB::Release | KB::Enter | KB::Sync) => true,
                Some(KB::Producer | KB::Consumer | KB::Acquire) => false,
            },
        },
        _ => false,
    }
}

/// The event sets ARMv8's barrier-ordered-before is built from.
struct ArmSets {
    /// Reads whose load is LDAR/LDAXR (a compare-exchange's load is LDAXR
    /// if either ordering acquires: one instruction serves both outcomes).
    acq: Set,
    /// Writes whose store is STLR/STLXR.
    rel: Set,
    /// `DMB ISH` (and spawn/join).
    full: Set,
    /// `DMB ISHLD`.
    ld: Set,
    /// `DMB ISHST`.
    st: Set,
}

fn arm_sets(g: &Graph, r: &Rels) -> ArmSets {
    let ev: Vec<ArmEvent> = (0..r.n).map(|i| arm_event(g, i)).collect();
    ArmSets {
        acq: ev.iter().map(|e| e.acq).collect(),
        rel: ev.iter().map(|e| e.rel).collect(),
        full: ev.iter().map(|e| e.full).collect(),
        ld: ev.iter().map(|e| e.ld).collect(),
        st: ev.iter().map(|e| e.st).collect(),
    }
}

/// Which of [`ArmSets`] event `i` is in.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ArmEvent {
    pub(crate) acq: bool,
    pub(crate) rel: bool,
    pub(crate) full: bool,
    pub(crate) ld: bool,
    pub(crate) st: bool,
}

/// Event `i`'s place in [`ArmSets`] (one event at a time, so that the
/// explorer's check, `fast.rs`, classifies events as this module does).
pub(crate) fn arm_event(g: &Graph, i: usize) -> ArmEvent {
    let kind = &g.events[i].kind;
    ArmEvent {
        acq: match kind {
            // LDAR, LDAXR: an acquire half (a compare-exchange's load is
            // LDAXR if either ordering acquires).
            Kind::Read { mo, rmw, .. } => {
                mo.acquires() || rmw.is_some_and(|x| x.failure.acquires())
            }
            _ => false,
        },
        // STLR, STLXR.
        rel: matches!(kind, Kind::Write { mo, .. } if mo.releases()),
        full: full_fence(g, i, MemoryModel::Arm),
        ld: matches!(
            kind,
            Kind::Fence {
                barrier: Some(KB::Consumer | KB::Acquire),
                ..
            } | Kind::Fence {
                barrier: None,
                mo: Mo::Acq
            }
        ),
        st: matches!(
            kind,
            Kind::Fence {
                barrier: Some(KB::Producer),
                ..
            }
        ),
    }
}

/// ARMv8 (aarch64.cat; Pulte et al. POPL 2018): internal (checked by the
/// caller), external = acyclic(ob), ob = (obs ∪ dob ∪ aob ∪ bob)+, with dob
/// empty (the facade sees no dependencies).
fn arm(g: &Graph, r: &Rels, fr: &Rel) -> bool {
    let ArmSets {
        acq,
        rel,
        full,
        ld,
        st,
    } = arm_sets(g, r);
    let po = &r.po;
    let obs =
        r.rf.inter(&r.ext)
            .union(&fr.inter(&r.ext))
            .union(&r.co.inter(&r.ext));
    let range_rmw = r.set(|i| (0..r.n).any(|a| r.rmw.has(a, i)));
    let rfi = r.rf.minus(&r.ext);
    let aob = r.rmw.union(&rfi.restrict(&range_rmw, &acq));
    let through = |f: &Set| po.cols(f).seq(po);
    let bob = through(&full)
        .restrict(&r.mem, &r.mem)
        .union(&po.restrict(&rel, &acq))
        .union(&through(&ld).restrict(&r.reads, &r.mem))
        .union(&po.restrict(&acq, &r.mem))
        .union(&through(&st).restrict(&r.writes, &r.writes))
        .union(&po.restrict(&r.mem, &rel))
        // po; [L]; coi: a write coherence-after a release store of the
        // same thread is ordered after what precedes the release.
        .union(&po.restrict(&r.mem, &rel).seq(&r.co.minus(&r.ext)));
    obs.union(&aob).union(&bob).acyclic()
}

/// C11 happens-before (RC11's): (po ∪ sw)+, with release sequences and
/// fences as written.
pub(crate) fn hb(g: &Graph, r: &Rels) -> Rel {
    let atomic_w = r.set(|i| r.writes[i] && r.mo[i] != Mo::Plain && g.events[i].thread != INIT);
    let atomic_r = r.set(|i| r.reads[i] && r.mo[i] != Mo::Plain);
    let e_rel = r.set(|i| (r.writes[i] || r.fences[i]) && r.mo[i].releases());
    let e_acq = r.set(|i| (r.reads[i] || r.fences[i]) && r.mo[i].acquires());
    let f = Rel::id(&r.fences);
    // rs = [W] ; po-loc? ; [W⊒rlx] ; (rf ; rmw)*
    let rs = r
        .po_loc()
        .opt()
        .restrict(&r.writes, &atomic_w)
        .seq(&r.rf.seq(&r.rmw).star());
    // sw = [E⊒rel] ; ([F] ; po)? ; rs ; rf ; [R⊒rlx] ; (po ; [F])? ; [E⊒acq]
    let sw = f
        .seq(&r.po)
        .opt()
        .restrict(&e_rel, &vec![true; r.n])
        .seq(&rs)
        .seq(&r.rf)
        .cols(&atomic_r)
        .seq(&r.po.cols(&r.fences).opt())
        .cols(&e_acq);
    r.po_closure_with(&sw)
}

/// RC11 (Lahav et al. PLDI 2017, rc11.cat): coherence, atomicity (checked
/// by the caller), SC (acyclic psc), no-thin-air (acyclic(po ∪ rf)).
fn rc11(g: &Graph, r: &Rels, fr: &Rel) -> bool {
    let hb = hb(g, r);
    let eco = r.rf.union(&r.co).union(fr).plus();
    if !hb.seq(&eco.opt()).irreflexive() {
        return false;
    }
    if !r.po.union(&r.rf).acyclic() {
        return false;
    }
    let e_sc = r.set(|i| r.mem[i] && r.mo[i] == Mo::Sc);
    let f_sc = r.set(|i| r.fences[i] && r.mo[i] == Mo::Sc);
    if !e_sc.iter().any(|&x| x) && !f_sc.iter().any(|&x| x) {
        return true;
    }
    let neq_loc = r.po.minus(&r.same_loc);
    let scb =
        r.po.union(&neq_loc.seq(&hb).seq(&neq_loc))
            .union(&hb.inter(&r.same_loc))
            .union(&r.co)
            .union(fr);
    let (esc, fsc) = (Rel::id(&e_sc), Rel::id(&f_sc));
    let left = esc.union(&fsc.seq(&hb.opt()));
    let right = esc.union(&hb.opt().seq(&fsc));
    let psc_base = left.seq(&scb).seq(&right);
    let psc_f = fsc.seq(&hb.union(&hb.seq(&eco).seq(&hb))).seq(&fsc);
    psc_base.union(&psc_f).acyclic()
}

/// A C11 data race of a complete graph: two accesses to a location, one a
/// write, one plain, in different threads, not ordered by happens-before.
pub(crate) fn racy(g: &Graph) -> bool {
    let r = Rels::new(g);
    let hb = hb(g, &r);
    for a in 0..r.n {
        for b in a + 1..r.n {
            let (x, y) = (&g.events[a], &g.events[b]);
            if x.thread == INIT || y.thread == INIT || x.thread == y.thread {
                continue;
            }
            if !r.same_loc.has(a, b) || !(r.writes[a] || r.writes[b]) {
                continue;
            }
            if r.mo[a] != Mo::Plain && r.mo[b] != Mo::Plain {
                continue;
            }
            if !hb.has(a, b) && !hb.has(b, a) {
                return true;
            }
        }
    }
    false
}
