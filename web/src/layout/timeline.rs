//! Geometry of the space-time timeline: one lane per node, time to the right,
//! messages as arrows from send to arrival (or to where they were lost), crashes as
//! greyed spans, and marks for timers, inputs, network changes and violations.
//!
//! Only the visible window is laid out, and it is found without scanning the whole
//! trace: events are sorted by time (binary search), messages by send time (scan
//! back from the newest until sends are older than the longest possible flight).
//!
//! One event can be the anchor: the one the person clicked, or else the latest
//! violation. Every other event and message is then placed in its causal past, its
//! causal future or neither (concurrent), by Lamport's happened-before relation
//! read from the vector clocks the simulator records (Fidge and Mattern: an event
//! `e` at node `i` precedes `a` exactly when `V(e)[i] <= V(a)[i]`).

use distlab_core::sim::network::{DropReason, Fate};
use distlab_core::sim::time::{Duration, NodeId, Time};
use distlab_core::sim::trace::{EventKind, Trace, TraceEvent};
use distlab_core::sim::view::{Annotations, ClusterState};

use super::palette_index;

/// Left margin for lane labels.
pub const LABEL_WIDTH: f64 = 34.0;
/// Height of one lane.
pub const LANE_HEIGHT: f64 = 34.0;
/// The most nodes with a lane (leader election runs 64 servers); a larger
/// cluster's other nodes are counted on one more lane, labelled `+N`, and
/// their events and messages are left out.
pub const MAX_LANES: usize = 64;
/// Space above the first lane for tick labels.
pub const TOP: f64 = 18.0;
/// The longest a message can be in flight (latency plus reordering delay), so
/// scanning back this far finds every message crossing the window.
const LONGEST_FLIGHT: Duration = Duration::from_millis(2_000);
/// Arrows drawn at most; beyond this the window is too dense to read anyway.
pub const MAX_ARROWS: usize = 800;
/// Timer marks drawn at most: a window with more (64 gossiping lanes fire
/// about 500 rounds in 800 ms) draws none of them, as no one reads timers at
/// that density, and comparing and redrawing them was most of the timeline's
/// cost in a frame. Every other mark is always drawn.
pub const MAX_TIMER_MARKS: usize = 128;

#[derive(Clone, Debug, PartialEq)]
pub struct TimelineLayout {
    pub width: f64,
    pub height: f64,
    pub start: Time,
    pub end: Time,
    pub lanes: Vec<Lane>,
    pub arrows: Vec<Arrow>,
    pub marks: Vec<Mark>,
    pub ticks: Vec<Tick>,
    /// Where the shown instant is (the window starts at 0 until the run is older
    /// than the window, so early on it is not at the right edge).
    pub now_x: f64,
    /// The event whose causal past and future are marked: the one picked, or
    /// else the latest violation in the window (when its node has a vector clock).
    pub anchor: Option<Anchor>,
    /// The message types in the window, in order of first appearance, and
    /// whether each is hidden.
    pub kinds: Vec<Kind>,
    /// Timer firings in the window that are not drawn, more than
    /// [`MAX_TIMER_MARKS`] (0 when they are all drawn); the legend says so,
    /// so a lane without marks does not read as a lane without timers.
    pub timers_left_out: usize,
}

/// What the person picked on the timeline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// The event (a node's handler at a step) whose causal relations are shown.
    pub event: Option<(u64, NodeId)>,
    /// Message types whose arrows are not drawn.
    pub hidden: Vec<&'static str>,
}

impl Selection {
    /// Picks `event`, or drops the pick if it was already picked.
    pub fn toggle_event(&mut self, event: (u64, NodeId)) {
        self.event = (self.event != Some(event)).then_some(event);
    }

    /// Hides the arrows of message type `kind`, or shows them again.
    pub fn toggle_kind(&mut self, kind: &'static str) {
        match self.hidden.iter().position(|&k| k == kind) {
            Some(i) => {
                self.hidden.remove(i);
            }
            None => self.hidden.push(kind),
        }
    }
}

/// A violation still to come: a counterexample opened one step before it
/// ([`crate::player::Player::ahead`]). Until the run reaches it, it is the
/// anchor, so what led to it is marked before it happens.
#[derive(Clone, Debug, PartialEq)]
pub struct Ahead {
    pub step: u64,
    pub node: NodeId,
    pub time: Time,
    /// The node's Lamport time and vector clock after the violating step.
    pub lamport: u64,
    pub clock: Vec<u32>,
    /// The invariant and what broke it.
    pub what: String,
}

/// The event the causal marking is relative to.
#[derive(Clone, Debug, PartialEq)]
pub struct Anchor {
    pub step: u64,
    pub node: NodeId,
    pub time: Time,
    /// Where it is drawn (its lane, its instant).
    pub x: f64,
    pub y: f64,
    /// The node's Lamport time and vector clock after the event.
    pub lamport: u64,
    pub clock: Vec<u32>,
    /// What happened, in the trace's words (its first line at that step).
    pub what: String,
    /// Picked by the person (not the latest violation).
    pub picked: bool,
    /// A violation still to come ([`Ahead`]).
    pub ahead: bool,
    /// Events in the window before it, after it and concurrent with it (a node's
    /// handler at a step counts once).
    pub before: usize,
    pub after: usize,
    pub concurrent: usize,
}

/// An arrow's or a mark's place relative to the anchor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Relation {
    /// No anchor: nothing is marked.
    #[default]
    Unmarked,
    /// Happened before the anchor (a message: delivered before it).
    Before,
    /// The anchor itself.
    Anchor,
    /// Happened after the anchor (a message: sent after it).
    After,
    /// Neither: concurrent with the anchor.
    Concurrent,
}

impl Relation {
    /// The class the view draws it with; `causal` keeps its look under the
    /// `causal-view` of the whole plot, the rest fades.
    pub fn class(self) -> &'static str {
        match self {
            Relation::Before => " causal",
            Relation::Anchor => " causal anchor",
            Relation::After => " causal after",
            Relation::Unmarked | Relation::Concurrent => "",
        }
    }
}

/// A message type of the window, with its colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Kind {
    pub name: &'static str,
    pub colour: usize,
    pub hidden: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub label: String,
    pub y: f64,
    /// Spans (x from, x to) during which the node was down.
    pub down: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub id: u32,
    /// The receiver.
    pub to: NodeId,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub colour: usize,
    pub label: String,
    /// Lost (ends in a cross).
    pub lost: bool,
    /// Still travelling at the window's end.
    pub in_flight: bool,
    /// The step of its delivery, when the window holds it (clicking the head
    /// picks that event).
    pub delivered_at: Option<u64>,
    /// Where it stands relative to the anchor: delivered before it, sent after
    /// it, or neither.
    pub relation: Relation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Timer,
    Input,
    Crash,
    Restart,
    /// A network change: drawn across every lane.
    Network,
    Violation,
}

impl MarkKind {
    pub fn class(self) -> &'static str {
        match self {
            MarkKind::Timer => "timer",
            MarkKind::Input => "input",
            MarkKind::Crash => "crash",
            MarkKind::Restart => "restart",
            MarkKind::Network => "network",
            MarkKind::Violation => "violation",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub kind: MarkKind,
    pub label: String,
    /// The step to seek to when the mark is clicked.
    pub step: u64,
    /// Its node, for marks of one node's event (not network changes).
    pub node: Option<NodeId>,
    pub relation: Relation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub label: String,
    /// The label ends at the tick (near the right edge, so it is not cut off).
    pub end_anchored: bool,
}

/// Lays out the window `[end - span, end]` (clamped at zero) of `trace` over
/// `width` units. `cluster` is the state at `end`; `selection` is what the person
/// picked (an anchor event, hidden message types).
pub fn layout(
    trace: &Trace,
    cluster: &ClusterState,
    now: Time,
    span: Duration,
    width: f64,
    selection: &Selection,
    ahead: Option<&Ahead>,
) -> TimelineLayout {
    let span = Duration(span.as_micros().max(1_000));
    // The window ends at `now`, or starts at 0 while the run is younger than it.
    let start = Time(now.as_micros().saturating_sub(span.as_micros()));
    let end = start.after(span);
    let plot = (width - LABEL_WIDTH - 6.0).max(10.0);
    let x = |t: Time| {
        LABEL_WIDTH
            + (t.as_micros().saturating_sub(start.as_micros())) as f64 / span.as_micros() as f64
                * plot
    };
    let count = cluster.nodes.len().min(MAX_LANES);
    let hidden = cluster.nodes.len() - count;
    let lane_y = |node: usize| TOP + LANE_HEIGHT * (node as f64 + 0.5);

    let first = trace.events.partition_point(|e| e.time < start);
    let visible = trace.events[first..].iter().take_while(|e| e.time <= now);
    let shown = trace.events.partition_point(|e| e.time <= now);
    let anchor = find_anchor(&trace.events[..shown], selection)
        .or_else(|| ahead.map(|a| (a.step, a.node, a.clock.as_slice())))
        .or_else(|| latest_violation(visible.clone()));
    let relation = |event: &TraceEvent| match (&anchor, event.node, &event.clock) {
        (Some((step, at, of)), Some(node), Some(clock)) => {
            relate(*step, *at, of, event.step, node, clock)
        }
        _ => Relation::Unmarked,
    };
    // Each delivery's step and relation, by message id: an arrow delivered
    // before the anchor is in its past; one sent after it, in its future.
    let mut deliveries: Vec<(u32, u64, Relation)> = Vec::new();
    let mut sent_after: Vec<u32> = Vec::new();
    for event in visible.clone() {
        match event.kind {
            EventKind::Deliver { message } => {
                deliveries.push((message, event.step, relation(event)))
            }
            EventKind::Send { message }
                if matches!(relation(event), Relation::After | Relation::Anchor) =>
            {
                sent_after.push(message)
            }
            _ => {}
        }
    }
    distlab_core::sort::sort_stably_by(&mut deliveries, |d| u64::from(d.0));
    distlab_core::sort::sort_stably_by(&mut sent_after, |&id| u64::from(id));
    let (mut before, mut after, mut concurrent, mut last) = (0, 0, 0, None);
    for event in visible.clone() {
        // A node's handler at a step is one event, however many lines it wrote.
        if last == Some((event.step, event.node)) {
            continue;
        }
        last = Some((event.step, event.node));
        match relation(event) {
            Relation::Before => before += 1,
            Relation::After => after += 1,
            Relation::Concurrent => concurrent += 1,
            Relation::Unmarked | Relation::Anchor => {}
        }
    }
    let anchor = anchor.map(|(step, node, clock)| {
        let index = trace.events[..shown].partition_point(|e| e.step < step);
        let event = trace.events[index..shown]
            .iter()
            .find(|e| e.node == Some(node) && !matches!(e.kind, EventKind::Note { .. }))
            .or_else(|| {
                trace.events[index..shown]
                    .iter()
                    .find(|e| e.node == Some(node))
            });
        let coming = ahead.filter(|a| a.step == step && a.node == node && event.is_none());
        let time = coming.map_or(event.map_or(Time::ZERO, |e| e.time), |a| a.time);
        Anchor {
            step,
            node,
            time,
            x: x(time),
            y: lane_y(node.index()),
            lamport: trace.events[index..shown]
                .iter()
                .filter(|e| e.step == step && e.node == Some(node))
                .map(|e| e.lamport)
                .chain(coming.map(|a| a.lamport))
                .max()
                .unwrap_or(0),
            clock: clock.to_vec(),
            what: match coming {
                Some(a) => a.what.clone(),
                None => event.map(|e| what_happened(trace, e)).unwrap_or_default(),
            },
            picked: selection.event == Some((step, node)),
            ahead: coming.is_some(),
            before,
            after,
            concurrent,
        }
    });

    // Down spans, swept backwards from the known state at `now`.
    let mut down: Vec<Vec<(f64, f64)>> = vec![Vec::new(); count];
    let mut down_until: Vec<Option<f64>> = cluster
        .nodes
        .iter()
        .take(count)
        .map(|n| (!n.up).then(|| x(now)))
        .collect();
    let mut marks = Vec::new();
    for event in visible.clone().collect::<Vec<_>>().into_iter().rev() {
        let Some(node) = event.node.map(|n| n.index()).filter(|&n| n < count) else {
            continue;
        };
        match event.kind {
            EventKind::Crash => {
                if let Some(until) = down_until[node].take() {
                    down[node].push((x(event.time), until));
                }
            }
            EventKind::Restart => down_until[node] = Some(x(event.time)),
            _ => {}
        }
    }
    for (node, until) in down_until.into_iter().enumerate() {
        if let Some(until) = until {
            down[node].push((x(start), until));
        }
    }

    let on_lanes = |event: &TraceEvent| event.node.is_none_or(|n| n.index() < count);
    let timers = visible
        .clone()
        .filter(|e| matches!(e.kind, EventKind::Timer { .. }) && on_lanes(e))
        .count();
    for event in visible {
        if !on_lanes(event) {
            continue;
        }
        let y = event.node.map(|n| lane_y(n.index())).unwrap_or(TOP);
        let (kind, label) = match &event.kind {
            EventKind::Timer { label, .. } if timers <= MAX_TIMER_MARKS => {
                (MarkKind::Timer, label.clone())
            }
            EventKind::Input { label } => (MarkKind::Input, label.clone()),
            EventKind::Crash => (MarkKind::Crash, "crash".to_string()),
            EventKind::Restart => (MarkKind::Restart, "restart".to_string()),
            EventKind::Network { label } => (MarkKind::Network, label.clone()),
            EventKind::Violation { invariant, message } => {
                (MarkKind::Violation, format!("{invariant}: {message}"))
            }
            _ => continue,
        };
        marks.push(Mark {
            x: x(event.time),
            y,
            kind,
            label: format!("{} {}", event.time, label),
            step: event.step,
            node: event.node,
            relation: relation(event),
        });
    }

    let oldest = Time(start.as_micros().saturating_sub(LONGEST_FLIGHT.as_micros()));
    let mut kinds: Vec<Kind> = Vec::new();
    let mut arrows: Vec<Arrow> = trace
        .messages
        .iter()
        .rev()
        .take_while(|m| m.sent_at >= oldest)
        .filter(|m| m.sent_at <= now && m.ends_at() >= start)
        .filter(|m| m.from.index() < count && m.to.index() < count)
        .filter(|m| {
            let hidden = selection.hidden.contains(&m.kind);
            if !kinds.iter().any(|k| k.name == m.kind) {
                kinds.push(Kind {
                    name: m.kind,
                    colour: palette_index(m.kind),
                    hidden,
                });
            }
            !hidden
        })
        .take(MAX_ARROWS)
        .map(|m| {
            let delivery = deliveries
                .binary_search_by_key(&m.id, |d| d.0)
                .ok()
                .map(|i| &deliveries[i]);
            let (arrival, reach, lost) = match m.fate {
                Fate::Deliver { at } => (at, 1.0, false),
                Fate::Drop {
                    at,
                    reason: DropReason::ReceiverDown,
                } => (at, 1.0, true),
                Fate::Drop { at, .. } => (at, 0.5, true),
            };
            let (y1, y2_full) = (lane_y(m.from.index()), lane_y(m.to.index()));
            let y_end = y1 + (y2_full - y1) * reach;
            let flight = arrival
                .as_micros()
                .saturating_sub(m.sent_at.as_micros())
                .max(1) as f64;
            let shown_until = arrival.min(now);
            let fraction = shown_until
                .as_micros()
                .saturating_sub(m.sent_at.as_micros()) as f64
                / flight;
            Arrow {
                id: m.id,
                to: m.to,
                x1: x(m.sent_at.max(start)),
                y1: if m.sent_at < start {
                    y1 + (y_end - y1) * (start.as_micros() - m.sent_at.as_micros()) as f64 / flight
                } else {
                    y1
                },
                x2: x(shown_until),
                y2: y1 + (y_end - y1) * fraction.clamp(0.0, 1.0),
                colour: palette_index(m.kind),
                label: m.label.clone(),
                lost: lost && arrival <= now,
                in_flight: arrival > now,
                delivered_at: delivery.map(|d| d.1),
                relation: match delivery {
                    _ if anchor.is_none() => Relation::Unmarked,
                    Some(&(_, _, Relation::Before | Relation::Anchor)) => Relation::Before,
                    _ if sent_after.binary_search(&m.id).is_ok() => Relation::After,
                    _ => Relation::Concurrent,
                },
            }
        })
        .collect();
    arrows.reverse();
    kinds.reverse();

    let mut lanes: Vec<Lane> = (0..count)
        .map(|i| Lane {
            label: cluster.nodes[i].id.to_string(),
            y: lane_y(i),
            down: std::mem::take(&mut down[i]),
        })
        .collect();
    if hidden > 0 {
        lanes.push(Lane {
            label: format!("+{hidden}"),
            y: lane_y(count),
            down: Vec::new(),
        });
    }

    TimelineLayout {
        width,
        height: TOP + LANE_HEIGHT * lanes.len() as f64 + 4.0,
        start,
        end,
        lanes,
        arrows,
        marks,
        ticks: ticks(start, end, &x, (plot / 90.0).clamp(3.0, 8.0)),
        now_x: x(now.min(end)),
        anchor,
        kinds,
        timers_left_out: if timers > MAX_TIMER_MARKS { timers } else { 0 },
    }
}

/// A few words on an event: the message a delivery brought, a timer's or an
/// input's label, or the kind of event.
fn what_happened(trace: &Trace, event: &TraceEvent) -> String {
    match &event.kind {
        EventKind::Deliver { message } => trace.message(*message).map_or_else(String::new, |m| {
            format!("received {} from {}", m.label, m.from)
        }),
        EventKind::Timer { label, .. } | EventKind::Input { label } => label.clone(),
        kind => kind.name().to_string(),
    }
}

/// The picked event, if the trace up to now holds it: its step, node and the
/// node's vector clock after it.
fn find_anchor<'a>(
    events: &'a [TraceEvent],
    selection: &Selection,
) -> Option<(u64, NodeId, &'a [u32])> {
    let (step, node) = selection.event?;
    let index = events.partition_point(|e| e.step <= step);
    // The clock after the node's last line at that step: the whole handler.
    events[..index]
        .iter()
        .rev()
        .take_while(|e| e.step == step)
        .find(|e| e.node == Some(node))
        .and_then(|e| Some((step, node, e.clock.as_deref()?)))
}

/// The latest violation among `events` at a node with a vector clock.
fn latest_violation<'a>(
    events: impl Iterator<Item = &'a TraceEvent>,
) -> Option<(u64, NodeId, &'a [u32])> {
    events
        .filter(|e| matches!(e.kind, EventKind::Violation { .. }))
        .filter_map(|e| Some((e.step, e.node?, e.clock.as_deref()?)))
        .last()
}

/// Where the event at `node`, step `step`, with vector clock `clock`, stands
/// relative to the anchor (`anchor_step` at `anchor_node`, clock `of`).
fn relate(
    anchor_step: u64,
    anchor_node: NodeId,
    of: &[u32],
    step: u64,
    node: NodeId,
    clock: &[u32],
) -> Relation {
    if step == anchor_step && node == anchor_node {
        return Relation::Anchor;
    }
    let own = |clock: &[u32], i: NodeId| clock.get(i.index()).copied();
    match (
        own(clock, node),
        own(of, node),
        own(clock, anchor_node),
        own(of, anchor_node),
    ) {
        // The anchor has seen this event's own tick: it happened before.
        (Some(mine), Some(seen), ..) if mine <= seen => Relation::Before,
        // This event has seen the anchor's own tick: it happened after.
        (_, _, Some(seen), Some(theirs)) if theirs <= seen => Relation::After,
        _ => Relation::Concurrent,
    }
}

/// What a topic adds to the timeline ([`Annotations`]), placed on a laid-out
/// window: bars above node lanes and instants across all of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overlay {
    pub bars: Vec<Bar>,
    pub instants: Vec<Instant>,
}

/// A span drawn as a bar just above its node's lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x1: f64,
    pub x2: f64,
    pub y: f64,
    pub label: String,
    /// The palette slot's name (`lead`, `suspect`, ...).
    pub slot: &'static str,
    /// Still open at the instant shown.
    pub open: bool,
    /// Whether its label is written above it: only when the bar is wide
    /// enough and the label clears the previous label on its lane (its
    /// tooltip names it either way).
    pub labelled: bool,
}

/// The width of a bar's 7 px label, with a little air after it.
fn bar_label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 4.3 + 4.0
}

/// A marked instant: a line across every lane with its label at the top.
#[derive(Clone, Debug, PartialEq)]
pub struct Instant {
    pub x: f64,
    pub label: String,
}

/// Places `annotations` on `layout` (the window shown at `now`): what lies
/// outside the window, or after `now`, or on a node without a lane, is left out;
/// open spans reach `now`.
pub fn overlay(layout: &TimelineLayout, now: Time, annotations: &Annotations) -> Overlay {
    let (start, end) = (layout.start, layout.end.min(now));
    let span = (layout.end.as_micros() - start.as_micros()).max(1) as f64;
    let plot = (layout.width - LABEL_WIDTH - 6.0).max(10.0);
    let x = |t: Time| {
        LABEL_WIDTH + t.as_micros().saturating_sub(start.as_micros()) as f64 / span * plot
    };
    // Where the last label written on each lane ends.
    let mut label_free_from = vec![0.0f64; layout.lanes.len()];
    let bars = annotations
        .spans
        .iter()
        .filter_map(|s| {
            let lane = layout.lanes.get(s.node.index())?;
            let to = s.to.unwrap_or(now).min(end);
            if s.from > end || to < start {
                return None;
            }
            let (x1, x2) = (x(s.from.max(start)), x(to).max(x(s.from.max(start)) + 1.0));
            let free = label_free_from.get_mut(s.node.index())?;
            let labelled = x2 - x1 > bar_label_width(&s.label) && x1 >= *free;
            if labelled {
                *free = x1 + bar_label_width(&s.label);
            }
            Some(Bar {
                x1,
                x2,
                y: lane.y - LANE_HEIGHT / 2.0 + 3.0,
                label: s.label.clone(),
                slot: s.palette.as_str(),
                open: s.to.is_none_or(|to| to > now),
                labelled,
            })
        })
        .collect();
    let instants = annotations
        .marks
        .iter()
        .filter(|m| m.at >= start && m.at <= end)
        .map(|m| Instant {
            x: x(m.at),
            label: m.label.clone(),
        })
        .collect();
    Overlay { bars, instants }
}

/// Round tick marks (1, 2 or 5 times a power of ten milliseconds), about eight of
/// them across the window.
/// Round-numbered ticks, about `count` of them.
fn ticks(start: Time, end: Time, x: &dyn Fn(Time) -> f64, count: f64) -> Vec<Tick> {
    let span_ms = (end.as_micros() - start.as_micros()) as f64 / 1000.0;
    let step_ms = super::nice_step((span_ms / count).max(0.001));
    let step_us = ((step_ms * 1000.0).round() as u64).max(1);
    let mut t = start.as_micros().div_ceil(step_us) * step_us;
    let mut ticks = Vec::new();
    while t <= end.as_micros() {
        let label = if step_us >= 1000 {
            format!("{}ms", t / 1000)
        } else {
            // Tenths of a millisecond in integers (no float formatting code).
            let tenths = (t + 50) / 100;
            format!("{}.{}ms", tenths / 10, tenths % 10)
        };
        let at = x(Time(t));
        ticks.push(Tick {
            x: at,
            end_anchored: at > x(end) - 24.0,
            label,
        });
        t += step_us;
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::catalog;
    use distlab_core::lab::run::{Run, RunOptions};
    use distlab_core::lab::scenario::Scenario;
    use distlab_core::sim::action::Action;
    use distlab_core::sim::time::NodeId;

    fn raft_run(actions: &[(u64, Action)], until_ms: u64) -> Box<dyn distlab_core::lab::run::Run> {
        let mut scenario = Scenario::new("raft", 4);
        for (ms, action) in actions {
            scenario.push_action(Time::from_millis(*ms), action.clone());
        }
        let mut run = catalog::build(&scenario, RunOptions::default()).unwrap();
        run.run_until(Time::from_millis(until_ms));
        run
    }

    #[test]
    fn a_large_cluster_gets_a_bounded_number_of_lanes() {
        let mut scenario = Scenario::new("gossip", 1);
        scenario.set_param("nodes", 300);
        let mut run = catalog::build(&scenario, RunOptions::default()).unwrap();
        run.run_until(Time::from_millis(1_000));
        let layout = layout(
            run.trace(),
            &run.cluster(),
            Time::from_millis(1_000),
            Duration::from_millis(500),
            600.0,
            &Selection::default(),
            None,
        );
        assert_eq!(layout.lanes.len(), MAX_LANES + 1);
        assert_eq!(
            layout.lanes[MAX_LANES].label,
            format!("+{}", 300 - MAX_LANES)
        );
        let last = layout.lanes[MAX_LANES - 1].y;
        assert!(!layout.arrows.is_empty());
        for arrow in &layout.arrows {
            assert!(arrow.y1 <= last + 1e-9 && arrow.y2 <= last + 1e-9);
        }
        assert!(layout.marks.iter().all(|m| m.y <= last + 1e-9));
    }

    #[test]
    fn timers_too_dense_to_read_are_left_out_and_the_rest_kept() {
        let mut scenario = Scenario::new("gossip", 1);
        scenario.set_param("nodes", 300);
        let mut gossip = catalog::build(&scenario, RunOptions::default()).unwrap();
        gossip.run_until(Time::from_millis(1_000));
        let at = |run: &dyn Run, ms| {
            layout(
                run.trace(),
                &run.cluster(),
                Time::from_millis(ms),
                Duration::from_millis(800),
                600.0,
                &Selection::default(),
                None,
            )
        };
        let timers = |layout: &TimelineLayout| {
            layout
                .marks
                .iter()
                .filter(|m| m.kind == MarkKind::Timer)
                .count()
        };
        let fired = gossip
            .trace()
            .events
            .iter()
            .filter(|e| e.time >= Time::from_millis(200))
            .filter(|e| matches!(e.kind, EventKind::Timer { .. }))
            .filter(|e| e.node.is_some_and(|n| n.index() < MAX_LANES))
            .count();
        assert!(fired > MAX_TIMER_MARKS, "{fired} rounds on the lanes");
        let dense = at(gossip.as_ref(), 1_000);
        assert_eq!(timers(&dense), 0);
        let in_window = gossip
            .trace()
            .events
            .iter()
            .filter(|e| e.time >= dense.start && e.time <= Time::from_millis(1_000))
            .filter(|e| matches!(e.kind, EventKind::Timer { .. }))
            .filter(|e| e.node.is_some_and(|n| n.index() < MAX_LANES))
            .count();
        assert_eq!(dense.timers_left_out, in_window);
        // Raft's few timers are all drawn.
        let raft = raft_run(&[], 2_000);
        let sparse = at(raft.as_ref(), 2_000);
        assert!(timers(&sparse) > 0);
        assert!(timers(&sparse) <= MAX_TIMER_MARKS);
        assert_eq!(sparse.timers_left_out, 0);
    }

    #[test]
    fn arrows_stay_in_the_window_and_go_from_sender_to_receiver_lane() {
        let run = raft_run(&[], 2_000);
        let layout = layout(
            run.trace(),
            &run.cluster(),
            Time::from_millis(2_000),
            Duration::from_millis(500),
            600.0,
            &Selection::default(),
            None,
        );
        assert_eq!(layout.lanes.len(), 8, "five servers and three clients");
        assert!(!layout.arrows.is_empty());
        for arrow in &layout.arrows {
            assert!(
                arrow.x1 >= LABEL_WIDTH - 1e-9 && arrow.x2 <= 600.0,
                "{arrow:?}"
            );
            assert!(arrow.x2 >= arrow.x1);
        }
        let (t0, t1) = (layout.start, layout.end);
        assert_eq!(t1 - t0, Duration::from_millis(500));
        assert!(
            layout.ticks.len() >= 4 && layout.ticks.len() <= 12,
            "{:?}",
            layout.ticks
        );
    }

    #[test]
    fn spans_sit_above_their_lane_and_marks_at_their_instant_within_the_window() {
        use distlab_core::sim::view::{Mark, Palette, Span};
        let run = raft_run(&[], 1_000);
        let now = Time::from_millis(1_000);
        let window = layout(
            run.trace(),
            &run.cluster(),
            now,
            Duration::from_millis(1_000),
            LABEL_WIDTH + 6.0 + 1_000.0,
            &Selection::default(),
            None,
        );
        let span = |node, from, to: Option<u64>, label: &str| Span {
            node: NodeId(node),
            from: Time::from_millis(from),
            to: to.map(Time::from_millis),
            label: label.into(),
            palette: Palette::Suspect,
        };
        let annotations = Annotations {
            spans: vec![
                span(1, 100, Some(300), "closed"),
                span(2, 600, None, "open"),
                span(99, 100, Some(200), "no lane"),
                // On closed's lane, starting under closed's label: no label.
                span(1, 110, Some(400), "overlapping"),
                // Past it: labelled again.
                span(1, 200, Some(400), "later"),
            ],
            marks: vec![
                Mark {
                    at: Time::from_millis(250),
                    label: "chosen 7".into(),
                },
                Mark {
                    at: Time::from_millis(1_500),
                    label: "later".into(),
                },
            ],
        };
        let overlay = overlay(&window, now, &annotations);
        // One unit per millisecond: the plot is 1,000 units over one second.
        assert_eq!(overlay.bars.len(), 4, "{overlay:?}");
        let labelled: Vec<bool> = overlay.bars.iter().map(|b| b.labelled).collect();
        assert_eq!(labelled, [true, true, false, true]);
        let closed = &overlay.bars[0];
        assert!((closed.x1 - (LABEL_WIDTH + 100.0)).abs() < 1e-6);
        assert!((closed.x2 - (LABEL_WIDTH + 300.0)).abs() < 1e-6);
        assert!(closed.y < window.lanes[1].y && closed.y > window.lanes[0].y);
        assert!(!closed.open && closed.slot == "suspect");
        let open = &overlay.bars[1];
        assert!(open.open && (open.x2 - (LABEL_WIDTH + 1_000.0)).abs() < 1e-6);
        assert_eq!(overlay.instants.len(), 1);
        assert!((overlay.instants[0].x - (LABEL_WIDTH + 250.0)).abs() < 1e-6);
        assert_eq!(overlay.instants[0].label, "chosen 7");
    }

    #[test]
    fn a_crashed_node_has_a_down_span_until_its_restart() {
        let run = raft_run(
            &[
                (1_000, Action::Crash(NodeId(1))),
                (1_400, Action::Restart(NodeId(1))),
            ],
            2_000,
        );
        let window = layout(
            run.trace(),
            &run.cluster(),
            Time::from_millis(2_000),
            Duration::from_millis(2_000),
            2_000.0 + LABEL_WIDTH + 6.0,
            &Selection::default(),
            None,
        );
        // One unit per millisecond: the span runs from 1000 to 1400.
        let span = window.lanes[1].down[0];
        assert!((span.0 - (LABEL_WIDTH + 1_000.0)).abs() < 1.0, "{span:?}");
        assert!((span.1 - (LABEL_WIDTH + 1_400.0)).abs() < 1.0, "{span:?}");
        assert!(window.lanes[0].down.is_empty());
        assert!(window.marks.iter().any(|m| m.kind == MarkKind::Crash));
    }

    #[test]
    fn a_node_still_down_is_down_to_the_end_of_the_window() {
        let run = raft_run(&[(500, Action::Crash(NodeId(3)))], 2_000);
        let window = layout(
            run.trace(),
            &run.cluster(),
            Time::from_millis(2_000),
            Duration::from_millis(1_000),
            800.0,
            &Selection::default(),
            None,
        );
        assert_eq!(window.lanes[3].down.len(), 1);
        let (from, to) = window.lanes[3].down[0];
        assert!(
            (from - LABEL_WIDTH).abs() < 1e-6,
            "crashed before the window"
        );
        assert!((to - (800.0 - 6.0)).abs() < 1e-6);
    }

    #[test]
    fn ticks_are_round_numbers() {
        let x = |t: Time| t.as_micros() as f64;
        let t = ticks(Time::from_millis(1_234), Time::from_millis(2_234), &x, 8.0);
        assert!(
            t.iter()
                .all(|tick| tick.label.ends_with("00ms") || tick.label.ends_with("50ms")),
            "{t:?}"
        );
    }

    #[test]
    fn a_violation_marks_its_causal_past() {
        let topic = catalog::find("raft").unwrap();
        let preset = topic.preset("figure-8-unsafe").unwrap();
        let scenario = topic.preset_scenario(preset);
        let mut run = catalog::build(&scenario, RunOptions::default()).unwrap();
        let violation = run.run_until_violation(Time::from_millis(1_500)).unwrap();
        let layout = layout(
            run.trace(),
            &run.cluster(),
            violation.time,
            Duration::from_millis(800),
            900.0,
            &Selection::default(),
            None,
        );
        let anchor = layout.anchor.as_ref().expect("the violation is the anchor");
        assert_eq!(anchor.step, violation.step);
        assert!(!anchor.picked);
        let before: Vec<&Arrow> = layout
            .arrows
            .iter()
            .filter(|a| a.relation == Relation::Before)
            .collect();
        assert!(!before.is_empty(), "messages led to the violation");
        assert!(before.len() < layout.arrows.len(), "and some did not");
        assert!(before.iter().all(|a| !a.in_flight && !a.lost));
        let marks = |r: Relation| layout.marks.iter().filter(|m| m.relation == r).count();
        assert!(marks(Relation::Before) + marks(Relation::Anchor) > 0);
        // Before any violation nothing is marked.
        let calm = layout_at(run.as_ref(), Time::from_millis(300));
        assert_eq!(calm.anchor, None);
        assert!(calm.arrows.iter().all(|a| a.relation == Relation::Unmarked));
    }

    #[test]
    fn a_violation_ahead_marks_what_leads_to_it_one_step_before() {
        let topic = catalog::find("raft").unwrap();
        let preset = topic.preset("figure-8-unsafe").unwrap();
        let scenario = topic.preset_scenario(preset);
        let mut run = catalog::build(&scenario, RunOptions::default()).unwrap();
        let violation = run.run_until_violation(Time::from_millis(1_500)).unwrap();
        let event = run
            .trace()
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Violation { .. }))
            .unwrap();
        let ahead = Ahead {
            step: event.step,
            node: event.node.unwrap(),
            time: event.time,
            lamport: event.lamport,
            clock: event.clock.as_deref().unwrap().to_vec(),
            what: "state-machine-safety: two entries".into(),
        };
        let span = Duration::from_millis(800);
        let at = |run: &dyn Run, ahead: Option<&Ahead>| {
            layout(
                run.trace(),
                &run.cluster(),
                run.now(),
                span,
                900.0,
                &Selection::default(),
                ahead,
            )
        };
        let after = at(run.as_ref(), None);
        let mut before_run = catalog::build(&scenario, RunOptions::default()).unwrap();
        while before_run.steps() + 1 < violation.step {
            assert!(before_run.step());
        }
        assert!(before_run.violations().is_empty());
        let plain = at(before_run.as_ref(), None);
        assert_eq!(plain.anchor, None, "nothing has broken yet");
        let marked = at(before_run.as_ref(), Some(&ahead));
        let anchor = marked
            .anchor
            .as_ref()
            .expect("the violation ahead is the anchor");
        assert!(anchor.ahead && !anchor.picked);
        assert_eq!(
            (anchor.step, anchor.node, anchor.time),
            (ahead.step, ahead.node, ahead.time)
        );
        assert_eq!(anchor.what, ahead.what);
        assert_eq!(anchor.after, 0, "nothing has happened after it yet");
        // What is marked before it is what is marked once it has happened.
        let before = |layout: &TimelineLayout| -> Vec<u32> {
            layout
                .arrows
                .iter()
                .filter(|a| a.relation == Relation::Before)
                .map(|a| a.id)
                .collect()
        };
        assert!(!before(&marked).is_empty());
        assert!(before(&marked).len() < marked.arrows.len(), "and not all");
        assert!(before(&marked).iter().all(|id| before(&after).contains(id)));
    }

    #[test]
    fn a_picked_event_splits_the_window_into_past_future_and_concurrent() {
        let run = raft_run(&[], 2_000);
        let now = Time::from_millis(2_000);
        let plain = layout_at(run.as_ref(), now);
        // Pick a delivery in the middle of the window.
        let arrows: Vec<&Arrow> = plain
            .arrows
            .iter()
            .filter(|a| a.delivered_at.is_some())
            .collect();
        let middle = arrows[arrows.len() / 2];
        let to = run.trace().message(middle.id).map(|m| m.to).unwrap();
        let selection = Selection {
            event: Some((middle.delivered_at.unwrap(), to)),
            hidden: Vec::new(),
        };
        let picked = layout(
            run.trace(),
            &run.cluster(),
            now,
            Duration::from_millis(300),
            900.0,
            &selection,
            None,
        );
        let anchor = picked.anchor.as_ref().expect("the picked event");
        assert!(anchor.picked && anchor.node == to);
        assert!(
            anchor.before > 0 && anchor.after > 0 && anchor.concurrent > 0,
            "{anchor:?}"
        );
        assert_eq!(anchor.clock.len(), run.cluster().nodes.len());
        // The picked delivery's own arrow is in its past; the relations agree
        // with the clocks the simulator recorded at each end of every arrow.
        let own = picked.arrows.iter().find(|a| a.id == middle.id).unwrap();
        assert_eq!(own.relation, Relation::Before);
        let count = |r: Relation| picked.arrows.iter().filter(|a| a.relation == r).count();
        assert!(
            count(Relation::Before) > 1
                && count(Relation::After) > 0
                && count(Relation::Concurrent) > 0
        );
        for arrow in picked
            .arrows
            .iter()
            .filter(|a| a.relation == Relation::After)
        {
            let send = run
                .trace()
                .events
                .iter()
                .find(|e| matches!(e.kind, EventKind::Send { message } if message == arrow.id))
                .unwrap();
            let clock = send.clock.as_ref().unwrap();
            assert!(
                clock[to.index()] >= anchor.clock[to.index()],
                "sent after it knew of the anchor"
            );
        }
        // Picking the same event again drops the pick.
        let mut again = selection.clone();
        again.toggle_event((middle.delivered_at.unwrap(), to));
        assert_eq!(again.event, None);
    }

    #[test]
    fn hidden_message_types_are_not_drawn_but_still_listed() {
        let run = raft_run(&[], 2_000);
        let now = Time::from_millis(2_000);
        let plain = layout_at(run.as_ref(), now);
        assert!(plain.kinds.len() >= 2, "{:?}", plain.kinds);
        let kind = plain.kinds[0].name;
        let mut selection = Selection::default();
        selection.toggle_kind(kind);
        let filtered = layout(
            run.trace(),
            &run.cluster(),
            now,
            Duration::from_millis(300),
            900.0,
            &selection,
            None,
        );
        let label_kind = |a: &Arrow| run.trace().message(a.id).unwrap().kind;
        assert!(filtered.arrows.iter().all(|a| label_kind(a) != kind));
        assert!(filtered.arrows.len() < plain.arrows.len());
        assert!(filtered.kinds.iter().any(|k| k.name == kind && k.hidden));
        selection.toggle_kind(kind);
        assert!(selection.hidden.is_empty());
    }

    fn layout_at(run: &dyn distlab_core::lab::run::Run, now: Time) -> TimelineLayout {
        layout(
            run.trace(),
            &run.cluster(),
            now,
            Duration::from_millis(300),
            900.0,
            &Selection::default(),
            None,
        )
    }
}
