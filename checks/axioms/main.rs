//! The axiomatic oracle (`checks/oracle/`) checked on its own, in the std
//! build: it reproduces the published verdict of every litmus file of the
//! repository under the four models (`catalogue`), its models nest as the
//! models do on random programs, the generator's programs print and parse
//! back (`random`), and each deliberately broken axiom changes a verdict.
//!
//! `--no-capture` prints the measured numbers (verdict table, graphs).
#![cfg(not(any(loom, shuttle)))]

#[path = "../oracle/mod.rs"]
mod oracle;

mod catalogue;
mod random;
mod semantics;
