//! loom checks of `lwpcheck::models::refcount` beyond the verdict matrix (whose
//! cells the gate runs): the findings that concern the faithful code itself,
//! each asserted so a change in what loom sees is noticed.
#![cfg(loom)]

use lwpcheck::explore::loom::LoomCheck;
use lwpcheck::explore::{FailKind, Outcome, Verdict};
use lwpcheck::models::refcount::{self, Inspected, Kern, Rev, Variant};
use lwpcheck::sync::Profile;

/// Four spawned threads: the bound the matrix uses for them (see
/// `refcount::B2`).
fn run(profile: Profile, f: impl Fn() + Send + Sync + 'static) -> Outcome {
    LoomCheck::new(profile)
        .map(|c| c.bounds(refcount::B2))
        .and_then(|c| c.run(f))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The bound the matrix uses for `two_inspectors` (`refcount::B3`).
fn run3(profile: Profile, f: impl Fn() + Send + Sync + 'static) -> Outcome {
    LoomCheck::new(profile)
        .map(|c| c.bounds(refcount::B3))
        .and_then(|c| c.run(f))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn expect_fail(name: &str, profile: Profile, out: &Outcome, kind: FailKind, text: &str) {
    println!(
        "finding {name:<44} loom/{profile:<4} {:<28} {:>9} {:>8.3}s",
        out.summary_verdict(),
        out.executions,
        out.elapsed.as_secs_f64()
    );
    match &out.verdict {
        Verdict::Fail(f) if f.kind == kind && f.message.contains(text) => {
            println!("{}", lwpcheck::view::counterexample(out))
        }
        other => panic!(
            "{name} under {profile}: expected fail {kind} ({text}), got {other}\n{}",
            lwpcheck::view::counterexample(out)
        ),
    }
}

/// Finding 1: in a DIAGNOSTIC kernel, rev 1.157's own zombie loop trips
/// `lwp_addref`'s `KASSERT(l->l_refcnt != 0)`: while `lwp_free(B)` has
/// dropped `p_lock`, A's count is 0 but A is still LSONPROC on `p_lwps`, so
/// `lwp_find` returns it and the inspector's `lwp_addref` asserts. The
/// re-take at 952 exists exactly because such references are taken.
#[test]
fn finding_r157_zombie_loop_trips_addref_kassert() {
    for profile in [Profile::Arm, Profile::X86] {
        let k = Kern {
            rev: Rev::R157,
            diagnostic: true,
            v: Variant::Faithful,
        };
        let out = run(profile, move || refcount::zombie_loop_with(k));
        expect_fail(
            "r157-zombie-loop-diagnostic",
            profile,
            &out,
            FailKind::Assertion,
            "KASSERT(l->l_refcnt != 0)",
        );
    }
}

/// Finding 1b: the same KASSERT fires without any zombie loop, in either
/// revision: inspector1's last `lwp_delref` broadcasts with the count at 0;
/// before A re-takes `p_lock`, inspector2 finds A (still LSONPROC) and
/// `lwp_addref` asserts `l_refcnt != 0`. Without DIAGNOSTIC the `while` in
/// `lwp_drainrefs` makes this harmless (the matrix cell `two_inspectors /
/// faithful` passes).
#[test]
fn finding_two_inspectors_trip_addref_kassert() {
    for rev in [Rev::R157, Rev::R154] {
        let k = Kern {
            rev,
            diagnostic: true,
            v: Variant::Faithful,
        };
        let out = run3(Profile::Arm, move || {
            refcount::two_inspectors_with(k);
        });
        expect_fail(
            &format!("two-inspectors-diagnostic-{rev:?}"),
            Profile::Arm,
            &out,
            FailKind::Assertion,
            "KASSERT(l->l_refcnt != 0)",
        );
    }
}

/// Finding 2: rev 1.54 as written (no re-take) frees an LWP while an
/// inspector holds a reference, in the zombie loop (production kernel, no
/// KASSERTs): `lwp_free` finds `l_refcnt == 1`.
#[test]
fn finding_r154_zombie_loop_frees_a_referenced_lwp() {
    for profile in [Profile::Arm, Profile::X86] {
        let k = Kern {
            rev: Rev::R154,
            diagnostic: false,
            v: Variant::Faithful,
        };
        let out = run(profile, move || refcount::zombie_loop_with(k));
        expect_fail(
            "r154-zombie-loop",
            profile,
            &out,
            FailKind::Assertion,
            "freed while a reference to it is held",
        );
    }
}

/// Finding 3: "no reference taken after the drain began" is not a property
/// of the kernel's protocol: `lwp_find` does not look at the drain, so a
/// second inspector can `lwp_addref` while A sleeps in `lwp_drainrefs`
/// (the drain then waits for it too). loom must reach such an execution,
/// and the faithful model still passes it.
#[test]
fn finding_late_reference_during_drain_is_reachable() {
    // Within the matrix bound (2): inspector2 takes its reference while A
    // sleeps in the drain on inspector1's.
    for rev in [Rev::R157, Rev::R154] {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = seen.clone();
        let k = Kern {
            rev,
            diagnostic: false,
            v: Variant::Faithful,
        };
        let out = run(Profile::Arm, move || {
            let r = refcount::two_inspectors_with(k);
            if r.contains(&Inspected::Read { late: true }) {
                s.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        });
        println!(
            "finding late-reference-{rev:?} loom/Arm {} {} executions {:.3}s",
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
            seen.load(std::sync::atomic::Ordering::Relaxed),
            "{rev:?}: no execution took a reference while A drained"
        );
    }
}
