//! loom's measured holes (`lwpcheck::explore::litmus::loom_holes`), under both
//! profiles: each canary asserts that the outcome set loom 0.7.3 produces
//! equals the set measured for it, stated beside the set the language
//! allows, and, where the point is a missed execution, the number of
//! executions too. A loom upgrade that changes any of them fails here;
//! `docs/loom.md` says what each means for a verdict.

use std::collections::BTreeSet;

use lwpcheck::explore::litmus::{loom_holes, recorder, HoleKind, LoomHole, Outcomes};
use lwpcheck::explore::loom::LoomCheck;
use lwpcheck::explore::Verdict;
use lwpcheck::sync::Profile;

fn hole(name: &str) -> LoomHole {
    loom_holes()
        .into_iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no loom hole named '{name}'"))
}

fn diff(a: &Outcomes, b: &Outcomes) -> BTreeSet<Vec<usize>> {
    a.difference(b).cloned().collect()
}

fn canary(name: &str, profile: Profile) {
    let h = hole(name);
    let (f, seen) = recorder(h.run);
    let out = LoomCheck::new(profile)
        .and_then(|c| c.run(f))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.verdict,
        Verdict::Pass,
        "{}",
        lwpcheck::view::counterexample(&out)
    );
    let seen = seen.lock().unwrap().clone();
    let allowed = (h.allowed)(profile);
    println!(
        "loom hole {name:<34} {profile}: {} executions, {:.3} s, outcomes {seen:?}; allowed but not shown {:?}; shown but not allowed {:?}",
        out.executions,
        out.elapsed.as_secs_f64(),
        diff(&allowed, &seen),
        diff(&seen, &allowed),
    );
    let context = format!(
        "\n  registers: {}\n  allowed: {:?} ({})\n  loom: {}",
        h.registers, allowed, h.allowed_note, h.loom_note
    );
    assert_eq!(
        seen,
        (h.loom)(profile),
        "loom hole {name} under {profile}: loom's outcome set changed{context}"
    );
    if let Some((arm, x86)) = h.executions {
        let want = match profile {
            Profile::Arm => arm,
            Profile::X86 => x86,
        };
        assert_eq!(
            out.executions, want,
            "loom hole {name} under {profile}: loom's execution count changed{context}"
        );
    }
}

canaries! {
    load_then_store_mp_writer_first => "load-then-store-mp-writer-first",
    load_then_store_mp_reader_first => "load-then-store-mp-reader-first",
    loom_166_control => "loom-166-control",
    loom_166 => "loom-166",
    wrc_no_fence => "wrc-no-fence",
    wrc_acquire_fence => "wrc-acquire-fence",
    history_6 => "history-6",
    history_7 => "history-7",
    history_8 => "history-8",
    stale_store_vs_cas => "stale-store-vs-cas",
    cas_weak_never_fails => "cas-weak-never-fails",
    condvar_no_spurious_wakeup => "condvar-no-spurious-wakeup",
    notify_one_oldest => "notify-one-oldest",
}

#[test]
fn every_hole_is_tested() {
    let names: Vec<&str> = loom_holes().iter().map(|h| h.name).collect();
    assert_eq!(
        names,
        [
            "load-then-store-mp-writer-first",
            "load-then-store-mp-reader-first",
            "loom-166-control",
            "loom-166",
            "wrc-no-fence",
            "wrc-acquire-fence",
            "history-6",
            "history-7",
            "history-8",
            "stale-store-vs-cas",
            "cas-weak-never-fails",
            "condvar-no-spurious-wakeup",
            "notify-one-oldest",
        ]
    );
}

/// The table is consistent: a hole's measured set differs from the allowed
/// one under the Arm profile (the program as written), a control's equals
/// it under both profiles.
#[test]
fn holes_differ_and_controls_agree() {
    for h in loom_holes() {
        match h.kind {
            HoleKind::Hole => assert_ne!(
                (h.loom)(Profile::Arm),
                (h.allowed)(Profile::Arm),
                "{} is listed as a hole but loom's set is the allowed one",
                h.name
            ),
            HoleKind::Control => {
                for p in Profile::ALL {
                    assert_eq!(
                        (h.loom)(p),
                        (h.allowed)(p),
                        "{} is a control but differs under {p}",
                        h.name
                    );
                }
            }
        }
    }
}

/// loom #166's reproducer with loom's own types and nothing of this crate
/// (the program exactly as the issue gives it, `std::sync::Arc` included):
/// the facade's canary (`loom-166`) runs the same executions, so the facade
/// adds no loom operation. With `loom::sync::Arc` the counts are higher
/// (its reference count is an atomic loom explores) and the same outcome
/// is lost.
#[test]
fn loom_166_verbatim_without_the_facade() {
    use loom::sync::atomic::{AtomicUsize, Ordering::*};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed as StdRelaxed};

    pub struct Entry {
        key: AtomicUsize,
        value: AtomicUsize,
    }

    macro_rules! example {
        ($arc:ty, $with_extra_load:expr) => {{
            let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
            let runs = std::sync::Arc::new(AtomicU64::new(0));
            let (s, r) = (seen.clone(), runs.clone());
            let with_extra_load: bool = $with_extra_load;
            loom::model(move || {
                r.fetch_add(1, StdRelaxed);
                let entry = <$arc>::new(Entry {
                    key: AtomicUsize::new(0),
                    value: AtomicUsize::new(0),
                });
                let entry1 = entry.clone();
                let entry2 = entry.clone();

                let t1 = loom::thread::spawn(move || {
                    entry1.key.store(1, SeqCst);
                    entry1.value.store(1, SeqCst);
                    entry1.value.store(0, SeqCst);

                    if with_extra_load {
                        entry1.key.load(SeqCst);
                    }

                    entry1.key.store(0, SeqCst);
                });

                #[allow(clippy::never_loop)]
                let t2 = loom::thread::spawn(move || loop {
                    let value = entry2.value.load(SeqCst);
                    let key = entry2.key.load(SeqCst);
                    return (value, key);
                });

                t1.join().unwrap();
                let out = t2.join().unwrap();
                s.lock().unwrap().insert(vec![out.0, out.1]);
            });
            let out = seen.lock().unwrap().clone();
            (runs.load(StdRelaxed), out)
        }};
    }

    let h = hole("loom-166");
    let all = (hole("loom-166-control").loom)(Profile::Arm);
    let lossy = (h.loom)(Profile::Arm);
    let cases = [
        (
            "std Arc",
            false,
            example!(std::sync::Arc<Entry>, false),
            240,
            &all,
        ),
        (
            "std Arc",
            true,
            example!(std::sync::Arc<Entry>, true),
            162,
            &lossy,
        ),
        (
            "loom Arc",
            false,
            example!(loom::sync::Arc<Entry>, false),
            720,
            &all,
        ),
        (
            "loom Arc",
            true,
            example!(loom::sync::Arc<Entry>, true),
            486,
            &lossy,
        ),
    ];
    for (arc, extra, (runs, seen), want_runs, want) in cases {
        println!(
            "loom #166 verbatim ({arc}, extra load {extra}): {runs} executions, outcomes {seen:?}"
        );
        assert_eq!(
            (runs, &seen),
            (want_runs, want),
            "loom #166 ({arc}, extra load {extra}) changed"
        );
    }
}

/// The bounded-history note (`Outcome::history`): the history canaries'
/// writer stores `x` 6, 7 and 8 times in one execution; loom keeps 7
/// values, the initial one included, so the run that stores it 7 times is
/// the first whose pass is noted, naming `x`, the store's site and the
/// most stores. The flag, stored once, is never noted.
#[test]
fn bounded_history_note_names_the_object_and_its_store() {
    for (name, stores) in [("history-6", 6), ("history-7", 7), ("history-8", 8)] {
        let run = hole(name).run;
        let out = LoomCheck::new(Profile::Arm)
            .and_then(|c| {
                c.run(move || {
                    run();
                })
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.verdict, Verdict::Pass);
        println!("{name}: {:?}", out.history_note());
        if stores < lwpcheck::sync::trace::LOOM_HISTORY {
            assert_eq!(out.history, [], "{name}: nothing went past the history");
            assert_eq!(out.history_note(), None);
            continue;
        }
        assert_eq!(out.history.len(), 1, "{name}: {:?}", out.history);
        let h = &out.history[0];
        assert_eq!((h.object.as_str(), h.max_stores), ("x", stores), "{name}");
        assert!(h.site.file.ends_with("litmus.rs"), "{name}: {}", h.site);
        assert!(out
            .history_note()
            .is_some_and(|n| n.starts_with("bounded history:") && n.contains("x (")));
    }
}

/// A failing run carries no bounded-history note: the counterexample is the
/// verdict.
#[test]
fn a_failure_has_no_bounded_history_note() {
    let out = LoomCheck::new(Profile::Arm)
        .and_then(|c| {
            c.run(|| {
                let x = lwpcheck::sync::AtomicUsize::new(0);
                for v in 1..=8 {
                    x.store(v, lwpcheck::sync::Ordering::Relaxed);
                }
                lwpcheck::prop!(false, "always fails");
            })
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(out.verdict, Verdict::Fail(_)));
    assert_eq!(out.history, []);
}

/// The spawn-order dimension finds the hole it is for: the same
/// `load-then-store-mp` declared reader-first in a `thread::roles` group
/// runs 21 executions showing only (0,0) as declared, and 336 showing every
/// allowed outcome when the runner spawns the writer first; the union is
/// the allowed set, so a check that runs every order sees it all.
#[test]
fn spawn_order_dimension_covers_the_reader_first_hole() {
    use lwpcheck::explore::litmus::load_then_store_mp_roles;
    use lwpcheck::explore::loom::spawn_orders;
    let check = LoomCheck::new(Profile::Arm).unwrap_or_else(|e| panic!("{e}"));
    let all = check
        .run_every_order(|| {
            load_then_store_mp_roles();
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let counts: Vec<(Vec<usize>, u64)> = all
        .iter()
        .map(|(o, out)| (o.clone(), out.executions))
        .collect();
    println!("spawn orders of load-then-store-mp (reader, writer): {counts:?}");
    assert_eq!(counts, [(vec![0, 1], 21), (vec![1, 0], 336)]);
    let mut union = Outcomes::new();
    let mut per_order = Vec::new();
    for order in spawn_orders(2) {
        let (f, seen) = recorder(load_then_store_mp_roles);
        let out = check
            .clone()
            .spawn_order(order.clone())
            .run(f)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.verdict, Verdict::Pass);
        let seen = seen.lock().unwrap().clone();
        union.extend(seen.iter().cloned());
        per_order.push((order, seen));
    }
    let reader_first: Outcomes = [vec![0, 0]].into_iter().collect();
    assert_eq!(per_order[0], (vec![0, 1], reader_first));
    let allowed = (hole("load-then-store-mp-writer-first").allowed)(Profile::Arm);
    assert_eq!(per_order[1], (vec![1, 0], allowed.clone()));
    assert_eq!(union, allowed);
}

/// Spawn order in a model (issue 13's measurement): `tidhash
/// grow_vs_lookup` declares its creator and reader in a `thread::roles`
/// group. As declared (creator first) and reversed, the faithful run and
/// the first counterexample of `no-second-producer-barrier` explore
/// differently; the verdicts agree.
#[test]
fn spawn_order_changes_what_loom_explores_in_tidhash_grow_vs_lookup() {
    use lwpcheck::explore::FailKind;
    use lwpcheck::model::{loom_cell, scenario_named};
    use lwpcheck::models::tidhash::{scenarios::Tidhash, Variant};
    let sc = scenario_named::<Tidhash>("grow_vs_lookup").unwrap();
    let mut seen = Vec::new();
    for v in [Variant::Faithful, Variant::NoSecondProducerBarrier] {
        for order in [vec![0, 1], vec![1, 0]] {
            let check = LoomCheck::new(Profile::Arm)
                .unwrap_or_else(|e| panic!("{e}"))
                .bounds(sc.loom_bounds)
                .spawn_order(order.clone());
            let cell = loom_cell::<Tidhash>(&sc, v, check).unwrap_or_else(|e| panic!("{e}"));
            println!(
                "tidhash grow_vs_lookup {} loom/arm spawn order {order:?}: {}",
                cell.variant,
                cell.outcome.summary()
            );
            seen.push((cell.outcome.verdict.kind(), cell.outcome.executions));
        }
    }
    let race = Some(FailKind::IndexOutOfBounds);
    assert_eq!(
        seen,
        [(None, 315), (None, 261), (race, 3), (race, 111)],
        "what loom explores per spawn order changed"
    );
}
