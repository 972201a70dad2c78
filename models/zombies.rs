//! loom checks of `lwpcheck::zombies`.
#![cfg(loom)]
