//! Views of a counterexample for a reader: the swimlane text view (the
//! default of `lwpcheck run` and of
//! [`counterexample`]) and a
//! self-contained HTML page ([`html`]).
//!
//! Both show one column per thread, time going down, and for each event the
//! operation, object, value, ordering (as written, and as run when the
//! profile or the plan changed it), the site, and for loads which store they
//! read as far as the trace can tell ([`read_from`]: inferred by value
//! in trace order, not loom's modification order). The failing event is
//! marked; the rule is [`failing_event`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::explore::Failure;
use crate::explore::{Outcome, Verdict};
use crate::sync::trace::{Event, Op, Trace};

pub mod describe;

pub use describe::{describe_read_from, flat, has_buffer_events, read_from, ReadFrom};
use describe::{site_text, what};

/// The terminal width the swimlane view is laid out for by default.
pub const WIDTH: usize = 140;

/// The counterexample of `outcome` in the swimlane view ([`swimlane`], one
/// column per thread, laid out for [`WIDTH`] columns): trace, failure, and
/// how to replay it. Empty on a pass.
pub fn counterexample(outcome: &Outcome) -> String {
    with_replay(outcome, |f| swimlane(&outcome.trace, Some(f), WIDTH))
}

/// The counterexample in the flat view ([`flat`]: one line per event), with
/// the failure and how to replay it. Empty on a pass.
pub fn counterexample_flat(outcome: &Outcome) -> String {
    with_replay(outcome, |f| flat(&outcome.trace, Some(&f.to_string())))
}

/// The counterexample as a self-contained HTML page ([`html`]) titled
/// `title`; `None` on a pass.
pub fn counterexample_html(outcome: &Outcome, title: &str) -> Option<String> {
    match &outcome.verdict {
        Verdict::Pass => None,
        Verdict::Fail(f) => Some(html(&outcome.trace, Some(f), title)),
    }
}

fn with_replay(outcome: &Outcome, view: impl FnOnce(&Failure) -> String) -> String {
    match &outcome.verdict {
        Verdict::Pass => String::new(),
        Verdict::Fail(f) => {
            let mut s = view(f);
            if let Some(sch) = &outcome.schedule {
                s.push_str(&format!("replay with schedule: {sch}\n"));
            }
            s
        }
    }
}

/// The event to blame for `failure`, as a position in [`Trace::events`]:
///
/// 1. the last event at the failure's site (`file:line`), preferring the
///    thread that raised it when known ([`Trace::failing_lane`]);
/// 2. otherwise the last event of the thread that raised it (a
///    [`prop!`](crate::prop) or [`violation`](crate::explore::violation) is
///    usually a line after the loads it judges, so this is the last thing
///    that thread did);
/// 3. otherwise (a failure the explorer raised: data race, deadlock, leak,
///    a plain panic) the last event of the trace, which under loom and
///    shuttle is almost always the running thread's.
///
/// `None` when there is no failure or no event.
pub fn failing_event(trace: &Trace, failure: Option<&Failure>) -> Option<usize> {
    failure?;
    let evs = &trace.events;
    let last = |pred: &dyn Fn(&Event) -> bool| evs.iter().rposition(pred);
    let lane = trace.failing_lane;
    if let Some(site) = failure.and_then(|f| f.site.as_deref()) {
        let at = |e: &Event| e.site.is_some_and(|s| s.to_string() == site);
        if let Some(i) = lane.and_then(|l| last(&|e| e.lane == l && at(e))) {
            return Some(i);
        }
        if let Some(i) = last(&at) {
            return Some(i);
        }
    }
    if let Some(i) = lane.and_then(|l| last(&|e| e.lane == l)) {
        return Some(i);
    }
    evs.len().checked_sub(1)
}

/// Break `text` into lines of at most `width` characters at spaces (a word
/// longer than a line is cut); continuation lines start with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let width = width.max(indent.chars().count() + 4);
    let mut lines: Vec<String> = Vec::new();
    // Keep the text's own leading spaces on its first line.
    let lead = &text[..text.len() - text.trim_start_matches(' ').len()];
    let mut cur = lead.to_string();
    let mut len = lead.len();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let sep = usize::from(!cur.trim().is_empty());
            if len + sep + word.len() <= width {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                len += sep + word.len();
                break;
            }
            if !cur.trim().is_empty() {
                lines.push(std::mem::take(&mut cur));
                cur.push_str(indent);
                len = indent.chars().count();
                continue;
            }
            // A word longer than a whole line: cut it.
            let room = width - len;
            cur.extend(word.drain(..room));
            lines.push(std::mem::take(&mut cur));
            cur.push_str(indent);
            len = indent.chars().count();
        }
    }
    if !cur.trim().is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// The swimlane view: one column per thread, time going down, each event in
/// its thread's column (operation, object and value; ordering and site;
/// `<-` which store a load read), the failing event marked `!!`, and the
/// broken property at the bottom. Laid out for a terminal `width` columns
/// wide ([`WIDTH`] is the default); columns never get narrower than 18.
pub fn swimlane(trace: &Trace, failure: Option<&Failure>, width: usize) -> String {
    let mut out = String::new();
    let lanes = trace.threads.len().max(1);
    let numw = trace.number(trace.events.len()).to_string().len().max(3) + 1;
    let sep = " | ";
    let colw = (width.saturating_sub(numw + 1 + sep.len() * (lanes - 1)) / lanes).clamp(18, 60);
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
    let _ = writeln!(
        out,
        "<- which store a load read, inferred by value in trace order; !! the failing event"
    );
    if has_buffer_events(trace) {
        for l in wrap(describe::BUFFER_LEGEND, width, "  ") {
            let _ = writeln!(out, "{l}");
        }
    }
    let row = |num: &str, cells: &[String]| -> String {
        let mut line = format!("{num:>numw$} ");
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str(sep);
            }
            line.push_str(&pad(c, colw));
        }
        line.trim_end().to_string() + "\n"
    };
    let names: Vec<String> = (0..lanes)
        .map(|l| pad(&format!("[{l}] {}", trace.thread_name(l)), colw))
        .map(|s| s.chars().take(colw).collect())
        .collect();
    out.push_str(&row("#", &names));
    out.push_str(&format!(
        "{}-{}\n",
        "-".repeat(numw),
        vec!["-".repeat(colw); lanes].join("-+-")
    ));
    if trace.dropped > 0 {
        let _ = writeln!(
            out,
            "  ... {} earlier events not kept (trace cap)",
            trace.dropped
        );
    }
    let rf = read_from(trace);
    let failing = failing_event(trace, failure);
    for (i, ev) in trace.events.iter().enumerate() {
        let mark = if failing == Some(i) { "!! " } else { "" };
        let mut lines = wrap(&format!("{mark}{}", what(ev)), colw, "  ");
        let site = site_text(ev);
        match describe::ordering(ev) {
            Some(o) if o.len() + site.len() + 3 <= colw => {
                lines.push(format!("  {o} {site}"));
            }
            Some(o) => {
                lines.extend(wrap(&format!("  {o}"), colw, "  "));
                lines.extend(wrap(&format!("  {site}"), colw, "  "));
            }
            None => lines.extend(wrap(&format!("  {site}"), colw, "  ")),
        }
        if let Some(r) = &rf[i] {
            lines.extend(wrap(
                &format!("  <- {}", describe_read_from(trace, r)),
                colw,
                "     ",
            ));
        }
        for (k, l) in lines.iter().enumerate() {
            let mut cells = vec![String::new(); lanes];
            cells[ev.lane.min(lanes - 1)] = l.clone();
            let num = if k == 0 {
                trace.number(i).to_string()
            } else {
                String::new()
            };
            out.push_str(&row(&num, &cells));
        }
    }
    if let Some(f) = failure {
        let _ = writeln!(out, "FAILED: {f}");
        if let Some(i) = failing {
            let ev = &trace.events[i];
            let _ = writeln!(
                out,
                "   failing event: #{} in {} ({}), marked !!",
                trace.number(i),
                trace.thread_name(ev.lane),
                site_text(ev)
            );
        }
    }
    out
}

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Lane header colours of the HTML page, by lane (cycled past the sixth).
pub const LANE_COLOURS: [&str; 6] = [
    "#2b6cb0", "#2f855a", "#805ad5", "#c05621", "#2c7a7b", "#b83280",
];
/// The pale tint of each lane's column, same order as [`LANE_COLOURS`].
const LANE_TINTS: [&str; 6] = [
    "#eef4fb", "#eef7f1", "#f4f0fc", "#fbf1ea", "#ebf6f6", "#faeff5",
];
/// Background of the failing event's card on the HTML page.
pub const FAILING_COLOUR: &str = "#ffe066";

const CSS: &str = r#"
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a202c; background: #fff; }
header { padding: 14px 20px 8px; }
h1 { font-size: 18px; margin: 0 0 4px; }
.sub { color: #4a5568; margin: 0; }
.sub a { color: #9b2c2c; font-weight: 600; }
.grid { display: grid; column-gap: 8px; row-gap: 6px; padding: 0 20px 12px; }
.hd { position: sticky; top: 0; z-index: 3; padding: 7px 10px; font-weight: 700; color: #fff; border-radius: 0 0 4px 4px; }
.hd.num { background: #4a5568; text-align: right; }
.stripe { border-radius: 4px; }
.num { text-align: right; padding: 6px 4px 0 0; font: 12px/1.2 ui-monospace, "DejaVu Sans Mono", monospace; color: #718096; }
.num a { color: inherit; text-decoration: none; }
.ev { position: relative; z-index: 1; margin: 0 6px; background: #fff; border: 1px solid #cbd5e0; border-left-width: 5px; border-radius: 4px; padding: 5px 8px 6px; min-width: 0; }
.ev.fail { border: 3px solid #c53030; border-left-width: 5px; }
.what { font: 600 13px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.meta { font-size: 12px; color: #718096; margin-top: 2px; overflow-wrap: anywhere; }
.ev { scroll-margin-top: 40px; }
.ord { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: #2d3748; }
.ord .as { color: #dd6b20; font-weight: 600; }
.rf { font-size: 12px; margin-top: 3px; padding: 1px 5px; border-radius: 3px; overflow-wrap: anywhere; }
.rf.latest { background: #e6f4ea; color: #22543d; }
.rf.stale { background: #fde8d7; color: #7b341e; font-weight: 600; }
.rf.unknown { background: #edf2f7; color: #4a5568; }
.rf.fwd { background: #e9e3fb; color: #44337a; }
.ev.buffered { border-style: dashed; }
.ev.flush { background: #f2f6fc; }
.tag { font: 600 11px/1.2 system-ui, sans-serif; border-radius: 3px; padding: 0 4px; margin-left: 6px; vertical-align: 1px; }
.tag.buffered { background: #fefcbf; color: #744210; }
.tag.flush { background: #bee3f8; color: #2a4365; }
.tag.forwarded { background: #e9e3fb; color: #44337a; }
pre.src { margin: 5px 0 0; padding: 3px 0; font: 11px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; background: #f7fafc; border-radius: 3px; overflow-x: auto; }
pre.src span { display: block; padding: 0 6px; white-space: pre; }
pre.src .at { background: #fefcbf; }
pre.src i { font-style: normal; color: #a0aec0; display: inline-block; min-width: 3.2em; }
.nosrc { font-size: 11px; color: #a0aec0; margin-top: 4px; }
.failure { margin: 6px 20px 12px; padding: 10px 14px; background: #fff5f5; border: 2px solid #c53030; border-radius: 6px; }
.failure h2 { margin: 0 0 4px; font-size: 15px; color: #9b2c2c; }
.failure pre { margin: 0; white-space: pre-wrap; font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.legend { margin: 0 20px 24px; color: #4a5568; font-size: 12px; }
.legend span.k { display: inline-block; margin: 2px 14px 2px 0; }
.legend b { display: inline-block; width: 14px; height: 12px; vertical-align: -2px; margin-right: 4px; border-radius: 2px; }
"#;

/// The source lines around `line` (1-based) in `text`: one before, the
/// line, one after, with their numbers, dedented together.
fn snippet(text: &[String], line: u32) -> Option<Vec<(u32, String, bool)>> {
    let at = line as usize;
    if at == 0 || at > text.len() {
        return None;
    }
    let lo = at.saturating_sub(1).max(1);
    let hi = (at + 1).min(text.len());
    let lines: Vec<(u32, &str)> = (lo..=hi)
        .map(|n| (n as u32, text[n - 1].as_str()))
        .collect();
    let indent = lines
        .iter()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    Some(
        lines
            .into_iter()
            .map(|(n, l)| {
                (
                    n,
                    l.get(indent..).unwrap_or("").to_string(),
                    n as usize == at,
                )
            })
            .collect(),
    )
}

/// A self-contained HTML page of a counterexample: one column per thread,
/// events in time order, each with the model's source around its site (read
/// now from the crate's directory, `CARGO_MANIFEST_DIR`; a missing file is
/// shown as such), the failing event highlighted ([`failing_event`]), the
/// failure at the bottom and a legend. No scripts, no fonts, nothing
/// fetched: the page can be opened offline or attached to a bug.
pub fn html(trace: &Trace, failure: Option<&Failure>, title: &str) -> String {
    html_with_sources(trace, failure, title, Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// [`html`], reading the sources relative to `root`.
pub fn html_with_sources(
    trace: &Trace,
    failure: Option<&Failure>,
    title: &str,
    root: &Path,
) -> String {
    let lanes = trace.threads.len().max(1);
    let failing = failing_event(trace, failure);
    let rf = read_from(trace);
    let mut files: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>{CSS}",
        escape(title)
    );
    for l in 0..lanes {
        let _ = writeln!(
            o,
            ".lane{l} {{ border-left-color: {}; }} .stripe.lane{l} {{ background: {}; }} .hd.lane{l} {{ background: {}; }}",
            LANE_COLOURS[l % 6],
            LANE_TINTS[l % 6],
            LANE_COLOURS[l % 6]
        );
    }
    let _ = writeln!(o, ".ev.fail {{ background: {FAILING_COLOUR}; }}");
    o.push_str("</style></head><body>\n<header>");
    let _ = write!(o, "<h1>{}</h1><p class=\"sub\">", escape(title));
    let _ = write!(
        o,
        "{} thread{}, {} event{}",
        lanes,
        if lanes == 1 { "" } else { "s" },
        trace.events.len(),
        if trace.events.len() == 1 { "" } else { "s" }
    );
    if trace.dropped > 0 {
        let _ = write!(
            o,
            " (the {} earlier ones not kept: trace cap)",
            trace.dropped
        );
    }
    if let Some(i) = failing {
        let _ = write!(
            o,
            ". <a href=\"#ev{n}\">Failing event: #{n} in {}</a>",
            escape(trace.thread_name(trace.events[i].lane)),
            n = trace.number(i)
        );
    }
    o.push_str("</p></header>\n");
    let _ = write!(
        o,
        "<div class=\"grid\" style=\"grid-template-columns: 3.2em repeat({lanes}, minmax(0, 1fr))\">\n\
         <div class=\"hd num\" style=\"grid-row:1;grid-column:1\">#</div>\n"
    );
    for l in 0..lanes {
        let _ = writeln!(
            o,
            "<div class=\"hd lane{l}\" style=\"grid-row:1;grid-column:{}\">[{l}] {}</div>",
            l + 2,
            escape(trace.thread_name(l))
        );
        if !trace.events.is_empty() {
            let _ = writeln!(
                o,
                "<div class=\"stripe lane{l}\" style=\"grid-row:2 / span {};grid-column:{}\"></div>",
                trace.events.len(),
                l + 2
            );
        }
    }
    for (i, ev) in trace.events.iter().enumerate() {
        let row = i + 2;
        let n = trace.number(i);
        let lane = ev.lane.min(lanes - 1);
        let _ = writeln!(
            o,
            "<div class=\"num\" style=\"grid-row:{row};grid-column:1\"><a href=\"#ev{n}\">{n}</a></div>"
        );
        let tso = match ev.op {
            Op::Buffered => Some((
                "buffered",
                "in its store buffer: not visible to other threads",
            )),
            Op::Flush => Some((
                "flush",
                "reaches memory: visible to other threads from here",
            )),
            Op::Forwarded => Some(("forwarded", "read from its own store buffer")),
            _ => None,
        };
        let _ = write!(
            o,
            "<div class=\"ev lane{lane}{}{}\" id=\"ev{n}\" style=\"grid-row:{row};grid-column:{}\">",
            if failing == Some(i) { " fail" } else { "" },
            tso.map(|(c, _)| format!(" {c}")).unwrap_or_default(),
            lane + 2
        );
        let _ = write!(o, "<div class=\"what\">{}", escape(&what(ev)));
        if let Some((c, title)) = tso {
            let _ = write!(o, "<span class=\"tag {c}\" title=\"{title}\">{c}</span>");
        }
        o.push_str("</div>");
        o.push_str("<div class=\"meta\">");
        match (ev.written, ev.run) {
            (Some(w), Some(r)) if w != r => {
                let _ = write!(
                    o,
                    "<span class=\"ord\">{:?} <span class=\"as\">as {:?}</span></span> ",
                    w, r
                );
            }
            (Some(w), None) => {
                let _ = write!(
                    o,
                    "<span class=\"ord\">{w:?} <span class=\"as\">dropped</span></span> "
                );
            }
            (Some(w), Some(_)) => {
                let _ = write!(o, "<span class=\"ord\">{w:?}</span> ");
            }
            _ => {}
        }
        let _ = write!(
            o,
            "<span class=\"site\">@ {}</span></div>",
            escape(&site_text(ev))
        );
        if let Some(r) = &rf[i] {
            let class = match r {
                ReadFrom::Latest { .. } | ReadFrom::Initial { latest: None } => "latest",
                ReadFrom::Stale { .. } | ReadFrom::Initial { latest: Some(_) } => "stale",
                ReadFrom::Unknown { .. } => "unknown",
                ReadFrom::Forwarded { .. } => "fwd",
            };
            let _ = write!(
                o,
                "<div class=\"rf {class}\">&larr; {}</div>",
                escape(&describe_read_from(trace, r))
            );
        }
        if let Some(site) = ev.site {
            let text = files.entry(site.file).or_insert_with(|| {
                std::fs::read_to_string(root.join(site.file))
                    .ok()
                    .map(|t| t.lines().map(str::to_owned).collect())
            });
            match text.as_deref().and_then(|t| snippet(t, site.line)) {
                Some(lines) => {
                    o.push_str("<pre class=\"src\">");
                    for (num, l, at) in lines {
                        let _ = write!(
                            o,
                            "<span{}><i>{num}</i>{}</span>",
                            if at { " class=\"at\"" } else { "" },
                            escape(&l)
                        );
                    }
                    o.push_str("</pre>");
                }
                None => {
                    let _ = write!(
                        o,
                        "<div class=\"nosrc\">(source not available: {})</div>",
                        escape(&site.to_string())
                    );
                }
            }
        }
        o.push_str("</div>\n");
    }
    o.push_str("</div>\n");
    if let Some(f) = failure {
        let _ = writeln!(
            o,
            "<section class=\"failure\"><h2>Failed: {}</h2><pre>{}</pre></section>",
            escape(f.kind.name()),
            escape(&f.to_string())
        );
    }
    o.push_str(
        "<div class=\"legend\"><span class=\"k\"><b style=\"border:2px solid #c53030;background:#fff5c2\"></b>failing event (see the rule in the docs of lwpcheck::view::failing_event)</span>\
         <span class=\"k\"><b style=\"background:#e6f4ea\"></b>&larr; load read the latest store in trace order</span>\
         <span class=\"k\"><b style=\"background:#fde8d7\"></b>&larr; load read an older store (stale)</span>\
         <span class=\"k\"><b style=\"background:#fefcbf\"></b>the line of the event</span>\
         <span class=\"k\"><span class=\"ord\">Relaxed <span class=\"as\">as Release</span></span>: ordering as written, and as run under the profile or plan</span><br>\
         Which store a load read is inferred by value from the events in trace (execution) order, not from loom's \
         modification order: loom may let a load read an older store of its history and does not say which one.",
    );
    if has_buffer_events(trace) {
        let _ = write!(
            o,
            "<br><span class=\"k\"><span class=\"tag buffered\">buffered</span> <span class=\"tag flush\">flush</span> \
             <span class=\"tag forwarded\">forwarded</span></span>{}",
            escape(describe::BUFFER_LEGEND)
        );
    }
    o.push_str("</div>\n");
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::FailKind;
    use crate::sync::trace::{Op, Value};
    use crate::sync::Site;
    use std::sync::atomic::Ordering::{Relaxed, Release};

    fn v(raw: u64) -> Option<Value> {
        Some(Value {
            raw,
            shown: raw.to_string(),
        })
    }

    fn ev(lane: usize, op: Op, object: &str, addr: usize, read: u64, wrote: u64) -> Event {
        let (r, w) = (
            (read != u64::MAX).then(|| v(read)).flatten(),
            (wrote != u64::MAX).then(|| v(wrote)).flatten(),
        );
        let detail = match (&r, &w) {
            (Some(r), None) => format!("-> {}", r.shown),
            (None, Some(w)) => format!("= {}", w.shown),
            (Some(r), Some(w)) => format!("{} -> {}", r.shown, w.shown),
            _ => String::new(),
        };
        Event {
            lane,
            site: Some(Site {
                file: "src/main.rs",
                line: 400 + lane as u32,
                column: 1,
            }),
            op,
            object: object.into(),
            addr,
            written: Some(Relaxed),
            run: Some(if lane == 1 { Release } else { Relaxed }),
            detail,
            read: r,
            wrote: w,
        }
    }

    const NONE: u64 = u64::MAX;

    /// writer stores x=1, x=2; reader reads 2 (latest), 1 (stale), 0
    /// (initial, stale), y (never stored: initial).
    fn sample() -> Trace {
        Trace {
            threads: vec!["main".into(), "writer".into(), "reader".into()],
            events: vec![
                ev(1, Op::Store, "x", 8, NONE, 1),
                ev(1, Op::Store, "x", 8, NONE, 2),
                ev(2, Op::Load, "x", 8, 2, NONE),
                ev(2, Op::Load, "x", 8, 1, NONE),
                ev(2, Op::Load, "x", 8, 0, NONE),
                ev(2, Op::Load, "y <&>", 16, 0, NONE),
                ev(2, Op::Rmw("fetch_add"), "x", 8, 2, 3),
                ev(0, Op::Load, "x", 8, 3, NONE),
            ],
            ..Trace::default()
        }
    }

    #[test]
    fn read_from_is_inferred_by_value_in_trace_order() {
        let t = sample();
        let rf = read_from(&t);
        assert_eq!(rf[0], None);
        assert_eq!(rf[2], Some(ReadFrom::Latest { store: 1 }));
        assert_eq!(
            rf[3],
            Some(ReadFrom::Stale {
                store: 0,
                latest: 1
            })
        );
        assert_eq!(rf[4], Some(ReadFrom::Initial { latest: Some(1) }));
        assert_eq!(rf[5], Some(ReadFrom::Initial { latest: None }));
        // The RMW's read half does not see its own write...
        assert_eq!(rf[6], Some(ReadFrom::Latest { store: 1 }));
        // ...and a later load sees it.
        assert_eq!(rf[7], Some(ReadFrom::Latest { store: 6 }));
        assert_eq!(
            describe_read_from(&t, rf[3].as_ref().unwrap()),
            "stale: reads #1 (writer); latest in trace order was #2 = 2"
        );
        assert_eq!(
            describe_read_from(&t, rf[5].as_ref().unwrap()),
            "initial value (no store in the trace)"
        );
        // With dropped events, a value no kept store wrote is unknown.
        let mut d = sample();
        d.dropped = 5;
        d.first_index = 5;
        let rf = read_from(&d);
        assert_eq!(rf[5], Some(ReadFrom::Unknown { latest: None }));
        assert_eq!(
            describe_read_from(&d, rf[5].as_ref().unwrap()),
            "unknown: earlier events dropped"
        );
        assert_eq!(
            describe_read_from(&d, rf[3].as_ref().unwrap()),
            "stale: reads #6 (writer); latest in trace order was #7 = 2"
        );
    }

    fn failure(site: Option<&str>) -> Failure {
        Failure {
            kind: FailKind::Assertion,
            message: "x < 3 & y > 0".into(),
            site: site.map(str::to_owned),
        }
    }

    #[test]
    fn failing_event_rule() {
        let mut t = sample();
        // No site, no lane: the last event.
        assert_eq!(failing_event(&t, Some(&failure(None))), Some(7));
        assert_eq!(failing_event(&t, None), None);
        // The raising thread's last event.
        t.failing_lane = Some(2);
        assert_eq!(failing_event(&t, Some(&failure(None))), Some(6));
        // The last event at the site wins.
        assert_eq!(
            failing_event(&t, Some(&failure(Some("src/main.rs:401")))),
            Some(1)
        );
        // A site with no event falls back to the thread.
        assert_eq!(
            failing_event(&t, Some(&failure(Some("src/main.rs:9")))),
            Some(6)
        );
    }

    #[test]
    fn swimlane_puts_each_event_in_its_threads_column() {
        let mut t = sample();
        t.failing_lane = Some(2);
        let f = failure(None);
        let s = swimlane(&t, Some(&f), WIDTH);
        println!("{s}");
        for line in s.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line}");
        }
        let col = |needle: &str| {
            let line = s.lines().find(|l| l.contains(needle)).expect(needle);
            line.find(needle).unwrap()
        };
        // Columns: writer's events right of main's, reader's right of writer's.
        assert!(col("store x = 1") < col("load x -> 2"));
        assert!(col("load x -> 3") < col("store x = 1"));
        assert!(s.contains("[Relaxed as Release] src/main.rs:401"), "{s}");
        assert!(s.contains("[Relaxed] src/main.rs:402"), "{s}");
        assert!(s.contains("<- stale: reads #1 (writer);"), "{s}");
        assert!(s.contains("!! fetch_add x 2 -> 3"), "{s}");
        assert!(s.contains("FAILED: assertion: x < 3 & y > 0"), "{s}");
        assert!(s.contains("failing event: #7 in reader"), "{s}");
        // Four lanes in 140 columns still fit.
        t.threads.push("fourth-thread-with-a-long-name".into());
        let s = swimlane(&t, Some(&f), WIDTH);
        assert!(s.lines().all(|l| l.chars().count() <= WIDTH), "{s}");
    }

    /// x86-TSO: a buffered store is not a write until its flush; a
    /// forwarded load reads its own thread's buffered store.
    #[test]
    fn store_buffer_events_in_read_from_and_views() {
        let mut flush = ev(1, Op::Flush, "x", 8, NONE, 1);
        flush.detail = "= 1 (buffered at #1)".into();
        let t = Trace {
            threads: vec!["main".into(), "writer".into(), "reader".into()],
            events: vec![
                ev(1, Op::Buffered, "x", 8, NONE, 1),
                ev(1, Op::Forwarded, "x", 8, 1, NONE),
                ev(2, Op::Load, "x", 8, 0, NONE),
                flush,
                ev(2, Op::Load, "x", 8, 1, NONE),
            ],
            ..Trace::default()
        };
        let rf = read_from(&t);
        assert_eq!(rf[1], Some(ReadFrom::Forwarded { store: 0 }));
        assert_eq!(rf[2], Some(ReadFrom::Initial { latest: None }));
        assert_eq!(rf[4], Some(ReadFrom::Latest { store: 3 }));
        assert_eq!(
            describe_read_from(&t, rf[2].as_ref().unwrap()),
            "initial value (no store to it had reached memory)"
        );
        let s = swimlane(&t, None, WIDTH);
        assert!(s.contains("store x = 1 (buffered)"), "{s}");
        assert!(s.contains("load x -> 1 (forwarded)"), "{s}");
        assert!(
            s.contains("<- forwarded: its own buffered store #1,"),
            "{s}"
        );
        assert!(
            flat(&t, None).contains("<- forwarded: its own buffered store #1, not yet in memory")
        );
        assert!(s.contains("flush x = 1 (buffered at #1)"), "{s}");
        assert!(s.contains("x86-TSO: \"(buffered)\""), "{s}");
        assert!(flat(&t, None).contains("x86-TSO: \"(buffered)\""));
        let page = html_with_sources(&t, None, "t", Path::new("/nonexistent"));
        assert!(
            page.contains("class=\"ev lane1 buffered\" id=\"ev1\""),
            "{page}"
        );
        assert!(
            page.contains("class=\"ev lane1 forwarded\" id=\"ev2\""),
            "{page}"
        );
        assert!(
            page.contains("class=\"ev lane1 flush\" id=\"ev4\""),
            "{page}"
        );
        assert!(page.contains("class=\"rf fwd\""), "{page}");
        // Without such events, no legend for them.
        assert!(!swimlane(&sample(), None, WIDTH).contains("x86-TSO"));
    }

    #[test]
    fn wrap_cuts_at_spaces_and_long_words() {
        assert_eq!(wrap("aaa bbb ccc", 7, "  "), vec!["aaa bbb", "  ccc"]);
        assert_eq!(wrap("abcdefghij", 6, "  "), vec!["abcdef", "  ghij"]);
        assert_eq!(wrap("", 6, "  "), vec![""]);
        assert_eq!(wrap("  <- a bcd", 9, "     "), vec!["  <- a", "     bcd"]);
    }

    #[test]
    fn html_escapes_and_degrades_without_sources() {
        let mut t = sample();
        t.failing_lane = Some(2);
        let f = failure(None);
        let page = html_with_sources(&t, Some(&f), "a <b> & c", Path::new("/nonexistent"));
        assert!(page.contains("<title>a &lt;b&gt; &amp; c</title>"));
        assert!(page.contains("load y &lt;&amp;&gt; -&gt; 0"), "{page}");
        assert!(page.contains("x &lt; 3 &amp; y &gt; 0"));
        assert!(!page.contains("y <&>"));
        assert!(page.contains("(source not available: src/main.rs:402)"));
        assert_eq!(page.matches("class=\"ev lane").count(), 8);
        assert_eq!(page.matches(" fail\"").count(), 1);
        assert!(
            page.contains("class=\"ev lane2 fail\" id=\"ev7\""),
            "{page}"
        );
        assert!(!page.contains("http"), "no network references");
        // With the crate's own sources, the site's line is shown.
        let page = html(&t, Some(&f), "t");
        let line =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs"))
                .unwrap()
                .lines()
                .nth(401)
                .unwrap()
                .trim()
                .to_string();
        assert!(page.contains("<span class=\"at\"><i>402</i>"), "{page}");
        assert!(page.contains(&escape(&line)), "{page}");
    }
}
