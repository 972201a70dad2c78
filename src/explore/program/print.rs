//! A [`Program`] printed back in herd7's C litmus format, so that a random
//! program a differential test fails on can be saved and rerun with
//! `lwpcheck litmus FILE`; [`super::parse::parse`] reads it back to the same
//! program (tested in `parse`'s tests).

use std::fmt::{self, Write as _};

use super::parse::order_name;
use super::{BinOp, Condition, Expr, Fence, Order, Program, Prop, RmwOp, Stmt, Thread};

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "C {}", self.name)?;
        writeln!(f, "{{")?;
        for l in &self.locations {
            writeln!(f, "  {} = {};", l.name, l.init)?;
        }
        writeln!(f, "}}")?;
        for (n, t) in self.threads.iter().enumerate() {
            let params: Vec<String> = self
                .locations
                .iter()
                .map(|l| {
                    let ty = if l.atomic { "atomic_int" } else { "int" };
                    format!("{ty} *{}", l.name)
                })
                .collect();
            writeln!(f, "P{n}({}) {{", params.join(", "))?;
            let mut declared = vec![false; t.registers.len()];
            let mut out = String::new();
            self.stmts(&mut out, t, &t.body, 1, &mut declared)?;
            f.write_str(&out)?;
            writeln!(f, "}}")?;
        }
        let (q, p) = match &self.condition {
            Condition::Exists(p) => ("exists", p),
            Condition::NotExists(p) => ("~exists", p),
            Condition::Forall(p) => ("forall", p),
        };
        write!(f, "{q} (")?;
        self.prop(f, p)?;
        writeln!(f, ")")
    }
}

impl Program {
    fn stmts(
        &self,
        out: &mut String,
        t: &Thread,
        body: &[Stmt],
        depth: usize,
        declared: &mut [bool],
    ) -> fmt::Result {
        let pad = "  ".repeat(depth);
        // `int r = ...` the first time a register is written at the top
        // level; inside an `if` the register is declared before the `if`.
        let dest = |r: usize, declared: &mut [bool]| {
            let name = &t.registers[r];
            if declared[r] {
                name.clone()
            } else {
                declared[r] = true;
                format!("int {name}")
            }
        };
        for s in body {
            match s {
                Stmt::Load { reg, loc, order } => {
                    let d = dest(*reg, declared);
                    let x = &self.locations[*loc].name;
                    match order {
                        Order::Plain => writeln!(out, "{pad}{d} = *{x};")?,
                        o => writeln!(
                            out,
                            "{pad}{d} = atomic_load_explicit({x}, {});",
                            order_name(*o)
                        )?,
                    }
                }
                Stmt::Store { loc, value, order } => {
                    let x = &self.locations[*loc].name;
                    let v = expr(t, value);
                    match order {
                        Order::Plain => writeln!(out, "{pad}*{x} = {v};")?,
                        o => writeln!(
                            out,
                            "{pad}atomic_store_explicit({x}, {v}, {});",
                            order_name(*o)
                        )?,
                    }
                }
                Stmt::Rmw {
                    reg,
                    loc,
                    op,
                    order,
                } => {
                    let x = &self.locations[*loc].name;
                    let call = match op {
                        RmwOp::Exchange(v) => format!(
                            "atomic_exchange_explicit({x}, {}, {})",
                            expr(t, v),
                            order_name(*order)
                        ),
                        RmwOp::FetchAdd(v) => format!(
                            "atomic_fetch_add_explicit({x}, {}, {})",
                            expr(t, v),
                            order_name(*order)
                        ),
                        RmwOp::Cas {
                            expected,
                            new,
                            failure,
                            expected_reg,
                            weak,
                        } => {
                            let e = match (expected_reg, expected) {
                                (Some(r), _) => t.registers[*r].clone(),
                                (None, e) => expr(t, e),
                            };
                            let kind = if *weak { "weak" } else { "strong" };
                            format!(
                                "atomic_compare_exchange_{kind}_explicit({x}, &{e}, {}, {}, {})",
                                expr(t, new),
                                order_name(*order),
                                order_name(*failure)
                            )
                        }
                    };
                    match reg {
                        Some(r) => {
                            let d = dest(*r, declared);
                            writeln!(out, "{pad}{d} = {call};")?
                        }
                        None => writeln!(out, "{pad}{call};")?,
                    }
                }
                Stmt::Fence(Fence::C11(o)) => {
                    writeln!(out, "{pad}atomic_thread_fence({});", order_name(*o))?
                }
                Stmt::Fence(Fence::Kernel(b)) => writeln!(out, "{pad}{}();", b.name())?,
                Stmt::Assign { reg, value } => {
                    let v = expr(t, value);
                    let d = dest(*reg, declared);
                    writeln!(out, "{pad}{d} = {v};")?
                }
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    // Declare every register the branches write first.
                    let mut written = Vec::new();
                    writes(then, &mut written);
                    writes(otherwise, &mut written);
                    for r in written {
                        if !declared[r] {
                            declared[r] = true;
                            writeln!(out, "{pad}int {};", t.registers[r])?;
                        }
                    }
                    writeln!(out, "{pad}if ({}) {{", expr(t, cond))?;
                    self.stmts(out, t, then, depth + 1, declared)?;
                    if otherwise.is_empty() {
                        writeln!(out, "{pad}}}")?;
                    } else {
                        writeln!(out, "{pad}}} else {{")?;
                        self.stmts(out, t, otherwise, depth + 1, declared)?;
                        writeln!(out, "{pad}}}")?;
                    }
                }
            }
        }
        Ok(())
    }

    fn prop(&self, f: &mut fmt::Formatter<'_>, p: &Prop) -> fmt::Result {
        match p {
            Prop::True => f.write_str("true"),
            Prop::Reg { thread, reg, value } => {
                write!(
                    f,
                    "{thread}:{}={value}",
                    self.threads[*thread].registers[*reg]
                )
            }
            Prop::Loc { loc, value } => write!(f, "{}={value}", self.locations[*loc].name),
            Prop::And(a, b) => {
                f.write_str("(")?;
                self.prop(f, a)?;
                f.write_str(" /\\ ")?;
                self.prop(f, b)?;
                f.write_str(")")
            }
            Prop::Or(a, b) => {
                f.write_str("(")?;
                self.prop(f, a)?;
                f.write_str(" \\/ ")?;
                self.prop(f, b)?;
                f.write_str(")")
            }
            Prop::Not(a) => {
                f.write_str("~")?;
                self.prop(f, a)
            }
        }
    }
}

/// Registers written anywhere in `body`.
fn writes(body: &[Stmt], out: &mut Vec<usize>) {
    for s in body {
        match s {
            Stmt::Load { reg, .. } | Stmt::Assign { reg, .. } => out.push(*reg),
            Stmt::Rmw { reg: Some(r), .. } => out.push(*r),
            Stmt::If {
                then, otherwise, ..
            } => {
                writes(then, out);
                writes(otherwise, out);
            }
            _ => {}
        }
    }
}

fn expr(t: &Thread, e: &Expr) -> String {
    match e {
        Expr::Const(v) => v.to_string(),
        Expr::Reg(r) => t.registers[*r].clone(),
        Expr::Bin(op, a, b) => {
            let o = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Eq => "==",
                BinOp::Ne => "!=",
                BinOp::And => "&&",
                BinOp::Or => "||",
                BinOp::Xor => "^",
            };
            format!("({} {o} {})", expr(t, a), expr(t, b))
        }
    }
}
