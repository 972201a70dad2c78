//! Execution graphs: events in the order they were added (the order the
//! exploration's revisits and its maximality condition speak of), each
//! read's reads-from, each location's coherence order.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;

use crate::explore::program::KernelBarrier;

/// An event's index in [`Graph::events`] (its place in the addition order).
pub(crate) type EvId = usize;

/// A memory order as written, or `Plain` for a cell access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Mo {
    Plain,
    Rlx,
    Acq,
    Rel,
    AcqRel,
    Sc,
}

impl Mo {
    pub(crate) fn of(o: Ordering) -> Mo {
        match o {
            Ordering::Relaxed => Mo::Rlx,
            Ordering::Acquire => Mo::Acq,
            Ordering::Release => Mo::Rel,
            Ordering::AcqRel => Mo::AcqRel,
            _ => Mo::Sc,
        }
    }

    /// Has acquire semantics (as a read or fence).
    pub(crate) fn acquires(self) -> bool {
        matches!(self, Mo::Acq | Mo::AcqRel | Mo::Sc)
    }

    /// Has release semantics (as a write or fence).
    pub(crate) fn releases(self) -> bool {
        matches!(self, Mo::Rel | Mo::AcqRel | Mo::Sc)
    }
}

/// The kernel barrier a facade fence stands for (by the name the facade
/// records), or `None` for a plain C11 `fence`.
pub(crate) fn barrier_named(name: &str) -> Option<KernelBarrier> {
    KernelBarrier::ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map(|&(b, _)| b)
}

/// What an event is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A location's initial value (coherence-first, before every event).
    Init { value: u64 },
    /// A read (a load, a cell read, or the read of a read-modify-write).
    Read {
        mo: Mo,
        rf: EvId,
        /// `Some` for the read of a read-modify-write.
        rmw: Option<RmwRead>,
        /// Its reads-from was set by a backward revisit (it was then moved
        /// after the write it reads): not "maximally added".
        revisited: bool,
        /// `Some` for a read that can block its thread (a mutex
        /// acquisition, a condition-variable wake-up).
        block: Option<Block>,
    },
    /// A write (a store, a cell write, or the write of a read-modify-write,
    /// whose read is the thread's previous event).
    Write { mo: Mo, value: u64, rmw: bool },
    /// A fence, with its C11 order and the barrier it stands for.
    Fence {
        mo: Mo,
        barrier: Option<KernelBarrier>,
    },
    /// The thread spawned thread `child`.
    Spawn { child: usize },
    /// The thread joined thread `child`.
    Join { child: usize },
}

/// What makes a read block its thread: the thread goes on only if the
/// value read lets it (a blocked thread stays blocked in this graph; a
/// later write's backward revisit gives it another value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Block {
    /// A mutex acquisition (`lock`): blocked while the lock word it reads
    /// is not 0.
    Lock,
    /// A condition-variable waiter's wake-up: blocked while its `bit` is
    /// set in the waiter set it reads, unless it woke `spurious`ly.
    Wake { bit: u64, spurious: bool },
}

impl Block {
    /// Whether reading `value` leaves the thread blocked.
    pub(crate) fn blocks(self, value: u64) -> bool {
        match self {
            Block::Lock => value != 0,
            Block::Wake { bit, spurious } => !spurious && value & bit != 0,
        }
    }
}

/// The read of a read-modify-write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RmwRead {
    /// The order of a failed compare-exchange's read.
    pub(crate) failure: Mo,
    /// A compare-exchange's expected value (`None`: always writes).
    pub(crate) expected: Option<u64>,
    /// `compare_exchange_weak`.
    pub(crate) weak: bool,
    /// Failed spuriously (it only reads).
    pub(crate) spurious: bool,
}

/// An event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Event {
    /// The thread (shuttle's task id); `usize::MAX` for an initial write.
    pub(crate) thread: usize,
    /// The location, for a read or write.
    pub(crate) loc: Option<usize>,
    /// What it is.
    pub(crate) kind: Kind,
}

/// The thread of initial writes.
pub(crate) const INIT: usize = usize::MAX;

/// An execution graph (possibly partial).
#[derive(Clone, Debug, Default)]
pub(crate) struct Graph {
    /// Events in addition order.
    pub(crate) events: Vec<Event>,
    /// Per thread, its events in program order.
    pub(crate) threads: Vec<Vec<EvId>>,
    /// Per thread, the spawn event that created it (`None` for main).
    pub(crate) spawner: Vec<Option<EvId>>,
    /// Per location, the coherence order (the initial write first).
    pub(crate) co: Vec<Vec<EvId>>,
    /// Per location: an opaque cell (one whose value the explorer cannot
    /// set): its writes go coherence-last and its reads read the
    /// coherence-latest write when added (see `explorer.rs`).
    pub(crate) opaque: Vec<bool>,
    /// A backward revisit closed a po ∪ rf cycle (load buffering, under
    /// `arm`): a read now reads a write that depends, through po ∪ rf, on
    /// events po-after the read, which were made when the read read
    /// another value. The replay re-makes them with the new value; if the
    /// thread then does something else, they depended on the read, and the
    /// graph is abandoned (uncertified) instead of reported as a
    /// nondeterministic program.
    pub(crate) speculative: bool,
}

impl Graph {
    pub(crate) fn thread_mut(&mut self, t: usize) -> &mut Vec<EvId> {
        if self.threads.len() <= t {
            self.threads.resize_with(t + 1, Vec::new);
            self.spawner.resize(t + 1, None);
        }
        &mut self.threads[t]
    }

    /// Append an event (a read's rf and a write's coherence place are set
    /// by the caller).
    pub(crate) fn push(&mut self, e: Event) -> EvId {
        let id = self.events.len();
        if e.thread != INIT {
            self.thread_mut(e.thread).push(id);
        }
        self.events.push(e);
        id
    }

    /// A new location with its initial value, opaque or not.
    pub(crate) fn new_loc(&mut self, value: u64, opaque: bool) -> usize {
        let loc = self.co.len();
        self.opaque.push(opaque);
        let id = self.push(Event {
            thread: INIT,
            loc: Some(loc),
            kind: Kind::Init { value },
        });
        self.co.push(vec![id]);
        loc
    }

    /// The value a write wrote.
    pub(crate) fn value(&self, w: EvId) -> u64 {
        match self.events[w].kind {
            Kind::Write { value, .. } | Kind::Init { value } => value,
            _ => unreachable!("value of a non-write"),
        }
    }

    pub(crate) fn rf(&self, r: EvId) -> Option<EvId> {
        match self.events[r].kind {
            Kind::Read { rf, .. } => Some(rf),
            _ => None,
        }
    }

    pub(crate) fn set_rf(&mut self, r: EvId, w: EvId) {
        if let Kind::Read { rf, .. } = &mut self.events[r].kind {
            *rf = w;
        }
    }

    /// Whether the read-modify-write read `r` writes (its compare-exchange
    /// succeeds with the value it reads).
    pub(crate) fn rmw_succeeds(&self, r: EvId) -> bool {
        match self.events[r].kind {
            Kind::Read {
                rf, rmw: Some(x), ..
            } => !x.spurious && x.expected.is_none_or(|e| e == self.value(rf)),
            _ => false,
        }
    }

    /// Move write `w` in its location's coherence order to just after `after`.
    pub(crate) fn co_move_after(&mut self, w: EvId, after: EvId) {
        let l = self.events[w].loc.expect("a write has a location");
        self.co[l].retain(|&x| x != w);
        let i = self.co_pos(after);
        self.co[l].insert(i + 1, w);
    }

    /// Whether program order and reads-from have a cycle (load buffering).
    pub(crate) fn porf_cyclic(&self) -> bool {
        // A cycle passes through a read reading a write it is porf-before.
        self.events.iter().enumerate().any(|(r, ev)| match ev.kind {
            Kind::Read { rf, .. } => self.events[rf].thread != INIT && self.porf_suffix(r)[rf],
            _ => false,
        })
    }

    /// Position of `w` in its location's coherence order.
    pub(crate) fn co_pos(&self, w: EvId) -> usize {
        let l = self.events[w].loc.expect("a write has a location");
        self.co[l].iter().position(|&x| x == w).expect("placed")
    }

    /// The events porf-before `e` (program order with spawn and join, and
    /// reads-from), `e` excluded.
    pub(crate) fn porf_prefix(&self, e: EvId) -> Vec<bool> {
        // Each event's index in its thread, once (not searched per event).
        let index = self.thread_index();
        let mut seen = vec![false; self.events.len()];
        let mut stack = Vec::new();
        self.push_preds(e, &index, &mut stack);
        while let Some(x) = stack.pop() {
            if !seen[x] {
                seen[x] = true;
                self.push_preds(x, &index, &mut stack);
            }
        }
        seen
    }

    /// The lowest coherence index on location `l` that the next event of
    /// thread `t` may read, or place a write after: the latest, in `l`'s
    /// coherence order, of what that event certainly sees, the writes to
    /// `l` and the writes that reads of `l` read, among the events before
    /// it in program order (with spawn and join) and synchronization
    /// (a release write read by an acquire read of another thread).
    ///
    /// A read of an older write, or a write placed before it, is
    /// inconsistent under every model the explorer checks: in the same
    /// thread by coherence (CoWR, CoRR, CoWW, CoRW: sc-per-location); through a
    /// synchronization by `rc11`'s `hb ; eco?` and, under `arm`, by
    /// external ordering, whose `ob` holds every such path (`po ; [L]`,
    /// `rfe`, `[A] ; po` in aarch64.cat's `bob`, spawn and join as full
    /// barriers) and the `fre` or `coe` edge that closes the cycle; `tso`
    /// and `sc` keep every one of those edges. The explorer skips those
    /// candidates before checking them (the cross-check confirms each
    /// skipped one inconsistent).
    ///
    /// 0 (no floor) for a speculative graph (a load-buffering cycle: an
    /// edge may go backward in the addition order). `every_rf` (a
    /// mutation, `Mutation::FloorThroughEveryRf`): every reads-from
    /// synchronizes.
    pub(crate) fn coherence_floor(&self, t: usize, l: usize, every_rf: bool) -> usize {
        if self.speculative {
            return 0;
        }
        let nt = self.threads.len();
        let index = self.thread_index();
        // Per event, per thread: how many of that thread's events are
        // before it (itself included), in the addition order (every edge
        // goes forward in a graph that is not speculative).
        let mut vc = vec![0u32; self.events.len() * nt];
        let join = |vc: &mut [u32], into: usize, from: usize| {
            for u in 0..nt {
                vc[into * nt + u] = vc[into * nt + u].max(vc[from * nt + u]);
            }
        };
        let mut preds = Vec::with_capacity(3);
        for (e, ev) in self.events.iter().enumerate() {
            if ev.thread == INIT {
                continue;
            }
            preds.clear();
            self.push_po_preds(e, &index, &mut preds);
            if let Kind::Read { rf, mo, rmw, .. } = ev.kind {
                let mo = match rmw {
                    Some(x) if !self.rmw_succeeds(e) => x.failure,
                    _ => mo,
                };
                let releases =
                    matches!(self.events[rf].kind, Kind::Write { mo, .. } if mo.releases());
                if self.events[rf].thread != INIT && (every_rf || (mo.acquires() && releases)) {
                    preds.push(rf);
                }
            }
            for &p in &preds {
                if p >= e {
                    return 0;
                }
                join(&mut vc, e, p);
            }
            vc[e * nt + ev.thread] = index[e] as u32 + 1;
        }
        let seen: Vec<u32> = match self.threads.get(t).and_then(|th| th.last()) {
            Some(&last) => vc[last * nt..(last + 1) * nt].to_vec(),
            None => match self.spawner.get(t).copied().flatten() {
                Some(s) => vc[s * nt..(s + 1) * nt].to_vec(),
                None => return 0,
            },
        };
        let mut pos = vec![usize::MAX; self.events.len()];
        for (i, &w) in self.co[l].iter().enumerate() {
            pos[w] = i;
        }
        let mut floor = 0;
        for (u, th) in self.threads.iter().enumerate() {
            for &e in &th[..(seen[u] as usize).min(th.len())] {
                if self.events[e].loc != Some(l) {
                    continue;
                }
                let w = match self.events[e].kind {
                    Kind::Read { rf, .. } => rf,
                    Kind::Write { .. } => e,
                    _ => continue,
                };
                floor = floor.max(pos[w]);
            }
        }
        floor
    }

    /// Each event's index in its thread.
    fn thread_index(&self) -> Vec<usize> {
        let mut index = vec![0; self.events.len()];
        for th in &self.threads {
            for (i, &x) in th.iter().enumerate() {
                index[x] = i;
            }
        }
        index
    }

    /// The events porf-after `e` (`e` excluded).
    pub(crate) fn porf_suffix(&self, e: EvId) -> Vec<bool> {
        let index = self.thread_index();
        let mut succ: Vec<Vec<EvId>> = vec![Vec::new(); self.events.len()];
        let mut preds = Vec::new();
        for x in 0..self.events.len() {
            preds.clear();
            self.push_preds(x, &index, &mut preds);
            for &p in &preds {
                succ[p].push(x);
            }
        }
        let mut seen = vec![false; self.events.len()];
        let mut stack = succ[e].clone();
        while let Some(x) = stack.pop() {
            if !seen[x] {
                seen[x] = true;
                stack.extend(succ[x].iter().copied());
            }
        }
        seen[e] = false;
        seen
    }

    /// Extend `keep` with everything porf-before a kept event. A no-op
    /// unless the graph is speculative: otherwise every read was added
    /// after the write it reads (or moved after it by its revisit), and the
    /// events added up to any point are porf-closed. A load-buffering
    /// revisit leaves its read where it was, before the write it reads.
    pub(crate) fn porf_close(&self, keep: &mut [bool]) {
        if !self.speculative {
            return;
        }
        let index = self.thread_index();
        let mut stack: Vec<EvId> = (0..keep.len()).filter(|&i| keep[i]).collect();
        let mut preds = Vec::new();
        while let Some(x) = stack.pop() {
            preds.clear();
            self.push_preds(x, &index, &mut preds);
            for &p in &preds {
                if !keep[p] {
                    keep[p] = true;
                    stack.push(p);
                }
            }
        }
    }

    /// Push `e`'s immediate po and rf predecessors (`index`: each event's
    /// index in its thread).
    fn push_preds(&self, e: EvId, index: &[usize], out: &mut Vec<EvId>) {
        self.push_po_preds(e, index, out);
        if let Kind::Read { rf, .. } = self.events[e].kind {
            out.push(rf);
        }
    }

    /// Push `e`'s immediate program-order predecessors: the previous event
    /// of its thread (or the spawn that started it), and for a join the
    /// joined thread's last event.
    fn push_po_preds(&self, e: EvId, index: &[usize], out: &mut Vec<EvId>) {
        let ev = &self.events[e];
        if ev.thread == INIT {
            return;
        }
        let i = index[e];
        if i > 0 {
            out.push(self.threads[ev.thread][i - 1]);
        } else if let Some(s) = self.spawner.get(ev.thread).copied().flatten() {
            out.push(s);
        }
        if let Kind::Join { child } = ev.kind {
            if let Some(&last) = self.threads.get(child).and_then(|t| t.last()) {
                out.push(last);
            }
        }
    }

    /// The graph restricted to the events `keep` marks (initial writes of
    /// locations no kept event touches go too), events and locations
    /// renumbered in order; returns the graph and the old-to-new map.
    pub(crate) fn restrict(&self, keep: &[bool], last: Option<EvId>) -> (Graph, Vec<Option<EvId>>) {
        let mut keep = keep.to_vec();
        let mut used = vec![false; self.co.len()];
        for (i, e) in self.events.iter().enumerate() {
            if keep[i] && e.thread != INIT {
                if let Some(l) = e.loc {
                    used[l] = true;
                }
            }
        }
        for (i, e) in self.events.iter().enumerate() {
            if e.thread == INIT {
                keep[i] = used[e.loc.expect("init has a loc")];
            }
        }
        // The new order: the kept events, `last` moved to the end.
        let order: Vec<EvId> = (0..self.events.len())
            .filter(|&i| keep[i] && Some(i) != last)
            .chain(last)
            .collect();
        let mut map = vec![None; self.events.len()];
        for (n, &i) in order.iter().enumerate() {
            map[i] = Some(n);
        }
        let n = order.len();
        let mut locmap = vec![None; self.co.len()];
        let mut nl = 0;
        for e in &self.events {
            if e.thread == INIT {
                let l = e.loc.expect("init has a loc");
                if used[l] {
                    locmap[l] = Some(nl);
                    nl += 1;
                }
            }
        }
        let mut g = Graph {
            events: Vec::with_capacity(n),
            threads: vec![Vec::new(); self.threads.len()],
            spawner: self
                .spawner
                .iter()
                .map(|s| s.and_then(|s| map[s]))
                .collect(),
            co: vec![Vec::new(); nl],
            opaque: vec![false; nl],
            speculative: self.speculative,
        };
        for (l, &o) in self.opaque.iter().enumerate() {
            if let Some(nl) = locmap[l] {
                g.opaque[nl] = o;
            }
        }
        for &i in &order {
            let mut e = self.events[i].clone();
            e.loc = e.loc.map(|l| locmap[l].expect("used location"));
            if let Kind::Read { rf, .. } = &mut e.kind {
                // A kept read whose write was deleted is set by the caller
                // (the revisited read); others keep theirs.
                *rf = map[*rf].unwrap_or(usize::MAX);
            }
            g.push(e);
        }
        for (l, order) in self.co.iter().enumerate() {
            if let Some(nl) = locmap[l] {
                g.co[nl] = order.iter().filter_map(|&w| map[w]).collect();
            }
        }
        (g, map)
    }

    /// A hash of the graph up to the addition order: per thread its events
    /// with their reads-from and coherence, events named by (thread, index)
    /// and locations by their first access.
    pub(crate) fn canonical_hash(&self) -> u64 {
        let name = |e: EvId| -> (usize, usize) {
            let ev = &self.events[e];
            if ev.thread == INIT {
                (INIT, self.loc_key(ev.loc.expect("loc")).0)
            } else {
                let i = self.threads[ev.thread]
                    .iter()
                    .position(|&x| x == e)
                    .unwrap_or(0);
                (ev.thread, i)
            }
        };
        let mut h = DefaultHasher::new();
        for (t, th) in self.threads.iter().enumerate() {
            t.hash(&mut h);
            for &e in th {
                let ev = &self.events[e];
                ev.loc.map(|l| self.loc_key(l)).hash(&mut h);
                match &ev.kind {
                    Kind::Read {
                        mo, rf, rmw, block, ..
                    } => {
                        (0u8, mo, rmw, block, name(*rf)).hash(&mut h);
                    }
                    Kind::Write { mo, value, rmw } => {
                        (1u8, mo, value, rmw, self.co_pos(e)).hash(&mut h);
                        let l = ev.loc.expect("loc");
                        let order: Vec<_> = self.co[l].iter().map(|&w| name(w)).collect();
                        order.hash(&mut h);
                    }
                    other => (2u8, other).hash(&mut h),
                }
            }
        }
        h.finish()
    }

    /// A location's name independent of the addition order: its first
    /// access in (thread, index) order.
    fn loc_key(&self, l: usize) -> (usize, usize) {
        let mut best = (usize::MAX, usize::MAX);
        for (t, th) in self.threads.iter().enumerate() {
            for (i, &e) in th.iter().enumerate() {
                if self.events[e].loc == Some(l) {
                    best = best.min((t, i));
                }
            }
        }
        best
    }
}
