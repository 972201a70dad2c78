//! loom checks of `lwpcheck::refcount`.
#![cfg(loom)]
