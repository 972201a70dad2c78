//! Atomics: thin wrappers over the backend's, each operation `#[track_caller]`
//! and routed through [`super::atomic_op`].

use std::sync::atomic::Ordering::{self, Relaxed};

#[cfg(shuttle)]
use super::dpor::{self as hooks, Bits};
#[cfg(shuttle)]
use super::graph::{self, Op as GOp};
use super::ordering::Access;
use super::trace::{Detail, Op, State, Value};
use super::{atomic_op, imp, Site};

/// How a value appears in the trace.
pub(crate) trait Shown: Copy {
    fn shown(self, st: &mut State) -> String;
    /// The raw bits (pointers by the location number of their target).
    fn raw(self, st: &mut State) -> u64;
    /// The value, raw and shown.
    fn value(self, st: &mut State) -> Value {
        Value {
            raw: self.raw(st),
            shown: self.shown(st),
        }
    }
}

impl Shown for usize {
    fn shown(self, _: &mut State) -> String {
        self.to_string()
    }
    fn raw(self, _: &mut State) -> u64 {
        self as u64
    }
}

impl Shown for u32 {
    fn shown(self, _: &mut State) -> String {
        self.to_string()
    }
    fn raw(self, _: &mut State) -> u64 {
        u64::from(self)
    }
}

impl Shown for bool {
    fn shown(self, _: &mut State) -> String {
        self.to_string()
    }
    fn raw(self, _: &mut State) -> u64 {
        u64::from(self)
    }
}

impl<T> Shown for *mut T {
    fn shown(self, st: &mut State) -> String {
        st.ptr_label(self as usize)
    }
    fn raw(self, st: &mut State) -> u64 {
        st.location(self as usize) as u64
    }
}

/// A load: `-> v`, read `v`.
fn loaded<V: Shown>(v: V, st: &mut State) -> Detail {
    let read = v.value(st);
    Detail {
        op: None,
        text: format!("-> {}", read.shown),
        read: Some(read),
        wrote: None,
    }
}

/// A read-modify-write that read `old` and wrote `new`: `text`, then both.
fn rmw<V: Shown>(old: V, new: V, text: String, st: &mut State) -> Detail {
    Detail {
        op: None,
        text,
        read: Some(old.value(st)),
        wrote: Some(new.value(st)),
    }
}

fn shown_cas<V: Shown>(current: V, new: V, r: &Result<V, V>, st: &mut State) -> Detail {
    match *r {
        Ok(_) => {
            let text = format!("{} -> {}", current.shown(st), new.shown(st));
            rmw(current, new, text, st)
        }
        Err(actual) => Detail {
            op: None,
            text: format!(
                "expected {}, found {}: failed",
                current.shown(st),
                actual.shown(st)
            ),
            read: Some(actual.value(st)),
            wrote: None,
        },
    }
}

/// Operations every atomic type has.
macro_rules! common_ops {
    ($t:ty) => {
        fn addr(&self) -> usize {
            self as *const Self as usize
        }

        /// Store `bits` into the atomic at `addr` (a DPOR store buffer's
        /// flush under `tso`).
        ///
        /// # Safety
        ///
        /// `addr` is the address of a live atomic of this type.
        #[cfg(shuttle)]
        unsafe fn write_bits(addr: usize, bits: u64) {
            // SAFETY: the caller's contract: a live atomic of this type.
            let a = unsafe { &*(addr as *const Self) };
            a.inner.store(
                <$t as Bits>::from_bits(bits),
                std::sync::atomic::Ordering::SeqCst,
            );
        }

        /// The bits the atomic at `addr` holds, read without a scheduling
        /// point (for the execution-graph explorer).
        ///
        /// # Safety
        ///
        /// `addr` is the address of a live atomic of this type.
        #[cfg(shuttle)]
        unsafe fn read_bits(addr: usize) -> u64 {
            // SAFETY: the caller's contract: a live atomic of this type,
            // and shuttle tasks never run in parallel.
            unsafe { (*(addr as *const Self)).inner.raw_load() }.to_bits()
        }

        /// Under the execution-graph explorer: run `run` as operation `op`.
        #[cfg(shuttle)]
        fn graph_op<R>(
            &self,
            h: &std::rc::Rc<dyn graph::Hooks>,
            op: GOp,
            run: impl FnOnce(graph::Directive) -> R,
            wrote: impl FnOnce(&R) -> bool,
        ) -> R {
            // SAFETY: `self` is a live atomic of this type, and the two
            // functions were made for it.
            unsafe {
                graph::atomic(
                    h,
                    self.addr(),
                    op,
                    Self::read_bits,
                    Self::write_bits,
                    run,
                    wrote,
                )
            }
        }

        /// Loads the value (see [`std::sync::atomic::AtomicUsize::load`]).
        #[track_caller]
        pub fn load(&self, order: Ordering) -> $t {
            atomic_op(
                Site::caller(),
                Access::Load,
                Op::Load,
                self.addr(),
                order,
                Relaxed,
                |o, _| {
                    // (value, forwarded from the thread's store buffer)
                    #[cfg(shuttle)]
                    if let Some(h) = graph::active() {
                        return (
                            self.graph_op(&h, GOp::Load(o), |_| self.inner.load(o), |_| false),
                            false,
                        );
                    }
                    #[cfg(shuttle)]
                    return hooks::load(self.addr(), o, || self.inner.load(o));
                    #[cfg(not(shuttle))]
                    (self.inner.load(o), false)
                },
                |&(v, forwarded), st| Detail {
                    op: forwarded.then_some(Op::Forwarded),
                    ..loaded(v, st)
                },
            )
            .0
        }

        /// Stores a value.
        #[track_caller]
        pub fn store(&self, val: $t, order: Ordering) {
            atomic_op(
                Site::caller(),
                Access::Store,
                Op::Store,
                self.addr(),
                order,
                Relaxed,
                |o, _| {
                    // True if the store went into the thread's store buffer.
                    #[cfg(shuttle)]
                    if let Some(h) = graph::active() {
                        self.graph_op(&h, GOp::Store(o), |_| self.inner.store(val, o), |_| true);
                        return false;
                    }
                    #[cfg(shuttle)]
                    return hooks::store(self.addr(), val, o, Self::write_bits, || {
                        self.inner.store(val, o)
                    });
                    #[cfg(not(shuttle))]
                    {
                        self.inner.store(val, o);
                        false
                    }
                },
                |&buffered, st| {
                    let wrote = val.value(st);
                    Detail {
                        op: buffered.then_some(Op::Buffered),
                        text: format!("= {}", wrote.shown),
                        read: None,
                        wrote: Some(wrote),
                    }
                },
            );
        }

        /// Stores a value, returning the previous one.
        #[track_caller]
        pub fn swap(&self, val: $t, order: Ordering) -> $t {
            atomic_op(
                Site::caller(),
                Access::Rmw,
                Op::Rmw("swap"),
                self.addr(),
                order,
                Relaxed,
                |o, _| {
                    #[cfg(shuttle)]
                    if let Some(h) = graph::active() {
                        let op = GOp::Rmw {
                            success: o,
                            failure: Relaxed,
                            expected: None,
                            weak: false,
                        };
                        return self.graph_op(&h, op, |_| self.inner.swap(val, o), |_| true);
                    }
                    #[cfg(shuttle)]
                    return hooks::rmw(
                        self.addr(),
                        o,
                        Relaxed,
                        || self.inner.swap(val, o),
                        |_| true,
                    );
                    #[cfg(not(shuttle))]
                    self.inner.swap(val, o)
                },
                |old, st| {
                    let text = format!("{} -> {}", old.shown(st), val.shown(st));
                    rmw(*old, val, text, st)
                },
            )
        }

        /// Stores `new` if the value is `current`.
        #[track_caller]
        pub fn compare_exchange(
            &self,
            current: $t,
            new: $t,
            success: Ordering,
            failure: Ordering,
        ) -> Result<$t, $t> {
            self.cas(Site::caller(), false, current, new, success, failure)
        }

        /// Like `compare_exchange`, may fail spuriously where the backend
        /// models it (the kernels' `fcmpset` loops).
        #[track_caller]
        pub fn compare_exchange_weak(
            &self,
            current: $t,
            new: $t,
            success: Ordering,
            failure: Ordering,
        ) -> Result<$t, $t> {
            self.cas(Site::caller(), true, current, new, success, failure)
        }

        fn cas(
            &self,
            site: Site,
            weak: bool,
            current: $t,
            new: $t,
            success: Ordering,
            failure: Ordering,
        ) -> Result<$t, $t> {
            let name = if weak {
                "compare_exchange_weak"
            } else {
                "compare_exchange"
            };
            atomic_op(
                site,
                Access::Rmw,
                Op::Rmw(name),
                self.addr(),
                success,
                failure,
                |s, f| {
                    // Under the execution-graph explorer, a spurious failure
                    // is its choice (rc11 and arm only): the exchange then
                    // only reads.
                    #[cfg(shuttle)]
                    if let Some(h) = graph::active() {
                        let op = GOp::Rmw {
                            success: s,
                            failure: f,
                            expected: Some(current.to_bits()),
                            weak,
                        };
                        return self.graph_op(
                            &h,
                            op,
                            |d| {
                                if d.spurious {
                                    Err(self.inner.load(f))
                                } else {
                                    self.inner.compare_exchange(current, new, s, f)
                                }
                            },
                            |r| r.is_ok(),
                        );
                    }
                    // A spurious failure (only when a DPOR check asks for
                    // them) reads the value like a failed exchange.
                    #[cfg(shuttle)]
                    if weak && hooks::spurious_cas_failure() {
                        return Err(hooks::load(self.addr(), f, || self.inner.load(f)).0);
                    }
                    let op = || {
                        if weak {
                            self.inner.compare_exchange_weak(current, new, s, f)
                        } else {
                            self.inner.compare_exchange(current, new, s, f)
                        }
                    };
                    #[cfg(shuttle)]
                    return hooks::rmw(self.addr(), s, f, op, |r| r.is_ok());
                    #[cfg(not(shuttle))]
                    op()
                },
                |r, st| shown_cas(current, new, r, st),
            )
        }
    };
}

/// A read-modify-write with one operand: `fetch_add` and friends; `$f`
/// computes the value written from the old one and the operand.
macro_rules! fetch_ops {
    ($t:ty; $($name:ident $sym:literal $f:expr),*) => {
        $(
            #[doc = concat!("Atomic `", stringify!($name), "`, returning the previous value.")]
            #[track_caller]
            pub fn $name(&self, val: $t, order: Ordering) -> $t {
                atomic_op(
                    Site::caller(),
                    Access::Rmw,
                    Op::Rmw(stringify!($name)),
                    self.addr(),
                    order,
                    Relaxed,
                    |o, _| {
                        #[cfg(shuttle)]
                        if let Some(h) = graph::active() {
                            let op = GOp::Rmw { success: o, failure: Relaxed, expected: None, weak: false };
                            return self.graph_op(&h, op, |_| self.inner.$name(val, o), |_| true);
                        }
                        #[cfg(shuttle)]
                        return hooks::rmw(self.addr(), o, Relaxed, || self.inner.$name(val, o), |_| true);
                        #[cfg(not(shuttle))]
                        self.inner.$name(val, o)
                    },
                    |old, st| {
                        let text = format!("{} {} {}", old.shown(st), $sym, val.shown(st));
                        let new: $t = ($f)(*old, val);
                        rmw(*old, new, text, st)
                    },
                )
            }
        )*
    };
}

macro_rules! atomic_int {
    ($name:ident, $t:ty) => {
        #[doc = concat!("`", stringify!($name), "` of the active backend, traced and profiled.")]
        pub struct $name {
            inner: imp::$name,
        }

        impl $name {
            /// A new atomic holding `v`.
            pub fn new(v: $t) -> Self {
                Self {
                    inner: imp::$name::new(v),
                }
            }

            common_ops!($t);
            fetch_ops!($t;
                fetch_add "+" <$t>::wrapping_add,
                fetch_sub "-" <$t>::wrapping_sub,
                fetch_or "|" |a: $t, b: $t| a | b,
                fetch_and "&" |a: $t, b: $t| a & b);
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new(0)
            }
        }

        // A DPOR store buffer must not flush into a dropped atomic.
        #[cfg(shuttle)]
        impl Drop for $name {
            fn drop(&mut self) {
                hooks::forget_atomic(self.addr());
                graph::forget(self.addr());
            }
        }
    };
}

atomic_int!(AtomicUsize, usize);
atomic_int!(AtomicU32, u32);

/// `AtomicBool` of the active backend, traced and profiled.
pub struct AtomicBool {
    inner: imp::AtomicBool,
}

impl AtomicBool {
    /// A new atomic holding `v`.
    pub fn new(v: bool) -> Self {
        Self {
            inner: imp::AtomicBool::new(v),
        }
    }

    common_ops!(bool);
    fetch_ops!(bool; fetch_or "|" |a: bool, b: bool| a | b, fetch_and "&" |a: bool, b: bool| a & b);
}

#[cfg(shuttle)]
impl Drop for AtomicBool {
    fn drop(&mut self) {
        hooks::forget_atomic(self.addr());
        graph::forget(self.addr());
    }
}

impl std::fmt::Debug for AtomicBool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicBool")
    }
}

/// `AtomicPtr` of the active backend, traced and profiled. Pointer values
/// appear in traces by the label of what they point to ([`super::label_ptr`]).
pub struct AtomicPtr<T> {
    inner: imp::AtomicPtr<T>,
}

impl<T> AtomicPtr<T> {
    /// A new atomic holding `p`.
    pub fn new(p: *mut T) -> Self {
        Self {
            inner: imp::AtomicPtr::new(p),
        }
    }

    common_ops!(*mut T);
}

#[cfg(shuttle)]
impl<T> Drop for AtomicPtr<T> {
    fn drop(&mut self) {
        hooks::forget_atomic(self.addr());
        graph::forget(self.addr());
    }
}

impl<T> std::fmt::Debug for AtomicPtr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicPtr")
    }
}
