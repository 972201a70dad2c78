//! Litmus canaries under shuttle's exhaustive DFS: shuttle is sequentially
//! consistent, so only interleavings appear, never weak-memory outcomes.
#![cfg(shuttle)]

use lwpcheck::explore::litmus::{all_litmus, recorder};
use lwpcheck::explore::shuttle::ShuttleCheck;
use lwpcheck::explore::Run;
use lwpcheck::explore::Schedule as Sched;
use lwpcheck::explore::Verdict;

#[test]
fn canaries_show_exactly_the_interleavings() {
    for l in all_litmus() {
        let (f, seen) = recorder(l.run);
        let out = ShuttleCheck::new(Sched::Dfs {
            max_iterations: None,
        })
        .and_then(|c| c.run(f))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.verdict,
            Verdict::Pass,
            "{}",
            lwpcheck::view::counterexample(&out)
        );
        let seen = seen.lock().unwrap().clone();
        println!(
            "litmus {:<20} shuttle dfs: {} schedules, {:.3} s, outcomes {:?}",
            l.name,
            out.executions,
            out.elapsed.as_secs_f64(),
            seen
        );
        assert_eq!(
            seen,
            (l.expected)(Run::Shuttle(Sched::Dfs {
                max_iterations: None
            })),
            "litmus {}: {}",
            l.name,
            l.explorer_note
        );
    }
}
