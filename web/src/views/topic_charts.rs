//! A protocol topic's live charts ([`crate::layout::topic_charts`]) as SVG:
//! labelled horizontal bars in palette colours. Styles are inline, so the
//! pages of topics without charts carry neither this code nor its CSS.

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::topic_charts::{PlacedChart, BAR_HEIGHT, ROW_HEIGHT};

/// Draws `charts` one under the other.
pub fn draw(charts: &[PlacedChart]) -> Html {
    let charts = charts.iter().map(|chart| {
        let bars = chart.bars.iter().map(|bar| {
            let middle = bar.y + ROW_HEIGHT / 2.0 + 4.0;
            html! {
                <g>
                    <text x={fmt(bar.x - 6.0)} y={fmt(middle)} style="font-size:11px;fill:var(--ink);text-anchor:end">{ &bar.label }</text>
                    <rect x={fmt(bar.x)} y={fmt(bar.y + (ROW_HEIGHT - BAR_HEIGHT) / 2.0)} width={fmt(bar.length.max(1.0))} height={fmt(BAR_HEIGHT)} rx="2"
                        style={format!("fill:var(--slot-{})", bar.slot)} />
                    <text x={fmt(bar.x + bar.length + 6.0)} y={fmt(middle)} style="font-size:11px;font-weight:600;fill:var(--ink)">{ &bar.value }</text>
                </g>
            }
        });
        html! {
            <figure style="margin:0 0 8px">
                <figcaption style="font-size:12px;font-weight:600">
                    { &chart.title }
                    if !chart.caption.is_empty() {
                        <small style="font-weight:400">{ " — " }{ &chart.caption }</small>
                    }
                </figcaption>
                <svg viewBox={format!("0 0 {} {}", fmt(chart.width), fmt(chart.height))} width="100%" role="img" aria-label={chart.title.clone()}>
                    { for bars }
                </svg>
            </figure>
        }
    });
    html! { <>{ for charts }</> }
}
