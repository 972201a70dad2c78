//! shuttle checks of `lwpcheck::tdfind`.
#![cfg(shuttle)]
