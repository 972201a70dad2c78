//! Every `litmus/**/*.litmus` file (the catalogue, and any findings files)
//! under the four models: the oracle, with dependencies seen (as the
//! published verdicts assume), must give each file's expected verdict.

use std::path::Path;

use lwpcheck::explore::program::expect::{expected, litmus_files, MODELS};
use lwpcheck::explore::program::parse::parse;
use lwpcheck::explore::program::{Program, Verdict};

use crate::oracle::{self, Broken, Model, Options};

/// Every litmus file with its program and expected verdicts.
fn catalogue() -> Vec<(
    String,
    Program,
    std::collections::BTreeMap<&'static str, Verdict>,
)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    litmus_files(&root.join("litmus"))
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
            let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{rel}: {e}"));
            let p = parse(&rel, &src).unwrap_or_else(|e| panic!("{e}"));
            let x = expected(&rel, &src).unwrap_or_else(|e| panic!("{e}"));
            (rel, p, x)
        })
        .collect()
}

fn model(name: &str) -> Model {
    *Model::ALL
        .iter()
        .find(|m| m.name() == name)
        .expect("a model of MODELS")
}

/// Which files a check runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Files {
    /// Every `litmus/**/*.litmus`.
    All,
    /// `litmus/catalogue/` only: the checks that list exactly which
    /// verdicts change (a findings file may be racy or rest on load
    /// buffering or a dependency, and must not break them).
    Catalogue,
}

/// The (file, model, expected, got) of every disagreement under `o`.
fn mismatches(o: &Options, verbose: bool, files: Files) -> Vec<String> {
    let mut bad = Vec::new();
    for (file, p, want) in catalogue() {
        if files == Files::Catalogue && !file.starts_with("litmus/catalogue/") {
            continue;
        }
        let mut row = format!("{:<44}", p.name);
        for m in MODELS {
            let run = oracle::run(&p, model(m), o);
            let got = Verdict::of(p.condition.prop(), &run.states);
            row.push_str(&format!(
                " {m}={:<9} ({:>3} graphs{})",
                got.name(),
                run.graphs,
                if run.racy { ", racy" } else { "" }
            ));
            if got != want[m] {
                bad.push(format!("{file}: {m}: expected {} got {}", want[m], got));
            }
        }
        if verbose {
            println!("{row}");
        }
    }
    bad
}

#[test]
fn the_oracle_gives_every_litmus_files_published_verdict() {
    let files = catalogue();
    assert!(
        files.len() >= 28,
        "the catalogue is there: {} files",
        files.len()
    );
    let bad = mismatches(&Options::PUBLISHED, true, Files::All);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn every_catalogue_file_cites_its_sources() {
    for (file, _, _) in catalogue()
        .iter()
        .filter(|(f, _, _)| f.starts_with("litmus/catalogue/"))
    {
        let src =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        for model in ["x86-TSO", "RC11", "ARMv8"] {
            assert!(
                src.contains(&format!("Source: {model}")),
                "{file}: no 'Source: {model}' line"
            );
        }
    }
}

#[test]
fn the_catalogue_has_no_race_but_where_it_says_so() {
    // MP+rel+acq+na is the one test with plain data: race-free because the
    // plain read happens only after the acquire saw the flag.
    for (file, p, _) in catalogue()
        .into_iter()
        .filter(|(f, _, _)| f.starts_with("litmus/catalogue/"))
    {
        for m in Model::ALL {
            let run = oracle::run(&p, m, &Options::PUBLISHED);
            assert!(!run.racy, "{file}: a data race under {}", m.name());
        }
    }
}

/// Without dependencies (what the facade sees), LB+datas becomes allowed
/// under arm and nothing else changes: the one labelled dependency test.
#[test]
fn without_dependencies_only_the_dependency_test_changes() {
    let bad = mismatches(&Options::FACADE, false, Files::Catalogue);
    assert_eq!(
        bad,
        ["litmus/catalogue/LB+datas.litmus: arm: expected Never got Sometimes"],
        "{bad:#?}"
    );
}

/// Each broken axiom must change some catalogue verdict: the catalogue test
/// above can fail.
#[test]
fn each_broken_axiom_changes_a_catalogue_verdict() {
    for broken in [
        Broken::ArmDmbSt,
        Broken::TsoMfence,
        Broken::Rc11Sw,
        Broken::ScFr,
    ] {
        let o = Options {
            broken: Some(broken),
            ..Options::PUBLISHED
        };
        let bad = mismatches(&o, false, Files::All);
        println!("{broken:?}: {bad:?}");
        assert!(!bad.is_empty(), "{broken:?} changed no verdict");
    }
}

/// With `porf_acyclic`, load buffering disappears from arm: LB and the
/// membar_producer test become Never.
#[test]
fn porf_acyclic_removes_load_buffering() {
    let o = Options {
        porf_acyclic: true,
        ..Options::PUBLISHED
    };
    let mut bad = mismatches(&o, false, Files::Catalogue);
    bad.sort();
    assert_eq!(
        bad,
        [
            "litmus/catalogue/LB+membar_producer+membar_sync.litmus: arm: expected Sometimes got Never",
            "litmus/catalogue/LB.litmus: arm: expected Sometimes got Never",
        ]
    );
}

/// `docs/litmus.md`'s catalogue table states each file's four expected
/// verdicts, as the file does.
#[test]
fn the_docs_table_is_the_files_results() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/litmus.md"))
        .unwrap();
    for (file, p, want) in catalogue()
        .iter()
        .filter(|(f, _, _)| f.starts_with("litmus/catalogue/"))
    {
        let row = format!(
            "| [{}](../{file}) | {} | {} | {} | {} |",
            p.name, want["sc"], want["tso"], want["rc11"], want["arm"]
        );
        assert!(doc.contains(&row), "docs/litmus.md lacks the row\n{row}");
    }
}
