//! Scenarios over the illumos tid hash and their expectation table.
//!
//! Every racing role runs in a spawned thread; the main thread sets the
//! process up, joins, and checks the end state (see the README on loom's
//! #392 hole).

use crate::explore::{FailKind::*, Schedule};
use crate::model::{fail, fail_any, miss, pass, Expectation, Model, Scenario};
use crate::sync::{thread, Arc, MemoryModel, Profile};

use super::{le_start_of, Proc, Reclaim, Variant, Variant::*};

/// The illumos tid hash model.
pub struct Tidhash;

impl Model for Tidhash {
    const NAME: &'static str = "tidhash";
    type V = Variant;
    const BIGGER: Option<crate::model::Bigger> = Some(crate::model::Bigger {
        scenario: "grow_vs_two_readers",
        variant: "faithful",
        why: "a third thread: grow_vs_lookup with a second lwp_unpark caller",
    });
    const GRAPH_SKIP: &'static [(&'static str, &'static str)] = &[];

    fn scenarios() -> Vec<Scenario<Variant>> {
        vec![
            Scenario {
                name: "grow_vs_lookup",
                about: "tids 1 and 2 fill the directory; a creator adds tid 3, growing the hash from 2 to 4 buckets, while lwp_unpark looks up tid 2 (which hashes past the old table under the new size)",
                run: grow_vs_lookup,
                loom_bounds: Default::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: Schedule::Pct {
                    iterations: 2000,
                    depth: 3,
                    seed: 1,
                },
                expect_loom: expect_growth_loom,
                expect_shuttle: expect_growth_shuttle,
                expect_dpor: expect_growth_dpor,
            },
            Scenario {
                name: "two_growths",
                about: "one creator grows the hash 2 -> 4 -> 8 (creating tids 3 to 7) while two lookups of tids 1 and 2 run; a lookup may retry more than once",
                run: two_growths,
                loom_bounds: crate::explore::Bounds {
                    preemptions: Some(2),
                    branches: None,
                },
                bound_reason: "three threads and ~40 lock operations in the creator: unbounded, loom ran 619,847 executions in its 120 s budget without finishing; with 2 preemptions, 40,756 executions (about 7 s) and every seeded bug is still caught",
                loom_orders: crate::explore::SpawnOrders::Declared(
                    "each of the six orders of a passing cell takes 36,055-40,788 executions at 2 preemptions (faithful, measured 2026-12-02: 314 s for the six under load, ~40 s each on quiet cores), every variant's orders agreeing; six would take a check far past 60 s. The DPOR cells explore every interleaving of it, unbounded",
                ),
                shuttle: Schedule::Pct {
                    iterations: 2000,
                    depth: 3,
                    seed: 2,
                },
                expect_loom: expect_growth_loom,
                expect_shuttle: expect_growth_shuttle,
                expect_dpor: expect_growth_dpor,
            },
            Scenario {
                name: "grow_vs_two_readers",
                about: "tids 1 and 2 fill the directory; a creator adds tid 3, growing the hash from 2 to 4 buckets, while two lwp_unpark callers look up tid 1 (which stays in bucket 1) and tid 2 (which moves past the old table)",
                run: grow_vs_two_readers,
                loom_bounds: crate::explore::Bounds {
                    preemptions: Some(2),
                    branches: None,
                },
                bound_reason: "three threads: unbounded, loom did not finish in 60 s (202,497 executions, the declared order; `compare --bigger`, docs/bigger.md); with 2 preemptions 2,344 executions per spawn order, 1.4 s for the six (3 preemptions: 15,877, 9.4 s; measured 2026-12-07), and every seeded bug grow_vs_lookup shows still fails",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: Schedule::Pct {
                    iterations: 2000,
                    depth: 3,
                    seed: 5,
                },
                expect_loom: expect_growth_loom,
                expect_shuttle: expect_growth_shuttle,
                expect_dpor: expect_growth_dpor,
            },
            Scenario {
                name: "exit_vs_lookup",
                about: "tids 1 to 5 (1 and 5 share bucket 1 of 4); tid 1 exits (lwp_hash_out) while one lookup looks for tid 1 and another for its neighbour tid 5",
                run: exit_vs_lookup,
                loom_bounds: Default::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Rotations(
                    "all six orders of every variant agreed, the faithful cell's in exactly 6,225 executions each (measured 2026-12-02); the three rotations (each role first once) halve the scenario's 78 runs of 13 variants",
                ),
                shuttle: Schedule::Pct {
                    iterations: 2000,
                    depth: 3,
                    seed: 3,
                },
                expect_loom: expect_exit_loom,
                expect_shuttle: expect_exit_shuttle,
                expect_dpor: expect_exit_dpor,
            },
            Scenario {
                name: "racing_creators",
                about: "tids 1 and 2 fill the directory; two creators add tids 3 and 4 at once: both allocate, one grows, the other finds it beaten, frees its allocation and takes a lap",
                run: racing_creators,
                loom_bounds: Default::default(),
                bound_reason: "",
                loom_orders: crate::explore::SpawnOrders::Every,
                shuttle: Schedule::Pct {
                    iterations: 2000,
                    depth: 3,
                    seed: 4,
                },
                expect_loom: expect_creators_loom,
                expect_shuttle: expect_creators_shuttle,
                expect_dpor: expect_creators_dpor,
            },
        ]
    }
}

/// `p` with `tids` created, in an `Arc` for the scenario's threads.
fn setup<R: Reclaim>(p: Proc<R>, tids: std::ops::RangeInclusive<usize>) -> Arc<Proc<R>> {
    for tid in tids {
        p.lwp_create(tid);
    }
    let p = Arc::new(p);
    p.label();
    p
}

/// `lwp_unpark()`'s lookup of a tid that exists throughout: it must be
/// found, be the entry for that tid, and its fields must read race-free.
fn unpark<R: Reclaim>(p: &Proc<R>, tid: usize, context: &str) {
    match p.lwp_unpark(tid) {
        None => crate::prop!(false, "tid {tid} not found {context}"),
        Some((id, start)) => {
            crate::prop!(
                id == tid,
                "lookup of tid {tid} {context} returned the entry of tid {id}"
            );
            crate::prop!(
                start == le_start_of(tid),
                "tid {tid}'s le_start reads {start}, not {} {context}",
                le_start_of(tid)
            );
        }
    }
}

/// After a race with growths: the table has `(hash_size, growths)` as
/// `what` says, every tid in `1..=last` is found (`context`), and nothing
/// leaked.
fn grown<R: Reclaim>(p: &Proc<R>, want: (usize, usize), what: &str, last: usize, context: &str) {
    let s = p.shape();
    crate::prop!(
        (s.hash_size, s.growths) == want,
        "expected {what}, got {s:?}"
    );
    for tid in 1..=last {
        unpark(p, tid, context);
    }
    p.exit_check_leaks();
}

fn join(hs: Vec<thread::JoinHandle<()>>) {
    for h in hs {
        if let Err(e) = h.join() {
            std::panic::resume_unwind(e);
        }
    }
}

fn grow_vs_lookup(v: Variant) {
    grow_vs_lookup_in(Proc::new(v));
}

/// The body of `grow_vs_lookup`, for a process of any variant or reclamation.
pub(super) fn grow_vs_lookup_in<R: Reclaim>(p: Proc<R>) {
    let p = setup(p, 1..=2);
    let (c, r) = (p.clone(), p.clone());
    // The racing roles as one group, so the loom runner can spawn them in
    // either order (docs/loom.md); as declared, the creator first.
    join(thread::roles(|g| {
        vec![
            g.spawn_named("creator", move || c.lwp_create(3)),
            g.spawn_named("reader", move || {
                unpark(&r, 2, "during growth from 2 to 4 buckets")
            }),
        ]
    }));
    grown(
        &p,
        (4, 1),
        "one growth to 4 buckets",
        3,
        "after growth from 2 to 4 buckets",
    );
}

/// A growth under a reader that looks up twice (tid 2, then tid 1), for
/// reclamations that free replaced tables while the process runs (the
/// epoch alternative): each lookup is a window in which an unpinned
/// reader can reach the replaced table after its free, the second one
/// late in the reader's run, where a depth-first search reaches it first.
pub(super) fn grow_vs_two_lookups_in<R: Reclaim>(p: Proc<R>) {
    let p = setup(p, 1..=2);
    let (c, r) = (p.clone(), p.clone());
    join(thread::roles(|g| {
        vec![
            g.spawn_named("creator", move || c.lwp_create(3)),
            g.spawn_named("reader", move || {
                unpark(&r, 2, "during growth from 2 to 4 buckets");
                unpark(&r, 1, "during growth from 2 to 4 buckets");
            }),
        ]
    }));
    grown(
        &p,
        (4, 1),
        "one growth to 4 buckets",
        3,
        "after growth from 2 to 4 buckets",
    );
}

fn two_growths(v: Variant) {
    two_growths_in(Proc::new(v));
}

/// The body of `two_growths`, for a process of any variant or reclamation.
pub(super) fn two_growths_in<R: Reclaim>(p: Proc<R>) {
    let p = setup(p, 1..=2);
    let (c, r1, r2) = (p.clone(), p.clone(), p.clone());
    join(thread::roles(|g| {
        vec![
            g.spawn_named("creator", move || {
                for tid in 3..=7 {
                    c.lwp_create(tid);
                }
            }),
            g.spawn_named("reader1", move || {
                unpark(&r1, 1, "during growths 2 -> 4 -> 8")
            }),
            g.spawn_named("reader2", move || {
                unpark(&r2, 2, "during growths 2 -> 4 -> 8")
            }),
        ]
    }));
    grown(
        &p,
        (8, 2),
        "two growths to 8 buckets",
        7,
        "after growths 2 -> 4 -> 8",
    );
}

/// `grow_vs_lookup` with a third thread: one growth from 2 to 4 buckets
/// (the creator adds tid 3, lwp.c lines 284-445 and 716-720) under two
/// `lwp_unpark` callers (lines 2029-2065), one for tid 1, which stays in
/// bucket 1, one for tid 2, which moves from bucket 0 of the old table to
/// bucket 2 of the new one.
fn grow_vs_two_readers(v: Variant) {
    let p = setup(Proc::new(v), 1..=2);
    let (c, r1, r2) = (p.clone(), p.clone(), p.clone());
    join(thread::roles(|g| {
        vec![
            g.spawn_named("creator", move || c.lwp_create(3)),
            g.spawn_named("reader1", move || {
                unpark(&r1, 1, "during growth from 2 to 4 buckets")
            }),
            g.spawn_named("reader2", move || {
                unpark(&r2, 2, "during growth from 2 to 4 buckets")
            }),
        ]
    }));
    grown(
        &p,
        (4, 1),
        "one growth to 4 buckets",
        3,
        "after growth from 2 to 4 buckets",
    );
}

fn exit_vs_lookup(v: Variant) {
    exit_vs_lookup_in(Proc::new(v));
}

/// The body of `exit_vs_lookup`, for a process of any variant or reclamation.
pub(super) fn exit_vs_lookup_in<R: Reclaim>(p: Proc<R>) {
    let p = setup(p, 1..=5);
    let (e, r1, r5) = (p.clone(), p.clone(), p.clone());
    join(thread::roles(|g| {
        vec![
            g.spawn_named("exiter", move || e.lwp_exit_detached(1)),
            g.spawn_named("reader1", move || {
                // tid 1 may or may not be found; if it is, it must be tid
                // 1's live entry.
                if let Some((id, start)) = r1.lwp_unpark(1) {
                    crate::prop!(
                        id == 1 && start == le_start_of(1),
                        "exiting tid 1 found as tid {id} with le_start {start}"
                    );
                }
            }),
            g.spawn_named("reader5", move || {
                unpark(&r5, 5, "while its bucket neighbour tid 1 exits")
            }),
        ]
    }));
    crate::prop!(
        p.lwp_hash_lookup(1).is_none(),
        "tid 1 still hashed after it exited"
    );
    for tid in 2..=5 {
        unpark(&p, tid, "after tid 1 exited");
    }
    p.exit_check_leaks();
}

fn racing_creators(v: Variant) {
    racing_creators_in(Proc::new(v));
}

/// The body of `racing_creators`, for a process of any variant or reclamation.
pub(super) fn racing_creators_in<R: Reclaim>(p: Proc<R>) {
    let p = setup(p, 1..=2);
    let (a, b) = (p.clone(), p.clone());
    join(thread::roles(|g| {
        vec![
            g.spawn_named("creator3", move || a.lwp_create(3)),
            g.spawn_named("creator4", move || b.lwp_create(4)),
        ]
    }));
    let s = p.shape();
    crate::prop!(
        s.growths == 1 && s.dir_size == 6 && s.hash_size == 4,
        "expected exactly one growth (directory 6, hash 4), got {s:?}"
    );
    for tid in 1..=4 {
        unpark(&p, tid, "after two creators raced to grow");
    }
    p.exit_check_leaks();
}

// ---------------------------------------------------------------- expectations

const SC: &str = "shuttle is sequentially consistent: a missing barrier cannot show";

/// Scenarios where a creator grows the table under a lock-free reader.
fn expect_growth_loom(v: Variant, p: Profile) -> Expectation {
    match (v, p) {
        (Faithful, _) => pass("the kernel's protocol: barriers paired, re-check, old tables retired"),
        (NoFirstProducerBarrier, Profile::Arm) => fail(
            DataRace,
            "the reader's dependent access to the new table is not ordered after the table's zeroing: its read of the table memory races with kmem_zalloc's write",
        ),
        (NoFirstProducerBarrier, Profile::X86) => pass("x86 stores are not reordered with stores: the table is zeroed before the pointer is visible"),
        (NoSecondProducerBarrier, Profile::Arm) => fail(
            IndexOutOfBounds,
            "the reader can see the new size (4) with the old table (2 buckets): tid 2 indexes bucket 2 of 2, the 'invalid data' of line 421",
        ),
        (NoSecondProducerBarrier, Profile::X86) => pass("x86 stores are not reordered with stores: the new size is never seen before the new table"),
        (NoConsumerBarrier, Profile::Arm) => fail(
            IndexOutOfBounds,
            "without membar_consumer the table may be read before the size: new size with the old table, tid 2 indexes bucket 2 of 2",
        ),
        (NoConsumerBarrier, Profile::X86) => pass("x86 loads are not reordered with loads: the barrier is free there"),
        (SkipRecheck, _) => fail_any(
            &[Assertion, DataRace],
            "old size with the new table locks the wrong bucket (tid not found); old table walks the old directory, which lwp_create frees after dropping p_lock (race with the free)",
        ),
        (FreeOldTable, _) => fail(
            DataRace,
            "a reader that read the old p_tidhash still touches it (bucket lock, re-check) after the grower frees it; nothing orders the free after that use",
        ),
        (NoOldBucketLocks, _) => fail(
            DataRace,
            "a reader inside an old bucket passes the re-check before the table is replaced, then walks old directory slots that lwp_create frees: its reads race with the free",
        ),
        (ReaderLoadsTableFirst, _) => fail(
            IndexOutOfBounds,
            "reading the table before the size pairs the old table with the new size in any interleaving, even sequentially consistent",
        ),
        (PublishSizeFirst, _) => fail(
            IndexOutOfBounds,
            "publishing the size first lets a reader pair the new size with the old table in any interleaving",
        ),
        (NoRelockRecheck, _) | (LoserLeaks, _) => pass("a single creator: nobody can beat it to the growth"),
        (HashOutUnlocked, _) => pass("no LWP exits in this scenario"),
        (UnparkAfterUnlock, _) => pass("no LWP exits, so no entry is freed: the entry read after mutex_exit is still live (growth rehashes entries, it never frees or rewrites them)"),
    }
}

fn expect_growth_shuttle(v: Variant) -> Expectation {
    match v {
        NoFirstProducerBarrier => miss(DataRace, SC),
        NoSecondProducerBarrier | NoConsumerBarrier => miss(IndexOutOfBounds, SC),
        SkipRecheck => fail_any(
            &[Assertion, UseAfterFree],
            "wrong bucket of the new table (not found), or the old directory walked after lwp_create freed it (shuttle sees the poisoned memory, it has no race detector)",
        ),
        FreeOldTable => fail(UseAfterFree, "the reader touches the old table after the grower freed it"),
        NoOldBucketLocks => fail(UseAfterFree, "the reader walks old directory slots after lwp_create freed them"),
        _ => expect_growth_loom(v, Profile::Arm),
    }
}

/// An exit racing two lookups: no growth.
fn expect_exit_loom(v: Variant, _: Profile) -> Expectation {
    match v {
        HashOutUnlocked => fail(
            DataRace,
            "the unlink and the free of tid 1's entry run under p_lock only, which lwp_unpark does not take: the reader walking the same bucket races with them",
        ),
        Faithful => pass("lwp_hash_out holds the bucket lock; a lookup sees tid 1 before or after, never during"),
        UnparkAfterUnlock => fail(
            DataRace,
            "reader1 finds tid 1 and drops th_lock before reading the entry; lwp_hash_out then takes th_lock and frees the entry: nothing orders the free after reader1's read of it, on any machine (the lock is the only order)",
        ),
        NoRelockRecheck | LoserLeaks => pass("no creator races in this scenario"),
        NoFirstProducerBarrier | NoSecondProducerBarrier | NoConsumerBarrier | SkipRecheck | FreeOldTable | NoOldBucketLocks | ReaderLoadsTableFirst | PublishSizeFirst => pass("no growth in this scenario: the bug is in a path that does not run"),
    }
}

fn expect_exit_shuttle(v: Variant) -> Expectation {
    match v {
        HashOutUnlocked => fail(
            UseAfterFree,
            "reader1 walks bucket 1 (tid 5, then tid 1) and reaches tid 1's entry after the unlocked lwp_hash_out freed it",
        ),
        UnparkAfterUnlock => fail(
            UseAfterFree,
            "a schedule runs lwp_hash_out between reader1's mutex_exit and its read of tid 1's entry: the read finds the entry poisoned",
        ),
        _ => expect_exit_loom(v, Profile::Arm),
    }
}

/// Two creators racing to grow; no lock-free reader until they are joined.
fn expect_creators_loom(v: Variant, _: Profile) -> Expectation {
    match v {
        Faithful => pass("the loser re-checks under p_lock, frees its allocation and takes a lap"),
        NoRelockRecheck => fail(
            Assertion,
            "the loser grows again from a directory with free slots and hashes in a NULL lwpent (a NULL dereference in the kernel)",
        ),
        LoserLeaks => fail(Leak, "the loser's table is neither published, retired nor freed"),
        NoFirstProducerBarrier | NoSecondProducerBarrier | NoConsumerBarrier | SkipRecheck | FreeOldTable | NoOldBucketLocks | ReaderLoadsTableFirst | PublishSizeFirst | HashOutUnlocked | UnparkAfterUnlock => pass("no lock-free reader runs during the race, and creators are serialized by p_lock"),
    }
}

fn expect_creators_shuttle(v: Variant) -> Expectation {
    expect_creators_loom(v, Profile::Arm)
}

// DPOR expectations, reasoned before its first run: every interleaving,
// sequentially consistent or x86-TSO, with a race detector judging C11's
// orderings as written (`sc`) or x86's (`tso`: every load an acquire, every
// store a release), and the memory helper's poison.

const DPOR_FREE: &[crate::explore::FailKind] = &[DataRace, UseAfterFree];

fn expect_growth_dpor(v: Variant, m: MemoryModel) -> Expectation {
    match (v, m) {
        (NoFirstProducerBarrier, MemoryModel::Sc) => fail(
            DataRace,
            "C11 as written, in an interleaving: the reader pairs the old size with the new table (the creator has stored the table, not yet the size); with no release before the table's store, nothing orders kmem_zalloc's zeroing before the reader's use of the table",
        ),
        (NoFirstProducerBarrier, MemoryModel::Tso) => pass("x86 stores are not reordered with stores, and the reader's load of the table pointer acquires the zeroing before it"),
        (NoSecondProducerBarrier | NoConsumerBarrier, MemoryModel::Sc) => miss(IndexOutOfBounds, "sequentially consistent: a reader that sees the new size sees the new table; the bug needs ARM's reordering (loom, arm), and the table load's acquire leaves no C11 race"),
        (NoSecondProducerBarrier, MemoryModel::Tso) => pass("x86 stores are not reordered with stores: the new size is never seen before the new table"),
        (NoConsumerBarrier, MemoryModel::Tso) => pass("x86 loads are not reordered with loads: the barrier is free there"),
        // The execution-graph explorer (rc11, arm): weak executions too,
        // races judged as under sc.
        (NoFirstProducerBarrier, MemoryModel::Rc11 | MemoryModel::Arm) => fail(
            DataRace,
            "as under sc (an interleaving shows it): nothing orders kmem_zalloc's zeroing before the reader's use of the table",
        ),
        (NoSecondProducerBarrier, MemoryModel::Rc11 | MemoryModel::Arm) => fail(IndexOutOfBounds, "without the membar_producer between the table and the size (DMB ISHST on ARM; a release fence in C11) the two stores reach the reader in either order: it sees the new size with the old table and indexes past it"),
        (NoConsumerBarrier, MemoryModel::Rc11 | MemoryModel::Arm) => fail(IndexOutOfBounds, "without the membar_consumer between the size and the table loads (DMB ISHLD on ARM) the reader's two loads are not ordered: it reads the old table after the new size and indexes past it"),
        (SkipRecheck, _) => fail_any(
            &[Assertion, DataRace, UseAfterFree],
            "old size with the new table locks the wrong bucket (tid not found); old table walks the old directory, which lwp_create frees after dropping p_lock (a race with the free, or a use after it)",
        ),
        (FreeOldTable, _) => fail_any(DPOR_FREE, "a reader that read the old p_tidhash still touches it after the grower frees it: a race with the free, or a use after it, whichever the exploration reaches first"),
        (NoOldBucketLocks, _) => fail_any(DPOR_FREE, "a reader inside an old bucket walks old directory slots that lwp_create frees: a race with the free, or a use after it"),
        (Faithful | ReaderLoadsTableFirst | PublishSizeFirst | NoRelockRecheck | LoserLeaks | HashOutUnlocked | UnparkAfterUnlock, _) => expect_growth_loom(v, Profile::Arm),
    }
}

fn expect_exit_dpor(v: Variant, _: MemoryModel) -> Expectation {
    match v {
        HashOutUnlocked => fail_any(DPOR_FREE, "the unlink and the free of tid 1's entry run under p_lock only, which lwp_unpark does not take: the reader walking the same bucket races them, or reaches the freed entry"),
        UnparkAfterUnlock => fail_any(DPOR_FREE, "reader1 drops th_lock before reading tid 1's entry; lwp_hash_out then frees it: a race with the free, or a read of the poisoned entry, on any machine"),
        Faithful | NoRelockRecheck | LoserLeaks | NoFirstProducerBarrier | NoSecondProducerBarrier | NoConsumerBarrier | SkipRecheck | FreeOldTable | NoOldBucketLocks | ReaderLoadsTableFirst | PublishSizeFirst => expect_exit_loom(v, Profile::Arm),
    }
}

fn expect_creators_dpor(v: Variant, _: MemoryModel) -> Expectation {
    expect_creators_loom(v, Profile::Arm)
}
