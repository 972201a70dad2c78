//! shuttle checks of `lwpcheck::lwplock`.
#![cfg(shuttle)]
