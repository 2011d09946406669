//! The bit-array view: one square per position, filled when set (a counter's value
//! written in it in the counting variant), with the positions the last operation
//! touched lit or outlined, and each row's first index in the margin.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::bits::BitsLayout;

#[derive(Clone, PartialEq)]
pub struct BitsProps {
    pub layout: Rc<BitsLayout>,
}

/// Draws the view.
pub fn draw(props: &BitsProps) -> Html {
    let grid = &props.layout;
    let size = grid.cell;
    let inset = (size * 0.08).clamp(0.5, 1.5);
    let cells = grid.cells.iter().map(|cell| {
        let mut class = String::from(if cell.value > 0 {
            "bit set"
        } else {
            "bit clear"
        });
        if let Some(mark) = cell.mark {
            class.push(' ');
            class.push_str(mark.class());
        }
        html! {
            <rect key={cell.index} {class} x={fmt(cell.x + inset)} y={fmt(cell.y + inset)}
                width={fmt(size - 2.0 * inset)} height={fmt(size - 2.0 * inset)} rx="1.5" />
        }
    });
    let font = (size * 0.42).clamp(8.0, 15.0);
    let texts = grid.cells.iter().filter(|c| c.text).map(|cell| {
        html! {
            <text key={cell.index} class={if cell.mark.is_some() { "count marked" } else { "count" }}
                x={fmt(cell.x + size / 2.0)} y={fmt(cell.y + size / 2.0 + font * 0.36)}>{ cell.value }</text>
        }
    });
    let labels = grid.row_labels.iter().map(|(y, label)| {
        html! { <text key={label.clone()} class="row-label" x={fmt(grid.label_x)} y={fmt(*y + 3.5)}>{ label }</text> }
    });
    html! {
        <svg class={classes!("bits", grid.counting.then_some("counting"))}
            viewBox={format!("0 0 {} {}", fmt(grid.width), fmt(grid.height))} role="img"
            style={format!("max-width: {}px", fmt(grid.width))} font-size={fmt(font)}
            aria-label={format!("{} {}", grid.cells.len(), if grid.counting { "counters" } else { "bits" })}>
            <g class="row-labels">{ for labels }</g>
            <g class="cells">{ for cells }</g>
            <g class="counts">{ for texts }</g>
        </svg>
    }
}
