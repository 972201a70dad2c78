//! The loom-build checks (`RUSTFLAGS="--cfg loom --cfg crossbeam_loom"`):
//! the litmus canaries, the runner end to end, the HTML view in a real
//! browser, the ordering audit, and the counterexamples of the kernel
//! findings. The verdict matrix itself is the gate's (`cargo run --release
//! -- gate`): every cell runs there, once.
#![cfg(loom)]

/// One test per canary and profile (`<canary>::arm`, `<canary>::x86`), each
/// calling the `canary(name, profile)` of the module that invokes it (the
/// litmus canaries and loom's holes). Defined before the modules, so both
/// see it.
macro_rules! canaries {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            mod $test {
                use super::*;
                #[test]
                fn arm() {
                    canary($name, Profile::Arm);
                }
                #[test]
                fn x86() {
                    canary($name, Profile::X86);
                }
            }
        )*
    };
}

mod audit;
mod holes;
mod litmus;
mod lwplock;
mod refcount;
mod runner;
mod view;
mod zombies;
