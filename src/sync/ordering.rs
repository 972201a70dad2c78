//! Profiles and weakening plans: how an ordering *as written* becomes the
//! ordering *as run*.
//!
//! This module is pure (no backend), so the mapping is unit-tested under std.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::Ordering;

use super::Site;

/// The memory-ordering profile a check runs under.
///
/// Under loom the profile rewrites every atomic operation before loom sees
/// it. Under shuttle (sequentially consistent) and std (the real machine) it
/// changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// The orderings exactly as the kernel wrote them, explored in loom's C11
    /// model: the nearest loom gets to ARMv8 (it never produces load
    /// buffering, which ARMv8 allows).
    Arm,
    /// x86-TSO approximated in C11: every load at least `Acquire`, every
    /// store at least `Release`, every read-modify-write `AcqRel` between two
    /// `fence(SeqCst)` (a locked instruction is a full barrier),
    /// `fence(SeqCst)` kept (mfence), `Acquire`/`Release` fences dropped.
    /// Release/acquire is weaker than TSO for multi-copy atomicity (IRIW) and
    /// 2+2W, so a failure only this profile shows can be a false alarm, never
    /// a missed bug.
    X86,
}

impl Profile {
    /// Both profiles, in matrix order.
    pub const ALL: [Profile; 2] = [Profile::Arm, Profile::X86];

    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Arm => "arm",
            Profile::X86 => "x86",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "arm" => Ok(Profile::Arm),
            "x86" => Ok(Profile::X86),
            _ => Err(format!("unknown profile '{s}' (accepted: arm, x86)")),
        }
    }
}

/// The memory model an exploration runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemoryModel {
    /// Sequential consistency: every store is visible to every thread at
    /// once.
    Sc,
    /// x86-TSO: a FIFO store buffer per thread (the DPOR explorer), or
    /// x86tso.cat's axioms (the execution-graph explorer); shuttle build.
    Tso,
    /// RC11 (Lahav et al., PLDI 2017): C11 as written, with no-thin-air as
    /// po ∪ rf acyclic. Execution-graph explorer only.
    Rc11,
    /// ARMv8 (aarch64.cat; Pulte et al., POPL 2018), Rust's atomics and the
    /// kernels' barriers as they compile on AArch64 (`docs/arm.md`).
    /// Execution-graph explorer only.
    Arm,
}

impl MemoryModel {
    /// The name used on command lines and in schedules.
    pub fn name(self) -> &'static str {
        match self {
            MemoryModel::Sc => "sc",
            MemoryModel::Tso => "tso",
            MemoryModel::Rc11 => "rc11",
            MemoryModel::Arm => "arm",
        }
    }
}

impl fmt::Display for MemoryModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl MemoryModel {
    /// The memory models of the DPOR explorer, in matrix order (the gate's
    /// DPOR columns).
    pub const ALL: [MemoryModel; 2] = [MemoryModel::Sc, MemoryModel::Tso];

    /// Every memory model of the execution-graph explorer.
    pub const GRAPH: [MemoryModel; 4] = [
        MemoryModel::Sc,
        MemoryModel::Tso,
        MemoryModel::Rc11,
        MemoryModel::Arm,
    ];

    /// Parse a memory model the DPOR explorer runs (`sc`, `tso`): `rc11`
    /// and `arm` get a one-line error naming the accepted ones.
    pub fn parse_dpor(s: &str) -> Result<MemoryModel, String> {
        let m: MemoryModel = s.parse()?;
        if MemoryModel::ALL.contains(&m) {
            Ok(m)
        } else {
            Err(format!(
                "memory model '{s}' is not run by the DPOR explorer (accepted: sc, tso; rc11 and arm run under the execution-graph explorer)"
            ))
        }
    }
}

impl FromStr for MemoryModel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "sc" => Ok(MemoryModel::Sc),
            "tso" => Ok(MemoryModel::Tso),
            "rc11" => Ok(MemoryModel::Rc11),
            "arm" => Ok(MemoryModel::Arm),
            _ => Err(format!(
                "unknown memory model '{s}' (accepted: sc, tso, rc11, arm)"
            )),
        }
    }
}

/// What kind of atomic access an ordering belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    /// An atomic load.
    Load,
    /// An atomic store.
    Store,
    /// A read-modify-write (swap, compare-exchange, fetch-op).
    Rmw,
    /// A fence (including the kernel barrier names).
    Fence,
}

/// A weakening plan: for some sites, the ordering to run instead of the one
/// written. Used by the ordering audit; `Relaxed` on a fence drops it.
///
/// A plan only ever weakens: each operation at a planned site runs with the
/// [`meet`] of its written ordering and the planned one (a compare-exchange's
/// failure ordering too), so a plan for a line holding several operations
/// never strengthens one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    by_site: BTreeMap<(&'static str, u32), Ordering>,
}

impl Plan {
    /// An empty plan: everything runs as written.
    pub fn new() -> Self {
        Self::default()
    }

    /// Run the operation(s) at `site` (file and line) with `ordering`.
    pub fn weaken(mut self, site: Site, ordering: Ordering) -> Self {
        self.by_site.insert((site.file, site.line), ordering);
        self
    }

    /// The planned ordering for `site`, if any.
    pub fn get(&self, site: Site) -> Option<Ordering> {
        self.by_site.get(&(site.file, site.line)).copied()
    }

    /// True when nothing is weakened.
    pub fn is_empty(&self) -> bool {
        self.by_site.is_empty()
    }
}

/// How one atomic operation is run after the profile and the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// The ordering to run; `None` for a fence that is dropped.
    pub ordering: Option<Ordering>,
    /// For compare-exchange: the failure ordering to run.
    pub failure: Ordering,
    /// Surround the operation with `fence(SeqCst)` (x86 locked RMW).
    pub full_fences: bool,
}

/// Strength rank used to compare orderings (Acquire and Release are
/// incomparable; both rank 1).
fn rank(o: Ordering) -> u8 {
    match o {
        Ordering::Relaxed => 0,
        Ordering::Acquire | Ordering::Release => 1,
        Ordering::AcqRel => 2,
        _ => 3,
    }
}

/// The strongest ordering no stronger than both `a` and `b` (Acquire and
/// Release meet at Relaxed).
pub fn meet(a: Ordering, b: Ordering) -> Ordering {
    match (a, b) {
        (x, y) if x == y => x,
        (Ordering::SeqCst, x) | (x, Ordering::SeqCst) => x,
        (Ordering::AcqRel, x) | (x, Ordering::AcqRel) => x,
        _ => Ordering::Relaxed,
    }
}

/// The weakest ordering at least as strong as both `a` and `b` (Acquire and
/// Release join at AcqRel).
pub fn join(a: Ordering, b: Ordering) -> Ordering {
    match (a, b) {
        (x, y) if x == y => x,
        (Ordering::Relaxed, x) | (x, Ordering::Relaxed) => x,
        (Ordering::SeqCst, _) | (_, Ordering::SeqCst) => Ordering::SeqCst,
        _ => Ordering::AcqRel,
    }
}

/// The nearest ordering valid for `access` that is no stronger than `o`
/// (a load cannot release, a store cannot acquire).
pub fn valid_for(access: Access, o: Ordering) -> Ordering {
    match (access, o) {
        (Access::Load, Ordering::Release) => Ordering::Relaxed,
        (Access::Load, Ordering::AcqRel) => Ordering::Acquire,
        (Access::Store, Ordering::Acquire) => Ordering::Relaxed,
        (Access::Store, Ordering::AcqRel) => Ordering::Release,
        _ => o,
    }
}

/// A compare-exchange failure ordering that Rust accepts with `success`:
/// no release part, and no stronger than what `success` acquires.
pub fn failure_for(success: Ordering, wanted: Ordering) -> Ordering {
    let wanted = valid_for(Access::Load, wanted);
    let cap = match success {
        Ordering::Relaxed | Ordering::Release => Ordering::Relaxed,
        Ordering::Acquire | Ordering::AcqRel => Ordering::Acquire,
        _ => Ordering::SeqCst,
    };
    if rank(wanted) <= rank(cap) {
        wanted
    } else {
        cap
    }
}

/// Map an operation written with `written` (and `failure`, for
/// compare-exchange) at `site` through the plan, then the profile.
pub fn map(
    profile: Profile,
    plan: &Plan,
    site: Site,
    access: Access,
    written: Ordering,
    failure: Ordering,
) -> Mapped {
    let planned = plan.get(site);
    let ord = valid_for(access, planned.map_or(written, |p| meet(written, p)));
    let failure = failure_for(ord, planned.map_or(failure, |p| meet(failure, p)));
    match (profile, access) {
        (Profile::Arm, Access::Fence) => Mapped {
            ordering: (ord != Ordering::Relaxed).then_some(ord),
            failure,
            full_fences: false,
        },
        (Profile::Arm, _) => Mapped {
            ordering: Some(ord),
            failure,
            full_fences: false,
        },
        // mfence stays; acquire/release fences are implied by TSO.
        (Profile::X86, Access::Fence) => Mapped {
            ordering: (ord == Ordering::SeqCst).then_some(Ordering::SeqCst),
            failure,
            full_fences: false,
        },
        (Profile::X86, Access::Load) => Mapped {
            ordering: Some(at_least(ord, Ordering::Acquire)),
            failure,
            full_fences: false,
        },
        (Profile::X86, Access::Store) => Mapped {
            ordering: Some(at_least(ord, Ordering::Release)),
            failure,
            full_fences: false,
        },
        (Profile::X86, Access::Rmw) => {
            let o = at_least(ord, Ordering::AcqRel);
            Mapped {
                ordering: Some(o),
                failure: failure_for(o, at_least(failure, Ordering::Acquire)),
                full_fences: true,
            }
        }
    }
}

/// `o`, raised to `floor` unless it is already as strong (SeqCst stays).
fn at_least(o: Ordering, floor: Ordering) -> Ordering {
    if o == Ordering::SeqCst || rank(o) > rank(floor) {
        o
    } else if rank(o) == rank(floor) && o != floor {
        // Acquire raised to "at least Release" (or the reverse) is AcqRel.
        Ordering::AcqRel
    } else {
        floor
    }
}

/// Short name of an ordering for traces and tables.
pub fn short(o: Ordering) -> &'static str {
    match o {
        Ordering::Relaxed => "Relaxed",
        Ordering::Acquire => "Acquire",
        Ordering::Release => "Release",
        Ordering::AcqRel => "AcqRel",
        _ => "SeqCst",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn site(line: u32) -> Site {
        Site {
            file: "x.rs",
            line,
            column: 1,
        }
    }

    fn run(p: Profile, a: Access, o: Ordering) -> Option<Ordering> {
        map(p, &Plan::new(), site(1), a, o, Relaxed).ordering
    }

    #[test]
    fn arm_runs_as_written() {
        for o in [Relaxed, Acquire, SeqCst] {
            assert_eq!(run(Profile::Arm, Access::Load, o), Some(o));
        }
        for o in [Relaxed, Release, SeqCst] {
            assert_eq!(run(Profile::Arm, Access::Store, o), Some(o));
        }
        assert_eq!(run(Profile::Arm, Access::Fence, Release), Some(Release));
        assert!(
            !map(
                Profile::Arm,
                &Plan::new(),
                site(1),
                Access::Rmw,
                Relaxed,
                Relaxed
            )
            .full_fences
        );
    }

    #[test]
    fn x86_strengthens_accesses_and_drops_half_fences() {
        assert_eq!(run(Profile::X86, Access::Load, Relaxed), Some(Acquire));
        assert_eq!(run(Profile::X86, Access::Load, SeqCst), Some(SeqCst));
        assert_eq!(run(Profile::X86, Access::Store, Relaxed), Some(Release));
        assert_eq!(run(Profile::X86, Access::Rmw, Release), Some(AcqRel));
        assert_eq!(run(Profile::X86, Access::Rmw, Acquire), Some(AcqRel));
        assert_eq!(run(Profile::X86, Access::Fence, Release), None);
        assert_eq!(run(Profile::X86, Access::Fence, Acquire), None);
        assert_eq!(run(Profile::X86, Access::Fence, SeqCst), Some(SeqCst));
        let m = map(
            Profile::X86,
            &Plan::new(),
            site(1),
            Access::Rmw,
            Release,
            Relaxed,
        );
        assert!(m.full_fences);
        assert_eq!(m.failure, Acquire);
    }

    #[test]
    fn plan_weakens_before_the_profile() {
        let plan = Plan::new().weaken(site(7), Relaxed);
        let arm = map(
            Profile::Arm,
            &plan,
            site(7),
            Access::Store,
            Release,
            Relaxed,
        );
        assert_eq!(arm.ordering, Some(Relaxed));
        // x86 restores the release: the weakening is harmless on TSO.
        let x86 = map(
            Profile::X86,
            &plan,
            site(7),
            Access::Store,
            Release,
            Relaxed,
        );
        assert_eq!(x86.ordering, Some(Release));
        // A weakened fence is dropped; other sites are untouched.
        let f = map(
            Profile::Arm,
            &plan,
            site(7),
            Access::Fence,
            Release,
            Relaxed,
        );
        assert_eq!(f.ordering, None);
        let other = map(
            Profile::Arm,
            &plan,
            site(8),
            Access::Store,
            Release,
            Relaxed,
        );
        assert_eq!(other.ordering, Some(Release));
    }

    #[test]
    fn compare_exchange_failure_stays_valid() {
        assert_eq!(failure_for(Release, Acquire), Relaxed);
        assert_eq!(failure_for(AcqRel, SeqCst), Acquire);
        assert_eq!(failure_for(SeqCst, SeqCst), SeqCst);
        let plan = Plan::new().weaken(site(3), Relaxed);
        let m = map(Profile::Arm, &plan, site(3), Access::Rmw, AcqRel, Acquire);
        assert_eq!((m.ordering, m.failure), (Some(Relaxed), Relaxed));
    }

    #[test]
    fn a_plan_never_strengthens() {
        assert_eq!(meet(Acquire, Release), Relaxed);
        assert_eq!(meet(SeqCst, AcqRel), AcqRel);
        assert_eq!(meet(AcqRel, Release), Release);
        assert_eq!(join(Acquire, Release), AcqRel);
        assert_eq!(join(Relaxed, Acquire), Acquire);
        assert_eq!(join(SeqCst, Release), SeqCst);
        // A planned Acquire on a line whose store is Relaxed and whose load
        // is Acquire: the store stays Relaxed, the load stays Acquire.
        let plan = Plan::new().weaken(site(4), Acquire);
        let st = map(
            Profile::Arm,
            &plan,
            site(4),
            Access::Store,
            Relaxed,
            Relaxed,
        );
        assert_eq!(st.ordering, Some(Relaxed));
        let ld = map(Profile::Arm, &plan, site(4), Access::Load, Acquire, Relaxed);
        assert_eq!(ld.ordering, Some(Acquire));
        // A compare-exchange's Relaxed failure is not raised by the plan.
        let cas = map(Profile::Arm, &plan, site(4), Access::Rmw, AcqRel, Relaxed);
        assert_eq!((cas.ordering, cas.failure), (Some(Acquire), Relaxed));
        // A stronger plan than written changes nothing.
        let strong = Plan::new().weaken(site(4), SeqCst);
        let f = map(
            Profile::Arm,
            &strong,
            site(4),
            Access::Fence,
            Release,
            Relaxed,
        );
        assert_eq!(f.ordering, Some(Release));
    }

    #[test]
    fn profile_names_parse_and_reject() {
        assert_eq!("ARM".parse::<Profile>(), Ok(Profile::Arm));
        assert_eq!("x86".parse::<Profile>(), Ok(Profile::X86));
        assert_eq!(
            "sparc".parse::<Profile>(),
            Err("unknown profile 'sparc' (accepted: arm, x86)".to_string())
        );
    }

    #[test]
    fn memory_models_parse_and_the_dpor_explorer_rejects_the_graph_only_ones() {
        for m in MemoryModel::GRAPH {
            assert_eq!(m.name().parse::<MemoryModel>(), Ok(m));
        }
        assert_eq!(
            "power".parse::<MemoryModel>(),
            Err("unknown memory model 'power' (accepted: sc, tso, rc11, arm)".to_string())
        );
        assert_eq!(MemoryModel::parse_dpor("tso"), Ok(MemoryModel::Tso));
        let e = MemoryModel::parse_dpor("rc11").unwrap_err();
        assert_eq!(e.lines().count(), 1);
        assert!(
            e.starts_with("memory model 'rc11' is not run by the DPOR explorer (accepted: sc, tso")
        );
        // The gate's DPOR columns stay sc and tso.
        assert_eq!(MemoryModel::ALL, [MemoryModel::Sc, MemoryModel::Tso]);
    }
}
