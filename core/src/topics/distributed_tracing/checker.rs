//! The invariants of the distributed-tracing topic, checked on every span
//! as it starts (a service appends it to its span log; the checker reads
//! each log from where it stopped):
//!
//! - **parent exists**: with propagation on, every span's parent is a span
//!   already started in the same trace, and only the gateway, the edge,
//!   starts traces. A span without a parent anywhere else is an orphan: the
//!   context was lost on the way and the trace is broken in two.
//! - **head sampling all or nothing**: every span of a trace carries the
//!   sampled flag its root decided, so a head-sampling pipeline keeps a
//!   trace whole or not at all, never a part of it.
//!
//! The registry is a sorted `Vec` of traces, each with the ids of its spans
//! and its root's decision; nothing in it depends on the network, so lost
//! exports and crashes never make an invariant fail.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{short, SpanRecord, GATEWAY, PROCESSES};
use super::process::TraceProcess;

pub const PARENT_EXISTS: &str = "parent-exists";
pub const HEAD_SAMPLING_ALL_OR_NOTHING: &str = "head-sampling-all-or-nothing";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: PARENT_EXISTS,
        summary: "Every span's parent is a span of the same trace, or it is the root the gateway started: no orphan spans, no trace broken in two.",
    },
    InvariantInfo {
        name: HEAD_SAMPLING_ALL_OR_NOTHING,
        summary: "Every span of a trace carries the sampling decision its root made, so head sampling keeps a trace entirely or not at all.",
    },
];

#[derive(Clone, Debug, PartialEq, Eq)]
struct TraceEntry {
    trace: u128,
    /// The decision of the first span seen: the root's, when propagation
    /// works.
    sampled: bool,
    spans: Vec<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct TracingChecker {
    traces: Vec<TraceEntry>,
    /// How far each process's span log has been read.
    read: Vec<usize>,
    spans_seen: u64,
}

impl TracingChecker {
    pub fn new() -> Self {
        TracingChecker {
            traces: Vec::new(),
            read: vec![0; PROCESSES],
            spans_seen: 0,
        }
    }

    pub fn traces(&self) -> usize {
        self.traces.len()
    }

    pub fn spans_seen(&self) -> u64 {
        self.spans_seen
    }

    /// Checks one newly started span and registers it.
    pub fn observe(&mut self, span: &SpanRecord, found: &mut Vec<Violation>) {
        self.spans_seen += 1;
        let at = match self.traces.binary_search_by(|t| t.trace.cmp(&span.trace)) {
            Ok(at) => at,
            Err(at) => {
                self.traces.insert(
                    at,
                    TraceEntry {
                        trace: span.trace,
                        sampled: span.sampled,
                        spans: Vec::new(),
                    },
                );
                at
            }
        };
        let entry = &mut self.traces[at];
        match span.parent {
            None if span.service != GATEWAY => found.push(Violation {
                invariant: PARENT_EXISTS,
                message: format!(
                    "span {} ({}) has no parent: trace {:032x} starts at n{} instead of the gateway; the context was lost and the request's trace is broken in two",
                    short(span.span),
                    span.name,
                    span.trace,
                    span.service.0
                ),
            }),
            Some(parent) if !entry.spans.contains(&parent) => found.push(Violation {
                invariant: PARENT_EXISTS,
                message: format!(
                    "span {} ({}) names parent {} in trace {:032x}, which has no such span",
                    short(span.span),
                    span.name,
                    short(parent),
                    span.trace
                ),
            }),
            _ => {}
        }
        if entry.sampled != span.sampled {
            let says = |sampled: bool| if sampled { "sampled" } else { "not sampled" };
            found.push(Violation {
                invariant: HEAD_SAMPLING_ALL_OR_NOTHING,
                message: format!(
                    "span {} ({}) is {} but its trace {:032x} was {} at the root: head sampling would keep only part of it",
                    short(span.span),
                    span.name,
                    says(span.sampled),
                    span.trace,
                    says(entry.sampled)
                ),
            });
        }
        entry.spans.push(span.span);
    }
}

impl Checker<TraceProcess> for TracingChecker {
    fn check(
        &mut self,
        nodes: &[TraceProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(service) = nodes.get(changed.index()).and_then(TraceProcess::service) else {
            return;
        };
        let i = changed.index();
        if self.read.len() <= i {
            self.read.resize(i + 1, 0);
        }
        let spans = service.spans();
        let from = self.read[i].min(spans.len());
        self.read[i] = spans.len();
        for span in &spans[from..] {
            self.observe(span, found);
        }
    }
}
