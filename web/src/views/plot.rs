//! A protocol topic's line charts ([`crate::layout::plot`]) as SVG: one
//! polyline per series in its palette slot's colour, value and time gridlines,
//! and a legend with each series' latest value. Styles are inline, so the pages
//! of topics without line charts carry neither this code nor its CSS.

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::plot::{PlacedPlot, AXIS_WIDTH, PLOT_HEIGHT, TOP};

/// Draws `plots` one under the other.
pub fn draw(plots: &[PlacedPlot]) -> Html {
    let plots = plots.iter().map(|plot| {
        let right = plot.width - 8.0;
        let values = plot.values.iter().map(|g| html! {
            <g>
                <line x1={fmt(AXIS_WIDTH)} y1={fmt(g.at)} x2={fmt(right)} y2={fmt(g.at)} style="stroke:var(--line);stroke-width:.6" />
                <text x={fmt(AXIS_WIDTH - 4.0)} y={fmt(g.at + 3.5)} style="font-size:10px;fill:var(--muted);text-anchor:end">{ &g.label }</text>
            </g>
        });
        let times = plot.times.iter().map(|g| html! {
            <text x={fmt(g.at)} y={fmt(TOP + PLOT_HEIGHT + 12.0)} style="font-size:10px;fill:var(--muted);text-anchor:middle">{ &g.label }</text>
        });
        let lines = plot.lines.iter().map(|line| {
            let points: Vec<String> = line.points.iter().map(|&(x, y)| format!("{},{}", fmt(x), fmt(y))).collect();
            html! {
                <polyline points={points.join(" ")} style={format!("fill:none;stroke:var(--slot-{});stroke-width:1.6", line.slot)} />
            }
        });
        let legend = plot.lines.iter().map(|line| html! {
            <span style="margin-right:12px;white-space:nowrap">
                <span style={format!("display:inline-block;width:10px;height:3px;vertical-align:middle;margin-right:4px;background:var(--slot-{})", line.slot)}></span>
                { &line.legend }
            </span>
        });
        html! {
            <figure style="margin:0 0 8px">
                <figcaption style="font-size:12px;font-weight:600">
                    { &plot.title }
                    if !plot.caption.is_empty() {
                        <small style="font-weight:400">{ " — " }{ &plot.caption }</small>
                    }
                    <div style="font-size:11px;font-weight:400">{ for legend }</div>
                </figcaption>
                <svg viewBox={format!("0 0 {} {}", fmt(plot.width), fmt(plot.height))} width="100%" role="img" aria-label={plot.title.clone()}>
                    { for values }
                    { for times }
                    { for lines }
                </svg>
            </figure>
        }
    });
    html! { <>{ for plots }</> }
}
