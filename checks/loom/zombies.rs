//! loom checks of `lwpcheck::models::zombies` beyond the verdict matrix (whose
//! cells the gate runs): the answer to "is the unlocked emptiness peek
//! harmless?", asserted.
#![cfg(loom)]

use lwpcheck::explore::loom::LoomCheck;
use lwpcheck::explore::Verdict;
use lwpcheck::models::zombies::{self, Kern, Rev, Variant};
use lwpcheck::sync::Profile;

/// The faithful peek-skip is harmless: executions exist where the racing
/// reap misses the late stash (its peek said empty, or its swap/lock came
/// first) and a later `thread_reap` frees it; none loses or double-frees a
/// thread (the run passes). Both revisions.
#[test]
fn finding_peek_skip_defers_but_never_loses() {
    type Run = fn(Kern) -> zombies::Reaped;
    let cases: [(&str, Run, Rev); 2] = [
        ("late_stash", zombies::late_stash_with, Rev::Y2024),
        ("stash_reap_2002", zombies::stash_reap_2002_with, Rev::Y2002),
    ];
    for (name, f, rev) in cases {
        let deferred = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = deferred.clone();
        let k = Kern {
            rev,
            v: Variant::Faithful,
        };
        let out = LoomCheck::new(Profile::Arm)
            .and_then(|c| {
                c.run(move || {
                    let r = f(k);
                    if !r.later.is_empty() {
                        d.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            })
            .unwrap_or_else(|e| panic!("{e}"));
        println!(
            "finding peek-skip-{name} loom/arm {} {} executions {:.3}s",
            out.summary_verdict(),
            out.executions,
            out.elapsed.as_secs_f64()
        );
        assert_eq!(
            out.verdict,
            Verdict::Pass,
            "{}",
            lwpcheck::view::counterexample(&out)
        );
        assert!(
            deferred.load(std::sync::atomic::Ordering::Relaxed),
            "{name}: no execution left the late stash to a later reap"
        );
    }
}

/// Explorer canary behind the `peek-authoritative` cells: a stale load
/// and a relaxed store in one thread, racing a successful CAS in another.
/// C11 forbids (cas succeeded, B read 1, final 2): B's store of 0 must be
/// ordered after the value B read (1), and the CAS that read 1 must
/// immediately follow 1 in modification order, so 0 comes after 2 and the
/// final value is 0. loom 0.7.3 produces that outcome; the model's
/// `peek-authoritative` variant is exactly this pattern, so loom shows its
/// lost push as a thread that reappears and is freed twice. If loom stops
/// producing it, this test fails: update the expectations.
#[test]
fn canary_loom_stale_store_overtaken_by_cas() {
    use lwpcheck::sync::{thread, Arc, AtomicUsize, Ordering::*};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let s = seen.clone();
    let out = LoomCheck::new(Profile::Arm)
        .and_then(|c| {
            c.run(move || {
                let x = Arc::new(AtomicUsize::new(1));
                let (a, b) = (x.clone(), x.clone());
                let ta = thread::spawn_named("A_cas", move || {
                    a.compare_exchange(1, 2, Release, Relaxed).is_ok()
                });
                let tb = thread::spawn_named("B_load_store", move || {
                    let r = b.load(Acquire);
                    b.store(0, Relaxed);
                    r
                });
                let ok = ta.join().unwrap();
                let r = tb.join().unwrap();
                let fin = x.load(Acquire);
                s.lock().unwrap().insert((ok, r, fin));
            })
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = seen.lock().unwrap().clone();
    println!(
        "canary stale-store-vs-cas loom/arm: {} executions, outcomes (cas_ok, b_read, final) {seen:?}",
        out.executions
    );
    assert_eq!(out.verdict, Verdict::Pass);
    assert!(
        seen.contains(&(true, 1, 2)),
        "loom no longer produces the non-C11 outcome (true, 1, 2): update the peek-authoritative expectations"
    );
}
