//! The tool's own checks, in the std build (they run in milliseconds): the
//! layout keeps its one-way dependencies, and the expectation tables cannot
//! hide a seeded bug.

mod layout;
mod tables;
