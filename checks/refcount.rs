//! shuttle checks of `lwpcheck::refcount`.
#![cfg(shuttle)]
