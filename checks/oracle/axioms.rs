//! The four memory models' consistency axioms over a candidate execution
//! ([`Graph`]), as plain relations, each written from its cat file or paper
//! (SC-per-location and RMW atomicity, common to all four, are checked
//! while candidates are enumerated: `exec.rs`; they are checked again here
//! so that each model reads whole):
//!
//! - `sc`: Lamport; `acyclic po | rf | co | fr`.
//! - `tso`: herdtools7's `x86tso.cat` (Owens, Sarkar, Sewell, "A better
//!   x86 memory model: x86-TSO", TPHOLs 2009): `ghb = ppo | mfence |
//!   implied | rfe | fr | co` acyclic, where `ppo` is program order less
//!   write-to-read pairs and `implied` orders every event around a locked
//!   instruction. The mapping: a SeqCst store is `XCHG` (locked), every
//!   read-modify-write and compare-exchange (also a failing one) is a
//!   `LOCK`ed instruction, `fence(SeqCst)` is `MFENCE`, the kernels'
//!   `membar_enter` and `membar_sync` are full barriers, the other kernel
//!   barriers and the Acquire/Release/AcqRel fences compile to nothing.
//! - `rc11`: Lahav, Vafeiadis, Kang, Hur, Dreyer, "Repairing sequential
//!   consistency in C/C++11", PLDI 2017 (herdtools7's `rc11.cat`):
//!   coherence `irreflexive hb; eco?`, atomicity, `acyclic psc` (with SC
//!   fences), no-thin-air `acyclic po | rf`. The kernel barriers run as the
//!   facade's C11 fences (`membar_producer`, `membar_exit`,
//!   `membar_release`: Release; `membar_consumer`, `membar_acquire`:
//!   Acquire; `membar_enter`, `membar_sync`: SeqCst).
//! - `arm`: Pulte, Flur, Deacon, French, Sarkar, Sewell, "Simplifying ARM
//!   concurrency", POPL 2018 (herdtools7's `aarch64.cat` of that paper):
//!   `internal`, `atomic`, and `external`: `acyclic obs | dob | aob | bob`.
//!   The mapping: Relaxed and plain accesses `LDR`/`STR`, Acquire and
//!   SeqCst loads `LDAR` (A), Release and SeqCst stores `STLR` (L), RMWs
//!   exclusive pairs with their acquire/release halves, `fence(Acquire)`
//!   `DMB ISHLD`, `fence(Release|AcqRel|SeqCst)` `DMB ISH`, NetBSD's
//!   AArch64 `membar_producer` `DMB ISHST`, `membar_consumer` and
//!   `membar_acquire` `DMB ISHLD`, `membar_exit`, `membar_release`,
//!   `membar_enter`, `membar_sync` `DMB ISH`. `dob` (dependencies) only
//!   with [`Options::deps`]: there are no address dependencies in these
//!   programs (locations are named, not computed), so `dob` is `data |
//!   ctrl; [W] | (ctrl | data); coi | data; rfi`.

use lwpcheck::explore::program::{Fence, KernelBarrier, Order};

use super::exec::{Graph, Kind};
use super::rel::{Rel, Set};

/// A memory model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// Sequential consistency.
    Sc,
    /// x86-TSO.
    Tso,
    /// RC11.
    Rc11,
    /// ARMv8 (AArch64).
    Arm,
}

impl Model {
    /// Every model, in the order litmus files list them.
    pub const ALL: [Model; 4] = [Model::Sc, Model::Tso, Model::Rc11, Model::Arm];

    /// The name litmus files and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sc => "sc",
            Model::Tso => "tso",
            Model::Rc11 => "rc11",
            Model::Arm => "arm",
        }
    }

    /// Whether a weak compare-exchange may fail spuriously: an exclusive
    /// pair under `arm`, C11's permission under `rc11`; never on x86 (`lock
    /// cmpxchg`) or under `sc`.
    pub fn spurious_cas(self) -> bool {
        matches!(self, Model::Rc11 | Model::Arm)
    }
}

/// A deliberately broken axiom, to show the tests that use the oracle can
/// fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broken {
    /// `arm`: `bob` without `[W]; po; [dmb.st]; po; [W]` (DMB ISHST orders
    /// nothing).
    ArmDmbSt,
    /// `tso`: `ghb` without `mfence`.
    TsoMfence,
    /// `rc11`: `sw` empty (release/acquire synchronises nothing).
    Rc11Sw,
    /// `sc`: `fr` left out of the cycle check.
    ScFr,
}

/// How the oracle evaluates a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// `arm`: order by the program's data and control dependencies (`dob`),
    /// as published verdicts do. False to compare with an explorer that runs
    /// programs through the facade, which cannot see dependencies.
    pub deps: bool,
    /// Every model: only executions with `po | rf` acyclic (no load
    /// buffering), to compare with an explorer restricted that way.
    pub porf_acyclic: bool,
    /// A deliberately broken axiom.
    pub broken: Option<Broken>,
}

impl Options {
    /// For published verdicts: dependencies seen, load buffering allowed.
    pub const PUBLISHED: Options = Options {
        deps: true,
        porf_acyclic: false,
        broken: None,
    };

    /// For the facade-based explorer: no dependencies.
    pub const FACADE: Options = Options {
        deps: false,
        porf_acyclic: false,
        broken: None,
    };
}

/// The relations every model starts from.
struct Base<'a> {
    g: &'a Graph,
    n: usize,
    r: Set,
    w: Set,
    f: Set,
    po: Rel,
    rf: Rel,
    co: Rel,
    fr: Rel,
    loc: Rel,
    ext: Rel,
}

impl<'a> Base<'a> {
    fn new(g: &'a Graph) -> Base<'a> {
        Base {
            g,
            n: g.n(),
            r: g.set(|e| e.is_read()),
            w: g.set(|e| e.is_write()),
            f: g.set(|e| matches!(e.kind, Kind::Fence(_))),
            po: g.po.clone(),
            rf: g.rf.clone(),
            co: g.co.clone(),
            fr: g.fr(),
            loc: g.same_loc(),
            ext: g.ext(),
        }
    }

    fn m(&self) -> Set {
        self.r | self.w
    }

    /// Pairs of distinct events of one thread.
    fn int(&self) -> Rel {
        let all = if self.n == 128 {
            !0
        } else {
            (1u128 << self.n) - 1
        };
        Rel::cross(self.n, all, all)
            .minus(&self.ext)
            .minus(&Rel::id(self.n, all))
    }

    /// `acyclic po-loc | rf | co | fr` and `empty rmw & (fre; coe)`.
    fn sc_per_location_and_atomic(&self) -> bool {
        let po_loc = self.po.inter(&self.loc);
        let coherent = po_loc
            .union(&self.rf)
            .union(&self.co)
            .union(&self.fr)
            .acyclic();
        let fre = self.fr.inter(&self.ext);
        let coe = self.co.inter(&self.ext);
        coherent && self.g.rmw.inter(&fre.seq(&coe)).is_empty()
    }

    fn events_with(&self, f: impl Fn(Kind, Order, bool) -> bool) -> Set {
        self.g.set(|e| f(e.kind, e.order, e.rmw_insn))
    }
}

/// Whether the candidate execution is consistent under the model.
pub fn consistent(g: &Graph, model: Model, o: &Options) -> bool {
    let b = Base::new(g);
    if !b.sc_per_location_and_atomic() {
        return false;
    }
    if o.porf_acyclic && !b.po.union(&b.rf).acyclic() {
        return false;
    }
    match model {
        Model::Sc => sc(&b, o),
        Model::Tso => tso(&b, o),
        Model::Rc11 => rc11(&b, o),
        Model::Arm => arm(&b, o),
    }
}

fn sc(b: &Base<'_>, o: &Options) -> bool {
    let mut ord = b.po.union(&b.rf).union(&b.co);
    if o.broken != Some(Broken::ScFr) {
        ord = ord.union(&b.fr);
    }
    ord.acyclic()
}

fn tso(b: &Base<'_>, o: &Options) -> bool {
    let m = b.m();
    let po = b.po.with_domain(m).with_range(m);
    // ppo: program order less write-to-read.
    let ppo = po.minus(&Rel::cross(b.n, b.w, b.r));
    // MFENCE: fence(SeqCst), membar_enter, membar_sync.
    let mfence_events = b.events_with(|k, _, _| {
        matches!(
            k,
            Kind::Fence(Fence::C11(Order::SeqCst))
                | Kind::Fence(Fence::Kernel(KernelBarrier::Enter | KernelBarrier::Sync))
        )
    });
    let mfence =
        b.po.with_range(mfence_events)
            .seq(&b.po)
            .with_domain(m)
            .with_range(m);
    // Locked instructions: every RMW (and failing CAS), and the XCHG of a
    // SeqCst store.
    let locked = b.events_with(|k, ord, rmw| rmw || (k == Kind::Write && ord == Order::SeqCst)) & m;
    let implied = po.with_domain(locked).union(&po.with_range(locked));
    let rfe = b.rf.inter(&b.ext);
    let mut ghb = ppo.union(&implied).union(&rfe).union(&b.fr).union(&b.co);
    if o.broken != Some(Broken::TsoMfence) {
        ghb = ghb.union(&mfence);
    }
    ghb.acyclic()
}

/// RC11 modes: whether an order is at least release / acquire / atomic.
fn is_rel(o: Order) -> bool {
    matches!(o, Order::Release | Order::AcqRel | Order::SeqCst)
}

fn is_acq(o: Order) -> bool {
    matches!(o, Order::Acquire | Order::AcqRel | Order::SeqCst)
}

/// The C11 fence order a fence event runs as under `rc11` (the facade's).
fn c11_fence(f: Fence) -> Order {
    match f {
        Fence::C11(o) => o,
        Fence::Kernel(k) => match k {
            KernelBarrier::Producer | KernelBarrier::Exit | KernelBarrier::Release => {
                Order::Release
            }
            KernelBarrier::Consumer | KernelBarrier::Acquire => Order::Acquire,
            KernelBarrier::Enter | KernelBarrier::Sync => Order::SeqCst,
        },
    }
}

/// RC11's happens-before: `(po | sw)+`.
fn rc11_hb(b: &Base<'_>, broken: Option<Broken>) -> Rel {
    let g = b.g;
    let fence_mode = |want: fn(Order) -> bool| {
        g.set(|e| match e.kind {
            Kind::Fence(f) => want(c11_fence(f)),
            _ => false,
        })
    };
    let atomic = g.set(|e| e.order != Order::Plain && !matches!(e.kind, Kind::Fence(_)));
    let rel_w = g.set(|e| e.is_write() && is_rel(e.order));
    let acq_r = g.set(|e| e.is_read() && is_acq(e.order));
    let (rel_f, acq_f) = (fence_mode(is_rel), fence_mode(is_acq));
    // rs = [W]; (po & loc)?; [W & atomic]; (rf; rmw)*
    let rf_rmw = b.rf.seq(&g.rmw);
    let rs = Rel::id(b.n, b.w)
        .seq(&b.po.inter(&b.loc).opt())
        .with_range(b.w & atomic)
        .seq(&rf_rmw.plus().opt());
    // sw = [E_rel]; ([F]; po)?; rs; rf; [R & atomic]; (po; [F])?; [E_acq]
    let head = Rel::id(b.n, rel_w).union(&b.po.with_domain(rel_f));
    let tail = Rel::id(b.n, acq_r).union(&b.po.with_range(acq_f));
    let sw = head.seq(&rs).seq(&b.rf).with_range(b.r & atomic).seq(&tail);
    let sw = if broken == Some(Broken::Rc11Sw) {
        Rel::empty(b.n)
    } else {
        sw
    };
    b.po.union(&sw).plus()
}

fn rc11(b: &Base<'_>, o: &Options) -> bool {
    let g = b.g;
    let hb = rc11_hb(b, o.broken);
    let eco = b.rf.union(&b.co).union(&b.fr).plus();
    // Coherence: irreflexive hb; eco?
    if !hb.seq(&eco.opt()).irreflexive() {
        return false;
    }
    // Atomicity: empty rmw & (fr; co).
    if !g.rmw.inter(&b.fr.seq(&b.co)).is_empty() {
        return false;
    }
    // SC: acyclic psc_base | psc_F.
    let sc_e = g.set(|e| match e.kind {
        Kind::Fence(f) => c11_fence(f) == Order::SeqCst,
        _ => e.order == Order::SeqCst,
    });
    let sc_f = sc_e & b.f;
    let po_nloc = b.po.minus(&b.loc);
    let scb =
        b.po.union(&po_nloc.seq(&hb).seq(&po_nloc))
            .union(&hb.inter(&b.loc))
            .union(&b.co)
            .union(&b.fr);
    let left = Rel::id(b.n, sc_e).union(&Rel::id(b.n, sc_f).seq(&hb.opt()));
    let right = Rel::id(b.n, sc_e).union(&hb.opt().with_range(sc_f));
    let psc_base = left.seq(&scb).seq(&right);
    let psc_f = Rel::id(b.n, sc_f)
        .seq(&hb.union(&hb.seq(&eco).seq(&hb)))
        .with_range(sc_f);
    if !psc_base.union(&psc_f).acyclic() {
        return false;
    }
    // No thin air.
    b.po.union(&b.rf).acyclic()
}

/// Whether the execution has a C11 data race: two accesses to one
/// location from different threads, at least one a write and one plain,
/// unordered by RC11's happens-before (initial writes excluded). Computed
/// the same way whatever the model that found the execution consistent.
pub fn racy(g: &Graph) -> bool {
    let b = Base::new(g);
    let hb = rc11_hb(&b, None);
    let access = b.m() & !g.set(|e| e.thread.is_none());
    for x in super::rel::members(access) {
        for y in super::rel::members(access) {
            let (ex, ey) = (&g.events[x], &g.events[y]);
            if x < y
                && ex.thread != ey.thread
                && ex.loc == ey.loc
                && (ex.is_write() || ey.is_write())
                && (ex.order == Order::Plain || ey.order == Order::Plain)
                && !hb.has(x, y)
                && !hb.has(y, x)
            {
                return true;
            }
        }
    }
    false
}

fn arm(b: &Base<'_>, o: &Options) -> bool {
    let g = b.g;
    let int = b.int();
    let (rfe, rfi) = (b.rf.inter(&b.ext), b.rf.inter(&int));
    let (coe, coi) = (b.co.inter(&b.ext), b.co.inter(&int));
    let fre = b.fr.inter(&b.ext);
    let obs = rfe.union(&fre).union(&coe);
    // A: LDAR / LDAXR; L: STLR / STLXR (plain accesses are LDR / STR).
    let a = g.set(|e| e.is_read() && e.arm_acquire);
    let l = g.set(|e| e.is_write() && is_rel(e.order));
    let fence = |want: fn(Fence) -> bool| {
        g.set(|e| match e.kind {
            Kind::Fence(f) => want(f),
            _ => false,
        })
    };
    let dmb_full = fence(|f| match f {
        Fence::C11(o) => matches!(o, Order::Release | Order::AcqRel | Order::SeqCst),
        Fence::Kernel(k) => matches!(
            k,
            KernelBarrier::Exit
                | KernelBarrier::Release
                | KernelBarrier::Enter
                | KernelBarrier::Sync
        ),
    });
    let dmb_ld = fence(|f| match f {
        Fence::C11(o) => o == Order::Acquire,
        Fence::Kernel(k) => matches!(k, KernelBarrier::Consumer | KernelBarrier::Acquire),
    });
    let dmb_st = fence(|f| f == Fence::Kernel(KernelBarrier::Producer));
    let po = &b.po;
    let mut bob = po
        .with_range(dmb_full)
        .seq(po)
        .union(&Rel::id(b.n, l).seq(po).with_range(a))
        .union(&po.with_domain(b.r).with_range(dmb_ld).seq(po))
        .union(&po.with_domain(a))
        .union(&po.with_range(l))
        .union(&po.with_range(l).seq(&coi));
    if o.broken != Some(Broken::ArmDmbSt) {
        bob = bob.union(
            &po.with_domain(b.w)
                .with_range(dmb_st)
                .seq(po)
                .with_range(b.w),
        );
    }
    let aob = g
        .rmw
        .union(&Rel::id(b.n, g.rmw.range()).seq(&rfi).with_range(a));
    let mut ob = obs.union(&aob).union(&bob);
    if o.deps {
        let (data, ctrl) = (&g.data, &g.ctrl);
        let dob = data
            .union(&ctrl.with_range(b.w))
            .union(&ctrl.union(data).seq(&coi))
            .union(&data.seq(&rfi));
        ob = ob.union(&dob);
    }
    ob.acyclic()
}
