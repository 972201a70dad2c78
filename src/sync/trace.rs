//! The trace: every atomic operation, fence, lock operation and
//! lock-protected cell access of the current execution, in the order the
//! explorer ran them.
//!
//! The recorder lives in a thread-local: loom and shuttle run every simulated
//! thread as a coroutine on the OS thread that started the check, so one
//! recorder sees the whole execution, and checks running in parallel on other
//! OS threads do not mix. Recording is on only while the check runner has a
//! check active (see [`crate::explore`]); under std it is compiled out.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use super::ordering::{Access, Plan, Profile};
use super::Site;

/// What an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// An atomic load.
    Load,
    /// An atomic store.
    Store,
    /// Under x86-TSO (the DPOR explorer's `tso`): an atomic store entering
    /// the thread's store buffer. Other threads cannot read it until its
    /// [`Op::Flush`]; [`Event::wrote`] is the value it will write then.
    Buffered,
    /// Under x86-TSO: the oldest store of the thread's buffer reaches
    /// memory, where other threads can read it, as an event of its own at
    /// the point it happened. Site, object, orderings and value are the
    /// buffered store's; the detail names that store's event number.
    Flush,
    /// Under x86-TSO: an atomic load served from the thread's own store
    /// buffer (store forwarding), not from memory.
    Forwarded,
    /// An atomic read-modify-write, named (`swap`, `compare_exchange`, `fetch_add`...).
    Rmw(&'static str),
    /// A fence, by its kernel name when it has one (`membar_producer`...).
    Fence(&'static str),
    /// A mutex acquired.
    Lock,
    /// A `try_lock`: acquired or not.
    TryLock(bool),
    /// A mutex released.
    Unlock,
    /// A condition variable wait begins (the mutex is released).
    Wait,
    /// A condition variable wait returns (the mutex is held again).
    Woken,
    /// `notify_one` / `notify_all`.
    Notify(&'static str),
    /// A read of a lock-protected cell.
    CellRead,
    /// A write of a lock-protected cell.
    CellWrite,
    /// A free of an allocation's memory ([`super::mem::Alloc::free`]):
    /// a write of its memory cell, shown as `free`.
    Free,
    /// A thread was spawned.
    Spawn,
    /// A thread was joined.
    Join,
    /// A note from the model itself (e.g. "retry: table changed").
    Note,
}

impl Op {
    /// The operation's name as traces show it (`load`, `fetch_add`,
    /// `membar_producer`, `try_lock ok`...).
    pub fn name(&self) -> String {
        match self {
            Op::Load => "load".into(),
            Op::Store => "store".into(),
            Op::Buffered => "buffered store".into(),
            Op::Flush => "flush".into(),
            Op::Forwarded => "forwarded load".into(),
            Op::Rmw(n) | Op::Fence(n) | Op::Notify(n) => (*n).into(),
            Op::Lock => "lock".into(),
            Op::TryLock(true) => "try_lock ok".into(),
            Op::TryLock(false) => "try_lock busy".into(),
            Op::Unlock => "unlock".into(),
            Op::Wait => "wait".into(),
            Op::Woken => "woken".into(),
            Op::CellRead => "read".into(),
            Op::CellWrite => "write".into(),
            Op::Free => "free".into(),
            Op::Spawn => "spawn".into(),
            Op::Join => "join".into(),
            Op::Note => "note".into(),
        }
    }
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The thread's lane: 0 is the thread that started the execution, then
    /// threads in the order they first appear.
    pub lane: usize,
    /// Where in the source the operation was written (`None` for a guard
    /// released by going out of scope).
    pub site: Option<Site>,
    /// The operation.
    pub op: Op,
    /// The object operated on (its label, e.g. `p_tidhash` or `obj#3`).
    pub object: String,
    /// The object's location: its address, numbered 1, 2, ... in order of
    /// first use in the execution (0 when there is none: fences, notes,
    /// spawns, joins). Two events on the same address have the same
    /// location even when the object is unlabelled; unlike the raw address
    /// it is the same each time the execution is replayed, so traces stay
    /// deterministic. Memory freed and reused within one execution keeps
    /// its number.
    pub addr: usize,
    /// The ordering as written in the model (atomics and fences).
    pub written: Option<Ordering>,
    /// The ordering the explorer ran after the profile and plan (`None` for
    /// a dropped fence or a non-atomic event).
    pub run: Option<Ordering>,
    /// The value loaded, stored or exchanged, or other detail, as printed.
    pub detail: String,
    /// What an atomic load, or the read half of a read-modify-write
    /// (including a failed compare-exchange), returned.
    pub read: Option<Value>,
    /// What an atomic store, or a read-modify-write that wrote, stored.
    pub wrote: Option<Value>,
}

/// A value an atomic operation read or wrote, raw and as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The bits: integers as themselves, `bool` as 0 or 1, pointers by
    /// address, as the location number of the address pointed to (see
    /// [`Event::addr`]; 0 for null). Two values of one object are the same
    /// value when their `raw` are equal.
    pub raw: u64,
    /// How the trace shows it (`42`, `true`, `null`, or the label of the
    /// object a pointer points to).
    pub shown: String,
}

/// What a recorder call site reports about the operation's values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Detail {
    /// The operation, when the backend decided it as it ran (a store the
    /// DPOR explorer's `tso` buffered, a load it forwarded); `None`: the
    /// one the call site named.
    pub(crate) op: Option<Op>,
    pub(crate) text: String,
    pub(crate) read: Option<Value>,
    pub(crate) wrote: Option<Value>,
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Detail {
            text,
            ..Detail::default()
        }
    }
}

/// Everything known about one site over the whole check (all executions):
/// the site registry the ordering audit starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteInfo {
    /// The site.
    pub site: Site,
    /// The kind of access.
    pub access: Access,
    /// The operation's name (`load`, `fetch_add`, `membar_producer`...).
    pub op: String,
    /// The ordering written there.
    pub written: Ordering,
}

/// The number of values loom 0.7.3 keeps per atomic object, the initial
/// value included (`MAX_ATOMIC_HISTORY`, `rt/mod.rs`). A load can read
/// only those: once an object has received this many stores in one
/// execution, its oldest values are gone. The `history-6`, `history-7` and
/// `history-8` canaries (`checks/loom_holes.rs`) pin it.
pub const LOOM_HISTORY: usize = 7;

/// An atomic object that received more stores in one execution than loom's
/// history holds ([`LOOM_HISTORY`] values, the initial one included), so
/// in that execution loom never let a load read its oldest values: a pass
/// of the check is weaker than it looks for that object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HistoryNote {
    /// The object, by its label (`p_tidhash`) or `obj#N` (numbered by first
    /// use in its execution, so an unnamed object can appear twice).
    pub object: String,
    /// The store that first pushed a value out of loom's history (the
    /// object's `LOOM_HISTORY`-th store of the execution).
    pub site: Site,
    /// The most stores the object received in one execution.
    pub max_stores: usize,
}

impl std::fmt::Display for HistoryNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} received up to {} stores in one execution (loom keeps {} values; first lost at the store at {})",
            self.object, self.max_stores, LOOM_HISTORY, self.site
        )
    }
}

/// The events of one execution, ready to print.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// Thread names by lane.
    pub threads: Vec<String>,
    /// The recorded events (at most the cap; the earliest are dropped first).
    pub events: Vec<Event>,
    /// How many earlier events were dropped to respect the cap.
    pub dropped: usize,
    /// The index of the first event after the dropped ones (for numbering).
    pub first_index: usize,
    /// The lane of the thread that raised the failure through
    /// [`prop!`](crate::prop) or [`violation`](crate::explore::violation),
    /// when known (not for failures the explorer raises itself: data races,
    /// deadlocks, leaks, plain panics).
    pub failing_lane: Option<usize>,
}

/// Default cap on recorded events per execution.
pub const DEFAULT_CAP: usize = 400;

pub(crate) struct State {
    pub(crate) profile: Profile,
    pub(crate) plan: Plan,
    cap: usize,
    events: Vec<Event>,
    total: usize,
    threads: Vec<(String, String)>,
    labels: HashMap<usize, String>,
    locations: HashMap<usize, usize>,
    anon: usize,
    sites: BTreeMap<Site, SiteInfo>,
    failing_lane: Option<usize>,
    /// Stores per object address in this execution, and, once past loom's
    /// history, the object's note key.
    stores: HashMap<usize, (usize, Option<(String, Site)>)>,
    /// Over all executions: the most stores each object past loom's
    /// history received in one execution.
    history: BTreeMap<(String, Site), usize>,
    /// Under the DPOR explorer's `tso`: the recorded [`Op::Buffered`]
    /// events not yet flushed, oldest first, with their thread's lane,
    /// the object's address and the event's number (see
    /// [`State::flushed`]).
    buffered: Vec<(usize, usize, usize, Event)>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Start recording for a check on this OS thread.
pub(crate) fn activate(profile: Profile, plan: Plan, cap: usize) {
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            profile,
            plan,
            cap: cap.max(1),
            events: Vec::new(),
            total: 0,
            threads: Vec::new(),
            labels: HashMap::new(),
            locations: HashMap::new(),
            anon: 0,
            sites: BTreeMap::new(),
            failing_lane: None,
            stores: HashMap::new(),
            history: BTreeMap::new(),
            buffered: Vec::new(),
        })
    });
}

/// What a check recorded, taken when it stops.
pub(crate) struct Recorded {
    /// The last execution's events.
    pub(crate) trace: Trace,
    /// Every atomic site touched.
    pub(crate) sites: Vec<SiteInfo>,
    /// Objects stored past loom's history in some execution.
    pub(crate) history: Vec<HistoryNote>,
}

/// Stop recording; return the last execution's trace, the site registry and
/// the bounded-history notes.
pub(crate) fn deactivate() -> Recorded {
    STATE.with(|s| match s.borrow_mut().take() {
        Some(st) => Recorded {
            trace: snapshot(&st),
            sites: st.sites.into_values().collect(),
            history: st
                .history
                .into_iter()
                .map(|((object, site), max_stores)| HistoryNote {
                    object,
                    site,
                    max_stores,
                })
                .collect(),
        },
        None => Recorded {
            trace: Trace::default(),
            sites: Vec::new(),
            history: Vec::new(),
        },
    })
}

fn snapshot(st: &State) -> Trace {
    let dropped = st.total - st.events.len();
    Trace {
        threads: st.threads.iter().map(|(_, n)| n.clone()).collect(),
        events: st.events.clone(),
        dropped,
        first_index: dropped,
        failing_lane: st.failing_lane,
    }
}

/// Forget the previous execution and give the thread that starts this one
/// (`key`) lane 0, named `main`: called at the start of each execution.
pub(crate) fn begin_execution(key: String) {
    with_state(|st| {
        st.events.clear();
        st.total = 0;
        st.threads.clear();
        st.labels.clear();
        st.locations.clear();
        st.anon = 0;
        st.failing_lane = None;
        st.stores.clear();
        st.buffered.clear();
        st.threads.push((key, "main".to_string()));
    });
}

/// Run `f` on the recorder if a check is active on this OS thread.
pub(crate) fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.with(|s| s.try_borrow_mut().ok()?.as_mut().map(f))
}

/// The active profile and plan (Arm and no plan when no check is active).
pub(crate) fn profile_and_plan<R>(f: impl FnOnce(Profile, &Plan) -> R) -> R {
    STATE.with(|s| match s.try_borrow().ok().as_deref() {
        Some(Some(st)) => f(st.profile, &st.plan),
        _ => f(Profile::Arm, &Plan::new()),
    })
}

/// True if a check is recording on this OS thread and no panic is unwinding
/// (recording while unwinding could re-enter the explorer's runtime).
pub(crate) fn recording() -> bool {
    !std::thread::panicking() && STATE.with(|s| matches!(s.try_borrow().as_deref(), Ok(Some(_))))
}

impl State {
    pub(crate) fn lane(&mut self, key: String, name: Option<&str>) -> usize {
        if let Some(i) = self.threads.iter().position(|(k, _)| *k == key) {
            return i;
        }
        let i = self.threads.len();
        let name = match name {
            Some(n) => n.to_string(),
            None if i == 0 => "main".to_string(),
            None => format!("thread{i}"),
        };
        self.threads.push((key, name));
        i
    }

    /// The location number of an address (0 for none), see [`Event::addr`].
    pub(crate) fn location(&mut self, addr: usize) -> usize {
        if addr == 0 {
            return 0;
        }
        let next = self.locations.len() + 1;
        *self.locations.entry(addr).or_insert(next)
    }

    pub(crate) fn label_of(&mut self, addr: usize) -> String {
        if addr == 0 {
            return String::new();
        }
        if let Some(l) = self.labels.get(&addr) {
            return l.clone();
        }
        self.anon += 1;
        let l = format!("obj#{}", self.anon);
        self.labels.insert(addr, l.clone());
        l
    }

    /// The name of a lane.
    pub(crate) fn lane_name(&self, lane: usize) -> &str {
        self.threads
            .get(lane)
            .map(|(_, n)| n.as_str())
            .unwrap_or("?")
    }

    /// How a pointer value is shown: `null` or its object's label.
    pub(crate) fn ptr_label(&mut self, addr: usize) -> String {
        if addr == 0 {
            "null".into()
        } else {
            self.label_of(addr)
        }
    }

    pub(crate) fn set_label(&mut self, addr: usize, label: String) {
        self.labels.insert(addr, label);
    }

    pub(crate) fn note_site(&mut self, site: Site, access: Access, op: &str, written: Ordering) {
        self.sites.entry(site).or_insert_with(|| SiteInfo {
            site,
            access,
            op: op.to_string(),
            written,
        });
    }

    /// True once the runner has started an execution (`begin_execution`):
    /// only then is there an explorer thread to ask who is running.
    pub(crate) fn executing(&self) -> bool {
        !self.threads.is_empty()
    }

    /// Remember that the thread `key` raised the failure (the first one
    /// to do so in this execution).
    pub(crate) fn set_failing(&mut self, key: String, name: Option<&str>) {
        if self.failing_lane.is_none() {
            self.failing_lane = Some(self.lane(key, name));
        }
    }

    /// Count a store (or the write of a read-modify-write) to the object at
    /// `addr`, labelled `object`, made at `site`: past loom's history, the
    /// object gets a [`HistoryNote`].
    pub(crate) fn count_store(&mut self, addr: usize, object: &str, site: Site) {
        let (n, key) = self.stores.entry(addr).or_insert((0, None));
        *n += 1;
        // The initial value is the first of loom's LOOM_HISTORY values.
        if *n + 1 > LOOM_HISTORY {
            let key = key.get_or_insert_with(|| (object.to_string(), site));
            let max = self.history.entry(key.clone()).or_insert(0);
            *max = (*max).max(*n);
        }
    }

    /// Record `ev`; an [`Op::Buffered`] store of the object at `raw` is
    /// remembered until [`State::flushed`].
    pub(crate) fn push_at(&mut self, ev: Event, raw: usize) {
        if ev.op == Op::Buffered {
            self.buffered
                .push((ev.lane, raw, self.total + 1, ev.clone()));
        }
        self.push(ev);
    }

    /// The oldest buffered store of `lane` to the object at `raw` reached
    /// memory: record its [`Op::Flush`] (nothing if the store was not
    /// recorded).
    #[cfg(shuttle)]
    pub(crate) fn flushed(&mut self, lane: usize, raw: usize) {
        let Some(i) = self
            .buffered
            .iter()
            .position(|(l, a, _, _)| *l == lane && *a == raw)
        else {
            return;
        };
        let (_, _, number, ev) = self.buffered.remove(i);
        self.push(Event {
            op: Op::Flush,
            read: None,
            detail: format!("{} (buffered at #{number})", ev.detail),
            ..ev
        });
    }

    /// The atomic at `raw` was dropped: its buffered stores never reach
    /// memory.
    #[cfg(shuttle)]
    pub(crate) fn forget_buffered(&mut self, raw: usize) {
        self.buffered.retain(|(_, a, _, _)| *a != raw);
    }

    pub(crate) fn push(&mut self, ev: Event) {
        self.total += 1;
        if self.events.len() == self.cap {
            self.events.remove(0);
        }
        self.events.push(ev);
    }
}

impl Trace {
    /// The number an event is shown with (1-based, counting dropped events),
    /// from its position in [`Trace::events`].
    pub fn number(&self, index: usize) -> usize {
        self.first_index + index + 1
    }

    /// The name of a lane (`?` if unknown).
    pub fn thread_name(&self, lane: usize) -> &str {
        self.threads.get(lane).map(String::as_str).unwrap_or("?")
    }
}
