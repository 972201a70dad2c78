//! shuttle checks of `lwpcheck::zombies`.
#![cfg(shuttle)]
