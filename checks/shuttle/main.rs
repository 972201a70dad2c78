//! The shuttle-build checks (`RUSTFLAGS="--cfg shuttle"`): the litmus
//! canaries and the runner end to end. The shuttle cells of the verdict
//! matrix run in the gate.
#![cfg(shuttle)]

mod dpor;
mod dpor_view;
mod graph;
mod litmus;
mod runner;
