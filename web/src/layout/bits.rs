//! Geometry of the bit-array view: `m` cells in rows of a power-of-two width, each
//! cell set or clear (or a counter's value), with the positions the last operation
//! touched marked, and the index of each row's first cell in the margin.

/// The view box is at most [`WIDTH`] user units wide; its height follows the rows.
pub const WIDTH: f64 = 640.0;
/// Margin left of the grid for row labels.
const GUTTER: f64 = 40.0;
/// Margin above and below the grid (room for marked cells' outlines).
const PAD: f64 = 4.0;
/// The widest row, in cells.
pub const MAX_COLUMNS: usize = 64;
/// Row labels are at least this far apart.
const MIN_LABEL_SPACING: f64 = 14.0;
/// The biggest cell (small filters draw narrower than [`WIDTH`]).
pub const MAX_CELL: f64 = 40.0;
/// Counters are written in their cells only when cells are at least this big.
pub const MIN_TEXT_CELL: f64 = 13.0;

/// What the last operation did to a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// An insert set this position (it was clear).
    Inserted,
    /// An insert hit this position, which was already set.
    InsertedAgain,
    /// A query checked this position and found it set.
    ProbeSet,
    /// A query checked this position and found it clear.
    ProbeClear,
    /// A removal decremented this counter.
    Removed,
}

impl Mark {
    /// The CSS class of a marked cell.
    pub fn class(self) -> &'static str {
        match self {
            Mark::Inserted => "lit new",
            Mark::InsertedAgain => "lit",
            Mark::ProbeSet => "probe hit",
            Mark::ProbeClear => "probe miss",
            Mark::Removed => "removed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BitCell {
    pub index: usize,
    pub x: f64,
    pub y: f64,
    /// 0 or 1 for a bit; a counter's value in the counting variant.
    pub value: u8,
    pub mark: Option<Mark>,
    /// Whether to write the value in the cell (counters only, big enough cells).
    pub text: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BitsLayout {
    pub width: f64,
    pub height: f64,
    /// Side of a cell (cells touch; the view insets them).
    pub cell: f64,
    pub columns: usize,
    pub rows: usize,
    pub cells: Vec<BitCell>,
    /// Each row's first index, at the row's centre y.
    pub row_labels: Vec<(f64, String)>,
    /// Where the row labels end (they are right-aligned in the margin).
    pub label_x: f64,
    pub counting: bool,
}

/// Cells per row for `m` positions: about the power of two nearest `sqrt(4m)`
/// (rows about a quarter as many as columns, so the grid is wide and short), between 8 and [`MAX_COLUMNS`], never more than
/// `m` (and at least 1).
pub fn columns_for(m: usize) -> usize {
    let target = ((4 * m) as f64).sqrt();
    let mut columns = 8;
    while columns < MAX_COLUMNS && (columns * 2) as f64 <= target * 1.2 {
        columns *= 2;
    }
    columns.min(m).max(1)
}

/// Lays out `cells` (one value per position) with `marks` (position, mark; the
/// first mark of a position wins, positions out of range are ignored).
pub fn layout(cells: &[u8], counting: bool, marks: &[(usize, Mark)]) -> BitsLayout {
    let m = cells.len();
    let columns = columns_for(m);
    let rows = m.div_ceil(columns);
    let cell = ((WIDTH - GUTTER) / columns as f64).min(MAX_CELL);
    let mut marked: Vec<Option<Mark>> = vec![None; m];
    for &(index, mark) in marks {
        if let Some(slot) = marked.get_mut(index) {
            slot.get_or_insert(mark);
        }
    }
    let text = counting && cell >= MIN_TEXT_CELL;
    let cells = cells
        .iter()
        .enumerate()
        .map(|(index, &value)| BitCell {
            index,
            x: GUTTER + (index % columns) as f64 * cell,
            y: PAD + (index / columns) as f64 * cell,
            value,
            mark: marked[index],
            text: text && value > 0,
        })
        .collect();
    // Label every row while rows are tall enough to read, else every few rows.
    let every = (MIN_LABEL_SPACING / cell).ceil().max(1.0) as usize;
    let row_labels = (0..rows)
        .step_by(every)
        .map(|r| (PAD + (r as f64 + 0.5) * cell, (r * columns).to_string()))
        .collect();
    BitsLayout {
        width: GUTTER + columns as f64 * cell,
        height: rows as f64 * cell + 2.0 * PAD,
        cell,
        columns,
        rows,
        cells,
        row_labels,
        label_x: GUTTER - 6.0,
        counting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_powers_of_two_that_fit() {
        assert_eq!(columns_for(32), 8);
        assert_eq!(columns_for(128), 16);
        assert_eq!(columns_for(256), 32);
        assert_eq!(columns_for(2048), 64);
        assert_eq!(columns_for(4096), 64);
        assert_eq!(columns_for(5), 5);
        assert_eq!(columns_for(0), 1);
        for m in 1..600 {
            let c = columns_for(m);
            assert!((1..=MAX_COLUMNS).contains(&c) && c <= m);
        }
    }

    #[test]
    fn every_cell_is_inside_the_box_in_row_major_order() {
        for m in [16usize, 100, 256, 1000, 4096] {
            let values = vec![0u8; m];
            let grid = layout(&values, false, &[]);
            assert_eq!(grid.cells.len(), m);
            assert_eq!(grid.rows, m.div_ceil(grid.columns));
            for c in &grid.cells {
                assert!(
                    c.x >= GUTTER - 1e-9 && c.x + grid.cell <= grid.width + 1e-9,
                    "{m}: {c:?}"
                );
                assert!(
                    c.y >= 0.0 && c.y + grid.cell <= grid.height + 1e-9,
                    "{m}: {c:?}"
                );
            }
            // Cell i + 1 is right of cell i on the same row, or starts the next row.
            for pair in grid.cells.windows(2) {
                let same_row = (pair[1].y - pair[0].y).abs() < 1e-9;
                assert!(
                    (same_row && (pair[1].x - pair[0].x - grid.cell).abs() < 1e-9)
                        || (!same_row && (pair[1].x - GUTTER).abs() < 1e-9)
                );
            }
            // Labels never crowd: every row when rows are tall, else every few rows.
            assert!(!grid.row_labels.is_empty());
            for pair in grid.row_labels.windows(2) {
                assert!(pair[1].0 - pair[0].0 >= MIN_LABEL_SPACING - 1e-9);
            }
            if grid.cell >= MIN_LABEL_SPACING {
                assert_eq!(grid.row_labels.len(), grid.rows);
            }
        }
    }

    #[test]
    fn marks_land_on_their_positions_and_counters_get_text() {
        let mut values = vec![0u8; 32];
        values[3] = 2;
        values[7] = 1;
        let marks = [
            (3, Mark::ProbeSet),
            (9, Mark::ProbeClear),
            (3, Mark::Inserted),
            (99, Mark::Removed),
        ];
        let grid = layout(&values, true, &marks);
        assert_eq!(
            grid.cells[3].mark,
            Some(Mark::ProbeSet),
            "the first mark wins"
        );
        assert_eq!(grid.cells[9].mark, Some(Mark::ProbeClear));
        assert_eq!(grid.cells.iter().filter(|c| c.mark.is_some()).count(), 2);
        assert!(grid.cells[3].text && grid.cells[7].text && !grid.cells[0].text);
        // A plain filter never writes numbers.
        assert!(layout(&values, false, &[]).cells.iter().all(|c| !c.text));
        // Cells of a 4096-counter filter are too small for text.
        assert!(layout(&vec![1u8; 4096], true, &[])
            .cells
            .iter()
            .all(|c| !c.text));
    }
}
