//! The trace collector: it receives every finished span and plays two
//! samplers on the same stream, so one seed compares them side by side.
//!
//! - Head sampling (Dapper section 4.1; W3C Trace Context's `sampled`
//!   flag): the root decided when the trace began, every span carries the
//!   decision, and a head-sampling pipeline exports exactly the spans whose
//!   flag is set. Cheap, but blind: the decision is made before anyone knows
//!   whether the trace will fail or be slow.
//! - Tail sampling (the OpenTelemetry Collector's `tail_sampling`
//!   processor): buffer every span of a trace for a decision wait after its
//!   first span arrives, then keep the whole trace if any span failed (a
//!   `status_code` policy) or it took longer than the 95th percentile of
//!   the traces decided so far (a `latency` policy); spans arriving after
//!   the decision follow it.
//!
//! The collector counts, per sampler, the error and slow traces it keeps and
//! the spans and bytes it exports, and for tail sampling the spans it had to
//! buffer. A crash loses the buffer (the traces in it are never decided);
//! the counters stand for what was already reported and are kept.

use crate::decimal::decimal;
use crate::sim::node::Cx;
use crate::sim::time::{Duration, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::sketch::LatencySketch;

use super::message::{span_bytes, SpanRecord, TraceMessage, TraceTimer};
use super::process::TraceProcess;

/// How long a trace is buffered after its first span arrives.
pub const DECISION_WAIT_MS: u64 = 2_000;
/// How often the collector decides.
pub const DECIDE_EVERY_MS: u64 = 500;
/// Traces decided before the latency policy has a percentile to go by.
pub const WARM_UP_TRACES: u64 = 20;
/// The latency policy's percentile.
pub const SLOW_QUANTILE: f64 = 0.95;

/// A trace waiting for its decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Buffered {
    trace: u128,
    first_seen: Time,
    error: bool,
    sampled: bool,
    /// The earliest start and latest end of its spans.
    start: Time,
    end: Time,
    /// The root's own start and end, once it arrives.
    root: Option<(Time, Time)>,
    spans: u64,
    bytes: u64,
}

/// What each sampler kept and what it cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sampling {
    pub traces: u64,
    pub error_traces: u64,
    pub slow_traces: u64,
    pub head_kept: u64,
    pub head_kept_error: u64,
    pub head_kept_slow: u64,
    pub tail_kept: u64,
    pub tail_kept_error: u64,
    pub tail_kept_slow: u64,
    /// Every span received: what tail sampling must buffer.
    pub spans_received: u64,
    pub bytes_received: u64,
    pub head_spans: u64,
    pub head_bytes: u64,
    pub tail_spans: u64,
    pub tail_bytes: u64,
    /// Spans that arrived after their trace's decision.
    pub late_spans: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Collector {
    buffer: Vec<Buffered>,
    /// Decided traces and whether tail sampling kept them, sorted by trace.
    decided: Vec<(u128, bool)>,
    durations: LatencySketch,
    sampling: Sampling,
}

impl Collector {
    pub fn sampling(&self) -> &Sampling {
        &self.sampling
    }

    pub fn buffered_traces(&self) -> usize {
        self.buffer.len()
    }

    /// The slow threshold now, in milliseconds, once there is one.
    pub fn slow_threshold_ms(&self) -> Option<f64> {
        if self.durations.count() < WARM_UP_TRACES {
            return None;
        }
        self.durations.quantile(SLOW_QUANTILE)
    }

    pub fn on_start(&mut self, cx: &mut Cx<TraceProcess>) {
        cx.set_timer(TraceTimer::Decide, Duration::from_millis(DECIDE_EVERY_MS));
    }

    pub fn on_crash(&mut self) {
        self.buffer.clear();
    }

    pub fn on_message(&mut self, msg: TraceMessage, cx: &mut Cx<TraceProcess>) {
        match msg {
            TraceMessage::Export { span } => self.receive(span, cx.now()),
            _ => cx.note(|| "the collector takes only spans: dropped".to_string()),
        }
    }

    /// Counts `span` for both samplers and buffers it for tail sampling.
    pub fn receive(&mut self, span: SpanRecord, now: Time) {
        let bytes = span_bytes(&span);
        let s = &mut self.sampling;
        s.spans_received += 1;
        s.bytes_received += bytes;
        if span.sampled {
            s.head_spans += 1;
            s.head_bytes += bytes;
        }
        if let Ok(i) = self.decided.binary_search_by(|d| d.0.cmp(&span.trace)) {
            s.late_spans += 1;
            if self.decided[i].1 {
                s.tail_spans += 1;
                s.tail_bytes += bytes;
            }
            return;
        }
        let end = span.end.unwrap_or(span.start);
        let at = match self.buffer.binary_search_by(|b| b.trace.cmp(&span.trace)) {
            Ok(at) => at,
            Err(at) => {
                self.buffer.insert(
                    at,
                    Buffered {
                        trace: span.trace,
                        first_seen: now,
                        error: false,
                        sampled: false,
                        start: span.start,
                        end,
                        root: None,
                        spans: 0,
                        bytes: 0,
                    },
                );
                at
            }
        };
        let b = &mut self.buffer[at];
        b.error |= span.error;
        b.sampled |= span.sampled;
        b.start = b.start.min(span.start);
        b.end = b.end.max(end);
        if span.parent.is_none() {
            b.root = Some((span.start, end));
        }
        b.spans += 1;
        b.bytes += bytes;
    }

    pub fn on_timer(&mut self, timer: TraceTimer, cx: &mut Cx<TraceProcess>) {
        if timer != TraceTimer::Decide {
            return;
        }
        let decided = self.decide(cx.now());
        if decided > 0 {
            let s = self.sampling;
            cx.note(|| {
                format!(
                    "{decided} more decided; of {} traces, {} had errors (head kept {}, tail {}), {} were slow (head kept {}, tail {}); spans received {}, exported by head {}, by tail {}",
                    s.traces,
                    s.error_traces,
                    s.head_kept_error,
                    s.tail_kept_error,
                    s.slow_traces,
                    s.head_kept_slow,
                    s.tail_kept_slow,
                    s.spans_received,
                    s.head_spans,
                    s.tail_spans
                )
            });
        }
        cx.set_timer(TraceTimer::Decide, Duration::from_millis(DECIDE_EVERY_MS));
    }

    /// Decides every trace whose wait is over; returns how many.
    pub fn decide(&mut self, now: Time) -> usize {
        let wait = Duration::from_millis(DECISION_WAIT_MS);
        let mut decided = 0;
        let mut i = 0;
        while i < self.buffer.len() {
            if self.buffer[i].first_seen.after(wait) > now {
                i += 1;
                continue;
            }
            let b = self.buffer.remove(i);
            let (start, end) = b.root.unwrap_or((b.start, b.end));
            let took_ms = end.since(start).as_micros() as f64 / 1_000.0;
            let slow = self.slow_threshold_ms().is_some_and(|p95| took_ms > p95);
            self.durations.record(took_ms);
            let keep = b.error || slow;
            let s = &mut self.sampling;
            s.traces += 1;
            s.error_traces += u64::from(b.error);
            s.slow_traces += u64::from(slow);
            if b.sampled {
                s.head_kept += 1;
                s.head_kept_error += u64::from(b.error);
                s.head_kept_slow += u64::from(slow);
            }
            if keep {
                s.tail_kept += 1;
                s.tail_kept_error += u64::from(b.error);
                s.tail_kept_slow += u64::from(slow);
                s.tail_spans += b.spans;
                s.tail_bytes += b.bytes;
            }
            if let Err(at) = self.decided.binary_search_by(|d| d.0.cmp(&b.trace)) {
                self.decided.insert(at, (b.trace, keep));
            }
            decided += 1;
        }
        decided
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "collector",
            palette: Palette::Done,
            badge: self.buffer.len().to_string(),
            detail: format!(
                "collector: {} traces buffered, {} decided",
                self.buffer.len(),
                self.sampling.traces
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let s = &self.sampling;
        let threshold = match self.slow_threshold_ms() {
            Some(ms) => format!(", slow over {} ms (p95)", decimal(ms, 0)),
            None => String::new(),
        };
        vec![
            Cell::Text(format!(
                "{} traces buffered, {} decided{threshold}",
                self.buffer.len(),
                s.traces
            )),
            Cell::Text(format!(
                "head kept {} ({} spans), tail kept {} ({} spans) of {} spans",
                s.head_kept, s.head_spans, s.tail_kept, s.tail_spans, s.spans_received
            )),
        ]
    }
}
