//! Geometry of a grouped bar chart (a histogram of load per node, one group per
//! node, one bar per scheme): bars scaled into a box from a zero baseline, round
//! y ticks, group labels under the bars and horizontal reference lines (a mean).

use super::{nice_step, tick_label as number};

/// One bar: its value, palette slot, and whether it is drawn hollow (a contrast
/// series); `title` is the hover text.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub value: f64,
    pub colour: usize,
    pub hollow: bool,
    pub title: String,
}

/// Bars side by side under one label.
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    pub label: String,
    pub bars: Vec<Bar>,
}

/// A horizontal line across the plot at `value` (a mean), with a label.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub value: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BarRect {
    /// Stable key: group and bar index.
    pub key: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub colour: usize,
    pub hollow: bool,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BarsLayout {
    pub width: f64,
    pub height: f64,
    /// The plot area: left, top, right, bottom.
    pub plot: (f64, f64, f64, f64),
    pub bars: Vec<BarRect>,
    /// Group labels: centre x and text (omitted when groups are too narrow).
    pub labels: Vec<(f64, String)>,
    pub y_ticks: Vec<(f64, String)>,
    /// Reference lines: y and label.
    pub references: Vec<(f64, String)>,
    /// The value at the top of the plot.
    pub y_max: f64,
}

const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;
/// Labels are drawn only when a group is at least this wide.
const MIN_LABEL_WIDTH: f64 = 26.0;

/// Lays out `groups` in a `width` x `height` box. Negative and non-finite values
/// draw as zero-height bars; the scale covers the bars and the references.
pub fn layout(
    groups: &[BarGroup],
    references: &[Reference],
    width: f64,
    height: f64,
) -> BarsLayout {
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let data_max = groups
        .iter()
        .flat_map(|g| g.bars.iter().map(|b| clean(b.value)))
        .chain(references.iter().map(|r| clean(r.value)))
        .fold(0.0f64, f64::max);
    let step = nice_step(if data_max > 0.0 { data_max } else { 1.0 } / 4.0);
    let y_max = (data_max / step).ceil().max(1.0) * step;
    let plot = (
        LEFT,
        TOP,
        (width - RIGHT).max(LEFT + 1.0),
        (height - BOTTOM).max(TOP + 1.0),
    );
    let (left, top, right, bottom) = plot;
    let scale_y = |v: f64| bottom - clean(v) / y_max * (bottom - top);
    let slot = (right - left) / groups.len().max(1) as f64;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let x0 = left + g as f64 * slot;
        let inner = slot * 0.8;
        let bar_width = inner / group.bars.len().max(1) as f64;
        for (b, bar) in group.bars.iter().enumerate() {
            let y = scale_y(bar.value);
            bars.push(BarRect {
                key: format!("{g}-{b}"),
                x: x0 + slot * 0.1 + b as f64 * bar_width,
                y,
                width: bar_width,
                height: bottom - y,
                colour: bar.colour,
                hollow: bar.hollow,
                title: bar.title.clone(),
            });
        }
        if slot >= MIN_LABEL_WIDTH {
            labels.push((x0 + slot / 2.0, group.label.clone()));
        }
    }
    let mut y_ticks = Vec::new();
    let mut value = 0.0;
    while value <= y_max + step * 1e-9 {
        y_ticks.push((scale_y(value), number(value)));
        value += step;
    }
    BarsLayout {
        width,
        height,
        plot,
        bars,
        labels,
        y_ticks,
        references: references
            .iter()
            .filter(|r| r.value.is_finite())
            .map(|r| (scale_y(r.value), r.label.clone()))
            .collect(),
        y_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(value: f64) -> Bar {
        Bar {
            value,
            colour: 0,
            hollow: false,
            title: String::new(),
        }
    }

    fn group(label: &str, values: &[f64]) -> BarGroup {
        BarGroup {
            label: label.into(),
            bars: values.iter().map(|&v| bar(v)).collect(),
        }
    }

    #[test]
    fn bars_are_scaled_from_the_baseline_to_round_ticks() {
        let groups = [group("a", &[40.0, 55.0]), group("b", &[80.0, 45.0])];
        let chart = layout(&groups, &[], 300.0, 200.0);
        let (left, top, right, bottom) = chart.plot;
        assert_eq!(chart.y_max, 80.0);
        assert_eq!(chart.bars.len(), 4);
        // The largest bar reaches the top; heights are proportional to values.
        let tallest = &chart.bars[2];
        assert!((tallest.y - top).abs() < 1e-9);
        assert!((tallest.height - (bottom - top)).abs() < 1e-9);
        let half = &chart.bars[0];
        assert!((half.height - (bottom - top) / 2.0).abs() < 1e-9);
        for b in &chart.bars {
            assert!(
                (b.y + b.height - bottom).abs() < 1e-9,
                "every bar stands on the baseline"
            );
            assert!(b.x >= left && b.x + b.width <= right + 1e-9);
        }
        // Bars of a group sit side by side without overlap.
        assert!(chart.bars[0].x + chart.bars[0].width <= chart.bars[1].x + 1e-9);
        assert_eq!(chart.y_ticks.first().unwrap().1, "0");
        assert_eq!(chart.y_ticks.last().unwrap().1, "80");
        assert_eq!(chart.labels.len(), 2);
    }

    #[test]
    fn references_count_in_the_scale_and_sit_at_their_value() {
        let chart = layout(
            &[group("a", &[10.0])],
            &[Reference {
                value: 30.0,
                label: "mean".into(),
            }],
            200.0,
            120.0,
        );
        let (_, top, _, bottom) = chart.plot;
        assert!(chart.y_max >= 30.0);
        let (y, _) = &chart.references[0];
        assert!((*y - (bottom - 30.0 / chart.y_max * (bottom - top))).abs() < 1e-9);
    }

    #[test]
    fn empty_negative_and_non_finite_values_do_not_break() {
        let chart = layout(&[], &[], 200.0, 100.0);
        assert!(chart.bars.is_empty());
        assert!(!chart.y_ticks.is_empty());
        let chart = layout(
            &[group("x", &[-3.0, f64::NAN, f64::INFINITY])],
            &[],
            200.0,
            100.0,
        );
        assert!(chart.bars.iter().all(|b| b.height == 0.0));
        // Many groups: labels are dropped rather than overlapping.
        let many: Vec<BarGroup> = (0..40).map(|i| group(&i.to_string(), &[1.0])).collect();
        assert!(layout(&many, &[], 300.0, 100.0).labels.is_empty());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(120.0), "120");
        assert_eq!(nice_step(23.0), 50.0);
    }
}
