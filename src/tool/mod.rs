//! The tool: what runs the models and reports on them. It sits on top of
//! everything else; nothing below it depends on it.
//!
//! - [`registry`]: every model, scenario and variant by name;
//! - [`matrix`]: the verdict matrix and the gate, sharded over processes;
//! - [`report`]: report.json / report.md, read back and printed again;
//! - [`audit`]: the ordering audit (each site weakened in turn);
//! - [`firstfail`]: which explorer finds which seeded bug first;
//! - [`compare`]: DPOR, plain DFS and loom side by side (`docs/comparison.md`);
//! - [`bigger`]: one scenario per model larger than loom can go, under
//!   every explorer (`docs/bigger.md`);
//! - [`checkpoint`]: loom checkpoint record and replay;
//! - [`litmus`]: `lwpcheck litmus FILE...`, herd7 C litmus tests.

pub mod audit;
pub mod bigger;
pub mod checkpoint;
pub mod compare;
pub mod firstfail;
pub mod litmus;
pub mod matrix;
pub mod registry;
pub mod report;
