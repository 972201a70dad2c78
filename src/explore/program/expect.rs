//! The expected-result convention of this repository's litmus files: in a
//! `(* ... *)` comment (the header), one line per memory model
//!
//! ```text
//! Result sc: Never
//! Result tso: Never
//! Result rc11: Sometimes
//! Result arm: Sometimes
//! Source: Pulte et al., POPL 2018, Fig. 3 (arm); ...
//! ```
//!
//! The verdict is herd7's `Observation` of the condition's proposition
//! (`Never`, `Sometimes`, `Always`), as [`Verdict::of`] computes it. The
//! `Source:` line (or prose) cites the published verdict; it is for the
//! reader and is not parsed. Every file states all four models: a missing
//! one is an error naming the file, so a file cannot silently go unchecked
//! under a model.

use std::collections::BTreeMap;

use super::parse::{line_of, ParseError};
use super::Verdict;

/// The memory models a litmus file states a result for, in the order they
/// are run and printed.
pub const MODELS: [&str; 4] = ["sc", "tso", "rc11", "arm"];

/// The expected verdict per model (every name of [`MODELS`]) from the
/// file's comments; `file` names it in errors.
pub fn expected(file: &str, src: &str) -> Result<BTreeMap<&'static str, Verdict>, ParseError> {
    let err = |line: usize, message: String| ParseError {
        file: file.to_string(),
        line,
        message,
    };
    let mut out = BTreeMap::new();
    for (start, text) in comments(src) {
        let mut offset = start;
        for line in text.split_inclusive('\n') {
            let here = line_of(src, offset);
            offset += line.len();
            let Some(rest) = line.trim().strip_prefix("Result ") else {
                continue;
            };
            let Some((model, verdict)) = rest.split_once(':') else {
                return Err(err(
                    here,
                    format!(
                        "bad expected result '{}' (accepted: Result MODEL: Never|Sometimes|Always)",
                        line.trim()
                    ),
                ));
            };
            let model = model.trim();
            let Some(&m) = MODELS.iter().find(|m| **m == model) else {
                return Err(err(
                    here,
                    format!(
                        "unknown memory model '{model}' in an expected result (accepted: {})",
                        MODELS.join(", ")
                    ),
                ));
            };
            let v: Verdict = verdict
                .trim()
                .trim_end_matches("*)")
                .trim()
                .parse()
                .map_err(|e: String| err(here, e))?;
            if out.insert(m, v).is_some() {
                return Err(err(
                    here,
                    format!("a second expected result for {m} (accepted: one line per model)"),
                ));
            }
        }
    }
    if let Some(missing) = MODELS.iter().find(|m| !out.contains_key(*m)) {
        return Err(err(
            1,
            format!(
                "no expected result for {missing} (accepted: a line 'Result {missing}: Never|Sometimes|Always' in the header comment, one per model: {})",
                MODELS.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// The expected verdicts, or `None` for a file that states none at all (a
/// herd7 test from elsewhere); a file that states some must state all.
pub fn expected_if_any(
    file: &str,
    src: &str,
) -> Result<Option<BTreeMap<&'static str, Verdict>>, ParseError> {
    let states_any = comments(src)
        .iter()
        .any(|(_, text)| text.lines().any(|l| l.trim().starts_with("Result ")));
    if states_any {
        expected(file, src).map(Some)
    } else {
        Ok(None)
    }
}

/// Read a file and its expected verdicts.
pub fn expected_file(
    path: &std::path::Path,
) -> Result<BTreeMap<&'static str, Verdict>, ParseError> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| ParseError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    expected(&file, &src)
}

/// Every `*.litmus` file below `dir`, sorted (the repository's catalogue
/// and findings live under `litmus/`).
pub fn litmus_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "litmus") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Every top-level `(* ... *)` comment: its byte offset and text (nested
/// comments included in their parent's text).
fn comments(src: &str) -> Vec<(usize, &str)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut k, mut depth, mut start) = (0, 0usize, 0);
    while k < b.len() {
        if b[k..].starts_with(b"(*") {
            if depth == 0 {
                start = k + 2;
            }
            depth += 1;
            k += 2;
        } else if depth > 0 && b[k..].starts_with(b"*)") {
            depth -= 1;
            if depth == 0 {
                out.push((start, &src[start..k]));
            }
            k += 2;
        } else {
            k += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "C t\n(* A test.\n Result sc: Never\n Result tso: Never\n Result rc11: Sometimes\n Result arm: Always\n Source: nowhere *)\n{}";

    #[test]
    fn reads_one_verdict_per_model() {
        let e = expected("t.litmus", HEAD).unwrap();
        assert_eq!(e["sc"], Verdict::Never);
        assert_eq!(e["rc11"], Verdict::Sometimes);
        assert_eq!(e["arm"], Verdict::Always);
    }

    #[test]
    fn a_missing_model_names_the_file_and_the_model() {
        let src = HEAD.replace(" Result arm: Always\n", "");
        let e = expected("dir/t.litmus", &src).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/t.litmus:1: no expected result for arm (accepted:"),
            "{e}"
        );
    }

    #[test]
    fn a_file_without_results_has_no_expectation() {
        assert_eq!(
            expected_if_any("t", "C t\n(* just a test *)\n{}").unwrap(),
            None
        );
        assert!(expected_if_any("t", HEAD).unwrap().is_some());
        let partial = HEAD.replace(" Result sc: Never\n", "");
        assert!(expected_if_any("t", &partial).is_err());
    }

    #[test]
    fn a_bad_verdict_or_model_names_its_line() {
        let e = expected("t", &HEAD.replace("Result tso: Never", "Result tso: Nope")).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("unknown verdict 'Nope'"), "{e}");
        let e = expected("t", &HEAD.replace("Result tso:", "Result power:")).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("unknown memory model 'power'"), "{e}");
        let e = expected("t", &HEAD.replace(" Source", " Result sc: Always\n Source")).unwrap_err();
        assert!(e.message.contains("a second expected result for sc"), "{e}");
    }
}
