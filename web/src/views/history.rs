//! The client history view: under the timeline, over the same window, one lane
//! per client, each operation a bar from invocation to completion coloured by
//! outcome, with its linearization point when the history is linearizable and
//! the counterexample marked when it is not (see [`crate::layout::history`]).

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::history::{HistoryLayout, VerdictText};
use crate::layout::timeline::{LABEL_WIDTH, TOP};

pub struct HistoryProps {
    pub layout: Rc<HistoryLayout>,
}

/// Draws the view.
pub fn draw(props: &HistoryProps) -> Html {
    let layout = &props.layout;
    let (class, sentence) = match &layout.verdict {
        VerdictText::Linearizable(text) => ("verdict good", text),
        VerdictText::NotLinearizable(text) => ("verdict bad", text),
        VerdictText::Unknown(text) => ("verdict", text),
    };
    let lanes = layout.lanes.iter().map(|lane| {
        html! {
            <g class="lane" key={lane.label.clone()}>
                <text class="lane-label" x="4" y={fmt(lane.y + 4.0)}>{ &lane.label }</text>
                <line class="lane-line" x1={fmt(LABEL_WIDTH)} y1={fmt(lane.y)} x2={fmt(layout.width - 6.0)} y2={fmt(lane.y)} />
            </g>
        }
    });
    let bars = layout.bars.iter().map(|bar| {
        let class = classes!(
            "operation",
            bar.kind.class(),
            bar.open.then_some("open"),
            bar.bad.then_some("bad")
        );
        let width = (bar.x2 - bar.x1).max(2.0);
        let point = bar.point_x.map(|x| {
            html! { <circle class="point" cx={fmt(x)} cy={fmt(bar.y)} r="3" /> }
        });
        // Text only where it fits; the tooltip always has it.
        let label = (width > bar.text.len() as f64 * 5.5).then(|| {
            html! { <text x={fmt(bar.x1 + 3.0)} y={fmt(bar.y + 3.5)}>{ &bar.text }</text> }
        });
        html! {
            <g {class}>
                <title>{ &bar.detail }</title>
                <rect x={fmt(bar.x1)} y={fmt(bar.y - 8.0)} width={fmt(width)} height="16" rx="3" />
                { for label }
                { for point }
            </g>
        }
    });
    html! {
        <div class="history" id="history">
            <p class={class} role="status">{ sentence }</p>
            <svg class="history-lanes" viewBox={format!("0 0 {} {}", fmt(layout.width), fmt(layout.height.max(TOP)))}
                role="img" aria-label="client history: one lane per client, a bar per operation">
                <g class="lanes">{ for lanes }</g>
                <g class="operations">{ for bars }</g>
            </svg>
        </div>
    }
}
