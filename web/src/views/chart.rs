//! A line chart: measured series solid, theory dashed, with a legend.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::chart::ChartLayout;

#[derive(Clone, PartialEq)]
pub struct ChartProps {
    pub layout: Rc<ChartLayout>,
    pub title: AttrValue,
}

/// Draws the view.
pub fn draw(props: &ChartProps) -> Html {
    let chart = &props.layout;
    let (left, top, right, bottom) = chart.plot;
    let x_ticks = chart.x_ticks.iter().map(|(x, label)| {
        html! {
            <g class="tick" key={format!("x{label}")}>
                <line x1={fmt(*x)} y1={fmt(top)} x2={fmt(*x)} y2={fmt(bottom)} />
                <text x={fmt(*x)} y={fmt(bottom + 13.0)}>{ label }</text>
            </g>
        }
    });
    let y_ticks = chart.y_ticks.iter().map(|(y, label)| {
        html! {
            <g class="tick y" key={format!("y{label}")}>
                <line x1={fmt(left)} y1={fmt(*y)} x2={fmt(right)} y2={fmt(*y)} />
                <text x={fmt(left - 4.0)} y={fmt(*y + 3.0)}>{ label }</text>
            </g>
        }
    });
    let lines = chart.lines.iter().map(|line| {
        let class = format!(
            "series c{}{}",
            line.colour,
            if line.dashed { " theory" } else { "" }
        );
        html! {
            <g class={class} key={line.name.clone()}>
                <path d={line.path.clone()} />
                if let Some((x, y)) = line.last {
                    <circle cx={fmt(x)} cy={fmt(y)} r="2.5" />
                }
            </g>
        }
    });
    let legend = chart.lines.iter().map(|line| {
        let class = format!("swatch c{}{}", line.colour, if line.dashed { " theory" } else { "" });
        html! { <span key={line.name.clone()} class="legend-item"><span class={class}></span>{ &line.name }</span> }
    });
    html! {
        <figure class="chart">
            <figcaption>{ props.title.clone() }<span class="legend">{ for legend }</span></figcaption>
            <svg viewBox={format!("0 0 {} {}", fmt(chart.width), fmt(chart.height))} role="img" aria-label={props.title.clone()}>
                <g class="grid">{ for x_ticks }{ for y_ticks }</g>
                <line class="axis" x1={fmt(left)} y1={fmt(bottom)} x2={fmt(right)} y2={fmt(bottom)} />
                <line class="axis" x1={fmt(left)} y1={fmt(top)} x2={fmt(left)} y2={fmt(bottom)} />
                { for lines }
                <text class="axis-label" x={fmt((left + right) / 2.0)} y={fmt(chart.height - 2.0)}>{ &chart.x_label }</text>
                <text class="axis-label y" transform={format!("translate(10 {}) rotate(-90)", fmt((top + bottom) / 2.0))}>{ &chart.y_label }</text>
            </svg>
        </figure>
    }
}
