//! A protocol's state machine ([`crate::layout::machine`]) as SVG: states as
//! rounded boxes, lit while some node is in them (the nodes listed inside),
//! transitions as arrows, dashed when a timeout takes them. Styles are inline,
//! so the pages of topics without a machine carry neither this code nor CSS.

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::machine::{PlacedMachine, BOX_HEIGHT, BOX_WIDTH};

/// Draws `machine` under the title `title`.
pub fn draw(title: &str, machine: &PlacedMachine) -> Html {
    let arrows = machine.arrows.iter().map(|arrow| {
        let dash = if arrow.timeout { "stroke-dasharray:5 4;" } else { "" };
        html! {
            <g>
                <line x1={fmt(arrow.x1)} y1={fmt(arrow.y1)} x2={fmt(arrow.x2)} y2={fmt(arrow.y2)}
                    marker-end="url(#machine-head)" style={format!("stroke:var(--ink);stroke-width:1.2;{dash}")} />
                <text x={fmt(arrow.label_x)} y={fmt(arrow.label_y + 3.0)}
                    style="font-size:9.5px;fill:var(--ink);text-anchor:middle;paint-order:stroke;stroke:var(--panel);stroke-width:3px">
                    { arrow.label }
                </text>
            </g>
        }
    });
    let states = machine.states.iter().map(|state| {
        let lit = !state.nodes.is_empty();
        let fill = if lit { "var(--slot-lead)" } else { "var(--panel)" };
        let weight = if lit { "2.5" } else { "1.2" };
        html! {
            <g data-state={state.name} class={classes!(lit.then_some("lit"))}>
                <rect x={fmt(state.x)} y={fmt(state.y)} width={fmt(BOX_WIDTH)} height={fmt(BOX_HEIGHT)} rx="10"
                    style={format!("fill:{fill};stroke:var(--ink);stroke-width:{weight}")} />
                <text x={fmt(state.x + BOX_WIDTH / 2.0)} y={fmt(state.y + 18.0)}
                    style="font-size:12px;font-weight:600;fill:var(--ink);text-anchor:middle">{ state.name }</text>
                <text x={fmt(state.x + BOX_WIDTH / 2.0)} y={fmt(state.y + 34.0)}
                    style="font-size:11px;fill:var(--ink);text-anchor:middle">{ &state.nodes }</text>
            </g>
        }
    });
    html! {
        <figure style="margin:0 0 8px" aria-label="state machine">
            <figcaption style="font-size:12px;font-weight:600">
                { "State machine" }
                <small style="font-weight:400">{ format!(" — {title}; dashed: a timeout takes it") }</small>
            </figcaption>
            <svg viewBox={format!("0 0 {} {}", fmt(machine.width), fmt(machine.height))} width="100%" role="img" aria-label="state machine">
                <defs>
                    <marker id="machine-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" style="fill:var(--ink)" />
                    </marker>
                </defs>
                { for arrows }
                { for states }
            </svg>
        </figure>
    }
}
