//! loom checks of `lwpcheck::lwplock`: every scenario, both profiles, every
//! variant, compared with the expectation table in `src/lwplock/scenarios.rs`.
#![cfg(loom)]

lwpcheck::loom_tests!(lwpcheck::lwplock::LwpLock;
    migrate_vs_lock,
    sleepq_lend_vs_waker,
    sleepq_wake_then_lock,
    two_lendings_vs_trylock,
    two_lendings_vs_lock_and_trylock,
    relock_vs_lock,
    lend_back_vs_lock,
);
