//! Small concurrent programs as data: the shape of a C litmus test (herd7's
//! C format, the C11 subset) and of the random programs of the differential
//! tests. One program type serves three readers, written apart from each
//! other: the litmus parser (`lwpcheck litmus FILE`), the interpreter that
//! runs a program through the facade under an explorer, and the axiomatic
//! oracle of the tests, which evaluates a program's candidate executions
//! against a memory model's axioms without running it.
//!
//! Values are `u64` (herd7's litmus tests use small non-negative ints);
//! arithmetic wraps.

use std::collections::BTreeSet;
use std::fmt;

/// A location's index in [`Program::locations`].
pub type Loc = usize;

/// A register's index in its thread's [`Thread::registers`].
pub type Reg = usize;

/// A whole program: shared locations with their initial values, threads, and
/// the final condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The test's name (`MP+dmb.st+dmb.ld`).
    pub name: String,
    /// The shared locations.
    pub locations: Vec<Location>,
    /// `P0`, `P1`, ... in order.
    pub threads: Vec<Thread>,
    /// The final condition (`exists`, `~exists`, `forall`).
    pub condition: Condition,
}

/// A shared location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Its name in the source (`x`).
    pub name: String,
    /// Its initial value.
    pub init: u64,
    /// True for an `atomic_int`, false for a plain `int` (plain accesses to
    /// it are non-atomic: a C11 data race on it is undefined behaviour).
    pub atomic: bool,
}

/// One thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thread {
    /// Register names, in order of first appearance (`r0`, `r1`); every
    /// register starts at 0.
    pub registers: Vec<String>,
    /// The statements.
    pub body: Vec<Stmt>,
}

/// A memory order, as written (`memory_order_*`), or `Plain` for a
/// non-atomic access (`*x = 1`, `r = *x`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Order {
    /// A non-atomic access.
    Plain,
    /// `memory_order_relaxed`.
    Relaxed,
    /// `memory_order_consume`, run as acquire (as every compiler does).
    Acquire,
    /// `memory_order_release`.
    Release,
    /// `memory_order_acq_rel`.
    AcqRel,
    /// `memory_order_seq_cst`.
    SeqCst,
}

/// A read-modify-write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RmwOp {
    /// `atomic_exchange_explicit(x, v, mo)`: writes `v`, returns the old value.
    Exchange(Expr),
    /// `atomic_fetch_add_explicit(x, v, mo)`: writes old + `v`, returns old.
    FetchAdd(Expr),
    /// `atomic_compare_exchange_strong_explicit(x, &e, v, mo, fmo)`: if the
    /// old value equals `expected`, writes `new` (order `order`); otherwise
    /// only reads (order `failure`). The register gets 1 on success, 0 on
    /// failure (herd7's C semantics), and `expected_reg`, if any, gets the
    /// old value on failure.
    Cas {
        /// The value compared with.
        expected: Expr,
        /// The value written on success.
        new: Expr,
        /// The failure ordering.
        failure: Order,
        /// The register standing for `&e`, updated on failure.
        expected_reg: Option<Reg>,
        /// A `compare_exchange_weak`: may fail spuriously where the memory
        /// model allows it (never under `tso`).
        weak: bool,
    },
}

/// A fence: a C11 fence, or a kernel barrier by the name the kernel wrote
/// (each memory model runs it as that model's machine does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fence {
    /// `atomic_thread_fence(mo)`.
    C11(Order),
    /// A kernel barrier.
    Kernel(KernelBarrier),
}

/// The kernels' barriers (NetBSD `membar_ops(3)`, illumos), called by name
/// in a litmus file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelBarrier {
    /// `membar_producer()`: stores before stores.
    Producer,
    /// `membar_consumer()`: loads before loads.
    Consumer,
    /// `membar_exit()`: everything before a later store.
    Exit,
    /// `membar_enter()`: a store or lock before everything after.
    Enter,
    /// `membar_sync()`: a full barrier.
    Sync,
    /// `membar_release()` (NetBSD 10): everything before a later store.
    Release,
    /// `membar_acquire()` (NetBSD 10): a load before everything after.
    Acquire,
}

impl KernelBarrier {
    /// Every kernel barrier, with the name a litmus file calls it by.
    pub const ALL: [(KernelBarrier, &'static str); 7] = [
        (KernelBarrier::Producer, "membar_producer"),
        (KernelBarrier::Consumer, "membar_consumer"),
        (KernelBarrier::Exit, "membar_exit"),
        (KernelBarrier::Enter, "membar_enter"),
        (KernelBarrier::Sync, "membar_sync"),
        (KernelBarrier::Release, "membar_release"),
        (KernelBarrier::Acquire, "membar_acquire"),
    ];

    /// The name a litmus file calls it by.
    pub fn name(self) -> &'static str {
        KernelBarrier::ALL
            .iter()
            .find(|(b, _)| *b == self)
            .map_or("membar_?", |(_, n)| n)
    }
}

/// A statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt {
    /// `r = atomic_load_explicit(x, mo)`, or `r = *x` (`Plain`).
    Load {
        /// The destination register.
        reg: Reg,
        /// The location.
        loc: Loc,
        /// The order.
        order: Order,
    },
    /// `atomic_store_explicit(x, v, mo)`, or `*x = v` (`Plain`).
    Store {
        /// The location.
        loc: Loc,
        /// The value stored.
        value: Expr,
        /// The order.
        order: Order,
    },
    /// A read-modify-write; `reg` gets its result (see [`RmwOp`]).
    Rmw {
        /// The destination register, if the result is kept.
        reg: Option<Reg>,
        /// The location.
        loc: Loc,
        /// What it does.
        op: RmwOp,
        /// The order (of the success, for a CAS).
        order: Order,
    },
    /// A fence.
    Fence(Fence),
    /// `r = e` (local computation).
    Assign {
        /// The destination register.
        reg: Reg,
        /// The value.
        value: Expr,
    },
    /// `if (c) { ... } else { ... }`: a control dependency on the registers
    /// `c` reads.
    If {
        /// The condition (non-zero is true).
        cond: Expr,
        /// Taken when true.
        then: Vec<Stmt>,
        /// Taken when false.
        otherwise: Vec<Stmt>,
    },
}

/// A thread-local expression over registers and constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A constant.
    Const(u64),
    /// A register of the thread.
    Reg(Reg),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

/// Binary operators of [`Expr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+` (wrapping).
    Add,
    /// `-` (wrapping).
    Sub,
    /// `==` (1 or 0).
    Eq,
    /// `!=` (1 or 0).
    Ne,
    /// `&&` (1 or 0).
    And,
    /// `||` (1 or 0).
    Or,
    /// `^` (bitwise; `r ^ r` is herd's false data dependency).
    Xor,
}

impl Expr {
    /// The value under the given registers.
    pub fn eval(&self, regs: &[u64]) -> u64 {
        match self {
            Expr::Const(v) => *v,
            Expr::Reg(r) => regs[*r],
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(regs), b.eval(regs));
                match op {
                    BinOp::Add => a.wrapping_add(b),
                    BinOp::Sub => a.wrapping_sub(b),
                    BinOp::Eq => u64::from(a == b),
                    BinOp::Ne => u64::from(a != b),
                    BinOp::And => u64::from(a != 0 && b != 0),
                    BinOp::Or => u64::from(a != 0 || b != 0),
                    BinOp::Xor => a ^ b,
                }
            }
        }
    }
}

/// The final condition, as herd7 states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `exists P`: some final state satisfies P (`Sometimes` / `Never`).
    Exists(Prop),
    /// `~exists P`: no final state satisfies P (herd7 prints the verdict of
    /// `exists P`, and the test's expectation is that it is `Never`).
    NotExists(Prop),
    /// `forall P`: every final state satisfies P (`Always` / `Sometimes`
    /// / `Never`).
    Forall(Prop),
}

impl Condition {
    /// The proposition.
    pub fn prop(&self) -> &Prop {
        match self {
            Condition::Exists(p) | Condition::NotExists(p) | Condition::Forall(p) => p,
        }
    }
}

/// A proposition over a final state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prop {
    /// Always true.
    True,
    /// `T:r = v`: thread T's register r holds v at the end.
    Reg {
        /// The thread.
        thread: usize,
        /// The register.
        reg: Reg,
        /// The value.
        value: u64,
    },
    /// `x = v`: location x holds v at the end (the coherence-last write).
    Loc {
        /// The location.
        loc: Loc,
        /// The value.
        value: u64,
    },
    /// `P /\ Q`.
    And(Box<Prop>, Box<Prop>),
    /// `P \/ Q`.
    Or(Box<Prop>, Box<Prop>),
    /// `~P`.
    Not(Box<Prop>),
}

/// A final state: every thread's registers and every location's final value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State {
    /// `registers[t][r]`.
    pub registers: Vec<Vec<u64>>,
    /// `memory[loc]`.
    pub memory: Vec<u64>,
}

impl Prop {
    /// Whether the state satisfies it.
    pub fn holds(&self, s: &State) -> bool {
        match self {
            Prop::True => true,
            Prop::Reg { thread, reg, value } => s.registers[*thread][*reg] == *value,
            Prop::Loc { loc, value } => s.memory[*loc] == *value,
            Prop::And(a, b) => a.holds(s) && b.holds(s),
            Prop::Or(a, b) => a.holds(s) || b.holds(s),
            Prop::Not(a) => !a.holds(s),
        }
    }
}

/// herd7's verdict on a test's condition over the set of final states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Every final state satisfies the proposition.
    Always,
    /// Some do, some do not.
    Sometimes,
    /// None does.
    Never,
}

impl Verdict {
    /// The verdict of the proposition over these final states (herd7 prints
    /// this for `exists`, `~exists` and `forall` alike).
    pub fn of<'a>(prop: &Prop, states: impl IntoIterator<Item = &'a State>) -> Verdict {
        let (mut yes, mut no) = (false, false);
        for s in states {
            if prop.holds(s) {
                yes = true;
            } else {
                no = true;
            }
        }
        match (yes, no) {
            (true, false) => Verdict::Always,
            (true, true) => Verdict::Sometimes,
            (false, _) => Verdict::Never,
        }
    }

    /// herd7's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Always => "Always",
            Verdict::Sometimes => "Sometimes",
            Verdict::Never => "Never",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "Always" => Ok(Verdict::Always),
            "Sometimes" => Ok(Verdict::Sometimes),
            "Never" => Ok(Verdict::Never),
            _ => Err(format!(
                "unknown verdict '{s}' (accepted: Always, Sometimes, Never)"
            )),
        }
    }
}

pub mod expect;
pub mod parse;
pub mod print;

/// What exploring a program found (the execution-graph explorer's
/// `run_program`, printed by `lwpcheck litmus`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramRun {
    /// The final states of the complete consistent executions: registers,
    /// and each location's coherence-last value.
    pub states: BTreeSet<State>,
    /// Complete executions explored.
    pub executions: u64,
    /// Distinct complete consistent graphs among them.
    pub graphs: u64,
    /// Executions abandoned (no consistent choice).
    pub blocked: u64,
    /// Some consistent execution has a C11 data race on a plain location
    /// (`sc` and `rc11`; never under `tso` and `arm`, where a plain access
    /// is an ordinary load or store of the machine).
    pub racy: bool,
    /// Executions with load buffering, a po ∪ rf cycle (`arm` only).
    pub lb_executions: u64,
    /// The time budget ran out (the states are then incomplete).
    pub timed_out: bool,
}
