//! Geometry of a protocol topic's line charts ([`Plot`]): virtual time to the
//! right from zero to the instant shown, values up from zero to a round number
//! above the largest, each series a polyline in its palette slot's colour, with
//! its label and latest value in a legend above the plot.

use distlab_core::sim::time::Time;
use distlab_core::sim::view::Plot;

/// Room for the value axis's labels, left of the plot.
pub const AXIS_WIDTH: f64 = 44.0;
/// The plot area's height.
pub const PLOT_HEIGHT: f64 = 110.0;
/// Room above the plot for the legend, and below it for the time labels.
pub const TOP: f64 = 18.0;
pub const BOTTOM: f64 = 16.0;

/// One series placed: its points and its legend entry.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLine {
    /// (x, y) in the plot's units, in time order (empty without points).
    pub points: Vec<(f64, f64)>,
    /// The label and the latest value with its unit.
    pub legend: String,
    /// The palette slot's name (`lead`, `suspect`, ...).
    pub slot: &'static str,
}

/// A labelled gridline: its position along its axis and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Gridline {
    pub at: f64,
    pub label: String,
}

/// One plot placed in a `width`-wide box.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedPlot {
    pub title: String,
    pub caption: String,
    pub width: f64,
    pub height: f64,
    pub lines: Vec<PlacedLine>,
    /// Horizontal gridlines (y) with their values.
    pub values: Vec<Gridline>,
    /// Vertical gridlines (x) with their times.
    pub times: Vec<Gridline>,
}

/// Lays out `plot` in a box `width` wide, time from zero to `now` (points
/// after `now` are left out, so a paused or rewound run shows its past only).
pub fn layout(plot: &Plot, width: f64, now: Time) -> PlacedPlot {
    let span = now.as_micros().max(1) as f64;
    let room = (width - AXIS_WIDTH - 8.0).max(20.0);
    let shown = |points: &[(Time, u64)]| points.iter().filter(|p| p.0 <= now).count();
    let largest = plot
        .lines
        .iter()
        .flat_map(|line| line.points[..shown(&line.points)].iter().map(|p| p.1))
        .max()
        .unwrap_or(0);
    let step = super::nice_step((largest.max(1) as f64 / 4.0).max(1.0)).max(1.0);
    let top_value = (largest as f64 / step).ceil().max(1.0) * step;
    let x = |t: Time| AXIS_WIDTH + t.as_micros() as f64 / span * room;
    let y = |v: u64| TOP + PLOT_HEIGHT - v as f64 / top_value * PLOT_HEIGHT;
    let unit = if plot.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", plot.unit)
    };
    let lines = plot
        .lines
        .iter()
        .map(|line| {
            let points = &line.points[..shown(&line.points)];
            let latest = points.last().map_or(String::from("-"), |p| p.1.to_string());
            PlacedLine {
                points: points.iter().map(|&(t, v)| (x(t), y(v))).collect(),
                legend: format!("{}: {latest}{unit}", line.label),
                slot: line.palette.as_str(),
            }
        })
        .collect();
    let values = (0..=(top_value / step) as u64)
        .map(|i| {
            let value = (i as f64 * step) as u64;
            Gridline {
                at: y(value),
                label: value.to_string(),
            }
        })
        .collect();
    let seconds = now.as_micros() / 1_000_000;
    let every = super::nice_step((seconds as f64 / 6.0).max(1.0)).max(1.0) as u64;
    let times = (0..=seconds / every)
        .map(|i| Gridline {
            at: x(Time::from_millis(i * every * 1000)),
            label: format!("{}s", i * every),
        })
        .collect();
    PlacedPlot {
        title: plot.title.clone(),
        caption: plot.caption.clone(),
        width,
        height: TOP + PLOT_HEIGHT + BOTTOM,
        lines,
        values,
        times,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::sim::view::{Line, Palette};

    fn plot(points: Vec<(u64, u64)>) -> Plot {
        Plot {
            title: "Successes per second".into(),
            unit: "ok/s",
            caption: String::new(),
            lines: vec![
                Line {
                    label: "with breaker".into(),
                    palette: Palette::Done,
                    points: points
                        .iter()
                        .map(|&(s, v)| (Time::from_millis(s * 1000), v))
                        .collect(),
                },
                Line {
                    label: "empty".into(),
                    palette: Palette::Suspect,
                    points: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn points_span_the_plot_from_zero_to_now_and_from_the_floor_up() {
        let placed = layout(
            &plot(vec![(0, 0), (5, 30), (10, 10)]),
            244.0 + 8.0,
            Time::from_millis(10_000),
        );
        // 200 units for 10 s; values up to 30, the top of the scale (steps of 10).
        let expected = [
            (44.0, TOP + PLOT_HEIGHT),
            (144.0, TOP),
            (244.0, TOP + PLOT_HEIGHT * 2.0 / 3.0),
        ];
        assert_eq!(placed.lines[0].points.len(), 3);
        for (point, expected) in placed.lines[0].points.iter().zip(expected) {
            assert!(
                (point.0 - expected.0).abs() < 1e-9 && (point.1 - expected.1).abs() < 1e-9,
                "{point:?}"
            );
        }
        assert_eq!(placed.lines[0].legend, "with breaker: 10 ok/s");
        assert!(placed.lines[1].points.is_empty());
        assert_eq!(placed.lines[1].legend, "empty: - ok/s");
        let values: Vec<&str> = placed.values.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(values, ["0", "10", "20", "30"]);
        assert!(placed.times.len() >= 3 && placed.times[0].label == "0s");
        assert!(placed
            .times
            .iter()
            .all(|g| g.at >= AXIS_WIDTH && g.at <= 244.0 + 1e-9));
    }

    #[test]
    fn points_after_the_instant_shown_are_left_out() {
        let placed = layout(
            &plot(vec![(1, 5), (2, 50), (9, 500)]),
            300.0,
            Time::from_millis(2_500),
        );
        assert_eq!(placed.lines[0].points.len(), 2, "two points shown");
        assert_eq!(placed.lines[0].legend, "with breaker: 50 ok/s");
        // The scale follows what is shown, not the later 500.
        assert!(placed.values.last().unwrap().label.parse::<u64>().unwrap() < 100);
    }

    #[test]
    fn an_empty_run_draws_no_line_and_divides_by_nothing() {
        let placed = layout(&plot(Vec::new()), 300.0, Time::ZERO);
        assert!(placed.lines.iter().all(|l| l.points.is_empty()));
        assert!(placed.values.iter().all(|g| g.at.is_finite()));
        assert_eq!(placed.times.len(), 1);
    }
}
