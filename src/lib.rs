//! lwpcheck: model checks of the thread-table protocols of real kernels.
//!
//! Each model ports one protocol from the kernel sources in
//! `shared/seeds/` (the illumos tid hash, NetBSD's lent LWP lock and
//! reference drain, FreeBSD's `tdfind` and zombie lists) to Rust written
//! against [`sync`], a facade that runs on three backends:
//!
//! - **std** (default build): real threads; every model is also a working
//!   implementation.
//! - **loom** (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`): exhaustive
//!   exploration in loom's C11 model, under two profiles: `Arm` (orderings
//!   as the kernel wrote them) and `X86` (TSO approximated: every load
//!   acquire, every store release, every RMW a full barrier).
//! - **shuttle** (`RUSTFLAGS="--cfg shuttle"`): random, PCT and DFS
//!   schedules for scenarios too large for loom; sequentially consistent.
//!
//! Every model carries seeded bugs (variants) with an expected verdict per
//! profile; a check is trusted only because its variants fail it.
//! [`explore`] runs a scenario and returns a verdict with the counterexample
//! trace, which [`view`] lays out in one column per thread (text or HTML);
//! [`explore::litmus`] pins down what the explorers can and cannot see.

// Dependencies point one way, in this order (`checks/tool/layout.rs`
// checks every `crate::` path against it):
//   sync -> explore -> view -> model -> models -> tool
pub mod sync;

pub mod explore;

pub mod view;

pub mod model;

#[path = "../models/mod.rs"]
pub mod models;

pub mod tool;
