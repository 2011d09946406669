//! Geometry of a protocol topic's live charts ([`Chart`]): one horizontal bar
//! per outcome, its length proportional to the largest bar of its chart, with
//! the label on the left and the value on the right, so small counts stay
//! readable beside large ones.

use distlab_core::sim::view::Chart;

/// Room for the labels, left of the bars, at least.
const LABEL_WIDTH: f64 = 150.0;
/// A regular 11 px sans-serif glyph's mean advance plus a margin: how wide a
/// label column must be for its longest label (`exported by head sampling`
/// lost its first letter in a fixed 150).
const LABEL_GLYPH: f64 = 6.2;
/// Room for the value, right of the longest bar.
const VALUE_WIDTH: f64 = 80.0;
/// One bar's row.
pub const ROW_HEIGHT: f64 = 18.0;
/// The bar's thickness inside its row.
pub const BAR_HEIGHT: f64 = 12.0;

/// One bar placed in its chart.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedBar {
    /// The top of the bar's row.
    pub y: f64,
    pub label: String,
    /// Where the bar starts (the end of the label column) and its length.
    pub x: f64,
    pub length: f64,
    /// The value with its unit, drawn after the bar.
    pub value: String,
    /// The palette slot's name (`lead`, `done`, ...).
    pub slot: &'static str,
}

/// One chart placed in a `width`-wide box.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedChart {
    pub title: String,
    pub caption: String,
    pub width: f64,
    pub height: f64,
    pub bars: Vec<PlacedBar>,
}

/// Lays out `chart` in a box `width` wide. A chart whose bars are all zero
/// draws every bar at zero length (no division by zero); the longest bar
/// fills the room left by the label and value columns.
pub fn layout(chart: &Chart, width: f64) -> PlacedChart {
    let longest = chart
        .bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = (longest as f64 * LABEL_GLYPH + 8.0)
        .min(width * 0.5)
        .max(LABEL_WIDTH);
    let room = (width - label_width - VALUE_WIDTH).max(20.0);
    let largest = chart.bars.iter().map(|b| b.value).max().unwrap_or(0);
    let bars = chart
        .bars
        .iter()
        .enumerate()
        .map(|(row, bar)| PlacedBar {
            y: row as f64 * ROW_HEIGHT,
            label: bar.label.clone(),
            x: label_width,
            length: if largest == 0 {
                0.0
            } else {
                bar.value as f64 / largest as f64 * room
            },
            value: if chart.unit.is_empty() {
                bar.value.to_string()
            } else {
                format!("{} {}", bar.value, chart.unit)
            },
            slot: bar.palette.as_str(),
        })
        .collect();
    PlacedChart {
        title: chart.title.clone(),
        caption: chart.caption.clone(),
        width,
        height: chart.bars.len() as f64 * ROW_HEIGHT,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::sim::view::{Bar, Palette};

    fn chart(values: &[u64], unit: &'static str) -> Chart {
        Chart {
            title: "Effects applied per message".into(),
            unit,
            caption: String::new(),
            bars: values
                .iter()
                .enumerate()
                .map(|(i, &value)| Bar {
                    label: format!("bar {i}"),
                    value,
                    palette: if i == 0 {
                        Palette::Done
                    } else {
                        Palette::Faulty
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn the_largest_bar_fills_the_room_and_the_others_scale_with_it() {
        let placed = layout(&chart(&[40, 10, 0], ""), 500.0);
        let room = 500.0 - LABEL_WIDTH - VALUE_WIDTH;
        assert_eq!(placed.bars.len(), 3);
        assert!((placed.bars[0].length - room).abs() < 1e-9);
        assert!((placed.bars[1].length - room / 4.0).abs() < 1e-9);
        assert_eq!(placed.bars[2].length, 0.0);
        assert_eq!(placed.bars[1].y, ROW_HEIGHT);
        assert_eq!(placed.height, 3.0 * ROW_HEIGHT);
        assert_eq!(placed.bars[0].slot, "done");
        assert_eq!(placed.bars[1].slot, "faulty");
    }

    #[test]
    fn all_zero_bars_have_no_length_and_values_carry_their_unit() {
        let placed = layout(&chart(&[0, 0], "ms"), 300.0);
        assert!(placed.bars.iter().all(|b| b.length == 0.0));
        assert_eq!(placed.bars[0].value, "0 ms");
        assert_eq!(layout(&chart(&[7], ""), 300.0).bars[0].value, "7");
    }

    #[test]
    fn long_labels_widen_their_column() {
        let mut long = chart(&[5, 3], "");
        long.bars[0].label = "exported by head sampling, with errors".into();
        let placed = layout(&long, 600.0);
        let needed = 38.0 * LABEL_GLYPH;
        assert!(placed.bars.iter().all(|b| b.x > needed && b.x <= 300.0));
        // Short labels keep the usual column.
        assert_eq!(layout(&chart(&[5], ""), 600.0).bars[0].x, LABEL_WIDTH);
    }

    #[test]
    fn a_narrow_box_still_leaves_the_bars_some_room() {
        let placed = layout(&chart(&[5, 5], ""), 100.0);
        assert!(placed.bars.iter().all(|b| b.length == 20.0));
    }
}
