//! loom checks of `lwpcheck::tidhash`.
#![cfg(loom)]
