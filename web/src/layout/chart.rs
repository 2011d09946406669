//! Geometry of a line chart: series of (x, y) points scaled into a box with round
//! axis ticks. Used for measured-vs-theory plots (false-positive rate against the
//! formula, search cost against log n, bytes per point, load spread).

use super::{nice_step, palette_for, tick_label as number};

/// One named series; `dashed` series are theory, solid ones measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChartLayout {
    pub width: f64,
    pub height: f64,
    pub lines: Vec<Line>,
    pub x_ticks: Vec<(f64, String)>,
    pub y_ticks: Vec<(f64, String)>,
    pub x_label: String,
    pub y_label: String,
    /// The plot area: left, top, right, bottom.
    pub plot: (f64, f64, f64, f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: String,
    /// SVG path data.
    pub path: String,
    pub colour: usize,
    pub dashed: bool,
    /// The last point, for a dot and its label.
    pub last: Option<(f64, f64)>,
}

const LEFT: f64 = 46.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;

/// Lays out `series` in a `width` x `height` box. Non-finite points are skipped; the
/// y axis starts at zero.
pub fn layout(
    series: &[Series],
    width: f64,
    height: f64,
    x_label: &str,
    y_label: &str,
) -> ChartLayout {
    let finite = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite();
    let all: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(finite)
        .collect();
    let (mut x_min, mut x_max) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(x, _)| {
            (lo.min(x), hi.max(x))
        });
    let y_max_data = all.iter().fold(0.0f64, |hi, &(_, y)| hi.max(y));
    if !x_min.is_finite() {
        (x_min, x_max) = (0.0, 1.0);
    }
    if x_max <= x_min {
        x_max = x_min + 1.0;
    }
    let y_step = nice_step(if y_max_data > 0.0 { y_max_data } else { 1.0 } / 4.0);
    let y_max = (y_max_data / y_step).ceil().max(1.0) * y_step;
    let plot = (LEFT, TOP, width - RIGHT, height - BOTTOM);
    let sx = |x: f64| plot.0 + (x - x_min) / (x_max - x_min) * (plot.2 - plot.0);
    let sy = |y: f64| plot.3 - y / y_max * (plot.3 - plot.1);
    let lines = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(finite)
                .map(|(x, y)| (sx(x), sy(y)))
                .collect();
            let path = points
                .iter()
                .enumerate()
                .map(|(j, (x, y))| format!("{}{x:.1} {y:.1}", if j == 0 { "M" } else { "L" }))
                .collect::<String>();
            Line {
                name: s.name.clone(),
                path,
                colour: palette_for(i as u64),
                dashed: s.dashed,
                last: points.last().copied(),
            }
        })
        .collect();
    let x_step = nice_step((x_max - x_min) / 5.0);
    let mut x_ticks = Vec::new();
    let mut x = (x_min / x_step).ceil() * x_step;
    while x <= x_max + x_step * 1e-9 {
        x_ticks.push((sx(x), number(x)));
        x += x_step;
    }
    let mut y_ticks = Vec::new();
    let mut y = 0.0;
    while y <= y_max + y_step * 1e-9 {
        y_ticks.push((sy(y), number(y)));
        y += y_step;
    }
    ChartLayout {
        width,
        height,
        lines,
        x_ticks,
        y_ticks,
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        plot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_land_inside_the_plot_and_ticks_are_round() {
        let series = vec![
            Series {
                name: "measured".into(),
                points: vec![(0.0, 0.0), (50.0, 0.031), (100.0, 0.094)],
                dashed: false,
            },
            Series {
                name: "theory".into(),
                points: vec![(0.0, 0.0), (100.0, 0.1)],
                dashed: true,
            },
        ];
        let chart = layout(&series, 400.0, 200.0, "items", "false-positive rate");
        let (left, top, right, bottom) = chart.plot;
        for line in &chart.lines {
            let (x, y) = line.last.unwrap();
            assert!(x >= left && x <= right + 1e-9 && y >= top - 1e-9 && y <= bottom + 1e-9);
        }
        assert_eq!(chart.x_ticks.first().unwrap().1, "0");
        assert_eq!(chart.x_ticks.last().unwrap().1, "100");
        assert!(chart.y_ticks.iter().any(|(_, l)| l == "0.1"));
        assert!(chart.lines[1].dashed);
    }

    #[test]
    fn empty_and_degenerate_series_do_not_break() {
        let chart = layout(&[], 300.0, 150.0, "x", "y");
        assert!(!chart.x_ticks.is_empty());
        let one = vec![Series {
            name: "a".into(),
            points: vec![(3.0, f64::NAN), (3.0, 2.0)],
            dashed: false,
        }];
        let chart = layout(&one, 300.0, 150.0, "x", "y");
        assert!(chart.lines[0].path.starts_with('M'));
    }
}
