//! The loom check runner, tested end to end: every failure kind is
//! classified, the counterexample names both threads and the failing site,
//! the profile and the weakening plan change what loom explores, bounds and
//! budgets apply, and bad settings are one-line errors.
#![cfg(loom)]

use std::time::Duration;

use lwpcheck::explore::litmus::{
    all_litmus, broken_handoff, field_read_after_free, field_read_before_free,
    field_read_unordered_with_free, recorder,
};
use lwpcheck::explore::loom::{Bounds, LoomCheck};
use lwpcheck::explore::{violation, FailKind, Outcome, Verdict};
use lwpcheck::sync::{
    self, thread, Arc, AtomicUsize, Mutex, Ordering::*, Plan, Profile, UnsafeCell,
};

fn run(profile: Profile, f: impl Fn() + Send + Sync + 'static) -> Outcome {
    LoomCheck::new(profile)
        .and_then(|c| c.run(f))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn failed(out: &Outcome) -> FailKind {
    match &out.verdict {
        Verdict::Fail(f) => f.kind,
        Verdict::Pass => panic!(
            "expected a failure, got a pass after {} executions",
            out.executions
        ),
    }
}

/// The deliberately failing example: its trace must name both threads and
/// the failing site.
#[test]
fn broken_handoff_fails_under_arm_with_a_readable_trace() {
    let out = run(Profile::Arm, broken_handoff);
    assert_eq!(failed(&out), FailKind::Assertion);
    let Verdict::Fail(f) = &out.verdict else {
        unreachable!()
    };
    assert!(
        f.message.contains("reader saw flag == 1 but data == 0"),
        "{}",
        f.message
    );
    assert!(
        f.site
            .as_deref()
            .unwrap_or_default()
            .starts_with("src/explore/litmus.rs:"),
        "{f}"
    );
    let text = lwpcheck::view::counterexample_flat(&out);
    println!("{text}");
    assert!(out.trace.threads.iter().any(|t| t == "writer"), "{text}");
    assert!(out.trace.threads.iter().any(|t| t == "reader"), "{text}");
    assert!(
        text.contains("store flag = 1  [Relaxed]  @ src/explore/litmus.rs:"),
        "{text}"
    );
    assert!(
        text.contains("load data -> 0  [Relaxed]  @ src/explore/litmus.rs:"),
        "{text}"
    );
    assert!(
        text.contains("FAILED: assertion: reader saw flag == 1"),
        "{text}"
    );
    // The swimlane view (the default): the reader's stale load, in the
    // reader's column, marked as the failing event.
    let lanes = lwpcheck::view::counterexample(&out);
    println!("{lanes}");
    let column = |needle: &str| {
        let line = lanes.lines().find(|l| l.contains(needle)).expect(needle);
        line.find(needle).unwrap()
    };
    assert!(
        column("store flag = 1") < column("!! load data -> 0"),
        "{lanes}"
    );
    assert!(
        lanes.contains("<- stale: initial value (no store of it"),
        "{lanes}"
    );
    assert!(
        lanes.contains("FAILED: assertion: reader saw flag == 1"),
        "{lanes}"
    );
    // The reader loaded the flag that the writer stored: both lanes appear.
    let lanes: std::collections::BTreeSet<usize> =
        out.trace.events.iter().map(|e| e.lane).collect();
    assert!(lanes.len() >= 3, "main, writer and reader lanes: {text}");
}

#[test]
fn broken_handoff_passes_under_x86() {
    let out = run(Profile::X86, broken_handoff);
    assert_eq!(out.verdict, Verdict::Pass);
    assert!(out.executions > 1);
    // The X86 profile shows in the trace as "written as run".
    assert!(out
        .sites
        .iter()
        .any(|s| s.op == "store" && s.written == Relaxed));
}

#[test]
fn x86_profile_trace_shows_the_ordering_as_run() {
    let out = run(Profile::X86, || {
        broken_handoff();
        violation(FailKind::Panic, "stop here to keep the trace");
    });
    let text = lwpcheck::view::counterexample(&out);
    assert!(text.contains("[Relaxed as Release]"), "{text}");
    assert!(text.contains("[Relaxed as Acquire]"), "{text}");
}

#[test]
fn unprotected_cell_is_a_data_race() {
    let out = run(Profile::Arm, || {
        let cell = Arc::new(UnsafeCell::new(0usize));
        sync::label(&*cell, "l_stat");
        let c = cell.clone();
        let t = thread::spawn_named("writer", move || {
            // SAFETY: deliberately unprotected; loom reports the race.
            unsafe { c.write(1) }
        });
        // SAFETY: as above.
        unsafe { cell.write(2) };
        t.join().unwrap();
    });
    assert_eq!(failed(&out), FailKind::DataRace);
    assert!(lwpcheck::view::counterexample(&out).contains("write l_stat"));
}

/// Kernel memory checks itself: a field of a freed allocation fails when
/// it is read, with no `touch` (see `sync::mem`); a read unordered with
/// the free is a data race; the read ordered before the free passes.
#[test]
fn a_field_of_freed_memory_fails_by_itself() {
    for profile in [Profile::Arm, Profile::X86] {
        let out = run(profile, field_read_after_free);
        assert_eq!(failed(&out), FailKind::UseAfterFree, "{profile:?}");
        let Verdict::Fail(f) = &out.verdict else {
            unreachable!()
        };
        assert!(
            f.message
                .starts_with("read of T1.td_zombie at src/explore/litmus.rs:")
                && f.message.ends_with("after struct thread T1 was freed"),
            "{}",
            f.message
        );
        let out = run(profile, field_read_unordered_with_free);
        assert_eq!(failed(&out), FailKind::DataRace, "{profile:?}");
        let out = run(profile, field_read_before_free);
        assert_eq!(
            out.verdict,
            Verdict::Pass,
            "{}",
            lwpcheck::view::counterexample(&out)
        );
    }
}

#[test]
fn protected_cell_passes() {
    let out = run(Profile::Arm, || {
        let m = Arc::new(Mutex::new(()));
        let cell = Arc::new(UnsafeCell::new(0usize));
        let (m2, c2) = (m.clone(), cell.clone());
        let t = thread::spawn(move || {
            let g = m2.lock();
            // SAFETY: m2 held.
            unsafe { c2.write(c2.read() + 1) };
            g.unlock();
        });
        {
            let _g = m.lock();
            // SAFETY: m held.
            unsafe { cell.write(cell.read() + 1) };
        }
        t.join().unwrap();
        let _g = m.lock();
        // SAFETY: m held.
        let v = unsafe { cell.read() };
        lwpcheck::prop!(v == 2, "lost update: {v}");
    });
    assert_eq!(
        out.verdict,
        Verdict::Pass,
        "{}",
        lwpcheck::view::counterexample(&out)
    );
}

#[test]
fn lock_order_inversion_is_a_deadlock() {
    let out = run(Profile::Arm, || {
        let a = Arc::new(Mutex::new(()));
        let b = Arc::new(Mutex::new(()));
        let (a2, b2) = (a.clone(), b.clone());
        let t = thread::spawn_named("ba", move || {
            let _gb = b2.lock();
            let _ga = a2.lock();
        });
        {
            let _ga = a.lock();
            let _gb = b.lock();
        }
        t.join().unwrap();
    });
    assert_eq!(failed(&out), FailKind::Deadlock);
}

#[test]
fn forgotten_arc_is_a_leak() {
    let out = run(Profile::Arm, || {
        std::mem::forget(Arc::new(7usize));
    });
    assert_eq!(failed(&out), FailKind::Leak);
}

#[test]
fn wrong_size_is_index_out_of_bounds() {
    let out = run(Profile::Arm, || {
        let size = Arc::new(AtomicUsize::new(2));
        let s = size.clone();
        let t = thread::spawn(move || s.store(4, Relaxed));
        let table = [0usize; 2];
        let n = size.load(Relaxed);
        let _ = table[std::hint::black_box(n - 1)];
        t.join().unwrap();
    });
    assert_eq!(failed(&out), FailKind::IndexOutOfBounds);
}

#[test]
fn violation_names_its_kind() {
    let out = run(Profile::Arm, || {
        violation(FailKind::UseAfterFree, "table 2 read after free")
    });
    assert_eq!(failed(&out), FailKind::UseAfterFree);
}

#[test]
fn budget_exceeded_is_timed_out_not_pass() {
    let iriw = all_litmus().into_iter().find(|l| l.name == "iriw").unwrap();
    let (f, _) = recorder(iriw.run);
    let out = LoomCheck::new(Profile::Arm)
        .unwrap()
        .budget(Duration::from_millis(1))
        .run(f)
        .unwrap();
    assert_eq!(failed(&out), FailKind::TimedOut);
    assert!(
        out.trace.events.is_empty(),
        "a timeout has no counterexample"
    );
}

#[test]
fn weakening_plan_drops_a_barrier() {
    let mp = all_litmus()
        .into_iter()
        .find(|l| l.name == "mp+membar")
        .unwrap();
    let (f, seen) = recorder(mp.run);
    let out = run(Profile::Arm, f);
    assert!(!seen.lock().unwrap().contains(&vec![1, 0]));
    // The site registry names both barriers with their written orderings.
    let producer = out
        .sites
        .iter()
        .find(|s| s.op == "membar_producer")
        .expect("membar_producer site recorded");
    assert_eq!(producer.written, Release);
    assert!(out
        .sites
        .iter()
        .any(|s| s.op == "membar_consumer" && s.written == Acquire));
    // Dropping membar_producer makes the stale read visible under Arm...
    let (f, seen) = recorder(mp.run);
    let plan = Plan::new().weaken(producer.site, Relaxed);
    LoomCheck::new(Profile::Arm)
        .unwrap()
        .plan(plan.clone())
        .run(f)
        .unwrap();
    assert!(seen.lock().unwrap().contains(&vec![1, 0]));
    // ...and stays invisible under X86, where stores are ordered anyway.
    let (f, seen) = recorder(mp.run);
    LoomCheck::new(Profile::X86)
        .unwrap()
        .plan(plan)
        .run(f)
        .unwrap();
    assert!(!seen.lock().unwrap().contains(&vec![1, 0]));
}

#[test]
fn preemption_bound_shrinks_the_search() {
    let sb = all_litmus().into_iter().find(|l| l.name == "iriw").unwrap();
    let (f, _) = recorder(sb.run);
    let full = run(Profile::Arm, f);
    let (f, _) = recorder(sb.run);
    let bounded = LoomCheck::new(Profile::Arm)
        .unwrap()
        .bounds(Bounds {
            preemptions: Some(1),
            branches: None,
        })
        .run(f)
        .unwrap();
    assert!(
        bounded.executions < full.executions,
        "bounded {} vs full {}",
        bounded.executions,
        full.executions
    );
}

#[test]
fn trace_is_capped_and_deterministic() {
    let body = || {
        let x = Arc::new(AtomicUsize::new(0));
        for _ in 0..30 {
            x.fetch_add(1, Relaxed);
        }
        violation(FailKind::Assertion, "done");
    };
    let mut c = LoomCheck::new(Profile::Arm).unwrap();
    c.trace_cap = 10;
    let a = c.run(body).unwrap();
    let b = c.run(body).unwrap();
    assert_eq!(a.trace.events.len(), 10);
    assert_eq!(a.trace.dropped, 20);
    assert!(lwpcheck::view::counterexample(&a).contains("20 earlier events not kept"));
    assert_eq!(
        lwpcheck::view::counterexample(&a),
        lwpcheck::view::counterexample(&b)
    );
}

/// Runs in a child process with a bad `LOOM_MAX_PREEMPTIONS` (see below).
#[test]
fn child_reports_bad_env() {
    if std::env::var_os("LWPCHECK_CHILD").is_none() {
        return;
    }
    match LoomCheck::new(Profile::Arm).and_then(|c| c.run(|| {})) {
        Err(e) => println!("ERROR-LINE {e}"),
        Ok(_) => println!("ERROR-LINE none"),
    }
}

#[test]
fn bad_loom_variable_is_a_one_line_error() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "runner::child_reports_bad_env",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LWPCHECK_CHILD", "1")
        .env("LOOM_MAX_PREEMPTIONS", "two")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "ERROR-LINE LOOM_MAX_PREEMPTIONS='two' is not valid (accepted: a whole number, e.g. 2)"
        ),
        "{stdout}"
    );
}

/// A loom failure recorded with `checkpoint::record` replays as exactly one
/// execution with the same events; a checkpoint edited to name another cell
/// diverges and is refused; a loom path loom cannot load is a one-line error.
#[test]
fn checkpoint_records_replays_and_refuses_a_foreign_or_corrupt_file() {
    use lwpcheck::model::Run;
    use lwpcheck::tool::checkpoint::{self, CheckpointFile};
    use lwpcheck::tool::registry::{self, Request};

    let dir = std::env::temp_dir().join(format!("lwpcheck-ckpt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ck.json");
    let m = registry::find("tidhash").unwrap();
    let mut req = Request::new(
        "grow_vs_lookup",
        "no-second-producer-barrier",
        Run::Loom(Profile::Arm),
    );
    req.bounds = Some(Bounds {
        preemptions: Some(0),
        branches: None,
    });
    let recorded = checkpoint::record(&m, &req, &path).unwrap();
    assert_eq!(failed(&recorded.outcome), FailKind::IndexOutOfBounds);

    let file = CheckpointFile::read(&path).unwrap();
    let cell = checkpoint::replay(&path, &file).unwrap();
    assert_eq!(cell.outcome.executions, 1, "a replay is one execution");
    assert_eq!(failed(&cell.outcome), FailKind::IndexOutOfBounds);
    assert_eq!(cell.outcome.trace, recorded.outcome.trace);
    assert_eq!(file.variant, "no-second-producer-barrier");

    // The same loom path, relabelled as the faithful variant: loom would
    // replay it without a word; the digest refuses it.
    let foreign = dir.join("foreign.json");
    CheckpointFile {
        variant: "faithful".into(),
        ..file.clone()
    }
    .write(&foreign)
    .unwrap();
    let f = CheckpointFile::read(&foreign).unwrap();
    let e = checkpoint::replay(&foreign, &f).unwrap_err();
    assert!(e.contains("diverged") && !e.contains('\n'), "{e}");

    // A path loom cannot deserialize: loom would panic while loading it.
    let corrupt = dir.join("corrupt.json");
    let mut bad = file.clone();
    bad.loom_path["branches"] = serde_json::json!({"entries": [{"Bogus": 1}]});
    bad.write(&corrupt).unwrap();
    let f = CheckpointFile::read(&corrupt).unwrap();
    let e = checkpoint::replay(&corrupt, &f).unwrap_err();
    assert!(
        e.contains("is not a loom execution path") && !e.contains('\n'),
        "{e}"
    );

    // A passing run writes nothing.
    let pass = Request::new("grow_vs_lookup", "faithful", Run::Loom(Profile::Arm));
    let e = checkpoint::record(&m, &pass, &dir.join("none.json")).unwrap_err();
    assert!(e.contains("did not fail"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The matrix writes report.json, report.md and, for every failing cell, a
/// trace file (with its shortest counterexample) and an HTML page beside it;
/// a stale trace from an earlier run is removed.
#[test]
fn matrix_writes_reports_and_one_trace_per_failing_cell() {
    use lwpcheck::tool::matrix::{self, Options, Selection};
    let dir = std::env::temp_dir().join(format!("lwpcheck-matrix-test-{}", std::process::id()));
    let stale = dir.join("traces/stale.txt");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, "old").unwrap();
    let sel = Selection {
        model: Some("tidhash".into()),
        scenario: Some("grow_vs_lookup".into()),
        variant: None,
        profile: Some("arm".into()),
        part: None,
    };
    let opts = Options {
        jobs: 1,
        out: Some(dir.clone()),
        shortest: true,
        shard: None,
    };
    let report = matrix::run(&sel, &opts).unwrap();
    assert!(report.ok(), "{}", report.markdown());
    assert!(!stale.exists(), "a stale trace file survived");
    let failing: Vec<_> = report.cells.iter().filter(|c| c.kind.is_some()).collect();
    assert!(failing.len() >= 5, "{}", report.summary());
    for c in &failing {
        let t = c
            .trace_file
            .as_deref()
            .expect("a failing cell has a trace file");
        let text = std::fs::read_to_string(dir.join(t)).unwrap();
        assert!(text.contains(&format!(
            "cell:      tidhash / grow_vs_lookup / {}",
            c.variant
        )));
        assert!(text.contains("FAILED:"), "{text}");
        let sh = c
            .shortest
            .expect("every failure here has a shortest counterexample");
        assert!(
            text.contains(&format!("--preemptions {}", sh.preemptions)),
            "{text}"
        );
        assert!(dir.join(t.replace(".txt", ".html")).exists());
    }
    let back = lwpcheck::tool::report::read(&dir.join("report.json")).unwrap();
    assert_eq!(back, report);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("**as expected**"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}
