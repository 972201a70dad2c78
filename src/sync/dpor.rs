//! The facade's side of the DPOR explorer (`crate::explore::dpor`): the
//! vocabulary of steps it declares, and the recorder it reports to while
//! that explorer runs (and only then: every hook is a no-op otherwise, so
//! plain shuttle runs are unchanged). Compiled under shuttle only.
//!
//! Shuttle tasks are coroutines on one OS thread, so one thread-local
//! recorder sees the whole execution. It keeps, per task:
//!
//! - the **pending** steps the task declared before its next scheduling
//!   point(s), which the DPOR scheduler reads (dependence, sleep sets,
//!   whether a `lock` would block) and consumes when it runs the task;
//! - under `tso`, the task's FIFO **store buffer**;
//! - the task's C11 happens-before clock for the **data-race detector**
//!   (program order, spawn/join, unlock -> lock, release -> acquire
//!   reads-from with fences).
//!
//! Facade hooks never hold the recorder borrowed across a call into
//! shuttle: a scheduling point calls the scheduler, which reads it too.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::mem::ManuallyDrop;
use std::sync::atomic::Ordering;

use shuttle_engine::runtime::execution::ExecutionState;

use super::Site;

/// A task (shuttle's task number).
pub(crate) type Tid = usize;

/// How a step touches an object. Two accesses to the same object are
/// dependent unless both are read-like ([`Kind::Read`], [`Kind::TryFail`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// An atomic load, or a compare-exchange that failed.
    Read,
    /// An atomic store reaching memory (under TSO: the flush), or a
    /// read-modify-write that wrote.
    Write,
    /// A lock-protected cell read.
    CellRead,
    /// A lock-protected cell write.
    CellWrite,
    /// A mutex acquired (`lock`, or a `try_lock` that succeeded).
    Acquire,
    /// A mutex released.
    Release,
    /// A `try_lock` that found the mutex held.
    TryFail,
    /// A `try_lock` not yet run (declared): as dependent as an acquisition,
    /// but never blocked.
    TryLock,
    /// A condition-variable wait begins (the waiter joins the wait set).
    CvWait,
    /// A waiter consumes a notification.
    CvWoken,
    /// `notify_one` / `notify_all`.
    CvNotify,
}

impl Kind {
    pub(crate) fn read_like(self) -> bool {
        matches!(self, Kind::Read | Kind::TryFail | Kind::CellRead)
    }
}

/// One access of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Access {
    /// The object, numbered in order of first appearance in the execution
    /// (so that a replayed prefix names objects the same way).
    pub(crate) obj: usize,
    /// How.
    pub(crate) kind: Kind,
}

/// Dependence of two accesses (see the module docs of [`super`]).
pub(crate) fn dependent(a: &Access, b: &Access) -> bool {
    a.obj == b.obj && !(a.kind.read_like() && b.kind.read_like())
}

/// What a step does, as far as dependence is concerned. An empty event is
/// invisible (a thread's start, a blocked attempt, purely local work).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Event {
    /// Shared objects touched.
    pub(crate) accesses: Vec<Access>,
    /// `Some(child)` for a join: happens after the child's last step.
    pub(crate) join: Option<Tid>,
}

impl Event {
    /// An event with one access.
    pub(crate) fn one(obj: usize, kind: Kind) -> Self {
        Event {
            accesses: vec![Access { obj, kind }],
            join: None,
        }
    }

    pub(crate) fn dependent(&self, other: &Event) -> bool {
        self.accesses
            .iter()
            .any(|a| other.accesses.iter().any(|b| dependent(a, b)))
    }

    pub(crate) fn is_blocking_lock(&self) -> bool {
        self.accesses
            .first()
            .is_some_and(|a| a.kind == Kind::Acquire)
    }
}

/// A task as the scheduler sees it at a decision.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    /// The task.
    pub(crate) tid: Tid,
    /// Its next step (declared before its scheduling point).
    pub(crate) pending: Event,
    /// False for a task shuttle lists as runnable whose next step is a
    /// `lock` of a held mutex (it would only block).
    pub(crate) enabled: bool,
}

pub use super::ordering::MemoryModel;

/// What one run of an explorer asks of the facade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) model: MemoryModel,
    pub(crate) spurious_cas: bool,
    pub(crate) spurious_wakeups: bool,
    /// Keep the pending-step bookkeeping (the DPOR scheduler needs it; the
    /// plain DFS does not).
    pub(crate) track: bool,
}

type Vc = Vec<u32>;

fn join_into(a: &mut Vc, b: &Vc) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x = (*x).max(*y);
    }
}

/// A store waiting in a task's buffer (tso).
struct Buffered {
    what: Pending,
    /// The C11 clock the store carries (its release, if any).
    msg: Vc,
}

/// What a buffered store writes.
enum Pending {
    /// An atomic store.
    Store {
        addr: usize,
        bits: u64,
        /// Stores `bits` into the facade atomic at `addr` (through shuttle).
        writer: unsafe fn(usize, u64),
    },
    /// The release of a mutex whose unlock is a plain store (see
    /// [`unlock`]): `release` drops the backend's guard, the mutex is held
    /// until then. Never dropped: an execution abandoned with the entry
    /// still buffered (sleep-blocked, timed out, its mutex dropped) leaks
    /// the guard rather than release a mutex of a finished execution.
    Unlock {
        mutex: usize,
        release: ManuallyDrop<Box<dyn FnOnce()>>,
    },
}

impl Buffered {
    /// The atomic this entry stores to, if it is an atomic store.
    fn store_addr(&self) -> Option<usize> {
        match self.what {
            Pending::Store { addr, .. } => Some(addr),
            Pending::Unlock { .. } => None,
        }
    }
}

#[derive(Default)]
struct TaskRec {
    pending: VecDeque<Event>,
    buffer: VecDeque<Buffered>,
    clock: Vc,
    /// The clock at the last release fence.
    rel: Vc,
    /// Clocks read by relaxed loads, for a later acquire fence.
    acq: Vc,
    name: Option<String>,
}

#[derive(Default)]
struct CellState {
    write: Option<(Tid, u32, Site)>,
    reads: Vec<(Tid, u32, Site)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Atomic,
    Mutex,
    Condvar,
    Cell,
}

pub(crate) struct Recorder {
    settings: Settings,
    tasks: Vec<TaskRec>,
    objs: HashMap<(usize, Class), usize>,
    held: HashMap<usize, Tid>,
    arity: Option<usize>,
    current: Tid,
    steps: usize,
    stopped: bool,
    fused: Option<Tid>,
    actual: Option<Event>,
    spawned_at: HashMap<Tid, usize>,
    locs: HashMap<usize, Vc>,
    mutexes: HashMap<usize, Vc>,
    cells: HashMap<usize, CellState>,
    /// Tasks that yielded (a spin loop's pause) and wait for another task
    /// to write something.
    yielded: Vec<Tid>,
    /// Tasks that took their spurious failure or wakeup of this execution
    /// (see [`spurious`]).
    spurious_spent: Vec<Tid>,
}

thread_local! {
    static REC: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

impl Recorder {
    fn new(settings: Settings) -> Self {
        Recorder {
            settings,
            tasks: Vec::new(),
            objs: HashMap::new(),
            held: HashMap::new(),
            arity: None,
            current: 0,
            steps: 0,
            stopped: false,
            fused: None,
            actual: None,
            spawned_at: HashMap::new(),
            locs: HashMap::new(),
            mutexes: HashMap::new(),
            cells: HashMap::new(),
            yielded: Vec::new(),
            spurious_spent: Vec::new(),
        }
    }

    fn task(&mut self, t: Tid) -> &mut TaskRec {
        if self.tasks.len() <= t {
            self.tasks.resize_with(t + 1, TaskRec::default);
        }
        let tr = &mut self.tasks[t];
        if tr.clock.len() <= t {
            tr.clock.resize(t + 1, 0);
        }
        if tr.clock[t] == 0 {
            tr.clock[t] = 1;
        }
        tr
    }

    fn cur(&mut self) -> &mut TaskRec {
        let t = self.current;
        self.task(t)
    }

    fn obj(&mut self, addr: usize, class: Class) -> usize {
        let next = self.objs.len() + 1;
        *self.objs.entry((addr, class)).or_insert(next)
    }

    fn declare(&mut self, ev: Event) {
        if self.settings.track {
            self.cur().pending.push_back(ev);
        }
    }

    fn tick(&mut self) {
        let t = self.current;
        let c = &mut self.task(t).clock;
        c[t] += 1;
    }

    /// The ordering the race detector's happens-before uses for an atomic
    /// access written with `ord`. Under `sc`, `ord` itself: the C11
    /// happens-before of the program as written, so a race is the
    /// program's (a compiler may exploit it on any machine; by DRF-SC a
    /// program none of whose SC executions races has only SC executions).
    /// Under `tso`, x86's: every load acquires from the store it reads and
    /// every store releases (a locked instruction does both), so a race is
    /// one on x86 hardware, as loom's x86 profile judged it.
    fn hw(&self, ord: Ordering) -> Ordering {
        match (self.settings.model, ord) {
            (MemoryModel::Tso, Ordering::SeqCst) => Ordering::SeqCst,
            (MemoryModel::Tso, _) => Ordering::AcqRel,
            // sc (rc11 and arm never reach the DPOR explorer: parse_dpor).
            (_, o) => o,
        }
    }

    fn release_clock(&mut self, ord: Ordering) -> Vc {
        let tr = self.cur();
        match ord {
            Ordering::Release | Ordering::AcqRel | Ordering::SeqCst => tr.clock.clone(),
            _ => tr.rel.clone(),
        }
    }

    fn acquire(&mut self, msg: Option<Vc>, ord: Ordering) {
        let Some(msg) = msg else { return };
        let tr = self.cur();
        match ord {
            Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst => {
                join_into(&mut tr.clock, &msg)
            }
            _ => join_into(&mut tr.acq, &msg),
        }
    }

    fn enabled(&self, t: Tid) -> bool {
        let Some(front) = self.tasks.get(t).and_then(|tr| tr.pending.front()) else {
            return true;
        };
        match front.accesses.first() {
            Some(a) if a.kind == Kind::Acquire => !self.held.contains_key(&a.obj),
            _ => true,
        }
    }
}

fn with<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    REC.with(|r| r.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Run `f` on the recorder if an explorer of this module is running an
/// execution on this thread (not stopped, no panic unwinding).
fn live<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    if std::thread::panicking() {
        return None;
    }
    with(|r| (!r.stopped).then(|| f(r))).flatten()
}

// --- the explorer side -----------------------------------------------------

pub(crate) fn activate(settings: Settings) {
    REC.with(|r| *r.borrow_mut() = Some(Recorder::new(settings)));
}

pub(crate) fn deactivate() {
    REC.with(|r| *r.borrow_mut() = None);
}

/// Forget the previous execution.
pub(crate) fn reset_execution() {
    with(|r| *r = Recorder::new(r.settings));
}

/// The task the scheduler must run again without a decision (the second
/// scheduling point of a store-buffer flush, see [`flush_one`]).
pub(crate) fn fused() -> Option<Tid> {
    with(|r| r.fused).flatten()
}

/// What the step that just ran actually did. If it wrote something (a
/// failed compare-exchange does not), the tasks spinning in `yield_now` may
/// see it: they are enabled again.
pub(crate) fn take_actual() -> Option<Event> {
    with(|r| {
        let ev = r.actual.take()?;
        if ev.accesses.iter().any(|a| !a.kind.read_like()) {
            let t = r.current;
            r.yielded.retain(|&u| u == t);
        }
        Some(ev)
    })
    .flatten()
}

/// The runnable tasks with their pending steps.
pub(crate) fn candidates(runnable: &[Tid]) -> Vec<Candidate> {
    with(|r| {
        runnable
            .iter()
            .map(|&t| Candidate {
                tid: t,
                pending: r
                    .tasks
                    .get(t)
                    .and_then(|tr| tr.pending.front().cloned())
                    .unwrap_or_default(),
                enabled: r.enabled(t) && !r.yielded.contains(&t),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The step index at which task `t` was spawned.
pub(crate) fn spawned_at(t: Tid) -> Option<usize> {
    with(|r| r.spawned_at.get(&t).copied()).flatten()
}

/// The scheduler runs `t`: consume its pending step (unless it can only
/// block) and track mutex ownership.
pub(crate) fn on_decision(t: Tid) {
    with(|r| {
        r.current = t;
        r.steps += 1;
        if !r.settings.track {
            return;
        }
        let enabled = r.enabled(t);
        let ev = if enabled {
            r.task(t).pending.pop_front().unwrap_or_default()
        } else {
            Event::default()
        };
        for a in &ev.accesses {
            match a.kind {
                Kind::Acquire => {
                    r.held.insert(a.obj, t);
                }
                Kind::Release => {
                    r.held.remove(&a.obj);
                }
                _ => {}
            }
        }
        r.actual = Some(ev);
    });
}

/// The execution is over for the explorer (sleep-blocked or timed out):
/// what tasks do while shuttle tears them down is not recorded.
pub(crate) fn stop() {
    with(|r| r.stopped = true);
}

/// The number of values of the data choice being asked (2 if the facade
/// did not say).
pub(crate) fn take_arity() -> usize {
    with(|r| r.arity.take()).flatten().unwrap_or(2)
}

// --- the facade side -------------------------------------------------------

/// Values an atomic can hold, as the 64 bits a store buffer keeps.
pub(crate) trait Bits: Copy {
    fn to_bits(self) -> u64;
    fn from_bits(b: u64) -> Self;
}

impl Bits for usize {
    fn to_bits(self) -> u64 {
        self as u64
    }
    fn from_bits(b: u64) -> Self {
        b as usize
    }
}

impl Bits for u32 {
    fn to_bits(self) -> u64 {
        u64::from(self)
    }
    fn from_bits(b: u64) -> Self {
        b as u32
    }
}

impl Bits for bool {
    fn to_bits(self) -> u64 {
        u64::from(self)
    }
    fn from_bits(b: u64) -> Self {
        b != 0
    }
}

impl<T> Bits for *mut T {
    fn to_bits(self) -> u64 {
        self as usize as u64
    }
    fn from_bits(b: u64) -> Self {
        b as usize as *mut T
    }
}

/// A data choice among `arity` values, explored exhaustively.
fn choose(arity: usize) -> usize {
    with(|r| r.arity = Some(arity));
    (ExecutionState::next_u64() as usize) % arity.max(1)
}

fn tso() -> bool {
    live(|r| r.settings.model == MemoryModel::Tso).unwrap_or(false)
}

/// Flush the oldest entry of the running task's buffer, as its own step,
/// and then any plain-store unlocks that reach the front of the buffer
/// (see [`unlock`] for why they need no choice of their own).
fn flush_one() {
    let front = live(|r| {
        r.cur()
            .buffer
            .front()
            .map(|e| matches!(e.what, Pending::Unlock { .. }))
    })
    .flatten();
    match front {
        Some(false) => flush_store(),
        Some(true) => flush_unlock(),
        None => return,
    }
    flush_front_unlocks();
}

/// Flush the plain-store unlocks at the front of the running task's
/// buffer.
fn flush_front_unlocks() {
    while live(|r| {
        r.cur()
            .buffer
            .front()
            .is_some_and(|e| matches!(e.what, Pending::Unlock { .. }))
    })
    .unwrap_or(false)
    {
        flush_unlock();
    }
}

/// Flush the oldest entry, an atomic store: a scheduling point (declared
/// as a write of the location), then the store into shuttle's atomic.
/// Shuttle's store has a scheduling point of its own; the scheduler runs
/// the same task there without a decision (`fused`), so the step is one. A
/// store to an atomic dropped meanwhile (see [`forget_atomic`]) is not
/// written.
fn flush_store() {
    let Some(addr) = live(|r| {
        let addr = r.cur().buffer.front()?.store_addr()?;
        let obj = r.obj(addr, Class::Atomic);
        r.declare(Event::one(obj, Kind::Write));
        Some(addr)
    })
    .flatten() else {
        return;
    };
    shuttle_engine::runtime::thread::switch();
    let entry = live(|r| {
        let t = r.current;
        let tr = r.task(t);
        if tr.buffer.front().and_then(Buffered::store_addr) == Some(addr) {
            let e = tr.buffer.pop_front();
            r.fused = Some(t);
            e
        } else {
            None
        }
    })
    .flatten();
    if let Some(Buffered {
        what: Pending::Store { addr, bits, writer },
        msg,
    }) = entry
    {
        // SAFETY: `writer` was made for the type of the atomic at `addr`
        // (the facade's `write_bits`), and the atomic is alive: dropping a
        // facade atomic removes its stores from every buffer
        // (`forget_atomic`), and this entry was still at the front of the
        // buffer after the scheduling point, with no other task run since.
        unsafe { writer(addr, bits) };
        live(|r| {
            r.fused = None;
            r.locs.insert(addr, msg);
        });
        // The flush is an event of the trace of its own, where it happened.
        super::record_flush(addr);
    }
}

/// Flush the oldest entry, a plain-store mutex release: declared as the
/// release of the mutex, whose scheduling point is the backend's own (in
/// its guard's drop); the mutex's clock is published after it.
fn flush_unlock() {
    let entry = live(|r| {
        let e = r.cur().buffer.pop_front()?;
        let Pending::Unlock { mutex, .. } = e.what else {
            unreachable!("flush_one checked the kind")
        };
        let obj = r.obj(mutex, Class::Mutex);
        r.declare(Event::one(obj, Kind::Release));
        Some(e)
    })
    .flatten();
    if let Some(Buffered {
        what: Pending::Unlock { mutex, release },
        msg,
    }) = entry
    {
        ManuallyDrop::into_inner(release)();
        live(|r| r.mutexes.insert(mutex, msg));
    }
}

/// Under tso: flush the whole buffer (before a locked instruction: a
/// read-modify-write, a SeqCst store, a lock acquisition, a locked-release
/// unlock, `fence(SeqCst)`; and before spawn, join, thread exit, the
/// condition-variable operations, a yield, `Arc` clone/drop and
/// `Arc::new`).
pub(crate) fn drain() {
    while live(|r| !r.cur().buffer.is_empty()).unwrap_or(false) {
        flush_one();
    }
}

/// Under tso, before a load: flush any number of the oldest stores, each
/// a data choice (0: keep them buffered, 1: flush one more).
fn flush_choices() {
    while live(|r| !r.cur().buffer.is_empty()).unwrap_or(false) {
        if choose(2) == 0 {
            break;
        }
        flush_one();
    }
}

/// An atomic load of the facade atomic at `addr`; `f` reads shuttle's.
/// The value, and true if it was forwarded from the task's own store
/// buffer (tso) instead of read from memory.
pub(crate) fn load<V: Bits>(addr: usize, ord: Ordering, f: impl FnOnce() -> V) -> (V, bool) {
    if tso() {
        flush_choices();
        let fwd = live(|r| {
            r.cur().buffer.iter().rev().find_map(|e| match e.what {
                Pending::Store { addr: a, bits, .. } if a == addr => Some(bits),
                _ => None,
            })
        })
        .flatten();
        if let Some(bits) = fwd {
            // Store forwarding: the task reads its own buffered store.
            return (V::from_bits(bits), true);
        }
    }
    live(|r| {
        let obj = r.obj(addr, Class::Atomic);
        r.declare(Event::one(obj, Kind::Read));
    });
    let v = f();
    live(|r| {
        let msg = r.locs.get(&addr).cloned();
        let ord = r.hw(ord);
        r.acquire(msg, ord);
    });
    (v, false)
}

/// An atomic store; `writer` stores bits into the facade atomic at `addr`
/// (for a buffered store's flush), `f` stores now. True if the store went
/// into the task's store buffer (tso) instead of memory.
///
/// Under tso a SeqCst store is a locked instruction: Rust compiles it to
/// `XCHG` on x86-64 (the C++11 mappings of Sewell et al., "x86-TSO",
/// CACM 2010, and of the `cl.cam.ac.uk/~pes20/cpp/cpp0xmappings.html`
/// table: `store seq_cst` is `XCHG`, or `MOV; MFENCE`). It drains the
/// buffer and writes memory directly.
pub(crate) fn store<V: Bits>(
    addr: usize,
    val: V,
    ord: Ordering,
    writer: unsafe fn(usize, u64),
    f: impl FnOnce(),
) -> bool {
    let locked = ord == Ordering::SeqCst;
    if locked && tso() {
        drain();
    }
    let now = live(|r| {
        let hw = r.hw(ord);
        let msg = r.release_clock(hw);
        r.tick();
        if r.settings.model == MemoryModel::Tso && !locked {
            r.cur().buffer.push_back(Buffered {
                what: Pending::Store {
                    addr,
                    bits: val.to_bits(),
                    writer,
                },
                msg,
            });
            None
        } else {
            let obj = r.obj(addr, Class::Atomic);
            r.declare(Event::one(obj, Kind::Write));
            Some(msg)
        }
    });
    match now {
        Some(None) => return true,
        Some(Some(msg)) => {
            f();
            // The store's clock reaches the location with the store, after
            // its scheduling point: a load that runs while this task waits
            // there reads the old value and must not acquire the new clock.
            live(|r| r.locs.insert(addr, msg));
        }
        None => f(),
    }
    false
}

/// A read-modify-write (`wrote` says from its result whether it stored).
pub(crate) fn rmw<R>(
    addr: usize,
    ord: Ordering,
    failure: Ordering,
    f: impl FnOnce() -> R,
    wrote: impl FnOnce(&R) -> bool,
) -> R {
    if tso() {
        drain();
    }
    live(|r| {
        let obj = r.obj(addr, Class::Atomic);
        r.declare(Event::one(obj, Kind::Write));
    });
    let res = f();
    let w = wrote(&res);
    live(|r| {
        let old = r.locs.get(&addr).cloned();
        let (ord, failure) = (r.hw(ord), r.hw(failure));
        if w {
            r.acquire(old.clone(), ord);
            // A read-modify-write continues the release sequence it reads.
            let mut msg = r.release_clock(ord);
            if let Some(o) = old {
                join_into(&mut msg, &o);
            }
            r.tick();
            r.locs.insert(addr, msg);
        } else {
            r.acquire(old, failure);
            if let Some(a) = r.actual.as_mut() {
                for acc in &mut a.accesses {
                    acc.kind = Kind::Read;
                }
            }
        }
    });
    res
}

/// `compare_exchange_weak`: true if this one fails spuriously (a data
/// choice, when the run asks for spurious failures). Never under tso: the
/// x86 compilation of a weak compare-exchange is `lock cmpxchg`, which
/// fails only when the value differs (and, failed or not, is a locked
/// instruction: [`rmw`] drains the buffer before it).
pub(crate) fn spurious_cas_failure() -> bool {
    let on =
        live(|r| r.settings.spurious_cas && r.settings.model != MemoryModel::Tso).unwrap_or(false);
    on && spurious()
}

/// A spurious failure or wakeup, as a data choice: at most one per task
/// per execution, a bound. A retry loop (`while (cond) cv_wait(...)`, a
/// weak compare-exchange loop) offered one at every turn makes executions
/// endless; offered one again after each write of another task, two
/// waiters re-enable each other (measured on refcount `two_inspectors`:
/// past 265,938 executions in 60 s, against 17,806 with this bound and 968
/// with no spurious wakeups). One per task runs every re-check path after
/// a spurious return, at every point of the execution; a bug that needs two
/// spurious returns in one thread is not explored.
fn spurious() -> bool {
    let spent = live(|r| r.spurious_spent.contains(&r.current)).unwrap_or(true);
    if spent || choose(2) == 0 {
        return false;
    }
    live(|r| {
        let t = r.current;
        r.spurious_spent.push(t);
    });
    true
}

/// A fence.
pub(crate) fn fence(ord: Ordering) {
    if ord == Ordering::SeqCst && tso() {
        drain();
    }
    live(|r| {
        let tr = r.cur();
        if matches!(ord, Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst) {
            let acq = tr.acq.clone();
            join_into(&mut tr.clock, &acq);
        }
        if matches!(ord, Ordering::Release | Ordering::AcqRel | Ordering::SeqCst) {
            tr.rel = tr.clock.clone();
            r.tick();
        }
    });
}

/// Before `Mutex::lock`.
pub(crate) fn lock_before(m: usize) {
    if tso() {
        drain();
    }
    live(|r| {
        let obj = r.obj(m, Class::Mutex);
        r.declare(Event::one(obj, Kind::Acquire));
    });
}

/// After `Mutex::lock` (or a `try_lock` that succeeded) returned.
pub(crate) fn locked(m: usize) {
    live(|r| {
        let msg = r.mutexes.get(&m).cloned();
        r.acquire(msg, Ordering::Acquire);
    });
}

/// Before `Mutex::try_lock`.
pub(crate) fn try_lock_before(m: usize) {
    if tso() {
        drain();
    }
    live(|r| {
        let obj = r.obj(m, Class::Mutex);
        // Declared as an acquisition for dependence (the most dependent
        // outcome), but never a blocked lock: it is always enabled.
        r.declare(Event::one(obj, Kind::TryLock));
    });
}

/// After `Mutex::try_lock` returned.
pub(crate) fn try_lock_after(m: usize, ok: bool) {
    live(|r| {
        let obj = r.obj(m, Class::Mutex);
        if let Some(a) = r.actual.as_mut() {
            for acc in &mut a.accesses {
                acc.kind = if ok { Kind::Acquire } else { Kind::TryFail };
            }
        }
        if ok {
            r.held.insert(obj, r.current);
        }
    });
    if ok {
        locked(m);
    }
}

/// A mutex `m` is released; `release` drops the backend's guard (its
/// scheduling point is the step). `locked`: the kernel's unlock is a
/// locked instruction on x86 (see [`super::Unlock`]).
///
/// Under tso a plain-store unlock (`locked` false) is a store like any
/// other: it enters the task's store buffer, behind the stores before it,
/// and the mutex is released when it flushes (`release` runs then, and the
/// mutex's race-detector clock is published then). Until then the mutex
/// stays held, so a lock of it by another task waits for the flush, and
/// FIFO order makes every store of the critical section visible first. A
/// later acquisition by the same task drains the buffer first (`lock
/// cmpxchg`). A locked-release unlock drains the buffer, then releases.
///
/// An unlock flushes as soon as it is the oldest entry (at once if the
/// buffer is empty, else right after the flush of the store before it),
/// with no data choice of its own: that loses no execution. Its flush is
/// dependent only with acquisitions of the mutex, and none can happen
/// while it is buffered (the mutex is held), so moving the flush back to
/// the moment it reached the front commutes it with independent steps
/// only: the same Mazurkiewicz trace. (A choice per load, as a store gets,
/// multiplied tidhash `two_growths` past 72,000 executions in 120 s
/// against 620 before plain-store unlocks existed.)
pub(crate) fn unlock<'a>(m: usize, locked: bool, release: Box<dyn FnOnce() + 'a>) {
    let behind_stores = live(|r| !r.cur().buffer.is_empty()).unwrap_or(false);
    if tso() && !locked && behind_stores {
        // SAFETY: only the lifetime is changed. The closure owns a guard of
        // the backend mutex at `m`, which the facade keeps boxed (its
        // address does not change when the facade mutex moves) until the
        // facade mutex is dropped. The entry is either run at its flush
        // by this task, while the box is alive; or removed, neither run
        // nor dropped, when the facade mutex is dropped ([`forget_mutex`],
        // called by its `Drop` before the box is freed); or leaked with
        // the recorder when the execution is abandoned (`ManuallyDrop`).
        let release: Box<dyn FnOnce() + 'static> = unsafe { std::mem::transmute(release) };
        with(|r| {
            let msg = r.cur().clock.clone();
            r.tick();
            r.cur().buffer.push_back(Buffered {
                what: Pending::Unlock {
                    mutex: m,
                    release: ManuallyDrop::new(release),
                },
                msg,
            });
        });
        return;
    }
    // A locked release drains; a plain one with nothing buffered before it
    // flushes at once (there is nothing to drain).
    if locked && tso() {
        drain();
    }
    live(|r| {
        let obj = r.obj(m, Class::Mutex);
        r.declare(Event::one(obj, Kind::Release));
        let c = r.cur().clock.clone();
        r.mutexes.insert(m, c);
        r.tick();
    });
    release();
}

/// `Condvar::wait` with mutex `m`: true if this wait returns spuriously (a
/// data choice, when the run asks for spurious wakeups; the caller then
/// unlocks and relocks instead of waiting).
pub(crate) fn spurious_wakeup() -> bool {
    let on = live(|r| r.settings.spurious_wakeups).unwrap_or(false);
    on && spurious()
}

/// Before shuttle's `Condvar::wait`: its three steps (release the mutex
/// and join the wait set; consume a notification; re-acquire the mutex).
pub(crate) fn wait_before(cv: usize, m: usize) {
    if tso() {
        drain();
    }
    live(|r| {
        let mo = r.obj(m, Class::Mutex);
        let co = r.obj(cv, Class::Condvar);
        r.declare(Event {
            accesses: vec![
                Access {
                    obj: mo,
                    kind: Kind::Release,
                },
                Access {
                    obj: co,
                    kind: Kind::CvWait,
                },
            ],
            join: None,
        });
        r.declare(Event::one(co, Kind::CvWoken));
        r.declare(Event::one(mo, Kind::Acquire));
        let c = r.cur().clock.clone();
        r.mutexes.insert(m, c);
        r.tick();
    });
}

/// Before `notify_one` / `notify_all`.
pub(crate) fn notify_before(cv: usize) {
    if tso() {
        drain();
    }
    live(|r| {
        let co = r.obj(cv, Class::Condvar);
        r.declare(Event::one(co, Kind::CvNotify));
    });
}

/// A lock-protected cell access: `switch` is the facade's scheduling
/// point. Two accesses not ordered by happens-before, one of them a write,
/// fail the execution as a data race. A field of an allocation also reads
/// the allocation's `shadow` in the same step (see `super::mem`): one
/// scheduling point, two accesses, each checked for a race (the shadow
/// first, so a race with the free is reported as one).
///
/// Under tso a cell write is a plain x86 store: it does not drain the
/// buffer (earlier buffered stores stay buffered past it), and it is
/// performed, for the race detector and for the task's own later reads
/// (forwarding), where it is issued. Its flush is not modelled because no
/// race-free access can observe where it happens: every x86 happens-before
/// edge out of the writing task after the write goes through a later store
/// reaching memory or a locked instruction of that task (a buffered store
/// read by another task, an unlock, a drain), and FIFO order flushes the
/// cell write before any of them. So an access of another task between the
/// write's issue and its flush is unordered with it, a race wherever the
/// flush is placed, and a race-free access comes after the flush.
#[track_caller]
pub(crate) fn cell_access(
    addr: usize,
    shadow: Option<usize>,
    write: bool,
    site: Site,
    switch: impl FnOnce(),
) {
    live(|r| {
        let obj = r.obj(addr, Class::Cell);
        let kind = if write {
            Kind::CellWrite
        } else {
            Kind::CellRead
        };
        let mut ev = Event::one(obj, kind);
        if let Some(s) = shadow {
            let obj = r.obj(s, Class::Cell);
            ev.accesses.push(Access {
                obj,
                kind: Kind::CellRead,
            });
        }
        r.declare(ev);
    });
    switch();
    let race = live(|r| {
        let shadow_race = shadow.and_then(|s| cell_race(r, s, false, site));
        shadow_race.or_else(|| cell_race(r, addr, write, site))
    })
    .flatten();
    if let Some(msg) = race {
        // The explorer classifies this prefix (loom's) as a data race.
        super::note_failing_thread();
        panic!("Causality violation: {msg}");
    }
}

/// Record the running task's access to the cell at `addr` with the race
/// detector; the race it makes, if any.
fn cell_race(r: &mut Recorder, addr: usize, write: bool, site: Site) -> Option<String> {
    let t = r.current;
    let clock = r.cur().clock.clone();
    let now = clock[t];
    let name = |r: &Recorder, u: Tid| {
        r.tasks
            .get(u)
            .and_then(|tr| tr.name.clone())
            .unwrap_or_else(|| {
                if u == 0 {
                    "main".into()
                } else {
                    format!("task {u}")
                }
            })
    };
    let unordered = |u: Tid, e: u32| u != t && clock.get(u).copied().unwrap_or(0) < e;
    let conflict = {
        let st = r.cells.entry(addr).or_default();
        let mut conflict = None;
        if let Some((u, e, s)) = st.write {
            if unordered(u, e) {
                conflict = Some(("write", u, s));
            }
        }
        if write && conflict.is_none() {
            if let Some(&(u, _, s)) = st.reads.iter().find(|(u, e, _)| unordered(*u, *e)) {
                conflict = Some(("read", u, s));
            }
        }
        if write {
            st.write = Some((t, now, site));
            st.reads.clear();
        } else {
            st.reads.retain(|(u, _, _)| *u != t);
            st.reads.push((t, now, site));
        }
        conflict
    };
    conflict.map(|(what, u, s)| {
        format!(
            "{} of a lock-protected cell by {} at {} is not ordered with the {} by {} at {}",
            if write { "write" } else { "read" },
            name(r, t),
            site,
            what,
            name(r, u),
            s
        )
    })
}

/// Before spawning a thread.
pub(crate) fn spawn_before() {
    if tso() {
        drain();
    }
    live(|r| r.declare(Event::default()));
}

/// After a thread `child` was spawned (named `name`).
pub(crate) fn spawn_after(child: Tid, name: Option<&str>) {
    live(|r| {
        let at = r.steps.saturating_sub(1);
        r.spawned_at.insert(child, at);
        let c = r.cur().clock.clone();
        r.tick();
        let ch = r.task(child);
        join_into(&mut ch.clock, &c);
        ch.name = name.map(str::to_owned);
    });
}

/// A value moves into a new facade `Arc` (a model's setup handing its
/// structures to the threads it will spawn): under tso, drain the running
/// task's buffer first, as a buffered store names its atomic by address
/// and cannot follow it to its new place. Not an x86 barrier but harmless
/// where it runs: every `Arc::new` of the models is in setup code, before
/// the threads are spawned (and spawn drains the buffer anyway).
pub(crate) fn before_move() {
    if tso() {
        drain();
    }
}

/// A locked instruction the explorer does not otherwise see (the count of
/// an `Arc`): under tso, drain the buffer.
pub(crate) fn locked_instruction() {
    if tso() {
        drain();
    }
}

/// `yield_now` (a spin loop's pause): under DPOR the task is disabled until
/// another task writes something (a store reaching memory, a
/// read-modify-write, a lock operation, a cell write, a notify). Another
/// turn of the loop before that would read the same values again, so no
/// execution is lost, and spin loops do not make executions endless.
///
/// Under tso the task's buffer drains first: a spinning thread's stores
/// reach memory eventually, and the thread it waits for may be waiting for
/// them (a plain-store unlock still buffered, a flag). Without it the first
/// data choice (keep buffered) repeats at every turn and the spin never
/// ends. No behaviour is lost: the flushes could be placed anywhere before
/// the yield, and a turn after it that saw no new write repeats the last.
pub(crate) fn yield_now() {
    if tso() {
        drain();
    }
    live(|r| {
        if r.settings.track {
            let t = r.current;
            if !r.yielded.contains(&t) {
                r.yielded.push(t);
            }
        }
    });
}

/// At the end of a thread's closure: under tso, drain its buffer.
pub(crate) fn thread_exit() {
    if tso() {
        drain();
    }
}

/// Before joining `child`.
pub(crate) fn join_before(child: Tid) {
    if tso() {
        drain();
    }
    live(|r| {
        r.declare(Event {
            accesses: Vec::new(),
            join: Some(child),
        })
    });
}

/// After `child` was joined.
pub(crate) fn join_after(child: Tid) {
    live(|r| {
        let c = r.task(child).clock.clone();
        join_into(&mut r.cur().clock, &c);
    });
}

/// A facade atomic at `addr` is dropped: its buffered stores go with it.
pub(crate) fn forget_atomic(addr: usize) {
    let had = with(|r| {
        let mut had = false;
        for tr in &mut r.tasks {
            let n = tr.buffer.len();
            tr.buffer.retain(|e| e.store_addr() != Some(addr));
            had |= tr.buffer.len() != n;
        }
        r.locs.remove(&addr);
        had
    });
    if had == Some(true) {
        super::trace::with_state(|st| st.forget_buffered(addr));
    }
}

/// A facade cell at `addr` is dropped: a new one at the same address has
/// no access history.
pub(crate) fn forget_cell(addr: usize) {
    with(|r| {
        r.cells.remove(&addr);
    });
}

/// A facade mutex at `addr` is dropped: a plain-store release of it still
/// buffered is removed and never run (nothing can lock the mutex again;
/// its guard is leaked, see [`Pending::Unlock`]).
pub(crate) fn forget_mutex(addr: usize) {
    with(|r| {
        r.mutexes.remove(&addr);
        for tr in &mut r.tasks {
            tr.buffer
                .retain(|e| !matches!(e.what, Pending::Unlock { mutex, .. } if mutex == addr));
        }
    });
}
