//! Random programs for differential tests: 2 to 4 threads of 1 to 5
//! operations over 2 or 3 locations (one of them plain, non-atomic, in about
//! half the programs), every statement kind and order, the kernels'
//! barriers, constants 1 and 2, data dependencies through registers, and
//! now and then an `if` on a register. Deterministic per seed.
//!
//! The lead's explorer-versus-oracle test uses [`generate`] (or
//! [`generate_with`]) and prints a failing program with `{}` (herd7's C
//! format: save it and run `lwpcheck litmus FILE`).

use lwpcheck::explore::program::{
    BinOp, Condition, Expr, Fence, KernelBarrier, Location, Order, Program, Prop, RmwOp, Stmt,
    Thread,
};

/// The size of the programs [`generate_with`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Threads: 2 to this many.
    pub max_threads: usize,
    /// Operations (shared accesses and fences) per thread: 1 to this many.
    pub max_ops: usize,
    /// At most this many operations in the whole program (the oracle's cost
    /// grows with it: each read multiplies the candidate executions).
    pub max_total: usize,
    /// Whether weak compare-exchanges may be generated.
    pub weak_cas: bool,
}

impl Shape {
    /// The default: 2-4 threads, 1-5 operations each, 10 in all.
    pub const DEFAULT: Shape = Shape {
        max_threads: 4,
        max_ops: 5,
        max_total: 10,
        weak_cas: true,
    };
}

/// xorshift64*: a tiny deterministic generator.
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `xs`, uniformly.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// The program of a seed, with [`Shape::DEFAULT`].
pub fn generate(seed: u64) -> Program {
    generate_with(seed, Shape::DEFAULT)
}

struct Gen<'a> {
    r: &'a mut Rng,
    locations: &'a [Location],
    regs: Vec<String>,
    shape: Shape,
}

impl Gen<'_> {
    fn reg(&mut self) -> usize {
        self.regs.push(format!("r{}", self.regs.len()));
        self.regs.len() - 1
    }

    /// A value to store: mostly a constant, sometimes through a register
    /// (a data dependency).
    fn value(&mut self) -> Expr {
        let c = Expr::Const(1 + self.r.below(2));
        if !self.regs.is_empty() && self.r.below(4) == 0 {
            let reg = Expr::Reg(self.r.below(self.regs.len() as u64) as usize);
            let op = self.r.pick(&[BinOp::Add, BinOp::Xor]);
            if op == BinOp::Xor {
                // r ^ r + c: herd's false data dependency, value c.
                Expr::Bin(
                    BinOp::Add,
                    Box::new(Expr::Bin(op, Box::new(reg.clone()), Box::new(reg))),
                    Box::new(c),
                )
            } else {
                Expr::Bin(op, Box::new(reg), Box::new(c))
            }
        } else {
            c
        }
    }

    /// One operation (possibly preceded by a register set-up).
    fn op(&mut self, out: &mut Vec<Stmt>) {
        use Order::*;
        let loc = self.r.below(self.locations.len() as u64) as usize;
        if !self.locations[loc].atomic {
            if self.r.below(2) == 0 {
                let reg = self.reg();
                out.push(Stmt::Load {
                    reg,
                    loc,
                    order: Plain,
                });
            } else {
                let value = self.value();
                out.push(Stmt::Store {
                    loc,
                    value,
                    order: Plain,
                });
            }
            return;
        }
        match self.r.below(10) {
            0..=2 => {
                let reg = self.reg();
                let order = self.r.pick(&[Relaxed, Acquire, SeqCst]);
                out.push(Stmt::Load { reg, loc, order });
            }
            3..=5 => {
                let value = self.value();
                let order = self.r.pick(&[Relaxed, Release, SeqCst]);
                out.push(Stmt::Store { loc, value, order });
            }
            6 => {
                let op = if self.r.below(2) == 0 {
                    RmwOp::Exchange(self.value())
                } else {
                    RmwOp::FetchAdd(Expr::Const(1))
                };
                let reg = self.reg();
                let order = self.r.pick(&[Relaxed, Acquire, Release, AcqRel, SeqCst]);
                out.push(Stmt::Rmw {
                    reg: Some(reg),
                    loc,
                    op,
                    order,
                });
            }
            7 => {
                let e = self.reg();
                out.push(Stmt::Assign {
                    reg: e,
                    value: Expr::Const(self.r.below(2)),
                });
                let new = Expr::Const(1 + self.r.below(2));
                let order = self.r.pick(&[Relaxed, Acquire, Release, AcqRel, SeqCst]);
                let failure = self.r.pick(&[Relaxed, Acquire, SeqCst]);
                let weak = self.shape.weak_cas && self.r.below(2) == 0;
                let reg = self.reg();
                out.push(Stmt::Rmw {
                    reg: Some(reg),
                    loc,
                    op: RmwOp::Cas {
                        expected: Expr::Reg(e),
                        new,
                        failure,
                        expected_reg: Some(e),
                        weak,
                    },
                    order,
                });
            }
            8 => {
                let f = self.r.pick(&[Acquire, Release, AcqRel, SeqCst]);
                out.push(Stmt::Fence(Fence::C11(f)));
            }
            _ => {
                let (b, _) = self.r.pick(&KernelBarrier::ALL);
                out.push(Stmt::Fence(Fence::Kernel(b)));
            }
        }
    }
}

/// The program of a seed, of the given shape.
pub fn generate_with(seed: u64, shape: Shape) -> Program {
    let mut r = Rng::new(seed);
    let nthreads = 2 + r.below(shape.max_threads as u64 - 1) as usize;
    let nlocs = 2 + r.below(2) as usize;
    let plain = r.below(2) == 0;
    let names = ["x", "y", "z"];
    let locations: Vec<Location> = (0..nlocs)
        .map(|l| Location {
            name: names[l].to_string(),
            init: 0,
            atomic: !(plain && l == nlocs - 1),
        })
        .collect();
    let mut budget = shape.max_total.max(nthreads);
    let mut threads = Vec::new();
    for t in 0..nthreads {
        // Leave at least one operation for each thread still to come.
        let left = nthreads - t - 1;
        let most = shape.max_ops.min(budget - left).max(1);
        let n = 1 + r.below(most as u64) as usize;
        budget -= n.min(budget);
        let mut g = Gen {
            r: &mut r,
            locations: &locations,
            regs: Vec::new(),
            shape,
        };
        let mut body = Vec::new();
        let mut k = 0;
        while k < n {
            // Now and then an `if` on a register holding one operation.
            if !g.regs.is_empty() && k + 1 < n && g.r.below(6) == 0 {
                let reg = g.r.below(g.regs.len() as u64) as usize;
                let cond = Expr::Bin(
                    BinOp::Eq,
                    Box::new(Expr::Reg(reg)),
                    Box::new(Expr::Const(g.r.below(3))),
                );
                let mut then = Vec::new();
                g.op(&mut then);
                body.push(Stmt::If {
                    cond,
                    then,
                    otherwise: Vec::new(),
                });
            } else {
                g.op(&mut body);
            }
            k += 1;
        }
        threads.push(Thread {
            registers: g.regs,
            body,
        });
    }
    // exists (a register = 1 [/\ a location = 1]), or a location alone.
    let with_regs: Vec<usize> = (0..threads.len())
        .filter(|&t| !threads[t].registers.is_empty())
        .collect();
    let loc_term = Prop::Loc {
        loc: r.below(nlocs as u64) as usize,
        value: 1,
    };
    let prop = if with_regs.is_empty() {
        loc_term
    } else {
        let t = with_regs[r.below(with_regs.len() as u64) as usize];
        let reg = r.below(threads[t].registers.len() as u64) as usize;
        let reg_term = Prop::Reg {
            thread: t,
            reg,
            value: r.below(2),
        };
        if r.below(2) == 0 {
            reg_term
        } else {
            Prop::And(Box::new(reg_term), Box::new(loc_term))
        }
    };
    Program {
        name: format!("random-{seed}"),
        locations,
        threads,
        condition: Condition::Exists(prop),
    }
}
