//! shuttle checks of `lwpcheck::tidhash`.
#![cfg(shuttle)]
