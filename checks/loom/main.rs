//! The loom-build checks (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`):
//! the litmus canaries, the runner end to end, the HTML view in a real
//! browser, the ordering audit, and the counterexamples of the kernel
//! findings. The verdict matrix itself is the gate's (`cargo run --release
//! -- gate`): every cell runs there, once.
#![cfg(loom)]

mod audit;
mod holes;
mod litmus;
mod lwplock;
mod refcount;
mod runner;
mod view;
mod zombies;
