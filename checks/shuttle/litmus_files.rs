//! Every litmus file of the repository (`litmus/catalogue`, with published
//! verdicts, and `litmus/findings`) run through the execution-graph
//! explorer, as `lwpcheck litmus` runs them: each file's expected verdict
//! per memory model must come out (load buffering under `arm` included),
//! except where the explorer is known to differ from the published model,
//! each exception named here with its reason and pinned (it must still
//! differ, so that a change shows up here).

use std::path::Path;
use std::time::Duration;

use lwpcheck::explore::graph::run_program;
use lwpcheck::explore::program::expect::{expected, litmus_files};
use lwpcheck::explore::program::parse::parse;
use lwpcheck::explore::program::Verdict;
use lwpcheck::sync::MemoryModel;

/// (file, model): a false dependency. The facade sees no dependencies, and
/// the explorer takes a store as independent of a load when re-running the
/// thread with the load's new value makes the same store (a semantic
/// dependency, `docs/arm.md`): `(r ^ r) + 1` is 1 whatever `r` is, so the
/// cycle is explored, where ARMv8 hardware keeps the syntactic dependency
/// and forbids it. The one direction the explorer errs in: an outcome too
/// many (a possible false alarm), never one too few.
const FALSE_DEPENDENCY: &[(&str, &str)] = &[("litmus/catalogue/LB+datas.litmus", "arm")];

#[test]
fn every_litmus_file_gives_its_expected_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = litmus_files(&root.join("litmus"));
    assert!(files.len() >= 28, "{} litmus files", files.len());
    let mut wrong = Vec::new();
    let mut runs = 0;
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let p = parse(&rel, &src).unwrap_or_else(|e| panic!("{e}"));
        let expect = expected(&rel, &src).unwrap_or_else(|e| panic!("{e}"));
        for (name, want) in expect {
            let model: MemoryModel = name.parse().expect("a memory model");
            let r = run_program(&p, model, Duration::from_secs(60));
            runs += 1;
            assert!(!r.timed_out, "{rel} under {name}: timed out");
            let got = Verdict::of(p.condition.prop(), &r.states);
            if FALSE_DEPENDENCY.contains(&(rel.as_str(), name)) {
                assert!(
                    got != want && r.lb_executions > 0,
                    "{rel} under {name}: the false dependency no longer shows (got {got}, \
                     published {want}): update the list"
                );
            } else if got != want {
                wrong.push(format!("{rel} under {name}: expected {want}, got {got}"));
            }
        }
    }
    eprintln!("{} files, {runs} runs", files.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
