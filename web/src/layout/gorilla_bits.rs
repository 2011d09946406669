//! Geometry of a Gorilla stream drawn field by field: one row per point, each field
//! a box whose width is its bit count times one monospace cell, laid left to right
//! and wrapped onto further lines (a 64-bit field may span two), with the point's
//! label at the left and its total bits at the right.
//!
//! The fields, their bits and their meanings come from `gorilla::explain`; this
//! module only places them and names their kind for colouring.

use distlab_core::topics::time_series::clock;
use distlab_core::tsdb::gorilla::{Explanation, Part, PointBits};

/// Width of one bit.
pub const CELL: f64 = 7.0;
/// Bits that fit on one line of a row.
pub const BITS_PER_LINE: usize = 96;
/// Height of a field box, and of a line (box plus caption).
pub const BOX_HEIGHT: f64 = 18.0;
pub const LINE: f64 = 32.0;
/// Space between two fields on a line.
pub const GAP: f64 = 5.0;
/// The label column, the bits area's left edge, and the totals column.
pub const LABEL: f64 = 150.0;
const TOTAL: f64 = 84.0;
const MARGIN: f64 = 6.0;
/// Space between two points' rows.
const ROW_GAP: f64 = 8.0;

/// What a field encodes, for its colour and caption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    FirstTimestamp,
    TimestampControl,
    DeltaOfDelta,
    FirstValue,
    ValueControl,
    LeadingZeros,
    Length,
    Meaningful,
    Other,
}

impl FieldKind {
    /// From the field's part and name as `gorilla::explain` writes them.
    pub fn of(part: Part, name: &str) -> FieldKind {
        match (part, name) {
            (Part::Timestamp, "first timestamp") => FieldKind::FirstTimestamp,
            (Part::Timestamp, "timestamp control bits") => FieldKind::TimestampControl,
            (Part::Timestamp, _) => FieldKind::DeltaOfDelta,
            (Part::Value, "first value") => FieldKind::FirstValue,
            (Part::Value, "value control bits") => FieldKind::ValueControl,
            (Part::Value, "leading zeros") => FieldKind::LeadingZeros,
            (Part::Value, "meaningful bits length") => FieldKind::Length,
            (Part::Value, _) => FieldKind::Meaningful,
            _ => FieldKind::Other,
        }
    }

    /// The palette slot (`.c0`..`.c7`): blues and teals for time, warm for values.
    pub fn colour(self) -> usize {
        match self {
            FieldKind::FirstTimestamp => 3,
            FieldKind::TimestampControl => 0,
            FieldKind::DeltaOfDelta => 5,
            FieldKind::FirstValue => 7,
            FieldKind::ValueControl => 1,
            FieldKind::LeadingZeros => 4,
            FieldKind::Length => 6,
            FieldKind::Meaningful => 2,
            FieldKind::Other => 7,
        }
    }

    /// A short caption under the box.
    pub fn caption(self) -> &'static str {
        match self {
            FieldKind::FirstTimestamp => "timestamp (raw)",
            FieldKind::TimestampControl => "ctrl",
            FieldKind::DeltaOfDelta => "Δ of Δ",
            FieldKind::FirstValue => "value (raw IEEE 754)",
            FieldKind::ValueControl => "ctrl",
            FieldKind::LeadingZeros => "lead",
            FieldKind::Length => "len",
            FieldKind::Meaningful => "meaningful XOR bits",
            FieldKind::Other => "",
        }
    }

    /// Every kind with a legend label, in stream order.
    pub const LEGEND: [(FieldKind, &'static str); 8] = [
        (FieldKind::FirstTimestamp, "first timestamp"),
        (FieldKind::TimestampControl, "timestamp control"),
        (FieldKind::DeltaOfDelta, "delta-of-delta"),
        (FieldKind::FirstValue, "first value"),
        (FieldKind::ValueControl, "value control"),
        (FieldKind::LeadingZeros, "leading zeros"),
        (FieldKind::Length, "meaningful length"),
        (FieldKind::Meaningful, "meaningful bits"),
    ];
}

/// One box: all or part of one field on one line.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// The field's position within its point.
    pub field: usize,
    pub kind: FieldKind,
    /// Top-left corner and width (`bits.len() * CELL`).
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub bits: String,
    /// The caption, when the box is wide enough for it.
    pub caption: Option<&'static str>,
    /// Hover text: the field's name, bits and meaning.
    pub title: String,
}

/// One point's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub index: usize,
    /// Top of the row and its height (one `LINE` per line used).
    pub y: f64,
    pub height: f64,
    /// `#3  00:00:30` and `= 21 · Δ 10 s · ΔΔ 0`.
    pub label: String,
    pub detail: String,
    pub total_bits: usize,
    pub timestamp_bits: usize,
    pub value_bits: usize,
    pub segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BitsLayout {
    pub width: f64,
    pub height: f64,
    /// Left edge of the bits area and x of the totals column.
    pub bits_x: f64,
    pub total_x: f64,
    pub rows: Vec<Row>,
}

fn point_label(point: &PointBits) -> (String, String) {
    let label = format!("#{}  {}", point.index, clock(point.timestamp));
    let mut detail = format!("= {}", point.value);
    if let (Some(delta), Some(dod)) = (point.delta, point.delta_of_delta) {
        detail.push_str(&format!(" · Δ {delta} s · ΔΔ {dod}"));
    }
    (label, detail)
}

/// Lays out the points of `explanation` (header and padding are left out: they
/// belong to the block, not to a point).
pub fn layout(explanation: &Explanation) -> BitsLayout {
    let bits_x = MARGIN + LABEL;
    let line_width = BITS_PER_LINE as f64 * CELL;
    let total_x = bits_x + line_width + 12.0;
    let mut rows = Vec::new();
    let mut y = MARGIN;
    for point in &explanation.points {
        let mut segments = Vec::new();
        let mut line = 0usize;
        let mut x = 0.0f64; // offset within the line
        for (field_index, field) in point.fields.iter().enumerate() {
            let kind = FieldKind::of(field.part, field.name);
            let title = format!("{}: {}\n{}", field.name, field.bits, field.meaning);
            let chars: Vec<char> = field.bits.chars().collect();
            let mut rest = chars.as_slice();
            while !rest.is_empty() {
                let room = ((line_width - x + 1e-9) / CELL).floor() as usize;
                if room == 0 {
                    line += 1;
                    x = 0.0;
                    continue;
                }
                let take = room.min(rest.len());
                let bits: String = rest[..take].iter().collect();
                let width = take as f64 * CELL;
                let caption = kind.caption();
                let fits = caption.chars().count() as f64 * 5.6 <= width + 2.0;
                segments.push(Segment {
                    field: field_index,
                    kind,
                    x: bits_x + x,
                    y: y + line as f64 * LINE,
                    width,
                    bits,
                    caption: (fits && !caption.is_empty()).then_some(caption),
                    title: title.clone(),
                });
                rest = &rest[take..];
                x += width;
            }
            x += GAP;
        }
        let lines = line + 1;
        let (label, detail) = point_label(point);
        let height = lines as f64 * LINE;
        rows.push(Row {
            index: point.index,
            y,
            height,
            label,
            detail,
            total_bits: point.total_bits,
            timestamp_bits: point.timestamp_bits(),
            value_bits: point.value_bits(),
            segments,
        });
        y += height + ROW_GAP;
    }
    BitsLayout {
        width: total_x + TOTAL + MARGIN,
        height: (y - ROW_GAP + MARGIN).max(2.0 * MARGIN),
        bits_x,
        total_x,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::tsdb::gorilla;

    fn series() -> Vec<(i64, f64)> {
        vec![
            (1_699_920_000, 20.0),
            (1_699_920_010, 20.0),
            (1_699_920_020, 21.0),
            (1_699_920_030, 21.0),
            (1_699_920_041, 19.0),
            (1_699_920_050, 20.25),
            (1_699_920_060, 20.3),
            (1_699_920_070, f64::NAN),
        ]
    }

    #[test]
    fn field_widths_sum_to_each_points_total() {
        let explanation = gorilla::explain(&series());
        let l = layout(&explanation);
        assert_eq!(l.rows.len(), 8);
        for (row, point) in l.rows.iter().zip(&explanation.points) {
            let bits: usize = row.segments.iter().map(|s| s.bits.len()).sum();
            assert_eq!(bits, point.total_bits, "point {}", row.index);
            assert_eq!(row.total_bits, point.total_bits);
            assert_eq!(row.timestamp_bits + row.value_bits, row.total_bits);
            let width: f64 = row.segments.iter().map(|s| s.width).sum();
            assert!((width - point.total_bits as f64 * CELL).abs() < 1e-6);
            // Concatenated in order, the boxes spell the point's bits.
            let spelled: String = row.segments.iter().map(|s| s.bits.as_str()).collect();
            let fields: String = point.fields.iter().map(|f| f.bits.as_str()).collect();
            assert_eq!(spelled, fields);
        }
        // The first point is stored whole: 128 bits over two lines.
        assert_eq!(l.rows[0].total_bits, 128);
        assert!(l.rows[0].height >= 2.0 * LINE);
        assert_eq!(l.rows[0].segments[0].kind, FieldKind::FirstTimestamp);
        // A steady interval and an unchanged value: one bit each.
        assert_eq!(l.rows[3].total_bits, 2);
    }

    #[test]
    fn boxes_stay_inside_their_row_and_the_drawing() {
        let l = layout(&gorilla::explain(&series()));
        for row in &l.rows {
            for s in &row.segments {
                assert!(s.x >= l.bits_x - 1e-9);
                assert!(s.x + s.width <= l.bits_x + BITS_PER_LINE as f64 * CELL + 1e-6);
                assert!(s.x + s.width < l.total_x);
                assert!(s.y >= row.y && s.y + BOX_HEIGHT <= row.y + row.height);
                assert!(!s.title.is_empty());
            }
            // Boxes on one line do not overlap.
            for pair in row.segments.windows(2) {
                if pair[0].y == pair[1].y {
                    assert!(pair[0].x + pair[0].width <= pair[1].x + 1e-9);
                }
            }
            assert!(row.y + row.height <= l.height);
        }
        assert!(l.rows.windows(2).all(|w| w[0].y + w[0].height <= w[1].y));
        assert!(l.rows[1].label.starts_with("#1"));
        assert!(l.rows[1].detail.contains("Δ 10 s"));
    }

    #[test]
    fn kinds_follow_the_field_names() {
        let l = layout(&gorilla::explain(&series()));
        let kinds: Vec<FieldKind> = l.rows[2].segments.iter().map(|s| s.kind).collect();
        assert_eq!(kinds[0], FieldKind::TimestampControl);
        assert!(kinds.contains(&FieldKind::ValueControl));
        assert!(kinds.contains(&FieldKind::Meaningful));
        let colours: std::collections::BTreeSet<usize> =
            FieldKind::LEGEND.iter().map(|(k, _)| k.colour()).collect();
        assert_eq!(colours.len(), 8, "every kind its own colour");
    }

    #[test]
    fn nothing_to_explain_draws_nothing() {
        let l = layout(&gorilla::explain(&[]));
        assert!(l.rows.is_empty());
        assert!(l.width > 0.0 && l.height > 0.0);
    }
}
