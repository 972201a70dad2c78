//! Threads of the active backend. Named threads make traces readable: a
//! counterexample shows `grower` and `reader`, not `thread1` and `thread2`.

use super::imp;
#[cfg(any(loom, shuttle))]
use super::trace::Op;
use super::Site;

/// Handle to join a spawned thread.
pub struct JoinHandle<T> {
    inner: Inner<T>,
}

enum Inner<T> {
    /// A running thread (and its lane in the trace, under the explorers).
    Running {
        inner: imp::thread::JoinHandle<T>,
        #[cfg(any(loom, shuttle))]
        object: usize,
        /// Shuttle's task number (for a DPOR check's join).
        #[cfg(shuttle)]
        task: usize,
    },
    /// A role of a [`roles`] group: spawned when the group ends.
    Deferred(Slot<T>),
}

type Slot<T> = std::sync::Arc<std::sync::Mutex<Option<JoinHandle<T>>>>;

thread_local! {
    /// The order the next [`roles`] group spawns its roles in (set by the
    /// loom runner for one check; `None`: as written).
    static SPAWN_ORDER: std::cell::RefCell<Option<Vec<usize>>> = const { std::cell::RefCell::new(None) };
    /// The most roles one [`roles`] group had since the runner asked.
    static ROLES_SEEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The names of that group's roles, as declared.
    static ROLE_NAMES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Set the order in which [`roles`] groups on this OS thread spawn their
/// roles (a permutation of their declaration order, used only by a group
/// of exactly that many roles), and forget the roles seen so far. Called
/// by the loom runner around one check; `None` spawns as written.
pub fn set_spawn_order(order: Option<Vec<usize>>) {
    SPAWN_ORDER.with(|o| *o.borrow_mut() = order);
    ROLES_SEEN.with(|n| n.set(0));
    ROLE_NAMES.with(|n| n.borrow_mut().clear());
}

/// The names of the largest [`roles`] group's roles, as declared, since
/// [`set_spawn_order`].
pub fn role_names() -> Vec<String> {
    ROLE_NAMES.with(|n| n.borrow().clone())
}

/// The most roles one [`roles`] group spawned on this OS thread since
/// [`set_spawn_order`] (0: no group).
pub fn roles_seen() -> usize {
    ROLES_SEEN.with(|n| n.get())
}

/// The racing roles of a scenario, spawned together by [`roles`] in the
/// order the check chooses.
#[derive(Default)]
pub struct Roles {
    pending: Vec<Box<dyn FnOnce()>>,
    names: Vec<String>,
}

impl Roles {
    /// Declare a role: a named thread, spawned when the group ends. The
    /// handle can be joined once [`roles`] has returned.
    #[track_caller]
    pub fn spawn_named<F, T>(&mut self, name: &str, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let site = Site::caller();
        let slot: Slot<T> = Default::default();
        let s = slot.clone();
        let name = name.to_string();
        self.names.push(name.clone());
        self.pending.push(Box::new(move || {
            let h = spawn_at(site, Some(&name), f);
            *s.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
        }));
        JoinHandle {
            inner: Inner::Deferred(slot),
        }
    }
}

/// Spawn a scenario's racing roles, declared by `declare`, in the order
/// the check chooses: as declared by default; under the loom runner's
/// spawn-order dimension, each order in turn (loom explores different
/// interleavings for different spawn orders: `docs/loom.md`). Nothing else
/// may run between the roles' spawns, which is what the group makes
/// explicit: the main thread only sets up, spawns and joins.
pub fn roles<R>(declare: impl FnOnce(&mut Roles) -> R) -> R {
    let mut group = Roles::default();
    let out = declare(&mut group);
    let n = group.pending.len();
    if n > ROLES_SEEN.with(|s| s.get()) {
        ROLES_SEEN.with(|s| s.set(n));
        ROLE_NAMES.with(|r| *r.borrow_mut() = group.names.clone());
    }
    let order: Vec<usize> = SPAWN_ORDER
        .with(|o| o.borrow().clone())
        .filter(|o| o.len() == n)
        .unwrap_or_else(|| (0..n).collect());
    let mut pending: Vec<Option<Box<dyn FnOnce()>>> = group.pending.into_iter().map(Some).collect();
    for i in order {
        if let Some(spawn) = pending.get_mut(i).and_then(Option::take) {
            spawn();
        }
    }
    // An order that is not a permutation leaves roles unspawned: spawn
    // them as declared rather than lose them.
    for spawn in pending.into_iter().flatten() {
        spawn();
    }
    out
}

/// Spawn a thread, named `thread<N>` in traces.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_at(Site::caller(), None, f)
}

/// Spawn a thread with a name (shown in traces and in the explorers' own
/// messages).
#[track_caller]
pub fn spawn_named<F, T>(name: &str, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_at(Site::caller(), Some(name), f)
}

fn spawn_at<F, T>(site: Site, name: Option<&str>, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut b = imp::thread::Builder::new();
    if let Some(n) = name {
        b = b.name(n.to_string());
    }
    // Under a DPOR check with tso, a thread's store buffer drains as it
    // exits.
    #[cfg(shuttle)]
    let f = move || {
        let r = f();
        super::dpor::thread_exit();
        r
    };
    #[cfg(shuttle)]
    super::dpor::spawn_before();
    #[cfg(shuttle)]
    super::graph::event(super::graph::Op::Spawn);
    let inner = b
        .spawn(f)
        .unwrap_or_else(|e| panic!("cannot spawn thread {name:?}: {e}"));
    #[cfg(shuttle)]
    super::dpor::spawn_after(usize::from(inner.thread().id()), name);
    #[cfg(shuttle)]
    super::graph::spawned(usize::from(inner.thread().id()));
    let _ = site;
    #[cfg(any(loom, shuttle))]
    {
        let t = inner.thread();
        let key = format!("{:?}", t.id());
        let name = t.name().map(str::to_owned);
        // The child gets its lane now, so lanes follow spawn order.
        let object = super::trace::with_state(|st| st.lane(key, name.as_deref())).unwrap_or(0) + 1;
        super::record_plain(Some(site), Op::Spawn, 0, |st| {
            st.lane_name(object - 1).to_string()
        });
        JoinHandle {
            inner: Inner::Running {
                #[cfg(shuttle)]
                task: usize::from(inner.thread().id()),
                inner,
                object,
            },
        }
    }
    #[cfg(not(any(loom, shuttle)))]
    JoinHandle {
        inner: Inner::Running { inner },
    }
}

impl<T> JoinHandle<T> {
    /// Wait for the thread to finish; `Err` carries its panic.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        let site = Site::caller();
        self.join_at(site)
    }

    fn join_at(self, site: Site) -> std::thread::Result<T> {
        match self.inner {
            Inner::Deferred(slot) => {
                let h = slot
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .expect("a role is joined after its `thread::roles` group has returned");
                h.join_at(site)
            }
            #[cfg(loom)]
            Inner::Running { inner, object } => {
                let r = inner.join();
                let lane = object - 1;
                super::record_plain(Some(site), Op::Join, 0, |st| st.lane_name(lane).to_string());
                r
            }
            #[cfg(shuttle)]
            Inner::Running {
                inner,
                object,
                task,
            } => {
                super::dpor::join_before(task);
                let r = inner.join();
                super::dpor::join_after(task);
                super::graph::event(super::graph::Op::Join(task));
                let lane = object - 1;
                super::record_plain(Some(site), Op::Join, 0, |st| st.lane_name(lane).to_string());
                r
            }
            #[cfg(not(any(loom, shuttle)))]
            Inner::Running { inner } => {
                let _ = site;
                inner.join()
            }
        }
    }
}

/// Give other threads a chance to run (a spin loop's pause).
pub fn yield_now() {
    #[cfg(shuttle)]
    if let Some(h) = super::graph::active() {
        return super::graph::spin(&h);
    }
    #[cfg(shuttle)]
    super::dpor::yield_now();
    imp::thread::yield_now();
}

/// The current thread's identity for the trace: a key unique within the
/// execution, and its name.
#[cfg(any(loom, shuttle))]
pub(crate) fn current_key() -> (String, Option<String>) {
    let t = imp::thread::current();
    (format!("{:?}", t.id()), t.name().map(str::to_owned))
}
