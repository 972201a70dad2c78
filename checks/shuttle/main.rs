//! The shuttle-build checks (`RUSTFLAGS="--cfg shuttle"`): the litmus
//! canaries and the runner end to end. The shuttle cells of the verdict
//! matrix run in the gate.
#![cfg(shuttle)]

mod dpor;
mod dpor_view;
mod graph;
mod graph_check;
mod graph_oracle;
mod graph_sync;
mod litmus;
mod litmus_files;
mod runner;

// The axiomatic oracle (test code, independent of the explorer and the
// facade), for the explorer-versus-oracle differential test; its own checks
// run in the std build (`checks/axioms`).
#[path = "../oracle/mod.rs"]
mod oracle;
