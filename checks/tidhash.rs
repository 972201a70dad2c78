//! shuttle checks of the illumos tid hash (`lwpcheck::tidhash`): every
//! scenario, every variant (memory-ordering bugs are expected misses).
#![cfg(shuttle)]

lwpcheck::shuttle_tests!(lwpcheck::tidhash::scenarios::Tidhash;
    grow_vs_lookup,
    two_growths,
    exit_vs_lookup,
    racing_creators,
);
