//! shuttle checks of `lwpcheck::lwplock`: every scenario under its PCT
//! explorer, every variant, compared with the expectation table in
//! `src/lwplock/scenarios.rs`.
#![cfg(shuttle)]

lwpcheck::shuttle_tests!(lwpcheck::lwplock::LwpLock;
    migrate_vs_lock,
    sleepq_lend_vs_waker,
    sleepq_wake_then_lock,
    two_lendings_vs_trylock,
    two_lendings_vs_lock_and_trylock,
    relock_vs_lock,
    lend_back_vs_lock,
);
