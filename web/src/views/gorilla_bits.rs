//! A Gorilla stream field by field: per point, its label, its fields as monospace
//! bit strings in boxes coloured by kind (the meaning on hover), and its total bits;
//! a legend of the field kinds above.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::gorilla_bits::{BitsLayout, FieldKind, BOX_HEIGHT};

#[derive(Clone, PartialEq)]
pub struct GorillaBitsProps {
    pub layout: Rc<BitsLayout>,
}

/// Draws the view.
pub fn draw(props: &GorillaBitsProps) -> Html {
    let l = &props.layout;
    let legend = FieldKind::LEGEND.iter().map(|(kind, label)| {
        html! {
            <span key={*label} class={format!("bits-key c{}", kind.colour())}>
                <span class="bits-swatch"></span>{ *label }
            </span>
        }
    });
    let rows = l.rows.iter().map(|row| {
        let segments = row.segments.iter().enumerate().map(|(i, s)| {
            html! {
                <g key={i} class={format!("bit-field c{}", s.kind.colour())} data-field={s.field.to_string()}>
                    <title>{ &s.title }</title>
                    <rect x={fmt(s.x)} y={fmt(s.y)} width={fmt(s.width)} height={fmt(BOX_HEIGHT)} rx="2" />
                    <text class="bits" x={fmt(s.x)} y={fmt(s.y + 13.0)} textLength={fmt(s.width)} lengthAdjust="spacing">{ &s.bits }</text>
                    if let Some(caption) = s.caption {
                        <text class="caption" x={fmt(s.x + 1.0)} y={fmt(s.y + BOX_HEIGHT + 10.0)}>{ caption }</text>
                    }
                </g>
            }
        });
        html! {
            <g key={row.index} class="bit-row" data-point={row.index.to_string()}>
                <text class="point-label" x="6" y={fmt(row.y + 12.0)}>{ &row.label }</text>
                <text class="point-detail" x="6" y={fmt(row.y + 26.0)}>{ &row.detail }</text>
                { for segments }
                <text class="point-total" x={fmt(l.total_x)} y={fmt(row.y + 12.0)}>{ format!("{} bits", row.total_bits) }</text>
                <text class="point-split" x={fmt(l.total_x)} y={fmt(row.y + 26.0)}>{ format!("t {} + v {}", row.timestamp_bits, row.value_bits) }</text>
            </g>
        }
    });
    html! {
        <div class="gorilla-bits">
            <div class="bits-legend">{ for legend }</div>
            <svg class="bit-rows" viewBox={format!("0 0 {} {}", fmt(l.width), fmt(l.height))}
                role="img" aria-label="the bits of the first points of the newest block">
                { for rows }
            </svg>
        </div>
    }
}
