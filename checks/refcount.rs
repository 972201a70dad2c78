//! shuttle checks of `lwpcheck::refcount`: every scenario, every variant,
//! under its PCT explorer.
#![cfg(shuttle)]

lwpcheck::shuttle_tests!(lwpcheck::refcount::Refcount;
    inspect_exit_reap,
    two_inspectors,
    zombie_loop,
    inspect_exit_reap_r154,
    two_inspectors_r154,
);
