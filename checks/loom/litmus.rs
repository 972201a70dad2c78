//! Litmus canaries under loom, both profiles: each asserts that the set of
//! outcomes loom produced equals the expected set stated (with the published
//! x86-TSO and ARMv8 verdicts) in `src/explore/litmus.rs`.
#![cfg(loom)]

use lwpcheck::explore::litmus::{all_litmus, recorder, Litmus};
use lwpcheck::explore::loom::LoomCheck;
use lwpcheck::explore::Run;
use lwpcheck::explore::Verdict;
use lwpcheck::sync::Profile;

fn canary(name: &str, profile: Profile) {
    let l: Litmus = all_litmus()
        .into_iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no litmus named '{name}'"));
    let (f, seen) = recorder(l.run);
    let out = LoomCheck::new(profile)
        .and_then(|c| c.run(f))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.verdict,
        Verdict::Pass,
        "{}",
        lwpcheck::view::counterexample(&out)
    );
    let seen = seen.lock().unwrap().clone();
    let expected = (l.expected)(Run::Loom(profile));
    println!(
        "litmus {name:<20} {profile}: {} executions, {:.3} s, outcomes {:?}",
        out.executions,
        out.elapsed.as_secs_f64(),
        seen
    );
    assert_eq!(
        seen, expected,
        "litmus {name} under {profile}: loom's outcome set changed.\n  registers: {}\n  published: {}\n  note: {}",
        l.registers, l.published, l.explorer_note
    );
}

canaries! {
    mp => "mp",
    mp_membar => "mp+membar",
    sb => "sb",
    sb_fences => "sb+fences",
    lb => "lb",
    two_plus_two_w => "2+2w",
    iriw => "iriw",
    iriw_fences => "iriw+fences",
    corr => "corr",
    ra_mp => "ra-mp",
    load_then_store_mp => "load-then-store-mp",
    load_then_store_mp_spawned => "load-then-store-mp-spawned",
    load_then_store => "load-then-store",
}

#[test]
fn every_canary_is_tested() {
    let names: Vec<&str> = all_litmus().iter().map(|l| l.name).collect();
    assert_eq!(
        names,
        [
            "mp",
            "mp+membar",
            "sb",
            "sb+fences",
            "lb",
            "2+2w",
            "iriw",
            "iriw+fences",
            "corr",
            "ra-mp",
            "load-then-store-mp",
            "load-then-store-mp-spawned",
            "load-then-store"
        ]
    );
}
