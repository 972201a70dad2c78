//! loom checks of the illumos tid hash (`lwpcheck::tidhash`): every
//! scenario, every variant, both profiles.
#![cfg(loom)]

lwpcheck::loom_tests!(lwpcheck::tidhash::scenarios::Tidhash;
    grow_vs_lookup,
    two_growths,
    exit_vs_lookup,
    racing_creators,
);
