//! The trace: every atomic operation, fence, lock operation and
//! lock-protected cell access of the current execution, in the order the
//! explorer ran them.
//!
//! The recorder lives in a thread-local: loom and shuttle run every simulated
//! thread as a coroutine on the OS thread that started the check, so one
//! recorder sees the whole execution, and checks running in parallel on other
//! OS threads do not mix. Recording is on only while the check runner has a
//! check active (see [`crate::check`]); under std it is compiled out.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::atomic::Ordering;

use super::ordering::{short, Access, Plan, Profile};
use super::Site;

/// What an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// An atomic load.
    Load,
    /// An atomic store.
    Store,
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
            Op::Rmw(n) | Op::Fence(n) | Op::Notify(n) => (*n).into(),
            Op::Lock => "lock".into(),
            Op::TryLock(true) => "try_lock ok".into(),
            Op::TryLock(false) => "try_lock busy".into(),
            Op::Unlock => "unlock".into(),
            Op::Wait => "wait".into(),
            Op::Woken => "woken".into(),
            Op::CellRead => "read".into(),
            Op::CellWrite => "write".into(),
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
    /// [`prop!`](crate::prop) or [`violation`](crate::check::violation),
    /// when known (not for failures the explorer raises itself: data races,
    /// deadlocks, leaks, plain panics).
    pub failing_lane: Option<usize>,
}

/// Which store a load read, **as far as the trace can tell**: inferred by
/// value from the events in trace (execution) order, see
/// [`Trace::read_from`]. Indices are positions in [`Trace::events`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// The most recent earlier write to the same address, in trace order,
    /// wrote the value read.
    Latest {
        /// That write.
        store: usize,
    },
    /// The value read was written by an older store than the most recent
    /// one in trace order (the most recent earlier store of that value is
    /// named; an older one of the same value cannot be told apart).
    Stale {
        /// The most recent earlier write of the value read.
        store: usize,
        /// The most recent earlier write to the address (another value).
        latest: usize,
    },
    /// No write of the value read is in the trace and no event was dropped:
    /// the value the object was created with.
    Initial {
        /// The most recent earlier write to the address, if any (then the
        /// load is stale: it read the initial value after that write).
        latest: Option<usize>,
    },
    /// No kept write of the value read, and earlier events were dropped by
    /// the trace cap: it may have been written by one of them.
    Unknown {
        /// The most recent earlier kept write to the address, if any.
        latest: Option<usize>,
    },
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
        })
    });
}

/// Stop recording; return the last execution's trace and the site registry.
pub(crate) fn deactivate() -> (Trace, Vec<SiteInfo>) {
    STATE.with(|s| match s.borrow_mut().take() {
        Some(st) => (snapshot(&st), st.sites.into_values().collect()),
        None => (Trace::default(), Vec::new()),
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

    /// For each event (same positions as [`Trace::events`]), which store it
    /// read, for atomic loads and the read half of read-modify-writes
    /// (`None` for every other event, and for objects with no address).
    ///
    /// **Inferred by value, in trace order.** The trace order is the order
    /// the explorer ran the operations, not the location's modification
    /// order as the memory model sees it: loom keeps a history of the last
    /// stores of each atomic and lets a load read an older one, and it does
    /// not say which through its public API. So: if the most recent earlier
    /// write to the same address wrote the value read, the load is
    /// [`ReadFrom::Latest`]; otherwise it read an older store, and the most
    /// recent earlier store *of that value* is named ([`ReadFrom::Stale`]);
    /// with no such store it read the initial value ([`ReadFrom::Initial`]),
    /// or, when the trace cap dropped earlier events, nothing can be said
    /// ([`ReadFrom::Unknown`]). Two stores of the same value cannot be told
    /// apart.
    pub fn read_from(&self) -> Vec<Option<ReadFrom>> {
        self.events
            .iter()
            .enumerate()
            .map(|(i, ev)| {
                let v = ev.read.as_ref()?.raw;
                if ev.addr == 0 {
                    return None;
                }
                let writes = (0..i)
                    .rev()
                    .filter(|&j| self.events[j].addr == ev.addr)
                    .filter_map(|j| Some((j, self.events[j].wrote.as_ref()?.raw)));
                let mut latest = None;
                for (j, w) in writes {
                    if latest.is_none() {
                        latest = Some(j);
                        if w == v {
                            return Some(ReadFrom::Latest { store: j });
                        }
                    } else if w == v {
                        return Some(ReadFrom::Stale {
                            store: j,
                            latest: latest.unwrap_or(j),
                        });
                    }
                }
                Some(if self.dropped > 0 {
                    ReadFrom::Unknown { latest }
                } else {
                    ReadFrom::Initial { latest }
                })
            })
            .collect()
    }

    /// One line about a [`ReadFrom`]: `latest: reads #4 (writer)`,
    /// `stale: reads #3 (writer); latest in trace order was #5 = 2`,
    /// `initial value (no store in the trace)`, ...
    pub fn describe_read_from(&self, rf: &ReadFrom) -> String {
        let at = |j: usize| {
            format!(
                "#{} ({})",
                self.number(j),
                self.thread_name(self.events[j].lane)
            )
        };
        let latest = |j: usize| {
            format!(
                "latest in trace order was #{} = {}",
                self.number(j),
                self.events[j]
                    .wrote
                    .as_ref()
                    .map(|v| v.shown.as_str())
                    .unwrap_or("?")
            )
        };
        match *rf {
            ReadFrom::Latest { store } => format!("latest: reads {}", at(store)),
            ReadFrom::Stale { store, latest: l } => {
                format!("stale: reads {}; {}", at(store), latest(l))
            }
            ReadFrom::Initial { latest: None } => "initial value (no store in the trace)".into(),
            ReadFrom::Initial { latest: Some(l) } => format!(
                "stale: initial value (no store of it in the trace); {}",
                latest(l)
            ),
            ReadFrom::Unknown { latest: None } => "unknown: earlier events dropped".into(),
            ReadFrom::Unknown { latest: Some(l) } => {
                format!("unknown: earlier events dropped; {}", latest(l))
            }
        }
    }

    /// Render as a counterexample, the flat view: one line per event, the
    /// thread clearly marked and indented into its own lane, then `failure`
    /// at the end. The swimlane view is [`crate::view::swimlane`].
    pub fn render(&self, failure: Option<&str>) -> String {
        let mut out = String::new();
        let lanes = self.threads.len().max(1);
        let _ = writeln!(
            out,
            "threads: {}",
            self.threads
                .iter()
                .enumerate()
                .map(|(i, n)| format!("[{i}] {n}"))
                .collect::<Vec<_>>()
                .join("  ")
        );
        if self.dropped > 0 {
            let _ = writeln!(
                out,
                "  ... {} earlier events not kept (trace cap)",
                self.dropped
            );
        }
        let width = self
            .threads
            .iter()
            .map(|n| n.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let rf = self.read_from();
        for (i, ev) in self.events.iter().enumerate() {
            let name = self.threads.get(ev.lane).map(String::as_str).unwrap_or("?");
            let indent = "  ".repeat(ev.lane.min(lanes));
            let _ = write!(
                out,
                "{:>4} {:<width$} |{}{}",
                self.first_index + i + 1,
                name,
                indent,
                ev
            );
            match &rf[i] {
                Some(r) => {
                    let _ = writeln!(out, "  <- {}", self.describe_read_from(r));
                }
                None => out.push('\n'),
            }
        }
        if let Some(f) = failure {
            let _ = writeln!(out, "FAILED: {f}");
        }
        out
    }
}

impl Event {
    /// What the event did, in words: operation, object, value
    /// (`store flag = 1`, `load p_tidhash -> table#2`, `lock p_lock`).
    pub fn what(&self) -> String {
        let mut s = self.op.name();
        if !self.object.is_empty() {
            s.push(' ');
            s.push_str(&self.object);
        }
        if !self.detail.is_empty() {
            s.push(' ');
            s.push_str(&self.detail);
        }
        s
    }

    /// The ordering as written, and as run when the profile or the plan
    /// changed it: `[Relaxed]`, `[Relaxed as Release]`, `[Release dropped]`
    /// (a fence the profile removed); `None` for non-atomic events.
    pub fn ordering(&self) -> Option<String> {
        match (self.written, self.run) {
            (Some(w), Some(r)) if w == r => Some(format!("[{}]", short(w))),
            (Some(w), Some(r)) => Some(format!("[{} as {}]", short(w), short(r))),
            (Some(w), None) => Some(format!("[{} dropped]", short(w))),
            _ => None,
        }
    }

    /// The site as `file:line`, or `(guard dropped)` for a lock released by
    /// going out of scope.
    pub fn site_text(&self) -> String {
        match self.site {
            Some(s) => s.to_string(),
            None => "(guard dropped)".into(),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what())?;
        if let Some(o) = self.ordering() {
            write!(f, "  {o}")?;
        }
        write!(f, "  @ {}", self.site_text())
    }
}
