//! Events described for a reader: which store a load read (inferred by
//! value), an event in words, its ordering and site, and the flat
//! one-line-per-event view. The recorder (`crate::sync::trace`) only
//! records; everything that turns a trace into words is here.

use std::fmt::Write as _;

use crate::sync::ordering::short;
use crate::sync::trace::{Event, Op, Trace};

/// Which store a load read, **as far as the trace can tell**: inferred by
/// value from the events in trace (execution) order, see
/// [`read_from`]. Indices are positions in [`Trace::events`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    /// The most recent earlier write to the same address, in trace order,
    /// wrote the value read.
    Latest {
        /// That write.
        store: usize,
    },
    /// The value read was written by an older store than the most recent
    /// one in trace order (the most recent earlier store of that value is
    /// named; an older one of the same value cannot be told apart).
    Stale {
        /// The most recent earlier write of the value read.
        store: usize,
        /// The most recent earlier write to the address (another value).
        latest: usize,
    },
    /// No write of the value read is in the trace and no event was dropped:
    /// the value the object was created with.
    Initial {
        /// The most recent earlier write to the address, if any (then the
        /// load is stale: it read the initial value after that write).
        latest: Option<usize>,
    },
    /// No kept write of the value read, and earlier events were dropped by
    /// the trace cap: it may have been written by one of them.
    Unknown {
        /// The most recent earlier kept write to the address, if any.
        latest: Option<usize>,
    },
    /// Under x86-TSO: the load was served from the thread's own store
    /// buffer ([`Op::Forwarded`]), by its newest buffered store to the
    /// address.
    Forwarded {
        /// That [`Op::Buffered`] store.
        store: usize,
    },
}

/// For each event (same positions as [`Trace::events`]), which store it
/// read, for atomic loads and the read half of read-modify-writes
/// (`None` for every other event, and for objects with no address).
///
/// **Inferred by value, in trace order.** The trace order is the order
/// the explorer ran the operations, not the location's modification
/// order as the memory model sees it: loom keeps a history of the last
/// stores of each atomic and lets a load read an older one, and it does
/// not say which through its public API. So: if the most recent earlier
/// write to the same address wrote the value read, the load is
/// [`ReadFrom::Latest`]; otherwise it read an older store, and the most
/// recent earlier store *of that value* is named ([`ReadFrom::Stale`]);
/// with no such store it read the initial value ([`ReadFrom::Initial`]),
/// or, when the trace cap dropped earlier events, nothing can be said
/// ([`ReadFrom::Unknown`]). Two stores of the same value cannot be told
/// apart.
///
/// Under x86-TSO a store writes memory at its [`Op::Flush`], not where it
/// entered the buffer ([`Op::Buffered`]): only the flush counts as a write
/// here. A load served from the thread's own buffer ([`Op::Forwarded`])
/// read the thread's newest earlier buffered store to the address
/// ([`ReadFrom::Forwarded`]).
pub fn read_from(trace: &Trace) -> Vec<Option<ReadFrom>> {
    trace
        .events
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            let v = ev.read.as_ref()?.raw;
            if ev.addr == 0 {
                return None;
            }
            let same = |j: &usize| trace.events[*j].addr == ev.addr;
            if ev.op == Op::Forwarded {
                let own = (0..i).rev().filter(same).find(|&j| {
                    trace.events[j].lane == ev.lane && trace.events[j].op == Op::Buffered
                });
                return Some(match own {
                    Some(store) => ReadFrom::Forwarded { store },
                    None => ReadFrom::Unknown { latest: None },
                });
            }
            let writes = (0..i)
                .rev()
                .filter(same)
                .filter(|&j| trace.events[j].op != Op::Buffered)
                .filter_map(|j| Some((j, trace.events[j].wrote.as_ref()?.raw)));
            let mut latest = None;
            for (j, w) in writes {
                if latest.is_none() {
                    latest = Some(j);
                    if w == v {
                        return Some(ReadFrom::Latest { store: j });
                    }
                } else if w == v {
                    return Some(ReadFrom::Stale {
                        store: j,
                        latest: latest.unwrap_or(j),
                    });
                }
            }
            Some(if trace.dropped > 0 {
                ReadFrom::Unknown { latest }
            } else {
                ReadFrom::Initial { latest }
            })
        })
        .collect()
}

/// One line about a [`ReadFrom`]: `latest: reads #4 (writer)`,
/// `stale: reads #3 (writer); latest in trace order was #5 = 2`,
/// `initial value (no store in the trace)`, ...
pub fn describe_read_from(trace: &Trace, rf: &ReadFrom) -> String {
    let at = |j: usize| {
        format!(
            "#{} ({})",
            trace.number(j),
            trace.thread_name(trace.events[j].lane)
        )
    };
    let latest = |j: usize| {
        format!(
            "latest in trace order was #{} = {}",
            trace.number(j),
            trace.events[j]
                .wrote
                .as_ref()
                .map(|v| v.shown.as_str())
                .unwrap_or("?")
        )
    };
    match *rf {
        ReadFrom::Latest { store } => format!("latest: reads {}", at(store)),
        ReadFrom::Stale { store, latest: l } => {
            format!("stale: reads {}; {}", at(store), latest(l))
        }
        ReadFrom::Initial { latest: None } if has_buffer_events(trace) => {
            "initial value (no store to it had reached memory)".into()
        }
        ReadFrom::Initial { latest: None } => "initial value (no store in the trace)".into(),
        ReadFrom::Initial { latest: Some(l) } => format!(
            "stale: initial value (no store of it in the trace); {}",
            latest(l)
        ),
        ReadFrom::Unknown { latest: None } => "unknown: earlier events dropped".into(),
        ReadFrom::Unknown { latest: Some(l) } => {
            format!("unknown: earlier events dropped; {}", latest(l))
        }
        ReadFrom::Forwarded { store } => {
            format!(
                "forwarded: its own buffered store #{}, not yet in memory",
                trace.number(store)
            )
        }
    }
}

/// True if the trace has x86-TSO store-buffer events (buffered stores,
/// flushes, forwarded loads): the views then explain them.
pub fn has_buffer_events(trace: &Trace) -> bool {
    trace
        .events
        .iter()
        .any(|e| matches!(e.op, Op::Buffered | Op::Flush | Op::Forwarded))
}

/// The line the views print to explain store-buffer events.
pub const BUFFER_LEGEND: &str =
    "x86-TSO: \"(buffered)\" a store entered its thread's store buffer, \
     invisible to other threads; \"flush\" it reached memory; \"(forwarded)\" a load read its \
     thread's own buffered store";

/// Render as a counterexample, the flat view: one line per event, the
/// thread clearly marked and indented into its own lane, then `failure`
/// at the end. The swimlane view is [`super::swimlane`].
pub fn flat(trace: &Trace, failure: Option<&str>) -> String {
    let mut out = String::new();
    let lanes = trace.threads.len().max(1);
    let _ = writeln!(
        out,
        "threads: {}",
        trace
            .threads
            .iter()
            .enumerate()
            .map(|(i, n)| format!("[{i}] {n}"))
            .collect::<Vec<_>>()
            .join("  ")
    );
    if trace.dropped > 0 {
        let _ = writeln!(
            out,
            "  ... {} earlier events not kept (trace cap)",
            trace.dropped
        );
    }
    let width = trace
        .threads
        .iter()
        .map(|n| n.len())
        .max()
        .unwrap_or(4)
        .max(4);
    if has_buffer_events(trace) {
        let _ = writeln!(out, "{BUFFER_LEGEND}");
    }
    let rf = read_from(trace);
    for (i, ev) in trace.events.iter().enumerate() {
        let name = trace
            .threads
            .get(ev.lane)
            .map(String::as_str)
            .unwrap_or("?");
        let indent = "  ".repeat(ev.lane.min(lanes));
        let _ = write!(
            out,
            "{:>4} {:<width$} |{}{}",
            trace.first_index + i + 1,
            name,
            indent,
            line(ev)
        );
        match &rf[i] {
            Some(r) => {
                let _ = writeln!(out, "  <- {}", describe_read_from(trace, r));
            }
            None => out.push('\n'),
        }
    }
    if let Some(f) = failure {
        let _ = writeln!(out, "FAILED: {f}");
    }
    out
}

/// What the event did, in words: operation, object, value
/// (`store flag = 1`, `load p_tidhash -> table#2`, `lock p_lock`). Under
/// x86-TSO: `store flag = 1 (buffered)`, `flush flag = 1 (buffered at
/// #3)`, `load flag -> 1 (forwarded)`.
pub fn what(ev: &Event) -> String {
    let (mut s, tag) = match ev.op {
        Op::Buffered => ("store".to_string(), " (buffered)"),
        Op::Forwarded => ("load".to_string(), " (forwarded)"),
        _ => (ev.op.name(), ""),
    };
    if !ev.object.is_empty() {
        s.push(' ');
        s.push_str(&ev.object);
    }
    if !ev.detail.is_empty() {
        s.push(' ');
        s.push_str(&ev.detail);
    }
    s.push_str(tag);
    s
}

/// The ordering as written, and as run when the profile or the plan
/// changed it: `[Relaxed]`, `[Relaxed as Release]`, `[Release dropped]`
/// (a fence the profile removed); `None` for non-atomic events.
pub fn ordering(ev: &Event) -> Option<String> {
    match (ev.written, ev.run) {
        (Some(w), Some(r)) if w == r => Some(format!("[{}]", short(w))),
        (Some(w), Some(r)) => Some(format!("[{} as {}]", short(w), short(r))),
        (Some(w), None) => Some(format!("[{} dropped]", short(w))),
        _ => None,
    }
}

/// The site as `file:line`, or `(guard dropped)` for a lock released by
/// going out of scope.
pub fn site_text(ev: &Event) -> String {
    match ev.site {
        Some(s) => s.to_string(),
        None => "(guard dropped)".into(),
    }
}

/// One event on one line: what, ordering, site (`load flag -> 1  [Acquire]  @ models/x.rs:3`).
pub fn line(ev: &Event) -> String {
    let mut s = what(ev);
    if let Some(o) = ordering(ev) {
        s.push_str("  ");
        s.push_str(&o);
    }
    s.push_str("  @ ");
    s.push_str(&site_text(ev));
    s
}
