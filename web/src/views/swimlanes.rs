//! A topic's own lanes under the timeline (a row per saga), as SVG: each
//! bar in its palette slot's colour with its label where it fits, marks as
//! lines across their row, ticks under it (see [`crate::layout::swimlanes`]).

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::swimlanes::{SwimlanesLayout, LANE_HEIGHT};
use crate::layout::timeline::LABEL_WIDTH;

/// Draws the lanes.
pub fn draw(layout: &SwimlanesLayout) -> Html {
    let half = LANE_HEIGHT / 2.0 - 2.0;
    let lanes = layout.lanes.iter().map(|lane| {
        // A long label is squeezed into the label column; the tooltip has it whole.
        let squeeze = (lane.label.len() > 5).then(|| fmt(LABEL_WIDTH - 6.0));
        html! {
            <g class="lane">
                <title>{ &lane.detail }</title>
                <text class="lane-label" x="4" y={fmt(lane.y + 4.0)} textLength={squeeze} lengthAdjust="spacingAndGlyphs">{ &lane.label }</text>
                <line class="lane-line" x1={fmt(LABEL_WIDTH)} y1={fmt(lane.y)} x2={fmt(layout.width - 6.0)} y2={fmt(lane.y)} />
            </g>
        }
    });
    let bars = layout.bars.iter().map(|bar| {
        let width = bar.x2 - bar.x1;
        let label = (width > 6.0 * bar.label.chars().count() as f64).then(|| {
            html! { <text x={fmt(bar.x1 + 2.0)} y={fmt(bar.y + 3.5)}>{ &bar.label }</text> }
        });
        html! {
            <g class={classes!("lane-bar", bar.open.then_some("open"))} style={format!("--slot:var(--slot-{})", bar.slot)}>
                <title>{ &bar.label }</title>
                <rect x={fmt(bar.x1)} y={fmt(bar.y - 7.0)} width={fmt(width)} height="14" rx="2" />
                { for label }
            </g>
        }
    });
    let marks = layout.marks.iter().map(|mark| {
        html! {
            <g class="lane-mark" style={format!("--slot:var(--slot-{})", mark.slot)}>
                <title>{ &mark.label }</title>
                <line x1={fmt(mark.x)} y1={fmt(mark.y - half)} x2={fmt(mark.x)} y2={fmt(mark.y + half)} />
            </g>
        }
    });
    let ticks = layout.ticks.iter().map(|tick| {
        html! { <line class="lane-tick" x1={fmt(tick.x)} y1={fmt(tick.y + 7.0)} x2={fmt(tick.x)} y2={fmt(tick.y + half)} /> }
    });
    html! {
        <figure class="swimlanes">
            <figcaption>{ &layout.title }<small>{ " — " }{ &layout.caption }</small></figcaption>
            <svg class="swimlanes" viewBox={format!("0 0 {} {}", fmt(layout.width), fmt(layout.height))}
                role="img" aria-label={layout.title.clone()}>
                { for lanes }{ for bars }{ for marks }{ for ticks }
            </svg>
        </figure>
    }
}
