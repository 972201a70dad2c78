//! The second alternative to `p_ret_tidhash`: one snapshot. The table
//! carries its own size and is published as a single `ArcSwap`, so a reader
//! cannot pair a table with the wrong size and no barrier pair is needed; an
//! old table is freed when its last reader drops its `Arc`.
//!
//! The re-check after locking the bucket is still needed: a bucket lock of
//! a replaced table protects nothing the grower will touch again.
//!
//! arc-swap uses std atomics that neither loom nor shuttle can see, so this
//! implementation exists in the std build only and is checked by real-thread
//! stress tests ([`stress`]) and measured by `benches/tidhash.rs`.

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

/// An LWP's entry.
#[derive(Debug)]
pub struct Lwp {
    /// `le_lwpid`.
    pub lwpid: usize,
    /// `le_start`.
    pub le_start: usize,
}

/// A table: its size is its length.
struct Table {
    buckets: Box<[Mutex<Vec<Arc<Lwp>>>]>,
}

impl Table {
    fn new(n: usize) -> Self {
        Table {
            buckets: (0..n).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    fn bucket(&self, tid: usize) -> &Mutex<Vec<Arc<Lwp>>> {
        &self.buckets[tid & (self.buckets.len() - 1)]
    }
}

/// What `p_lock` protects.
struct Dir {
    lwps: usize,
    dir_size: usize,
}

/// A process whose tid hash is one `ArcSwap` snapshot.
pub struct SnapProc {
    p_lock: Mutex<Dir>,
    tidhash: ArcSwap<Table>,
}

impl Default for SnapProc {
    fn default() -> Self {
        Self::new()
    }
}

impl SnapProc {
    /// As `exec_common()` leaves it: a directory of 2, a hash of 2.
    pub fn new() -> Self {
        SnapProc {
            p_lock: Mutex::new(Dir {
                lwps: 0,
                dir_size: 2,
            }),
            tidhash: ArcSwap::from_pointee(Table::new(2)),
        }
    }

    /// Create LWP `tid`, growing the directory (2, 6, 14, ...) and the hash
    /// (2, 4, 8, ...) when the directory is full.
    pub fn lwp_create(&self, tid: usize) {
        let mut dir = self.p_lock.lock().unwrap_or_else(PoisonError::into_inner);
        if dir.lwps == dir.dir_size {
            dir.dir_size = 2 * dir.dir_size + 2;
            let new = Table::new((dir.dir_size + 2) / 2);
            let old = self.tidhash.load_full();
            // Every old bucket lock, so no reader is inside the old table
            // while entries move; then publish the one snapshot.
            let held: Vec<_> = old
                .buckets
                .iter()
                .map(|b| b.lock().unwrap_or_else(PoisonError::into_inner))
                .collect();
            for g in &held {
                for lwp in g.iter() {
                    new.bucket(lwp.lwpid)
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(lwp.clone());
                }
            }
            self.tidhash.store(Arc::new(new));
            drop(held);
        }
        dir.lwps += 1;
        let t = self.tidhash.load();
        t.bucket(tid)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(Lwp {
                lwpid: tid,
                le_start: super::le_start_of(tid),
            }));
    }

    /// `lwp_hash_out` for an exiting LWP.
    pub fn lwp_exit(&self, tid: usize) {
        let mut dir = self.p_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let t = self.tidhash.load();
        let mut b = t.bucket(tid).lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = b.iter().position(|l| l.lwpid == tid) {
            b.swap_remove(i);
            dir.lwps -= 1;
        }
    }

    /// `lwp_hash_lookup_and_lock` without `p_lock`: run `f` on the entry
    /// with its bucket locked.
    pub fn with_lwp<R>(&self, tid: usize, f: impl FnOnce(&Lwp) -> R) -> Option<R> {
        loop {
            let t = self.tidhash.load_full();
            let b = t.bucket(tid).lock().unwrap_or_else(PoisonError::into_inner);
            if !Arc::ptr_eq(&t, &self.tidhash.load()) {
                // Replaced while we waited for the lock: start over.
                continue;
            }
            return b.iter().find(|l| l.lwpid == tid).map(|l| f(l));
        }
    }

    /// The current hash size.
    pub fn hash_size(&self) -> usize {
        self.tidhash.load().buckets.len()
    }
}

/// A real-thread stress test over any of the three implementations: tids 1
/// and 2 exist throughout; `creators` threads create tids from 3 up (so the
/// table grows many times) while an exiter removes some of the new ones and
/// `readers` threads look tids 1 and 2 up; every lookup must find the right
/// entry. Bounded by `creations` per creator and by `budget`. Returns the
/// number of lookups done.
pub fn stress(
    create: &(dyn Fn(usize) + Sync),
    exit: &(dyn Fn(usize) + Sync),
    lookup: &(dyn Fn(usize) -> Option<usize> + Sync),
    readers: usize,
    creators: usize,
    creations: usize,
    budget: std::time::Duration,
) -> usize {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    create(1);
    create(2);
    let done = AtomicBool::new(false);
    let lookups = AtomicUsize::new(0);
    // Readers that have started: the creators wait for all of them, so the
    // lookups overlap the growths however the OS schedules the threads (a
    // loaded machine could otherwise run every creation before any reader).
    let started = AtomicUsize::new(0);
    let start = std::time::Instant::now();
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..creators)
            .map(|c| {
                let (done, started) = (&done, &started);
                s.spawn(move || {
                    while started.load(Relaxed) < readers && start.elapsed() <= budget {
                        std::thread::yield_now();
                    }
                    for i in 0..creations {
                        if done.load(Relaxed) || start.elapsed() > budget {
                            break;
                        }
                        let tid = 3 + c + i * creators;
                        create(tid);
                        if tid.is_multiple_of(3) {
                            exit(tid);
                        }
                    }
                })
            })
            .collect();
        for _ in 0..readers {
            s.spawn(|| {
                started.fetch_add(1, Relaxed);
                let mut n = 0;
                // At least one round, then until the creators are done.
                loop {
                    for tid in [1, 2] {
                        let got = lookup(tid);
                        assert_eq!(
                            got,
                            Some(super::le_start_of(tid)),
                            "tid {tid} not found (or wrong entry) during growth"
                        );
                        n += 1;
                    }
                    if done.load(Relaxed) || start.elapsed() > budget {
                        break;
                    }
                }
                lookups.fetch_add(n, Relaxed);
            });
        }
        for w in writers {
            w.join().expect("creator");
        }
        done.store(true, Relaxed);
    });
    lookups.load(Relaxed)
}

#[cfg(test)]
mod tests {
    use super::super::{epoch, Proc, Reclaim, Variant};
    use super::*;
    use std::time::Duration;

    fn kernel_lookup<R: Reclaim>(p: &Proc<R>, tid: usize) -> Option<usize> {
        p.lwp_hash_lookup_and_lock(tid).map(|f| {
            let s = f.le_start();
            f.unlock();
            s
        })
    }

    #[test]
    fn snapshot_under_growth_churn() {
        let p = SnapProc::new();
        let n = stress(
            &|t| p.lwp_create(t),
            &|t| p.lwp_exit(t),
            &|t| p.with_lwp(t, |l| l.le_start),
            4,
            2,
            3000,
            Duration::from_secs(60),
        );
        assert!(n > 0);
        assert!(
            p.hash_size() >= 512,
            "the table grew many times: {}",
            p.hash_size()
        );
    }

    /// The stress run for the kernel port, with either reclamation.
    fn kernel_churn<R: Reclaim>(p: Proc<R>) {
        let n = stress(
            &|t| p.lwp_create(t),
            &|t| p.lwp_exit_detached(t),
            &|t| kernel_lookup(&p, t),
            4,
            2,
            3000,
            Duration::from_secs(60),
        );
        assert!(n > 0);
        assert!(p.shape().growths >= 8, "{:?}", p.shape());
    }

    #[test]
    fn faithful_port_under_growth_churn() {
        kernel_churn(Proc::new(Variant::Faithful));
    }

    #[test]
    fn epoch_port_under_growth_churn() {
        kernel_churn(Proc::new_epoch(epoch::Variant::Faithful));
    }
}
