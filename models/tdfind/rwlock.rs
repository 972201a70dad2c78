//! The reader-writer lock behind FreeBSD's tid hash stripes
//! (`tidhashtbl_lock`, kern_thread.c 166), built from the facade's atomics
//! because the facade has no rwlock and `tdfind_hash` needs
//! `rw_try_upgrade`.
//!
//! It follows the shape of FreeBSD's `sys/kern/kern_rwlock.c` (not in the
//! seeds): one lock word `rw_lock`; in read mode it carries the
//! `RW_LOCK_READ` flag and a reader count above `RW_READERS_SHIFT`, in write
//! mode it holds the owner (here the constant [`RW_WRITE_OWNED`], which has no
//! `RW_LOCK_READ` bit, like a thread pointer). Readers enter with
//! `atomic_fcmpset_acq_ptr` and leave with `atomic_fcmpset_rel_ptr`; the
//! writer enters with `atomic_fcmpset_acq_ptr(RW_UNLOCKED -> tid)` and leaves
//! with `atomic_fcmpset_rel_ptr(tid -> RW_UNLOCKED)`; `rw_try_upgrade`
//! replaces the word by the owner only when the caller is the sole reader.
//!
//! Not modelled: the waiter bits and the turnstile (a blocked thread spins
//! here, yielding), adaptive spinning, recursion, lock profiling. No scenario
//! depends on them: they decide who waits how, not what the lock orders.
//!
//! Seeded bugs of the lock itself ([`RwFlaws`]): an upgrade that succeeds
//! with two readers (it erases the other reader's count: a lost reader), and
//! a read unlock without release semantics.
//!
//! The lock is checked by loom's race detector on the cells it protects
//! (two holders that are not ordered by it race). Shuttle has no race
//! detector, so under shuttle and std the lock also keeps a ghost occupancy
//! count (not in the kernel) and asserts mutual exclusion and the sole-reader
//! upgrade with it.

use crate::sync::{thread, AtomicUsize, Ordering::*};

/// `RW_LOCK_READ`: the word is in read mode (unlocked or read-held).
pub const RW_LOCK_READ: usize = 0x01;
/// `RW_READERS_SHIFT`: the reader count lives above the flag bits.
pub const RW_READERS_SHIFT: usize = 4;
/// `RW_ONE_READER`: one reader in the count.
pub const RW_ONE_READER: usize = 1 << RW_READERS_SHIFT;
/// `RW_UNLOCKED`: read mode with no reader (`RW_READERS_LOCK(0)`).
pub const RW_UNLOCKED: usize = RW_LOCK_READ;
/// The write-owned word: stands for the owner's thread pointer (no
/// `RW_LOCK_READ` bit, as thread pointers are aligned).
pub const RW_WRITE_OWNED: usize = 0x1000;

/// `RW_READERS_VALUE(v)`: the number of readers in a read-mode word.
pub fn rw_readers(v: usize) -> usize {
    v >> RW_READERS_SHIFT
}

/// The lock's seeded bugs (all `false` for the faithful lock).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RwFlaws {
    /// `rw_try_upgrade` tests `RW_READERS_VALUE(v) > 2` instead of `> 1`:
    /// it succeeds while another reader holds the lock, and its
    /// compare-and-set erases that reader from the count.
    pub upgrade_with_two_readers: bool,
    /// `rw_runlock` drops its reader with a relaxed RMW instead of
    /// `atomic_fcmpset_rel_ptr`: the reader's reads are not ordered before
    /// the next writer's writes.
    pub runlock_relaxed: bool,
}

/// A reader-writer lock with `rw_try_upgrade` (see the module docs).
pub struct RwLock {
    /// `rw->rw_lock`, the lock word.
    rw_lock: AtomicUsize,
    flaws: RwFlaws,
    /// Ghost (not in the kernel): readers inside plus [`OCC_WRITER`] per
    /// writer inside, maintained after acquiring and before releasing.
    #[cfg(not(loom))]
    occupancy: AtomicUsize,
}

/// Ghost occupancy weight of a writer.
#[cfg(not(loom))]
const OCC_WRITER: usize = 1 << 20;

impl RwLock {
    /// `rw_init`: an unlocked lock with these seeded bugs.
    pub fn new(flaws: RwFlaws) -> Self {
        Self {
            rw_lock: AtomicUsize::new(RW_UNLOCKED),
            flaws,
            #[cfg(not(loom))]
            occupancy: AtomicUsize::new(0),
        }
    }

    /// Name the lock word in traces.
    pub fn label(&self, name: &str) {
        crate::sync::label(&self.rw_lock, name);
    }

    /// `rw_rlock` (`__rw_rlock_try` in kern_rwlock.c): add a reader while
    /// the word is in read mode, else spin until it is.
    #[track_caller]
    pub fn rw_rlock(&self) {
        // RW_READ_VALUE(rw): a plain read of the word (the CAS below checks it).
        let mut v = self.rw_lock.load(Relaxed);
        loop {
            if v & RW_LOCK_READ != 0 {
                // atomic_fcmpset_acq_ptr(&rw->rw_lock, &v, v + RW_ONE_READER):
                // acquire, pairs with the release of rw_wunlock (and of
                // rw_runlock, for a later writer) so the reader sees every
                // write of the last writer.
                match self.rw_lock.compare_exchange(
                    v,
                    v.wrapping_add(RW_ONE_READER),
                    Acquire,
                    Relaxed,
                ) {
                    Ok(_) => break,
                    Err(cur) => v = cur,
                }
            } else {
                // Write-owned: the kernel blocks on the turnstile; we spin.
                // A plain re-read of the word (RW_READ_VALUE).
                v = self.rw_lock.load(Relaxed);
            }
            thread::yield_now();
        }
        self.ghost_enter_read();
    }

    /// `rw_try_rlock` (`__rw_try_rlock`): add a reader if the word is in
    /// read mode, without waiting for a writer; retries only when another
    /// reader changed the count under it.
    #[track_caller]
    pub fn rw_try_rlock(&self) -> bool {
        // RW_READ_VALUE(rw): a plain read of the word.
        let mut v = self.rw_lock.load(Relaxed);
        while v & RW_LOCK_READ != 0 {
            // atomic_fcmpset_acq_ptr(&rw->rw_lock, &v, v + RW_ONE_READER):
            // acquire, pairs with the release of rw_wunlock / rw_runlock.
            match self
                .rw_lock
                .compare_exchange(v, v.wrapping_add(RW_ONE_READER), Acquire, Relaxed)
            {
                Ok(_) => {
                    self.ghost_enter_read();
                    return true;
                }
                Err(cur) => v = cur,
            }
            thread::yield_now();
        }
        false
    }

    /// `rw_runlock` (`__rw_runlock_try`): drop one reader.
    #[track_caller]
    pub fn rw_runlock(&self) {
        self.ghost_exit_read();
        // atomic_fcmpset_rel_ptr(&rw->rw_lock, &v, v - RW_ONE_READER) in a
        // loop, done here as one fetch_sub (no waiter bits to preserve):
        // release, pairs with the acquire of the next rw_wlock (or
        // rw_try_upgrade) so this reader's reads come before that writer's
        // writes. The `runlock-relaxed` variant drops the release.
        let order = if self.flaws.runlock_relaxed {
            Relaxed
        } else {
            Release
        };
        self.rw_lock.fetch_sub(RW_ONE_READER, order);
    }

    /// `rw_wlock` (`_rw_write_lock`): take the word from `RW_UNLOCKED` to
    /// the owner, spinning while it is held.
    #[track_caller]
    pub fn rw_wlock(&self) {
        loop {
            // atomic_fcmpset_acq_ptr(&rw->rw_lock, &v (RW_UNLOCKED), tid):
            // acquire, pairs with the release of rw_wunlock and rw_runlock.
            if self
                .rw_lock
                .compare_exchange(RW_UNLOCKED, RW_WRITE_OWNED, Acquire, Relaxed)
                .is_ok()
            {
                break;
            }
            thread::yield_now();
        }
        self.ghost_enter_write();
    }

    /// `rw_try_wlock` (`__rw_try_wlock`): take the word from `RW_UNLOCKED`
    /// to the owner if it is free, without waiting.
    #[track_caller]
    pub fn rw_try_wlock(&self) -> bool {
        // atomic_fcmpset_acq_ptr(&rw->rw_lock, &v (RW_UNLOCKED), tid):
        // acquire, pairs with the release of rw_wunlock and rw_runlock.
        let ok = self
            .rw_lock
            .compare_exchange(RW_UNLOCKED, RW_WRITE_OWNED, Acquire, Relaxed)
            .is_ok();
        if ok {
            self.ghost_enter_write();
        }
        ok
    }

    /// `rw_wunlock` (`_rw_write_unlock`): give the word back as
    /// `RW_UNLOCKED`. A word that is not write-owned means the lock lost
    /// track of a holder: that is a property failure.
    #[track_caller]
    pub fn rw_wunlock(&self) {
        self.ghost_exit_write();
        // atomic_fcmpset_rel_ptr(&rw->rw_lock, &tid, RW_UNLOCKED): release,
        // pairs with the acquire of the next rw_rlock / rw_wlock.
        if let Err(v) = self
            .rw_lock
            .compare_exchange(RW_WRITE_OWNED, RW_UNLOCKED, Release, Relaxed)
        {
            crate::prop!(
                false,
                "rw_wunlock found the lock word {v:#x}, not write-owned: a reader released a lock it no longer held (a lost reader)"
            );
        }
    }

    /// `rw_try_upgrade` (`__rw_try_upgrade_int`): turn the caller's read
    /// hold into the write hold if it is the sole reader; `false` otherwise
    /// (the caller still holds its read lock).
    #[track_caller]
    pub fn rw_try_upgrade(&self) -> bool {
        // The kernel tests RW_READERS_VALUE(v) > 1; the seeded bug > 2.
        let most = if self.flaws.upgrade_with_two_readers {
            2
        } else {
            1
        };
        // RW_READ_VALUE(rw): a plain read; the CAS below re-checks it.
        let mut v = self.rw_lock.load(Relaxed);
        loop {
            if rw_readers(v) > most {
                return false;
            }
            // atomic_fcmpset_acq_ptr(&rw->rw_lock, &v, tid): acquire, pairs
            // with the release of the other readers' rw_runlock, so their
            // reads come before the writes the upgraded holder makes.
            match self
                .rw_lock
                .compare_exchange(v, RW_WRITE_OWNED, Acquire, Relaxed)
            {
                Ok(_) => {
                    self.ghost_upgrade();
                    return true;
                }
                Err(cur) => v = cur,
            }
            thread::yield_now();
        }
    }

    /// The lock word, for the end-of-scenario check ("no lost reader": the
    /// word must be back to `RW_UNLOCKED`). Only meaningful when no thread
    /// can still touch the lock (after the joins).
    pub fn word(&self) -> usize {
        // A plain read after the joins: the joins order every access before it.
        self.rw_lock.load(Relaxed)
    }

    #[cfg(not(loom))]
    fn ghost_enter_read(&self) {
        // Ghost (not in the kernel): relaxed RMWs see the latest count; the
        // lock's own acquire/release orders them.
        let prev = self.occupancy.fetch_add(1, Relaxed);
        crate::prop!(
            prev < OCC_WRITER,
            "rw_rlock entered while a writer holds the lock (ghost occupancy {prev:#x})"
        );
    }

    #[cfg(not(loom))]
    fn ghost_exit_read(&self) {
        // Ghost (not in the kernel).
        self.occupancy.fetch_sub(1, Relaxed);
    }

    #[cfg(not(loom))]
    fn ghost_enter_write(&self) {
        // Ghost (not in the kernel).
        let prev = self.occupancy.fetch_add(OCC_WRITER, Relaxed);
        crate::prop!(
            prev == 0,
            "rw_wlock entered while the lock is held: {} readers, {} writers inside (ghost)",
            prev % OCC_WRITER,
            prev / OCC_WRITER
        );
    }

    #[cfg(not(loom))]
    fn ghost_exit_write(&self) {
        // Ghost (not in the kernel).
        self.occupancy.fetch_sub(OCC_WRITER, Relaxed);
    }

    #[cfg(not(loom))]
    fn ghost_upgrade(&self) {
        // Ghost (not in the kernel): this reader becomes the writer.
        let prev = self.occupancy.fetch_add(OCC_WRITER - 1, Relaxed);
        crate::prop!(
            prev == 1,
            "rw_try_upgrade succeeded while {} readers and {} writers were inside (ghost): only a sole reader may upgrade",
            prev % OCC_WRITER,
            prev / OCC_WRITER
        );
    }

    // Under loom the race detector on the protected cells is the exact
    // check; the ghost would only add interleavings.
    #[cfg(loom)]
    fn ghost_enter_read(&self) {}
    #[cfg(loom)]
    fn ghost_exit_read(&self) {}
    #[cfg(loom)]
    fn ghost_enter_write(&self) {}
    #[cfg(loom)]
    fn ghost_exit_write(&self) {}
    #[cfg(loom)]
    fn ghost_upgrade(&self) {}
}

impl std::fmt::Debug for RwLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RwLock")
    }
}
