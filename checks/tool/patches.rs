//! The findings' patches (`docs/findings/patches/`) apply to the kernel
//! sources they were written against: the seeds (`shared/seeds/`, beside
//! the repository), cross-reference listings whose lines start with their
//! line number. The check strips the numbers, applies each patch with
//! `diffy` (no `patch` binary needed) and requires every hunk to match at
//! the line its header names; a patch with one context line changed must
//! not apply.

use std::path::{Path, PathBuf};

use diffy::{Line, Patch};

/// Each patch, and for each file it changes, the seed it was written
/// against (the listing's name in `shared/seeds/`).
const PATCHES: &[(&str, &[(&str, &str)])] = &[
    (
        "freebsd-tdfind.diff",
        &[("sys/kern/kern_thread.c", "002_798bd6a11634f707.txt")],
    ),
    (
        "netbsd-lwp-lock-lend-back.diff",
        &[("sys/kern/kern_lwp.c", "001_078b5b09e05f415d.txt")],
    ),
];

/// `shared/seeds/`: beside the repository (CI, `/work/main`), or beside the
/// folder of worktrees (`/work/wt/NAME`); `LWPCHECK_SEEDS` overrides.
fn seeds_dir() -> PathBuf {
    if let Ok(d) = std::env::var("LWPCHECK_SEEDS") {
        return PathBuf::from(d);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared/seeds"))
        .find(|d| d.join("README.md").is_file())
        .unwrap_or_else(|| {
            panic!(
                "shared/seeds not found above {} (set LWPCHECK_SEEDS to the folder of the kernel listings)",
                root.display()
            )
        })
}

/// The source text of a listing: lines that start with their number (after
/// optional spaces or no-break spaces) lose it and the one no-break space
/// after it; the listing's header lines (no number) are dropped. Numbers
/// must run 1, 2, 3, ... or the listing is not what the patches expect.
fn strip_listing(listing: &str, name: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut want = 1usize;
    for (i, line) in listing.lines().enumerate() {
        let rest = line.trim_start_matches([' ', '\u{a0}']);
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            continue; // a header line of the listing
        }
        let (num, text) = rest.split_at(digits);
        let text = match text.strip_prefix('\u{a0}') {
            Some(t) => t,
            None if text.is_empty() => "",
            None => continue, // not a numbered source line
        };
        let n: usize = num
            .parse()
            .map_err(|_| format!("{name}:{}: bad line number {num:?}", i + 1))?;
        if n != want {
            return Err(format!(
                "{name}:{}: line number {n}, expected {want}",
                i + 1
            ));
        }
        want += 1;
        out.push_str(text);
        out.push('\n');
    }
    if want == 1 {
        return Err(format!("{name}: no numbered lines"));
    }
    Ok(out)
}

/// The patch split into its files: (path without the `a/` prefix, the
/// file's part of the patch text).
fn split_files(patch: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in patch.split_inclusive('\n') {
        if let Some(p) = line.strip_prefix("--- ") {
            let path = p.split(['\t', '\n']).next().unwrap_or("");
            let path = path.strip_prefix("a/").unwrap_or(path).to_string();
            files.push((path, String::new()));
        }
        if let Some((_, text)) = files.last_mut() {
            text.push_str(line);
        }
    }
    files
}

/// Apply one file's patch to `base`: every hunk must match at the line its
/// header names (checked here: `diffy::apply` alone would also accept a
/// hunk found at another line), then `diffy::apply` must succeed.
fn apply_exact(base: &str, file_patch: &str) -> Result<String, String> {
    let patch = Patch::from_str(file_patch).map_err(|e| format!("does not parse: {e}"))?;
    if patch.hunks().is_empty() {
        return Err("no hunks".into());
    }
    let lines: Vec<&str> = base.split_inclusive('\n').collect();
    for (h, hunk) in patch.hunks().iter().enumerate() {
        let start = hunk.old_range().start();
        let pre: Vec<&str> = hunk
            .lines()
            .iter()
            .filter_map(|l| match l {
                Line::Context(t) | Line::Delete(t) => Some(*t),
                Line::Insert(_) => None,
            })
            .collect();
        for (k, want) in pre.iter().enumerate() {
            let at = start + k; // 1-based
            let have = lines.get(at - 1).copied().unwrap_or("<end of file>");
            if have != *want {
                return Err(format!(
                    "hunk {} (@@ -{},{}): line {at} is {have:?}, the patch expects {want:?}",
                    h + 1,
                    start,
                    hunk.old_range().len()
                ));
            }
        }
    }
    diffy::apply(base, &patch).map_err(|e| format!("does not apply: {e}"))
}

fn patches_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/findings/patches")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every patch, file by file, with its seed's text.
fn cases() -> Vec<(String, String, String, String)> {
    let seeds = seeds_dir();
    let mut out = Vec::new();
    for (name, files) in PATCHES {
        let text = read(&patches_dir().join(name));
        let parts = split_files(&text);
        let paths: Vec<&str> = parts.iter().map(|(p, _)| p.as_str()).collect();
        let want: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
        assert_eq!(paths, want, "{name}: the files it changes");
        for ((path, part), (_, seed)) in parts.into_iter().zip(files.iter()) {
            let base =
                strip_listing(&read(&seeds.join(seed)), seed).unwrap_or_else(|e| panic!("{e}"));
            out.push((name.to_string(), path, part, base));
        }
    }
    out
}

#[test]
fn every_patch_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(patches_dir())
        .expect("docs/findings/patches")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".diff"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = PATCHES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "a patch the check does not apply");
}

#[test]
fn patches_apply_to_the_seeds_at_their_lines() {
    for (name, path, part, base) in cases() {
        let patched =
            apply_exact(&base, &part).unwrap_or_else(|e| panic!("{name}: {path} (seed text): {e}"));
        assert_ne!(patched, base, "{name}: {path}: the patch changed nothing");
        // Applying it again at its lines must fail: what it removes, or the
        // context its insertions split, is gone.
        assert!(
            apply_exact(&patched, &part).is_err(),
            "{name}: {path}: applies twice"
        );
    }
}

#[test]
fn a_corrupted_patch_does_not_apply() {
    for (name, path, part, base) in cases() {
        // Change the first context line of the first hunk (a space-prefixed
        // line after the first @@): the patch no longer matches the seed.
        let mut seen_hunk = false;
        let mut done = false;
        let corrupted: String = part
            .split_inclusive('\n')
            .map(|l| {
                if l.starts_with("@@") {
                    seen_hunk = true;
                }
                if seen_hunk && !done && l.starts_with(' ') && l.trim().len() > 1 {
                    done = true;
                    format!(" XX{}", &l[1..])
                } else {
                    l.to_string()
                }
            })
            .collect();
        assert!(done, "{name}: {path}: no context line to corrupt");
        let err = apply_exact(&base, &corrupted)
            .expect_err(&format!("{name}: {path}: the corrupted patch applied"));
        assert!(err.contains("the patch expects"), "{name}: {err}");
        // And diffy alone agrees (no position matches the changed context).
        let p = Patch::from_str(&corrupted).expect("still parses");
        assert!(
            diffy::apply(&base, &p).is_err(),
            "{name}: {path}: diffy applied a corrupted hunk"
        );
    }
}

#[test]
fn a_listing_with_a_missing_line_is_rejected() {
    let listing = "header\n1\u{a0}a\n2\u{a0}b\n4\u{a0}d\n";
    let err = strip_listing(listing, "t").expect_err("gap");
    assert!(err.contains("line number 4, expected 3"), "{err}");
    let ok = strip_listing("x\n\u{a0}\u{a0}1\u{a0}int a;\n2\n3\u{a0}\tb;\n", "t").expect("ok");
    assert_eq!(ok, "int a;\n\n\tb;\n");
}
