//! loom checks of `lwpcheck::models::lwplock` beyond the verdict matrix (whose
//! cells the gate runs): the two forms of rev 1.54's retry loop.
#![cfg(loom)]

/// Rev 1.54's two forms of `lwp_lock_retry` (`#if 1` while, `#else`
/// do-while) differ only when `l_mutex` is back to `old` on entry, which
/// needs a lend-back (ABA). There both fail the same way under Arm (a data
/// race: nothing acquires after the load that saw the lend-back), but by
/// different paths: loom's first failing execution of the while form exits
/// the retry on its entry test; the do-while form has no such exit and
/// fails through `lwp_lock`'s first re-test instead. Pins both traces.
#[test]
fn retry_forms_differ_in_path_not_in_verdict() {
    use lwpcheck::explore::loom::LoomCheck;
    use lwpcheck::explore::FailKind;
    use lwpcheck::models::lwplock::{scenarios, Variant};
    use lwpcheck::sync::Profile;

    const ENTRY_EXIT: &str = "lwp_lock_retry: l_mutex is old again on entry";
    let run = |v: Variant| {
        let out = LoomCheck::new(Profile::Arm)
            .and_then(|c| c.run(move || scenarios::lend_back_vs_lock(v)))
            .unwrap_or_else(|e| panic!("{e}"));
        // Flat: the notes are matched whole, not wrapped into a column.
        let text = lwpcheck::view::counterexample_flat(&out);
        println!(
            "== lend_back_vs_lock / {} / loom arm: {}\n{text}",
            v,
            out.summary()
        );
        assert_eq!(out.verdict.kind(), Some(FailKind::DataRace), "{text}");
        text
    };
    let while_form = run(Variant::Faithful);
    assert!(while_form.contains(ENTRY_EXIT), "{while_form}");
    let do_while = run(Variant::RetryDoWhile);
    assert!(!do_while.contains(ENTRY_EXIT), "{do_while}");
}
