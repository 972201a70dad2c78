//! The illumos LWP directory and tid hash (`usr/src/uts/common/os/lwp.c`,
//! `shared/seeds/000_94be9095f1591edf.txt`).
//!
//! `lwp_unpark()` looks LWPs up by tid without `p_lock`, through
//! [`Proc::lwp_hash_lookup_and_lock`], while [`Proc::lwp_create`] may grow
//! the hash table under `p_lock`. The protocol that makes this safe:
//!
//! - the grower takes **every old bucket lock and the matching new one**,
//!   rehashes, then publishes the new table and its size as two words:
//!   `membar_producer(); p_tidhash = new; membar_producer(); p_tidhash_sz = new_sz;`
//! - the reader reads the size, `membar_consumer()`, the table, locks the
//!   bucket, and **re-checks both words**, retrying if either changed;
//! - old tables are **retired, not freed** (kept on `p_ret_tidhash` until exit
//!   or exec), because a reader may still be waiting on an old bucket lock.
//!
//! Memory is modeled as in every model, by the facade's [`Alloc`]: tables,
//! directories and `lwpent_t`s are allocations whose contents start zeroed
//! (`kmem_zalloc`, a write the first barrier must publish) and which a free
//! poisons; their fields (`th_list`, `ld_entry`, `ld_next`, `le_lwpid`,
//! `le_start`) are the allocations', so every access through a pointer
//! checks the memory by itself. The bucket locks are facade mutexes, which
//! do not know their allocation: the lookup and the grower touch a table
//! before they lock its buckets (the one exception). The model never
//! returns memory to Rust's allocator before the process is dropped, so a
//! bug that reads freed memory is reported (data race with the free, or use
//! after free), never undefined behaviour in the checker itself.
//!
//! Each seeded bug is a one-line guard beside the faithful line, but three
//! that reorder lines rather than drop or change one: `reader-loads-table-first`
//! and `publish-size-first` swap two accesses that have a barrier between
//! them (as guards each access would be written twice, around the barrier),
//! and `unpark-after-unlock` moves `mutex_exit(mp)` before the reads (the
//! unlock consumes the [`Found`] the reads go through): each is a block
//! beside the faithful lines it replaces. Reclamation other than the
//! kernel's retired list lives beside the port, behind [`Reclaim`]
//! (`epoch.rs`).

use std::fmt;

use crate::explore::{violation, FailKind};
use crate::sync::{
    self, membar_consumer, membar_producer, Alloc, AtomicPtr, AtomicUsize, Mutex, MutexGuard,
    Ordering::*, Unlock, UnsafeCell,
};

pub mod epoch;
pub mod scenarios;
#[cfg(not(any(loom, shuttle)))]
pub mod snapshot;

/// The faithful code or one seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The kernel's code.
    Faithful,
    /// The `membar_producer()` before `p->p_tidhash = new_hash` (line 417)
    /// dropped.
    NoFirstProducerBarrier,
    /// The `membar_producer()` before `p->p_tidhash_sz = new_hashsz` (line
    /// 427) dropped.
    NoSecondProducerBarrier,
    /// The `membar_consumer()` in `lwp_hash_lookup_and_lock` (line 2039)
    /// dropped.
    NoConsumerBarrier,
    /// The re-check after locking the bucket (lines 2051-2054) skipped.
    SkipRecheck,
    /// The old table freed at growth instead of kept on `p_ret_tidhash`.
    FreeOldTable,
    /// The grower takes only the new bucket locks, not the old ones
    /// (line 382 dropped).
    NoOldBucketLocks,
    /// The reader loads `p_tidhash` before `p_tidhash_sz` (the two loads of
    /// lines 2038-2040 swapped): the barriers then pair the wrong way round.
    ReaderLoadsTableFirst,
    /// The grower publishes `p_tidhash_sz` before `p_tidhash` (lines 417-428
    /// swapped).
    PublishSizeFirst,
    /// The grower does not re-check after re-taking `p_lock` (line 362
    /// dropped): it grows from a directory that someone else already grew.
    NoRelockRecheck,
    /// The creator that lost the race forgets its allocation instead of
    /// freeing it (lines 367-370 dropped).
    LoserLeaks,
    /// `lwp_hash_out` unlinks and frees the entry under `p_lock` only,
    /// without the bucket lock (lines 1982 and 1996 dropped): `p_lock` does
    /// not exclude `lwp_unpark()`.
    HashOutUnlocked,
    /// `lwp_unpark()` drops the bucket lock (`mutex_exit(mp)`) before it
    /// reads the entry `lwp_hash_lookup_and_lock` returned: nothing then
    /// keeps `lwp_hash_out` from freeing the entry under it.
    UnparkAfterUnlock,
}

impl crate::model::Variant for Variant {
    const ALL: &'static [Self] = &[
        Variant::Faithful,
        Variant::NoFirstProducerBarrier,
        Variant::NoSecondProducerBarrier,
        Variant::NoConsumerBarrier,
        Variant::SkipRecheck,
        Variant::FreeOldTable,
        Variant::NoOldBucketLocks,
        Variant::ReaderLoadsTableFirst,
        Variant::PublishSizeFirst,
        Variant::NoRelockRecheck,
        Variant::LoserLeaks,
        Variant::HashOutUnlocked,
        Variant::UnparkAfterUnlock,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Faithful => "faithful",
            Variant::NoFirstProducerBarrier => "no-first-producer-barrier",
            Variant::NoSecondProducerBarrier => "no-second-producer-barrier",
            Variant::NoConsumerBarrier => "no-consumer-barrier",
            Variant::SkipRecheck => "skip-recheck",
            Variant::FreeOldTable => "free-old-table",
            Variant::NoOldBucketLocks => "no-old-bucket-locks",
            Variant::ReaderLoadsTableFirst => "reader-loads-table-first",
            Variant::PublishSizeFirst => "publish-size-first",
            Variant::NoRelockRecheck => "no-relock-recheck",
            Variant::LoserLeaks => "loser-leaks",
            Variant::HashOutUnlocked => "hash-out-unlocked",
            Variant::UnparkAfterUnlock => "unpark-after-unlock",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Variant::Faithful => "lwp.c as written",
            Variant::NoFirstProducerBarrier => {
                "membar_producer() before publishing p_tidhash dropped (line 417)"
            }
            Variant::NoSecondProducerBarrier => {
                "membar_producer() before publishing p_tidhash_sz dropped (line 427)"
            }
            Variant::NoConsumerBarrier => {
                "membar_consumer() between reading the size and the table dropped (line 2039)"
            }
            Variant::SkipRecheck => {
                "lookup_and_lock does not re-check p_tidhash/p_tidhash_sz after locking the bucket"
            }
            Variant::FreeOldTable => {
                "the old tid hash is freed at growth instead of retired to p_ret_tidhash"
            }
            Variant::NoOldBucketLocks => "the grower locks only the new buckets, not the old ones",
            Variant::ReaderLoadsTableFirst => "lookup_and_lock reads p_tidhash before p_tidhash_sz",
            Variant::PublishSizeFirst => "the grower stores p_tidhash_sz before p_tidhash",
            Variant::NoRelockRecheck => {
                "the grower does not re-check the directory after re-taking p_lock"
            }
            Variant::LoserLeaks => {
                "the creator that lost the growth race does not free its allocation"
            }
            Variant::HashOutUnlocked => {
                "lwp_hash_out unlinks and frees the entry under p_lock without the bucket lock"
            }
            Variant::UnparkAfterUnlock => {
                "lwp_unpark reads the entry after mutex_exit(mp), the bucket lock the lookup returned"
            }
        }
    }
}

/// A raw pointer to memory owned by the process's [`Heap`]: valid until the
/// process is dropped, whatever the model says about it being "freed".
struct P<T>(*const T);

impl<T> Clone for P<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for P<T> {}
impl<T> PartialEq for P<T> {
    fn eq(&self, o: &Self) -> bool {
        std::ptr::eq(self.0, o.0)
    }
}
impl<T> fmt::Debug for P<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:p}", self.0)
    }
}

impl<T> P<T> {
    const NULL: P<T> = P(std::ptr::null());

    fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The pointee. A NULL pointer is reported as the kernel panic it
    /// would be, never dereferenced.
    #[track_caller]
    fn get<'a>(self) -> &'a T {
        if self.0.is_null() {
            violation(FailKind::Panic, "NULL pointer dereference (a kernel panic)");
        }
        // SAFETY: every non-NULL `P` points into a `Box` owned by the process heap,
        // which is dropped only with the `Proc`, after all scenario threads
        // are joined; "freed" memory is poisoned, not deallocated.
        unsafe { &*self.0 }
    }
}

// SAFETY: `P` is a pointer into heap memory that outlives every thread using
// it (see `get`); sharing it is sharing `&T` for `T: Sync`.
unsafe impl<T: Sync> Send for P<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for P<T> {}

/// `lwpent_t`: the directory entry of one LWP.
pub struct LwpEnt {
    mem: Alloc,
    /// `le_lwpid`, written before the entry is hashed in, then read-only.
    le_lwpid: UnsafeCell<usize>,
    /// `le_start`: stands for the entry's fields, written at creation under
    /// `p_lock`, read by lookups under the bucket lock.
    le_start: UnsafeCell<usize>,
}

impl LwpEnt {
    /// `le_lwpid`, read through a pointer to the entry.
    #[track_caller]
    fn lwpid(&self) -> usize {
        // SAFETY: written before the entry is hashed in (before any other
        // thread can reach it), then only read; a read of a freed entry
        // fails by itself (a field of `mem`).
        unsafe { self.le_lwpid.read() }
    }

    /// `le_start`, read through a pointer to the entry.
    #[track_caller]
    fn le_start(&self) -> usize {
        // SAFETY: written at creation and read only under a bucket lock the
        // entry hashes to; loom reports a race if the lock held is not the
        // entry's (the bugs this model seeds). `unpark-after-unlock` reads
        // it with no lock: it is never written again, so only its check of
        // the entry's memory can race (with `lwp_hash_out`'s free).
        unsafe { self.le_start.read() }
    }
}

/// `lwpdir_t`: one slot of the LWP directory. `ld_next` chains free slots
/// (under `p_lock`) or a hash bucket (under its `th_lock`).
struct LwpDir {
    ld_entry: UnsafeCell<P<LwpEnt>>,
    ld_next: UnsafeCell<P<LwpDir>>,
}

/// One `p_lwpdir` allocation.
struct DirBlock {
    mem: Alloc,
    ld: Box<[LwpDir]>,
}

/// `tidhash_t`: a bucket.
struct Bucket {
    th_lock: Mutex<()>,
    th_list: UnsafeCell<P<LwpDir>>,
}

/// One `p_tidhash` allocation.
pub struct TidHash {
    mem: Alloc,
    th: Box<[Bucket]>,
}

/// Everything the process ever allocated, freed (really) only when the
/// process is dropped. A plain std mutex: it is held only for a push, never
/// across a facade operation, so it adds nothing to the explored state.
// Boxed so every allocation keeps its address while the vectors grow:
// readers hold raw pointers to them.
#[allow(clippy::vec_box)]
#[derive(Default)]
struct Heap {
    tables: std::sync::Mutex<Vec<Box<TidHash>>>,
    dirs: std::sync::Mutex<Vec<Box<DirBlock>>>,
    ents: std::sync::Mutex<Vec<Box<LwpEnt>>>,
}

/// Keep `b` until the heap is dropped.
#[allow(clippy::vec_box)]
fn keep<T>(list: &std::sync::Mutex<Vec<Box<T>>>, b: Box<T>) {
    list.lock().unwrap_or_else(|e| e.into_inner()).push(b);
}

impl Heap {
    /// `kmem_zalloc` of a tid hash of `n` buckets.
    fn tidhash(&self, n: usize) -> P<TidHash> {
        let mem = Alloc::new(format!("tid hash of {n} buckets"));
        let t = Box::new(TidHash {
            th: (0..n)
                .map(|_| Bucket {
                    // x86 release: a plain store. illumos `mutex_exit` (adaptive) is
                    // `movq $0, (%rdi)` in a restartable critical section, and a
                    // spin mutex's `mutex_vector_exit` ends in `lock_clear_splx`,
                    // `movb $0, (%rdi)` (usr/src/uts/intel/ml/lock_prim.S,
                    // illumos-gate 5d9d9091f564).
                    th_lock: Mutex::with_unlock((), Unlock::PlainStore),
                    th_list: mem.cell(P::NULL),
                })
                .collect(),
            mem,
        });
        let p = P(&*t as *const TidHash);
        sync::label_ptr(p.0, format!("tidhash[{n}]"));
        t.mem.zero(format!("tidhash[{n}] memory"));
        for (i, b) in t.th.iter().enumerate() {
            sync::label(&b.th_lock, format!("tidhash[{n}].th_lock[{i}]"));
            sync::label(&b.th_list, format!("tidhash[{n}].th_list[{i}]"));
        }
        keep(&self.tables, t);
        p
    }

    /// `kmem_zalloc` of a directory of `n` slots, chained as a free list
    /// (lines 351-353).
    fn lwpdir(&self, n: usize) -> P<DirBlock> {
        let mem = Alloc::new(format!("lwp directory of {n} slots"));
        let d = Box::new(DirBlock {
            ld: (0..n)
                .map(|_| LwpDir {
                    ld_entry: mem.cell(P::NULL),
                    ld_next: mem.cell(P::NULL),
                })
                .collect(),
            mem,
        });
        d.mem.zero(format!("lwpdir[{n}] memory"));
        for (i, slot) in d.ld.iter().enumerate() {
            sync::label(&slot.ld_entry, format!("lwpdir[{n}][{i}].ld_entry"));
            sync::label(&slot.ld_next, format!("lwpdir[{n}][{i}].ld_next"));
        }
        for i in 0..n.saturating_sub(1) {
            let next = P(&d.ld[i + 1] as *const LwpDir);
            // SAFETY: the directory is not shared yet.
            unsafe { d.ld[i].ld_next.write(next) };
        }
        let p = P(&*d as *const DirBlock);
        keep(&self.dirs, d);
        p
    }

    /// `kmem_zalloc` of an `lwpent_t` (line 284), filled in as at lines
    /// 716-718.
    fn lwpent(&self, tid: usize) -> P<LwpEnt> {
        let mem = Alloc::new(format!("lwpent of tid {tid}"));
        let e = Box::new(LwpEnt {
            le_lwpid: mem.cell(tid),
            le_start: mem.cell(0),
            mem,
        });
        e.mem.zero(format!("lwpent[{tid}] memory"));
        sync::label(&e.le_lwpid, format!("lwpent[{tid}].le_lwpid"));
        sync::label(&e.le_start, format!("lwpent[{tid}].le_start"));
        // SAFETY: not shared yet.
        unsafe { e.le_start.write(le_start_of(tid)) };
        let p = P(&*e as *const LwpEnt);
        keep(&self.ents, e);
        p
    }
}

/// The `le_start` a scenario expects for `tid`.
pub fn le_start_of(tid: usize) -> usize {
    1000 + tid
}

/// `TIDHASH(tid, hash_sz)`, line 68.
fn tidhash_index(tid: usize, hash_sz: usize) -> usize {
    tid & (hash_sz - 1)
}

/// What `p_lock` protects (the parts of `proc_t` the protocol uses).
struct ProcLocked {
    p_lwpdir: P<DirBlock>,
    p_lwpdir_sz: usize,
    p_lwpfree: P<LwpDir>,
    /// The writer's copy of `p_tidhash` / `p_tidhash_sz`. The kernel reads
    /// them under `p_lock` (lines 379-380, 1977, 2016), where no one else
    /// writes them; reading this copy instead of re-loading the atomics is
    /// the same value, and keeps loom out of its #392 hole.
    p_tidhash: P<TidHash>,
    p_tidhash_sz: usize,
    /// Every table allocated, for the leak check at exit.
    tables: Vec<P<TidHash>>,
    /// Growths completed (a statistic the scenarios check).
    growths: usize,
}

/// How a replaced tid hash is reclaimed. The port calls these hooks at
/// exactly the kernel's points, and each implementation says what happens
/// there: the kernel's, [`RetiredList`] (below), keeps old tables on
/// `p_ret_tidhash`; the alternative, `epoch::Epoch`, defers their free to
/// crossbeam-epoch and pins lookups.
///
/// Why hooks and not a branch in the port: the port must read beside
/// `lwp.c` line for line, and a second reclamation woven into it (a
/// `match` at the retire point, another in the lookup) hid the kernel's
/// code behind the alternative's. A hook keeps the kernel's point visible
/// (its line numbers are at the call) and the alternative in its own file.
/// A type parameter rather than a `dyn`: the kernel's hooks compile to
/// nothing, and the epoch's pin (a crossbeam `Guard`) travels in [`Found`]
/// unboxed. The calls perform the same facade operations, in the same
/// order, as the former branches did, so no verdict changed.
pub trait Reclaim: Send + Sync + Sized + 'static {
    /// What a lock-free lookup holds from before it reads `p_tidhash`
    /// until it releases the bucket lock.
    type Pin;
    /// `lwp_hash_lookup_and_lock`, before line 2038.
    fn pin(&self) -> Self::Pin;
    /// Lines 402-410: the old table is rehashed, `p_lock` and every bucket
    /// lock are held, the new table is not yet published.
    fn retire(&self, old: &TidHash);
    /// Lines 433-443: the bucket locks are released, `p_tidhash` names the
    /// new table, so no lookup starting now can reach `old`.
    fn unlinked(&self, old: &TidHash);
    /// At exit: `t` was handed to this reclamation (so it is no leak).
    fn holds(&self, t: &TidHash) -> bool;
    /// Tables kept until exit (for [`Shape`]).
    fn retired(&self) -> usize;
    /// Process exit or exec, `p_lock` held, every thread joined: free what
    /// is still kept.
    fn exit(&self);
}

/// The kernel's reclamation: `p_ret_tidhash`, the list of retired tables,
/// freed at exit or exec. In `proc_t` under `p_lock`; every hook that
/// touches it runs with `p_lock` held, so the plain std mutex here is never
/// contended and adds nothing to the explored state (as `Heap`'s).
#[derive(Default)]
pub struct RetiredList {
    p_ret_tidhash: std::sync::Mutex<Vec<P<TidHash>>>,
}

impl RetiredList {
    fn list(&self) -> std::sync::MutexGuard<'_, Vec<P<TidHash>>> {
        self.p_ret_tidhash.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Reclaim for RetiredList {
    /// Nothing: a retired table stays allocated, so a lookup that read the
    /// old `p_tidhash` can still lock its bucket and re-check.
    type Pin = ();

    fn pin(&self) {}

    /// Lines 407-410: `ret_tidhash->rth_tidhash = old_hash; ...;
    /// p->p_ret_tidhash = ret_tidhash`.
    fn retire(&self, old: &TidHash) {
        self.list().push(P(old));
    }

    /// Lines 441-443: `old_hash = NULL`, so that lines 780-785 do not free
    /// it.
    fn unlinked(&self, _: &TidHash) {}

    fn holds(&self, t: &TidHash) -> bool {
        self.list().contains(&P(t))
    }

    fn retired(&self) -> usize {
        self.list().len()
    }

    /// Process exit or exec: the retired tables are freed.
    fn exit(&self) {
        for t in std::mem::take(&mut *self.list()) {
            t.get().mem.free();
        }
    }
}

/// A process: `p_lock`, the directory, the tid hash; `R` reclaims replaced
/// tables (the kernel's [`RetiredList`] unless said otherwise).
pub struct Proc<R: Reclaim = RetiredList> {
    variant: Variant,
    reclaim: R,
    p_lock: Mutex<ProcLocked>,
    /// `p_tidhash`: read without `p_lock` by `lwp_hash_lookup_and_lock`.
    p_tidhash: AtomicPtr<TidHash>,
    /// `p_tidhash_sz`: likewise.
    p_tidhash_sz: AtomicUsize,
    heap: Heap,
}

/// A successful `lwp_hash_lookup_and_lock`: the entry, with its bucket lock
/// held until [`Found::unlock`] (the kernel returns `*mpp` locked).
pub struct Found<'a, R: Reclaim = RetiredList> {
    // Field order is drop order: the bucket lock is released before the
    // reclamation's pin, as in `unlock`.
    guard: MutexGuard<'a, ()>,
    lep: &'a LwpEnt,
    _pin: R::Pin,
}

impl<R: Reclaim> Found<'_, R> {
    /// `le_lwpid` of the entry found.
    pub fn lwpid(&self) -> usize {
        self.lep.lwpid()
    }

    /// `le_start`, read under the bucket lock.
    #[track_caller]
    pub fn le_start(&self) -> usize {
        self.lep.le_start()
    }

    /// `mutex_exit(*mpp)`.
    #[track_caller]
    pub fn unlock(self) {
        self.guard.unlock();
    }
}

/// What a process looks like after its threads are joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// `p_lwpdir_sz`.
    pub dir_size: usize,
    /// `p_tidhash_sz`.
    pub hash_size: usize,
    /// Tables on `p_ret_tidhash`.
    pub retired: usize,
    /// Growths done.
    pub growths: usize,
}

impl Proc {
    /// A process as `exec_common()` leaves it: a directory of 2 free slots
    /// and a tid hash of 2 buckets, published before any other thread runs.
    pub fn new(variant: Variant) -> Self {
        Self::with_reclaim(variant, RetiredList::default())
    }
}

impl<R: Reclaim> Proc<R> {
    /// A process reclaiming replaced tables with `reclaim` (the kernel's
    /// code otherwise; see `epoch.rs` for the alternative).
    fn with_reclaim(variant: Variant, reclaim: R) -> Self {
        let heap = Heap::default();
        let dir = heap.lwpdir(2);
        let hash = heap.tidhash(2);
        let p = Proc {
            variant,
            reclaim,
            // x86 release: a plain store (illumos `mutex_exit`, see th_lock).
            p_lock: Mutex::with_unlock(
                ProcLocked {
                    p_lwpdir: dir,
                    p_lwpdir_sz: 2,
                    p_lwpfree: P(&dir.get().ld[0] as *const LwpDir),
                    p_tidhash: hash,
                    p_tidhash_sz: 2,
                    tables: vec![hash],
                    growths: 0,
                },
                Unlock::PlainStore,
            ),
            p_tidhash: AtomicPtr::new(hash.0 as *mut TidHash),
            p_tidhash_sz: AtomicUsize::new(2),
            heap,
        };
        p.label();
        p
    }

    /// Name the process's objects in traces (call again in each execution
    /// after moving the process into an `Arc`).
    pub fn label(&self) {
        sync::label(&self.p_lock, "p_lock");
        sync::label(&self.p_tidhash, "p_tidhash");
        sync::label(&self.p_tidhash_sz, "p_tidhash_sz");
    }

    /// The variant this process runs.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// `lwp_create()`'s directory part (lines 284-445 and 716-720): allocate
    /// the `lwpent_t`, grow the directory and tid hash if no slot is free,
    /// then hash the new LWP in.
    pub fn lwp_create(&self, tid: usize) {
        let v = self.variant;
        // line 284: allocated before p_lock, filled in at 716-718.
        let lep = self.heap.lwpent(tid);
        // Memory a lap of the loop prepared but did not use (old_dir /
        // old_hash in the source), freed at the next lap or at the end.
        let mut spare: Option<(P<DirBlock>, P<TidHash>)> = None;
        let mut old_dir: Option<P<DirBlock>> = None;

        let mut pl = self.p_lock.lock(); // line 286
        while pl.p_lwpfree.is_null() {
            // line 328
            let dirsz = pl.p_lwpdir_sz;
            pl.unlock(); // line 336

            // lines 345-348: free what the previous lap did not use.
            if let Some((d, h)) = spare.take() {
                d.get().mem.free();
                h.get().mem.free();
            }
            if let Some(d) = old_dir.take() {
                d.get().mem.free();
            }
            // lines 350-356: allocate outside p_lock.
            let new_dirsz = 2 * dirsz + 2;
            let new_dir = self.heap.lwpdir(new_dirsz);
            let new_hashsz = (new_dirsz + 2) / 2;
            let new_hash = self.heap.tidhash(new_hashsz);

            pl = self.p_lock.lock(); // line 358
            pl.tables.push(new_hash);

            let beaten = dirsz != pl.p_lwpdir_sz || !pl.p_lwpfree.is_null();
            if beaten && v != Variant::NoRelockRecheck {
                // lines 362-370: someone else beat us to it; free our memory
                // at the next lap (or below), take a lap.
                sync::note("lwp_create: someone else grew the directory; take a lap");
                if v == Variant::LoserLeaks {
                    // The bug: the allocation is forgotten, never freed.
                } else {
                    spare = Some((new_dir, new_hash));
                }
                continue;
            }
            self.grow(
                &mut pl,
                new_dir,
                new_dirsz,
                new_hash,
                new_hashsz,
                &mut old_dir,
            );
        }

        // lines 716-720: lwp_hash_in(p, lep, p->p_tidhash, p->p_tidhash_sz, 1)
        let (hash, hash_sz) = (pl.p_tidhash, pl.p_tidhash_sz);
        lwp_hash_in(&mut pl, lep, hash, hash_sz, true);
        pl.unlock();

        // lines 780-785: free the previous directory and anything unused.
        if let Some(d) = old_dir {
            d.get().mem.free();
        }
        if let Some((d, h)) = spare {
            d.get().mem.free();
            h.get().mem.free();
        }
    }

    /// The body of the growth (lines 371-444), `p_lock` held.
    fn grow(
        &self,
        pl: &mut MutexGuard<'_, ProcLocked>,
        new_dir: P<DirBlock>,
        new_dirsz: usize,
        new_hash: P<TidHash>,
        new_hashsz: usize,
        old_dir_out: &mut Option<P<DirBlock>>,
    ) {
        let v = self.variant;
        // lines 379-384: take every old bucket lock and the matching new one.
        let old_hash = pl.p_tidhash;
        let old_hashsz = pl.p_tidhash_sz;
        let mut held = Vec::with_capacity(2 * old_hashsz);
        // The bucket locks are facade mutexes, which do not check the
        // table's memory as its fields do: the touch stands for their use.
        old_hash.get().mem.touch("lwp_create");
        for i in 0..old_hashsz {
            if v != Variant::NoOldBucketLocks {
                held.push(old_hash.get().th[i].th_lock.lock());
            }
            held.push(new_hash.get().th[i].th_lock.lock());
        }

        // lines 393-400: hash in every old directory entry; the old
        // directory has no free slots.
        let old_dir = pl.p_lwpdir;
        let old_dirsz = pl.p_lwpdir_sz;
        pl.p_lwpdir = new_dir;
        pl.p_lwpfree = P(&new_dir.get().ld[0] as *const LwpDir);
        pl.p_lwpdir_sz = new_dirsz;
        for i in 0..old_dirsz {
            let ldp = &old_dir.get().ld[i];
            // SAFETY: directory slots' ld_entry is written under p_lock
            // (held) or under the bucket lock the slot hashes to (held for
            // every old bucket).
            let lep = unsafe { ldp.ld_entry.read() };
            crate::prop!(
                !lep.is_null(),
                "lwp_create: old directory slot {i} of {old_dirsz} is free while rehashing (NULL lwpent: the directory was grown twice)"
            );
            lwp_hash_in(pl, lep, new_hash, new_hashsz, false);
        }

        // lines 402-410: remember the old table along with the previously
        // remembered ones, freed at process exit or exec (Reclaim::retire:
        // p_ret_tidhash for the kernel's RetiredList).
        if v != Variant::FreeOldTable {
            self.reclaim.retire(old_hash.get());
        }

        if v == Variant::PublishSizeFirst {
            membar_producer();
            self.p_tidhash_sz.store(new_hashsz, Relaxed);
            membar_producer();
            self.p_tidhash.store(new_hash.0 as *mut TidHash, Relaxed);
        } else {
            // line 417: membar_producer() -- publishes the new table's
            // contents (its zeroed memory, the chains just built) before the
            // pointer. Pairs with the reader's dependent load of p_tidhash.
            if v != Variant::NoFirstProducerBarrier {
                membar_producer();
            }
            // line 418: p->p_tidhash = new_hash (a plain store).
            self.p_tidhash.store(new_hash.0 as *mut TidHash, Relaxed);
            // line 427: membar_producer() -- p_tidhash reaches global
            // visibility before p_tidhash_sz. Pairs with the reader's
            // membar_consumer() between its load of the size and the table.
            if v != Variant::NoSecondProducerBarrier {
                membar_producer();
            }
            // line 428: p->p_tidhash_sz = new_hashsz (a plain store).
            self.p_tidhash_sz.store(new_hashsz, Relaxed);
        }
        pl.p_tidhash = new_hash;
        pl.p_tidhash_sz = new_hashsz;
        pl.growths += 1;
        sync::note(format!(
            "lwp_create: tid hash grown from {old_hashsz} to {new_hashsz} buckets"
        ));

        // lines 433-436: release the locks; lwp_unpark() carries on.
        for g in held {
            g.unlock();
        }
        // lines 441-443: old_hash = NULL, "avoid freeing these objects
        // below" (Reclaim::unlinked: nothing for the kernel's RetiredList).
        self.reclaim.unlinked(old_hash.get());
        if v == Variant::FreeOldTable {
            // The bug: the old table is freed while a reader may still be
            // on its way to one of its bucket locks.
            old_hash.get().mem.free();
        }
        // line 780: the old directory is freed once p_lock is dropped.
        *old_dir_out = Some(old_dir);
    }

    /// `lwp_hash_out()` (lines 1974-1997), as `lwp_exit()` calls it for a
    /// detached LWP (lines 943-951): `p_lock` held, the bucket locked,
    /// the entry unlinked, its slot put back on the free list, the
    /// `lwpent_t` freed.
    pub fn lwp_exit_detached(&self, lwpid: usize) {
        let mut pl = self.p_lock.lock();
        let (hash, hash_sz) = (pl.p_tidhash, pl.p_tidhash_sz);
        let thp = &hash.get().th[tidhash_index(lwpid, hash_sz)];
        // line 1982: mutex_enter(&thp->th_lock)
        let g = (self.variant != Variant::HashOutUnlocked).then(|| thp.th_lock.lock());
        // SAFETY: th_list and the chained slots' fields are
        // protected by th_lock, held; the free list by p_lock, held.
        unsafe {
            let mut prev: Option<&LwpDir> = None;
            let mut ldp = thp.th_list.read();
            while !ldp.is_null() {
                let d = ldp.get();
                let lep = d.ld_entry.read();
                if lep.get().lwpid() == lwpid {
                    let next = d.ld_next.read();
                    match prev {
                        None => thp.th_list.write(next),
                        Some(p) => p.ld_next.write(next),
                    }
                    d.ld_entry.write(P::NULL);
                    d.ld_next.write(pl.p_lwpfree);
                    pl.p_lwpfree = ldp;
                    lep.get().mem.free(); // line 1992: kmem_free(lep)
                    break;
                }
                prev = Some(d);
                ldp = d.ld_next.read();
            }
        }
        if let Some(g) = g {
            g.unlock(); // line 1996
        }
        pl.unlock();
    }

    /// `lwp_hash_lookup()` (lines 2002-2023): `p_lock` held by the caller,
    /// so it reads the table and size as `p_lock` protects them.
    pub fn lwp_hash_lookup(&self, lwpid: usize) -> Option<usize> {
        let pl = self.p_lock.lock();
        let (hash, hash_sz) = (pl.p_tidhash, pl.p_tidhash_sz);
        let thp = &hash.get().th[tidhash_index(lwpid, hash_sz)];
        // SAFETY: the chains change only with p_lock held (growth, hash in,
        // hash out), so walking them under p_lock alone is what the kernel
        // does; p_lock is held.
        let found = unsafe { walk(thp, lwpid, "lwp_hash_lookup") }.map(|lep| lep.get().lwpid());
        pl.unlock();
        found
    }

    /// `lwp_hash_lookup_and_lock()` (lines 2029-2065): without `p_lock`.
    /// On success the bucket lock is held by the returned [`Found`].
    pub fn lwp_hash_lookup_and_lock(&self, lwpid: usize) -> Option<Found<'_, R>> {
        // Reclaim::pin: nothing for the kernel's RetiredList; the epoch
        // alternative pins from before the table is read until the bucket
        // lock is released (the pin travels in `Found`).
        let pin = self.reclaim.pin();
        self.lookup_and_lock(lwpid, pin)
    }

    /// The body of [`Proc::lwp_hash_lookup_and_lock`], holding `pin`.
    fn lookup_and_lock(&self, lwpid: usize, pin: R::Pin) -> Option<Found<'_, R>> {
        let v = self.variant;
        loop {
            // top:
            let (tidhash_sz, tidhash) = if v == Variant::ReaderLoadsTableFirst {
                let t = self.p_tidhash.load(Acquire);
                membar_consumer();
                (self.p_tidhash_sz.load(Relaxed), t)
            } else {
                // line 2038: tidhash_sz = p->p_tidhash_sz (a plain load).
                let sz = self.p_tidhash_sz.load(Relaxed);
                // line 2039: membar_consumer() -- the size is read before
                // the table. Pairs with the grower's second
                // membar_producer(): a reader that sees the new size sees
                // the new table.
                if v != Variant::NoConsumerBarrier {
                    membar_consumer();
                }
                // line 2040: tidhash = p->p_tidhash. The kernel relies on
                // the address dependency from this load to the bucket it
                // indexes (every CPU but Alpha orders it). C11 has no usable
                // consume, so it is modeled as Acquire. Pairs with the
                // grower's first membar_producer().
                (sz, self.p_tidhash.load(Acquire))
            };
            let tidhash = P(tidhash as *const TidHash);
            if tidhash.is_null() {
                return None;
            }
            let table = tidhash.get();
            // The use of the table's bucket lock (a facade mutex, which
            // does not check the table's memory as its fields do).
            table.mem.touch("lwp_hash_lookup_and_lock");
            // line 2043: thp = &tidhash[TIDHASH(lwpid, tidhash_sz)]; an
            // index past the table is the "invalid data" of the comment at
            // line 421 (here: index out of bounds).
            let thp = &table.th[tidhash_index(lwpid, tidhash_sz)];
            let g = thp.th_lock.lock(); // line 2044

            // lines 2051-2054: the table may have changed; start over.
            // Plain loads: with the bucket lock held, a grower that replaced
            // the table released this lock after publishing.
            if v != Variant::SkipRecheck
                && (!std::ptr::eq(tidhash.0, self.p_tidhash.load(Relaxed))
                    || tidhash_sz != self.p_tidhash_sz.load(Relaxed))
            {
                // mutex_exit(&thp->th_lock): as at the lock, a use of the
                // table that is no field access.
                table.mem.touch("lwp_hash_lookup_and_lock");
                g.unlock();
                sync::note("lwp_hash_lookup_and_lock: table changed, retry");
                continue;
            }

            // lines 2056-2064.
            // SAFETY: th_lock held; that it is the right lock is what the
            // re-check guarantees and what loom checks.
            return match unsafe { walk(thp, lwpid, "lwp_hash_lookup_and_lock") } {
                Some(lep) => Some(Found {
                    guard: g,
                    lep: lep.get(),
                    _pin: pin,
                }),
                None => {
                    g.unlock();
                    None
                }
            };
        }
    }

    /// `lwp_unpark()`'s use of the directory (`lwp_sobj.c`, not in the
    /// seeds): `lwp_hash_lookup_and_lock`, read the entry with its bucket
    /// lock held, `mutex_exit(mp)`. Returns `le_lwpid` and `le_start`.
    pub fn lwp_unpark(&self, lwpid: usize) -> Option<(usize, usize)> {
        let f = self.lwp_hash_lookup_and_lock(lwpid)?;
        if self.variant == Variant::UnparkAfterUnlock {
            // The bug: mutex_exit(mp) first, then the entry is read, while
            // lwp_hash_out may take the bucket lock and free it.
            let lep = f.lep;
            f.unlock();
            return Some((lep.lwpid(), lep.le_start()));
        }
        let found = (f.lwpid(), f.le_start());
        f.unlock(); // mutex_exit(mp)
        Some(found)
    }

    /// After every thread is joined: the process's shape.
    pub fn shape(&self) -> Shape {
        let pl = self.p_lock.lock();
        Shape {
            dir_size: pl.p_lwpdir_sz,
            hash_size: pl.p_tidhash_sz,
            retired: self.reclaim.retired(),
            growths: pl.growths,
        }
    }

    /// Process exit (after every thread is joined): every table ever
    /// allocated must be the current one, handed to the reclamation
    /// (retired on `p_ret_tidhash`), or freed; anything else leaked. Then
    /// the retired tables are freed.
    pub fn exit_check_leaks(&self) {
        let pl = self.p_lock.lock();
        let current = pl.p_tidhash;
        for t in &pl.tables {
            let table = t.get();
            let accounted = *t == current || self.reclaim.holds(table);
            if !accounted && !table.mem.is_freed() {
                violation(
                    FailKind::Leak,
                    format_args!(
                        "{} was neither published, retired nor freed",
                        table.mem.what()
                    ),
                );
            }
        }
        self.reclaim.exit();
        pl.unlock();
    }
}

/// The bucket walk of lines 2017-2020 / 2056-2061.
///
/// # Safety
///
/// The caller holds `thp.th_lock`.
unsafe fn walk(thp: &Bucket, lwpid: usize, user: &str) -> Option<P<LwpEnt>> {
    // SAFETY: the caller holds th_lock, which protects th_list and the
    // chained slots.
    let mut ldp = unsafe { thp.th_list.read() };
    while !ldp.is_null() {
        let d = ldp.get();
        // SAFETY: as above.
        let lep = unsafe { d.ld_entry.read() };
        if lep.is_null() {
            // A slot on the free list: the chain was unlinked under the
            // walker (the kernel would dereference NULL here).
            violation(
                FailKind::UseAfterFree,
                format_args!(
                    "{user} walked onto a free directory slot: its chain was unlinked under it"
                ),
            );
        }
        if lep.get().lwpid() == lwpid {
            return Some(lep);
        }
        // SAFETY: as above.
        ldp = unsafe { d.ld_next.read() };
    }
    None
}

/// `lwp_hash_in()` (lines 1928-1966): take a free directory slot (`p_lock`
/// held), point it at `lep`, and push it on its bucket's chain (locking the
/// bucket if `do_lock`; during growth the grower already holds it).
fn lwp_hash_in(
    pl: &mut ProcLocked,
    lep: P<LwpEnt>,
    tidhash: P<TidHash>,
    tidhash_sz: usize,
    do_lock: bool,
) {
    let lwpid = lep.get().lwpid();
    let thp = &tidhash.get().th[tidhash_index(lwpid, tidhash_sz)];
    let ldp = pl.p_lwpfree;
    let d = ldp.get();
    // SAFETY: a free slot belongs to p_lock (held) until it is pushed on a
    // chain; th_list and ld_next of chained slots belong to th_lock, held
    // here (do_lock) or by the grower.
    unsafe {
        pl.p_lwpfree = d.ld_next.read();
        d.ld_entry.write(lep);
        let g = do_lock.then(|| thp.th_lock.lock());
        d.ld_next.write(thp.th_list.read());
        thp.th_list.write(ldp);
        if let Some(g) = g {
            g.unlock();
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    #[test]
    fn grows_2_6_14_and_2_4_8() {
        let p = Proc::new(Variant::Faithful);
        let mut sizes = vec![];
        for tid in 1..=7 {
            p.lwp_create(tid);
            let s = p.shape();
            sizes.push((s.dir_size, s.hash_size));
        }
        assert_eq!(
            sizes,
            [(2, 2), (2, 2), (6, 4), (6, 4), (6, 4), (6, 4), (14, 8)]
        );
        assert_eq!(p.shape().retired, 2);
        for tid in 1..=7 {
            assert_eq!(p.lwp_hash_lookup(tid), Some(tid));
            let f = p.lwp_hash_lookup_and_lock(tid).expect("found");
            assert_eq!((f.lwpid(), f.le_start()), (tid, le_start_of(tid)));
            f.unlock();
        }
        assert!(p.lwp_hash_lookup_and_lock(8).is_none());
        p.exit_check_leaks();
    }

    #[test]
    fn exit_frees_the_slot_for_reuse() {
        let p = Proc::new(Variant::Faithful);
        p.lwp_create(1);
        p.lwp_create(2);
        p.lwp_exit_detached(1);
        assert_eq!(p.lwp_hash_lookup(1), None);
        p.lwp_create(3);
        assert_eq!(p.shape().dir_size, 2, "the freed slot is reused, no growth");
        assert_eq!(p.lwp_hash_lookup(3), Some(3));
        assert_eq!(p.lwp_hash_lookup(2), Some(2));
    }

    #[test]
    fn faithful_scenarios_pass_on_real_threads() {
        crate::model::smoke_std::<scenarios::Tidhash>(200);
    }
}
