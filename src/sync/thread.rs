//! Threads of the active backend. Named threads make traces readable: a
//! counterexample shows `grower` and `reader`, not `thread1` and `thread2`.

use super::imp;
#[cfg(any(loom, shuttle))]
use super::trace::Op;
use super::Site;

/// Handle to join a spawned thread.
pub struct JoinHandle<T> {
    inner: imp::thread::JoinHandle<T>,
    #[cfg(any(loom, shuttle))]
    object: usize,
    /// Shuttle's task number (for a DPOR check's join).
    #[cfg(shuttle)]
    task: usize,
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
    let inner = b
        .spawn(f)
        .unwrap_or_else(|e| panic!("cannot spawn thread {name:?}: {e}"));
    #[cfg(shuttle)]
    super::dpor::spawn_after(usize::from(inner.thread().id()), name);
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
            #[cfg(shuttle)]
            task: usize::from(inner.thread().id()),
            inner,
            object,
        }
    }
    #[cfg(not(any(loom, shuttle)))]
    JoinHandle { inner }
}

impl<T> JoinHandle<T> {
    /// Wait for the thread to finish; `Err` carries its panic.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        let site = Site::caller();
        #[cfg(shuttle)]
        super::dpor::join_before(self.task);
        let r = self.inner.join();
        #[cfg(shuttle)]
        super::dpor::join_after(self.task);
        #[cfg(any(loom, shuttle))]
        {
            let lane = self.object - 1;
            super::record_plain(Some(site), Op::Join, 0, |st| st.lane_name(lane).to_string());
        }
        #[cfg(not(any(loom, shuttle)))]
        let _ = site;
        r
    }
}

/// Give other threads a chance to run (a spin loop's pause).
pub fn yield_now() {
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
