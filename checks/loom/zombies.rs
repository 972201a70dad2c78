//! loom checks of `lwpcheck::models::zombies` beyond the verdict matrix (whose
//! cells the gate runs): the answer to "is the unlocked emptiness peek
//! harmless?", asserted. The explorer canary behind the `peek-authoritative`
//! cells (a stale store overtaken by a CAS) is `stale-store-vs-cas` in the
//! loom holes (`checks/loom/holes.rs`), with its whole outcome set.
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
