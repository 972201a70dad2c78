//! The axiomatic oracle: for a small [`Program`], every candidate execution
//! (`exec`), judged by each memory model's axioms written as plain
//! relations (`axioms`, over the bit matrices of `rel`), giving the final
//! states, the number of consistent execution graphs and whether one has a
//! data race. It shares nothing with the explorer or the facade
//! (`lwpcheck::explore::graph`, `lwpcheck::sync`): only the program type
//! and its parser. `gen` makes random programs for differential tests.
//!
//! Used by the `axioms` test binary (std build: the catalogue, the model
//! nesting, the mutants) and meant for the shuttle binary's explorer
//! differential (`#[path = "../oracle/mod.rs"] mod oracle;`).

// Each test binary that includes the oracle uses part of it (the shuttle
// binary none of it until the explorer differential is written).
#![allow(dead_code, unused_imports)]

pub mod axioms;
pub mod exec;
pub mod gen;
pub mod rel;

use std::collections::BTreeSet;

use lwpcheck::explore::program::{Program, State};

pub use axioms::{Broken, Model, Options};

/// What the oracle found for one program under one model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OracleRun {
    /// The final states of the consistent executions.
    pub states: BTreeSet<State>,
    /// Consistent execution graphs (each thread's run, reads-from and
    /// coherence).
    pub graphs: u64,
    /// Whether some consistent execution has a C11 data race
    /// ([`axioms::racy`]).
    pub racy: bool,
    /// Candidate executions examined (those passing SC-per-location).
    pub candidates: u64,
}

/// Run the oracle.
pub fn run(p: &Program, model: Model, o: &Options) -> OracleRun {
    let mut out = OracleRun {
        states: BTreeSet::new(),
        graphs: 0,
        racy: false,
        candidates: 0,
    };
    exec::candidates(p, model.spurious_cas(), |g| {
        out.candidates += 1;
        if axioms::consistent(g, model, o) {
            out.graphs += 1;
            out.racy |= axioms::racy(g);
            out.states.insert(State {
                registers: g.regs.clone(),
                memory: g.memory(p.locations.len()),
            });
        }
    });
    out
}
