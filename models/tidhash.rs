//! loom checks of the illumos tid hash (`lwpcheck::tidhash`): every
//! scenario, every variant, both profiles; then the same scenarios with
//! crossbeam-epoch reclamation instead of the retired list.
#![cfg(loom)]

mod kernel {
    lwpcheck::loom_tests!(lwpcheck::tidhash::scenarios::Tidhash;
        grow_vs_lookup,
        two_growths,
        exit_vs_lookup,
        racing_creators,
    );
}

mod epoch {
    // two_growths is beyond loom with crossbeam-epoch: see
    // `TidhashEpoch::scenarios`.
    lwpcheck::loom_tests!(lwpcheck::tidhash::epoch::TidhashEpoch;
        grow_vs_lookup,
        exit_vs_lookup,
        racing_creators,
    );
}
