//! The ordering audit (`lwpcheck audit`), tested end to end under loom on
//! tidhash `grow_vs_lookup` (315 executions per check): each barrier the
//! audit calls necessary fails with the same kind as the seeded variant
//! that drops it, under X86 the same barriers are unnecessary because the
//! profile restores them, and bad names are one-line errors.
#![cfg(loom)]

use lwpcheck::explore::FailKind;
use lwpcheck::model::Run;
use lwpcheck::sync::{Ordering, Profile};
use lwpcheck::tool::audit::{self, Audit, AuditOptions, Conclusion, SiteAudit, StepResult};
use lwpcheck::tool::registry::{self, Request};

fn audit_of(
    model: &str,
    scenario: &str,
    profile: Profile,
    sites: &[&str],
) -> Result<Audit, String> {
    audit::run(
        &AuditOptions {
            model: model.into(),
            scenario: scenario.into(),
            profiles: vec![profile],
            sites: sites.iter().map(|s| s.to_string()).collect(),
        },
        &mut |l| println!("{l}"),
    )
}

/// The variant's verdict kind (`None`: pass) for tidhash grow_vs_lookup.
fn variant_kind(variant: &str, profile: Profile) -> Option<FailKind> {
    let m = registry::find("tidhash").unwrap();
    let cell = (m.run)(&Request::new("grow_vs_lookup", variant, Run::Loom(profile))).unwrap();
    cell.outcome.verdict.kind()
}

/// The barriers of the faithful grow path and lookup, found by their op
/// names (not by line numbers): the grower's two `membar_producer`s in
/// program (= line) order, and the reader's `membar_consumer`.
fn barriers(a: &Audit) -> (&SiteAudit, &SiteAudit, &SiteAudit) {
    let sites = &a.profiles[0].sites;
    let producers: Vec<&SiteAudit> = sites
        .iter()
        .filter(|s| s.line.op_names() == "membar_producer")
        .collect();
    assert_eq!(producers.len(), 2, "the faithful grow path runs two");
    let consumer = sites
        .iter()
        .find(|s| s.line.op_names() == "membar_consumer")
        .expect("the lookup's membar_consumer");
    (producers[0], producers[1], consumer)
}

fn dropped_kind(s: &SiteAudit) -> Option<FailKind> {
    let step = s
        .steps
        .iter()
        .find(|st| st.ordering == Ordering::Relaxed)
        .expect("the barrier was dropped");
    assert!(matches!(step.result, StepResult::Ran(_)));
    step.kind()
}

#[test]
fn arm_finds_each_barrier_necessary_with_its_variants_failure() {
    let a = audit_of("tidhash", "grow_vs_lookup", Profile::Arm, &[]).unwrap();
    print!("{}", a.render(false, false));
    let (first, second, consumer) = barriers(&a);
    // The comment at the site names the kernel line it stands for.
    assert!(
        second.comment.starts_with("line 427: membar_producer()"),
        "{}",
        second.comment
    );
    assert!(
        first.comment.starts_with("line 417: membar_producer()"),
        "{}",
        first.comment
    );
    for (site, variant, reasoned) in [
        // The table's zeroing may be seen after the pointer: a race with
        // kmem_zalloc's writes.
        (first, "no-first-producer-barrier", FailKind::DataRace),
        // New size with the old table: the lookup indexes past it.
        (
            second,
            "no-second-producer-barrier",
            FailKind::IndexOutOfBounds,
        ),
        // The table read before the size: the same index past the old table.
        (consumer, "no-consumer-barrier", FailKind::IndexOutOfBounds),
    ] {
        assert_eq!(site.conclusion(), Conclusion::Necessary, "{}", site.line);
        assert_eq!(site.weakest_passing(), [site.written()]);
        let kind = dropped_kind(site);
        assert_eq!(kind, Some(reasoned), "{}", site.line);
        assert_eq!(kind, variant_kind(variant, Profile::Arm), "{variant}");
        assert!(site.holes(Profile::Arm, false).is_empty());
    }
}

#[test]
fn x86_finds_the_second_producer_barrier_unnecessary_because_tso_gives_it() {
    let a = audit_of("tidhash", "grow_vs_lookup", Profile::X86, &[]).unwrap();
    print!("{}", a.render(true, false));
    let (_, second, _) = barriers(&a);
    assert_eq!(second.conclusion(), Conclusion::WeakerPasses);
    assert_eq!(second.weakest_passing(), [Ordering::Relaxed]);
    assert_eq!(dropped_kind(second), None);
    assert_eq!(
        variant_kind("no-second-producer-barrier", Profile::X86),
        None
    );
    assert!(second.steps[0].same_as_run);
    let holes = second.holes(Profile::X86, a.profiles[0].has_sc);
    assert_eq!(holes.len(), 1, "{holes:?}");
    assert!(
        holes[0].starts_with("no: the x86 profile runs dropped exactly as written"),
        "{holes:?}"
    );
}

#[test]
fn one_site_only_and_the_reproduce_command() {
    let a = audit_of("tidhash", "grow_vs_lookup", Profile::Arm, &[]).unwrap();
    let second = barriers(&a).1.line.to_string();
    let one = audit_of("tidhash", "grow_vs_lookup", Profile::Arm, &[&second]).unwrap();
    assert_eq!(one.profiles[0].sites.len(), 1);
    let text = one.render(false, false);
    assert!(
        text.contains(&format!(
            "run --model tidhash --scenario grow_vs_lookup --profile arm --weaken {second}=relaxed"
        )),
        "{text}"
    );
    let with_ce = one.render(false, true);
    // The dropped fence, with its site on the same line or, when the lane
    // is too narrow for both, wrapped onto the next.
    let lines: Vec<&str> = with_ce.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("[Release dropped]"))
        .unwrap_or_else(|| panic!("no dropped fence in:\n{with_ce}"));
    assert!(
        lines[at..=at + 1].iter().any(|l| l.contains(&second)),
        "{with_ce}"
    );
    assert!(with_ce.contains("FAILED: index-out-of-bounds"), "{with_ce}");
}

#[test]
fn bad_site_is_a_one_line_error_listing_the_valid_sites() {
    let e = audit_of(
        "tidhash",
        "grow_vs_lookup",
        Profile::Arm,
        &["models/tidhash/mod.rs:1"],
    )
    .unwrap_err();
    assert!(
        e.starts_with("unknown site 'models/tidhash/mod.rs:1': no atomic operation of tidhash/grow_vs_lookup runs there (valid sites: models/tidhash/mod.rs:"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    let e = audit_of("tidhash", "grow_vs_lookup", Profile::Arm, &["mod.rs"]).unwrap_err();
    assert!(e.contains("is not FILE:LINE"), "{e}");
    let e = audit_of("tidhash", "nope", Profile::Arm, &[]).unwrap_err();
    assert!(
        e.starts_with("unknown scenario 'nope' of model tidhash (accepted: "),
        "{e}"
    );
}

#[test]
fn a_failing_baseline_is_refused() {
    // tdfind's exit_window fails as written: tdfind can return a thread
    // that has already exited (docs/findings/freebsd-tdfind-exit-window.md).
    let e = audit_of("tdfind", "exit_window", Profile::Arm, &[]).unwrap_err();
    assert!(
        e.starts_with(
            "the faithful tdfind/exit_window does not pass under arm (returned-exited-thread:"
        ),
        "{e}"
    );
    assert!(
        e.ends_with("an audit of a failing model means nothing"),
        "{e}"
    );
}
