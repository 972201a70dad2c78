//! shuttle checks of `lwpcheck::zombies`: every scenario, every variant,
//! under its PCT explorer.
#![cfg(shuttle)]

lwpcheck::shuttle_tests!(lwpcheck::zombies::Zombies;
    stash_reap_wait,
    late_stash,
    stash_reap_2002,
);
