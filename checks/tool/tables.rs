//! The expectation tables cannot hide a seeded bug:
//!
//! - every seeded bug is expected to fail (or to be missed: a recorded miss
//!   is a real bug an explorer cannot show) in at least one cell of some
//!   explorer and profile;
//! - the faithful code is expected to pass everywhere, except in cells
//!   marked as a finding about the kernel, whose page exists;
//! - no table matches variants with a wildcard arm that expects a pass or a
//!   miss (a variant added later would silently be expected to pass there);
//! - a fix variant (one that names the findings pages it fixes,
//!   `Variant::fixes`) is expected to pass in every cell, and its pages
//!   exist;
//! - a reference variant (an earlier design, `Variant::reference`) is
//!   expected to pass in every cell too, and is neither a bug nor a fix.

use std::path::Path;

use lwpcheck::model::{Expectation, Expected, Run};
use lwpcheck::sync::{MemoryModel, Profile};
use lwpcheck::tool::registry::{self, Entry};

/// Every cell's expectation of a model, as (scenario, variant, run, expectation).
fn cells(m: &Entry) -> Vec<(String, &'static str, Run, Expectation)> {
    let mut out = Vec::new();
    for sc in (m.scenarios)() {
        let mut runs: Vec<Run> = Profile::ALL.iter().map(|&p| Run::Loom(p)).collect();
        if m.no_shuttle.is_none() {
            runs.push(Run::Shuttle(sc.shuttle));
            runs.extend(MemoryModel::ALL.iter().map(|&mm| Run::Dpor(mm)));
            runs.extend(Run::GRAPH_COLUMNS.iter().map(|&mm| Run::Graph(mm)));
        }
        for (v, _) in (m.variants)() {
            for &run in &runs {
                let e =
                    (m.expectation)(sc.name, v, run).expect("a declared cell has an expectation");
                out.push((sc.name.to_string(), v, run, e));
            }
        }
    }
    out
}

/// What is wrong with one model's table.
fn problems(m: &Entry, page_exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let cells = cells(m);
    let mut out = Vec::new();
    for (v, _) in (m.variants)() {
        let mine = cells.iter().filter(|c| c.1 == v);
        if v == "faithful" {
            for (sc, _, run, e) in mine {
                match (e.expected, e.finding) {
                    (Expected::Pass, None) => {}
                    (Expected::Pass, Some(p)) => out.push(format!(
                        "{} {sc} faithful {run}: expected to pass but marked as finding {p}",
                        m.name
                    )),
                    (x, None) => out.push(format!(
                        "{} {sc} faithful {run}: the kernel's own code is expected to {x} but the cell is not marked as a finding (model::finding)",
                        m.name
                    )),
                    (_, Some(p)) if !page_exists(p) => out.push(format!(
                        "{} {sc} faithful {run}: finding page {p} does not exist",
                        m.name
                    )),
                    _ => {}
                }
            }
        } else if !(m.fixes)(v).is_empty() {
            for (sc, _, run, e) in mine {
                if e.expected != Expected::Pass {
                    out.push(format!(
                        "{} {sc} {v} {run}: fix variant expected to {}: a fix must pass every cell",
                        m.name, e.expected
                    ));
                }
            }
            for p in (m.fixes)(v) {
                if !page_exists(p) {
                    out.push(format!(
                        "{}: fix variant '{v}' fixes {p}, which does not exist",
                        m.name
                    ));
                }
            }
        } else if let Some(why) = (m.reference)(v) {
            if !(m.fixes)(v).is_empty() {
                out.push(format!(
                    "{}: variant '{v}' is both a reference design and a fix",
                    m.name
                ));
            }
            if why.trim().is_empty() {
                out.push(format!(
                    "{}: reference variant '{v}' gives no reason",
                    m.name
                ));
            }
            for (sc, _, run, e) in mine {
                if e.expected != Expected::Pass {
                    out.push(format!(
                        "{} {sc} {v} {run}: reference variant expected to {}: a reference design must pass every cell",
                        m.name, e.expected
                    ));
                }
            }
        } else if mine.clone().all(|c| c.3.expected == Expected::Pass) {
            out.push(format!(
                "{}: seeded bug '{v}' is expected to pass in every cell of every explorer and profile: no check can catch it",
                m.name
            ));
        }
    }
    out
}

#[test]
fn no_table_hides_a_seeded_bug() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exists = |p: &str| root.join(p).is_file();
    let all: Vec<String> = registry::all()
        .iter()
        .flat_map(|m| problems(m, &exists))
        .collect();
    assert!(all.is_empty(), "expectation tables:\n{}", all.join("\n"));
}

/// A table whose only seeded bug is expected to pass everywhere, and whose
/// faithful code fails somewhere unmarked, is caught twice.
#[test]
fn a_hidden_seeded_bug_is_caught() {
    use lwpcheck::explore::FailKind;
    use lwpcheck::model::{fail, pass};
    let fake = Entry {
        name: "fake",
        variants: || {
            vec![
                ("faithful", ""),
                ("no-barrier", ""),
                ("fix", ""),
                ("earlier", ""),
            ]
        },
        scenarios: || vec![SC],
        no_shuttle: None,
        needs_crossbeam_loom: false,
        bigger: None,
        scenario: |_| Err(String::new()),
        check_variant: |_| Ok(()),
        expectation: |_, v, run| {
            Ok(match (v, run) {
                ("faithful", Run::Loom(Profile::Arm)) => fail(FailKind::DataRace, "unmarked"),
                ("fix", Run::Loom(Profile::X86)) => fail(FailKind::DataRace, "a fix that fails"),
                ("earlier", Run::Loom(Profile::Arm)) => {
                    fail(FailKind::DataRace, "a reference that fails")
                }
                _ => pass("everything passes"),
            })
        },
        fixes: |v| {
            if v == "fix" {
                &["docs/findings/x.md"]
            } else {
                &[]
            }
        },
        reference: |v| (v == "earlier").then_some("the design before"),
        run: |_| Err(String::new()),
        dpor: |_, _, _| Err(String::new()),
    };
    let p = problems(&fake, &|_| true);
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(
        p[3].contains("fake s earlier loom/arm: reference variant expected to fail data-race"),
        "{p:#?}"
    );
    assert!(
        p[2].contains("fake s fix loom/x86: fix variant expected to fail data-race"),
        "{p:#?}"
    );
    assert!(p[0].contains("not marked as a finding"), "{p:#?}");
    assert!(
        p[1].contains("seeded bug 'no-barrier' is expected to pass in every cell"),
        "{p:#?}"
    );
}

/// The one scenario of the fake model.
const SC: lwpcheck::tool::registry::ScenarioInfo = lwpcheck::tool::registry::ScenarioInfo {
    name: "s",
    about: "",
    loom_bounds: lwpcheck::explore::Bounds {
        preemptions: None,
        branches: None,
    },
    bound_reason: "",
    loom_orders: lwpcheck::explore::SpawnOrders::Every,
    shuttle: lwpcheck::explore::Schedule::Dfs {
        max_iterations: None,
    },
    graph_skip: None,
};

/// The wildcard arms that would let a later variant be expected to pass:
/// `_ => pass(...)` or `_ => miss(...)` anywhere in a model.
fn wildcard_passes(rel: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("").trim_start();
        let Some(rest) = code.strip_prefix("_ =>") else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = rest.strip_prefix("crate::model::").unwrap_or(rest);
        if rest.starts_with("pass(") || rest.starts_with("miss(") {
            out.push(format!("{rel}:{}: {}", n + 1, line.trim()));
        }
    }
    out
}

#[test]
fn no_wildcard_expects_a_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut stack = vec![root.join("models")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                found.extend(wildcard_passes(&rel, &std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "name the variants instead of `_ =>`:\n{}",
        found.join("\n")
    );
    let fake = "match v {\n    Faithful => pass(\"ok\"),\n    _ => pass(\"not reached\"),\n    _ => crate::model::miss(K, \"x\"),\n    _ => expect_other(v),\n}";
    assert_eq!(wildcard_passes("fake.rs", fake).len(), 2);
}
