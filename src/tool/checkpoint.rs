//! lwpcheck's checkpoint file: loom's record of one failing execution (its
//! `checkpoint` feature writes the branch choices of an execution as JSON)
//! wrapped with the cell it belongs to, so that a replay needs only the
//! file and a mismatched or corrupt file is a clear error, not a panic
//! inside loom.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::explore::{Bounds, Checkpoint, Verdict};
use crate::model::{Cell, Run};
use crate::tool::registry::{self, Entry, Request};

/// The format tag of the file.
pub const FORMAT: &str = "lwpcheck-loom-checkpoint/1";

/// The file's content.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CheckpointFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tool and version that wrote it.
    pub tool: String,
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// loom profile (`arm`, `x86`).
    pub profile: String,
    /// loom preemption bound of the run that recorded it.
    pub preemptions: Option<usize>,
    /// loom branch bound of the run that recorded it.
    pub branches: Option<usize>,
    /// The failure it recorded (`kind: message`).
    pub failure: String,
    /// A digest of the failing execution's events (thread, site, operation,
    /// object, value): a replay that does not reproduce it diverged.
    pub trace_digest: String,
    /// loom's own checkpoint (its serialized execution path).
    pub loom_path: serde_json::Value,
}

/// A digest of a trace's events, to tell a faithful replay from one that
/// diverged (std's SipHash with its fixed default keys: stable for one
/// build of lwpcheck, which is what a checkpoint is for).
pub fn digest(trace: &crate::sync::trace::Trace) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    trace.events.len().hash(&mut h);
    for e in &trace.events {
        e.lane.hash(&mut h);
        e.site.hash(&mut h);
        format!("{:?}", e.op).hash(&mut h);
        e.object.hash(&mut h);
        e.detail.hash(&mut h);
    }
    format!("{:016x}/{}", h.finish(), trace.events.len())
}

impl CheckpointFile {
    /// The bounds to replay with.
    pub fn bounds(&self) -> Bounds {
        Bounds {
            preemptions: self.preemptions,
            branches: self.branches,
        }
    }

    /// Write to `path`.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        crate::tool::report::write_file(path, &text)
    }

    /// Read and check `path`: a one-line error if it is missing, not JSON,
    /// not an lwpcheck checkpoint, or its loom part is not a loom path.
    pub fn read(path: &Path) -> Result<CheckpointFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read checkpoint {}: {e}", path.display()))?;
        let file: CheckpointFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not an lwpcheck checkpoint ({e}); write one with: lwpcheck run ... --checkpoint FILE",
                path.display()
            )
        })?;
        if file.format != FORMAT {
            return Err(format!(
                "{} has format '{}' (accepted: {FORMAT})",
                path.display(),
                file.format
            ));
        }
        let looks_like_path = file
            .loom_path
            .as_object()
            .is_some_and(|o| o.contains_key("branches") && o.contains_key("pos"));
        if !looks_like_path {
            return Err(format!(
                "{}: its loom_path is not a loom execution path (expected an object with 'branches' and 'pos')",
                path.display()
            ));
        }
        Ok(file)
    }
}

/// Run `req` (a loom cell of `m`) again with loom recording every
/// execution's path, and write its failing execution to `path` as an
/// lwpcheck checkpoint. Returns the recorded cell.
pub fn record(m: &Entry, req: &Request, path: &Path) -> Result<Cell, String> {
    let Run::Loom(profile) = req.run else {
        return Err("checkpoints are loom's: a shuttle failure replays from its schedule".into());
    };
    if !req.plan.is_empty() {
        return Err(
            "a run with --weaken cannot be checkpointed (the file does not carry the plan)".into(),
        );
    }
    let raw = path.with_extension("loom-path.tmp");
    let mut r = req.clone();
    r.checkpoint = Some(Checkpoint::Record(raw.clone()));
    let cell = (m.run)(&r)?;
    let Verdict::Fail(f) = &cell.outcome.verdict else {
        let _ = std::fs::remove_file(&raw);
        return Err("the recording run did not fail: no checkpoint written".into());
    };
    let text = std::fs::read_to_string(&raw)
        .map_err(|e| format!("loom wrote no checkpoint at {}: {e}", raw.display()))?;
    let _ = std::fs::remove_file(&raw);
    let loom_path: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("loom's checkpoint is not JSON: {e}"))?;
    let b = req
        .bounds
        .unwrap_or((m.scenario)(&req.scenario)?.loom_bounds);
    CheckpointFile {
        format: FORMAT.into(),
        tool: crate::tool::report::tool(),
        model: cell.model.into(),
        scenario: cell.scenario.into(),
        variant: cell.variant.into(),
        profile: profile.name().into(),
        preemptions: b.preemptions,
        branches: b.branches,
        failure: format!(
            "{}: {}",
            f.kind,
            f.message.lines().next().unwrap_or_default()
        ),
        trace_digest: digest(&cell.outcome.trace),
        loom_path,
    }
    .write(path)?;
    Ok(cell)
}

/// Replay `file`, read from `path` with [`CheckpointFile::read`] (loom
/// build): exactly one execution. A file that names an unknown cell, that
/// loom cannot load, or whose replay does not reproduce the recorded events
/// is a one-line error.
pub fn replay(path: &Path, file: &CheckpointFile) -> Result<Cell, String> {
    let m = registry::find(&file.model)?;
    (m.scenario)(&file.scenario)?;
    (m.check_variant)(&file.variant)?;
    let profile = registry::profile(&file.profile)?;
    let raw = std::env::temp_dir().join(format!(
        "lwpcheck-replay-{}-{:?}.json",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&raw, file.loom_path.to_string())
        .map_err(|e| format!("cannot write {}: {e}", raw.display()))?;
    let mut req = Request::new(&file.scenario, &file.variant, Run::Loom(profile));
    req.bounds = Some(file.bounds());
    req.checkpoint = Some(Checkpoint::Replay(raw.clone()));
    let result = (m.run)(&req);
    let _ = std::fs::remove_file(&raw);
    let cell = result?;
    let got = digest(&cell.outcome.trace);
    if got != file.trace_digest {
        return Err(format!(
            "the replay of {} diverged from the recorded execution (events digest {got}, recorded {}): it does not fit {} / {} / {} in this build (did the model change since it was recorded?); replayed as: {}",
            path.display(),
            file.trace_digest,
            cell.model,
            cell.scenario,
            cell.variant,
            cell.outcome.summary_verdict()
        ));
    }
    Ok(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, text: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("lwpcheck-ckpt-{}-{name}", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn corrupt_or_foreign_files_are_one_line_errors() {
        let good = CheckpointFile {
            format: FORMAT.into(),
            tool: "t".into(),
            model: "m".into(),
            scenario: "s".into(),
            variant: "v".into(),
            profile: "arm".into(),
            preemptions: Some(1),
            branches: None,
            failure: "f".into(),
            trace_digest: "0/0".into(),
            loom_path: serde_json::json!({"branches": {}, "pos": 0}),
        };
        let p = tmp("good", &serde_json::to_string(&good).unwrap());
        assert_eq!(CheckpointFile::read(&p).unwrap(), good);
        for (name, text, want) in [
            (
                "trunc",
                "{\"format\": \"lwpcheck-lo",
                "is not an lwpcheck checkpoint",
            ),
            (
                "loomraw",
                "{\"branches\": {}, \"pos\": 0}",
                "is not an lwpcheck checkpoint",
            ),
            (
                "fmt",
                &serde_json::to_string(&CheckpointFile {
                    format: "x/9".into(),
                    ..good.clone()
                })
                .unwrap(),
                "has format 'x/9'",
            ),
            (
                "path",
                &serde_json::to_string(&CheckpointFile {
                    loom_path: serde_json::json!([1]),
                    ..good.clone()
                })
                .unwrap(),
                "is not a loom execution path",
            ),
        ] {
            let e = CheckpointFile::read(&tmp(name, text)).unwrap_err();
            assert!(e.contains(want) && !e.contains('\n'), "{name}: {e}");
        }
        let e = CheckpointFile::read(Path::new("/nonexistent/ckpt.json")).unwrap_err();
        assert!(e.starts_with("cannot read checkpoint"), "{e}");
    }
}
