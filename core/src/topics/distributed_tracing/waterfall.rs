//! Spans as a waterfall on the timeline, and each trace's critical path.
//!
//! Each span is a bar on its service's lane from its start to its end, so
//! the lanes read top to bottom as a trace viewer's waterfall. The critical
//! path is the chain of spans that set the root's end time, found as trace
//! viewers (Jaeger's, for one) find it: from a span's end, walk back to the
//! child that finished last before it; that child is critical, and the
//! search continues from where that child started, among the children that
//! finished before then. Children that end after their parent (the shipping
//! span behind the queue) are off the path: nobody waited for them.

use crate::sim::view::{Annotations, Mark, Palette, Span};

use super::message::{short, SpanRecord, GATEWAY};
use super::process::TraceProcess;

/// Every span of every service, grouped by trace and in start order.
pub fn all_spans(nodes: &[TraceProcess]) -> Vec<SpanRecord> {
    let mut spans: Vec<SpanRecord> = nodes
        .iter()
        .filter_map(TraceProcess::service)
        .flat_map(|service| service.spans().iter().copied())
        .collect();
    // Two stable sorts: by start, then by trace (its high half, drawn
    // nonzero at random: a collision only splits a group on screen).
    crate::sort::sort_stably_by(&mut spans, |s| s.start.as_micros());
    crate::sort::sort_stably_by(&mut spans, |s| (s.trace >> 64) as u64);
    spans
}

/// Which spans of one trace (`spans`, all of the same trace) lie on the
/// critical path of its root; none while the root runs.
pub fn critical_path(spans: &[SpanRecord]) -> Vec<bool> {
    let mut critical = vec![false; spans.len()];
    if let Some(root) = spans
        .iter()
        .position(|s| s.parent.is_none() && s.end.is_some())
    {
        mark(spans, root, &mut critical);
    }
    critical
}

fn mark(spans: &[SpanRecord], at: usize, critical: &mut [bool]) {
    critical[at] = true;
    let Some(mut until) = spans[at].end else {
        return;
    };
    let id = spans[at].span;
    loop {
        let next = spans
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                !critical[*i] && s.parent == Some(id) && s.end.is_some_and(|end| end <= until)
            })
            .max_by_key(|(_, s)| (s.end, s.start));
        let Some((child, span)) = next else {
            return;
        };
        until = span.start;
        mark(spans, child, critical);
    }
}

/// The waterfall: a bar per span, critical ones labelled and lit, errors
/// in the faulty colour; and a mark where a trace starts anywhere but at
/// the gateway (a broken trace).
pub fn annotations(nodes: &[TraceProcess]) -> Annotations {
    let spans = all_spans(nodes);
    let mut out = Annotations::default();
    let mut from = 0;
    while from < spans.len() {
        let trace = spans[from].trace;
        let to = from
            + spans[from..]
                .iter()
                .take_while(|s| s.trace == trace)
                .count();
        let group = &spans[from..to];
        let critical = critical_path(group);
        for (span, on_path) in group.iter().zip(critical) {
            let palette = match (on_path, span.error, span.end) {
                (_, true, _) => Palette::Faulty,
                (true, false, _) => Palette::Lead,
                (false, false, None) => Palette::Suspect,
                (false, false, Some(_)) => Palette::Plain,
            };
            let label = if on_path {
                format!("critical: {}", span.name)
            } else {
                format!("{} {}", span.name, short(span.span))
            };
            out.spans.push(Span {
                node: span.service,
                from: span.start,
                to: span.end,
                label,
                palette,
            });
            if span.parent.is_none() && span.service != GATEWAY {
                out.marks.push(Mark {
                    at: span.start,
                    label: format!("new trace at n{}", span.service.0),
                });
            }
        }
        from = to;
    }
    out
}
