//! A grouped bar chart (a load histogram): bars solid or hollow in palette colours,
//! round y ticks, group labels and dashed reference lines.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::bars::BarsLayout;

#[derive(Clone, PartialEq)]
pub struct BarsProps {
    pub layout: Rc<BarsLayout>,
    pub label: AttrValue,
}

/// Draws the view.
pub fn draw(props: &BarsProps) -> Html {
    let chart = &props.layout;
    let (left, top, right, bottom) = chart.plot;
    let ticks = chart.y_ticks.iter().map(|(y, label)| {
        html! {
            <g class="tick y" key={label.clone()}>
                <line x1={fmt(left)} y1={fmt(*y)} x2={fmt(right)} y2={fmt(*y)} />
                <text x={fmt(left - 4.0)} y={fmt(*y + 3.0)}>{ label }</text>
            </g>
        }
    });
    let bars = chart.bars.iter().map(|bar| {
        let class = format!(
            "bar c{}{}",
            bar.colour,
            if bar.hollow { " hollow" } else { "" }
        );
        // Inset a little so neighbouring bars and hollow outlines stay apart.
        let inset = (bar.width * 0.08).min(1.5);
        html! {
            <rect key={bar.key.clone()} {class} x={fmt(bar.x + inset)} y={fmt(bar.y)}
                width={fmt((bar.width - 2.0 * inset).max(0.5))} height={fmt(bar.height)}>
                <title>{ &bar.title }</title>
            </rect>
        }
    });
    let labels = chart.labels.iter().map(|(x, label)| {
        html! { <text key={label.clone()} class="group-label" x={fmt(*x)} y={fmt(bottom + 14.0)}>{ label }</text> }
    });
    let references = chart.references.iter().map(|(y, label)| {
        html! {
            <g key={label.clone()} class="reference">
                <line x1={fmt(left)} y1={fmt(*y)} x2={fmt(right)} y2={fmt(*y)} />
                <text x={fmt(right - 2.0)} y={fmt(*y - 3.0)}>{ label }</text>
            </g>
        }
    });
    html! {
        <svg class="bars" viewBox={format!("0 0 {} {}", fmt(chart.width), fmt(chart.height))} role="img" aria-label={props.label.clone()}>
            <g class="grid">{ for ticks }</g>
            { for bars }
            <line class="axis" x1={fmt(left)} y1={fmt(bottom)} x2={fmt(right)} y2={fmt(bottom)} />
            <line class="axis" x1={fmt(left)} y1={fmt(top)} x2={fmt(left)} y2={fmt(bottom)} />
            { for references }
            { for labels }
        </svg>
    }
}
