//! The latency plot every traffic page draws: p50, p90, p99 and p99.9 of each
//! second of the run, one line per quantile, from one [`LatencySketch`] per
//! second.
//!
//! Tail latency is the point of these pages (Dean and Barroso, "The Tail at
//! Scale", CACM 2013: the 99th percentile decides what a fan-out feels), so
//! they show the same four quantiles with the same colours, and a second in
//! which nothing succeeded has no point rather than a zero, which would read
//! as "fast".

use super::sketch::LatencySketch;
use crate::sim::time::Time;
use crate::sim::view::{Line, Palette, Plot};

/// One plotted quantile: its name, its rank in [0, 1] and its colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantile {
    pub name: &'static str,
    pub rank: f64,
    pub palette: Palette,
}

/// The quantiles the traffic pages plot, from the median to the tail.
pub const PLOTTED_QUANTILES: [Quantile; 4] = [
    Quantile {
        name: "p50",
        rank: 0.5,
        palette: Palette::Done,
    },
    Quantile {
        name: "p90",
        rank: 0.9,
        palette: Palette::Lead,
    },
    Quantile {
        name: "p99",
        rank: 0.99,
        palette: Palette::Suspect,
    },
    Quantile {
        name: "p99.9",
        rank: 0.999,
        palette: Palette::Faulty,
    },
];

/// What the caption of a quantile plot says about where its numbers come from.
pub const SKETCH_CAPTION: &str = "from a DDSketch (1% relative error)";

/// A quantile of `sketch` in whole units of what it recorded (the pages
/// record milliseconds), or `None` when it is empty.
pub fn quantile_rounded(sketch: &LatencySketch, rank: f64) -> Option<u64> {
    sketch.quantile(rank).map(|value| value.round() as u64)
}

/// The instant a per-second point is drawn at: the end of second `index`,
/// when it is complete.
pub fn end_of_second(index: usize) -> Time {
    Time::from_millis(1000 * (index as u64 + 1))
}

/// The four quantile lines of a run, from the sketch of each second in
/// order (second 0 first); empty seconds have no point.
pub fn quantile_lines<'a>(seconds: impl Iterator<Item = &'a LatencySketch> + Clone) -> Vec<Line> {
    PLOTTED_QUANTILES
        .iter()
        .map(|quantile| Line {
            label: quantile.name.to_string(),
            palette: quantile.palette,
            points: seconds
                .clone()
                .enumerate()
                .filter_map(|(index, sketch)| {
                    quantile_rounded(sketch, quantile.rank)
                        .map(|value| (end_of_second(index), value))
                })
                .collect(),
        })
        .collect()
}

/// A plot of the four quantiles over the run, in milliseconds.
pub fn latency_plot<'a>(
    title: String,
    of_what: &str,
    seconds: impl Iterator<Item = &'a LatencySketch> + Clone,
) -> Plot {
    Plot {
        title,
        unit: "ms",
        caption: format!("p50, p90, p99 and p99.9 of {of_what} each second, {SKETCH_CAPTION}"),
        lines: quantile_lines(seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_per_quantile_with_a_point_per_second_that_had_values() {
        let mut seconds = vec![LatencySketch::default(); 3];
        for value in 1..=1000 {
            seconds[0].record(f64::from(value));
        }
        // Second 1 had nothing; second 2 one value.
        seconds[2].record(40.0);
        let lines = quantile_lines(seconds.iter());
        let names: Vec<&str> = lines.iter().map(|line| line.label.as_str()).collect();
        assert_eq!(names, ["p50", "p90", "p99", "p99.9"]);
        for line in &lines {
            let times: Vec<Time> = line.points.iter().map(|point| point.0).collect();
            assert_eq!(times, [Time::from_millis(1000), Time::from_millis(3000)]);
            assert_eq!(line.points[1].1, 40);
        }
        // Within the sketch's 1% of the exact quantiles of 1..=1000.
        let first: Vec<u64> = lines.iter().map(|line| line.points[0].1).collect();
        for (value, exact) in first.iter().zip([500.0, 900.0, 990.0, 999.0]) {
            assert!(
                (*value as f64 - exact).abs() <= exact * 0.01 + 0.5,
                "{value} vs {exact}"
            );
        }
    }
}
