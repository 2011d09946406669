//! Geometry of the client history view, drawn under the timeline over the same
//! window of time: one lane per client process, each operation a bar from its
//! invocation to its completion (open to the right when the client never learned
//! the outcome), coloured by outcome. When the history is linearizable each bar
//! that took effect carries its linearization point and its place in the order;
//! when it is not, the operations of the counterexample are marked.

use distlab_core::history::{Function, History, Operation, Outcome, Value, Verdict};
use distlab_core::sim::time::Time;

use super::timeline::{LABEL_WIDTH, TOP};

/// Height of one client's lane.
pub const LANE_HEIGHT: f64 = 22.0;
/// Bars drawn at most; a denser window is not readable anyway.
pub const MAX_BARS: usize = 600;

#[derive(Clone, Debug, PartialEq)]
pub struct HistoryLayout {
    pub width: f64,
    pub height: f64,
    pub lanes: Vec<ClientLane>,
    pub bars: Vec<OperationBar>,
    /// What the check says, in a sentence.
    pub verdict: VerdictText,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClientLane {
    pub label: String,
    pub y: f64,
}

/// How a bar is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    Ok,
    Fail,
    /// The client gave up, or is still waiting: it may or may not take effect.
    Unknown,
}

impl BarKind {
    pub fn class(self) -> &'static str {
        match self {
            BarKind::Ok => "ok",
            BarKind::Fail => "fail",
            BarKind::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OperationBar {
    pub x1: f64,
    pub x2: f64,
    pub y: f64,
    pub kind: BarKind,
    /// Runs past the window's right edge with no end known.
    pub open: bool,
    /// Short text inside the bar: `put k0 7`, `get k0 → 7`.
    pub text: String,
    /// The tooltip: what it did, when, and where the order puts it.
    pub detail: String,
    /// Where it took effect, when the history is linearizable.
    pub point_x: Option<f64>,
    /// Part of the counterexample.
    pub bad: bool,
}

/// The check's result as the view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerdictText {
    Linearizable(String),
    NotLinearizable(String),
    Unknown(String),
}

/// What an operation asked for: `put k0 7`, `cas k1 3→4`, `get k2`.
pub fn operation_text(operation: &Operation) -> String {
    let key = operation.key;
    match (operation.function, &operation.input) {
        (Function::Get, _) => format!("get k{key}"),
        (Function::Put, value) => format!("put k{key} {}", value),
        (Function::Append, value) => format!("append k{key} {}", value),
        (Function::Cas, Value::Pair(old, new)) => format!("cas k{key} {old}→{new}"),
        (Function::Cas, value) => format!("cas k{key} {}", value),
    }
}

/// Lays out the operations of `history` over the window `[start, end]` of
/// `width` units (the timeline's), with `verdict` from the linearizability check.
pub fn layout(
    history: &History,
    verdict: Option<&Verdict>,
    start: Time,
    end: Time,
    now: Time,
    width: f64,
) -> HistoryLayout {
    let operations = history.operations();
    let mut processes: Vec<u32> = operations.iter().map(|o| o.process).collect();
    distlab_core::sort::sort_stably_by(&mut processes, |&p| u64::from(p));
    processes.dedup();
    let lane_y = |process: u32| {
        let index = processes.partition_point(|&p| p < process);
        TOP + LANE_HEIGHT * (index as f64 + 0.5)
    };
    let span = end.as_micros().saturating_sub(start.as_micros()).max(1) as f64;
    let plot = (width - LABEL_WIDTH - 6.0).max(10.0);
    let x = |t: Time| {
        let offset = t.as_micros().clamp(start.as_micros(), end.as_micros()) - start.as_micros();
        LABEL_WIDTH + offset as f64 / span * plot
    };

    // Where each operation took effect and its place in the order, or which
    // operations make the counterexample.
    let mut points: Vec<Option<(usize, Time)>> = vec![None; operations.len()];
    let mut bad = vec![false; operations.len()];
    let verdict_text = match verdict {
        Some(Verdict::Linearizable(linearization)) => {
            for (order, &(index, at)) in linearization.points.iter().enumerate() {
                if let Some(slot) = points.get_mut(index) {
                    *slot = Some((order + 1, at));
                }
            }
            VerdictText::Linearizable(format!(
                "Linearizable: the {} operations so far take effect in one order the store explains (the dots; hover a bar for its place).",
                operations.len()
            ))
        }
        Some(Verdict::NotLinearizable(counterexample)) => {
            for &index in &counterexample.operations {
                if let Some(slot) = bad.get_mut(index) {
                    *slot = true;
                }
            }
            VerdictText::NotLinearizable(format!(
                "Not linearizable: {}",
                counterexample.explanation
            ))
        }
        Some(Verdict::Unknown { explored }) => VerdictText::Unknown(format!(
            "Not decided: the search stopped after {explored} states."
        )),
        None => VerdictText::Unknown("Not checked.".to_string()),
    };

    let mut bars = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        // Only what had happened by `now` (an imported file's history runs past
        // the instant its slider shows): later completions are still waiting.
        let finished = operation.completed.filter(|&t| t <= now);
        if operation.invoked > end.min(now) || finished.is_some_and(|t| t < start) {
            continue;
        }
        if bars.len() >= MAX_BARS {
            break;
        }
        let (kind, outcome) = match operation.outcome {
            _ if finished.is_none() && operation.completed.is_some() => {
                (BarKind::Unknown, "still waiting")
            }
            Outcome::Ok => (BarKind::Ok, "ok"),
            Outcome::Fail => (BarKind::Fail, "failed"),
            Outcome::Info => (BarKind::Unknown, "outcome unknown (the client gave up)"),
            Outcome::Open => (BarKind::Unknown, "still waiting"),
        };
        let point = points[index].filter(|&(_, at)| at <= now);
        let until = finished.unwrap_or(now.max(operation.invoked));
        let asked = operation_text(operation);
        let text = match (operation.function, kind) {
            (Function::Get, BarKind::Ok) => format!("{asked} → {}", operation.output),
            _ => asked.clone(),
        };
        let place = match point {
            Some((order, at)) => format!(", takes effect at {at} (#{order} in the order)"),
            None => String::new(),
        };
        let detail = format!(
            "c{}: {text}, {outcome}; invoked {}{}{place}",
            operation.process,
            operation.invoked,
            finished.map_or_else(String::new, |t| format!(", completed {t}")),
        );
        bars.push(OperationBar {
            x1: x(operation.invoked),
            x2: x(until).max(x(operation.invoked) + 2.0),
            y: lane_y(operation.process),
            kind,
            open: finished.is_none(),
            text,
            detail,
            point_x: point.map(|(_, at)| x(at)),
            bad: bad[index],
        });
    }

    HistoryLayout {
        width,
        height: TOP + LANE_HEIGHT * processes.len() as f64 + 4.0,
        lanes: processes
            .iter()
            .map(|&process| ClientLane {
                label: format!("c{process}"),
                y: lane_y(process),
            })
            .collect(),
        bars,
        verdict: verdict_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::history::{check, EventKind, HistoryEvent};

    fn event(
        process: u32,
        kind: EventKind,
        function: Function,
        value: Value,
        ms: u64,
    ) -> HistoryEvent {
        HistoryEvent {
            process,
            kind,
            function,
            key: 0,
            value,
            time: Time::from_millis(ms),
        }
    }

    fn history(events: Vec<HistoryEvent>) -> History {
        let mut history = History::new();
        for e in events {
            history.push(e);
        }
        history
    }

    #[test]
    fn bars_span_invocation_to_completion_on_their_clients_lanes() {
        let h = history(vec![
            event(0, EventKind::Invoke, Function::Put, Value::Int(1), 100),
            event(3, EventKind::Invoke, Function::Get, Value::None, 150),
            event(0, EventKind::Ok, Function::Put, Value::Int(1), 200),
            event(3, EventKind::Ok, Function::Get, Value::Int(1), 300),
        ]);
        let verdict = check(&h);
        let l = layout(
            &h,
            Some(&verdict),
            Time::ZERO,
            Time::from_millis(1_000),
            Time::from_millis(1_000),
            1_000.0,
        );
        assert_eq!(l.lanes.len(), 2, "one lane per client seen");
        assert_eq!(l.lanes[1].label, "c3");
        assert_eq!(l.bars.len(), 2);
        let put = &l.bars[0];
        assert!(put.x1 < put.x2 && put.y == l.lanes[0].y && put.kind == BarKind::Ok);
        assert_eq!(l.bars[1].text, "get k0 → 1");
        assert!(matches!(l.verdict, VerdictText::Linearizable(_)));
        for bar in &l.bars {
            let point = bar.point_x.expect("every ok operation has its point");
            assert!(point >= bar.x1 - 0.01 && point <= bar.x2 + 0.01, "{bar:?}");
        }
    }

    #[test]
    fn only_what_happened_by_the_instant_shown_is_drawn() {
        // An imported file's whole history, shown at 250 ms: the put is still
        // waiting and the get has not been invoked yet.
        let h = history(vec![
            event(0, EventKind::Invoke, Function::Put, Value::Int(1), 100),
            event(0, EventKind::Ok, Function::Put, Value::Int(1), 300),
            event(1, EventKind::Invoke, Function::Get, Value::None, 400),
            event(1, EventKind::Ok, Function::Get, Value::Int(1), 500),
        ]);
        let verdict = check(&h);
        let l = layout(
            &h,
            Some(&verdict),
            Time::ZERO,
            Time::from_millis(1_000),
            Time::from_millis(250),
            1_000.0,
        );
        assert_eq!(l.bars.len(), 1);
        let put = &l.bars[0];
        assert!(put.open && put.kind == BarKind::Unknown, "{put:?}");
        let now_x = LABEL_WIDTH + 0.25 * (1_000.0 - LABEL_WIDTH - 6.0);
        assert!(
            put.point_x.is_none_or(|x| x <= now_x + 0.01),
            "no point after the instant shown: {put:?}"
        );
    }

    #[test]
    fn a_stale_read_marks_the_counterexample() {
        let h = history(vec![
            event(0, EventKind::Invoke, Function::Put, Value::Int(1), 100),
            event(0, EventKind::Ok, Function::Put, Value::Int(1), 200),
            event(0, EventKind::Invoke, Function::Put, Value::Int(2), 300),
            event(0, EventKind::Ok, Function::Put, Value::Int(2), 400),
            event(1, EventKind::Invoke, Function::Get, Value::None, 500),
            event(1, EventKind::Ok, Function::Get, Value::Int(1), 600),
        ]);
        let verdict = check(&h);
        let l = layout(
            &h,
            Some(&verdict),
            Time::ZERO,
            Time::from_millis(1_000),
            Time::from_millis(1_000),
            1_000.0,
        );
        assert!(
            matches!(l.verdict, VerdictText::NotLinearizable(_)),
            "{:?}",
            l.verdict
        );
        assert!(l.bars.iter().any(|b| b.bad && b.text == "get k0 → 1"));
    }

    #[test]
    fn an_operation_never_completed_stays_open_to_now() {
        let h = history(vec![event(
            2,
            EventKind::Invoke,
            Function::Append,
            Value::Int(9),
            100,
        )]);
        let l = layout(
            &h,
            None,
            Time::ZERO,
            Time::from_millis(1_000),
            Time::from_millis(700),
            1_000.0,
        );
        let bar = &l.bars[0];
        assert!(bar.open && bar.kind == BarKind::Unknown);
        let plot = 1_000.0 - LABEL_WIDTH - 6.0;
        assert!((bar.x2 - (LABEL_WIDTH + 0.7 * plot)).abs() < 0.5, "{bar:?}");
    }

    #[test]
    fn operations_outside_the_window_are_left_out() {
        let h = history(vec![
            event(0, EventKind::Invoke, Function::Put, Value::Int(1), 100),
            event(0, EventKind::Ok, Function::Put, Value::Int(1), 200),
            event(0, EventKind::Invoke, Function::Put, Value::Int(2), 2_100),
            event(0, EventKind::Ok, Function::Put, Value::Int(2), 2_200),
        ]);
        let l = layout(
            &h,
            None,
            Time::from_millis(2_000),
            Time::from_millis(3_000),
            Time::from_millis(3_000),
            1_000.0,
        );
        assert_eq!(l.bars.len(), 1);
        assert_eq!(l.bars[0].text, "put k0 2");
    }
}
