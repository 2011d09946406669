//! Geometry of the space-time timeline: one lane per node, time to the right,
//! messages as arrows from send to arrival (or to where they were lost), crashes as
//! greyed spans, and marks for timers, inputs, network changes and violations.
//!
//! Only the visible window is laid out, and it is found without scanning the whole
//! trace: events are sorted by time (binary search), messages by send time (scan
//! back from the newest until sends are older than the longest possible flight).

use distlab_core::sim::network::{DropReason, Fate};
use distlab_core::sim::time::{Duration, Time};
use distlab_core::sim::trace::{EventKind, Trace, TraceEvent};
use distlab_core::sim::view::{Annotations, ClusterState};

use super::palette_index;

/// Left margin for lane labels.
pub const LABEL_WIDTH: f64 = 34.0;
/// Height of one lane.
pub const LANE_HEIGHT: f64 = 34.0;
/// Space above the first lane for tick labels.
pub const TOP: f64 = 18.0;
/// The longest a message can be in flight (latency plus reordering delay), so
/// scanning back this far finds every message crossing the window.
const LONGEST_FLIGHT: Duration = Duration::from_millis(2_000);
/// Arrows drawn at most; beyond this the window is too dense to read anyway.
pub const MAX_ARROWS: usize = 800;

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
    /// The step of the violation whose causal past is marked (`causal` on arrows
    /// and marks): the latest one in the window, when its node has a vector clock.
    pub causal_of: Option<u64>,
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
    /// Delivered in the causal past of the marked violation (see
    /// [`TimelineLayout::causal_of`]).
    pub causal: bool,
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
    /// In the causal past of the marked violation (or the violation itself).
    pub causal: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub label: String,
    /// The label ends at the tick (near the right edge, so it is not cut off).
    pub end_anchored: bool,
}

/// Lays out the window `[end - span, end]` (clamped at zero) of `trace` over
/// `width` units. `cluster` is the state at `end`.
pub fn layout(
    trace: &Trace,
    cluster: &ClusterState,
    now: Time,
    span: Duration,
    width: f64,
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
    let count = cluster.nodes.len();
    let lane_y = |node: usize| TOP + LANE_HEIGHT * (node as f64 + 0.5);

    let first = trace.events.partition_point(|e| e.time < start);
    let visible = trace.events[first..].iter().take_while(|e| e.time <= now);

    // The events that matter for the latest violation in the window: those that
    // happened before it (Lamport's relation, read from the vector clocks: an
    // event at node i precedes v when its own entry is at most v's entry for i).
    let violation = visible
        .clone()
        .filter(|e| matches!(e.kind, EventKind::Violation { .. }))
        .filter_map(|e| Some((e.step, e.node?, e.clock.as_ref()?)))
        .last();
    let in_past = |event: &TraceEvent| match (violation, event.node, &event.clock) {
        (Some((_, _, of)), Some(node), Some(clock)) => {
            let i = node.index();
            matches!((clock.get(i), of.get(i)), (Some(mine), Some(theirs)) if mine <= theirs)
        }
        _ => false,
    };
    let mut causal_messages: Vec<u32> = visible
        .clone()
        .filter_map(|e| match e.kind {
            EventKind::Deliver { message } if in_past(e) => Some(message),
            _ => None,
        })
        .collect();
    distlab_core::sort::sort_stably_by(&mut causal_messages, |&id| u64::from(id));

    // Down spans, swept backwards from the known state at `now`.
    let mut down: Vec<Vec<(f64, f64)>> = vec![Vec::new(); count];
    let mut down_until: Vec<Option<f64>> = cluster
        .nodes
        .iter()
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

    for event in visible {
        let y = event.node.map(|n| lane_y(n.index())).unwrap_or(TOP);
        let (kind, label) = match &event.kind {
            EventKind::Timer { label, .. } => (MarkKind::Timer, label.clone()),
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
            causal: in_past(event),
        });
    }

    let oldest = Time(start.as_micros().saturating_sub(LONGEST_FLIGHT.as_micros()));
    let mut arrows: Vec<Arrow> = trace
        .messages
        .iter()
        .rev()
        .take_while(|m| m.sent_at >= oldest)
        .filter(|m| m.sent_at <= now && m.ends_at() >= start)
        .filter(|m| m.from.index() < count && m.to.index() < count)
        .take(MAX_ARROWS)
        .map(|m| {
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
                causal: causal_messages.binary_search(&m.id).is_ok(),
            }
        })
        .collect();
    arrows.reverse();

    let lanes = (0..count)
        .map(|i| Lane {
            label: cluster.nodes[i].id.to_string(),
            y: lane_y(i),
            down: std::mem::take(&mut down[i]),
        })
        .collect();

    TimelineLayout {
        width,
        height: TOP + LANE_HEIGHT * count as f64 + 4.0,
        start,
        end,
        lanes,
        arrows,
        marks,
        ticks: ticks(start, end, &x, (plot / 90.0).clamp(3.0, 8.0)),
        now_x: x(now.min(end)),
        causal_of: violation.map(|(step, ..)| step),
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
    let bars = annotations
        .spans
        .iter()
        .filter_map(|s| {
            let lane = layout.lanes.get(s.node.index())?;
            let to = s.to.unwrap_or(now).min(end);
            (s.from <= end && to >= start).then(|| Bar {
                x1: x(s.from.max(start)),
                x2: x(to).max(x(s.from.max(start)) + 1.0),
                y: lane.y - LANE_HEIGHT / 2.0 + 3.0,
                label: s.label.clone(),
                slot: s.palette.as_str(),
                open: s.to.is_none_or(|to| to > now),
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
    use distlab_core::lab::run::RunOptions;
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
    fn arrows_stay_in_the_window_and_go_from_sender_to_receiver_lane() {
        let run = raft_run(&[], 2_000);
        let layout = layout(
            run.trace(),
            &run.cluster(),
            Time::from_millis(2_000),
            Duration::from_millis(500),
            600.0,
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
        assert_eq!(overlay.bars.len(), 2, "{overlay:?}");
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
        );
        assert_eq!(layout.causal_of, Some(violation.step));
        let causal: Vec<&Arrow> = layout.arrows.iter().filter(|a| a.causal).collect();
        assert!(!causal.is_empty(), "messages led to the violation");
        assert!(causal.len() < layout.arrows.len(), "and some did not");
        assert!(causal.iter().all(|a| !a.in_flight && !a.lost));
        let marks = |causal: bool| layout.marks.iter().filter(|m| m.causal == causal).count();
        assert!(marks(true) > 0, "the violation and what led to it");
        // Before any violation nothing is marked.
        let calm = layout_at(run.as_ref(), Time::from_millis(300));
        assert_eq!(calm.causal_of, None);
        assert!(calm.arrows.iter().all(|a| !a.causal));
    }

    fn layout_at(run: &dyn distlab_core::lab::run::Run, now: Time) -> TimelineLayout {
        layout(
            run.trace(),
            &run.cluster(),
            now,
            Duration::from_millis(300),
            900.0,
        )
    }
}
