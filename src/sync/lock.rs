//! Mutex and condition variable of the active backend, with their acquire,
//! release, wait and wake recorded in the trace.
//!
//! A panic while a lock is held does not poison it here: the data is handed
//! on as is (the explorer has already recorded the failure that matters).

use std::ops::{Deref, DerefMut};
use std::sync::PoisonError;

use super::trace::Op;
use super::{imp, Site};

/// A mutex (the kernels' `kmutex_t`: adaptive or spin, it does not matter to
/// the models). Acquire is an acquire, release a release.
///
/// On x86 an acquisition is always a locked instruction (`lock cmpxchg`,
/// `xchg`), which drains the store buffer under the DPOR explorer's `tso`.
/// A release is a locked instruction in some kernels and a plain store in
/// others; each lock says which with its [`Unlock`] (default:
/// [`Unlock::PlainStore`], the weaker one, which cannot hide a bug).
pub struct Mutex<T> {
    /// Boxed so that its address is stable: under `tso` a plain-store
    /// release holds the backend's guard in the store buffer until it
    /// flushes, and the facade mutex may be moved meanwhile (a model's
    /// setup moving its structures into an `Arc`).
    inner: Box<imp::Mutex<T>>,
    unlock: Unlock,
}

/// What a mutex's release is on x86, which decides what it orders under
/// the DPOR explorer's `tso` (no effect elsewhere: under C11 and `sc` a
/// release is a release either way).
///
/// Set at each lock of a model, with the kernel source it reads from
/// (`docs/dpor.md` has the table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unlock {
    /// A plain store to the lock word (`mov`, or a `cmpxchg` without the
    /// `lock` prefix): it enters the store buffer behind the critical
    /// section's stores, so a load after the unlock can pass them (store
    /// buffering across the unlock). illumos `mutex_exit` and
    /// `lock_clear`, NetBSD `mutex_exit` and `mutex_spin_exit` on x86,
    /// FreeBSD `mtx_unlock_spin` on amd64. The default: a weaker release
    /// shows more executions, so it cannot hide a bug.
    #[default]
    PlainStore,
    /// A locked instruction (`lock cmpxchg`, `xchg`): it drains the store
    /// buffer, a full barrier. FreeBSD `mtx_unlock` (`atomic_fcmpset_rel`),
    /// `rw_wunlock`, `rw_runlock`.
    Locked,
}

/// Proof that a [`Mutex`] is held; releasing it (by [`MutexGuard::unlock`]
/// or by scope) is recorded.
pub struct MutexGuard<'a, T> {
    inner: Option<imp::MutexGuard<'a, T>>,
    mutex: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`, released by a plain store
    /// ([`Unlock::PlainStore`]).
    pub fn new(value: T) -> Self {
        Self::with_unlock(value, Unlock::PlainStore)
    }

    /// A new, unlocked mutex holding `value`, whose release is `unlock` on
    /// x86.
    pub fn with_unlock(value: T, unlock: Unlock) -> Self {
        Self {
            inner: Box::new(imp::Mutex::new(value)),
            unlock,
        }
    }

    /// What this mutex's release is on x86.
    pub fn unlock_kind(&self) -> Unlock {
        self.unlock
    }

    fn addr(&self) -> usize {
        self as *const Self as usize
    }

    /// The mutex as the DPOR recorder knows it: the backend mutex's
    /// address, which does not change when the facade mutex moves.
    #[cfg(shuttle)]
    fn id(&self) -> usize {
        &*self.inner as *const imp::Mutex<T> as usize
    }

    /// `mutex_enter`: block until the mutex is held.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let site = Site::caller();
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            let g = self
                .graph_acquire(&h, true)
                .unwrap_or_else(|| super::graph::block(&h));
            event(Some(site), Op::Lock, self.addr());
            return g;
        }
        #[cfg(shuttle)]
        super::dpor::lock_before(self.id());
        let g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        #[cfg(shuttle)]
        super::dpor::locked(self.id());
        event(Some(site), Op::Lock, self.addr());
        MutexGuard {
            inner: Some(g),
            mutex: self,
        }
    }

    /// `mutex_tryenter`: the mutex if it was free, `None` if it was held.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let site = Site::caller();
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            let g = self.graph_acquire(&h, false);
            event(Some(site), Op::TryLock(g.is_some()), self.addr());
            return g;
        }
        #[cfg(shuttle)]
        super::dpor::try_lock_before(self.id());
        let g = match self.inner.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        #[cfg(shuttle)]
        super::dpor::try_lock_after(self.id(), g.is_some());
        event(Some(site), Op::TryLock(g.is_some()), self.addr());
        g.map(|g| MutexGuard {
            inner: Some(g),
            mutex: self,
        })
    }

    /// Under the execution-graph explorer: the acquisition as a
    /// compare-exchange of the lock word (a ghost location at the mutex's
    /// [`Mutex::id`], 0 free, 1 held), Acquire; the guard if it read 0.
    /// The explorer chose the unlock it reads, so the backend's mutex is
    /// free then (its `try_lock` is the proof: a held one is an explorer
    /// bug).
    #[cfg(shuttle)]
    fn graph_acquire(
        &self,
        h: &std::rc::Rc<dyn super::graph::Hooks>,
        blocking: bool,
    ) -> Option<MutexGuard<'_, T>> {
        let got = super::graph::ghost(
            h,
            self.id(),
            super::graph::Op::Lock { blocking },
            |word| (word == 0).then_some(1),
            |word, _| {
                (word == 0).then(|| match self.inner.try_lock() {
                    Ok(g) => g,
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => panic!(
                        "execution-graph explorer: a thread took a mutex the backend holds (an explorer bug)"
                    ),
                })
            },
        );
        got.map(|g| MutexGuard {
            inner: Some(g),
            mutex: self,
        })
    }

    /// True if `guard` holds this mutex (the kernels' `mutex_owned`, for the
    /// guards this facade hands out).
    pub fn is_held_by<U>(&self, guard: &MutexGuard<'_, U>) -> bool {
        self.addr() == guard.mutex.addr()
    }
}

// A DPOR check's release clock for this mutex goes with it.
#[cfg(shuttle)]
impl<T> Drop for Mutex<T> {
    fn drop(&mut self) {
        super::dpor::forget_mutex(self.id());
        super::graph::forget(self.id());
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> std::fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mutex")
    }
}

impl<'a, T> MutexGuard<'a, T> {
    /// `mutex_exit`, with its site in the trace.
    #[track_caller]
    pub fn unlock(mut self) {
        let site = Site::caller();
        event(Some(site), Op::Unlock, self.mutex.addr());
        if let Some(g) = self.inner.take() {
            release(self.mutex, g);
        }
    }

    /// The mutex this guard holds.
    pub fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failed execution is unwinding: releasing would call into an
            // explorer runtime that may already be torn down (loom 0.7.3
            // aborts on a second panic there, see `arc.rs`). Leak the guard.
            std::mem::forget(self.inner.take());
        } else if self.inner.is_some() {
            // Recorded before the release, so the trace never shows another
            // thread taking the mutex before this one let it go.
            event(None, Op::Unlock, self.mutex.addr());
            if let Some(g) = self.inner.take() {
                release(self.mutex, g);
            }
        }
    }
}

/// Release `mutex` by dropping the backend's guard `g`: under a DPOR
/// check, through the recorder, which buffers a plain-store release under
/// `tso` (the guard is dropped when it flushes).
fn release<'a, T>(mutex: &'a Mutex<T>, g: imp::MutexGuard<'a, T>) {
    // Under the execution-graph explorer: a Release store of 0 to the lock
    // word, or a swap (a locked instruction on x86, an exclusive pair with
    // a release store on ARM: FreeBSD's `atomic_fcmpset_rel`), the
    // backend's mutex released inside it (no scheduling point between).
    #[cfg(shuttle)]
    if let Some(h) = super::graph::active() {
        use std::sync::atomic::Ordering::{Relaxed, Release};
        let op = match mutex.unlock {
            Unlock::PlainStore => super::graph::Op::Store(Release),
            Unlock::Locked => super::graph::Op::Rmw {
                success: Release,
                failure: Relaxed,
                expected: None,
                weak: false,
            },
        };
        super::graph::ghost(&h, mutex.id(), op, |_| Some(0), |_, _| drop(g));
        return;
    }
    #[cfg(shuttle)]
    super::dpor::unlock(
        mutex.id(),
        mutex.unlock == Unlock::Locked,
        Box::new(move || drop(g)),
    );
    #[cfg(not(shuttle))]
    {
        let _ = mutex;
        drop(g);
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("guard is live until unlock or drop")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner
            .as_mut()
            .expect("guard is live until unlock or drop")
    }
}

/// A condition variable (the kernels' `kcondvar_t`).
pub struct Condvar {
    inner: imp::Condvar,
    /// A stable address for the execution-graph explorer's ghost location
    /// (the waiter set), which does not change when the condition variable
    /// moves.
    #[cfg(shuttle)]
    ghost: Box<u8>,
}

impl Condvar {
    /// A new condition variable.
    pub fn new() -> Self {
        Self {
            inner: imp::Condvar::new(),
            #[cfg(shuttle)]
            ghost: Box::new(0),
        }
    }

    /// The waiter set's ghost location (execution-graph explorer).
    #[cfg(shuttle)]
    fn ghost_addr(&self) -> usize {
        &*self.ghost as *const u8 as usize
    }

    /// `cv_wait` under the execution-graph explorer. The waiter set is a
    /// ghost location, a bit per waiting thread: joining it and notifying
    /// are read-modify-writes (AcqRel, as the sleep queue's lock orders
    /// them), so the explorer orders a wait and a notify both ways. The
    /// wake-up is an Acquire read that blocks while the waiter's bit is
    /// set, or wakes spuriously (the explorer's choice, at most once per
    /// thread and execution, as the DPOR explorer's gate runs), leaving
    /// the set.
    #[cfg(shuttle)]
    fn graph_wait<'a, T>(
        &self,
        h: &std::rc::Rc<dyn super::graph::Hooks>,
        mut guard: MutexGuard<'a, T>,
        site: Site,
    ) -> MutexGuard<'a, T> {
        use super::graph::{ghost, Op as G};
        use std::sync::atomic::Ordering::{AcqRel, Relaxed};
        let rmw = G::Rmw {
            success: AcqRel,
            failure: Relaxed,
            expected: None,
            weak: false,
        };
        let me = usize::from(imp::thread::current().id());
        assert!(
            me < 64,
            "the execution-graph explorer's condition variables take threads 0..64"
        );
        let bit = 1u64 << me;
        let cv = self.ghost_addr();
        ghost(h, cv, rmw, |set| Some(set | bit), |_, _| ());
        let mutex = guard.mutex;
        if let Some(g) = guard.inner.take() {
            release(mutex, g);
        }
        let (notified, spurious) = ghost(
            h,
            cv,
            G::Wake { bit },
            |_| None,
            |set, d| (set & bit == 0, d.spurious),
        );
        if !notified {
            if !spurious {
                super::graph::block(h);
            }
            ghost(h, cv, rmw, |set| Some(set & !bit), |_, _| ());
        }
        let g = mutex.lock();
        event(Some(site), Op::Woken, self.addr());
        g
    }

    /// `cv_signal` / `cv_broadcast` under the execution-graph explorer:
    /// clear the lowest waiter's bit, or every bit.
    #[cfg(shuttle)]
    fn graph_notify(&self, h: &std::rc::Rc<dyn super::graph::Hooks>, all: bool) {
        use std::sync::atomic::Ordering::{AcqRel, Relaxed};
        let rmw = super::graph::Op::Rmw {
            success: AcqRel,
            failure: Relaxed,
            expected: None,
            weak: false,
        };
        let clear = move |set: u64| Some(if all { 0 } else { set & set.wrapping_sub(1) });
        super::graph::ghost(h, self.ghost_addr(), rmw, clear, |_, _| ());
    }

    fn addr(&self) -> usize {
        self as *const Self as usize
    }

    /// `cv_wait`: release the mutex, sleep until notified, re-acquire.
    #[track_caller]
    pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let site = Site::caller();
        event(Some(site), Op::Wait, self.addr());
        // A spurious wakeup (only when a DPOR check asks for them): the
        // mutex is released and taken again, with no notification.
        #[cfg(shuttle)]
        if super::dpor::spurious_wakeup() {
            let mutex = guard.mutex;
            drop(guard);
            let g = mutex.lock();
            event(Some(site), Op::Woken, self.addr());
            return g;
        }
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            return self.graph_wait(&h, guard, site);
        }
        #[cfg(shuttle)]
        super::dpor::wait_before(self.addr(), guard.mutex.id());
        let g = guard
            .inner
            .take()
            .expect("guard is live until unlock or drop");
        let mutex = guard.mutex;
        let g = self.inner.wait(g).unwrap_or_else(PoisonError::into_inner);
        #[cfg(shuttle)]
        super::dpor::locked(mutex.id());
        event(Some(site), Op::Woken, self.addr());
        MutexGuard {
            inner: Some(g),
            mutex,
        }
    }

    /// `cv_signal`.
    #[track_caller]
    pub fn notify_one(&self) {
        event(Some(Site::caller()), Op::Notify("cv_signal"), self.addr());
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            return self.graph_notify(&h, false);
        }
        #[cfg(shuttle)]
        super::dpor::notify_before(self.addr());
        self.inner.notify_one();
    }

    /// `cv_broadcast`.
    #[track_caller]
    pub fn notify_all(&self) {
        event(
            Some(Site::caller()),
            Op::Notify("cv_broadcast"),
            self.addr(),
        );
        #[cfg(shuttle)]
        if let Some(h) = super::graph::active() {
            return self.graph_notify(&h, true);
        }
        #[cfg(shuttle)]
        super::dpor::notify_before(self.addr());
        self.inner.notify_all();
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Condvar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Condvar")
    }
}

#[inline(always)]
fn event(site: Option<Site>, op: Op, object: usize) {
    #[cfg(any(loom, shuttle))]
    super::record_plain(site, op, object, |_| String::new());
    #[cfg(not(any(loom, shuttle)))]
    let _ = (site, op, object);
}
