//! shuttle checks of `lwpcheck::tdfind`: every scenario, every variant,
//! under PCT.
#![cfg(shuttle)]

lwpcheck::shuttle_tests!(lwpcheck::tdfind::Tdfind;
    exit_recycle_vs_lookup,
    same_tid_other_proc_vs_lookup,
    upgrade_race,
    fork_vs_lookup,
    exit_window,
    rwlock_exclusion,
);
