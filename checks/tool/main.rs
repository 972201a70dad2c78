//! The tool's own checks, in the std build (they run in milliseconds): the
//! layout keeps its one-way dependencies, the expectation tables cannot
//! hide a seeded bug, and the findings' patches apply to the seeds.

mod layout;
mod patches;
mod tables;
