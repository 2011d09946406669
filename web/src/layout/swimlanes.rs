//! Geometry of a topic's own lanes ([`Swimlanes`]: a row per saga), drawn
//! under the timeline over the same window of time and label width, so an
//! instant on a lane sits under the same instant of the timeline: bars from
//! their start to their end (open ones to the instant shown), marks as lines
//! across their row, ticks under it. What lies outside the window, or after
//! the instant shown, is left out; what crosses an edge is cut at it.

use distlab_core::sim::time::Time;
use distlab_core::sim::view::Swimlanes;

use super::timeline::{LABEL_WIDTH, TOP};

/// Height of one lane.
pub const LANE_HEIGHT: f64 = 24.0;
/// Lanes drawn at most, whatever the topic returns.
pub const MAX_LANES: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub struct SwimlanesLayout {
    pub width: f64,
    pub height: f64,
    pub title: String,
    pub caption: String,
    pub lanes: Vec<PlacedLane>,
    pub bars: Vec<PlacedBar>,
    pub marks: Vec<PlacedMark>,
    pub ticks: Vec<PlacedTick>,
}

/// A lane's label and the height of its middle.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLane {
    pub label: String,
    pub detail: String,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlacedBar {
    pub x1: f64,
    pub x2: f64,
    /// The middle of its lane.
    pub y: f64,
    pub label: String,
    /// The palette slot's name (`done`, `faulty`).
    pub slot: &'static str,
    /// Still going on at the instant shown.
    pub open: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlacedMark {
    pub x: f64,
    pub y: f64,
    pub label: String,
    pub slot: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlacedTick {
    pub x: f64,
    pub y: f64,
}

/// Lays out `swimlanes` over the window `[start, end]` of `width` units (the
/// timeline's), as they stand at `now`.
pub fn layout(
    swimlanes: &Swimlanes,
    start: Time,
    end: Time,
    now: Time,
    width: f64,
) -> SwimlanesLayout {
    let last = end.min(now);
    let span = end.as_micros().saturating_sub(start.as_micros()).max(1) as f64;
    let plot = (width - LABEL_WIDTH - 6.0).max(10.0);
    let x = |t: Time| {
        let offset = t.as_micros().clamp(start.as_micros(), end.as_micros()) - start.as_micros();
        LABEL_WIDTH + offset as f64 / span * plot
    };
    let within = |t: Time| t >= start && t <= last;
    let mut lanes = Vec::new();
    let mut bars = Vec::new();
    let mut marks = Vec::new();
    let mut ticks = Vec::new();
    for (index, lane) in swimlanes.lanes.iter().take(MAX_LANES).enumerate() {
        let y = TOP + LANE_HEIGHT * (index as f64 + 0.5);
        lanes.push(PlacedLane {
            label: lane.label.clone(),
            detail: lane.detail.clone(),
            y,
        });
        for bar in &lane.bars {
            let open = bar.to.is_none_or(|to| to > now);
            let to = bar.to.unwrap_or(now).min(last);
            if bar.from > last || to < start {
                continue;
            }
            let x1 = x(bar.from);
            bars.push(PlacedBar {
                x1,
                x2: x(to).max(x1 + 1.0),
                y,
                label: bar.label.clone(),
                slot: bar.palette.as_str(),
                open,
            });
        }
        marks.extend(
            lane.marks
                .iter()
                .filter(|mark| within(mark.at))
                .map(|mark| PlacedMark {
                    x: x(mark.at),
                    y,
                    label: mark.label.clone(),
                    slot: mark.palette.as_str(),
                }),
        );
        ticks.extend(
            lane.ticks
                .iter()
                .filter(|&&at| within(at))
                .map(|&at| PlacedTick { x: x(at), y }),
        );
    }
    SwimlanesLayout {
        width,
        height: TOP + LANE_HEIGHT * lanes.len() as f64 + 4.0,
        title: swimlanes.title.clone(),
        caption: swimlanes.caption.clone(),
        lanes,
        bars,
        marks,
        ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::sim::view::{LaneBar, LaneMark, Palette, Swimlane};

    fn ms(ms: u64) -> Time {
        Time::from_millis(ms)
    }

    fn bar(from: u64, to: Option<u64>, label: &str) -> LaneBar {
        LaneBar {
            from: ms(from),
            to: to.map(ms),
            label: label.into(),
            palette: Palette::Done,
        }
    }

    fn lanes(lanes: Vec<Swimlane>) -> Swimlanes {
        Swimlanes {
            title: "Sagas".into(),
            caption: String::new(),
            lanes,
        }
    }

    /// The x of `t` in a 1,000-unit layout of the window 0..1000 ms.
    fn at(t: f64) -> f64 {
        LABEL_WIDTH + t / 1_000.0 * (1_000.0 - LABEL_WIDTH - 6.0)
    }

    #[test]
    fn bars_marks_and_ticks_sit_on_their_lanes_at_their_instants() {
        let swimlanes = lanes(vec![
            Swimlane {
                label: "S1".into(),
                bars: vec![bar(100, Some(200), "T1"), bar(200, Some(300), "C1")],
                marks: vec![LaneMark {
                    at: ms(250),
                    label: "T2 refused".into(),
                    palette: Palette::Faulty,
                }],
                ticks: vec![ms(280)],
                ..Swimlane::default()
            },
            Swimlane {
                label: "S2".into(),
                bars: vec![bar(400, Some(500), "T1")],
                ..Swimlane::default()
            },
        ]);
        let l = layout(&swimlanes, ms(0), ms(1_000), ms(1_000), 1_000.0);
        assert_eq!(l.lanes.len(), 2);
        assert!(l.lanes[0].y < l.lanes[1].y);
        assert!((l.height - (TOP + 2.0 * LANE_HEIGHT + 4.0)).abs() < 1e-9);
        assert_eq!(l.bars.len(), 3);
        let first = &l.bars[0];
        assert!((first.x1 - at(100.0)).abs() < 1e-9 && (first.x2 - at(200.0)).abs() < 1e-9);
        assert_eq!(
            (first.y, first.slot, first.open),
            (l.lanes[0].y, "done", false)
        );
        assert_eq!(l.bars[2].y, l.lanes[1].y);
        assert!((l.marks[0].x - at(250.0)).abs() < 1e-9);
        assert_eq!(l.marks[0].slot, "faulty");
        assert!((l.ticks[0].x - at(280.0)).abs() < 1e-9);
    }

    #[test]
    fn what_crosses_the_window_is_cut_at_its_edges_and_the_rest_left_out() {
        let swimlanes = lanes(vec![Swimlane {
            label: "S1".into(),
            bars: vec![
                bar(50, Some(150), "before"),
                bar(150, Some(450), "across"),
                bar(400, Some(900), "after"),
                bar(250, None, "open"),
            ],
            marks: vec![
                LaneMark {
                    at: ms(120),
                    label: "early".into(),
                    palette: Palette::Faulty,
                },
                LaneMark {
                    at: ms(420),
                    label: "late".into(),
                    palette: Palette::Faulty,
                },
            ],
            ticks: vec![ms(100), ms(260), ms(380)],
            ..Swimlane::default()
        }]);
        // The window 200..400 ms, shown at 350 ms.
        let l = layout(&swimlanes, ms(200), ms(400), ms(350), 1_000.0);
        let labels: Vec<&str> = l.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["across", "open"]);
        let right = LABEL_WIDTH + 0.75 * (1_000.0 - LABEL_WIDTH - 6.0);
        let across = &l.bars[0];
        assert!(
            (across.x1 - LABEL_WIDTH).abs() < 1e-9,
            "cut at the left edge"
        );
        assert!((across.x2 - right).abs() < 1e-9, "cut at the instant shown");
        assert!(across.open, "still going on at 350 ms");
        assert!(l.bars[1].open && (l.bars[1].x2 - right).abs() < 1e-9);
        assert!(l.marks.is_empty(), "{:?}", l.marks);
        assert_eq!(l.ticks.len(), 1);
        for bar in &l.bars {
            assert!(bar.x1 >= LABEL_WIDTH && bar.x2 <= 1_000.0 - 6.0 && bar.x1 < bar.x2);
        }
    }

    #[test]
    fn a_bar_of_no_length_is_still_drawn_and_lanes_are_bounded() {
        let one = Swimlane {
            label: "S".into(),
            bars: vec![bar(300, Some(300), "T1")],
            ..Swimlane::default()
        };
        let l = layout(
            &lanes(vec![one; MAX_LANES + 5]),
            ms(0),
            ms(1_000),
            ms(1_000),
            1_000.0,
        );
        assert_eq!(l.lanes.len(), MAX_LANES);
        assert!(l.bars.iter().all(|b| b.x2 - b.x1 >= 1.0));
        // An empty window or a degenerate width does not divide by zero.
        let l = layout(&lanes(Vec::new()), ms(5), ms(5), ms(5), 0.0);
        assert!(l.lanes.is_empty() && l.height.is_finite());
    }
}
