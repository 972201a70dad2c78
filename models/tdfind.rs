//! loom checks of `lwpcheck::tdfind`.
#![cfg(loom)]
