//! The tool's own checks, in the std build (they run in milliseconds): the
//! layout keeps its one-way dependencies, the expectation tables cannot
//! hide a seeded bug, and the findings' patches apply to the seeds.

mod layout;
// diffy is a dev-dependency of the std build only (Cargo.toml).
#[cfg(not(any(loom, shuttle)))]
mod patches;
mod tables;
