//! DPOR counterexamples under x86-TSO as a reader sees them: the store
//! buffer's events (a store buffered, its flush to memory, a load forwarded
//! from the thread's own buffer) in the swimlane, flat and HTML views, and
//! the failing schedule replayed from the command line's entry point.

use std::sync::atomic::Ordering::Relaxed;

use lwpcheck::explore::dpor::{replay, DporCheck, MemoryModel};
use lwpcheck::explore::{FailKind, Outcome, Verdict};
use lwpcheck::sync::{self, thread, Arc, AtomicUsize};
use lwpcheck::view;

fn labelled(name: &str) -> Arc<AtomicUsize> {
    let a = Arc::new(AtomicUsize::new(0));
    sync::label(&*a, name);
    a
}

/// SB with its weak outcome as the failure: `x = 1; r0 = y` || `y = 1;
/// r1 = x`, and both loads read 0. x86-TSO allows it (TPHOLs 2009, SB),
/// SC does not.
fn sb_both_zero() {
    let (x, y) = (labelled("x"), labelled("y"));
    let (x1, y1) = (x.clone(), y.clone());
    let t = thread::spawn_named("right", move || {
        y1.store(1, Relaxed);
        x1.load(Relaxed)
    });
    x.store(1, Relaxed);
    let r0 = y.load(Relaxed);
    let r1 = t.join().unwrap();
    lwpcheck::prop!(!(r0 == 0 && r1 == 0), "both loads read 0");
}

/// n6 (CACM 2010) with its weak outcome as the failure: the left thread
/// reads its own `x = 1` from its buffer while `y` is still 0 in memory,
/// and `x = 1` reaches memory after the right thread's `x = 2`.
fn n6_weak() {
    let (x, y) = (labelled("x"), labelled("y"));
    let (x1, y1) = (x.clone(), y.clone());
    let t = thread::spawn_named("right", move || {
        y1.store(2, Relaxed);
        x1.store(2, Relaxed);
    });
    x.store(1, Relaxed);
    let r1 = x.load(Relaxed);
    let r2 = y.load(Relaxed);
    t.join().unwrap();
    let fin = x.load(Relaxed);
    lwpcheck::prop!(
        !(r1 == 1 && r2 == 0 && fin == 1),
        "r1 = 1, r2 = 0, x = 1 at the end"
    );
}

fn failing(model: MemoryModel, f: fn()) -> Outcome {
    let out = DporCheck::new(model).run(f);
    match &out.verdict {
        Verdict::Fail(x) => assert_eq!(x.kind, FailKind::Assertion, "{x}"),
        Verdict::Pass => panic!("{model}: no counterexample"),
    }
    out
}

/// The first line of `text` after line `from` that contains `needle`.
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no {needle:?} after line {from} in:\n{text}"))
}

#[test]
fn sb_counterexample_shows_buffered_stores_old_values_and_flushes() {
    // SC has no such execution: the property holds there.
    let sc = DporCheck::new(MemoryModel::Sc).run(sb_both_zero);
    assert_eq!(sc.verdict, Verdict::Pass, "{}", view::counterexample(&sc));

    let out = failing(MemoryModel::Tso, sb_both_zero);
    let text = view::counterexample(&out);
    println!("{text}");
    assert!(text.contains("x86-TSO: \"(buffered)\""), "{text}");
    // main buffers x = 1; the right thread's load of x reads memory's 0
    // (the initial value), and only then does x = 1 reach memory.
    let stored = line_of(&text, "store x = 1 (buffered)", 0);
    let read_old = line_of(&text, "load x -> 0", stored);
    let why = line_of(
        &text,
        "<- initial value (no store to it had reached memory)",
        read_old,
    );
    assert!(why <= read_old + 2, "{text}");
    let flushed = line_of(&text, "flush x = 1 (buffered at #", read_old);
    assert!(stored < read_old && read_old < flushed);
    // Each in its own thread's column: the right thread's load right of
    // main's store and flush.
    let col = |line: usize, needle: &str| text.lines().nth(line).unwrap().find(needle).unwrap();
    assert!(col(read_old, "load x") > col(stored, "store x"), "{text}");
    assert_eq!(col(flushed, "flush x"), col(stored, "store x"), "{text}");
    // The right thread's store of y is flushed too, after its own load.
    let stored_y = line_of(&text, "store y = 1 (buffered)", 0);
    line_of(&text, "flush y = 1 (buffered at #", read_old);
    assert!(stored_y < read_old, "{text}");
    assert!(
        text.contains("FAILED: assertion: both loads read 0"),
        "{text}"
    );

    // The flat view says the same, one line per event.
    let flat = view::counterexample_flat(&out);
    let a = line_of(&flat, "store x = 1 (buffered)", 0);
    let b = line_of(&flat, "load x -> 0", a);
    line_of(&flat, "flush x = 1", b);

    // The HTML page marks each kind of event.
    let page = view::counterexample_html(&out, "sb").unwrap();
    assert!(
        page.contains("buffered\" id=\"ev"),
        "a buffered store's card"
    );
    assert!(page.contains("flush\" id=\"ev"), "a flush's card");
    assert!(page.contains("<span class=\"tag buffered\""));
    assert!(page.contains("store x = 1 (buffered)"));
    assert!(page.contains("flush x = 1 (buffered at #"));

    // Replayed by its schedule, the same execution, event for event.
    let schedule = out.schedule.clone().expect("a schedule");
    assert!(schedule.starts_with("tso:"), "{schedule}");
    let again = replay(&schedule, 400, sb_both_zero).unwrap();
    assert_eq!(again.verdict, out.verdict);
    assert_eq!(view::counterexample(&again), text);
}

#[test]
fn n6_counterexample_shows_a_forwarded_load() {
    let sc = DporCheck::new(MemoryModel::Sc).run(n6_weak);
    assert_eq!(sc.verdict, Verdict::Pass, "{}", view::counterexample(&sc));

    let out = failing(MemoryModel::Tso, n6_weak);
    let text = view::counterexample(&out);
    println!("{text}");
    let stored = line_of(&text, "store x = 1 (buffered)", 0);
    let fwd = line_of(&text, "load x -> 1 (forwarded)", stored);
    let rf = line_of(&text, "<- forwarded: its own buffered store #", fwd);
    assert!(rf <= fwd + 2, "{text}");
    // The load of y read memory while main's x = 1 was still buffered,
    // and x = 1 reached memory after the right thread's x = 2.
    let y0 = line_of(&text, "load y -> 0", fwd);
    let x2 = line_of(&text, "flush x = 2", 0);
    let x1 = line_of(&text, "flush x = 1", y0);
    assert!(x2 < x1, "{text}");
    let page = view::counterexample_html(&out, "n6").unwrap();
    assert!(page.contains("forwarded\" id=\"ev"), "{page}");
    assert!(page.contains("class=\"rf fwd\""), "{page}");
}

/// Under sc nothing is buffered: no store-buffer events and no legend.
#[test]
fn sc_counterexamples_have_no_buffer_events() {
    fn lost() {
        let n = labelled("n");
        let n2 = n.clone();
        let t = thread::spawn(move || {
            let v = n2.load(Relaxed);
            n2.store(v + 1, Relaxed);
        });
        let v = n.load(Relaxed);
        n.store(v + 1, Relaxed);
        t.join().unwrap();
        lwpcheck::prop!(n.load(Relaxed) == 2, "lost update");
    }
    let out = failing(MemoryModel::Sc, lost);
    let text = view::counterexample(&out);
    assert!(!view::has_buffer_events(&out.trace), "{text}");
    assert!(
        !text.contains("buffered") && !text.contains("flush"),
        "{text}"
    );
    assert!(text.contains("store n = 1"), "{text}");
}

/// A model's DPOR counterexample replays from its schedule through the
/// registry, which is what `lwpcheck replay --schedule tso:...` runs; a bad
/// or mismatched schedule is a one-line error naming it.
#[test]
fn a_model_counterexample_replays_from_its_schedule() {
    use lwpcheck::explore::MemoryModel;
    use lwpcheck::model::Run;
    use lwpcheck::tool::registry::{self, DporJob, Request};
    let m = registry::find("tidhash").unwrap();
    let explore = DporJob {
        memory: "tso".into(),
        dfs: false,
        budget: std::time::Duration::from_secs(120),
    };
    let (scenario, variant) = ("grow_vs_lookup", "skip-recheck");
    let out = (m.dpor)(scenario, variant, &explore).unwrap();
    assert!(
        matches!(&out.verdict, Verdict::Fail(f) if f.kind != FailKind::TimedOut),
        "{}",
        out.summary()
    );
    let schedule = out.schedule.clone().unwrap();
    println!(
        "{} {scenario} {variant}: {}, schedule {schedule}",
        m.name,
        out.summary()
    );
    assert!(registry::is_dpor_schedule(&schedule), "{schedule}");
    assert!(!registry::is_dpor_schedule("42:0.0.1.r.1"));
    let replay = |variant: &str, schedule: &str| {
        let mut req = Request::new(scenario, variant, Run::Dpor(MemoryModel::Tso));
        req.schedule = Some(schedule.into());
        (m.run)(&req).map(|cell| cell.outcome)
    };
    let again = replay(variant, &schedule).unwrap();
    assert_eq!(again.verdict, out.verdict);
    assert_eq!(again.trace, out.trace);
    assert_eq!(again.executions, 1);
    // The faithful code does not fail on that schedule's execution (or the
    // schedule does not fit it): either way, not the same failure.
    if let Ok(o) = replay("faithful", &schedule) {
        assert_ne!(o.verdict, out.verdict);
    }
    for (bad, says) in [
        (
            "arm:0.1",
            "memory model 'arm' is not run by the DPOR explorer (accepted: sc, tso; rc11 and arm run under the execution-graph explorer)",
        ),
        ("tso:0.x", "step 'x'"),
        ("tso+foo:0", "unknown flag 'foo'"),
        ("tso:7.7.7.7", "does not fit this scenario"),
    ] {
        let e = replay(variant, bad).unwrap_err();
        assert!(e.contains(says) && !e.contains('\n'), "{bad}: {e}");
        if !bad.starts_with("tso:7") {
            assert!(e.contains("accepted: MODEL[+cas][+wakeups]:STEPS"), "{e}");
        }
    }
    let epoch = registry::find("tidhash-epoch").unwrap();
    let e = (epoch.dpor)("grow_vs_lookup", "faithful", &explore).unwrap_err();
    assert!(e.contains("not checked under shuttle"), "{e}");
}
