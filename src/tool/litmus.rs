//! `lwpcheck litmus FILE...`: run herd7 C litmus tests under the memory
//! models and print what herd7 prints (`Test`, `States`, the final states,
//! `Ok`/`No`, `Observation`), then each file's expected result
//! (`docs/litmus.md`) with `ok` or `MISMATCH`.
//!
//! The execution-graph explorer (`explore::graph`, shuttle build) runs the
//! programs; [`explore`] is the one call into it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::explore::program::expect::{expected_if_any, MODELS};
use crate::explore::program::parse::parse;
use crate::explore::program::{Condition, Program, ProgramRun, Prop, State, Verdict};

/// Run `p` under the memory model named `model` (one of [`MODELS`]).
pub fn explore(p: &Program, model: &str, budget: Duration) -> Result<ProgramRun, String> {
    #[cfg(shuttle)]
    {
        let m: crate::sync::MemoryModel = model.parse()?;
        Ok(crate::explore::graph::run_program(p, m, budget))
    }
    #[cfg(not(shuttle))]
    {
        let _ = (p, budget);
        Err(format!(
            "litmus runs the execution-graph explorer, which is in the shuttle build only (asked for {model}): RUSTFLAGS=\"--cfg shuttle\" cargo run --release -- litmus FILE..."
        ))
    }
}

/// The models named by `--model` (all four when `None`).
pub fn models(arg: Option<&str>) -> Result<Vec<&'static str>, String> {
    match arg {
        None => Ok(MODELS.to_vec()),
        Some(m) => MODELS
            .iter()
            .find(|x| **x == m)
            .map(|x| vec![*x])
            .ok_or_else(|| {
                format!(
                    "unknown memory model '{m}' (accepted: {})",
                    MODELS.join(", ")
                )
            }),
    }
}

/// The command: parse every file first (a malformed one is an error, exit
/// 2), then run each under each model; exit 1 if any result differs from
/// the file's expectation (or a run timed out).
pub fn command(
    files: &[PathBuf],
    model: Option<&str>,
    budget: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<ExitCode, String> {
    let models = models(model)?;
    let mut tests = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let src = std::fs::read_to_string(f).map_err(|e| format!("{name}: cannot read: {e}"))?;
        let p = parse(&name, &src).map_err(|e| e.to_string())?;
        let want = expected_if_any(&name, &src).map_err(|e| e.to_string())?;
        tests.push((p, want));
    }
    let mut failed = false;
    for (p, want) in &tests {
        for m in &models {
            let run = explore(p, m, budget)?;
            let expected = want.as_ref().map(|w| w[m]);
            let (text, ok) = report(p, m, &run, expected);
            out(&text);
            failed |= !ok;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The registers and locations the condition names, in order of first
/// mention: what herd7 shows of each final state.
fn observed(p: &Program) -> Vec<Prop> {
    fn walk(q: &Prop, out: &mut Vec<Prop>) {
        match q {
            Prop::True => {}
            Prop::Reg { thread, reg, .. } => {
                let t = Prop::Reg {
                    thread: *thread,
                    reg: *reg,
                    value: 0,
                };
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            Prop::Loc { loc, .. } => {
                let t = Prop::Loc {
                    loc: *loc,
                    value: 0,
                };
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            Prop::And(a, b) | Prop::Or(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Prop::Not(a) => walk(a, out),
        }
    }
    let mut out = Vec::new();
    walk(p.condition.prop(), &mut out);
    out
}

/// One final state as herd7 prints it: `1:r0=1; 1:r1=0; x=1;`.
fn state_line(p: &Program, seen: &[Prop], s: &State) -> String {
    let mut line = String::new();
    for t in seen {
        match t {
            Prop::Reg { thread, reg, .. } => {
                let name = &p.threads[*thread].registers[*reg];
                let _ = write!(line, "{thread}:{name}={}; ", s.registers[*thread][*reg]);
            }
            Prop::Loc { loc, .. } => {
                let _ = write!(line, "{}={}; ", p.locations[*loc].name, s.memory[*loc]);
            }
            _ => {}
        }
    }
    line.trim_end().to_string()
}

/// The herd7-style report of one run, and whether it matches the
/// expectation (true when there is none and the run finished).
pub fn report(
    p: &Program,
    model: &str,
    run: &ProgramRun,
    expected: Option<Verdict>,
) -> (String, bool) {
    let prop = p.condition.prop();
    let seen = observed(p);
    // Distinct observed states, each with whether it satisfies the
    // proposition (a state is judged on what the condition names, so the
    // projection loses nothing).
    let mut lines: BTreeMap<String, bool> = BTreeMap::new();
    for s in &run.states {
        lines.insert(state_line(p, &seen, s), prop.holds(s));
    }
    let positive = lines.values().filter(|h| **h).count();
    let negative = lines.len() - positive;
    let verdict = Verdict::of(prop, &run.states);
    let (kind, validated) = match &p.condition {
        Condition::Exists(_) => ("Allowed", positive > 0),
        Condition::NotExists(_) => ("Forbidden", positive == 0),
        Condition::Forall(_) => ("Required", negative == 0),
    };
    let mut o = String::new();
    let _ = writeln!(o, "Test {} {kind} (model {model})", p.name);
    let _ = writeln!(o, "States {}", lines.len());
    for l in lines.keys() {
        let _ = writeln!(o, "{l}");
    }
    let _ = writeln!(o, "{}", if validated { "Ok" } else { "No" });
    if run.racy {
        let _ = writeln!(o, "Flag data-race");
    }
    let _ = writeln!(o, "Observation {} {verdict} {positive} {negative}", p.name);
    let _ = write!(
        o,
        "Explored {} executions, {} graphs",
        run.executions, run.graphs
    );
    if run.lb_executions > 0 {
        let _ = write!(
            o,
            ", {} with load buffering (a po ∪ rf cycle)",
            run.lb_executions
        );
    }
    let _ = writeln!(o);
    let mut ok = true;
    if run.timed_out {
        let _ = writeln!(o, "Timed out: the states above are a subset");
        ok = false;
    }
    match expected {
        Some(want) => {
            let matches = want == verdict && !run.timed_out;
            ok &= matches;
            let _ = writeln!(
                o,
                "Expected {model}: {want} {}",
                if matches { "ok" } else { "MISMATCH" }
            );
        }
        None => {
            let _ = writeln!(o, "Expected {model}: none stated in the file");
        }
    }
    (o, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SB: &str = "C SB\n(* Result sc: Never\n Result tso: Sometimes\n Result rc11: Sometimes\n Result arm: Sometimes *)\n{ x = 0; y = 0; }\nP0(atomic_int *x, atomic_int *y) {\n atomic_store_explicit(x, 1, memory_order_relaxed);\n int r0 = atomic_load_explicit(y, memory_order_relaxed);\n}\nP1(atomic_int *x, atomic_int *y) {\n atomic_store_explicit(y, 1, memory_order_relaxed);\n int r0 = atomic_load_explicit(x, memory_order_relaxed);\n}\nexists (0:r0=0 /\\ 1:r0=0)\n";

    /// Hand-made final states of SB: (0:r0, 1:r0).
    fn run_with(pairs: &[(u64, u64)]) -> ProgramRun {
        ProgramRun {
            states: pairs
                .iter()
                .map(|&(a, b)| State {
                    registers: vec![vec![a], vec![b]],
                    memory: vec![1, 1],
                })
                .collect(),
            executions: 7,
            graphs: pairs.len() as u64,
            ..ProgramRun::default()
        }
    }

    #[test]
    fn prints_the_states_and_the_observation_as_herd_does() {
        let p = parse("sb.litmus", SB).unwrap();
        let (text, ok) = report(
            &p,
            "tso",
            &run_with(&[(0, 0), (0, 1), (1, 0), (1, 1)]),
            Some(Verdict::Sometimes),
        );
        assert!(ok);
        assert_eq!(
            text,
            "Test SB Allowed (model tso)\nStates 4\n0:r0=0; 1:r0=0;\n0:r0=0; 1:r0=1;\n0:r0=1; 1:r0=0;\n0:r0=1; 1:r0=1;\nOk\nObservation SB Sometimes 1 3\nExplored 7 executions, 4 graphs\nExpected tso: Sometimes ok\n"
        );
    }

    #[test]
    fn a_different_verdict_is_a_mismatch() {
        let p = parse("sb.litmus", SB).unwrap();
        let (text, ok) = report(&p, "sc", &run_with(&[(0, 0), (1, 1)]), Some(Verdict::Never));
        assert!(!ok);
        assert!(
            text.contains("\nOk\nObservation SB Sometimes 1 1\n"),
            "{text}"
        );
        assert!(text.ends_with("Expected sc: Never MISMATCH\n"), "{text}");
        let (text, ok) = report(&p, "sc", &run_with(&[(0, 1), (1, 1)]), Some(Verdict::Never));
        assert!(ok, "{text}");
        assert!(text.contains("\nNo\nObservation SB Never 0 2\n"), "{text}");
    }

    #[test]
    fn forbidden_and_required_tests_say_so() {
        let p = parse("sb.litmus", &SB.replace("exists", "~exists")).unwrap();
        let (text, _) = report(&p, "sc", &run_with(&[(0, 1)]), None);
        assert!(text.starts_with("Test SB Forbidden (model sc)\n"), "{text}");
        assert!(text.contains("\nOk\n"), "~exists holds: {text}");
        assert!(
            text.ends_with("Expected sc: none stated in the file\n"),
            "{text}"
        );
        let p = parse(
            "sb.litmus",
            &SB.replace("exists (0:r0=0 /\\ 1:r0=0)", "forall (0:r0=1 \\/ 1:r0=1)"),
        )
        .unwrap();
        let (text, _) = report(&p, "sc", &run_with(&[(0, 1), (1, 0), (1, 1)]), None);
        assert!(text.starts_with("Test SB Required (model sc)\n"), "{text}");
        assert!(text.contains("\nOk\nObservation SB Always 3 0\n"), "{text}");
    }

    #[test]
    fn races_load_buffering_and_time_outs_are_reported() {
        let p = parse("sb.litmus", SB).unwrap();
        let mut run = run_with(&[(0, 0)]);
        run.racy = true;
        run.lb_executions = 2;
        run.timed_out = true;
        let (text, ok) = report(&p, "arm", &run, Some(Verdict::Always));
        assert!(!ok, "a time-out is never ok");
        assert!(text.contains("\nFlag data-race\n"), "{text}");
        assert!(text.contains(", 2 with load buffering"), "{text}");
        assert!(
            text.contains("\nTimed out: the states above are a subset\n"),
            "{text}"
        );
        assert!(text.ends_with("Expected arm: Always MISMATCH\n"), "{text}");
    }

    #[test]
    fn bad_models_and_files_are_one_line_errors() {
        let e = models(Some("power")).unwrap_err();
        assert_eq!(
            e,
            "unknown memory model 'power' (accepted: sc, tso, rc11, arm)"
        );
        let dir = std::env::temp_dir().join(format!("lwpcheck-litmus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("bad.litmus");
        std::fs::write(
            &f,
            SB.replace(
                "memory_order_relaxed);\n int r0",
                "memory_order_sloppy);\n int r0",
            ),
        )
        .unwrap();
        let e = command(
            std::slice::from_ref(&f),
            None,
            Duration::from_secs(1),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(e.ends_with("bad.litmus:8: unknown memory order 'memory_order_sloppy' (accepted: memory_order_relaxed, memory_order_consume, memory_order_acquire, memory_order_release, memory_order_acq_rel, memory_order_seq_cst)"), "{e}");
        assert_eq!(e.lines().count(), 1);
        std::fs::remove_file(&f).unwrap();
    }

    #[cfg(not(shuttle))]
    #[test]
    fn outside_the_shuttle_build_it_says_which_rustflags() {
        let p = parse("sb.litmus", SB).unwrap();
        let e = explore(&p, "arm", Duration::from_secs(1)).unwrap_err();
        assert!(e.contains("RUSTFLAGS=\"--cfg shuttle\""), "{e}");
        assert_eq!(e.lines().count(), 1);
    }
}
