//! The herd7 C litmus format (the C11 subset) into a [`Program`].
//!
//! Two passes. The syntax pass (winnow combinators over the text) builds a
//! small tree that still holds names and the line of each; the resolve pass
//! turns names into locations, registers, functions and memory orders, where
//! every semantic error (unknown function or memory order, undeclared
//! location, a register read before it is assigned) names its line and what
//! is accepted there. Every error is one line: `FILE:LINE: what (accepted:
//! ...)`; nothing here panics on bad input.
//!
//! What is accepted (herd7's C litmus tests, as in herdtools7's
//! `litmus/C` examples): `C NAME`, an optional `"doc string"`, `(* comments
//! *)` between items, `// ...` and `/* ... */` anywhere, the initial state `{ x = 0; *y = 1;
//! atomic_int z = 2; }` (or `{}`), threads `P0(atomic_int *x, int *y) { ...
//! }` whose parameter types say which locations are atomic, the statements
//! listed in `docs/litmus.md`, an optional `locations [...]` clause (skipped),
//! and the final condition `exists`, `~exists` or `forall` over `T:r=v` and
//! `x=v` with `/\`, `\/`, `~` and parentheses.

use std::collections::BTreeMap;
use std::fmt;

use winnow::ascii::digit1;
use winnow::combinator::{alt, cut_err, opt, preceded};
use winnow::error::{ContextError, ErrMode, ModalResult, StrContext, StrContextValue};
use winnow::token::{literal, take_till, take_until, take_while};
use winnow::Parser;

use super::{
    BinOp, Condition, Expr, Fence, KernelBarrier, Loc, Location, Order, Program, Prop, Reg, RmwOp,
    Stmt, Thread,
};

/// A malformed litmus file: the file, the line, and what is wrong there
/// (with what is accepted). Its `Display` is the one-line error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file's name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong, and what is accepted.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parse the text of a litmus file; `file` names it in errors.
pub fn parse(file: &str, src: &str) -> Result<Program, ParseError> {
    let mut input = src;
    let tree = match file_syntax.parse_next(&mut input) {
        Ok(t) => t,
        Err(e) => {
            let offset = src.len() - input.len();
            return Err(ParseError {
                file: file.to_string(),
                line: line_of(src, offset),
                message: syntax_message(&e, input),
            });
        }
    };
    Resolver {
        file,
        src,
        locations: Vec::new(),
    }
    .program(tree)
}

/// Read and parse a litmus file.
pub fn parse_file(path: &std::path::Path) -> Result<Program, ParseError> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| ParseError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse(&file, &src)
}

/// The 1-based line of a byte offset.
pub(super) fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

fn syntax_message(e: &ErrMode<ContextError>, rest: &str) -> String {
    let ctx = match e {
        ErrMode::Backtrack(c) | ErrMode::Cut(c) => c,
        ErrMode::Incomplete(_) => return "unexpected end of file".to_string(),
    };
    let mut expected = Vec::new();
    let mut label = None;
    for c in ctx.context() {
        match c {
            StrContext::Expected(StrContextValue::StringLiteral(s)) => {
                expected.push(format!("'{s}'"))
            }
            StrContext::Expected(StrContextValue::Description(s)) => expected.push(s.to_string()),
            StrContext::Expected(StrContextValue::CharLiteral(c)) => {
                expected.push(format!("'{c}'"))
            }
            StrContext::Label(l) if label.is_none() => label = Some(*l),
            _ => {}
        }
    }
    let found: String = rest
        .trim_start()
        .chars()
        .take_while(|c| *c != '\n')
        .take(24)
        .collect();
    let found = if found.is_empty() {
        "end of file".to_string()
    } else {
        format!("'{found}'")
    };
    let what = label.map_or(String::new(), |l| format!(" in {l}"));
    if expected.is_empty() {
        format!("syntax error{what} at {found}")
    } else {
        format!(
            "unexpected {found}{what} (accepted: {})",
            expected.join(", ")
        )
    }
}

// --- the syntax tree -------------------------------------------------------

/// A name and where it was written (remaining input length, turned into a
/// line by the resolver).
#[derive(Clone, Debug)]
struct Name {
    text: String,
    at: usize,
}

#[derive(Clone, Debug)]
enum Ex {
    Num(u64),
    Ident(Name),
    Deref(Name),
    AddrOf(Name),
    Call(Name, Vec<Ex>),
    Bin(BinOp, Box<Ex>, Box<Ex>),
}

#[derive(Clone, Debug)]
enum St {
    /// `int r = e;` / `r = e;` / `*x = e;` (lhs is Ident or Deref).
    Assign(Ex, Ex, usize),
    /// `f(...);`
    Call(Ex, usize),
    /// `int r;`
    Declare(Name),
    If(Ex, Vec<St>, Vec<St>),
}

struct Param {
    atomic: bool,
    name: Name,
}

struct ThreadTree {
    name: Name,
    params: Vec<Param>,
    body: Vec<St>,
}

enum PropTree {
    True,
    Reg(Name, Name, u64),
    Loc(Name, u64),
    And(Box<PropTree>, Box<PropTree>),
    Or(Box<PropTree>, Box<PropTree>),
    Not(Box<PropTree>),
}

struct FileTree {
    name: String,
    init: Vec<(Option<bool>, Name, u64)>,
    threads: Vec<ThreadTree>,
    quantifier: (&'static str, usize),
    prop: PropTree,
}

// --- the syntax pass -------------------------------------------------------

type In<'a> = &'a str;

fn expected(s: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::StringLiteral(s))
}

fn described(s: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(s))
}

/// Whitespace, `(* nested comments *)`, `// line comments` and `"doc
/// strings"`.
fn ws(i: &mut In<'_>) -> ModalResult<()> {
    loop {
        let _: &str = take_while(0.., char::is_whitespace).parse_next(i)?;
        // `(*x` in code (`f(*x, 1)`) is a dereference, not a comment.
        let code_deref = i
            .as_bytes()
            .get(2)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'(');
        if i.starts_with("(*") && !code_deref {
            let mut depth = 0usize;
            let bytes = i.as_bytes();
            let mut k = 0;
            while k < bytes.len() {
                if bytes[k..].starts_with(b"(*") {
                    depth += 1;
                    k += 2;
                } else if bytes[k..].starts_with(b"*)") {
                    depth -= 1;
                    k += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    k += 1;
                }
            }
            if depth != 0 {
                let mut c = ContextError::new();
                c.push(described("'*)' closing the comment"));
                return Err(ErrMode::Cut(c));
            }
            *i = &i[k..];
        } else if i.starts_with("/*") {
            *i = &i[2..];
            let _: &str = cut_err(take_until(0.., "*/"))
                .context(described("'*/' closing the comment"))
                .parse_next(i)?;
            *i = &i[2..];
        } else if i.starts_with("//") {
            let _: &str = take_till(0.., '\n').parse_next(i)?;
        } else if i.starts_with('"') {
            *i = &i[1..];
            let _: &str = cut_err(take_until(0.., '"'))
                .context(described("'\"' closing the doc string"))
                .parse_next(i)?;
            *i = &i[1..];
        } else {
            return Ok(());
        }
    }
}

/// `s` after whitespace, or backtrack.
fn tok<'a>(s: &'static str) -> impl Parser<In<'a>, &'a str, ErrMode<ContextError>> {
    preceded(ws, literal(s)).context(expected(s))
}

/// `s` after whitespace, or a syntax error naming it.
fn must<'a>(s: &'static str) -> impl Parser<In<'a>, &'a str, ErrMode<ContextError>> {
    cut_err(tok(s))
}

fn ident(i: &mut In<'_>) -> ModalResult<Name> {
    ws(i)?;
    let at = i.len();
    let text: &str = (
        take_while(1, |c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .context(described("a name"))
        .parse_next(i)?;
    Ok(Name {
        text: text.to_string(),
        at,
    })
}

fn number(i: &mut In<'_>) -> ModalResult<u64> {
    ws(i)?;
    digit1
        .try_map(str::parse::<u64>)
        .context(described("a number"))
        .parse_next(i)
}

fn file_syntax(i: &mut In<'_>) -> ModalResult<FileTree> {
    ws(i)?;
    literal("C")
        .context(StrContext::Label("the first line"))
        .context(described("'C NAME'"))
        .parse_next(i)?;
    let _: &str = take_while(1.., [' ', '\t'])
        .context(described("'C NAME'"))
        .parse_next(i)?;
    let name: &str = take_while(1.., |c: char| !c.is_whitespace()).parse_next(i)?;
    must("{")
        .context(StrContext::Label("the initial state"))
        .parse_next(i)?;
    let mut init = Vec::new();
    loop {
        if opt(tok("}")).parse_next(i)?.is_some() {
            break;
        }
        if opt(tok(";")).parse_next(i)?.is_some() {
            continue;
        }
        opt(tok("*")).parse_next(i)?;
        let first = cut_err(ident)
            .context(StrContext::Label("the initial state"))
            .parse_next(i)?;
        let (atomic, name) = match first.text.as_str() {
            "atomic_int" | "int" => {
                let atomic = first.text == "atomic_int";
                opt(tok("*")).parse_next(i)?;
                (Some(atomic), cut_err(ident).parse_next(i)?)
            }
            _ => (None, first),
        };
        must("=").parse_next(i)?;
        let v = cut_err(number).parse_next(i)?;
        opt(tok(";")).parse_next(i)?;
        init.push((atomic, name, v));
    }
    let mut threads = Vec::new();
    loop {
        ws(i)?;
        if !i.starts_with('P') {
            break;
        }
        threads.push(thread(i)?);
    }
    ws(i)?;
    if i.starts_with("locations") {
        let _: &str = take_until(0.., ']').parse_next(i)?;
        *i = &i[1..];
    }
    ws(i)?;
    let at = i.len();
    let quantifier = cut_err(alt((
        literal("exists").value("exists"),
        literal("~exists").value("~exists"),
        literal("forall").value("forall"),
    )))
    .context(StrContext::Label("the final condition"))
    .context(expected("exists"))
    .context(expected("~exists"))
    .context(expected("forall"))
    .parse_next(i)?;
    let prop = cut_err(prop_or).parse_next(i)?;
    ws(i)?;
    cut_err(winnow::combinator::eof)
        .context(StrContext::Label("the end of the file"))
        .context(described("nothing after the final condition"))
        .parse_next(i)?;
    Ok(FileTree {
        name: name.to_string(),
        init,
        threads,
        quantifier: (quantifier, at),
        prop,
    })
}

fn thread(i: &mut In<'_>) -> ModalResult<ThreadTree> {
    let name = ident(i)?;
    must("(")
        .context(StrContext::Label("a thread's parameters"))
        .parse_next(i)?;
    let mut params = Vec::new();
    if opt(tok(")")).parse_next(i)?.is_none() {
        loop {
            opt(tok("volatile")).parse_next(i)?;
            let ty = cut_err(alt((
                preceded(ws, literal("atomic_int")).value(true),
                preceded(ws, literal("int")).value(false),
            )))
            .context(StrContext::Label("a thread's parameters"))
            .context(expected("atomic_int *NAME"))
            .context(expected("int *NAME"))
            .parse_next(i)?;
            must("*").parse_next(i)?;
            let name = cut_err(ident).parse_next(i)?;
            params.push(Param { atomic: ty, name });
            if opt(tok(",")).parse_next(i)?.is_none() {
                must(")").parse_next(i)?;
                break;
            }
        }
    }
    let body = block(i)?;
    Ok(ThreadTree { name, params, body })
}

fn block(i: &mut In<'_>) -> ModalResult<Vec<St>> {
    must("{").parse_next(i)?;
    let mut body = Vec::new();
    loop {
        if opt(tok("}")).parse_next(i)?.is_some() {
            return Ok(body);
        }
        body.push(stmt(i)?);
    }
}

fn stmt(i: &mut In<'_>) -> ModalResult<St> {
    ws(i)?;
    let at = i.len();
    let save = *i;
    if let Ok(w) = ident(i) {
        match w.text.as_str() {
            "if" => {
                must("(").parse_next(i)?;
                let c = cut_err(expr).parse_next(i)?;
                must(")").parse_next(i)?;
                let then = block(i)?;
                let otherwise = if opt(tok("else")).parse_next(i)?.is_some() {
                    ws(i)?;
                    if i.starts_with("if") {
                        vec![stmt(i)?]
                    } else {
                        block(i)?
                    }
                } else {
                    Vec::new()
                };
                return Ok(St::If(c, then, otherwise));
            }
            "int" => {
                let r = cut_err(ident).parse_next(i)?;
                if opt(tok(";")).parse_next(i)?.is_some() {
                    return Ok(St::Declare(r));
                }
                must("=").parse_next(i)?;
                let v = cut_err(expr).parse_next(i)?;
                must(";")
                    .context(StrContext::Label("a statement"))
                    .parse_next(i)?;
                return Ok(St::Assign(Ex::Ident(r), v, at));
            }
            _ => *i = save,
        }
    }
    let lhs = cut_err(expr)
        .context(StrContext::Label("a statement"))
        .parse_next(i)?;
    if opt(tok("=")).parse_next(i)?.is_some() {
        let v = cut_err(expr).parse_next(i)?;
        must(";")
            .context(StrContext::Label("a statement"))
            .parse_next(i)?;
        return Ok(St::Assign(lhs, v, at));
    }
    must(";")
        .context(StrContext::Label("a statement"))
        .context(expected("="))
        .parse_next(i)?;
    Ok(St::Call(lhs, at))
}

/// C precedence: `||` < `&&` < `^` < `==`/`!=` < `+`/`-`.
fn expr(i: &mut In<'_>) -> ModalResult<Ex> {
    binary(i, 0)
}

const LEVELS: [&[(&str, BinOp)]; 5] = [
    &[("||", BinOp::Or)],
    &[("&&", BinOp::And)],
    &[("^", BinOp::Xor)],
    &[("==", BinOp::Eq), ("!=", BinOp::Ne)],
    &[("+", BinOp::Add), ("-", BinOp::Sub)],
];

fn binary(i: &mut In<'_>, level: usize) -> ModalResult<Ex> {
    if level == LEVELS.len() {
        return primary(i);
    }
    let mut lhs = binary(i, level + 1)?;
    'more: loop {
        ws(i)?;
        for (s, op) in LEVELS[level] {
            // `=` alone is an assignment, not `==`.
            if i.starts_with(s) {
                *i = &i[s.len()..];
                let rhs = cut_err(|i: &mut In<'_>| binary(i, level + 1)).parse_next(i)?;
                lhs = Ex::Bin(*op, Box::new(lhs), Box::new(rhs));
                continue 'more;
            }
        }
        return Ok(lhs);
    }
}

fn primary(i: &mut In<'_>) -> ModalResult<Ex> {
    ws(i)?;
    if opt(tok("(")).parse_next(i)?.is_some() {
        let e = cut_err(expr).parse_next(i)?;
        must(")").parse_next(i)?;
        return Ok(e);
    }
    if opt(tok("*")).parse_next(i)?.is_some() {
        return Ok(Ex::Deref(cut_err(ident).parse_next(i)?));
    }
    if opt(tok("&")).parse_next(i)?.is_some() {
        return Ok(Ex::AddrOf(cut_err(ident).parse_next(i)?));
    }
    if let Some(n) = opt(number).parse_next(i)? {
        return Ok(Ex::Num(n));
    }
    let name = ident.context(described("an expression")).parse_next(i)?;
    if opt(tok("(")).parse_next(i)?.is_some() {
        let mut args = Vec::new();
        if opt(tok(")")).parse_next(i)?.is_none() {
            loop {
                args.push(cut_err(expr).parse_next(i)?);
                if opt(tok(",")).parse_next(i)?.is_none() {
                    must(")").parse_next(i)?;
                    break;
                }
            }
        }
        return Ok(Ex::Call(name, args));
    }
    Ok(Ex::Ident(name))
}

fn prop_or(i: &mut In<'_>) -> ModalResult<PropTree> {
    let mut p = prop_and(i)?;
    while opt(tok("\\/")).parse_next(i)?.is_some() {
        p = PropTree::Or(Box::new(p), Box::new(cut_err(prop_and).parse_next(i)?));
    }
    Ok(p)
}

fn prop_and(i: &mut In<'_>) -> ModalResult<PropTree> {
    let mut p = prop_not(i)?;
    while opt(tok("/\\")).parse_next(i)?.is_some() {
        p = PropTree::And(Box::new(p), Box::new(cut_err(prop_not).parse_next(i)?));
    }
    Ok(p)
}

fn prop_not(i: &mut In<'_>) -> ModalResult<PropTree> {
    if opt(tok("~")).parse_next(i)?.is_some() {
        return Ok(PropTree::Not(Box::new(cut_err(prop_not).parse_next(i)?)));
    }
    if opt(tok("(")).parse_next(i)?.is_some() {
        let p = cut_err(prop_or).parse_next(i)?;
        must(")").parse_next(i)?;
        return Ok(p);
    }
    ws(i)?;
    let at = i.len();
    if let Some(t) = opt(digit1::<_, ErrMode<ContextError>>).parse_next(i)? {
        must(":")
            .context(StrContext::Label("a register term"))
            .parse_next(i)?;
        let r = cut_err(ident).parse_next(i)?;
        must("=").parse_next(i)?;
        let v = cut_err(number).parse_next(i)?;
        return Ok(PropTree::Reg(
            Name {
                text: t.to_string(),
                at,
            },
            r,
            v,
        ));
    }
    let name = ident
        .context(StrContext::Label("the final condition"))
        .context(described("T:REG=VALUE"))
        .context(described("LOCATION=VALUE"))
        .parse_next(i)?;
    if name.text == "true" {
        return Ok(PropTree::True);
    }
    must("=").parse_next(i)?;
    let v = cut_err(number).parse_next(i)?;
    Ok(PropTree::Loc(name, v))
}

// --- the resolve pass ------------------------------------------------------

struct Resolver<'a> {
    file: &'a str,
    src: &'a str,
    locations: Vec<Location>,
}

/// One thread's names while its body is resolved.
struct Scope {
    visible: Vec<Loc>,
    registers: Vec<String>,
}

const ORDERS: &str = "memory_order_relaxed, memory_order_consume, memory_order_acquire, memory_order_release, memory_order_acq_rel, memory_order_seq_cst";

const FUNCTIONS: &str = "atomic_load_explicit, atomic_load, atomic_store_explicit, atomic_store, atomic_exchange_explicit, atomic_fetch_add_explicit, atomic_compare_exchange_strong_explicit, atomic_compare_exchange_weak_explicit, atomic_thread_fence, membar_producer, membar_consumer, membar_exit, membar_enter, membar_sync, membar_release, membar_acquire";

impl Resolver<'_> {
    fn err<T>(&self, at: usize, message: String) -> Result<T, ParseError> {
        Err(ParseError {
            file: self.file.to_string(),
            line: line_of(self.src, self.src.len() - at),
            message,
        })
    }

    fn program(mut self, t: FileTree) -> Result<Program, ParseError> {
        let mut declared_atomic: BTreeMap<String, (Option<bool>, usize)> = BTreeMap::new();
        for (atomic, name, v) in &t.init {
            if self.locations.iter().any(|l| l.name == name.text) {
                return self.err(
                    name.at,
                    format!("location '{}' initialised twice", name.text),
                );
            }
            self.locations.push(Location {
                name: name.text.clone(),
                init: *v,
                atomic: atomic.unwrap_or(false),
            });
            declared_atomic.insert(name.text.clone(), (*atomic, name.at));
        }
        let mut threads = Vec::new();
        for (n, th) in t.threads.iter().enumerate() {
            if th.name.text != format!("P{n}") {
                return self.err(
                    th.name.at,
                    format!("thread '{}' out of order (accepted: P{n})", th.name.text),
                );
            }
            let mut visible = Vec::new();
            for p in &th.params {
                let loc = match self.locations.iter().position(|l| l.name == p.name.text) {
                    Some(l) => l,
                    None => {
                        self.locations.push(Location {
                            name: p.name.text.clone(),
                            init: 0,
                            atomic: p.atomic,
                        });
                        declared_atomic.insert(p.name.text.clone(), (Some(p.atomic), p.name.at));
                        self.locations.len() - 1
                    }
                };
                match declared_atomic.get_mut(&p.name.text) {
                    Some((Some(a), _)) if *a != p.atomic => {
                        return self.err(
                            p.name.at,
                            format!(
                                "location '{}' declared {} here and {} before",
                                p.name.text,
                                type_name(p.atomic),
                                type_name(*a)
                            ),
                        );
                    }
                    Some(d) => {
                        d.0 = Some(p.atomic);
                        self.locations[loc].atomic = p.atomic;
                    }
                    None => {}
                }
                visible.push(loc);
            }
            let mut scope = Scope {
                visible,
                registers: Vec::new(),
            };
            let body = self.stmts(&th.body, &mut scope)?;
            threads.push(Thread {
                registers: scope.registers,
                body,
            });
        }
        if threads.is_empty() {
            return self.err(
                t.quantifier.1,
                "no threads before the final condition (accepted: P0(...) { ... })".into(),
            );
        }
        let prop = self.prop(&t.prop, &threads)?;
        let condition = match t.quantifier.0 {
            "exists" => Condition::Exists(prop),
            "~exists" => Condition::NotExists(prop),
            _ => Condition::Forall(prop),
        };
        Ok(Program {
            name: t.name,
            locations: self.locations,
            threads,
            condition,
        })
    }

    fn prop(&self, p: &PropTree, threads: &[Thread]) -> Result<Prop, ParseError> {
        Ok(match p {
            PropTree::True => Prop::True,
            PropTree::Reg(t, r, v) => {
                let thread: usize = t.text.parse().unwrap_or(usize::MAX);
                let Some(th) = threads.get(thread) else {
                    return self.err(
                        t.at,
                        format!(
                            "bad register '{}:{}': no thread P{} (accepted: 0..{})",
                            t.text,
                            r.text,
                            t.text,
                            threads.len() - 1
                        ),
                    );
                };
                let Some(reg) = th.registers.iter().position(|x| *x == r.text) else {
                    let accepted: Vec<String> = th
                        .registers
                        .iter()
                        .map(|x| format!("{thread}:{x}"))
                        .collect();
                    return self.err(
                        r.at,
                        format!(
                            "bad register '{thread}:{}' (accepted: {})",
                            r.text,
                            list(&accepted)
                        ),
                    );
                };
                Prop::Reg {
                    thread,
                    reg,
                    value: *v,
                }
            }
            PropTree::Loc(n, v) => Prop::Loc {
                loc: self.global(n)?,
                value: *v,
            },
            PropTree::And(a, b) => Prop::And(
                Box::new(self.prop(a, threads)?),
                Box::new(self.prop(b, threads)?),
            ),
            PropTree::Or(a, b) => Prop::Or(
                Box::new(self.prop(a, threads)?),
                Box::new(self.prop(b, threads)?),
            ),
            PropTree::Not(a) => Prop::Not(Box::new(self.prop(a, threads)?)),
        })
    }

    fn global(&self, n: &Name) -> Result<Loc, ParseError> {
        match self.locations.iter().position(|l| l.name == n.text) {
            Some(l) => Ok(l),
            None => {
                let names: Vec<String> = self.locations.iter().map(|l| l.name.clone()).collect();
                self.err(
                    n.at,
                    format!(
                        "undeclared location '{}' (accepted: {})",
                        n.text,
                        list(&names)
                    ),
                )
            }
        }
    }

    fn location(&self, e: &Ex, scope: &Scope, at: usize) -> Result<Loc, ParseError> {
        let Ex::Ident(n) = e else {
            return self.err(
                at,
                "expected a location name here (accepted: a parameter of the thread)".into(),
            );
        };
        match scope
            .visible
            .iter()
            .copied()
            .find(|&l| self.locations[l].name == n.text)
        {
            Some(l) => Ok(l),
            None => {
                let names: Vec<String> = scope
                    .visible
                    .iter()
                    .map(|&l| self.locations[l].name.clone())
                    .collect();
                self.err(
                    n.at,
                    format!(
                        "undeclared location '{}' (accepted: {}, the thread's parameters)",
                        n.text,
                        list(&names)
                    ),
                )
            }
        }
    }

    fn is_location(&self, name: &str, scope: &Scope) -> bool {
        scope
            .visible
            .iter()
            .any(|&l| self.locations[l].name == name)
    }

    fn stmts(&self, body: &[St], scope: &mut Scope) -> Result<Vec<Stmt>, ParseError> {
        let mut out = Vec::new();
        for s in body {
            if let St::Declare(r) = s {
                // `int r;`: registers start at 0; nothing runs.
                self.define(r, scope)?;
                continue;
            }
            out.push(self.stmt(s, scope)?);
        }
        Ok(out)
    }

    fn stmt(&self, s: &St, scope: &mut Scope) -> Result<Stmt, ParseError> {
        match s {
            St::Declare(r) => self.err(r.at, "a declaration where a statement is expected".into()),
            St::If(c, then, otherwise) => {
                let cond = self.expr(c, scope)?;
                Ok(Stmt::If {
                    cond,
                    then: self.stmts(then, scope)?,
                    otherwise: self.stmts(otherwise, scope)?,
                })
            }
            St::Call(call, at) => match call {
                Ex::Call(..) => self.call(call, None, scope, *at),
                _ => self.err(
                    *at,
                    "a statement that does nothing (accepted: an assignment, a call, an if)".into(),
                ),
            },
            St::Assign(Ex::Deref(n), v, _) => {
                let loc = self.location(&Ex::Ident(n.clone()), scope, n.at)?;
                let value = self.expr(v, scope)?;
                Ok(Stmt::Store {
                    loc,
                    value,
                    order: self.deref_order(loc),
                })
            }
            St::Assign(Ex::Ident(r), v, at) => {
                if self.is_location(&r.text, scope) {
                    return self.err(
                        r.at,
                        format!(
                            "'{}' is a location, not a register (accepted: *{} = ..., atomic_store_explicit({}, ...))",
                            r.text, r.text, r.text
                        ),
                    );
                }
                match v {
                    Ex::Call(..) => {
                        // The register is defined after the call reads it
                        // (`r = f(r)` reads the old r).
                        let stmt = self.call(v, Some(r), scope, *at)?;
                        Ok(stmt)
                    }
                    Ex::Deref(n) => {
                        let loc = self.location(&Ex::Ident(n.clone()), scope, n.at)?;
                        let reg = self.define(r, scope)?;
                        Ok(Stmt::Load {
                            reg,
                            loc,
                            order: self.deref_order(loc),
                        })
                    }
                    _ => {
                        let value = self.expr(v, scope)?;
                        let reg = self.define(r, scope)?;
                        Ok(Stmt::Assign { reg, value })
                    }
                }
            }
            St::Assign(_, _, at) => self.err(
                *at,
                "cannot assign to this (accepted: REGISTER = ..., *LOCATION = ...)".into(),
            ),
        }
    }

    /// `*x` on a plain `int *x` is a non-atomic access; on an `atomic_int *x`
    /// it is C11's `seq_cst` access.
    fn deref_order(&self, loc: Loc) -> Order {
        if self.locations[loc].atomic {
            Order::SeqCst
        } else {
            Order::Plain
        }
    }

    fn define(&self, r: &Name, scope: &mut Scope) -> Result<Reg, ParseError> {
        if !is_register_name(&r.text) {
            return self.err(
                r.at,
                format!("bad register name '{}' (accepted: a C identifier)", r.text),
            );
        }
        Ok(match scope.registers.iter().position(|x| *x == r.text) {
            Some(k) => k,
            None => {
                scope.registers.push(r.text.clone());
                scope.registers.len() - 1
            }
        })
    }

    fn register(&self, r: &Name, scope: &Scope) -> Result<Reg, ParseError> {
        match scope.registers.iter().position(|x| *x == r.text) {
            Some(k) => Ok(k),
            None if self.is_location(&r.text, scope) => self.err(
                r.at,
                format!(
                    "'{}' is a location, read here as a value (accepted: *{}, atomic_load_explicit({}, ...))",
                    r.text, r.text, r.text
                ),
            ),
            None => self.err(
                r.at,
                format!(
                    "bad register '{}': read before it is assigned (accepted: {})",
                    r.text,
                    list(&scope.registers)
                ),
            ),
        }
    }

    fn expr(&self, e: &Ex, scope: &Scope) -> Result<Expr, ParseError> {
        Ok(match e {
            Ex::Num(v) => Expr::Const(*v),
            Ex::Ident(r) => Expr::Reg(self.register(r, scope)?),
            Ex::Bin(op, a, b) => Expr::Bin(
                *op,
                Box::new(self.expr(a, scope)?),
                Box::new(self.expr(b, scope)?),
            ),
            Ex::Deref(n) | Ex::AddrOf(n) | Ex::Call(n, _) => {
                return self.err(
                    n.at,
                    format!(
                        "a shared access inside an expression at '{}' (accepted: one access per statement, as in 'int r0 = *x;')",
                        n.text
                    ),
                )
            }
        })
    }

    fn order(
        &self,
        e: &Ex,
        at: usize,
        what: &str,
        accepted: &[Order],
    ) -> Result<Order, ParseError> {
        let Ex::Ident(n) = e else {
            return self.err(
                at,
                format!("{what}: expected a memory order (accepted: {ORDERS})"),
            );
        };
        let o = match n.text.as_str() {
            "memory_order_relaxed" => Order::Relaxed,
            "memory_order_consume" | "memory_order_acquire" => Order::Acquire,
            "memory_order_release" => Order::Release,
            "memory_order_acq_rel" => Order::AcqRel,
            "memory_order_seq_cst" => Order::SeqCst,
            other => {
                return self.err(
                    n.at,
                    format!("unknown memory order '{other}' (accepted: {ORDERS})"),
                )
            }
        };
        if !accepted.contains(&o) {
            let names: Vec<String> = accepted
                .iter()
                .map(|o| order_name(*o).to_string())
                .collect();
            return self.err(
                n.at,
                format!(
                    "{} is not a {what} order (accepted: {})",
                    n.text,
                    list(&names)
                ),
            );
        }
        Ok(o)
    }

    fn call(
        &self,
        call: &Ex,
        dest: Option<&Name>,
        scope: &mut Scope,
        at: usize,
    ) -> Result<Stmt, ParseError> {
        use Order::*;
        let Ex::Call(f, args) = call else {
            unreachable!("call() is given calls only");
        };
        let arity = |n: usize| -> Result<(), ParseError> {
            if args.len() == n {
                Ok(())
            } else {
                self.err(
                    f.at,
                    format!(
                        "{} takes {n} arguments, given {} (accepted: {n})",
                        f.text,
                        args.len()
                    ),
                )
            }
        };
        const LOAD: &[Order] = &[Relaxed, Acquire, SeqCst];
        const STORE: &[Order] = &[Relaxed, Release, SeqCst];
        const RMW: &[Order] = &[Relaxed, Acquire, Release, AcqRel, SeqCst];
        const FENCE: &[Order] = &[Acquire, Release, AcqRel, SeqCst];
        let name = f.text.as_str();
        if let Some((b, _)) = KernelBarrier::ALL.iter().find(|(_, n)| *n == name) {
            arity(0)?;
            return self.no_result(dest, name, Stmt::Fence(Fence::Kernel(*b)));
        }
        let atomic_loc = |e: &Ex| -> Result<Loc, ParseError> {
            let l = self.location(e, scope, at)?;
            if !self.locations[l].atomic {
                return self.err(
                    f.at,
                    format!(
                        "{name} on plain location '{}' (accepted: an atomic_int * parameter)",
                        self.locations[l].name
                    ),
                );
            }
            Ok(l)
        };
        let stmt = match name {
            "atomic_load_explicit" | "atomic_load" => {
                let order = if name == "atomic_load" {
                    arity(1)?;
                    SeqCst
                } else {
                    arity(2)?;
                    self.order(&args[1], at, "load", LOAD)?
                };
                let loc = atomic_loc(&args[0])?;
                let Some(r) = dest else {
                    return self.err(
                        at,
                        format!("the value of {name} is dropped (accepted: int r = {name}(...);)"),
                    );
                };
                let reg = self.define(r, scope)?;
                return Ok(Stmt::Load { reg, loc, order });
            }
            "atomic_store_explicit" | "atomic_store" => {
                let order = if name == "atomic_store" {
                    arity(2)?;
                    SeqCst
                } else {
                    arity(3)?;
                    self.order(&args[2], at, "store", STORE)?
                };
                let loc = atomic_loc(&args[0])?;
                let value = self.expr(&args[1], scope)?;
                return self.no_result(dest, name, Stmt::Store { loc, value, order });
            }
            "atomic_thread_fence" => {
                arity(1)?;
                let o = self.order(&args[0], at, "fence", FENCE)?;
                return self.no_result(dest, name, Stmt::Fence(Fence::C11(o)));
            }
            "atomic_exchange_explicit" | "atomic_fetch_add_explicit" => {
                arity(3)?;
                let loc = atomic_loc(&args[0])?;
                let v = self.expr(&args[1], scope)?;
                let order = self.order(&args[2], at, "read-modify-write", RMW)?;
                let op = if name == "atomic_exchange_explicit" {
                    RmwOp::Exchange(v)
                } else {
                    RmwOp::FetchAdd(v)
                };
                (loc, op, order)
            }
            "atomic_compare_exchange_strong_explicit" | "atomic_compare_exchange_weak_explicit" => {
                arity(5)?;
                let loc = atomic_loc(&args[0])?;
                let Ex::AddrOf(e) = &args[1] else {
                    return self.err(
                        at,
                        format!(
                            "{name}: the expected value is a register's address (accepted: &r)"
                        ),
                    );
                };
                let expected_reg = self.register(e, scope)?;
                let new = self.expr(&args[2], scope)?;
                let order = self.order(&args[3], at, "read-modify-write", RMW)?;
                let failure = self.order(&args[4], at, "compare-exchange failure", LOAD)?;
                let op = RmwOp::Cas {
                    expected: Expr::Reg(expected_reg),
                    new,
                    failure,
                    expected_reg: Some(expected_reg),
                    weak: name.contains("weak"),
                };
                (loc, op, order)
            }
            _ => {
                return self.err(
                    f.at,
                    format!("unknown function '{name}' (accepted: {FUNCTIONS})"),
                )
            }
        };
        let (loc, op, order) = stmt;
        let reg = match dest {
            Some(r) => Some(self.define(r, scope)?),
            None => None,
        };
        Ok(Stmt::Rmw {
            reg,
            loc,
            op,
            order,
        })
    }

    fn no_result(&self, dest: Option<&Name>, name: &str, s: Stmt) -> Result<Stmt, ParseError> {
        match dest {
            Some(r) => self.err(
                r.at,
                format!("{name} returns no value (accepted: {name}(...); as a statement)"),
            ),
            None => Ok(s),
        }
    }
}

fn type_name(atomic: bool) -> &'static str {
    if atomic {
        "atomic_int"
    } else {
        "int"
    }
}

fn is_register_name(s: &str) -> bool {
    !matches!(
        s,
        "if" | "else" | "int" | "atomic_int" | "exists" | "forall"
    )
}

/// The C spelling of an order.
pub fn order_name(o: Order) -> &'static str {
    match o {
        Order::Plain => "plain",
        Order::Relaxed => "memory_order_relaxed",
        Order::Acquire => "memory_order_acquire",
        Order::Release => "memory_order_release",
        Order::AcqRel => "memory_order_acq_rel",
        Order::SeqCst => "memory_order_seq_cst",
    }
}

fn list(xs: &[String]) -> String {
    if xs.is_empty() {
        "none declared".to_string()
    } else {
        xs.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::program::{State, Verdict};

    const MP: &str = r#"C MP+rel+acq
"Message passing, release/acquire"
(* Result sc: Never *)
{ x = 0; *y = 0; }

P0(int *x, atomic_int* y) {
  *x = 1;
  atomic_store_explicit(y, 1, memory_order_release);
}

P1(int *x, atomic_int *y) {
  int r0 = atomic_load_explicit(y, memory_order_acquire);
  int r1 = 0;
  if (r0 == 1) { r1 = *x; } else { r1 = 2 + (r0 ^ r0); }
  membar_consumer();
}

exists (1:r0=1 /\ ~(1:r1=1) \/ x=2)
"#;

    fn err(src: &str) -> ParseError {
        parse("t.litmus", src).expect_err("malformed input must be rejected")
    }

    /// MP with the line `line` replaced.
    fn mp_with(line: usize, text: &str) -> String {
        let mut lines: Vec<&str> = MP.lines().collect();
        lines[line - 1] = text;
        lines.join("\n")
    }

    #[test]
    fn parses_a_message_passing_test() {
        let p = parse("mp.litmus", MP).unwrap();
        assert_eq!(p.name, "MP+rel+acq");
        assert_eq!(p.locations.len(), 2);
        assert!(!p.locations[0].atomic && p.locations[1].atomic);
        assert_eq!(p.threads[1].registers, ["r0", "r1"]);
        assert_eq!(
            p.threads[0].body[1],
            Stmt::Store {
                loc: 1,
                value: Expr::Const(1),
                order: Order::Release
            }
        );
        assert_eq!(
            p.threads[0].body[0],
            Stmt::Store {
                loc: 0,
                value: Expr::Const(1),
                order: Order::Plain
            }
        );
        assert!(matches!(p.threads[1].body[2], Stmt::If { .. }));
        assert_eq!(
            p.threads[1].body[3],
            Stmt::Fence(Fence::Kernel(KernelBarrier::Consumer))
        );
        // `/\` binds tighter than `\/`; `~` tightest.
        let s = |r0, r1, x| State {
            registers: vec![vec![], vec![r0, r1]],
            memory: vec![x, 1],
        };
        let prop = p.condition.prop();
        assert!(prop.holds(&s(1, 0, 1)));
        assert!(!prop.holds(&s(1, 1, 1)));
        assert!(prop.holds(&s(0, 1, 2)));
        assert_eq!(Verdict::of(prop, &[s(0, 0, 1)]), Verdict::Never);
    }

    #[test]
    fn parses_every_rmw_fence_and_barrier() {
        let mut body = String::from(
            "int r0 = atomic_exchange_explicit(x, 2, memory_order_acq_rel);\n\
             r0 = atomic_fetch_add_explicit(x, r0 + 1, memory_order_relaxed);\n\
             int r1 = 0;\n\
             int r2 = atomic_compare_exchange_strong_explicit(x, &r1, 3, memory_order_seq_cst, memory_order_acquire);\n\
             atomic_compare_exchange_weak_explicit(x, &r1, 3, memory_order_release, memory_order_relaxed);\n\
             atomic_thread_fence(memory_order_seq_cst);\n",
        );
        for (_, name) in KernelBarrier::ALL {
            body.push_str(&format!("{name}();\n"));
        }
        let src = format!("C rmw\n{{}}\nP0(atomic_int *x) {{\n{body}}}\nforall (x=3 \\/ 0:r2=0)\n");
        let p = parse("t", &src).unwrap();
        let b = &p.threads[0].body;
        assert_eq!(b.len(), 6 + KernelBarrier::ALL.len());
        assert!(matches!(
            b[3],
            Stmt::Rmw {
                reg: Some(2),
                op: RmwOp::Cas {
                    weak: false,
                    failure: Order::Acquire,
                    expected_reg: Some(1),
                    ..
                },
                order: Order::SeqCst,
                ..
            }
        ));
        assert!(matches!(
            b[4],
            Stmt::Rmw {
                reg: None,
                op: RmwOp::Cas { weak: true, .. },
                ..
            }
        ));
        assert!(matches!(p.condition, Condition::Forall(_)));
    }

    #[test]
    fn a_printed_program_parses_back_to_itself() {
        let p = parse("mp.litmus", MP).unwrap();
        let printed = p.to_string();
        assert_eq!(parse("printed", &printed).unwrap(), p, "{printed}");
    }

    #[test]
    fn unknown_memory_order_names_line_and_the_accepted_orders() {
        let e = err(&mp_with(
            8,
            "  atomic_store_explicit(y, 1, memory_order_rel);",
        ));
        assert_eq!(e.line, 8);
        assert!(
            e.to_string().starts_with("t.litmus:8: unknown memory order 'memory_order_rel' (accepted: memory_order_relaxed,"),
            "{e}"
        );
        let e = err(&mp_with(
            8,
            "  atomic_store_explicit(y, 1, memory_order_acquire);",
        ));
        assert!(e.message.contains("is not a store order (accepted: memory_order_relaxed, memory_order_release, memory_order_seq_cst)"), "{e}");
    }

    #[test]
    fn unknown_function_is_named() {
        let e = err(&mp_with(8, "  WRITE_ONCE(*y, 1);"));
        assert_eq!(e.line, 8);
        assert!(
            e.message
                .starts_with("unknown function 'WRITE_ONCE' (accepted: atomic_load_explicit,"),
            "{e}"
        );
        assert!(e.message.contains("membar_producer"), "{e}");
    }

    #[test]
    fn undeclared_location_is_named_with_the_declared_ones() {
        let e = err(&mp_with(7, "  *z = 1;"));
        assert_eq!(e.line, 7);
        assert!(
            e.message
                .starts_with("undeclared location 'z' (accepted: x, y"),
            "{e}"
        );
        let e = err(&MP.replace("x=2)", "z=2)"));
        assert!(e.message.starts_with("undeclared location 'z'"), "{e}");
        let e = err(&mp_with(
            7,
            "  atomic_store_explicit(x, 1, memory_order_relaxed);",
        ));
        assert!(e.message.contains("on plain location 'x'"), "{e}");
    }

    #[test]
    fn missing_condition_is_an_error_at_the_end() {
        let src = MP.replace("exists (1:r0=1 /\\ ~(1:r1=1) \\/ x=2)", "");
        let e = err(&src);
        assert!(e.line >= 17, "{e}");
        assert!(
            e.message
                .contains("(accepted: 'exists', '~exists', 'forall')"),
            "{e}"
        );
    }

    #[test]
    fn bad_registers_are_named() {
        let e = err(&MP.replace("1:r0=1", "1:r7=1"));
        assert_eq!(e.line, 18);
        assert!(
            e.message
                .starts_with("bad register '1:r7' (accepted: 1:r0, 1:r1)"),
            "{e}"
        );
        let e = err(&MP.replace("1:r0=1", "3:r0=1"));
        assert!(
            e.message.starts_with("bad register '3:r0': no thread P3"),
            "{e}"
        );
        let e = err(&mp_with(7, "  *x = r5;"));
        assert_eq!(e.line, 7);
        assert!(
            e.message
                .starts_with("bad register 'r5': read before it is assigned"),
            "{e}"
        );
        let e = err(&mp_with(7, "  x = 1;"));
        assert!(
            e.message.starts_with("'x' is a location, not a register"),
            "{e}"
        );
    }

    /// herd7's own spellings: a space before a thread's parameters, `T* x`,
    /// `volatile`, C comments, a condition without parentheses, `{}`.
    #[test]
    fn herd_spellings_parse() {
        let src = "C SB+sc\n\n{}\n\nP0 (volatile atomic_int* y,atomic_int* x) {\n  // a comment\n  atomic_store_explicit(x,1,memory_order_seq_cst);\n  /* another */ int r0 = atomic_load_explicit(y,memory_order_seq_cst);\n}\n\nP1 (atomic_int* y,atomic_int* x) {\n  atomic_store(y, 1);\n  int r0 = atomic_load(x);\n}\n\nlocations [x; y;]\nexists 0:r0=0 /\\ 1:r0=0\n";
        let p = parse("sb.litmus", src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.locations.len(), 2);
        assert_eq!(p.locations[0].name, "y");
        assert!(matches!(
            p.threads[1].body[0],
            Stmt::Store {
                order: Order::SeqCst,
                ..
            }
        ));
        assert!(matches!(p.condition, Condition::Exists(Prop::And(..))));
    }

    /// Every prefix of a good file, and the file with any one character
    /// replaced, gives a result or a one-line error: never a panic.
    #[test]
    fn no_input_panics() {
        let src = format!("{MP}\n(* é *)");
        let cuts = src.char_indices().map(|(k, _)| k);
        for k in cuts {
            if let Err(e) = parse("t", &src[..k]) {
                assert_eq!(e.to_string().lines().count(), 1, "{e}");
            }
        }
        for (k, c) in src.char_indices() {
            for r in ['(', '*', '"', '}', 'é', '9', ';'] {
                let mut t = src.clone();
                t.replace_range(k..k + c.len_utf8(), &r.to_string());
                if let Err(e) = parse("t", &t) {
                    assert_eq!(e.to_string().lines().count(), 1, "{e}");
                }
            }
        }
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let e = err(&mp_with(7, "  *x = 1"));
        assert_eq!(e.line, 8, "the missing ';' is found at the next token: {e}");
        assert!(e.message.contains("'atomic_store_explicit("), "{e}");
        assert!(e.message.contains("(accepted: ';'"), "{e}");
        let e = err("D MP\n{}\n");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("'C NAME'"), "{e}");
        let e = err(&MP.replace("(* Result sc: Never *)", "(* Result sc: Never"));
        assert!(e.message.contains("'*)' closing the comment"), "{e}");
        let e = err(&mp_with(6, "P0(float *x, atomic_int* y) {"));
        assert_eq!(e.line, 6);
        assert!(e.message.contains("atomic_int *NAME"), "{e}");
        let e = err(&mp_with(11, "P2(int *x, atomic_int *y) {"));
        assert!(
            e.message
                .contains("thread 'P2' out of order (accepted: P1)"),
            "{e}"
        );
        let e = err(&format!("{MP}\nexists (x=1)"));
        assert!(
            e.message.contains("nothing after the final condition"),
            "{e}"
        );
        let e = err(&mp_with(
            12,
            "  int r0 = atomic_load_explicit(y, memory_order_acquire) + 1;",
        ));
        assert!(
            e.message.contains("a shared access inside an expression"),
            "{e}"
        );
    }
}
