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
    fn name(&self) -> String {
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
    /// The ordering as written in the model (atomics and fences).
    pub written: Option<Ordering>,
    /// The ordering the explorer ran after the profile and plan (`None` for
    /// a dropped fence or a non-atomic event).
    pub run: Option<Ordering>,
    /// The value loaded, stored or exchanged, or other detail.
    pub detail: String,
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
    anon: usize,
    sites: BTreeMap<Site, SiteInfo>,
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
            anon: 0,
            sites: BTreeMap::new(),
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
        st.anon = 0;
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

    pub(crate) fn push(&mut self, ev: Event) {
        self.total += 1;
        if self.events.len() == self.cap {
            self.events.remove(0);
        }
        self.events.push(ev);
    }
}

impl Trace {
    /// Render as a counterexample: one line per event, the thread clearly
    /// marked and indented into its own lane, then `failure` at the end.
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
        for (i, ev) in self.events.iter().enumerate() {
            let name = self.threads.get(ev.lane).map(String::as_str).unwrap_or("?");
            let indent = "  ".repeat(ev.lane.min(lanes));
            let _ = writeln!(
                out,
                "{:>4} {:<width$} |{}{}",
                self.first_index + i + 1,
                name,
                indent,
                ev
            );
        }
        if let Some(f) = failure {
            let _ = writeln!(out, "FAILED: {f}");
        }
        out
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.op.name())?;
        if !self.object.is_empty() {
            write!(f, " {}", self.object)?;
        }
        if !self.detail.is_empty() {
            write!(f, " {}", self.detail)?;
        }
        match (self.written, self.run) {
            (Some(w), Some(r)) if w == r => write!(f, "  [{}]", short(w))?,
            (Some(w), Some(r)) => write!(f, "  [{} as {}]", short(w), short(r))?,
            (Some(w), None) => write!(f, "  [{} dropped]", short(w))?,
            _ => {}
        }
        match self.site {
            Some(s) => write!(f, "  @ {s}"),
            None => write!(f, "  @ (guard dropped)"),
        }
    }
}
