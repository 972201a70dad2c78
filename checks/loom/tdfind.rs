//! loom checks of `lwpcheck::tdfind`: every scenario, every variant, under
//! the Arm and X86 profiles.
#![cfg(loom)]

lwpcheck::loom_tests!(lwpcheck::tdfind::Tdfind;
    exit_recycle_vs_lookup,
    same_tid_other_proc_vs_lookup,
    upgrade_race,
    fork_vs_lookup,
    exit_window,
    rwlock_exclusion,
);

/// The two FINDING scenarios fail the faithful code: print the faithful
/// counterexample of each (the evidence) and pin its kind.
#[test]
fn faithful_finding_traces() {
    use lwpcheck::check::FailKind;
    use lwpcheck::model::check_loom;
    use lwpcheck::sync::Profile;
    for (scenario, kind) in [
        ("exit_window", FailKind::Assertion),
        ("same_tid_other_proc_vs_lookup", FailKind::UseAfterFree),
    ] {
        let cells = check_loom::<lwpcheck::tdfind::Tdfind>(scenario, Profile::Arm);
        let faithful = cells
            .iter()
            .find(|c| c.variant == "faithful")
            .expect("faithful cell");
        println!(
            "== {scenario} / faithful / loom/arm\n{}",
            faithful.outcome.counterexample()
        );
        assert_eq!(faithful.outcome.verdict.kind(), Some(kind), "{scenario}");
    }
}
