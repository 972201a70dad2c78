//! A [`Program`] run through the facade under the execution-graph explorer:
//! atomic locations are facade atomics, plain `int` locations facade cells,
//! fences and kernel barriers the facade's, each `P<i>` a facade thread,
//! registers local. The final state is every thread's registers and every
//! location's value read by the main thread after joining them all (which
//! every model forces to be the coherence-last write).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{GraphCheck, Mutation};
use crate::explore::program::{Fence, KernelBarrier, Order, Program, RmwOp, State, Stmt};
use crate::sync::{self, AtomicUsize, MemoryModel, UnsafeCell};

pub use crate::explore::program::ProgramRun;

thread_local! {
    /// The running execution's final state (set by the main thread at its
    /// end, taken by the explorer when the execution is complete).
    static RESULT: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Explore `p` under `model` within `budget`.
pub fn run_program(p: &Program, model: MemoryModel, budget: Duration) -> ProgramRun {
    run_program_with(
        p,
        GraphCheck {
            model,
            budget,
            mutation: Mutation::None,
            races_fail: false,
        },
    )
}

/// [`run_program`] with every setting (a [`Mutation`] for the tests).
///
/// Panics with the explorer's message if the program panics under it (a
/// read-modify-write on a plain location, a replay that diverged).
pub fn run_program_with(p: &Program, check: GraphCheck) -> ProgramRun {
    let prog = std::sync::Arc::new(p.clone());
    let states = Rc::new(RefCell::new(BTreeSet::new()));
    let sink = states.clone();
    let on_complete = Box::new(move |_: &super::exec_graph::Graph| {
        if let Some(s) = RESULT.with(|r| r.borrow_mut().take()) {
            sink.borrow_mut().insert(s);
        }
    });
    let (stats, failure) = check.explore(
        move || {
            RESULT.with(|r| *r.borrow_mut() = None);
            let s = execute(&prog);
            RESULT.with(|r| *r.borrow_mut() = Some(s));
        },
        on_complete,
    );
    if let Some(f) = failure {
        panic!("program {} under {}: {f}", p.name, check.model);
    }
    let states = states.borrow().clone();
    ProgramRun {
        states,
        executions: stats.executions,
        graphs: stats.graphs,
        blocked: stats.blocked,
        racy: stats.racy > 0,
        lb_executions: stats.lb_executions,
        timed_out: stats.timed_out,
    }
}

/// A location as the facade holds it.
enum Obj {
    Atomic(AtomicUsize),
    Plain(UnsafeCell<u64>),
}

/// One execution of `p` through the facade, under whichever explorer runs
/// the calling closure (the DPOR explorer's differential test runs it too).
pub fn execute(p: &std::sync::Arc<Program>) -> State {
    let mem: sync::Arc<Vec<Obj>> = sync::Arc::new(
        p.locations
            .iter()
            .map(|l| {
                if l.atomic {
                    Obj::Atomic(AtomicUsize::new(l.init as usize))
                } else {
                    Obj::Plain(UnsafeCell::new(l.init))
                }
            })
            .collect(),
    );
    let handles: Vec<_> = (0..p.threads.len())
        .map(|i| {
            let (mem, p) = (mem.clone(), p.clone());
            sync::thread::spawn(move || {
                let th = &p.threads[i];
                let mut regs = vec![0u64; th.registers.len()];
                run(&mem, &th.body, &mut regs);
                regs
            })
        })
        .collect();
    let registers = handles
        .into_iter()
        .map(|h| h.join().expect("a program thread does not panic"))
        .collect();
    let memory = mem
        .iter()
        .map(|o| match o {
            Obj::Atomic(a) => a.load(Ordering::Relaxed) as u64,
            // SAFETY: every thread has been joined: no concurrent access.
            Obj::Plain(c) => unsafe { c.read() },
        })
        .collect();
    State { registers, memory }
}

fn load_order(o: Order) -> Ordering {
    match o {
        Order::Plain | Order::Relaxed | Order::Release => Ordering::Relaxed,
        Order::Acquire | Order::AcqRel => Ordering::Acquire,
        Order::SeqCst => Ordering::SeqCst,
    }
}

fn store_order(o: Order) -> Ordering {
    match o {
        Order::Plain | Order::Relaxed | Order::Acquire => Ordering::Relaxed,
        Order::Release | Order::AcqRel => Ordering::Release,
        Order::SeqCst => Ordering::SeqCst,
    }
}

fn rmw_order(o: Order) -> Ordering {
    match o {
        Order::Plain | Order::Relaxed => Ordering::Relaxed,
        Order::Acquire => Ordering::Acquire,
        Order::Release => Ordering::Release,
        Order::AcqRel => Ordering::AcqRel,
        Order::SeqCst => Ordering::SeqCst,
    }
}

fn run(mem: &[Obj], body: &[Stmt], regs: &mut [u64]) {
    for s in body {
        match s {
            Stmt::Load { reg, loc, order } => {
                regs[*reg] = match &mem[*loc] {
                    Obj::Atomic(a) => a.load(load_order(*order)) as u64,
                    // SAFETY: a plain access, racy or not, is what the
                    // program says; the cell is alive and the explorer
                    // checks races on it.
                    Obj::Plain(c) => unsafe { c.read() },
                };
            }
            Stmt::Store { loc, value, order } => {
                let v = value.eval(regs);
                match &mem[*loc] {
                    Obj::Atomic(a) => a.store(v as usize, store_order(*order)),
                    // SAFETY: as for the load.
                    Obj::Plain(c) => unsafe { c.write(v) },
                }
            }
            Stmt::Rmw {
                reg,
                loc,
                op,
                order,
            } => {
                let Obj::Atomic(a) = &mem[*loc] else {
                    panic!("a read-modify-write on plain location {loc} (only atomic locations have them)");
                };
                let o = rmw_order(*order);
                let r = match op {
                    RmwOp::Exchange(e) => a.swap(e.eval(regs) as usize, o) as u64,
                    RmwOp::FetchAdd(e) => a.fetch_add(e.eval(regs) as usize, o) as u64,
                    RmwOp::Cas {
                        expected,
                        new,
                        failure,
                        expected_reg,
                        weak,
                    } => {
                        let (e, n) = (expected.eval(regs) as usize, new.eval(regs) as usize);
                        let f = load_order(*failure);
                        let res = if *weak {
                            a.compare_exchange_weak(e, n, o, f)
                        } else {
                            a.compare_exchange(e, n, o, f)
                        };
                        match res {
                            Ok(_) => 1,
                            Err(old) => {
                                if let Some(x) = expected_reg {
                                    regs[*x] = old as u64;
                                }
                                0
                            }
                        }
                    }
                };
                if let Some(x) = reg {
                    regs[*x] = r;
                }
            }
            Stmt::Fence(Fence::C11(o)) => match o {
                // A relaxed fence is no fence.
                Order::Plain | Order::Relaxed => {}
                o => sync::fence(rmw_order(*o)),
            },
            Stmt::Fence(Fence::Kernel(b)) => match b {
                KernelBarrier::Producer => sync::membar_producer(),
                KernelBarrier::Consumer => sync::membar_consumer(),
                KernelBarrier::Exit => sync::membar_exit(),
                KernelBarrier::Enter => sync::membar_enter(),
                KernelBarrier::Sync => sync::membar_sync(),
                KernelBarrier::Release => sync::membar_release(),
                KernelBarrier::Acquire => sync::membar_acquire(),
            },
            Stmt::Assign { reg, value } => regs[*reg] = value.eval(regs),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                if cond.eval(regs) != 0 {
                    run(mem, then, regs);
                } else {
                    run(mem, otherwise, regs);
                }
            }
        }
    }
}
