//! loom checks of `lwpcheck::lwplock`.
#![cfg(loom)]
