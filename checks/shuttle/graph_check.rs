//! The execution-graph explorer as a gate cell's check
//! (`GraphCheck::run`, `src/explore/graph/check.rs`): the verdict, its
//! kind and the failing execution's trace, the executions and the
//! explorer's counters, and a time-out that is never a pass. The closures
//! use only atomics, spawn and join (what the explorer runs today).

use std::sync::atomic::Ordering::{self, Acquire, Relaxed, Release};
use std::time::Duration;

use lwpcheck::explore::graph::GraphCheck;
use lwpcheck::explore::{FailKind, Verdict};
use lwpcheck::sync::MemoryModel::{self, Arm, Rc11, Sc, Tso};
use lwpcheck::sync::{self, thread, Arc, AtomicUsize};

/// Message passing: the writer stores the data then sets the flag with
/// `flag_store`; the reader, if it sees the flag (loaded with
/// `flag_load`), asserts it sees the data.
fn message_pass(flag_store: Ordering, flag_load: Ordering) {
    let data = Arc::new(AtomicUsize::new(0));
    let flag = Arc::new(AtomicUsize::new(0));
    sync::label(&*data, "data");
    sync::label(&*flag, "flag");
    let (d, f) = (data.clone(), flag.clone());
    let w = thread::spawn_named("writer", move || {
        d.store(42, Relaxed);
        f.store(1, flag_store);
    });
    let r = thread::spawn_named("reader", move || {
        if flag.load(flag_load) == 1 {
            let seen = data.load(Relaxed);
            lwpcheck::prop!(seen == 42, "reader saw the flag but data == {seen}");
        }
    });
    w.join().unwrap();
    if let Err(p) = r.join() {
        std::panic::resume_unwind(p);
    }
}

fn check(model: MemoryModel) -> GraphCheck {
    let mut c = GraphCheck::new(model);
    c.budget = Duration::from_secs(30);
    c
}

/// A relaxed flag does not order the data under ARMv8 nor C11: the cell
/// fails with the model's assertion, its trace shows the failing
/// execution; under sc and x86-TSO (stores in order, loads in order) the
/// same closure passes. With release/acquire it passes under every model.
#[test]
fn a_relaxed_message_pass_fails_under_arm_and_release_acquire_passes() {
    for model in [Arm, Rc11] {
        let (out, stats) = check(model).run(|| message_pass(Relaxed, Relaxed));
        let Verdict::Fail(f) = &out.verdict else {
            panic!("{model}: the relaxed message pass passed ({stats:?})")
        };
        assert_eq!(f.kind, FailKind::Assertion, "{model}: {f}");
        assert_eq!(
            f.message, "reader saw the flag but data == 0",
            "{model}: {f}"
        );
        assert!(
            out.executions >= 1 && out.executions == stats.executions,
            "{model}: {} executions, {stats:?}",
            out.executions
        );
        assert!(out.schedule.is_none(), "nothing to replay");
        let shown = lwpcheck::view::counterexample(&out);
        assert!(
            !out.trace.events.is_empty() && shown.contains("reader") && shown.contains("flag"),
            "{model}: the failing execution's trace:\n{shown}"
        );
    }
    for model in [Sc, Tso] {
        let (out, stats) = check(model).run(|| message_pass(Relaxed, Relaxed));
        assert_eq!(out.verdict, Verdict::Pass, "{model}");
        // Flag 0 or 1 read, data read only after flag 1: 3 graphs under
        // sc (flag 0 before or after the data write is one graph per rf).
        assert!(stats.executions >= 2, "{model}: {stats:?}");
        assert_eq!(stats.executions, stats.graphs, "{model}: optimal");
    }
    for model in [Sc, Tso, Rc11, Arm] {
        let (out, stats) = check(model).run(|| message_pass(Release, Acquire));
        assert_eq!(
            out.verdict,
            Verdict::Pass,
            "{model}: {}",
            lwpcheck::view::counterexample(&out)
        );
        assert_eq!(out.executions, stats.executions);
        assert!(out.trace.events.is_empty(), "no trace on a pass");
        assert_eq!(stats.executions, stats.graphs, "{model}: optimal");
        assert!(!stats.timed_out);
    }
}

/// Two increments by read-modify-write: every model's atomicity keeps both,
/// so the cell passes. (Before 67cb5a6 the explorer ran on a graph in
/// which both read the initial value, abandoning it only at its end, and
/// the program's own assertion failed in it under all four models.)
#[test]
fn two_fetch_adds_are_never_a_lost_update() {
    fn two_increments() {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let t = thread::spawn_named("other", move || {
            n2.fetch_add(1, Relaxed);
        });
        n.fetch_add(1, Relaxed);
        t.join().unwrap();
        let v = n.load(Relaxed);
        lwpcheck::prop!(v == 2, "counter is {v} after two increments");
    }
    let mut wrong = Vec::new();
    for model in [Sc, Tso, Rc11, Arm] {
        let (out, stats) = check(model).run(two_increments);
        // Which increment comes first in coherence: two graphs.
        if out.verdict != Verdict::Pass || (stats.executions, stats.graphs) != (2, 2) {
            wrong.push(format!(
                "{model}: {} {stats:?}\n{}",
                out.verdict,
                lwpcheck::view::counterexample(&out)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Load buffering under arm, through the facade (threads, joins, a
/// model's assertion): each thread loads one location, then stores the
/// other, relaxed. ARMv8 lets both loads read 1 (a po ∪ rf cycle): the
/// assertion that they do not fails under arm, and holds under sc and
/// rc11 (no-thin-air).
#[test]
fn load_buffering_fails_an_assertion_under_arm_only() {
    fn lb() {
        let (x, y) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (x1, y1) = (x.clone(), y.clone());
        let t = thread::spawn_named("t1", move || {
            let r = y1.load(Relaxed);
            x1.store(1, Relaxed);
            r
        });
        let r0 = x.load(Relaxed);
        y.store(1, Relaxed);
        let r1 = t.join().unwrap();
        assert!(!(r0 == 1 && r1 == 1), "load buffering: both loads read 1");
    }
    let (out, arm) = check(Arm).run(lb);
    let Verdict::Fail(f) = &out.verdict else {
        panic!("arm: load buffering not produced: {arm:?}");
    };
    // The failing execution is the one with the cycle.
    assert!(f.message.contains("load buffering"), "{}", f.message);
    for m in [Sc, Rc11] {
        let (out, st) = check(m).run(lb);
        assert_eq!(out.verdict, Verdict::Pass, "{m}");
        assert_eq!(st.lb_executions, 0, "{st:?}");
    }
}

/// A cell handed over through a flag, stored and loaded with `order`.
fn cell_handoff(store: Ordering, load: Ordering) {
    let c = Arc::new(sync::UnsafeCell::new(0usize));
    let flag = Arc::new(AtomicUsize::new(0));
    let (c2, f2) = (c.clone(), flag.clone());
    let w = thread::spawn_named("writer", move || {
        // SAFETY: the reader reads the cell only after seeing the flag.
        unsafe { c2.write(42) };
        f2.store(1, store);
    });
    let r = thread::spawn_named("reader", move || {
        if flag.load(load) == 1 {
            // SAFETY: the flag says the writer is done with the cell.
            let v = unsafe { c.read() };
            lwpcheck::prop!(v == 42, "read {v}");
        }
    });
    w.join().unwrap();
    if let Err(p) = r.join() {
        std::panic::resume_unwind(p);
    }
}

/// The gate's graph check (`registry::graph_check`) fails a C11 data race
/// on a cell under `rc11` and `arm` alike, as the DPOR cells judge races
/// (the program's, with the orderings as written); release/acquire orders
/// the hand-off.
#[test]
fn the_gate_check_fails_a_relaxed_cell_handoff_as_a_data_race() {
    for model in [Rc11, Arm] {
        let check = lwpcheck::tool::registry::graph_check(model).unwrap();
        assert!(check.races_fail);
        let (out, _) = check.run(|| cell_handoff(Relaxed, Relaxed));
        assert_eq!(
            out.verdict.kind(),
            Some(FailKind::DataRace),
            "{model}: {}",
            out.verdict
        );
        let (out, _) = check.run(|| cell_handoff(Release, Acquire));
        assert_eq!(out.verdict, Verdict::Pass, "{model}: {}", out.verdict);
    }
}

/// A budget that runs out is `timed-out`, never a pass.
#[test]
fn a_budget_that_runs_out_is_timed_out() {
    let mut c = GraphCheck::new(Arm);
    c.budget = Duration::ZERO;
    let (out, stats) = c.run(|| message_pass(Release, Acquire));
    assert!(stats.timed_out, "{stats:?}");
    let Verdict::Fail(f) = &out.verdict else {
        panic!("a time-out passed")
    };
    assert_eq!(f.kind, FailKind::TimedOut);
    assert!(
        f.message.starts_with("time budget exceeded: 0 s after"),
        "{f}"
    );
}

/// A two-variant model of the message pass, to run `model::graph_cell`
/// end to end: the cell's run, expectation (the memory-model table),
/// counters and report record.
mod toy {
    use super::*;
    use lwpcheck::explore::{Bounds, Schedule, SpawnOrders};
    use lwpcheck::model::{fail, pass, Expectation, Model, Scenario, Variant};
    use lwpcheck::sync::Profile;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum V {
        Faithful,
        RelaxedFlag,
    }

    impl Variant for V {
        const ALL: &'static [V] = &[V::Faithful, V::RelaxedFlag];
        fn name(self) -> &'static str {
            match self {
                V::Faithful => "faithful",
                V::RelaxedFlag => "relaxed-flag",
            }
        }
        fn about(self) -> &'static str {
            "the flag is stored and loaded relaxed"
        }
    }

    pub struct Toy;

    fn run(v: V) {
        match v {
            V::Faithful => message_pass(Release, Acquire),
            V::RelaxedFlag => message_pass(Relaxed, Relaxed),
        }
    }

    fn by_model(v: V, m: MemoryModel) -> Expectation {
        match (v, m) {
            (V::Faithful, _) => pass("release/acquire orders the data before the flag"),
            (V::RelaxedFlag, Sc | Tso) => pass("stores stay in order, loads stay in order"),
            (V::RelaxedFlag, Rc11 | Arm) => fail(
                FailKind::Assertion,
                "nothing orders the data store before the flag store, nor the two loads",
            ),
        }
    }

    fn unused_loom(_: V, _: Profile) -> Expectation {
        pass("not run: this model is only for graph_cell")
    }

    fn unused_shuttle(_: V) -> Expectation {
        pass("not run: this model is only for graph_cell")
    }

    impl Model for Toy {
        const NAME: &'static str = "toy";
        type V = V;
        fn scenarios() -> Vec<Scenario<V>> {
            vec![Scenario {
                name: "message_pass",
                about:
                    "a writer sets data then the flag; a reader that sees the flag asserts the data",
                run,
                loom_bounds: Bounds::default(),
                bound_reason: "",
                loom_orders: SpawnOrders::Every,
                shuttle: Schedule::Dfs {
                    max_iterations: None,
                },
                expect_loom: unused_loom,
                expect_shuttle: unused_shuttle,
                expect_dpor: by_model,
            }]
        }
    }
}

#[test]
fn a_graph_cell_runs_the_scenario_under_its_memory_model_expectation() {
    use lwpcheck::model::{graph_cell, Model, Run};
    use lwpcheck::tool::report::Record;
    let sc = toy::Toy::scenarios().remove(0);
    for (v, model, verdict) in [
        (toy::V::Faithful, Arm, "pass"),
        (toy::V::RelaxedFlag, Arm, "fail assertion"),
        (toy::V::RelaxedFlag, Rc11, "fail assertion"),
    ] {
        let cell = graph_cell::<toy::Toy>(&sc, v, check(model));
        assert_eq!(cell.run, Run::Graph(model));
        assert_eq!(cell.surprise(), None, "{model} {v:?}");
        let rec = Record::of(&cell);
        assert_eq!(
            (rec.run.as_str(), rec.verdict_text().as_str()),
            (Run::Graph(model).to_string().as_str(), verdict)
        );
        let g = rec.graph.expect("a graph cell has the explorer's counters");
        assert_eq!(g.graphs, rec.executions, "{model} {v:?}: optimal");
        assert!(rec.schedule.is_none());
        assert!(
            rec.reproduce.ends_with(&format!(
                "--variant {} --explorer graph --memory {model}",
                rec.variant
            )),
            "{}",
            rec.reproduce
        );
    }
}
