//! Atomics: thin wrappers over the backend's, each operation `#[track_caller]`
//! and routed through [`super::atomic_op`].

use std::sync::atomic::Ordering::{self, Relaxed};

use super::ordering::Access;
use super::trace::{Op, State};
use super::{atomic_op, imp, Site};

/// How a value appears in the trace.
pub(crate) trait Shown: Copy {
    fn shown(self, st: &mut State) -> String;
}

impl Shown for usize {
    fn shown(self, _: &mut State) -> String {
        self.to_string()
    }
}

impl Shown for u32 {
    fn shown(self, _: &mut State) -> String {
        self.to_string()
    }
}

impl Shown for bool {
    fn shown(self, _: &mut State) -> String {
        self.to_string()
    }
}

impl<T> Shown for *mut T {
    fn shown(self, st: &mut State) -> String {
        st.ptr_label(self as usize)
    }
}

fn shown_cas<V: Shown>(current: V, new: V, r: &Result<V, V>, st: &mut State) -> String {
    match *r {
        Ok(_) => format!("{} -> {}", current.shown(st), new.shown(st)),
        Err(actual) => format!(
            "expected {}, found {}: failed",
            current.shown(st),
            actual.shown(st)
        ),
    }
}

/// Operations every atomic type has.
macro_rules! common_ops {
    ($t:ty) => {
        fn addr(&self) -> usize {
            self as *const Self as usize
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
                |o, _| self.inner.load(o),
                |v, st| format!("-> {}", v.shown(st)),
            )
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
                |o, _| self.inner.store(val, o),
                |_, st| format!("= {}", val.shown(st)),
            )
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
                |o, _| self.inner.swap(val, o),
                |old, st| format!("{} -> {}", old.shown(st), val.shown(st)),
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
                    if weak {
                        self.inner.compare_exchange_weak(current, new, s, f)
                    } else {
                        self.inner.compare_exchange(current, new, s, f)
                    }
                },
                |r, st| shown_cas(current, new, r, st),
            )
        }
    };
}

/// A read-modify-write with one operand: `fetch_add` and friends.
macro_rules! fetch_ops {
    ($t:ty; $($name:ident $sym:literal),*) => {
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
                    |o, _| self.inner.$name(val, o),
                    |old, st| format!("{} {} {}", old.shown(st), $sym, val.shown(st)),
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
            fetch_ops!($t; fetch_add "+", fetch_sub "-", fetch_or "|", fetch_and "&");
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
    fetch_ops!(bool; fetch_or "|", fetch_and "&");
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

impl<T> std::fmt::Debug for AtomicPtr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicPtr")
    }
}
