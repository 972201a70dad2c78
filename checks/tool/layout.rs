//! Dependencies point one way: `sync -> explore -> view -> model -> models
//! -> tool`. Every `crate::`, `$crate::` and `lwpcheck::` path in the code
//! (comments excluded: a doc link is not a dependency) must name a layer at
//! or below the one of the file it is written in. With a strict order on the
//! layers, no cycle between them can exist.

use std::path::{Path, PathBuf};

/// The layers, bottom first, with the paths that belong to each.
const LAYERS: &[(&str, &[&str])] = &[
    ("sync", &["src/sync/"]),
    ("explore", &["src/explore/"]),
    ("view", &["src/view/"]),
    ("model", &["src/model.rs"]),
    ("models", &["models/"]),
    ("tool", &["src/tool/", "src/main.rs"]),
];

/// Root items that are not modules: the `#[macro_export]` macros, and the
/// layer they are defined in.
const ROOT_ITEMS: &[(&str, &str)] = &[("prop", "explore")];

fn layer_of_file(rel: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, prefixes)| prefixes.iter().any(|p| rel.starts_with(p)))
}

fn layer_named(name: &str) -> Option<usize> {
    let name = ROOT_ITEMS
        .iter()
        .find(|(item, _)| *item == name)
        .map_or(name, |(_, layer)| layer);
    LAYERS.iter().position(|(n, _)| *n == name)
}

/// The problems in one file's text: each upward or unknown reference, as
/// `file:line: ...`.
fn problems(rel: &str, text: &str) -> Vec<String> {
    let Some(here) = layer_of_file(rel) else {
        return vec![format!("{rel}: in no layer (add it to LAYERS)")];
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for prefix in ["$crate::", "crate::", "lwpcheck::"] {
            let mut rest = code;
            while let Some(at) = rest.find(prefix) {
                let before = rest[..at].chars().last();
                rest = &rest[at + prefix.len()..];
                // `$crate::` is also found as `crate::`: skip the inner match.
                if prefix == "crate::" && before == Some('$') {
                    continue;
                }
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                match layer_named(&name) {
                    Some(l) if l <= here => {}
                    Some(l) => out.push(format!(
                        "{rel}:{}: layer {} uses {prefix}{name} (layer {}, above it)",
                        n + 1,
                        LAYERS[here].0,
                        LAYERS[l].0
                    )),
                    None => out.push(format!(
                        "{rel}:{}: {prefix}{name} is in no layer (add it to LAYERS or ROOT_ITEMS)",
                        n + 1
                    )),
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read a source directory") {
        let p = e.expect("a directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn dependencies_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("models"), &mut files);
    files.sort();
    let mut all = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "src/lib.rs" {
            continue; // the root declares the layers
        }
        let text = std::fs::read_to_string(f).expect("read a source file");
        all.extend(problems(&rel, &text));
        checked += 1;
    }
    assert!(
        checked > 30,
        "only {checked} files found under src/ and models/"
    );
    assert!(
        all.is_empty(),
        "dependencies that point the wrong way:\n{}",
        all.join("\n")
    );
}

#[test]
fn an_upward_dependency_is_caught() {
    let p = problems("src/sync/atomic.rs", "use crate::tool::matrix;\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("layer sync uses crate::tool"), "{p:?}");
    let p = problems(
        "src/explore/mod.rs",
        "    x.push(crate::view::swimlane(t));",
    );
    assert!(p[0].contains("layer explore uses crate::view"), "{p:?}");
    let p = problems("src/model.rs", "crate::tool::report::Record::of(self)");
    assert!(p[0].contains("layer model uses crate::tool"), "{p:?}");
    // ...while downward uses, comments and macros of the right layer pass.
    assert!(problems(
        "models/a/mod.rs",
        "use crate::sync::Arc; crate::prop!(x); // crate::tool"
    )
    .is_empty());
    assert!(!problems("src/sync/x.rs", "$crate::model::f()").is_empty());
    assert!(!problems("src/tool/x.rs", "crate::nowhere::f()").is_empty());
}
