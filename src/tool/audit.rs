//! The ordering audit (issue 7): for one model and scenario, run the check
//! once per atomic site with that site weakened one step at a time, under
//! each profile, and report the weakest ordering that still passes and the
//! counterexample of every weakening that fails.
//!
//! How it works:
//!
//! 1. **Baseline.** The faithful variant runs under the profile with the
//!    scenario's bounds. It must pass (an audit of a failing model means
//!    nothing). Its [`Outcome::sites`] is the list of atomic sites the
//!    scenario touches.
//! 2. **Sites are lines.** A [`Plan`] is keyed by `file:line`, so the
//!    operations written on one line are weakened together; a line holding
//!    several operations is audited as one site and says so. A plan only
//!    weakens (each operation runs with the meet of its written ordering and
//!    the planned one), so weakening such a line never strengthens one of
//!    its operations.
//! 3. **The ladder**, from the ordering as written, one step at a time:
//!    loads `SeqCst -> Acquire -> Relaxed`; stores `SeqCst -> Release ->
//!    Relaxed`; read-modify-writes `SeqCst -> AcqRel -> {Acquire, Release}
//!    -> Relaxed` (both halves tested separately); fences `SeqCst -> AcqRel
//!    -> {Release, Acquire} -> dropped`. A line mixing kinds uses the
//!    read-modify-write ladder from the join of its written orderings.
//! 4. **Monotonicity assumption.** If a check fails with a site at ordering
//!    `o`, it fails with the site at any ordering weaker than `o`: a weaker
//!    ordering only allows more executions in the C11 model. So a branch of
//!    the ladder stops at its first failing step, and `Relaxed` below a
//!    failing `Acquire` or `Release` is reported as failing *by
//!    monotonicity*, not run. (loom's exploration is a bounded DPOR, not the
//!    C11 model itself; the assumption is about the model, and every step
//!    the audit reports as run was run.)
//! 5. **Every step is a full loom check** with the scenario's bounds and the
//!    time budget (`LWPCHECK_BUDGET_SECS`). A time-out is reported as
//!    `timed out`, is not a pass, and stops its branch (nothing below it is
//!    run: its verdict is unknown).
//!
//! The result for a site is the set of weakest passing orderings. Where it
//! is weaker than written, the audit says why that "unnecessary" may only be
//! something loom cannot show (see [`SiteAudit::holes`] and the README,
//! "What the explorers do not see").

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::explore::{FailKind, Outcome, Verdict};
use crate::model::Run;
use crate::sync::ordering::{join, map, short, Access};
use crate::sync::trace::SiteInfo;
use crate::sync::{Backend, Plan, Profile, Site};
use crate::tool::registry::{self, Request};

/// What to audit.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Model name.
    pub model: String,
    /// Scenario name.
    pub scenario: String,
    /// Profiles, in order.
    pub profiles: Vec<Profile>,
    /// Only these sites (`FILE:LINE`); empty: every site.
    pub sites: Vec<String>,
}

/// The accepted ordering names on the command line.
pub const ORDERING_NAMES: &str =
    "relaxed (or dropped, for a fence), acquire, release, acqrel, seqcst";

/// Parse an ordering name (case-insensitive; `dropped` is `relaxed`).
pub fn parse_ordering(s: &str) -> Result<Ordering, String> {
    match s.to_ascii_lowercase().as_str() {
        "relaxed" | "dropped" => Ok(Ordering::Relaxed),
        "acquire" => Ok(Ordering::Acquire),
        "release" => Ok(Ordering::Release),
        "acqrel" => Ok(Ordering::AcqRel),
        "seqcst" => Ok(Ordering::SeqCst),
        _ => Err(format!(
            "unknown ordering '{s}' (accepted: {ORDERING_NAMES})"
        )),
    }
}

/// The command-line name of an ordering.
pub fn ordering_arg(o: Ordering) -> &'static str {
    match o {
        Ordering::Relaxed => "relaxed",
        Ordering::Acquire => "acquire",
        Ordering::Release => "release",
        Ordering::AcqRel => "acqrel",
        _ => "seqcst",
    }
}

/// Parse `FILE:LINE`.
pub fn parse_site(s: &str) -> Result<(String, u32), String> {
    let bad = || format!("site '{s}' is not FILE:LINE (e.g. models/tidhash/mod.rs:696)");
    let (file, line) = s.rsplit_once(':').ok_or_else(bad)?;
    let line = line.parse::<u32>().map_err(|_| bad())?;
    if file.is_empty() || line == 0 {
        return Err(bad());
    }
    Ok((file.to_string(), line))
}

/// Parse `FILE:LINE=ORDERING` (the `run --weaken` argument).
pub fn parse_weaken(s: &str) -> Result<(String, u32, Ordering), String> {
    let (site, ord) = s.rsplit_once('=').ok_or_else(|| {
        format!("--weaken '{s}' is not FILE:LINE=ORDERING (orderings: {ORDERING_NAMES})")
    })?;
    let (file, line) = parse_site(site)?;
    Ok((file, line, parse_ordering(ord)?))
}

/// A weakening plan from `run --weaken` arguments. The file names are leaked
/// (a plan names sites by `&'static str`; a command line builds one plan).
pub fn plan_from_args(args: &[String]) -> Result<Plan, String> {
    let mut plan = Plan::new();
    for a in args {
        let (file, line, ord) = parse_weaken(a)?;
        let file: &'static str = Box::leak(file.into_boxed_str());
        plan = plan.weaken(
            Site {
                file,
                line,
                column: 0,
            },
            ord,
        );
    }
    Ok(plan)
}

/// `Ok` if every `--weaken` site is a line where the check ran an atomic
/// operation; otherwise a one-line error listing the lines it did run.
pub fn check_weakened_sites(
    args: &[String],
    sites: &[SiteInfo],
    model: &str,
    scenario: &str,
) -> Result<(), String> {
    let lines = lines(sites);
    for a in args {
        let (file, line, _) = parse_weaken(a)?;
        if !lines.iter().any(|l| l.file == file && l.line == line) {
            return Err(unknown_site(
                &format!("{file}:{line}"),
                &lines,
                model,
                scenario,
            ));
        }
    }
    Ok(())
}

fn unknown_site(s: &str, lines: &[Line], model: &str, scenario: &str) -> String {
    let valid: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    format!(
        "unknown site '{s}': no atomic operation of {model}/{scenario} runs there (valid sites: {})",
        valid.join(", ")
    )
}

/// One source line holding atomic operations: the unit a [`Plan`] weakens.
#[derive(Clone, Debug)]
pub struct Line {
    /// Source file.
    pub file: &'static str,
    /// Line.
    pub line: u32,
    /// The operations written on it (one per column).
    pub ops: Vec<SiteInfo>,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Line {
    /// The ladder this line walks: its kind of access, or read-modify-write
    /// for a line mixing kinds.
    pub fn access(&self) -> Access {
        let first = self.ops[0].access;
        if self.ops.iter().all(|o| o.access == first) {
            first
        } else {
            Access::Rmw
        }
    }

    /// The strongest ordering written on the line.
    pub fn written(&self) -> Ordering {
        self.ops
            .iter()
            .map(|o| o.written)
            .fold(Ordering::Relaxed, join)
    }

    /// The operations, e.g. `membar_producer` or `load + store`.
    pub fn op_names(&self) -> String {
        let names: Vec<&str> = self.ops.iter().map(|o| o.op.as_str()).collect();
        names.join(" + ")
    }

    fn site(&self) -> Site {
        self.ops[0].site
    }

    /// True if the profile runs every operation on the line the same with
    /// `plan` as without it: the weakening changes nothing as run.
    pub fn same_as_run(&self, profile: Profile, plan: &Plan) -> bool {
        let none = Plan::new();
        self.ops.iter().all(|op| {
            [Ordering::Relaxed, Ordering::Acquire, Ordering::SeqCst]
                .into_iter()
                .all(|failure| {
                    let a = map(profile, plan, op.site, op.access, op.written, failure);
                    let b = map(profile, &none, op.site, op.access, op.written, failure);
                    // Only a compare-exchange has a failure ordering.
                    (a.ordering, a.full_fences) == (b.ordering, b.full_fences)
                        && (op.access != Access::Rmw || a.failure == b.failure)
                })
        })
    }
}

/// Group the site registry by line, in file and line order.
pub fn lines(sites: &[SiteInfo]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut sorted: Vec<&SiteInfo> = sites.iter().collect();
    sorted.sort_by_key(|s| s.site);
    for s in sorted {
        match out.last_mut() {
            Some(l) if l.file == s.site.file && l.line == s.site.line => l.ops.push(s.clone()),
            _ => out.push(Line {
                file: s.site.file,
                line: s.site.line,
                ops: vec![s.clone()],
            }),
        }
    }
    out
}

/// The one-step-weaker orderings of `o` on the ladder for `access`.
pub fn weaker(access: Access, o: Ordering) -> Vec<Ordering> {
    use Ordering::*;
    match (access, o) {
        (_, Relaxed) => vec![],
        (Access::Load, SeqCst) => vec![Acquire],
        (Access::Store, SeqCst) => vec![Release],
        (Access::Load | Access::Store, _) => vec![Relaxed],
        (Access::Rmw | Access::Fence, SeqCst) => vec![AcqRel],
        (Access::Rmw | Access::Fence, AcqRel) => vec![Release, Acquire],
        (Access::Rmw | Access::Fence, _) => vec![Relaxed],
    }
}

/// An ordering's name in a table: `dropped` for a fence weakened to Relaxed.
pub fn ordering_name(access: Access, o: Ordering) -> &'static str {
    match (access, o) {
        (Access::Fence, Ordering::Relaxed) => "dropped",
        _ => short(o),
    }
}

/// What became of one step of the ladder.
#[derive(Clone, Debug)]
pub enum StepResult {
    /// The check ran.
    Ran(Box<Outcome>),
    /// Not run: a stronger step already failed or timed out (monotonicity).
    Implied {
        /// The stronger step it follows from.
        from: Ordering,
    },
}

/// One step: the site run with `ordering`.
#[derive(Clone, Debug)]
pub struct Step {
    /// The ordering the site ran with.
    pub ordering: Ordering,
    /// Its result.
    pub result: StepResult,
    /// True if the profile ran the line exactly as written anyway (x86
    /// restores what the step removed).
    pub same_as_run: bool,
}

impl Step {
    /// Passed (a full check that found nothing).
    pub fn passed(&self) -> bool {
        matches!(&self.result, StepResult::Ran(o) if o.verdict == Verdict::Pass)
    }

    /// The failure kind, if it ran and failed (`TimedOut` included).
    pub fn kind(&self) -> Option<FailKind> {
        match &self.result {
            StepResult::Ran(o) => o.verdict.kind(),
            StepResult::Implied { .. } => None,
        }
    }
}

/// The audit of one site (line) under one profile.
#[derive(Clone, Debug)]
pub struct SiteAudit {
    /// The line and its operations.
    pub line: Line,
    /// The nearest comment above the line, shortened: what the site stands
    /// for and what it pairs with.
    pub comment: String,
    /// The source line itself, trimmed and shortened (a call such as
    /// `rw_wlock(...)` when the atomic is inside a `#[track_caller]` helper).
    pub code: String,
    /// Every step, in the order run.
    pub steps: Vec<Step>,
}

/// What the audit concludes about a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conclusion {
    /// Written `Relaxed` (or a fence... never): nothing weaker to try.
    NothingWeaker,
    /// Every one-step weakening fails: the ordering as written is needed.
    Necessary,
    /// Some weakening passes: weaker than written is enough *in this
    /// scenario, as loom explores it* (see the holes).
    WeakerPasses,
    /// No step passed and at least one timed out: undecided.
    Undecided,
}

impl SiteAudit {
    /// The ordering as written (the strongest on the line).
    pub fn written(&self) -> Ordering {
        self.line.written()
    }

    /// The weakest orderings that passed (the written one if none did).
    pub fn weakest_passing(&self) -> Vec<Ordering> {
        let access = self.line.access();
        let passed = |o: Ordering| self.steps.iter().any(|s| s.ordering == o && s.passed());
        let w: Vec<Ordering> = self
            .steps
            .iter()
            .filter(|s| s.passed())
            .map(|s| s.ordering)
            .filter(|&o| !weaker(access, o).into_iter().any(passed))
            .collect();
        if w.is_empty() {
            vec![self.written()]
        } else {
            w
        }
    }

    /// The conclusion.
    pub fn conclusion(&self) -> Conclusion {
        if weaker(self.line.access(), self.written()).is_empty() {
            Conclusion::NothingWeaker
        } else if self.steps.iter().any(Step::passed) {
            Conclusion::WeakerPasses
        } else if self
            .steps
            .iter()
            .any(|s| s.kind() == Some(FailKind::TimedOut))
        {
            Conclusion::Undecided
        } else {
            Conclusion::Necessary
        }
    }

    /// The steps that ran and failed (not timed out): each shows an
    /// ordering the scenario needs.
    pub fn failing(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| matches!(s.kind(), Some(k) if k != FailKind::TimedOut))
    }

    /// Why a weaker-than-written pass may be an explorer hole rather than a
    /// truly unnecessary ordering, one stated reason each (empty when no
    /// weaker ordering passed). `has_sc` says whether the scenario runs any
    /// `fence(SeqCst)` (which under X86 includes every read-modify-write).
    pub fn holes(&self, profile: Profile, has_sc: bool) -> Vec<String> {
        if self.conclusion() != Conclusion::WeakerPasses {
            return Vec::new();
        }
        let written = self.written();
        let access = self.line.access();
        let mut out: Vec<String> = Vec::new();
        let mut push = |s: String| {
            if !out.contains(&s) {
                out.push(s)
            }
        };
        for o in self.weakest_passing() {
            let step = self.steps.iter().find(|s| s.ordering == o);
            if step.is_some_and(|s| s.same_as_run) {
                push(format!(
                    "no: the {profile} profile runs {} exactly as written (TSO gives it): truly unnecessary on x86",
                    ordering_name(access, o)
                ));
                continue;
            }
            let acq = |x: Ordering| {
                matches!(x, Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst)
                    && access != Access::Store
            };
            let rel = |x: Ordering| {
                matches!(x, Ordering::Release | Ordering::AcqRel | Ordering::SeqCst)
                    && access != Access::Load
            };
            if written == Ordering::SeqCst && o != Ordering::SeqCst && access != Access::Fence {
                push("SC: loom runs SeqCst loads, stores and RMWs as AcqRel (hole 4), so dropping SeqCst cannot fail here; whether the total order is needed is not checked".into());
            }
            if acq(written) && !acq(o) {
                push("LB: loom never lets a later store of this thread be seen before this site's load reads (load buffering, canary lb); ARMv8 allows it".into());
            }
            if rel(written) && !rel(o) {
                push("LB: loom never lets an earlier load of this thread read a store made after another thread saw this site's store (load buffering); a release dropped here is also hole 5 if the thread later locks and unlocks a mutex".into());
            }
            if profile == Profile::X86 && has_sc {
                push("X86: loom's fence(SeqCst) (around every RMW under this profile) joins clocks both ways, stronger than TSO (hole 3): an X86 pass near one may be that".into());
            }
        }
        out
    }
}

/// The audit of one profile.
#[derive(Clone, Debug)]
pub struct ProfileAudit {
    /// The profile.
    pub profile: Profile,
    /// The faithful baseline's outcome.
    pub baseline: Outcome,
    /// Per site, in file and line order.
    pub sites: Vec<SiteAudit>,
    /// True if the scenario runs a `fence(SeqCst)` under this profile.
    pub has_sc: bool,
    /// Wall time of the baseline and every step.
    pub elapsed: Duration,
}

/// A whole audit.
#[derive(Clone, Debug)]
pub struct Audit {
    /// Model.
    pub model: String,
    /// Scenario.
    pub scenario: String,
    /// One per profile.
    pub profiles: Vec<ProfileAudit>,
    /// Wall time of everything.
    pub elapsed: Duration,
}

/// The command that reproduces one step: `lwpcheck run` with `--weaken`.
pub fn reproduce_command(
    model: &str,
    scenario: &str,
    profile: Profile,
    line: &Line,
    o: Ordering,
) -> String {
    format!(
        "{} run --model {model} --scenario {scenario} --profile {profile} --weaken {line}={}",
        registry::build_hint(Backend::Loom),
        ordering_arg(o)
    )
}

/// The nearest comment above `line` of `file` (relative to the crate root),
/// joined and shortened to about `max` characters; empty if none within 12
/// lines.
pub fn comment_above(file: &str, line: u32, max: usize) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let Ok(text) = std::fs::read_to_string(path) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let is_comment = |l: &str| l.trim_start().starts_with("//");
    let mut i = (line as usize).saturating_sub(1).min(lines.len());
    let stop = i.saturating_sub(12);
    while i > stop && !is_comment(lines[i - 1]) {
        i -= 1;
    }
    if i == stop {
        return String::new();
    }
    let end = i;
    while i > 0 && is_comment(lines[i - 1]) {
        i -= 1;
    }
    let joined = lines[i..end]
        .iter()
        .map(|l| l.trim_start().trim_start_matches('/').trim())
        .collect::<Vec<_>>()
        .join(" ");
    shorten(joined.trim(), max)
}

/// Line `line` of `file` (relative to the crate root), trimmed and
/// shortened to about `max` characters; empty if unreadable.
pub fn source_line(file: &str, line: u32, max: usize) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .nth((line as usize).saturating_sub(1))
                .map(|l| shorten(l.trim(), max))
        })
        .unwrap_or_default()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{cut} ...")
}

/// Run the audit. `progress` receives one line per check run.
pub fn run(opts: &AuditOptions, progress: &mut dyn FnMut(&str)) -> Result<Audit, String> {
    let entry = registry::find(&opts.model)?;
    (entry.scenario)(&opts.scenario)?;
    if Backend::ACTIVE != Backend::Loom {
        return Err(format!(
            "the audit runs loom checks; this binary was built without loom: run it as {} audit ...",
            registry::build_hint(Backend::Loom)
        ));
    }
    let mut wanted = Vec::new();
    for s in &opts.sites {
        wanted.push((s.clone(), parse_site(s)?));
    }
    let started = Instant::now();
    let mut profiles = Vec::new();
    for &profile in &opts.profiles {
        let p_start = Instant::now();
        let check = |plan: Plan| -> Result<Outcome, String> {
            let mut req = Request::new(&opts.scenario, "faithful", Run::Loom(profile));
            req.plan = plan;
            (entry.run)(&req).map(|c| c.outcome)
        };
        let baseline = check(Plan::new())?;
        progress(&format!(
            "[{profile}] baseline (faithful, as written): {}",
            baseline.summary()
        ));
        if let Verdict::Fail(f) = &baseline.verdict {
            return Err(format!(
                "the faithful {}/{} does not pass under {profile} ({}); an audit of a failing model means nothing",
                opts.model,
                opts.scenario,
                f.to_string().lines().next().unwrap_or_default()
            ));
        }
        let all = lines(&baseline.sites);
        let mut selected = Vec::new();
        for (text, (file, line)) in &wanted {
            match all.iter().find(|l| l.file == file && l.line == *line) {
                Some(l) => selected.push(l.clone()),
                None => return Err(unknown_site(text, &all, &opts.model, &opts.scenario)),
            }
        }
        if wanted.is_empty() {
            selected = all.clone();
        }
        let has_sc = baseline.sites.iter().any(|s| {
            (s.access == Access::Fence && s.written == Ordering::SeqCst)
                || (profile == Profile::X86 && s.access == Access::Rmw)
        });
        let mut sites = Vec::new();
        for line in selected {
            let access = line.access();
            let mut steps: Vec<Step> = Vec::new();
            let mut queue: std::collections::VecDeque<Ordering> =
                weaker(access, line.written()).into();
            while let Some(o) = queue.pop_front() {
                if steps.iter().any(|s| s.ordering == o) {
                    continue;
                }
                let plan = Plan::new().weaken(line.site(), o);
                let same_as_run = line.same_as_run(profile, &plan);
                // A stronger step that did not pass decides this one.
                let parent = steps
                    .iter()
                    .find(|s| weaker(access, s.ordering).contains(&o) && !s.passed());
                let result = match parent {
                    Some(p) => StepResult::Implied { from: p.ordering },
                    None => {
                        let out = check(plan)?;
                        progress(&format!(
                            "[{profile}] {line} {} -> {}: {}",
                            ordering_name(access, line.written()),
                            ordering_name(access, o),
                            out.summary()
                        ));
                        StepResult::Ran(Box::new(out))
                    }
                };
                let step = Step {
                    ordering: o,
                    result,
                    same_as_run,
                };
                if step.passed() {
                    queue.extend(weaker(access, o));
                }
                steps.push(step);
            }
            let comment = comment_above(line.file, line.line, 110);
            let code = source_line(line.file, line.line, 60);
            sites.push(SiteAudit {
                line,
                comment,
                code,
                steps,
            });
        }
        profiles.push(ProfileAudit {
            profile,
            baseline,
            sites,
            has_sc,
            elapsed: p_start.elapsed(),
        });
    }
    Ok(Audit {
        model: opts.model.clone(),
        scenario: opts.scenario.clone(),
        profiles,
        elapsed: started.elapsed(),
    })
}

fn step_text(access: Access, s: &Step) -> String {
    let name = ordering_name(access, s.ordering);
    match &s.result {
        StepResult::Implied { from } => format!(
            "{name}: fails by monotonicity (below {}; not run)",
            ordering_name(access, *from)
        ),
        StepResult::Ran(o) => match &o.verdict {
            Verdict::Pass => format!(
                "{name}: pass ({} executions, {:.2} s)",
                o.executions,
                o.elapsed.as_secs_f64()
            ),
            Verdict::Fail(f) if f.kind == FailKind::TimedOut => format!(
                "{name}: timed out after {} executions ({:.0} s): not a pass",
                o.executions,
                o.elapsed.as_secs_f64()
            ),
            Verdict::Fail(f) => format!(
                "{name}: fail {} ({} executions, {:.2} s)",
                f.kind,
                o.executions,
                o.elapsed.as_secs_f64()
            ),
        },
    }
}

fn conclusion_text(s: &SiteAudit) -> &'static str {
    match s.conclusion() {
        Conclusion::NothingWeaker => "nothing weaker",
        Conclusion::Necessary => "necessary",
        Conclusion::WeakerPasses => "weaker passes",
        Conclusion::Undecided => "undecided (timed out)",
    }
}

impl Audit {
    /// The audit as text or Markdown; with `counterexamples`, every failing
    /// step's counterexample follows the table, otherwise the command that
    /// reproduces it.
    pub fn render(&self, markdown: bool, counterexamples: bool) -> String {
        let mut out = String::new();
        for p in &self.profiles {
            self.render_profile(&mut out, p, markdown, counterexamples);
        }
        let _ = writeln!(
            out,
            "{}whole audit of {}/{}: {:.1} s",
            if markdown { "\n" } else { "" },
            self.model,
            self.scenario,
            self.elapsed.as_secs_f64()
        );
        out
    }

    fn render_profile(
        &self,
        out: &mut String,
        p: &ProfileAudit,
        markdown: bool,
        counterexamples: bool,
    ) {
        let runs: usize = p
            .sites
            .iter()
            .flat_map(|s| &s.steps)
            .filter(|s| matches!(s.result, StepResult::Ran(_)))
            .count();
        let head = format!(
            "ordering audit: {} / {} / {} (baseline: faithful {}; {} sites, {} weakened checks, {:.1} s)",
            self.model,
            self.scenario,
            p.profile,
            p.baseline.summary(),
            p.sites.len(),
            runs,
            p.elapsed.as_secs_f64()
        );
        let legend = "hole? column: `no` = the profile itself restores the ordering; LB, SC, X86 = why a pass may be something loom cannot show (README, \"What the explorers do not see\": load buffering, SeqCst accesses run as AcqRel, the X86 profile's SeqCst fences); `-` = nothing weaker passed";
        if markdown {
            let _ = writeln!(out, "\n#### {head}\n\n{legend}\n");
            let _ = writeln!(
                out,
                "| site | barrier / stands for | written | weakest passing | steps | hole? |"
            );
            let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        } else {
            let _ = writeln!(out, "{head}\n{legend}\n");
        }
        // Sites written Relaxed have nothing weaker to try: one line for all.
        let bottom: Vec<String> = p
            .sites
            .iter()
            .filter(|s| s.conclusion() == Conclusion::NothingWeaker)
            .map(|s| format!("{} ({})", s.line, s.line.op_names()))
            .collect();
        for s in p
            .sites
            .iter()
            .filter(|s| s.conclusion() != Conclusion::NothingWeaker)
        {
            let access = s.line.access();
            let ops = if s.line.ops.len() > 1 {
                format!(
                    "{} ({} operations on one line, weakened together)",
                    s.line.op_names(),
                    s.line.ops.len()
                )
            } else {
                s.line.op_names()
            };
            let weakest: Vec<&str> = s
                .weakest_passing()
                .into_iter()
                .map(|o| ordering_name(access, o))
                .collect();
            let steps: Vec<String> = s.steps.iter().map(|st| step_text(access, st)).collect();
            let holes = s.holes(p.profile, p.has_sc);
            let holes_text = if holes.is_empty() {
                "-".to_string()
            } else {
                holes.join("; ")
            };
            let weakest = format!("{} ({})", weakest.join(" or "), conclusion_text(s));
            if markdown {
                let _ = writeln!(
                    out,
                    "| `{}` | `{ops}` in `{}`: {} | {} | {weakest} | {} | {} |",
                    s.line,
                    s.code.replace('|', "\\|").replace('`', "'"),
                    s.comment.replace('|', "\\|"),
                    ordering_name(access, s.written()),
                    if steps.is_empty() {
                        "-".into()
                    } else {
                        steps.join("; ")
                    },
                    holes_text.replace('|', "\\|")
                );
            } else {
                let _ = writeln!(
                    out,
                    "{}  {ops}  written {}  weakest passing: {weakest}",
                    s.line,
                    ordering_name(access, s.written())
                );
                let _ = writeln!(out, "    code: {}", s.code);
                if !s.comment.is_empty() {
                    let _ = writeln!(out, "    stands for: {}", s.comment);
                }
                for st in &steps {
                    let _ = writeln!(out, "    {st}");
                }
                let _ = writeln!(out, "    hole?: {holes_text}");
            }
        }
        if !bottom.is_empty() {
            let _ = writeln!(
                out,
                "\n{} Relaxed as written, nothing weaker to try: {}",
                bottom.len(),
                bottom.join(", ")
            );
        }
        // How to see each necessary ordering fail.
        let failing: Vec<(&SiteAudit, &Step)> = p
            .sites
            .iter()
            .flat_map(|s| s.failing().map(move |st| (s, st)))
            .collect();
        if failing.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n{}counterexamples under {}{} ({}):\n",
            if markdown { "**" } else { "" },
            p.profile,
            if markdown { "**" } else { "" },
            if counterexamples {
                "each failing step's failing execution"
            } else {
                "the command that reproduces each failing step; `--counterexamples` prints them"
            }
        );
        for (s, st) in failing {
            let access = s.line.access();
            let cmd =
                reproduce_command(&self.model, &self.scenario, p.profile, &s.line, st.ordering);
            let what = format!(
                "{} {} -> {}: {}",
                s.line,
                ordering_name(access, s.written()),
                ordering_name(access, st.ordering),
                st.kind().map(FailKind::name).unwrap_or("")
            );
            if markdown {
                let _ = writeln!(out, "- {what}: `{cmd}`");
            } else {
                let _ = writeln!(out, "{what}\n    {cmd}");
            }
            if counterexamples {
                if let StepResult::Ran(o) = &st.result {
                    let ce = crate::view::counterexample(o);
                    if markdown {
                        let _ = writeln!(out, "\n```\n{}```\n", ce);
                    } else {
                        let _ = writeln!(out, "{ce}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn ladders_step_one_rung() {
        assert_eq!(weaker(Access::Load, SeqCst), [Acquire]);
        assert_eq!(weaker(Access::Load, Acquire), [Relaxed]);
        assert_eq!(weaker(Access::Store, SeqCst), [Release]);
        assert_eq!(weaker(Access::Store, Release), [Relaxed]);
        assert_eq!(weaker(Access::Rmw, SeqCst), [AcqRel]);
        assert_eq!(weaker(Access::Rmw, AcqRel), [Release, Acquire]);
        assert_eq!(weaker(Access::Rmw, Acquire), [Relaxed]);
        assert_eq!(weaker(Access::Fence, Release), [Relaxed]);
        assert!(weaker(Access::Fence, Relaxed).is_empty());
        assert_eq!(ordering_name(Access::Fence, Relaxed), "dropped");
    }

    #[test]
    fn names_parse_or_give_one_line_errors() {
        assert_eq!(parse_ordering("AcqRel"), Ok(AcqRel));
        assert_eq!(parse_ordering("dropped"), Ok(Relaxed));
        let e = parse_ordering("consume").unwrap_err();
        assert_eq!(
            e,
            format!("unknown ordering 'consume' (accepted: {ORDERING_NAMES})")
        );
        assert_eq!(
            parse_weaken("models/tidhash/mod.rs:696=relaxed"),
            Ok(("models/tidhash/mod.rs".into(), 696, Relaxed))
        );
        assert!(parse_weaken("models/tidhash/mod.rs:696")
            .unwrap_err()
            .starts_with("--weaken 'models/tidhash/mod.rs:696' is not FILE:LINE=ORDERING"));
        assert!(parse_site("mod.rs:x")
            .unwrap_err()
            .contains("is not FILE:LINE"));
        let plan = plan_from_args(&["src/a.rs:3=release".into()]).unwrap();
        let site = |line| Site {
            file: "src/a.rs",
            line,
            column: 9,
        };
        assert_eq!(plan.get(site(3)), Some(Release));
        assert_eq!(plan.get(site(4)), None);
    }

    #[test]
    fn comment_above_finds_the_barrier_comment() {
        // This file's own `weaker` function: the doc comment above it.
        let text = include_str!("audit.rs");
        let line = text
            .lines()
            .position(|l| l.starts_with("pub fn weaker("))
            .unwrap() as u32
            + 1;
        assert_eq!(
            comment_above("src/tool/audit.rs", line, 200),
            "The one-step-weaker orderings of `o` on the ladder for `access`."
        );
        assert!(comment_above("src/tool/audit.rs", line, 20).ends_with(" ..."));
    }

    #[test]
    fn std_build_names_the_loom_command() {
        if cfg!(loom) {
            return;
        }
        let e = run(
            &AuditOptions {
                model: "tidhash".into(),
                scenario: "grow_vs_lookup".into(),
                profiles: vec![Profile::Arm],
                sites: vec![],
            },
            &mut |_| {},
        )
        .unwrap_err();
        assert!(e.contains("--cfg loom --cfg crossbeam_loom"), "{e}");
        assert!(!e.contains('\n'));
    }
}
